//! What waits for a subscription's renewal: changes scheduled for it, the reminders sent before it,
//! and the Renewals list (subscriptions by end date).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{
    customers, offers, partners, renewal_reminders, scheduled_changes, subscriptions,
};
use crate::db::{DbConnection, new_id};
use crate::domain::{Billing, SubscriptionStatus, Term};
use crate::pagination::{Page, Seek};

pub const SCHEDULED: &str = "scheduled";
pub const APPLIED: &str = "applied";
pub const CANCELLED: &str = "cancelled";

/// A change that waits for the renewal; each field set is what changes.
#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = scheduled_changes)]
pub struct ScheduledChange {
    pub id: i64,
    pub subscription_id: i64,
    pub quantity: Option<i32>,
    pub term: Option<Term>,
    pub billing: Option<Billing>,
    pub offer_id: Option<i64>,
    pub status: String,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub applies_at: NaiveDateTime,
    pub done_at: Option<NaiveDateTime>,
}

pub use crate::domain::lifecycle::ChangeSpec;

impl ScheduledChange {
    pub fn spec(&self) -> ChangeSpec {
        ChangeSpec {
            quantity: self.quantity,
            term: self.term,
            billing: self.billing,
            offer_id: self.offer_id,
        }
    }

    /// The subscription's open scheduled change, if any.
    pub fn open_for(conn: &mut DbConnection, subscription: i64) -> QueryResult<Option<Self>> {
        scheduled_changes::table
            .filter(scheduled_changes::subscription_id.eq(subscription))
            .filter(scheduled_changes::status.eq(SCHEDULED))
            .order(scheduled_changes::id.desc())
            .select(Self::as_select())
            .first(conn)
            .optional()
    }

    /// The open scheduled changes of these subscriptions (one query for a list).
    pub fn open_for_all(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<Self>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        scheduled_changes::table
            .filter(scheduled_changes::subscription_id.eq_any(ids))
            .filter(scheduled_changes::status.eq(SCHEDULED))
            .select(Self::as_select())
            .load(conn)
    }

    /// Schedules `spec` for the renewal at `applies_at`, replacing an open one; the new id.
    pub fn schedule(
        conn: &mut DbConnection,
        subscription: i64,
        spec: &ChangeSpec,
        user: i64,
        at: NaiveDateTime,
        applies_at: NaiveDateTime,
    ) -> QueryResult<i64> {
        Self::finish_open(conn, subscription, CANCELLED, at)?;
        let id = new_id();
        diesel::insert_into(scheduled_changes::table)
            .values((
                scheduled_changes::id.eq(id),
                scheduled_changes::subscription_id.eq(subscription),
                scheduled_changes::quantity.eq(spec.quantity),
                scheduled_changes::term.eq(spec.term),
                scheduled_changes::billing.eq(spec.billing),
                scheduled_changes::offer_id.eq(spec.offer_id),
                scheduled_changes::status.eq(SCHEDULED),
                scheduled_changes::created_by.eq(user),
                scheduled_changes::created_at.eq(at),
                scheduled_changes::applies_at.eq(applies_at),
            ))
            .execute(conn)?;
        Ok(id)
    }

    /// Marks the open change (if any) applied or cancelled; how many were.
    pub fn finish_open(
        conn: &mut DbConnection,
        subscription: i64,
        status: &'static str,
        at: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::update(
            scheduled_changes::table
                .filter(scheduled_changes::subscription_id.eq(subscription))
                .filter(scheduled_changes::status.eq(SCHEDULED)),
        )
        .set((
            scheduled_changes::status.eq(status),
            scheduled_changes::done_at.eq(Some(at)),
        ))
        .execute(conn)
    }
}

