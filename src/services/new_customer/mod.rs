//! New customer order: a customer made by the provider, with its admin account (a temporary password),
//! its relationship to the provider and the associated reseller, its subscriptions and their order —
//! written together, once. The wizard (`wizard`) keeps what was typed in a draft until Submit; the demo
//! data uses `place` directly.

pub mod direct;
pub mod wizard;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::db::models::activity::NewActivity;
use crate::db::models::customer::{Customer, NewCustomer, NewRelation, ProviderCustomer};
use crate::db::models::draft::Draft;
use crate::db::models::offer::{Offer, OfferPrice};
use crate::db::models::order::{NewLine, NewOrder, Order, Placed};
use crate::db::models::partnership::Partnership;
use crate::db::models::subscription::{NewSubscription, Subscription};
use crate::db::models::user::{NewUser, User};
use crate::db::{DbConnection, DbError};
use crate::domain::form::FormErrors;
use crate::domain::lifecycle::{Align, Plan, aligned_end, charge_to_period_end};
use crate::domain::pricing::Prices;
use crate::domain::{
    Country, CustomerOrigin, DomainPrefix, Email, OrderKind, ProviderId, Role, check_phone,
    parse_quantity,
};
use crate::email::{self, messages::CustomerAddedForReseller};
use crate::i18n::{Locale, Tr};
use crate::services::counters;
use crate::services::pricing::PriceBook;

/// The account step as typed; the wizard's draft keeps it so, and Back and Edit show it again.
#[derive(Serialize, Deserialize, Default, Clone, Debug)]
pub struct AccountFields {
    #[serde(default)]
    pub reseller: String,
    #[serde(default)]
    pub company_name: String,
    #[serde(default)]
    pub domain_prefix: String,
    #[serde(default)]
    pub address_line1: String,
    #[serde(default)]
    pub address_line2: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default)]
    pub country: String,
    #[serde(default)]
    pub contact_first_name: String,
    #[serde(default)]
    pub contact_last_name: String,
    #[serde(default)]
    pub contact_email: String,
    #[serde(default)]
    pub contact_phone: String,
    #[serde(default)]
    pub language: String,
    #[serde(default)]
    pub tenant_owner: Option<String>,
    /// The provider states the customer agreed to delegate administration to the reseller.
    #[serde(default)]
    pub customer_agreed: Option<String>,
}

/// The account info, every field checked and trimmed.
#[derive(Clone, Debug)]
pub struct Account {
    /// The associated reseller: id and name (one of the provider's partners when checked).
    pub reseller: Option<(i64, String)>,
    pub company_name: String,
    pub domain: DomainPrefix,
    pub address_line1: String,
    pub address_line2: String,
    pub city: String,
    pub state: String,
    pub postal_code: String,
    pub country: Country,
    pub contact_first_name: String,
    pub contact_last_name: String,
    pub email: Email,
    pub phone: String,
    pub language: Locale,
    pub tenant_owner: bool,
    /// The customer agreed to delegate administration to the reseller: its grant is active at once
    /// (otherwise the customer's contact is asked to approve it).
    pub customer_agreed: bool,
}

/// The account fields that need no database to check.
struct Parsed {
    reseller: Option<i64>,
    company_name: String,
    domain: DomainPrefix,
    address_line1: String,
    address_line2: String,
    city: String,
    state: String,
    postal_code: String,
    country: Country,
    contact_first_name: String,
    contact_last_name: String,
    email: Email,
    phone: String,
    language: Locale,
    tenant_owner: bool,
}

