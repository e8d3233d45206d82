//! The provider's **Price list** (SPEC.md §2.11): a default markup for resellers, per-reseller markups
//! and overrides (a markup or a fixed price for one offer and plan), the direct customers' markup —
//! each from its effective date — and the days a statement is due in. The reseller's **Prices**: its
//! price per offer and plan with each provider, and the sale prices it records (for every customer,
//! or for one where it differs). Orders keep the prices they were placed at: changing the list never
//! changes an order.

use chrono::{NaiveDate, NaiveDateTime};

use crate::db::models::activity::NewActivity;
use crate::db::models::offer::{Offer, OfferPrice};
use crate::db::models::partner::Partner;
use crate::db::models::partnership::Partnership;
use crate::db::models::price::{self, NewRule, RuleRow, SalePrice};
use crate::db::{Db, DbConnection, DbError};
use crate::domain::form::FormErrors;
use crate::domain::lifecycle::Plan;
use crate::domain::pricing::{Markup, RuleValue};
use crate::domain::time_zone::{Tz, start_of_day};
use crate::domain::{Audience, ProviderId, ResellerId, parse_money};
use crate::i18n::Tr;
use crate::services::pricing::PriceBook;

/// One offer and plan with what it costs and what it sells for now.
#[derive(Clone, Debug)]
pub struct PricedPlan {
    pub offer: Offer,
    pub plan: Plan,
    pub cost: i64,
    /// The default reseller price (or, on a reseller's page, its own).
    pub price: i64,
    /// The direct customers' price (the provider's page).
    pub customer_price: i64,
    /// The reseller's sale price for every customer (its page).
    pub sale: Option<i64>,
}

impl PricedPlan {
    /// The form field of this plan's sale price (`sale_{offer}_{P1Y:annual}`).
    pub fn field(&self) -> String {
        format!("sale_{}_{}", self.offer.id, self.plan.value())
    }
}

pub struct PriceListView {
    pub rules: Vec<RuleRow>,
    pub plans: Vec<PricedPlan>,
    pub resellers: Vec<(i64, String)>,
    pub due_days: i32,
}

/// The offers that can be ordered with each plan they are sold in.
fn catalog(conn: &mut DbConnection) -> Result<(Vec<Offer>, Vec<OfferPrice>), DbError> {
    let offers = Offer::orderable(conn)?;
    let ids: Vec<i64> = offers.iter().map(|o| o.id).collect();
    let prices = Offer::prices_of(conn, &ids)?;
    Ok((offers, prices))
}

pub async fn view(
    db: &Db,
    provider: ProviderId,
    now: NaiveDateTime,
) -> Result<PriceListView, DbError> {
    db.read(move |conn| {
        let p = provider.get();
        let (offers, prices) = catalog(conn)?;
        let resellers_book = PriceBook::load(conn, p, Some(0))?;
        let customers_book = PriceBook::load(conn, p, None)?;
        let plans = prices
            .iter()
            .filter_map(|op| {
                let offer = offers.iter().find(|o| o.id == op.offer_id)?.clone();
                let key = (op.offer_id, op.term, op.billing);
                Some(PricedPlan {
                    offer,
                    plan: Plan::new(op.term, op.billing),
                    cost: op.unit_cost_minor,
                    price: resellers_book.price(op.unit_cost_minor, key, now).0,
                    customer_price: customers_book.price(op.unit_cost_minor, key, now).0,
                    sale: None,
                })
            })
            .collect();
        Ok(PriceListView {
            rules: price::list(conn, p, 500)?,
            plans,
            resellers: Partnership::choices_for_provider(conn, provider, 500, None)?,
            due_days: Partner::statement_due_days(conn, p)?,
        })
    })
    .await
}

/// The Add a price rule form as sent.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct RuleForm {
    /// `resellers` (the default), `customers`, or a reseller's id.
    #[serde(default)]
    pub applies_to: String,
    /// Empty, or `{offer id}:{P1Y:annual}` (an override; a reseller's only).
    #[serde(default)]
    pub offer_plan: String,
    /// `markup` or `price`.
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub value: String,
    /// YYYY-MM-DD in the user's time zone; empty: now.
    #[serde(default)]
    pub effective_from: String,
}

