//! A provider's price list (markups and overrides, each from its effective date) and its resellers'
//! sale prices. The precedence between them is `domain::pricing::resolve`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{offers, partners, price_rules, sale_prices};
use crate::db::{DbConnection, new_id};
use crate::domain::pricing::{Markup, Rule, RuleValue};
use crate::domain::{Audience, Billing, Term};

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = price_rules)]
pub struct PriceRule {
    pub id: i64,
    pub provider_id: i64,
    pub audience: Audience,
    pub reseller_id: Option<i64>,
    pub offer_id: Option<i64>,
    pub term: Option<Term>,
    pub billing: Option<Billing>,
    pub markup_bp: Option<i32>,
    pub price_minor: Option<i64>,
    pub effective_from: NaiveDateTime,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
}

impl PriceRule {
    pub fn value(&self) -> RuleValue {
        match (self.markup_bp.and_then(Markup::from_bp), self.price_minor) {
            (Some(m), _) => RuleValue::Markup(m),
            (None, Some(p)) => RuleValue::Fixed(p),
            (None, None) => RuleValue::Markup(Markup::default()),
        }
    }

    pub fn rule(&self) -> Rule {
        Rule {
            id: self.id,
            reseller_id: self.reseller_id,
            offer: match (self.offer_id, self.term, self.billing) {
                (Some(o), Some(t), Some(b)) => Some((o, t, b)),
                _ => None,
            },
            value: self.value(),
            effective_from: self.effective_from,
        }
    }
}

/// A rule with the names its list shows.
#[derive(Clone, Debug)]
pub struct RuleRow {
    pub rule: PriceRule,
    pub reseller_name: Option<String>,
    pub offer_name: Option<String>,
}

pub struct NewRule {
    pub provider_id: i64,
    pub audience: Audience,
    pub reseller_id: Option<i64>,
    pub offer: Option<(i64, Term, Billing)>,
    pub value: RuleValue,
    pub effective_from: NaiveDateTime,
    pub created_by: i64,
    pub at: NaiveDateTime,
}

/// The rules that may price for `reseller` (its own and the defaults; None: the direct customers').
pub fn rules_for(
    conn: &mut DbConnection,
    provider_id: i64,
    reseller: Option<i64>,
) -> QueryResult<Vec<Rule>> {
    let audience = if reseller.is_some() {
        Audience::Reseller
    } else {
        Audience::Customer
    };
    let mut query = price_rules::table
        .filter(price_rules::provider_id.eq(provider_id))
        .filter(price_rules::audience.eq(audience))
        .into_boxed();
    query = match reseller {
        Some(r) => query.filter(
            price_rules::reseller_id
                .is_null()
                .or(price_rules::reseller_id.eq(r)),
        ),
        None => query.filter(price_rules::reseller_id.is_null()),
    };
    let rows: Vec<PriceRule> = query.select(PriceRule::as_select()).load(conn)?;
    Ok(rows.iter().map(PriceRule::rule).collect())
}

/// Every rule of the provider's price list with its audience (a job prices many resellers' customers
/// from one read).
pub fn rules_of_provider(
    conn: &mut DbConnection,
    provider_id: i64,
) -> QueryResult<Vec<(Audience, Rule)>> {
    let rows: Vec<PriceRule> = price_rules::table
        .filter(price_rules::provider_id.eq(provider_id))
        .select(PriceRule::as_select())
        .load(conn)?;
    Ok(rows.iter().map(|r| (r.audience, r.rule())).collect())
}

/// Every rule of the provider's price list, the latest effective first, at most `limit`.
pub fn list(conn: &mut DbConnection, provider_id: i64, limit: i64) -> QueryResult<Vec<RuleRow>> {
    let rows: Vec<(PriceRule, Option<String>, Option<String>)> = price_rules::table
        .left_join(partners::table.on(partners::id.nullable().eq(price_rules::reseller_id)))
        .left_join(offers::table)
        .filter(price_rules::provider_id.eq(provider_id))
        .order((price_rules::effective_from.desc(), price_rules::id.desc()))
        .limit(limit)
        .select((
            PriceRule::as_select(),
            partners::name.nullable(),
            offers::name.nullable(),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(rule, reseller_name, offer_name)| RuleRow {
            rule,
            reseller_name,
            offer_name,
        })
        .collect())
}