/// Reads the fields; every message goes into `errors`, and the result is there only when none did.
fn parse(fields: &AccountFields, errors: &mut FormErrors) -> Option<Parsed> {
    let reseller = match fields.reseller.trim() {
        "" => Ok(None),
        raw => raw.parse::<i64>().map(Some).map_err(|_| ()),
    };
    if reseller.is_err() {
        errors.add("reseller", "wizard.reseller_not_partnered");
    }
    let company_name = errors.text("company_name", &fields.company_name, 200);
    let domain = errors.check("domain_prefix", DomainPrefix::parse(&fields.domain_prefix));
    let address_line1 = errors.text("address_line1", &fields.address_line1, 200);
    let address_line2 = errors.optional_text("address_line2", &fields.address_line2, 200);
    let city = errors.text("city", &fields.city, 100);
    let state = errors.optional_text("state", &fields.state, 100);
    let postal_code = errors.optional_text("postal_code", &fields.postal_code, 20);
    let country = errors.check("country", Country::parse(&fields.country));
    let contact_first_name = errors.text("contact_first_name", &fields.contact_first_name, 100);
    let contact_last_name = errors.text("contact_last_name", &fields.contact_last_name, 100);
    let email = errors.check("contact_email", Email::parse(&fields.contact_email));
    if let Err(key) = check_phone(&fields.contact_phone) {
        errors.add("contact_phone", key);
    }
    let language = Locale::from_code(fields.language.trim());
    if language.is_none() {
        errors.add("language", "validation.required");
    }
    let tenant_owner = fields.tenant_owner.is_some();
    match (reseller, domain, country, email, language) {
        (Ok(reseller), Some(domain), Some(country), Some(email), Some(language)) => Some(Parsed {
            reseller,
            company_name,
            domain,
            address_line1,
            address_line2,
            city,
            state,
            postal_code,
            country,
            contact_first_name,
            contact_last_name,
            email,
            phone: fields.contact_phone.trim().to_owned(),
            language,
            tenant_owner,
        }),
        _ => None,
    }
}

/// Checks the account step, including what needs the database: the reseller must be one of this
/// provider's partners, the domain must be free. Every message goes into the returned errors; the
/// account is there only when there is none.
pub fn check_account(
    conn: &mut DbConnection,
    provider: ProviderId,
    fields: &AccountFields,
) -> Result<(FormErrors, Option<Account>), DbError> {
    let mut errors = FormErrors::new();
    let parsed = parse(fields, &mut errors);
    let reseller_id = fields.reseller.trim().parse::<i64>().ok();
    let reseller = match reseller_id {
        Some(id) => match Partnership::active(conn, provider.get(), id)? {
            Some(p) => Some((id, p.reseller_name)),
            None => {
                errors.add("reseller", "wizard.reseller_not_partnered");
                None
            }
        },
        None => None,
    };
    if let Ok(domain) = DomainPrefix::parse(&fields.domain_prefix)
        && Customer::domain_taken(conn, domain.as_str())?
    {
        errors.add("domain_prefix", "wizard.domain_taken");
    }
    if fields.tenant_owner.is_some() && reseller_id.is_none() && !errors.has("reseller") {
        errors.add("tenant_owner", "wizard.tenant_owner_needs_reseller");
    }
    // Tenant-owner rights go only to a reseller that administers the customer: with a grant active
    // from the start.
    if fields.tenant_owner.is_some() && reseller_id.is_some() && fields.customer_agreed.is_none() {
        errors.add("tenant_owner", "wizard.tenant_owner_needs_agreement");
    }
    let account = match parsed {
        Some(p) if errors.is_empty() => Some(Account {
            reseller,
            company_name: p.company_name,
            domain: p.domain,
            address_line1: p.address_line1,
            address_line2: p.address_line2,
            city: p.city,
            state: p.state,
            postal_code: p.postal_code,
            country: p.country,
            contact_first_name: p.contact_first_name,
            contact_last_name: p.contact_last_name,
            email: p.email,
            phone: p.phone,
            language: p.language,
            tenant_owner: p.tenant_owner && p.reseller.is_some(),
            customer_agreed: fields.customer_agreed.is_some() && p.reseller.is_some(),
        }),
        _ => None,
    };
    Ok((errors, account))
}

