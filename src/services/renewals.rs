//! The renewal job (SPEC.md §2.10): at a term's end a subscription with auto-renew starts its next
//! term — the change scheduled for it applied once, an order of kind renewal for the first billing
//! period, a new cancellation window — and one without expires. Reminders go to the provider's and
//! the reseller of record's users 30 and 7 days before an annual or longer term ends, and when a
//! scheduled change was applied.
//!
//! A batch of due subscriptions is claimed by the read that finds it (`Subscription::claim_due`: on
//! PostgreSQL its rows are locked and another instance takes the next ones), each subscription again
//! by its end date (`Subscription::renew` and `expire` update only a row that still ends where it
//! did), and each reminder by its primary key, so running the job twice, or on two instances at once,
//! renews once and emails once. A batch is written set-wise (BENCHMARKS.md). Everything reads `now` from the caller (the
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

/// One batch of due subscriptions in one transaction, set-wise: the batch is read and claimed at
/// once, its scheduled changes and prices read once, and its windows, orders, order lines and
/// activity entries written in multi-row INSERTs. What it did, and how many it looked at.
fn renew_batch(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    base_url: &str,
) -> Result<(Report, i64), DbError> {
    let due = Subscription::claim_due(conn, now, BATCH)?;
    let seen = i64::try_from(due.len()).unwrap_or(BATCH);
    let mut report = Report::default();
    let mut names = Names::default();
    let mut activity = Vec::with_capacity(due.len());
    let (renewing, expiring): (Vec<Subscription>, Vec<Subscription>) =
        due.into_iter().partition(|s| s.auto_renew);
    for sub in expiring {
        if !Subscription::expire(conn, &sub, now)? {
            continue;
        }
        Subscription::close_windows(conn, sub.id, sub.ends_at)?;
        ScheduledChange::finish_open(conn, sub.id, lifecycle::CANCELLED, now)?;
        counters::subscription_ended(
            conn,
            provider_of(&sub),
            sub.customer_id,
            sub.reseller_of_record_id,
            i64::from(sub.quantity),
        )?;
        activity.push(
            NewActivity::new("subscription.expired", "subscription", Some(sub.id))
                .provider(Some(sub.provider_id))
                .reseller(sub.reseller_of_record_id)
                .customer(Some(sub.customer_id))
                .change(
                    Some(sub.status.as_str().to_owned()),
                    Some("expired".to_owned()),
                )
                .at(sub.ends_at),
        );
        report.expired += 1;
    }
    let renewed = renew_set(conn, &mut names, renewing, now, &mut activity)?;
    report.renewed += u64::try_from(renewed.len()).unwrap_or(0);
    NewActivity::record_all(conn, &activity)?;
    // The few with a scheduled change applied: their change closed, their readers told.
    for (sub, change, offer_id) in renewed {
        let Some(change) = change else { continue };
        ScheduledChange::finish_open(conn, sub.id, lifecycle::APPLIED, now)?;
        report.changes_applied += 1;
        let spec = change.spec();
        let new_offer = crate::services::subscription_change::spec_offer_name(conn, &spec)?;
        tell(
            conn,
            &mut names,
            &sub,
            offer_id,
            None,
            Some((&spec, new_offer.as_deref())),
            base_url,
        )?;
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

/// The provider of a subscription row the job read (established: the row names it).
fn provider_of(sub: &Subscription) -> ProviderId {
    #[expect(
        clippy::disallowed_methods,
        reason = "the provider of a subscription row read by the job"
    )]
    ProviderId::established(sub.provider_id)
}

/// A renewal worked out before anything is written: the next term and the order's line.
struct Next {
    sub: Subscription,
    next: Renewed,
    line: NewLine,
    scheduled: Option<ScheduledChange>,
}