pub fn add(conn: &mut DbConnection, new: &NewRule) -> QueryResult<i64> {
    let id = new_id();
    let (markup, price) = match new.value {
        RuleValue::Markup(m) => (Some(m.bp()), None),
        RuleValue::Fixed(p) => (None, Some(p)),
    };
    diesel::insert_into(price_rules::table)
        .values((
            price_rules::id.eq(id),
            price_rules::provider_id.eq(new.provider_id),
            price_rules::audience.eq(new.audience),
            price_rules::reseller_id.eq(new.reseller_id),
            price_rules::offer_id.eq(new.offer.map(|o| o.0)),
            price_rules::term.eq(new.offer.map(|o| o.1)),
            price_rules::billing.eq(new.offer.map(|o| o.2)),
            price_rules::markup_bp.eq(markup),
            price_rules::price_minor.eq(price),
            price_rules::effective_from.eq(new.effective_from),
            price_rules::created_by.eq(new.created_by),
            price_rules::created_at.eq(new.at),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Removes one of the provider's rules; false when it has none by that id.
pub fn remove(
    conn: &mut DbConnection,
    provider_id: i64,
    id: i64,
) -> QueryResult<Option<PriceRule>> {
    let rule = price_rules::table
        .filter(price_rules::id.eq(id))
        .filter(price_rules::provider_id.eq(provider_id))
        .select(PriceRule::as_select())
        .first(conn)
        .optional()?;
    if rule.is_some() {
        diesel::delete(price_rules::table.find(id)).execute(conn)?;
    }
    Ok(rule)
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = sale_prices)]
pub struct SalePrice {
    pub id: i64,
    pub reseller_id: i64,
    pub provider_id: i64,
    pub offer_id: i64,
    pub term: Term,
    pub billing: Billing,
    /// 0: every customer.
    pub customer_id: i64,
    pub price_minor: i64,
    pub updated_at: NaiveDateTime,
}

/// The reseller's sale price for the offer and plan: for this customer where it set one, else for
/// every customer.
pub fn sale_price(
    conn: &mut DbConnection,
    reseller: i64,
    provider: i64,
    (offer, term, billing): (i64, Term, Billing),
    customer: i64,
) -> QueryResult<Option<i64>> {
    let rows: Vec<(i64, i64)> = sale_prices::table
        .filter(sale_prices::reseller_id.eq(reseller))
        .filter(sale_prices::provider_id.eq(provider))
        .filter(sale_prices::offer_id.eq(offer))
        .filter(sale_prices::term.eq(term))
        .filter(sale_prices::billing.eq(billing))
        .filter(sale_prices::customer_id.eq_any([0, customer]))
        .select((sale_prices::customer_id, sale_prices::price_minor))
        .load(conn)?;
    Ok(rows.iter().max_by_key(|(c, _)| *c).map(|(_, price)| *price))
}

/// The sale prices these resellers recorded with these providers for every customer or for one of
/// `customers` (a job's batch, in one read).
pub fn sale_prices_for(
    conn: &mut DbConnection,
    providers: &[i64],
    resellers: &[i64],
    customers: &[i64],
) -> QueryResult<Vec<SalePrice>> {
    if resellers.is_empty() {
        return Ok(Vec::new());
    }
    let mut of: Vec<i64> = Vec::with_capacity(customers.len() + 1);
    of.push(0);
    of.extend_from_slice(customers);
    sale_prices::table
        .filter(sale_prices::provider_id.eq_any(providers))
        .filter(sale_prices::reseller_id.eq_any(resellers))
        .filter(sale_prices::customer_id.eq_any(of))
        .select(SalePrice::as_select())
        .load(conn)
}

/// The reseller's sale prices with this provider.
pub fn sale_prices_of(
    conn: &mut DbConnection,
    reseller: i64,
    provider: i64,
) -> QueryResult<Vec<SalePrice>> {
    sale_prices::table
        .filter(sale_prices::reseller_id.eq(reseller))
        .filter(sale_prices::provider_id.eq(provider))
        .order((sale_prices::offer_id, sale_prices::customer_id))
        .select(SalePrice::as_select())
        .load(conn)
}

/// Records (or, with None, removes) a sale price.
pub fn set_sale_price(
    conn: &mut DbConnection,
    (reseller, provider): (i64, i64),
    (offer, term, billing): (i64, Term, Billing),
    customer: i64,
    price: Option<i64>,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(
        sale_prices::table
            .filter(sale_prices::reseller_id.eq(reseller))
            .filter(sale_prices::provider_id.eq(provider))
            .filter(sale_prices::offer_id.eq(offer))
            .filter(sale_prices::term.eq(term))
            .filter(sale_prices::billing.eq(billing))
            .filter(sale_prices::customer_id.eq(customer)),
    )
    .execute(conn)?;
    if let Some(price) = price {
        diesel::insert_into(sale_prices::table)
            .values((
                sale_prices::id.eq(new_id()),
                sale_prices::reseller_id.eq(reseller),
                sale_prices::provider_id.eq(provider),
                sale_prices::offer_id.eq(offer),
                sale_prices::term.eq(term),
                sale_prices::billing.eq(billing),
                sale_prices::customer_id.eq(customer),
                sale_prices::price_minor.eq(price),
                sale_prices::updated_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}