/// An order line: an offer and a number of licenses within its limits, its term and billing (a
/// pair the offer is sold in) and that pair's price, auto-renew, and whether its end is aligned with
/// a calendar month's end.
#[derive(Clone, Debug)]
pub struct Line {
    pub offer: Offer,
    pub quantity: i32,
    pub plan: Plan,
    /// Per license per billing period: what the provider charges (the reseller's price, or a direct
    /// customer's)…
    pub unit_price_minor: i64,
    /// …and its cost.
    pub unit_cost_minor: i64,
    pub auto_renew: bool,
    pub month_end: bool,
}

impl Line {
    /// One billing period of its licenses.
    pub fn total_minor(&self) -> i64 {
        i64::from(self.quantity) * self.unit_price_minor
    }

    /// The term bought at `now`: its end, and the first charge with the period it covers (prorated
    /// when the end is aligned with a month's end).
    pub fn first_term(
        &self,
        now: chrono::NaiveDateTime,
    ) -> (chrono::NaiveDateTime, i64, crate::domain::lifecycle::Period) {
        self.first_term_at(now, self.unit_price_minor)
    }

    /// `first_term` at another unit price (the cost, the sale price).
    pub fn first_term_at(
        &self,
        now: chrono::NaiveDateTime,
        unit: i64,
    ) -> (chrono::NaiveDateTime, i64, crate::domain::lifecycle::Period) {
        let align = if self.month_end {
            Align::MonthEnd
        } else {
            Align::None
        };
        let end = aligned_end(now, self.plan.term, align)
            .unwrap_or_else(|_| crate::domain::lifecycle::term_end(now, self.plan.term));
        let (amount, period) = charge_to_period_end(
            i64::from(self.quantity),
            unit,
            now,
            end,
            self.plan.term,
            self.plan.billing,
            now,
        );
        (end, amount, period)
    }
}

/// What the subscriptions step sends per offer id: licenses, the plan (`P1Y:annual`), auto-renew
/// switched off, the end aligned with a month's end.
#[derive(Clone, Copy, Debug)]
pub struct Choices<'a> {
    pub quantities: &'a BTreeMap<i64, String>,
    pub plans: &'a BTreeMap<i64, String>,
    pub no_auto_renew: &'a BTreeSet<i64>,
    pub month_end: &'a BTreeSet<i64>,
}

/// The plan chosen for an offer among those it is sold in (its first when none was chosen), with its
/// price; or the message for the plan field.
pub fn checked_plan(
    prices: &[OfferPrice],
    offer_id: i64,
    chosen: Option<&str>,
) -> Result<(Plan, OfferPrice), &'static str> {
    let mut sold = prices.iter().filter(|p| p.offer_id == offer_id);
    match chosen.map(str::trim).filter(|c| !c.is_empty()) {
        None => sold
            .next()
            .map(|p| (Plan::new(p.term, p.billing), *p))
            .ok_or("lifecycle.pair_not_sold"),
        Some(raw) => {
            let plan = Plan::parse(raw).ok_or("lifecycle.pair_not_sold")?;
            sold.find(|p| p.term == plan.term && p.billing == plan.billing)
                .map(|p| (plan, *p))
                .ok_or("lifecycle.pair_not_sold")
        }
    }
}