/// Adds a rule to the provider's price list; the form's errors when it does not pass (nothing written).
pub async fn add_rule(
    db: &Db,
    provider: ProviderId,
    user_id: i64,
    form: RuleForm,
    (now, tz): (NaiveDateTime, Tz),
) -> Result<Result<(), FormErrors>, DbError> {
    db.write(move |conn| {
        let mut errors = FormErrors::new();
        let p = provider.get();
        let (audience, reseller) = match form.applies_to.trim() {
            "" | "resellers" => (Audience::Reseller, None),
            "customers" => (Audience::Customer, None),
            raw => match raw.parse::<i64>() {
                Ok(r) if Partnership::active(conn, p, r)?.is_some() => {
                    (Audience::Reseller, Some(r))
                }
                _ => {
                    errors.add("applies_to", "wizard.reseller_not_partnered");
                    (Audience::Reseller, None)
                }
            },
        };
        let offer = match form.offer_plan.trim() {
            "" => None,
            raw => {
                let parsed = raw
                    .split_once(':')
                    .and_then(|(o, plan)| Some((o.parse::<i64>().ok()?, Plan::parse(plan)?)));
                match parsed {
                    Some((o, plan))
                        if Offer::price(conn, o, plan.term, plan.billing)?.is_some() =>
                    {
                        Some((o, plan.term, plan.billing))
                    }
                    _ => {
                        errors.add("offer_plan", "lifecycle.pair_not_sold");
                        None
                    }
                }
            }
        };
        if offer.is_some() && reseller.is_none() && !errors.has("applies_to") {
            errors.add("offer_plan", "prices.override_needs_reseller");
        }
        let value = match form.kind.as_str() {
            "price" => errors
                .check("value", parse_money(&form.value))
                .map(RuleValue::Fixed),
            _ => errors
                .check("value", Markup::parse(&form.value))
                .map(RuleValue::Markup),
        };
        let effective_from = match form.effective_from.trim() {
            "" => Some(now),
            raw => match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
                Ok(day) => {
                    let at = start_of_day(day, tz).max(now);
                    if start_of_day(day.succ_opt().unwrap_or(day), tz) <= now {
                        errors.add("effective_from", "prices.effective_past");
                        None
                    } else {
                        Some(at)
                    }
                }
                Err(_) => {
                    errors.add("effective_from", "validation.date");
                    None
                }
            },
        };
        let (Some(value), Some(effective_from), true) = (value, effective_from, errors.is_empty())
        else {
            return Ok(Err(errors));
        };
        let id = price::add(
            conn,
            &NewRule {
                provider_id: p,
                audience,
                reseller_id: reseller,
                offer,
                value,
                effective_from,
                created_by: user_id,
                at: now,
            },
        )?;
        NewActivity::new("price_list.rule_added", "price_rule", Some(id))
            .by(user_id, Some(p))
            .provider(Some(p))
            .reseller(reseller)
            .change(None, Some(describe(&value, effective_from)))
            .at(now)
            .record(conn)?;
        Ok(Ok(()))
    })
    .await
}

fn describe(value: &RuleValue, from: NaiveDateTime) -> String {
    let what = match value {
        RuleValue::Markup(m) => format!("{} %", m.percent()),
        RuleValue::Fixed(p) => crate::domain::decimal(*p),
    };
    format!("{what} from {}", from.format("%Y-%m-%d %H:%M UTC"))
}

/// Removes a rule of the provider's; false when it has none by that id. Orders keep their prices.
pub async fn remove_rule(
    db: &Db,
    provider: ProviderId,
    user_id: i64,
    id: i64,
    now: NaiveDateTime,
) -> Result<bool, DbError> {
    db.write(move |conn| {
        let p = provider.get();
        let Some(rule) = price::remove(conn, p, id)? else {
            return Ok(false);
        };
        NewActivity::new("price_list.rule_removed", "price_rule", Some(id))
            .by(user_id, Some(p))
            .provider(Some(p))
            .reseller(rule.reseller_id)
            .change(Some(describe(&rule.value(), rule.effective_from)), None)
            .at(now)
            .record(conn)?;
        Ok(true)
    })
    .await
}

