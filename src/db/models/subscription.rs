//! Subscriptions: every one belongs to exactly one provider, with a reseller of record (incentives) and
//! a designated support contact (the provider or one of its partnered resellers).

use diesel::prelude::*;

use crate::auth::ProviderId;
use crate::db::schema::{offers, subscriptions};
use crate::db::{DbConnection, new_id, now};

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = subscriptions)]
pub struct Subscription {
    pub id: i64,
    pub provider_id: i64,
    pub customer_id: i64,
    pub offer_id: i64,
    pub quantity: i32,
    pub status: String,
    pub reseller_of_record_id: Option<i64>,
    pub support_contact_id: i64,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

/// A subscription with its offer's name, for lists.
#[derive(Clone, Debug)]
pub struct SubscriptionSummary {
    pub subscription: Subscription,
    pub offer_name: String,
    pub billing: String,
}

pub struct NewSubscription {
    pub provider_id: i64,
    pub customer_id: i64,
    pub offer_id: i64,
    pub quantity: i32,
    pub reseller_of_record_id: Option<i64>,
    pub support_contact_id: i64,
}

impl Subscription {
    pub fn create(conn: &mut DbConnection, new: &NewSubscription) -> QueryResult<i64> {
        let id = new_id();
        let at = now();
        diesel::insert_into(subscriptions::table)
            .values((
                subscriptions::id.eq(id),
                subscriptions::provider_id.eq(new.provider_id),
                subscriptions::customer_id.eq(new.customer_id),
                subscriptions::offer_id.eq(new.offer_id),
                subscriptions::quantity.eq(new.quantity),
                subscriptions::status.eq("active"),
                subscriptions::reseller_of_record_id.eq(new.reseller_of_record_id),
                subscriptions::support_contact_id.eq(new.support_contact_id),
                subscriptions::created_at.eq(at),
                subscriptions::updated_at.eq(at),
            ))
            .execute(conn)?;
        Ok(id)
    }

    /// This provider's subscriptions of the given customers (one query for a whole page of customers).
    pub fn summaries_for(
        conn: &mut DbConnection,
        provider: ProviderId,
        customer_ids: &[i64],
    ) -> QueryResult<Vec<SubscriptionSummary>> {
        if customer_ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(Subscription, String, String)> = subscriptions::table
            .inner_join(offers::table)
            .filter(subscriptions::provider_id.eq(provider.get()))
            .filter(subscriptions::customer_id.eq_any(customer_ids))
            .order((subscriptions::customer_id.asc(), subscriptions::id.asc()))
            .select((Subscription::as_select(), offers::name, offers::billing))
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(|(subscription, offer_name, billing)| SubscriptionSummary {
                subscription,
                offer_name,
                billing,
            })
            .collect())
    }
}