/// Checks the licenses typed (per offer id) against the offers that can be ordered: each within its
/// offer's limits and in a plan it is sold in, an offer that cannot be ordered refused, at least one
/// line.
pub fn check_lines(
    orderable: &[Offer],
    prices: &[OfferPrice],
    choices: Choices<'_>,
) -> (FormErrors, Vec<Line>) {
    let mut errors = FormErrors::new();
    let mut lines = Vec::new();
    for (offer_id, raw) in choices.quantities {
        if raw.trim().is_empty() {
            continue;
        }
        let Some(offer) = orderable.iter().find(|o| o.id == *offer_id) else {
            errors.add("lines", "wizard.offer_not_orderable");
            continue;
        };
        let quantity = errors.check_named(
            &format!("qty_{offer_id}"),
            parse_quantity(raw, offer.min_licenses, offer.max_licenses),
        );
        let plan = errors.check_named(
            &format!("plan_{offer_id}"),
            checked_plan(
                prices,
                *offer_id,
                choices.plans.get(offer_id).map(String::as_str),
            ),
        );
        if let (Some(quantity), Some((plan, price))) = (quantity, plan) {
            lines.push(Line {
                offer: offer.clone(),
                quantity,
                plan,
                unit_price_minor: price.unit_price_minor,
                unit_cost_minor: price.unit_cost_minor,
                auto_renew: !choices.no_auto_renew.contains(offer_id),
                month_end: choices.month_end.contains(offer_id),
            });
        }
    }
    if lines.is_empty() && errors.is_empty() {
        errors.add("lines", "wizard.no_lines");
    }
    (errors, lines)
}

/// Everything a new customer order writes.
pub struct NewCustomerOrder<'a> {
    pub provider: ProviderId,
    pub provider_name: &'a str,
    /// The provider user placing the order.
    pub placed_by: i64,
    /// `TENANT_DOMAIN_SUFFIX`.
    pub suffix: &'a str,
    pub account: &'a Account,
    pub lines: &'a [Line],
    /// The admin's temporary password, hashed.
    pub admin_hash: &'a str,
    /// The draft submitted, and the temporary password sealed for its Confirmation.
    pub draft: Option<(i64, &'a str)>,
    /// The caller's key for the order when there is no draft (the API's, scoped to its token).
    pub idempotency_key: Option<&'a str>,
    /// Now, by the injected clock: the subscriptions' start.
    pub now: chrono::NaiveDateTime,
    /// Where the emails' links start.
    pub base_url: &'a str,
}