/// Sets the days a statement is due in (0–120).
pub async fn set_due_days(
    db: &Db,
    provider: ProviderId,
    user_id: i64,
    raw: String,
    now: NaiveDateTime,
) -> Result<Result<(), &'static str>, DbError> {
    let Some(days) = raw
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|d| (0..=120).contains(d))
    else {
        return Ok(Err("prices.due_days_range"));
    };
    db.write(move |conn| {
        let p = provider.get();
        let before = Partner::statement_due_days(conn, p)?;
        Partner::set_statement_due_days(conn, p, days)?;
        NewActivity::new("price_list.due_days_changed", "partner", Some(p))
            .by(user_id, Some(p))
            .provider(Some(p))
            .change(Some(before.to_string()), Some(days.to_string()))
            .at(now)
            .record(conn)?;
        Ok(Ok(()))
    })
    .await
}

/// A reseller's prices with one provider.
pub struct ProviderPrices {
    pub provider_id: i64,
    pub provider_name: String,
    pub plans: Vec<PricedPlan>,
    /// Sale prices for one customer: (customer id, name, offer name, plan, price).
    pub customer_prices: Vec<(SalePrice, String, String)>,
    /// The reseller's customers with this provider (for the per-customer form).
    pub customers: Vec<(i64, String)>,
}

/// The reseller's Prices page: per provider, its price for every offer and plan now and the sale
/// prices it recorded. Never the provider's cost.
pub async fn reseller_view(
    db: &Db,
    reseller: ResellerId,
    now: NaiveDateTime,
) -> Result<Vec<ProviderPrices>, DbError> {
    db.read(move |conn| {
        let r = reseller.get();
        let providers =
            Partnership::providers_of(conn, reseller, &crate::pagination::Seek::First, 50)?;
        let (offers, prices) = catalog(conn)?;
        let mut out = Vec::new();
        for (_, p) in providers.items {
            let book = PriceBook::load(conn, p.provider_id, Some(r))?;
            let sales = price::sale_prices_of(conn, r, p.provider_id)?;
            let plans = prices
                .iter()
                .filter_map(|op| {
                    let offer = offers.iter().find(|o| o.id == op.offer_id)?.clone();
                    let key = (op.offer_id, op.term, op.billing);
                    let sale = sales
                        .iter()
                        .find(|s| s.customer_id == 0 && (s.offer_id, s.term, s.billing) == key)
                        .map(|s| s.price_minor);
                    Some(PricedPlan {
                        offer,
                        plan: Plan::new(op.term, op.billing),
                        cost: 0,
                        price: book.price(op.unit_cost_minor, key, now).0,
                        customer_price: 0,
                        sale,
                    })
                })
                .collect();
            let customers = crate::db::models::customer::ProviderCustomer::customers_of_reseller(
                conn,
                p.provider_id,
                r,
                500,
            )?;
            let customer_prices = sales
                .into_iter()
                .filter(|s| s.customer_id != 0)
                .map(|s| {
                    let customer = customers
                        .iter()
                        .find(|(id, _)| *id == s.customer_id)
                        .map(|(_, n)| n.clone())
                        .unwrap_or_default();
                    let offer = offers
                        .iter()
                        .find(|o| o.id == s.offer_id)
                        .map(|o| o.name.clone())
                        .unwrap_or_default();
                    (s, customer, offer)
                })
                .collect();
            out.push(ProviderPrices {
                provider_id: p.provider_id,
                provider_name: p.name,
                plans,
                customer_prices,
                customers,
            });
        }
        Ok(out)
    })
    .await
}

