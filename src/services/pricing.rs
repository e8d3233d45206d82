//! What a line costs and what it is charged (SPEC.md §2.11): the catalog's price is the provider's
//! cost; the provider's price list makes the reseller price (or a direct customer's); the reseller's
//! sale price, where it recorded one, is what it bills its customer. Every order line keeps all three
//! as they were (`domain::pricing::Prices`).

use chrono::NaiveDateTime;

use crate::db::DbConnection;
use crate::db::models::offer::{Offer, OfferPrice};
use crate::db::models::price::{rules_for, sale_price};
use crate::domain::pricing::{Prices, Rule, Source, resolve};
use crate::domain::{Billing, Term};

/// Whose prices: the provider, and the reseller the customer belongs to (None: a direct customer).
#[derive(Clone, Debug)]
pub struct PriceBook {
    pub provider: i64,
    pub reseller: Option<i64>,
    rules: Vec<Rule>,
}

impl PriceBook {
    /// The provider's rules that apply to `reseller`'s customers (or its direct customers).
    pub fn load(
        conn: &mut DbConnection,
        provider: i64,
        reseller: Option<i64>,
    ) -> diesel::QueryResult<Self> {
        Ok(Self {
            provider,
            reseller,
            rules: rules_for(conn, provider, reseller)?,
        })
    }

    /// The same from every rule of the provider's price list, read once (`rules_of_provider`).
    pub fn from_rules(
        provider: i64,
        reseller: Option<i64>,
        all: &[(crate::domain::Audience, Rule)],
    ) -> Self {
        let audience = if reseller.is_some() {
            crate::domain::Audience::Reseller
        } else {
            crate::domain::Audience::Customer
        };
        let rules = all
            .iter()
            .filter(|(a, r)| {
                *a == audience && (r.reseller_id.is_none() || r.reseller_id == reseller)
            })
            .map(|(_, r)| r.clone())
            .collect();
        Self {
            provider,
            reseller,
            rules,
        }
    }

    /// What the provider charges per license for `offer` in this plan at `at`, from its cost.
    pub fn price(
        &self,
        cost: i64,
        offer: (i64, Term, Billing),
        at: NaiveDateTime,
    ) -> (i64, Source) {
        resolve(cost, &self.rules, self.reseller, offer, at)
    }

    /// The catalog prices as charged: each `unit_price_minor` becomes this book's price at `at`
    /// (`unit_cost_minor` keeps the cost).
    pub fn price_plans(&self, prices: &mut [OfferPrice], at: NaiveDateTime) {
        for p in prices {
            p.unit_price_minor = self
                .price(p.unit_cost_minor, (p.offer_id, p.term, p.billing), at)
                .0;
        }
    }

    /// A line's unit prices: `cost` and what it is charged, with the reseller's sale price for
    /// `customer` where it recorded one.
    pub fn unit(
        &self,
        conn: &mut DbConnection,
        cost: i64,
        price: i64,
        offer: (i64, Term, Billing),
        customer: i64,
    ) -> diesel::QueryResult<Prices> {
        let sale = match self.reseller {
            Some(r) => sale_price(conn, r, self.provider, offer, customer)?,
            None => None,
        };
        Ok(Prices { cost, price, sale })
    }

    /// The unit prices of a new term bought (or renewed) at `at`: the catalog's cost, this book's
    /// price and the sale price. None when the offer is not sold in the plan.
    pub fn quote(
        &self,
        conn: &mut DbConnection,
        offer: (i64, Term, Billing),
        customer: i64,
        at: NaiveDateTime,
    ) -> diesel::QueryResult<Option<Prices>> {
        let Some(cost) = Offer::price(conn, offer.0, offer.1, offer.2)? else {
            return Ok(None);
        };
        let sale = match self.reseller {
            Some(r) => sale_price(conn, r, self.provider, offer, customer)?,
            None => None,
        };
        Ok(Some(self.priced(cost, offer, at, sale)))
    }

    /// A new term's unit prices from the catalog's `cost` and the reseller's `sale` price (looked
    /// up by the caller): what this book charges at `at`.
    pub fn priced(
        &self,
        cost: i64,
        offer: (i64, Term, Billing),
        at: NaiveDateTime,
        sale: Option<i64>,
    ) -> Prices {
        let (price, _) = self.price(cost, offer, at);
        Prices { cost, price, sale }
    }
}
