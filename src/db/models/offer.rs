//! The vendor's offer catalog.

use diesel::prelude::*;

use crate::db::schema::offers;
use crate::db::{DbConnection, new_id, now};
use crate::domain::Billing;
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
}

impl Offer {
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
            ))
            .execute(conn)?;
        Ok(id)
    }

    /// Offers that can be ordered, in catalog order.
    pub fn orderable(conn: &mut DbConnection) -> QueryResult<Vec<Offer>> {
        offers::table
            .filter(offers::retired_at.is_null())
            .order((offers::name.asc(), offers::id.asc()))
            .select(Offer::as_select())
            .load(conn)
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
                offers::updated_at.eq(now()),
            ))
            .execute(conn)
            .map(|n| n == 1)
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