/// Records that the reminder `days` before `ends_at` is being sent; false when it already was (the
/// primary key is the claim: two jobs at once send one).
pub fn claim_reminder(
    conn: &mut DbConnection,
    subscription: i64,
    ends_at: NaiveDateTime,
    days: i32,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let row = (
        renewal_reminders::subscription_id.eq(subscription),
        renewal_reminders::ends_at.eq(ends_at),
        renewal_reminders::days.eq(days),
        renewal_reminders::sent_at.eq(at),
    );
    let n = match conn {
        DbConnection::Sqlite(c) => diesel::insert_or_ignore_into(renewal_reminders::table)
            .values(row)
            .execute(c)?,
        DbConnection::Postgresql(c) => diesel::insert_into(renewal_reminders::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(c)?,
    };
    Ok(n == 1)
}

/// Running subscriptions of `term` ending in `(from, to]` that are not reminded of `days` yet, by end
/// date, a batch at a time from `since` (the last batch's last end: the ones at that instant already
/// reminded are left out by the claim): walks the (term, ends_at, id) index from there, so neither
/// the monthly terms (all ending within 30 days) nor the batches already done are read again.
pub fn to_remind(
    conn: &mut DbConnection,
    term: Term,
    from: NaiveDateTime,
    to: NaiveDateTime,
    days: i32,
    since: Option<NaiveDateTime>,
    limit: i64,
) -> QueryResult<Vec<crate::db::models::subscription::Subscription>> {
    use crate::db::models::subscription::Subscription;
    let (e, i) = (subscriptions::ends_at, subscriptions::id);
    let mut query = subscriptions::table
        .filter(subscriptions::term.eq(term))
        .filter(subscriptions::status.eq_any(SubscriptionStatus::LIVE))
        .filter(e.gt(from))
        .filter(e.le(to))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            renewal_reminders::table
                .filter(renewal_reminders::subscription_id.eq(subscriptions::id))
                .filter(renewal_reminders::ends_at.eq(subscriptions::ends_at))
                .filter(renewal_reminders::days.eq(days)),
        )))
        .order((e.asc(), i.asc()))
        .limit(limit)
        .select(Subscription::as_select())
        .into_boxed();
    if let Some(at) = since {
        query = query.filter(e.ge(at));
    }
    query.load(conn)
}

/// Whose renewals a list shows.
#[derive(Clone, Copy, Debug)]
pub enum RenewalScope {
    Provider(i64),
    /// A reseller's: where it is reseller of record.
    Reseller(i64),
}

/// A row of the Renewals page.
#[derive(Clone, Debug)]
pub struct RenewalRow {
    pub subscription: crate::db::models::subscription::Subscription,
    pub offer_name: String,
    pub customer_name: String,
    pub reseller_name: Option<String>,
    pub scheduled: Option<ScheduledChange>,
}

/// Running subscriptions ending in `[from, to)`, soonest first, a page at a time; `reseller` narrows a
/// provider's list to one reseller of record.
pub fn renewals_page(
    conn: &mut DbConnection,
    scope: RenewalScope,
    reseller: Option<i64>,
    from: NaiveDateTime,
    to: NaiveDateTime,
    seek: &Seek<(NaiveDateTime, i64)>,
    per_page: usize,
) -> QueryResult<Page<RenewalRow>> {
    use crate::db::models::subscription::Subscription;
    let mut query = subscriptions::table
        .inner_join(offers::table)
        .inner_join(customers::table)
        .left_join(
            partners::table.on(partners::id
                .nullable()
                .eq(subscriptions::reseller_of_record_id)),
        )
        .filter(subscriptions::status.eq_any(SubscriptionStatus::LIVE))
        .filter(subscriptions::ends_at.ge(from))
        .filter(subscriptions::ends_at.lt(to))
        .select((
            Subscription::as_select(),
            offers::name,
            customers::company_name,
            partners::name.nullable(),
        ))
        .limit(crate::pagination::fetch_limit(per_page))
        .into_boxed();
    query = match scope {
        RenewalScope::Provider(p) => query.filter(subscriptions::provider_id.eq(p)),
        RenewalScope::Reseller(r) => query.filter(subscriptions::reseller_of_record_id.eq(r)),
    };
    if let Some(r) = reseller {
        query = query.filter(subscriptions::reseller_of_record_id.eq(r));
    }
    let (e, i) = (subscriptions::ends_at, subscriptions::id);
    query = match seek {
        Seek::First => query.order((e.asc(), i.asc())),
        Seek::After((at, id)) => query
            .filter(e.gt(*at).or(e.eq(*at).and(i.gt(*id))))
            .order((e.asc(), i.asc())),
        Seek::Before((at, id)) => query
            .filter(e.lt(*at).or(e.eq(*at).and(i.lt(*id))))
            .order((e.desc(), i.desc())),
    };
    let rows: Vec<(Subscription, String, String, Option<String>)> = query.load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0.id).collect();
    let mut scheduled = ScheduledChange::open_for_all(conn, &ids)?;
    let rows = rows
        .into_iter()
        .map(|(subscription, offer_name, customer_name, reseller_name)| {
            let pos = scheduled
                .iter()
                .position(|c| c.subscription_id == subscription.id);
            RenewalRow {
                scheduled: pos.map(|p| scheduled.swap_remove(p)),
                subscription,
                offer_name,
                customer_name,
                reseller_name,
            }
        })
        .collect();
    Ok(Page::from_rows(rows, seek, per_page, |r: &RenewalRow| {
        (r.subscription.ends_at, r.subscription.id)
    }))
}

