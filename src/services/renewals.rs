//! The renewal job (SPEC.md §2.10): at a term's end a subscription with auto-renew starts its next
//! term — the change scheduled for it applied once, an order of kind renewal for the first billing
//! period, a new cancellation window — and one without expires. Reminders go to the provider's and
//! the reseller of record's users 30 and 7 days before an annual or longer term ends, and when a
//! scheduled change was applied.
//!
//! Each subscription is claimed by its end date (`Subscription::renew` and `expire` update only a row
//! that still ends where it did) and each reminder by its primary key, so running the job twice, or on
//! two instances at once, renews once and emails once. Everything reads `now` from the caller (the
//! injected clock).

use chrono::NaiveDateTime;

use crate::db::models::activity::NewActivity;
use crate::db::models::lifecycle::{self, ScheduledChange};
use crate::db::models::offer::Offer;
use crate::db::models::order::{NewLine, NewOrder, Order};
use crate::db::models::partner::Partner;
use crate::db::models::subscription::{Renewed, Subscription};
use crate::db::models::user::User;
use crate::db::models::webhook::Delivery;
use crate::db::{Db, DbConnection, DbError};
use crate::domain::lifecycle::{add_months, billing_period};
use crate::domain::{OrderKind, ProviderId, Term};
use crate::email::{self, messages::RenewalNotice};
use crate::i18n::Tr;
use crate::services::counters;
use crate::services::pricing::PriceBook;

/// What one run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub renewed: u64,
    pub expired: u64,
    pub changes_applied: u64,
    pub reminders: u64,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "renewals: {} renewed, {} expired, {} scheduled changes applied, {} reminders queued",
            self.renewed, self.expired, self.changes_applied, self.reminders
        )
    }
}

/// Subscriptions renewed per transaction.
const BATCH: i64 = 200;
/// Reminder days before a term's end, largest first.
const REMINDER_DAYS: [i64; 2] = [30, 7];

/// Renews or expires every subscription due by `now`, then sends the reminders due; `base_url` starts
/// the links in the emails.
pub async fn run(db: &Db, now: NaiveDateTime, base_url: &str) -> Result<Report, DbError> {
    let renewed = renew_all(db, now, base_url).await?;
    let reminders = remind_all(db, now, base_url).await?;
    Ok(Report {
        reminders,
        ..renewed
    })
}

/// Renews or expires every subscription due by `now`, a batch per transaction.
pub async fn renew_all(db: &Db, now: NaiveDateTime, base_url: &str) -> Result<Report, DbError> {
    let mut report = Report::default();
    loop {
        let base = base_url.to_owned();
        let (batch, seen) = db.write(move |conn| renew_batch(conn, now, &base)).await?;
        report.renewed += batch.renewed;
        report.expired += batch.expired;
        report.changes_applied += batch.changes_applied;
        if seen < BATCH {
            break;
        }
    }
    Ok(report)
}

/// Queues the reminders due at `now` (30 and 7 days before annual and longer terms end); how many.
pub async fn remind_all(db: &Db, now: NaiveDateTime, base_url: &str) -> Result<u64, DbError> {
    let mut sent = 0;
    for (i, days) in REMINDER_DAYS.iter().enumerate() {
        // A reminder is for its own span: 30 days covers (7, 30], 7 days (0, 7].
        let nearer = REMINDER_DAYS.get(i + 1).copied().unwrap_or(0);
        for term in [Term::Year, Term::ThreeYears] {
            let mut after = None;
            loop {
                let base = base_url.to_owned();
                let days = *days;
                let (n, last) = db
                    .write(move |conn| remind_batch(conn, now, term, days, nearer, after, &base))
                    .await?;
                sent += n;
                match last {
                    Some(key) => after = Some(key),
                    None => break,
                }
            }
        }
    }
    Ok(sent)
}

/// Renews and expires everything due by `now` inside the caller's transaction (the demo data; no
/// reminders).
pub fn renew_due_in(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    base_url: &str,
) -> Result<Report, DbError> {
    let mut report = Report::default();
    loop {
        let (batch, seen) = renew_batch(conn, now, base_url)?;
        report.renewed += batch.renewed;
        report.expired += batch.expired;
        report.changes_applied += batch.changes_applied;
        if seen < BATCH {
            return Ok(report);
        }
    }
}

