//! The vendor's offer catalog.

use diesel::prelude::*;

use crate::db::schema::{offer_prices, offer_upgrades, offers};
use crate::db::{DbConnection, new_id, now};
use crate::domain::{Billing, Term};
use crate::pagination::{Page, Seek};

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = offers)]
pub struct Offer {
    pub id: i64,
    pub sku: String,
    pub name: String,
    pub description: String,
    pub unit_price_minor: i64,
    pub currency: String,
    pub billing: Billing,
    pub min_licenses: i32,
    pub max_licenses: i32,
    pub retired_at: Option<chrono::NaiveDateTime>,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
    /// Offers of one family (for example "Microsoft 365") are upgraded within it.
    pub family: String,
    /// The name and description in Traditional Chinese; empty: the catalog's own are shown.
    pub name_zh_tw: String,
    pub description_zh_tw: String,
}

/// The price per license per billing period of one (term, billing) pair an offer is sold in. As
/// loaded both prices are the catalog's (the provider's cost); `services::pricing::price_plans` turns
/// `unit_price_minor` into what the provider charges a reseller or a direct customer.
#[derive(Queryable, Selectable, Clone, Copy, Debug, PartialEq, Eq)]
#[diesel(table_name = offer_prices)]
pub struct OfferPrice {
    pub offer_id: i64,
    pub term: Term,
    pub billing: Billing,
    pub unit_price_minor: i64,
    #[diesel(select_expression = offer_prices::unit_price_minor)]
    #[diesel(select_expression_type = offer_prices::unit_price_minor)]
    pub unit_cost_minor: i64,
}

pub struct NewOffer<'a> {
    pub sku: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub unit_price_minor: i64,
    pub currency: &'a str,
    pub billing: Billing,
    pub min_licenses: i32,
    pub max_licenses: i32,
    pub family: &'a str,
}

impl Offer {
    /// Adds an offer, sold as `unit_price_minor` says: a month billed monthly and a year billed
    /// monthly or annually (`set_prices` changes that).
    pub fn create(conn: &mut DbConnection, new: NewOffer<'_>) -> QueryResult<i64> {
        let id = new_id();
        let at = now();
        diesel::insert_into(offers::table)
            .values((
                offers::id.eq(id),
                offers::sku.eq(new.sku),
                offers::name.eq(new.name),
                offers::description.eq(new.description),
                offers::unit_price_minor.eq(new.unit_price_minor),
                offers::currency.eq(new.currency),
                offers::billing.eq(new.billing),
                offers::min_licenses.eq(new.min_licenses),
                offers::max_licenses.eq(new.max_licenses),
                offers::created_at.eq(at),
                offers::updated_at.eq(at),
                offers::family.eq(new.family),
            ))
            .execute(conn)?;
        let (monthly, annual) = match new.billing {
            Billing::Annual => ((new.unit_price_minor + 6) / 12, new.unit_price_minor),
            _ => (new.unit_price_minor, new.unit_price_minor * 12),
        };
        Self::set_prices(
            conn,
            id,
            &[
                (Term::Month, Billing::Monthly, monthly),
                (Term::Year, Billing::Monthly, monthly),
                (Term::Year, Billing::Annual, annual),
            ],
        )?;
        Ok(id)
    }

    /// Replaces the offer's prices: the (term, billing) pairs it is sold in, each with its price.
    pub fn set_prices(
        conn: &mut DbConnection,
        id: i64,
        prices: &[(Term, Billing, i64)],
    ) -> QueryResult<()> {
        diesel::delete(offer_prices::table.filter(offer_prices::offer_id.eq(id))).execute(conn)?;
        for (term, billing, price) in prices {
            diesel::insert_into(offer_prices::table)
                .values((
                    offer_prices::offer_id.eq(id),
                    offer_prices::term.eq(term),
                    offer_prices::billing.eq(billing),
                    offer_prices::unit_price_minor.eq(price),
                ))
                .execute(conn)?;
        }
        Ok(())
    }