/// Counts stop here: "10,000 or more" is all a page needs to say.
pub const COUNT_CAP: i64 = 10_000;

/// How many running subscriptions end in `[from, to)`, up to `COUNT_CAP` (the Dashboard home's
/// figure; walks the end-date index and stops there).
pub fn count_ending(
    conn: &mut DbConnection,
    scope: RenewalScope,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<i64> {
    let mut query = subscriptions::table
        .filter(subscriptions::status.eq_any(SubscriptionStatus::LIVE))
        .filter(subscriptions::ends_at.ge(from))
        .filter(subscriptions::ends_at.lt(to))
        .select(subscriptions::id)
        .limit(COUNT_CAP)
        .into_boxed();
    query = match scope {
        RenewalScope::Provider(p) => query.filter(subscriptions::provider_id.eq(p)),
        RenewalScope::Reseller(r) => query.filter(subscriptions::reseller_of_record_id.eq(r)),
    };
    let ids: Vec<i64> = query.load(conn)?;
    Ok(i64::try_from(ids.len()).unwrap_or(COUNT_CAP))
}

/// Suspended subscriptions, newest first, with the offer's, customer's and provider's names: the
/// provider's, or a reseller's (as reseller of record).
pub fn suspended_page(
    conn: &mut DbConnection,
    scope: RenewalScope,
    seek: &Seek<i64>,
    per_page: usize,
) -> QueryResult<Page<crate::db::models::subscription::ResellerSubscription>> {
    use crate::db::models::subscription::{Subscription, named_page};
    use crate::db::schema::{customers, offers, partners};
    let mut query = subscriptions::table
        .inner_join(offers::table)
        .inner_join(customers::table)
        .inner_join(partners::table.on(partners::id.eq(subscriptions::provider_id)))
        .filter(subscriptions::status.eq(SubscriptionStatus::Suspended))
        .select((
            Subscription::as_select(),
            offers::name,
            customers::company_name,
            partners::name,
        ))
        .limit(crate::pagination::fetch_limit(per_page))
        .into_boxed();
    query = match scope {
        RenewalScope::Provider(p) => query.filter(subscriptions::provider_id.eq(p)),
        RenewalScope::Reseller(r) => query.filter(subscriptions::reseller_of_record_id.eq(r)),
    };
    query = crate::newest_first!(query, subscriptions::id, seek);
    Ok(named_page(query.load(conn)?, seek, per_page))
}

/// How many suspended subscriptions the scope has (up to `cap`).
pub fn count_suspended(conn: &mut DbConnection, scope: RenewalScope, cap: i64) -> QueryResult<i64> {
    let mut query = subscriptions::table
        .filter(subscriptions::status.eq(SubscriptionStatus::Suspended))
        .select(subscriptions::id)
        .limit(cap)
        .into_boxed();
    query = match scope {
        RenewalScope::Provider(p) => query.filter(subscriptions::provider_id.eq(p)),
        RenewalScope::Reseller(r) => query.filter(subscriptions::reseller_of_record_id.eq(r)),
    };
    let ids: Vec<i64> = query.load(conn)?;
    Ok(i64::try_from(ids.len()).unwrap_or(cap))
}
