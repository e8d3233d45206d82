//! Subscriptions: every one belongs to exactly one provider, with a reseller of record (incentives) and
//! a designated support contact (the provider or one of its partnered resellers).

use diesel::prelude::*;

use chrono::NaiveDateTime;

use crate::db::schema::{offers, subscription_windows, subscriptions};
use crate::db::{DbConnection, new_id, now};
use crate::domain::lifecycle::next_charge;
use crate::domain::{Billing, CustomerId, ProviderId, ResellerId, SubscriptionStatus, Term};

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = subscriptions)]
pub struct Subscription {
    pub id: i64,
    pub provider_id: i64,
    pub customer_id: i64,
    pub offer_id: i64,
    pub quantity: i32,
    pub status: SubscriptionStatus,
    pub reseller_of_record_id: Option<i64>,
    pub support_contact_id: i64,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
    pub term: Term,
    pub billing: Billing,
    pub auto_renew: bool,
    /// The current term: from the purchase or last renewal…
    pub term_start: NaiveDateTime,
    /// …to here (exclusive): it renews or ends then.
    pub ends_at: NaiveDateTime,
    /// Per license per billing period, for the current term.
    pub unit_price_minor: i64,
    /// When it was cancelled, upgraded or expired.
    pub ended_at: Option<NaiveDateTime>,
    pub upgraded_to: Option<i64>,
    /// The provider's cost per license per billing period, for the current term.
    pub unit_cost_minor: i64,
    /// The start of the next billing period not charged yet (none: charged to the term's end).
    pub next_charge_at: Option<NaiveDateTime>,
}

impl Subscription {
    /// What one billing period of all its licenses costs.
    pub fn period_total(&self) -> i64 {
        i64::from(self.quantity) * self.unit_price_minor
    }
}

/// A subscription with its offer's name, for lists.
#[derive(Clone, Debug)]
pub struct SubscriptionSummary {
    pub subscription: Subscription,
    pub offer_name: String,
    pub billing: Billing,
}

pub struct NewSubscription {
    pub provider_id: i64,
    pub customer_id: i64,
    pub offer_id: i64,
    pub quantity: i32,
    pub reseller_of_record_id: Option<i64>,
    pub support_contact_id: i64,
    pub term: Term,
    pub billing: Billing,
    pub auto_renew: bool,
    pub term_start: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    /// What the provider charges per license per billing period (the reseller's or the customer's
    /// price), for the term.
    pub unit_price_minor: i64,
    /// The provider's cost per license per billing period.
    pub unit_cost_minor: i64,
}

impl Subscription {
    /// Holds the subscription's row until the transaction ends, so two changes made at once apply one
    /// after the other, the second seeing what the first did. SQLite needs nothing: its writes take
    /// turns already.
    pub fn lock(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
        match conn {
            DbConnection::Sqlite(_) => Ok(()),
            DbConnection::Postgresql(pg) => subscriptions::table
                .find(id)
                .select(subscriptions::id)
                .for_update()
                .first::<i64>(pg)
                .optional()
                .map(|_| ()),
        }
    }

    /// Writes a subscription bought at `new.term_start`, with the cancellation window of its licenses.
    pub fn create(conn: &mut DbConnection, new: &NewSubscription) -> QueryResult<i64> {
        let id = new_id();
        let at = new.term_start;
        diesel::insert_into(subscriptions::table)
            .values((
                subscriptions::id.eq(id),
                subscriptions::provider_id.eq(new.provider_id),
                subscriptions::customer_id.eq(new.customer_id),
                subscriptions::offer_id.eq(new.offer_id),
                subscriptions::quantity.eq(new.quantity),
                subscriptions::status.eq(SubscriptionStatus::Active),
                subscriptions::reseller_of_record_id.eq(new.reseller_of_record_id),
                subscriptions::support_contact_id.eq(new.support_contact_id),
                subscriptions::created_at.eq(at),
                subscriptions::updated_at.eq(at),
                subscriptions::term.eq(new.term),
                subscriptions::billing.eq(new.billing),
                subscriptions::auto_renew.eq(new.auto_renew),
                subscriptions::term_start.eq(new.term_start),
                subscriptions::ends_at.eq(new.ends_at),
                subscriptions::unit_price_minor.eq(new.unit_price_minor),
                subscriptions::unit_cost_minor.eq(new.unit_cost_minor),
                subscriptions::next_charge_at.eq(next_charge(
                    new.term_start,
                    new.ends_at,
                    new.term,
                    new.billing,
                    new.term_start,
                )),
            ))
            .execute(conn)?;
        Self::open_window(conn, id, new.quantity, at)?;
        Ok(id)
    }