/// One batch of due subscriptions in one transaction: what it did, and how many it looked at.
fn renew_batch(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    base_url: &str,
) -> Result<(Report, i64), DbError> {
    let due = Subscription::due(conn, now, BATCH)?;
    let seen = i64::try_from(due.len()).unwrap_or(BATCH);
    let mut report = Report::default();
    // Each provider's first user stands for it on its renewal orders: looked up once a batch.
    let mut placed_by = std::collections::HashMap::<i64, i64>::new();
    let mut names = Names::default();
    for sub in due {
        Subscription::lock(conn, sub.id)?;
        if sub.auto_renew {
            let by = provider_agent(conn, &mut placed_by, sub.provider_id)?;
            if renew_one(conn, &mut names, &sub, now, by, base_url, &mut report)? {
                report.renewed += 1;
            }
        } else if Subscription::expire(conn, &sub, now)? {
            Subscription::close_windows(conn, sub.id, sub.ends_at)?;
            ScheduledChange::finish_open(conn, sub.id, lifecycle::CANCELLED, now)?;
            #[expect(
                clippy::disallowed_methods,
                reason = "the provider of a subscription row read by the job"
            )]
            let provider = ProviderId::established(sub.provider_id);
            counters::subscription_ended(
                conn,
                provider,
                sub.customer_id,
                sub.reseller_of_record_id,
                i64::from(sub.quantity),
            )?;
            NewActivity::new("subscription.expired", "subscription", Some(sub.id))
                .provider(Some(sub.provider_id))
                .reseller(sub.reseller_of_record_id)
                .customer(Some(sub.customer_id))
                .change(
                    Some(sub.status.as_str().to_owned()),
                    Some("expired".to_owned()),
                )
                .at(sub.ends_at)
                .record(conn)?;
            report.expired += 1;
        }
    }
    Ok((report, seen))
}

/// The provider's first user, who stands for it on the orders a job places (cached per batch).
pub(crate) fn provider_agent(
    conn: &mut DbConnection,
    cache: &mut std::collections::HashMap<i64, i64>,
    provider: i64,
) -> Result<i64, DbError> {
    if let Some(id) = cache.get(&provider) {
        return Ok(*id);
    }
    let id = User::of_partner(conn, provider)?
        .first()
        .map_or(0, |u| u.id);
    cache.insert(provider, id);
    Ok(id)
}