/// Starts the next term of each claimed subscription with auto-renew (its scheduled change applied):
/// the subscriptions, their windows, their renewal orders and the activity entries (pushed to
/// `activity`). The ones renewed, with their scheduled change and the offer renewed into.
fn renew_set(
    conn: &mut DbConnection,
    names: &mut Names,
    subs: Vec<Subscription>,
    now: NaiveDateTime,
    activity: &mut Vec<NewActivity>,
) -> Result<Vec<(Subscription, Option<ScheduledChange>, i64)>, DbError> {
    if subs.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = subs.iter().map(|s| s.id).collect();
    let mut scheduled = std::collections::HashMap::<i64, ScheduledChange>::new();
    for change in ScheduledChange::open_for_all(conn, &ids)? {
        // The latest open change of a subscription (there is at most one).
        match scheduled.get(&change.subscription_id) {
            Some(have) if have.id > change.id => {}
            _ => {
                scheduled.insert(change.subscription_id, change);
            }
        }
    }
    names.load_prices(conn, &subs)?;
    let mut plans = Vec::with_capacity(subs.len());
    for sub in subs {
        let change = scheduled.remove(&sub.id);
        let spec = change
            .as_ref()
            .map(ScheduledChange::spec)
            .unwrap_or_default();
        let wanted = (
            spec.offer_id.unwrap_or(sub.offer_id),
            spec.term.unwrap_or(sub.term),
            spec.billing.unwrap_or(sub.billing),
        );
        let quantity = spec.quantity.unwrap_or(sub.quantity);
        // The catalog's cost and the price list's price at the renewal; the last term's when the
        // plan is no longer sold.
        let ((offer_id, term, billing), unit) = match names.quote(conn, &sub, wanted)? {
            Some(unit) => (wanted, unit),
            None => {
                let last = (sub.offer_id, sub.term, sub.billing);
                (last, names.last_unit(&sub))
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
        let (first, _) = billing_period(sub.ends_at, next.ends_at, term, billing, sub.ends_at);
        let line = NewLine {
            offer_id,
            subscription_id: Some(sub.id),
            quantity,
            previous_quantity: Some(sub.quantity),
            unit,
            amount: unit.map(|u| i64::from(quantity) * u),
            period: Some(first),
            term: Some(term),
            billing: Some(billing),
        };
        plans.push(Next {
            sub,
            next,
            line,
            scheduled: change,
        });
    }
    // The claim: a row renews only if it still ends where it did (the batch was read in this
    // transaction, so each does).
    let mut renewed = Vec::with_capacity(plans.len());
    for plan in plans {
        if Subscription::renew(conn, &plan.sub, &plan.next, now)? {
            renewed.push(plan);
        }
    }
    let ends: Vec<(i64, NaiveDateTime)> =
        renewed.iter().map(|p| (p.sub.id, p.sub.ends_at)).collect();
    Subscription::close_windows_all(conn, &ends)?;
    let windows: Vec<(i64, i32, NaiveDateTime)> = renewed
        .iter()
        .map(|p| (p.sub.id, p.next.quantity, p.sub.ends_at))
        .collect();
    Subscription::open_windows_all(conn, &windows)?;
    let mut placed_by = std::collections::HashMap::<i64, i64>::new();
    let mut currencies = Vec::with_capacity(renewed.len());
    for p in &renewed {
        currencies.push(names.offer(conn, p.next.offer_id)?.currency);
    }
    let mut orders = Vec::with_capacity(renewed.len());
    for (p, currency) in renewed.iter().zip(&currencies) {
        orders.push(NewOrder {
            provider_id: p.sub.provider_id,
            customer_id: p.sub.customer_id,
            reseller_id: p.sub.reseller_of_record_id,
            placed_by_user_id: provider_agent(conn, &mut placed_by, p.sub.provider_id)?,
            placed_by_partner_id: Some(p.sub.provider_id),
            kind: OrderKind::Renewal,
            currency,
            idempotency_key: None,
            at: p.sub.ends_at,
        });
    }
    let with_lines: Vec<(&NewOrder<'_>, &[NewLine])> = orders
        .iter()
        .zip(&renewed)
        .map(|(o, p)| (o, std::slice::from_ref(&p.line)))
        .collect();
    Order::create_many(conn, &with_lines)?;
    let mut done = Vec::with_capacity(renewed.len());
    for p in renewed {
        let (sub, next) = (p.sub, p.next);
        if next.quantity != sub.quantity {
            counters::licenses_changed(
                conn,
                provider_of(&sub),
                sub.reseller_of_record_id,
                i64::from(next.quantity) - i64::from(sub.quantity),
            )?;
        }
        activity.push(
            NewActivity::new("subscription.renewed", "subscription", Some(sub.id))
                .provider(Some(sub.provider_id))
                .reseller(sub.reseller_of_record_id)
                .customer(Some(sub.customer_id))
                .change(
                    Some(sub.ends_at.date().to_string()),
                    Some(next.ends_at.date().to_string()),
                )
                .at(sub.ends_at),
        );
        done.push((sub, p.scheduled, next.offer_id));
    }
    Ok(done)
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

/// What a batch looks up again and again: offers, organisations' countries and users, and the
/// prices — the providers' price lists, the catalog's plans and the resellers' sale prices, each
/// read once a batch.
#[derive(Default)]
struct Names {
    offers: std::collections::HashMap<i64, Offer>,
    orgs: std::collections::HashMap<i64, (String, Vec<User>)>,
    /// Every rule of each provider's price list.
    rules: std::collections::HashMap<
        i64,
        Vec<(crate::domain::Audience, crate::domain::pricing::Rule)>,
    >,
    books: std::collections::HashMap<(i64, Option<i64>), PriceBook>,
    /// The catalog's cost of a plan (None: not sold in it).
    plans: std::collections::HashMap<(i64, Term, crate::domain::Billing), Option<i64>>,
    /// (reseller, provider, offer, term, billing, customer or 0) → sale price.
    sales: std::collections::HashMap<(i64, i64, i64, Term, crate::domain::Billing, i64), i64>,
}

impl Names {
    /// Reads the price lists and the sale prices the subscriptions' renewals may need.
    fn load_prices(
        &mut self,
        conn: &mut DbConnection,
        subs: &[Subscription],
    ) -> Result<(), DbError> {
        let mut providers: Vec<i64> = subs.iter().map(|s| s.provider_id).collect();
        providers.sort_unstable();
        providers.dedup();
        for p in &providers {
            if !self.rules.contains_key(p) {
                let rules = crate::db::models::price::rules_of_provider(conn, *p)?;
                self.rules.insert(*p, rules);
            }
        }
        let mut resellers: Vec<i64> = subs
            .iter()
            .filter_map(|s| s.reseller_of_record_id)
            .collect();
        resellers.sort_unstable();
        resellers.dedup();
        let customers: Vec<i64> = subs
            .iter()
            .filter(|s| s.reseller_of_record_id.is_some())
            .map(|s| s.customer_id)
            .collect();
        for sp in
            crate::db::models::price::sale_prices_for(conn, &providers, &resellers, &customers)?
        {
            self.sales.insert(
                (
                    sp.reseller_id,
                    sp.provider_id,
                    sp.offer_id,
                    sp.term,
                    sp.billing,
                    sp.customer_id,
                ),
                sp.price_minor,
            );
        }
        Ok(())
    }

    /// The provider's price book for the reseller's customers (or its direct customers).
    fn book(&mut self, provider: i64, reseller: Option<i64>) -> &PriceBook {
        let rules = self.rules.get(&provider).map_or(&[][..], Vec::as_slice);
        self.books
            .entry((provider, reseller))
            .or_insert_with(|| PriceBook::from_rules(provider, reseller, rules))
    }

    /// The reseller's sale price for the subscription's customer in this plan, if it recorded one
    /// (`price::sale_price`: the customer's own before the one for every customer).
    fn sale(
        &self,
        sub: &Subscription,
        (offer, term, billing): (i64, Term, crate::domain::Billing),
    ) -> Option<i64> {
        let reseller = sub.reseller_of_record_id?;
        let key = |c| (reseller, sub.provider_id, offer, term, billing, c);
        self.sales
            .get(&key(sub.customer_id))
            .or_else(|| self.sales.get(&key(0)))
            .copied()
    }

    /// The unit prices of the subscription's next term in `plan` at its renewal (`PriceBook::quote`
    /// from what the batch read): None when the plan is no longer sold.
    fn quote(
        &mut self,
        conn: &mut DbConnection,
        sub: &Subscription,
        plan: (i64, Term, crate::domain::Billing),
    ) -> Result<Option<crate::domain::pricing::Prices>, DbError> {
        let cost = match self.plans.get(&plan) {
            Some(cost) => *cost,
            None => {
                let cost = Offer::price(conn, plan.0, plan.1, plan.2)?;
                self.plans.insert(plan, cost);
                cost
            }
        };
        let Some(cost) = cost else { return Ok(None) };
        let sale = self.sale(sub, plan);
        let book = self.book(sub.provider_id, sub.reseller_of_record_id);
        Ok(Some(book.priced(cost, plan, sub.ends_at, sale)))
    }

    /// The last term's unit prices, with the sale price now recorded (`PriceBook::unit`).
    fn last_unit(&self, sub: &Subscription) -> crate::domain::pricing::Prices {
        crate::domain::pricing::Prices {
            cost: sub.unit_cost_minor,
            price: sub.unit_price_minor,
            sale: self.sale(sub, (sub.offer_id, sub.term, sub.billing)),
        }
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