    /// Opens a 168-hour window for `quantity` licenses bought, added or renewed at `at`.
    pub fn open_window(
        conn: &mut DbConnection,
        id: i64,
        quantity: i32,
        at: NaiveDateTime,
    ) -> QueryResult<()> {
        diesel::insert_into(subscription_windows::table)
            .values((
                subscription_windows::id.eq(new_id()),
                subscription_windows::subscription_id.eq(id),
                subscription_windows::quantity.eq(quantity),
                subscription_windows::opened_at.eq(at),
                subscription_windows::closes_at.eq(crate::domain::lifecycle::window_end(at)),
            ))
            .execute(conn)
            .map(|_| ())
    }

    /// The windows still open at `now` with licenses left to reduce, newest first.
    pub fn open_windows(
        conn: &mut DbConnection,
        id: i64,
        now: NaiveDateTime,
    ) -> QueryResult<Vec<Window>> {
        subscription_windows::table
            .filter(subscription_windows::subscription_id.eq(id))
            .filter(subscription_windows::closes_at.gt(now))
            .filter(subscription_windows::quantity.gt(0))
            .order((
                subscription_windows::opened_at.desc(),
                subscription_windows::id.desc(),
            ))
            .select(Window::as_select())
            .load(conn)
    }

    /// Takes `n` licenses out of the open windows, newest first (`n` ≤ what they hold).
    pub fn take_from_windows(
        conn: &mut DbConnection,
        id: i64,
        mut n: i32,
        now: NaiveDateTime,
    ) -> QueryResult<()> {
        for window in Self::open_windows(conn, id, now)? {
            if n == 0 {
                break;
            }
            let take = n.min(window.quantity);
            diesel::update(subscription_windows::table.find(window.id))
                .set(subscription_windows::quantity.eq(window.quantity - take))
                .execute(conn)?;
            n -= take;
        }
        Ok(())
    }

    /// Closes every window (the subscription ended or renewed).
    pub fn close_windows(conn: &mut DbConnection, id: i64, at: NaiveDateTime) -> QueryResult<()> {
        diesel::update(
            subscription_windows::table
                .filter(subscription_windows::subscription_id.eq(id))
                .filter(subscription_windows::closes_at.gt(at)),
        )
        .set(subscription_windows::closes_at.eq(at))
        .execute(conn)
        .map(|_| ())
    }

    /// Ends the subscription: cancelled, expired or upgraded (to `upgraded_to`).
    pub fn end(
        conn: &mut DbConnection,
        id: i64,
        status: SubscriptionStatus,
        at: NaiveDateTime,
        upgraded_to: Option<i64>,
    ) -> QueryResult<()> {
        diesel::update(subscriptions::table.find(id))
            .set((
                subscriptions::status.eq(status),
                subscriptions::ended_at.eq(Some(at)),
                subscriptions::upgraded_to.eq(upgraded_to),
                subscriptions::updated_at.eq(at),
            ))
            .execute(conn)?;
        Self::close_windows(conn, id, at)
    }

    pub fn set_auto_renew(conn: &mut DbConnection, id: i64, on: bool) -> QueryResult<()> {
        diesel::update(subscriptions::table.find(id))
            .set((
                subscriptions::auto_renew.eq(on),
                subscriptions::updated_at.eq(now()),
            ))
            .execute(conn)
            .map(|_| ())
    }