    /// The prices of these offers, in the order of `lifecycle::PAIRS` within each offer.
    pub fn prices_of(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<OfferPrice>> {
        let mut rows: Vec<OfferPrice> = offer_prices::table
            .filter(offer_prices::offer_id.eq_any(ids))
            .select(OfferPrice::as_select())
            .load(conn)?;
        let rank = |p: &OfferPrice| {
            crate::domain::lifecycle::PAIRS
                .iter()
                .position(|pair| *pair == (p.term, p.billing))
        };
        rows.sort_by_key(|p| (p.offer_id, rank(p)));
        Ok(rows)
    }

    /// The price of one pair, if the offer is sold so.
    pub fn price(
        conn: &mut DbConnection,
        id: i64,
        term: Term,
        billing: Billing,
    ) -> QueryResult<Option<i64>> {
        offer_prices::table
            .find((id, term, billing))
            .select(offer_prices::unit_price_minor)
            .first(conn)
            .optional()
    }

    /// The offers this one may be upgraded to (orderable ones), by name.
    pub fn upgrades(conn: &mut DbConnection, id: i64) -> QueryResult<Vec<Offer>> {
        offers::table
            .inner_join(offer_upgrades::table.on(offer_upgrades::target_offer_id.eq(offers::id)))
            .filter(offer_upgrades::offer_id.eq(id))
            .filter(offers::retired_at.is_null())
            .order((offers::name.asc(), offers::id.asc()))
            .select(Offer::as_select())
            .load(conn)
    }

    /// The ids of the offers this one may be upgraded to (retired ones too: the console's form).
    pub fn upgrade_ids(conn: &mut DbConnection, id: i64) -> QueryResult<Vec<i64>> {
        offer_upgrades::table
            .filter(offer_upgrades::offer_id.eq(id))
            .order(offer_upgrades::target_offer_id.asc())
            .select(offer_upgrades::target_offer_id)
            .load(conn)
    }

    pub fn set_upgrades(conn: &mut DbConnection, id: i64, targets: &[i64]) -> QueryResult<()> {
        diesel::delete(offer_upgrades::table.filter(offer_upgrades::offer_id.eq(id)))
            .execute(conn)?;
        for target in targets.iter().filter(|t| **t != id) {
            diesel::insert_into(offer_upgrades::table)
                .values((
                    offer_upgrades::offer_id.eq(id),
                    offer_upgrades::target_offer_id.eq(target),
                ))
                .execute(conn)?;
        }
        Ok(())
    }

    /// Offers that can be ordered, in catalog order.
    pub fn orderable(conn: &mut DbConnection) -> QueryResult<Vec<Offer>> {
        offers::table
            .filter(offers::retired_at.is_null())
            .order((offers::name.asc(), offers::id.asc()))
            .select(Offer::as_select())
            .load(conn)
    }

    /// Whether an offer (other than `except`) is in another currency than `currency`.
    pub fn currencies_other_than(
        conn: &mut DbConnection,
        currency: &str,
        except: Option<i64>,
    ) -> QueryResult<bool> {
        let mut query = offers::table
            .filter(offers::currency.ne(currency.to_owned()))
            .select(offers::id)
            .into_boxed();
        if let Some(id) = except {
            query = query.filter(offers::id.ne(id));
        }
        Ok(query.first::<i64>(conn).optional()?.is_some())
    }

    /// The catalog's currency (one for all its offers; USD for an empty catalog).
    pub fn catalog_currency(conn: &mut DbConnection) -> QueryResult<String> {
        Ok(offers::table
            .order(offers::id.asc())
            .select(offers::currency)
            .first::<String>(conn)
            .optional()?
            .unwrap_or_else(|| "USD".to_owned()))
    }

    pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
        offers::table.count().get_result(conn)
    }