/// What a new customer order made.
#[derive(Clone, Copy, Debug)]
pub struct PlacedCustomer {
    pub customer_id: i64,
    pub order: Placed,
    /// The order waits for the provider's review (the reseller's credit): no subscriptions yet.
    pub held: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum PlaceError {
    /// The domain (or its admin address) was taken after the account was checked.
    #[error("the domain is taken")]
    DomainTaken,
    #[error(transparent)]
    Db(#[from] DbError),
}
crate::wraps_db_error!(PlaceError);

/// Writes a new customer with its order, in the caller's transaction: customer, relationship, admin
/// user, subscriptions, order and lines, counters, activity log, outbox.
pub fn place(
    conn: &mut DbConnection,
    new: &NewCustomerOrder<'_>,
) -> Result<PlacedCustomer, PlaceError> {
    let NewCustomerOrder {
        provider,
        provider_name,
        placed_by,
        suffix,
        account,
        lines,
        admin_hash,
        draft,
        idempotency_key,
        now,
        base_url,
    } = *new;
    let reseller_id = account.reseller.as_ref().map(|(id, _)| *id);
    let company = account.company_name.as_str();
    let domain = account.domain.as_str();
    let admin_email =
        Email::parse(&format!("admin@{domain}.{suffix}")).map_err(|_| PlaceError::DomainTaken)?;
    if User::email_taken(conn, &admin_email)? {
        return Err(PlaceError::DomainTaken);
    }
    let customer_id = Customer::create(
        conn,
        &NewCustomer {
            company_name: company,
            domain_prefix: domain,
            address_line1: &account.address_line1,
            address_line2: &account.address_line2,
            city: &account.city,
            state: &account.state,
            postal_code: &account.postal_code,
            country: account.country.code(),
            contact_first_name: &account.contact_first_name,
            contact_last_name: &account.contact_last_name,
            contact_email: account.email.as_str(),
            contact_phone: &account.phone,
            language: account.language,
        },
    )
    .map_err(unique_is_domain)?;
    // Over the reseller's credit: the account is made, its subscriptions wait for the review.
    let first_charges: i64 = lines.iter().map(|l| l.first_term(now).1).sum();
    let held =
        crate::services::credit::needs_review(conn, provider.get(), reseller_id, first_charges)?;
    let licenses: i64 = lines.iter().map(|l| i64::from(l.quantity)).sum();
    let subscription_count = i64::try_from(lines.len()).unwrap_or(i64::MAX);
    ProviderCustomer::create(
        conn,
        NewRelation {
            provider_id: provider.get(),
            customer_id,
            reseller_id,
            azure_tenant_owner: account.tenant_owner,
            origin: CustomerOrigin::Created,
            subscription_count: if held { 0 } else { subscription_count },
            created_at: now,
        },
        company,
        domain,
    )?;
    User::create(
        conn,
        NewUser {
            email: &admin_email,
            password_hash: admin_hash,
            role: Role::Customer,
            partner_id: None,
            customer_id: Some(customer_id),
            display_name: company,
            locale: Some(account.language),
            must_change_password: true,
        },
    )
    .map_err(unique_is_domain)?;

    let order_lines = if held {
        lines
            .iter()
            .map(|line| {
                let (_, _, period) = line.first_term(now);
                let unit = Prices {
                    cost: line.unit_cost_minor,
                    price: line.unit_price_minor,
                    sale: None,
                };
                NewLine {
                    offer_id: line.offer.id,
                    subscription_id: None,
                    quantity: line.quantity,
                    previous_quantity: None,
                    unit,
                    amount: unit.map(|u| line.first_term_at(now, u).1),
                    period: Some(period),
                    term: Some(line.plan.term),
                    billing: Some(line.plan.billing),
                }
            })
            .collect()
    } else {
        subscribe(conn, provider, customer_id, reseller_id, lines, now)?
    };
    let currency = lines.first().map_or("USD", |l| l.offer.currency.as_str());
    let key = draft
        .map(|(id, _)| format!("draft:{id}"))
        .or_else(|| idempotency_key.map(str::to_owned));
    let new_order = NewOrder {
        provider_id: provider.get(),
        customer_id,
        reseller_id,
        placed_by_user_id: placed_by,
        placed_by_partner_id: Some(provider.get()),
        kind: OrderKind::NewCustomer,
        currency,
        idempotency_key: key.as_deref(),
        at: now,
    };
    let placed = if held {
        let choices: Vec<HeldLine> = lines
            .iter()
            .map(|l| HeldLine {
                auto_renew: l.auto_renew,
                month_end: l.month_end,
            })
            .collect();
        let payload = serde_json::to_string(&choices).unwrap_or_default();
        Order::create_pending(conn, &new_order, &order_lines, &payload)?
    } else {
        Order::create(conn, &new_order, &order_lines)?
    };
    if held {
        counters::customer_added(conn, provider, reseller_id, 0, 0, now)?;
    } else {
        counters::customer_added(
            conn,
            provider,
            reseller_id,
            subscription_count,
            licenses,
            now,
        )?;
    }

    NewActivity::new("customer.created", "customer", Some(customer_id))
        .by(placed_by, Some(provider.get()))
        .provider(Some(provider.get()))
        .reseller(reseller_id)
        .customer(Some(customer_id))
        .change(None, Some(format!("{company} ({domain}.{suffix})")))
        .record(conn)?;
    NewActivity::new("order.placed", "order", Some(placed.id))
        .by(placed_by, Some(provider.get()))
        .provider(Some(provider.get()))
        .reseller(reseller_id)
        .customer(Some(customer_id))
        .change(
            None,
            Some(format!(
                "{} {}",
                placed.reference(),
                Tr::default().money(placed.total, currency)
            )),
        )
        .record(conn)?;

    if let Some(reseller_id) = reseller_id {
        crate::services::grants::for_reseller_in(
            conn,
            &crate::services::grants::ForReseller {
                provider,
                provider_name: provider_name.to_owned(),
                user_id: placed_by,
                customer_id,
                reseller_id,
                agreed: account.customer_agreed,
                now,
                base_url: base_url.to_owned(),
            },
        )?;
        for to in User::of_partner(conn, reseller_id)? {
            let message = CustomerAddedForReseller {
                tr: Tr(to.locale.unwrap_or_default()),
                name: to.display_name.clone(),
                provider: provider_name.to_owned(),
                company: company.to_owned(),
                domain: format!("{domain}.{suffix}"),
            };
            email::queue(conn, &to.email, &message)?;
        }
    }
    if let Some((draft_id, sealed)) = draft {
        Draft::set_result(conn, draft_id, customer_id, Some(sealed))?;
    }
    if held {
        crate::services::credit::held(conn, placed.id, base_url)?;
    }
    Ok(PlacedCustomer {
        customer_id,
        order: placed,
        held,
    })
}

/// What a held new-customer order keeps per line for its approval.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Default)]
struct HeldLine {
    auto_renew: bool,
    month_end: bool,
}

/// The lines' subscriptions, bought at `now`, and their order lines (each pointing at its
/// subscription): the first charge of each, prorated when aligned with a month's end.
fn subscribe(
    conn: &mut DbConnection,
    provider: ProviderId,
    customer_id: i64,
    reseller_id: Option<i64>,
    lines: &[Line],
    now: chrono::NaiveDateTime,
) -> Result<Vec<NewLine>, DbError> {
    let mut order_lines = Vec::with_capacity(lines.len());
    let book = PriceBook::load(conn, provider.get(), reseller_id)?;
    for line in lines {
        let (ends_at, _, period) = line.first_term(now);
        let plan = (line.offer.id, line.plan.term, line.plan.billing);
        let unit = book.unit(
            conn,
            line.unit_cost_minor,
            line.unit_price_minor,
            plan,
            customer_id,
        )?;
        let amount = unit.map(|u| line.first_term_at(now, u).1);
        let subscription_id = Subscription::create(
            conn,
            &NewSubscription {
                provider_id: provider.get(),
                customer_id,
                offer_id: line.offer.id,
                quantity: line.quantity,
                reseller_of_record_id: reseller_id,
                support_contact_id: provider.get(),
                term: line.plan.term,
                billing: line.plan.billing,
                auto_renew: line.auto_renew,
                term_start: now,
                ends_at,
                unit_price_minor: line.unit_price_minor,
                unit_cost_minor: line.unit_cost_minor,
            },
        )?;
        order_lines.push(NewLine {
            offer_id: line.offer.id,
            subscription_id: Some(subscription_id),
            quantity: line.quantity,
            previous_quantity: None,
            unit,
            amount,
            period: Some(period),
            term: Some(line.plan.term),
            billing: Some(line.plan.billing),
        });
    }
    Ok(order_lines)
}

/// Provisions an approved new-customer order as of `now`: its subscriptions start then, the order's
/// lines are charged from then; the counters count them.
pub fn provision_approved(
    conn: &mut DbConnection,
    order: &Order,
    stored: &[crate::db::models::order::OrderLine],
    now: chrono::NaiveDateTime,
) -> Result<(), DbError> {
    let choices: Vec<HeldLine> = order
        .review_payload
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or_default();
    let mut lines = Vec::with_capacity(stored.len());
    for (i, l) in stored.iter().enumerate() {
        let choice = choices.get(i).copied().unwrap_or(HeldLine {
            auto_renew: true,
            month_end: false,
        });
        lines.push(Line {
            offer: Offer::find(conn, l.offer_id)?,
            quantity: l.quantity,
            plan: Plan::new(
                l.term.unwrap_or(crate::domain::Term::Month),
                l.billing.unwrap_or(crate::domain::Billing::Monthly),
            ),
            unit_price_minor: l.unit_price_minor,
            unit_cost_minor: l.unit_cost_minor,
            auto_renew: choice.auto_renew,
            month_end: choice.month_end,
        });
    }
    #[expect(
        clippy::disallowed_methods,
        reason = "the provider of an order the review found in the provider's scope"
    )]
    let provider = ProviderId::established(order.provider_id);
    let order_lines = subscribe(
        conn,
        provider,
        order.customer_id,
        order.reseller_id,
        &lines,
        now,
    )?;
    Order::settle(conn, order, &order_lines, now)?;
    for line in &lines {
        counters::subscription_added(
            conn,
            provider,
            order.customer_id,
            order.reseller_id,
            i64::from(line.quantity),
        )?;
    }
    Ok(())
}

