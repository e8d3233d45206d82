//! Recurring charges (SPEC.md §2.10–2.11): a term billed monthly (or yearly over three years) is
//! charged one billing period at a time, as each period starts — the purchase or renewal charged the
//! first. Each charge is an order of kind recurring with the period on its line, at the term's cost and
//! price and the reseller's sale price now. Suspended subscriptions are charged too (billing
//! continues); cancelled and expired ones are not. The claim is the subscription's next charge date:
//! of two jobs at once, one moves it and charges.

use std::collections::HashMap;

use chrono::NaiveDateTime;

use crate::db::models::order::{NewLine, NewOrder, Order};
use crate::db::models::subscription::Subscription;
use crate::db::schema::offers;
use crate::db::{Db, DbConnection, DbError};
use crate::domain::OrderKind;
use crate::domain::lifecycle::{charge_to_period_end, next_charge};
use crate::domain::pricing::Prices;
use crate::services::pricing::PriceBook;
use crate::services::renewals::provider_agent;

/// Subscriptions charged per transaction.
const BATCH: i64 = 500;

/// Charges every billing period that has started by `now` (a late run catches up period by period);
/// how many periods it charged.
pub async fn charge_all(db: &Db, now: NaiveDateTime) -> Result<u64, DbError> {
    let mut charged = 0;
    loop {
        let (n, seen) = db.write(move |conn| charge_batch(conn, now)).await?;
        charged += n;
        // A late run's subscriptions may still be due for their next period: until none is left.
        if seen < BATCH && n == 0 {
            return Ok(charged);
        }
    }
}

/// The same inside the caller's transaction (the demo data).
pub fn charge_due_in(conn: &mut DbConnection, now: NaiveDateTime) -> Result<u64, DbError> {
    let mut charged = 0;
    loop {
        let (n, seen) = charge_batch(conn, now)?;
        charged += n;
        // A late run's subscriptions may still be due for their next period: until none is left.
        if seen < BATCH && n == 0 {
            return Ok(charged);
        }
    }
}

fn charge_batch(conn: &mut DbConnection, now: NaiveDateTime) -> Result<(u64, i64), DbError> {
    use diesel::prelude::*;
    let due = Subscription::charges_due(conn, now, BATCH)?;
    let seen = i64::try_from(due.len()).unwrap_or(BATCH);
    let mut agents = HashMap::new();
    let mut books: HashMap<(i64, Option<i64>), PriceBook> = HashMap::new();
    let mut currencies: HashMap<i64, String> = HashMap::new();
    let mut charged = 0;
    for sub in due {
        let Some(from) = sub.next_charge_at else {
            continue;
        };
        // Ended, or its term is over (the renewal charges the next one's first period).
        if !sub.status.is_live() || from >= sub.ends_at {
            Subscription::charged_to(conn, sub.id, from, None)?;
            continue;
        }
        let next = next_charge(sub.term_start, sub.ends_at, sub.term, sub.billing, from);
        if !Subscription::charged_to(conn, sub.id, from, next)? {
            continue;
        }
        let key = (sub.provider_id, sub.reseller_of_record_id);
        if let std::collections::hash_map::Entry::Vacant(slot) = books.entry(key) {
            slot.insert(PriceBook::load(conn, key.0, key.1)?);
        }
        let unit = books[&key].unit(
            conn,
            sub.unit_cost_minor,
            sub.unit_price_minor,
            (sub.offer_id, sub.term, sub.billing),
            sub.customer_id,
        )?;
        let charge = |u: i64| {
            charge_to_period_end(
                i64::from(sub.quantity),
                u,
                sub.term_start,
                sub.ends_at,
                sub.term,
                sub.billing,
                from,
            )
        };
        let period = charge(unit.price).1;
        let amount: Prices = unit.map(|u| charge(u).0);
        let currency = match currencies.get(&sub.offer_id) {
            Some(c) => c.clone(),
            None => {
                let c: String = offers::table
                    .find(sub.offer_id)
                    .select(offers::currency)
                    .first(conn)?;
                currencies.insert(sub.offer_id, c.clone());
                c
            }
        };
        let placed_by = provider_agent(conn, &mut agents, sub.provider_id)?;
        Order::create(
            conn,
            &NewOrder {
                provider_id: sub.provider_id,
                customer_id: sub.customer_id,
                reseller_id: sub.reseller_of_record_id,
                placed_by_user_id: placed_by,
                placed_by_partner_id: Some(sub.provider_id),
                kind: OrderKind::Recurring,
                currency: &currency,
                idempotency_key: None,
                // The day the period starts (a late run's charges keep their own days).
                at: from,
            },
            &[NewLine {
                offer_id: sub.offer_id,
                subscription_id: Some(sub.id),
                quantity: sub.quantity,
                previous_quantity: Some(sub.quantity),
                unit,
                amount,
                period: Some(period),
                term: Some(sub.term),
                billing: Some(sub.billing),
            }],
        )?;
        charged += 1;
    }
    Ok((charged, seen))
}