/// Starts the next term of `sub` (with its scheduled change); false when another run already did.
fn renew_one(
    conn: &mut DbConnection,
    names: &mut Names,
    sub: &Subscription,
    now: NaiveDateTime,
    placed_by: i64,
    base_url: &str,
    report: &mut Report,
) -> Result<bool, DbError> {
    let scheduled = ScheduledChange::open_for(conn, sub.id)?;
    let spec = scheduled
        .as_ref()
        .map(ScheduledChange::spec)
        .unwrap_or_default();
    let offer_id = spec.offer_id.unwrap_or(sub.offer_id);
    let term = spec.term.unwrap_or(sub.term);
    let billing = spec.billing.unwrap_or(sub.billing);
    let quantity = spec.quantity.unwrap_or(sub.quantity);
    // The catalog's cost and the price list's price at the renewal; the last term's when the pair
    // is no longer sold.
    let book = names.book(conn, sub.provider_id, sub.reseller_of_record_id)?;
    let quoted = book.quote(
        conn,
        (offer_id, term, billing),
        sub.customer_id,
        sub.ends_at,
    )?;
    let (offer_id, term, billing, unit) = match quoted {
        Some(p) => (offer_id, term, billing, p),
        None => {
            let last = (sub.offer_id, sub.term, sub.billing);
            let unit = book.unit(
                conn,
                sub.unit_cost_minor,
                sub.unit_price_minor,
                last,
                sub.customer_id,
            )?;
            (sub.offer_id, sub.term, sub.billing, unit)
        }
    };
    let next = Renewed {
        ends_at: add_months(sub.ends_at, term.months()),
        term,
        billing,
        offer_id,
        quantity,
        unit_price_minor: unit.price,
        unit_cost_minor: unit.cost,
    };
    if !Subscription::renew(conn, sub, &next, now)? {
        return Ok(false);
    }
    let renewed_at = sub.ends_at;
    Subscription::close_windows(conn, sub.id, renewed_at)?;
    Subscription::open_window(conn, sub.id, quantity, renewed_at)?;
    let (first, _) = billing_period(renewed_at, next.ends_at, term, billing, renewed_at);
    let offer = names.offer(conn, offer_id)?;
    Order::create(
        conn,
        &NewOrder {
            provider_id: sub.provider_id,
            customer_id: sub.customer_id,
            reseller_id: sub.reseller_of_record_id,
            placed_by_user_id: placed_by,
            placed_by_partner_id: Some(sub.provider_id),
            kind: OrderKind::Renewal,
            currency: &offer.currency,
            idempotency_key: None,
            at: renewed_at,
        },
        &[NewLine {
            offer_id,
            subscription_id: Some(sub.id),
            quantity,
            previous_quantity: Some(sub.quantity),
            unit,
            amount: unit.map(|u| i64::from(quantity) * u),
            period: Some(first),
            term: Some(term),
            billing: Some(billing),
        }],
    )?;
    if quantity != sub.quantity {
        #[expect(
            clippy::disallowed_methods,
            reason = "the provider of a subscription row read by the job"
        )]
        let provider = ProviderId::established(sub.provider_id);
        counters::licenses_changed(
            conn,
            provider,
            sub.reseller_of_record_id,
            i64::from(quantity) - i64::from(sub.quantity),
        )?;
    }
    NewActivity::new("subscription.renewed", "subscription", Some(sub.id))
        .provider(Some(sub.provider_id))
        .reseller(sub.reseller_of_record_id)
        .customer(Some(sub.customer_id))
        .change(
            Some(sub.ends_at.date().to_string()),
            Some(next.ends_at.date().to_string()),
        )
        .at(renewed_at)
        .record(conn)?;
    if let Some(change) = scheduled {
        ScheduledChange::finish_open(conn, sub.id, lifecycle::APPLIED, now)?;
        report.changes_applied += 1;
        let spec = change.spec();
        let new_offer = crate::services::subscription_change::spec_offer_name(conn, &spec)?;
        tell(
            conn,
            names,
            sub,
            offer.id,
            None,
            Some((&spec, new_offer.as_deref())),
            base_url,
        )?;
    }
    Ok(true)
}

/// One batch of reminders `days` before the end of `term`s ending in `(now + nearer, now + days]`,
/// from `since` on: how many were queued, and the last end looked at (none: done). Every row read is
/// claimed (by this run or, already, another), so the next batch finds the ones after it.
fn remind_batch(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    term: Term,
    days: i64,
    nearer: i64,
    since: Option<NaiveDateTime>,
    base_url: &str,
) -> Result<(u64, Option<NaiveDateTime>), DbError> {
    let from = now + chrono::Duration::days(nearer);
    let to = now + chrono::Duration::days(days);
    let days_i32 = i32::try_from(days).unwrap_or(i32::MAX);
    let subs = lifecycle::to_remind(conn, term, from, to, days_i32, since, BATCH)?;
    let last = subs.last().map(|s| s.ends_at);
    let mut sent = 0;
    let mut names = Names::default();
    for sub in subs {
        if !lifecycle::claim_reminder(conn, sub.id, sub.ends_at, days_i32, now)? {
            continue;
        }
        // Webhook endpoints hear of it once, as the email is sent once.
        let partners: Vec<i64> = [Some(sub.provider_id), sub.reseller_of_record_id]
            .into_iter()
            .flatten()
            .collect();
        Delivery::enqueue(
            conn,
            &partners,
            "subscription.renewing",
            &serde_json::json!({
                "subscription_id": sub.id.to_string(),
                "customer_id": sub.customer_id.to_string(),
                "provider_id": sub.provider_id.to_string(),
                "reseller_id": sub.reseller_of_record_id.map(|r| r.to_string()),
                "ends_at": sub.ends_at.and_utc().to_rfc3339(),
                "auto_renew": sub.auto_renew,
                "days_left": days,
            }),
        )?;
        sent += tell(
            conn,
            &mut names,
            &sub,
            sub.offer_id,
            Some(days),
            None,
            base_url,
        )?;
    }
    Ok((sent, last))
}