    /// These offers, if each can still be ordered; missing or retired ones are left out.
    pub fn orderable_by_ids(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<Offer>> {
        offers::table
            .filter(offers::id.eq_any(ids))
            .filter(offers::retired_at.is_null())
            .select(Offer::as_select())
            .load(conn)
    }

    pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Offer> {
        offers::table
            .find(id)
            .select(Offer::as_select())
            .first(conn)
    }

    /// The whole catalog, retired offers included, by name, a page at a time (the console).
    pub fn page(
        conn: &mut DbConnection,
        seek: &Seek<(String, i64)>,
        per_page: usize,
    ) -> QueryResult<Page<Offer>> {
        let mut query = offers::table
            .select(Offer::as_select())
            .limit(crate::pagination::fetch_limit(per_page))
            .into_boxed();
        query = crate::by_name!(query, offers::name, offers::id, seek);
        let rows = query.load(conn)?;
        Ok(Page::from_rows(rows, seek, per_page, |o: &Offer| {
            (o.name.clone(), o.id)
        }))
    }

    /// Whether another offer has this SKU.
    pub fn sku_taken(conn: &mut DbConnection, sku: &str, except: Option<i64>) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            offers::table
                .filter(offers::sku.eq(sku))
                .filter(offers::id.ne(except.unwrap_or(0))),
        ))
        .get_result(conn)
    }

    /// Changes an offer (its SKU stays). Orders keep the price they were placed at (it is on their
    /// lines); new orders use the new one.
    pub fn update(conn: &mut DbConnection, id: i64, new: NewOffer<'_>) -> QueryResult<bool> {
        diesel::update(offers::table.find(id))
            .set((
                offers::name.eq(new.name),
                offers::description.eq(new.description),
                offers::unit_price_minor.eq(new.unit_price_minor),
                offers::currency.eq(new.currency),
                offers::billing.eq(new.billing),
                offers::min_licenses.eq(new.min_licenses),
                offers::max_licenses.eq(new.max_licenses),
                offers::family.eq(new.family),
                offers::updated_at.eq(now()),
            ))
            .execute(conn)
            .map(|n| n == 1)
    }

    /// The offer's name and description in Traditional Chinese (empty: none).
    pub fn set_translation(
        conn: &mut DbConnection,
        id: i64,
        (name, description): (&str, &str),
    ) -> QueryResult<()> {
        diesel::update(offers::table.find(id))
            .set((
                offers::name_zh_tw.eq(name),
                offers::description_zh_tw.eq(description),
            ))
            .execute(conn)
            .map(|_| ())
    }

    /// Every offer's names in Traditional Chinese, by its catalog name (those that have one).
    pub fn translations(conn: &mut DbConnection) -> QueryResult<Vec<(String, String, String)>> {
        offers::table
            .filter(offers::name_zh_tw.ne(""))
            .select((offers::name, offers::name_zh_tw, offers::description_zh_tw))
            .load(conn)
    }

    /// Retires an offer (no new orders; existing subscriptions keep it), or brings it back; false when it
    /// was already so.
    pub fn set_retired(conn: &mut DbConnection, id: i64, retired: bool) -> QueryResult<bool> {
        let at = now();
        let target = offers::table.filter(offers::id.eq(id));
        let changed = if retired {
            diesel::update(target.filter(offers::retired_at.is_null()))
                .set((offers::retired_at.eq(Some(at)), offers::updated_at.eq(at)))
                .execute(conn)?
        } else {
            diesel::update(target.filter(offers::retired_at.is_not_null()))
                .set((
                    offers::retired_at.eq(None::<chrono::NaiveDateTime>),
                    offers::updated_at.eq(at),
                ))
                .execute(conn)?
        };
        Ok(changed == 1)
    }

    pub fn is_retired(&self) -> bool {
        self.retired_at.is_some()
    }

    /// The locale key of the billing frequency.
    pub fn billing_key(&self) -> &'static str {
        self.billing.label_key()
    }
}