    /// Starts the next term, if the subscription still ends at `old_end` (the claim: of two jobs at
    /// once, one renews and the other finds nothing to do). False when it had already renewed.
    pub fn renew(
        conn: &mut DbConnection,
        sub: &Subscription,
        next: &Renewed,
        at: NaiveDateTime,
    ) -> QueryResult<bool> {
        let n = diesel::update(
            subscriptions::table
                .filter(subscriptions::id.eq(sub.id))
                .filter(subscriptions::ends_at.eq(sub.ends_at))
                .filter(subscriptions::status.eq_any(SubscriptionStatus::LIVE)),
        )
        .set((
            subscriptions::term_start.eq(sub.ends_at),
            subscriptions::ends_at.eq(next.ends_at),
            subscriptions::term.eq(next.term),
            subscriptions::billing.eq(next.billing),
            subscriptions::offer_id.eq(next.offer_id),
            subscriptions::quantity.eq(next.quantity),
            subscriptions::unit_price_minor.eq(next.unit_price_minor),
            subscriptions::unit_cost_minor.eq(next.unit_cost_minor),
            subscriptions::next_charge_at.eq(next_charge(
                sub.ends_at,
                next.ends_at,
                next.term,
                next.billing,
                sub.ends_at,
            )),
            subscriptions::updated_at.eq(at),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }

    /// Ends a subscription that reached its end without auto-renew, if it still ends at `sub.ends_at`.
    pub fn expire(
        conn: &mut DbConnection,
        sub: &Subscription,
        at: NaiveDateTime,
    ) -> QueryResult<bool> {
        let n = diesel::update(
            subscriptions::table
                .filter(subscriptions::id.eq(sub.id))
                .filter(subscriptions::ends_at.eq(sub.ends_at))
                .filter(subscriptions::status.eq_any(SubscriptionStatus::LIVE)),
        )
        .set((
            subscriptions::status.eq(SubscriptionStatus::Expired),
            subscriptions::ended_at.eq(Some(sub.ends_at)),
            subscriptions::updated_at.eq(at),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }

    /// Running subscriptions whose term has ended by `now`, oldest end first, at most `limit` (the
    /// job takes a batch, renews it, and asks again: renewed ones are no longer due).
    pub fn due(
        conn: &mut DbConnection,
        now: NaiveDateTime,
        limit: i64,
    ) -> QueryResult<Vec<Subscription>> {
        subscriptions::table
            .filter(subscriptions::status.eq_any(SubscriptionStatus::LIVE))
            .filter(subscriptions::ends_at.le(now))
            .order((subscriptions::ends_at.asc(), subscriptions::id.asc()))
            .limit(limit)
            .select(Subscription::as_select())
            .load(conn)
    }

    /// The same, claimed for this transaction: on PostgreSQL each row is locked and rows another
    /// run holds are passed over (two instances take different batches); SQLite's writer lock
    /// already makes the transaction the only one.
    pub fn claim_due(
        conn: &mut DbConnection,
        now: NaiveDateTime,
        limit: i64,
    ) -> QueryResult<Vec<Subscription>> {
        match conn {
            DbConnection::Sqlite(_) => Self::due(conn, now, limit),
            DbConnection::Postgresql(pg) => subscriptions::table
                .filter(subscriptions::status.eq_any(SubscriptionStatus::LIVE))
                .filter(subscriptions::ends_at.le(now))
                .order((subscriptions::ends_at.asc(), subscriptions::id.asc()))
                .limit(limit)
                .for_update()
                .skip_locked()
                .select(Subscription::as_select())
                .load(pg),
        }
    }

    /// Opens the cancellation windows of these `(subscription, licenses, at)` in multi-row INSERTs.
    pub fn open_windows_all(
        conn: &mut DbConnection,
        windows: &[(i64, i32, NaiveDateTime)],
    ) -> QueryResult<()> {
        for chunk in windows.chunks(1000) {
            let rows: Vec<_> = chunk
                .iter()
                .map(|(id, quantity, at)| {
                    (
                        subscription_windows::id.eq(new_id()),
                        subscription_windows::subscription_id.eq(*id),
                        subscription_windows::quantity.eq(*quantity),
                        subscription_windows::opened_at.eq(*at),
                        subscription_windows::closes_at
                            .eq(crate::domain::lifecycle::window_end(*at)),
                    )
                })
                .collect();
            on_each_backend!(&mut *conn, |c| diesel::insert_into(
                subscription_windows::table
            )
            .values(rows)
            .execute(c))?;
        }
        Ok(())
    }

    /// Closes at each `at` the windows of its subscription still open then (`close_windows` for a
    /// batch: one read finds the few that are).
    pub fn close_windows_all(
        conn: &mut DbConnection,
        subs: &[(i64, NaiveDateTime)],
    ) -> QueryResult<()> {
        let Some(earliest) = subs.iter().map(|(_, at)| *at).min() else {
            return Ok(());
        };
        let ids: Vec<i64> = subs.iter().map(|(id, _)| *id).collect();
        let open: Vec<(i64, i64, NaiveDateTime)> = subscription_windows::table
            .filter(subscription_windows::subscription_id.eq_any(&ids))
            .filter(subscription_windows::closes_at.gt(earliest))
            .select((
                subscription_windows::id,
                subscription_windows::subscription_id,
                subscription_windows::closes_at,
            ))
            .load(conn)?;
        for (window, sub, closes_at) in open {
            let Some(at) = subs.iter().find(|(id, _)| *id == sub).map(|(_, at)| *at) else {
                continue;
            };
            if closes_at > at {
                diesel::update(subscription_windows::table.find(window))
                    .set(subscription_windows::closes_at.eq(at))
                    .execute(conn)?;
            }
        }
        Ok(())
    }

    /// Running subscriptions whose next billing period has started by `now`, the earliest first, at
    /// most `limit` (the billing job charges a batch and asks again: charged ones move on).
    pub fn charges_due(
        conn: &mut DbConnection,
        now: NaiveDateTime,
        limit: i64,
    ) -> QueryResult<Vec<Subscription>> {
        subscriptions::table
            .filter(subscriptions::next_charge_at.le(now))
            .order((subscriptions::next_charge_at.asc(), subscriptions::id.asc()))
            .limit(limit)
            .select(Subscription::as_select())
            .load(conn)
    }

    /// Moves the next charge from `from` to `to` (none: nothing left to charge in the term), if it is
    /// still `from` (the claim: of two jobs at once, one charges the period).
    pub fn charged_to(
        conn: &mut DbConnection,
        id: i64,
        from: NaiveDateTime,
        to: Option<NaiveDateTime>,
    ) -> QueryResult<bool> {
        let n = diesel::update(
            subscriptions::table
                .filter(subscriptions::id.eq(id))
                .filter(subscriptions::next_charge_at.eq(from)),
        )
        .set(subscriptions::next_charge_at.eq(to))
        .execute(conn)?;
        Ok(n == 1)
    }

    pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Subscription> {
        subscriptions::table
            .find(id)
            .select(Subscription::as_select())
            .first(conn)
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
        let rows: Vec<(Subscription, String, Billing)> = subscriptions::table
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

/// A cancellation window's licenses.
#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = subscription_windows)]
pub struct Window {
    pub id: i64,
    pub subscription_id: i64,
    /// Licenses of it not reduced yet.
    pub quantity: i32,
    pub opened_at: NaiveDateTime,
    pub closes_at: NaiveDateTime,
}

/// The next term as a renewal makes it.
#[derive(Clone, Debug)]
pub struct Renewed {
    pub ends_at: NaiveDateTime,
    pub term: Term,
    pub billing: Billing,
    pub offer_id: i64,
    pub quantity: i32,
    pub unit_price_minor: i64,
    pub unit_cost_minor: i64,
}

/// A subscription with everything its detail page shows.
#[derive(Clone, Debug)]
pub struct SubscriptionDetail {
    pub subscription: Subscription,
    pub offer: crate::db::models::offer::Offer,
    pub customer_name: String,
    pub provider_name: String,
    pub reseller_of_record: Option<String>,
    pub support_contact: String,
    pub support_contact_email: String,
    pub support_contact_phone: Option<String>,
}

/// The ways a subscription can be reached, each scoped to who asks.
#[derive(Clone, Copy, Debug)]
pub enum Scope {
    /// One of the provider's own.
    Provider(ProviderId),
    /// One the reseller is reseller of record or support contact of, or administers for the customer.
    Reseller(ResellerId),
    /// One of the customer's own.
    Customer(CustomerId),
}

impl Subscription {
    /// The subscription, if `scope` may see it; otherwise not found.
    pub fn find_in(
        conn: &mut DbConnection,
        scope: &Scope,
        id: i64,
        now: chrono::NaiveDateTime,
    ) -> QueryResult<SubscriptionDetail> {
        use crate::db::schema::{customers, partners};
        let subscription: Subscription = subscriptions::table
            .find(id)
            .select(Subscription::as_select())
            .first(conn)?;
        let visible = match scope {
            Scope::Provider(p) => subscription.provider_id == p.get(),
            Scope::Customer(c) => subscription.customer_id == c.get(),
            Scope::Reseller(r) => {
                subscription.reseller_of_record_id == Some(r.get())
                    || subscription.support_contact_id == r.get()
                    || crate::db::models::grant::Grant::holds(
                        conn,
                        subscription.provider_id,
                        subscription.customer_id,
                        r.get(),
                        None,
                        now,
                    )?
            }
        };
        if !visible {
            return Err(diesel::result::Error::NotFound);
        }
        let offer = crate::db::models::offer::Offer::find(conn, subscription.offer_id)?;
        let customer_name: String = customers::table
            .find(subscription.customer_id)
            .select(customers::company_name)
            .first(conn)?;
        let provider_name: String = partners::table
            .find(subscription.provider_id)
            .select(partners::name)
            .first(conn)?;
        let reseller_of_record = match subscription.reseller_of_record_id {
            Some(rid) => Some(
                partners::table
                    .find(rid)
                    .select(partners::name)
                    .first(conn)?,
            ),
            None => None,
        };
        let (support_contact, contact_email, support_email, support_contact_phone): (
            String,
            String,
            Option<String>,
            Option<String>,
        ) = partners::table
            .find(subscription.support_contact_id)
            .select((
                partners::name,
                partners::contact_email,
                partners::support_email,
                partners::support_phone,
            ))
            .first(conn)?;
        let support_contact_email = support_email.unwrap_or(contact_email);
        Ok(SubscriptionDetail {
            subscription,
            offer,
            customer_name,
            provider_name,
            reseller_of_record,
            support_contact,
            support_contact_email,
            support_contact_phone,
        })
    }

    /// Whether the reseller may administer this subscription: it holds a grant in force with the
    /// Subscription administrator role on the customer, from the subscription's provider.
    pub fn administered_by(
        conn: &mut DbConnection,
        subscription: &Subscription,
        reseller_id: i64,
        now: chrono::NaiveDateTime,
    ) -> QueryResult<bool> {
        use crate::db::models::grant::{Grant, Role};
        Grant::holds(
            conn,
            subscription.provider_id,
            subscription.customer_id,
            reseller_id,
            Some(Role::SubscriptionAdmin),
            now,
        )
    }

    /// Makes the provider the designated support contact again wherever the reseller was (its
    /// partnership ended); returns how many subscriptions.
    pub fn support_back_to_provider(
        conn: &mut DbConnection,
        provider: ProviderId,
        reseller_id: i64,
    ) -> QueryResult<usize> {
        diesel::update(
            subscriptions::table
                .filter(subscriptions::provider_id.eq(provider.get()))
                .filter(subscriptions::support_contact_id.eq(reseller_id)),
        )
        .set((
            subscriptions::support_contact_id.eq(provider.get()),
            subscriptions::updated_at.eq(now()),
        ))
        .execute(conn)
    }

    pub fn set_quantity(conn: &mut DbConnection, id: i64, quantity: i32) -> QueryResult<()> {
        diesel::update(subscriptions::table.find(id))
            .set((
                subscriptions::quantity.eq(quantity),
                subscriptions::updated_at.eq(now()),
            ))
            .execute(conn)
            .map(|_| ())
    }

    pub fn set_status(
        conn: &mut DbConnection,
        id: i64,
        status: SubscriptionStatus,
    ) -> QueryResult<()> {
        diesel::update(subscriptions::table.find(id))
            .set((
                subscriptions::status.eq(status),
                subscriptions::updated_at.eq(now()),
            ))
            .execute(conn)
            .map(|_| ())
    }

    pub fn set_reseller_of_record(
        conn: &mut DbConnection,
        id: i64,
        reseller: Option<i64>,
    ) -> QueryResult<()> {
        diesel::update(subscriptions::table.find(id))
            .set((
                subscriptions::reseller_of_record_id.eq(reseller),
                subscriptions::updated_at.eq(now()),
            ))
            .execute(conn)
            .map(|_| ())
    }

    pub fn set_support_contact(conn: &mut DbConnection, id: i64, partner: i64) -> QueryResult<()> {
        diesel::update(subscriptions::table.find(id))
            .set((
                subscriptions::support_contact_id.eq(partner),
                subscriptions::updated_at.eq(now()),
            ))
            .execute(conn)
            .map(|_| ())
    }

    /// The provider's subscriptions (of one customer, or all), newest first (the API's list).
    pub fn page_for_provider(
        conn: &mut DbConnection,
        provider: ProviderId,
        customer: Option<i64>,
        seek: &crate::pagination::Seek<i64>,
        per_page: usize,
    ) -> QueryResult<crate::pagination::Page<SubscriptionSummary>> {
        let mut query = subscriptions::table
            .inner_join(offers::table)
            .filter(subscriptions::provider_id.eq(provider.get()))
            .select((Subscription::as_select(), offers::name, offers::billing))
            .limit(crate::pagination::fetch_limit(per_page))
            .into_boxed();
        if let Some(customer) = customer {
            query = query.filter(subscriptions::customer_id.eq(customer));
        }
        query = crate::newest_first!(query, subscriptions::id, seek);
        let rows: Vec<(Subscription, String, Billing)> = query.load(conn)?;
        let rows = rows
            .into_iter()
            .map(|(subscription, offer_name, billing)| SubscriptionSummary {
                subscription,
                offer_name,
                billing,
            })
            .collect();
        Ok(crate::pagination::Page::from_rows(
            rows,
            seek,
            per_page,
            |r: &SubscriptionSummary| r.subscription.id,
        ))
    }

    /// Subscriptions where the reseller is reseller of record or designated support contact, newest
    /// first, with the customer's and provider's names.
    pub fn page_for_reseller(
        conn: &mut DbConnection,
        reseller: ResellerId,
        seek: &crate::pagination::Seek<i64>,
        per_page: usize,
    ) -> QueryResult<crate::pagination::Page<ResellerSubscription>> {
        use crate::db::schema::{customers, partners};
        let r = reseller.get();
        let mut query = subscriptions::table
            .inner_join(offers::table)
            .inner_join(customers::table)
            .inner_join(partners::table.on(partners::id.eq(subscriptions::provider_id)))
            .filter(
                subscriptions::reseller_of_record_id
                    .eq(r)
                    .or(subscriptions::support_contact_id.eq(r)),
            )
            .select((
                Subscription::as_select(),
                offers::name,
                customers::company_name,
                partners::name,
            ))
            .limit(crate::pagination::fetch_limit(per_page))
            .into_boxed();
        query = crate::newest_first!(query, subscriptions::id, seek);
        Ok(named_page(query.load(conn)?, seek, per_page))
    }

    /// A customer's own subscriptions, across its providers, with each one's support contact.
    pub fn for_customer(
        conn: &mut DbConnection,
        customer: CustomerId,
    ) -> QueryResult<Vec<CustomerSubscription>> {
        use crate::db::schema::partners;
        type Row = (
            Subscription,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<Row> = subscriptions::table
            .inner_join(offers::table)
            .inner_join(partners::table.on(partners::id.eq(subscriptions::support_contact_id)))
            .filter(subscriptions::customer_id.eq(customer.get()))
            .order(subscriptions::id.asc())
            .limit(500)
            .select((
                Subscription::as_select(),
                offers::name,
                partners::name,
                partners::contact_email,
                partners::support_email,
                partners::support_phone,
            ))
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(
                |(subscription, offer_name, contact, contact_email, support_email, phone)| {
                    CustomerSubscription {
                        subscription,
                        offer_name,
                        support_contact: contact,
                        // The organisation's support address where it set one.
                        support_contact_email: support_email.unwrap_or(contact_email),
                        support_contact_phone: phone,
                    }
                },
            )
            .collect())
    }

    /// This page's subscriptions of customers (any provider), for the reseller's Customers page.
    pub fn summaries_of_customers(
        conn: &mut DbConnection,
        customer_ids: &[i64],
    ) -> QueryResult<Vec<SubscriptionSummary>> {
        if customer_ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(Subscription, String, Billing)> = subscriptions::table
            .inner_join(offers::table)
            .filter(subscriptions::customer_id.eq_any(customer_ids))
            .order((subscriptions::customer_id.asc(), subscriptions::id.asc()))
            .limit(5000)
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

/// A row of the reseller's Subscriptions page.
#[derive(Clone, Debug)]
pub struct ResellerSubscription {
    pub subscription: Subscription,
    pub offer_name: String,
    pub customer_name: String,
    pub provider_name: String,
}

/// A page of subscriptions with their offer's, customer's and provider's names, newest first.
pub(crate) fn named_page(
    rows: Vec<(Subscription, String, String, String)>,
    seek: &crate::pagination::Seek<i64>,
    per_page: usize,
) -> crate::pagination::Page<ResellerSubscription> {
    let rows = rows
        .into_iter()
        .map(
            |(subscription, offer_name, customer_name, provider_name)| ResellerSubscription {
                subscription,
                offer_name,
                customer_name,
                provider_name,
            },
        )
        .collect();
    crate::pagination::Page::from_rows(rows, seek, per_page, |r: &ResellerSubscription| {
        r.subscription.id
    })
}

/// A row of the customer admin's page.
#[derive(Clone, Debug)]
pub struct CustomerSubscription {
    pub subscription: Subscription,
    pub offer_name: String,
    pub support_contact: String,
    pub support_contact_email: String,
    pub support_contact_phone: Option<String>,
}