/// What a batch's emails look up again and again: offers' names, organisations' countries and users.
#[derive(Default)]
struct Names {
    offers: std::collections::HashMap<i64, Offer>,
    orgs: std::collections::HashMap<i64, (String, Vec<User>)>,
    books: std::collections::HashMap<(i64, Option<i64>), PriceBook>,
}

impl Names {
    /// The provider's price book for the reseller's customers (or its direct customers).
    fn book(
        &mut self,
        conn: &mut DbConnection,
        provider: i64,
        reseller: Option<i64>,
    ) -> Result<&PriceBook, DbError> {
        let key = (provider, reseller);
        if let std::collections::hash_map::Entry::Vacant(slot) = self.books.entry(key) {
            slot.insert(PriceBook::load(conn, provider, reseller)?);
        }
        Ok(&self.books[&key])
    }

    fn offer(&mut self, conn: &mut DbConnection, id: i64) -> Result<Offer, DbError> {
        if let Some(offer) = self.offers.get(&id) {
            return Ok(offer.clone());
        }
        let offer = Offer::find(conn, id)?;
        self.offers.insert(id, offer.clone());
        Ok(offer)
    }

    /// An organisation's country and the users who see renewals (its orders).
    fn org(&mut self, conn: &mut DbConnection, id: i64) -> Result<(String, Vec<User>), DbError> {
        if let Some(org) = self.orgs.get(&id) {
            return Ok(org.clone());
        }
        let org = (
            Partner::find(conn, id)?.country,
            User::of_partner_who_may(conn, id, crate::domain::Need::Orders)?,
        );
        self.orgs.insert(id, org.clone());
        Ok(org)
    }
}

/// Emails the provider's and the reseller of record's users; how many emails.
fn tell(
    conn: &mut DbConnection,
    names: &mut Names,
    sub: &Subscription,
    offer_id: i64,
    days: Option<i64>,
    change: Option<(&crate::domain::lifecycle::ChangeSpec, Option<&str>)>,
    base_url: &str,
) -> Result<u64, DbError> {
    use crate::db::schema::customers;
    use diesel::prelude::*;
    let company: String = customers::table
        .find(sub.customer_id)
        .select(customers::company_name)
        .first(conn)?;
    let mut sent = 0;
    let mut to_users = Vec::new();
    let orgs = [
        Some((
            sub.provider_id,
            format!("{base_url}/subscriptions/{}", sub.id),
        )),
        sub.reseller_of_record_id
            .map(|r| (r, format!("{base_url}/reseller/renewals"))),
    ];
    for (org, url) in orgs.into_iter().flatten() {
        let (country, users) = names.org(conn, org)?;
        for u in users {
            to_users.push((u, url.clone(), country.clone()));
        }
    }
    let offer = names.offer(conn, offer_id)?.name;
    for (to, url, country) in to_users {
        let tr = Tr(to.locale.unwrap_or_default());
        let tz = crate::domain::time_zone::of_user(to.time_zone.as_deref(), Some(&country));
        // The term's end, in the reader's zone: the day it renews or ends, or the renewal that
        // applied the change.
        let date = tr.date_in(&sub.ends_at, tz);
        let message = RenewalNotice {
            name: to.display_name.clone(),
            company: company.clone(),
            offer: offer.clone(),
            days,
            date,
            renews: sub.auto_renew,
            change: change
                .map(|(spec, offer)| tr.change_spec(spec, offer))
                .unwrap_or_default(),
            url,
            tr,
        };
        email::queue(conn, &to.email, &message)?;
        sent += 1;
    }
    Ok(sent)
}