/// Records the reseller's sale prices with one provider for every customer: `sale_{offer}_{plan}`
/// fields, blank to remove. Every value is checked before anything is written.
pub async fn save_sale_prices(
    db: &Db,
    reseller: ResellerId,
    user_id: i64,
    provider: i64,
    fields: Vec<(String, String)>,
    now: NaiveDateTime,
) -> Result<Result<usize, FormErrors>, DbError> {
    db.write(move |conn| {
        let r = reseller.get();
        if Partnership::active(conn, provider, r)?.is_none() {
            return Err(DbError::NotFound);
        }
        let mut errors = FormErrors::new();
        let mut set = Vec::new();
        for (name, raw) in &fields {
            let Some(rest) = name.strip_prefix("sale_") else {
                continue;
            };
            let parsed = rest
                .split_once('_')
                .and_then(|(o, plan)| Some((o.parse::<i64>().ok()?, Plan::parse(plan)?)));
            let Some((offer, plan)) = parsed else {
                continue;
            };
            let price = match raw.trim() {
                "" => None,
                raw => match errors.check_named(name, parse_money(raw)) {
                    Some(p) => Some(p),
                    None => continue,
                },
            };
            set.push(((offer, plan.term, plan.billing), price));
        }
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        let mut changed = 0;
        for (key, price) in set {
            let before = price::sale_price(conn, r, provider, key, 0)?;
            if before == price {
                continue;
            }
            price::set_sale_price(conn, (r, provider), key, 0, price, now)?;
            changed += 1;
        }
        if changed > 0 {
            NewActivity::new("prices.sale_prices_saved", "partner", Some(r))
                .by(user_id, Some(r))
                .provider(Some(provider))
                .reseller(Some(r))
                .change(None, Some(changed.to_string()))
                .at(now)
                .record(conn)?;
        }
        Ok(Ok(changed))
    })
    .await
}

/// The per-customer sale price form as sent.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct CustomerPriceForm {
    #[serde(default)]
    pub customer: String,
    #[serde(default)]
    pub offer_plan: String,
    /// Blank removes the customer's price.
    #[serde(default)]
    pub price: String,
}

/// Records (or removes) the reseller's sale price for one of its customers.
pub async fn save_customer_price(
    db: &Db,
    reseller: ResellerId,
    user_id: i64,
    provider: i64,
    form: CustomerPriceForm,
    now: NaiveDateTime,
) -> Result<Result<(), FormErrors>, DbError> {
    db.write(move |conn| {
        let r = reseller.get();
        if Partnership::active(conn, provider, r)?.is_none() {
            return Err(DbError::NotFound);
        }
        let mut errors = FormErrors::new();
        let customers = crate::db::models::customer::ProviderCustomer::customers_of_reseller(
            conn, provider, r, 500,
        )?;
        let customer = form
            .customer
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|c| customers.iter().any(|(id, _)| id == c));
        if customer.is_none() {
            errors.add("customer", "prices.customer_unknown");
        }
        let offer = form
            .offer_plan
            .split_once(':')
            .and_then(|(o, plan)| Some((o.parse::<i64>().ok()?, Plan::parse(plan)?)));
        let offer = match offer {
            Some((o, plan)) if Offer::price(conn, o, plan.term, plan.billing)?.is_some() => {
                Some((o, plan.term, plan.billing))
            }
            _ => {
                errors.add("offer_plan", "lifecycle.pair_not_sold");
                None
            }
        };
        let price = match form.price.trim() {
            "" => Some(None),
            raw => errors.check("price", parse_money(raw)).map(Some),
        };
        let (Some(customer), Some(offer), Some(price), true) =
            (customer, offer, price, errors.is_empty())
        else {
            return Ok(Err(errors));
        };
        price::set_sale_price(conn, (r, provider), offer, customer, price, now)?;
        NewActivity::new("prices.customer_price_saved", "customer", Some(customer))
            .by(user_id, Some(r))
            .provider(Some(provider))
            .reseller(Some(r))
            .customer(Some(customer))
            .change(
                None,
                Some(
                    price
                        .map(crate::domain::decimal)
                        .unwrap_or_else(|| Tr::default().t("prices.removed").to_owned()),
                ),
            )
            .at(now)
            .record(conn)?;
        Ok(Ok(()))
    })
    .await
}