/// The domain (or its admin address) was taken between the check and the insert.
fn unique_is_domain(err: diesel::result::Error) -> PlaceError {
    match DbError::from(err) {
        DbError::UniqueViolation => PlaceError::DomainTaken,
        other => PlaceError::Db(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Billing;

    fn offer(id: i64, min: i32, max: i32, price: i64) -> Offer {
        let at = chrono::Utc::now().naive_utc();
        Offer {
            id,
            sku: format!("S{id}"),
            name: format!("Offer {id}"),
            description: String::new(),
            unit_price_minor: price,
            currency: "USD".into(),
            billing: Billing::Monthly,
            min_licenses: min,
            max_licenses: max,
            retired_at: None,
            created_at: at,
            updated_at: at,
            family: String::new(),
            name_zh_tw: String::new(),
            description_zh_tw: String::new(),
        }
    }

    fn monthly(offers: &[Offer]) -> Vec<OfferPrice> {
        offers
            .iter()
            .map(|o| OfferPrice {
                offer_id: o.id,
                term: crate::domain::Term::Month,
                billing: Billing::Monthly,
                unit_price_minor: o.unit_price_minor,
                unit_cost_minor: o.unit_price_minor,
            })
            .collect()
    }

    #[test]
    fn lines_are_checked_against_each_offers_limits() {
        let offers = vec![offer(1, 1, 300, 600), offer(2, 5, 10, 1000)];
        let prices = monthly(&offers);
        let none = BTreeMap::new();
        let no_ids = BTreeSet::new();
        let check = |pairs: &[(i64, &str)], plans: &BTreeMap<i64, String>| {
            let q: BTreeMap<i64, String> =
                pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
            check_lines(
                &offers,
                &prices,
                Choices {
                    quantities: &q,
                    plans,
                    no_auto_renew: &no_ids,
                    month_end: &no_ids,
                },
            )
        };
        let (errors, lines) = check(&[(1, "10"), (2, "")], &none);
        assert!(errors.is_empty());
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].total_minor(), 6000);
        assert!(lines[0].auto_renew);
        let (errors, _) = check(&[(1, ""), (2, "")], &none);
        assert_eq!(errors.get("lines"), Some("wizard.no_lines"));
        let (errors, _) = check(&[(2, "4")], &none);
        assert_eq!(errors.get("qty_2"), Some("validation.quantity_below_min"));
        let (errors, _) = check(&[(2, "11")], &none);
        assert_eq!(errors.get("qty_2"), Some("validation.quantity_above_max"));
        let (errors, _) = check(&[(1, "x")], &none);
        assert_eq!(errors.get("qty_1"), Some("validation.quantity_number"));
        let (errors, _) = check(&[(3, "5")], &none);
        assert_eq!(errors.get("lines"), Some("wizard.offer_not_orderable"));
        // A plan the offer is not sold in.
        let annual: BTreeMap<i64, String> = [(1, "P1Y:annual".to_owned())].into();
        let (errors, _) = check(&[(1, "10")], &annual);
        assert_eq!(errors.get("plan_1"), Some("lifecycle.pair_not_sold"));
    }
}
