//! Changing a subscription: licenses (an order), suspend or reactivate, the reseller of record
//! (incentives) and the designated support contact, and its commercial life (SPEC.md §2.10): cancel
//! within the window, auto-renew, a change scheduled for the renewal, an upgrade. Each change is one
//! transaction with its order, counters, one activity-log entry with old and new values, and email to
//! a reseller given a new role. The provider changes all of it; a reseller administering the customer
//! (delegated administration, and still a partner) changes licenses, status and the lifecycle on the
//! customer's behalf. Every rule reads `now` from the injected clock.
//!
//! The window: licenses may be reduced (a prorated credit) while the 168-hour window of the purchase,
//! renewal or addition that brought them is open, newest first; the subscription may be cancelled (a
//! prorated refund) within the window of its purchase or last renewal. After it, licenses can only be
//! added (a prorated charge) and the rest waits for the renewal.

use chrono::NaiveDateTime;

use crate::db::models::activity::NewActivity;
use crate::db::models::customer::ProviderCustomer;
use crate::db::models::lifecycle::{self, ChangeSpec, ScheduledChange};
use crate::db::models::offer::Offer;
use crate::db::models::order::{NewLine, NewOrder, Order};
use crate::db::models::partner::Partner;
use crate::db::models::partnership::Partnership;
use crate::db::models::subscription::{NewSubscription, Scope, Subscription, SubscriptionDetail};
use crate::db::models::user::User;
use crate::db::{Db, DbConnection, DbError};
use crate::domain::lifecycle::{PAIRS, Plan, charge_to_period_end, in_window, valid_pair};
use crate::domain::pricing::Prices;
use crate::domain::{OrderKind, ProviderId, SubscriptionStatus, check_limits};
use crate::email::{self, messages::SubscriptionAssigned};
use crate::i18n::Tr;
use crate::services::counters;
use crate::services::credit;
use crate::services::pricing::PriceBook;

/// Who makes a change, and for which organisation.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user_id: i64,
    pub partner_id: i64,
    pub partner_name: String,
    /// A reseller acting on behalf of the customer (else the provider).
    pub reseller: bool,
}

impl Actor {
    pub fn provider(user_id: i64, provider: ProviderId, name: &str) -> Self {
        Self {
            user_id,
            partner_id: provider.get(),
            partner_name: name.to_owned(),
            reseller: false,
        }
    }

    pub fn reseller(user_id: i64, reseller: crate::domain::ResellerId, name: &str) -> Self {
        Self {
            user_id,
            partner_id: reseller.get(),
            partner_name: name.to_owned(),
            reseller: true,
        }
    }
}

/// A change, parsed.
#[derive(Clone, Debug)]
pub enum Change {
    /// The new number of licenses (checked against the offer's limits here).
    Quantity(i64),
    /// The new status, with the reason given for a suspension (logged).
    Status(SubscriptionStatus, Option<String>),
    /// A reseller id, or none.
    ResellerOfRecord(Option<i64>),
    /// The provider's id or a partnered reseller's.
    SupportContact(i64),
    /// Cancel within the window (a prorated refund).
    Cancel,
    AutoRenew(bool),
    /// Wait for the renewal with these changes.
    Schedule(ChangeSpec),
    /// Drop the scheduled change.
    CancelScheduled,
    /// Move to an offer on the upgrade path, at once.
    Upgrade(i64),
}

pub use crate::services::ChangeError;

fn refused(field: &'static str, key: &'static str) -> ChangeError {
    ChangeError::refused(field, key)
}

/// A change as the form had it: parsed, or refused with the field and message to show. A refusal is
/// reported only to an actor who may change the subscription (anyone else learns nothing: 404).
pub type Parsed = Result<Change, (&'static str, &'static str)>;

/// Applies a change; the flash message to show when done (or when there was nothing to do).
pub async fn apply(
    db: &Db,
    scope: Scope,
    id: i64,
    actor: Actor,
    change: Parsed,
    (now, base_url): (NaiveDateTime, String),
) -> Result<&'static str, ChangeError> {
    db.write(move |conn| apply_in(conn, &scope, id, &actor, change, (now, &base_url)))
        .await
}

/// The subscription as the actor reaches it, and the change, checked for who may make it: every
/// change and its preview start here.
fn reach(
    conn: &mut DbConnection,
    scope: &Scope,
    id: i64,
    actor: &Actor,
    change: Parsed,
    now: NaiveDateTime,
) -> Result<(SubscriptionDetail, ProviderId, Change), ChangeError> {
    let detail = Subscription::find_in(conn, scope, id, now).map_err(ChangeError::lookup)?;
    // The subscription's own provider: found through the actor's scope, so the relationship holds.
    #[expect(
        clippy::disallowed_methods,
        reason = "the provider of a subscription the actor's scope reached"
    )]
    let provider = ProviderId::established(detail.subscription.provider_id);
    if actor.reseller
        && !Subscription::administered_by(conn, &detail.subscription, actor.partner_id, now)?
    {
        return Err(ChangeError::NotFound);
    }
    if actor.reseller
        && matches!(
            change,
            Ok(Change::ResellerOfRecord(_) | Change::SupportContact(_))
        )
    {
        return Err(ChangeError::NotFound);
    }
    let change = change.map_err(|(field, key)| refused(field, key))?;
    Ok((detail, provider, change))
}

/// The resellers that may be a subscription's designated support contact besides its provider: those
/// related to the customer (its associated reseller, the subscription's reseller of record) and still
/// partnered with the provider, and those holding a Support grant in force on the customer.
pub fn support_choices(
    conn: &mut DbConnection,
    provider: ProviderId,
    sub: &Subscription,
    now: NaiveDateTime,
) -> Result<Vec<i64>, DbError> {
    let relation = ProviderCustomer::find(conn, provider, sub.customer_id)?;
    let support = crate::db::models::grant::Grant::holders(
        conn,
        provider.get(),
        sub.customer_id,
        crate::db::models::grant::Role::Support,
        now,
    )?;
    let mut choices = Vec::new();
    for r in [relation.reseller_id, sub.reseller_of_record_id]
        .into_iter()
        .flatten()
        .chain(support)
    {
        if !choices.contains(&r) && Partnership::active(conn, provider.get(), r)?.is_some() {
            choices.push(r);
        }
    }
    Ok(choices)
}

/// A new number of licenses within the offer's limits, for an active subscription; a reduction only
/// as far as the open windows hold licenses.
fn checked_quantity(
    conn: &mut DbConnection,
    detail: &SubscriptionDetail,
    n: i64,
    now: NaiveDateTime,
) -> Result<i32, ChangeError> {
    let quantity = check_limits(n, detail.offer.min_licenses, detail.offer.max_licenses)
        .map_err(|key| refused("quantity", key))?;
    if detail.subscription.status != SubscriptionStatus::Active {
        return Err(refused("quantity", "subscriptions.suspended_no_change"));
    }
    if quantity < detail.subscription.quantity {
        let reducible = reducible(conn, detail.subscription.id, now)?;
        if detail.subscription.quantity - quantity > reducible {
            return Err(refused(
                "quantity",
                if reducible == 0 {
                    "lifecycle.reduce_after_window"
                } else {
                    "lifecycle.reduce_more_than_window"
                },
            ));
        }
    }
    Ok(quantity)
}

/// How many licenses may still be reduced: those whose window is open.
pub fn reducible(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> Result<i32, DbError> {
    Ok(Subscription::open_windows(conn, id, now)?
        .iter()
        .map(|w| w.quantity)
        .sum())
}

/// What `quantity` licenses cost (or are credited) from `now` to the end of their billing period.
fn prorated(
    sub: &Subscription,
    quantity: i32,
    now: NaiveDateTime,
) -> (i64, crate::domain::lifecycle::Period) {
    charge_to_period_end(
        i64::from(quantity),
        sub.unit_price_minor,
        sub.term_start,
        sub.ends_at,
        sub.term,
        sub.billing,
        now,
    )
}

/// `prorated` at each of a line's prices.
fn prorated_prices(
    sub: &Subscription,
    quantity: i32,
    unit: Prices,
    now: NaiveDateTime,
) -> (Prices, crate::domain::lifecycle::Period) {
    let (_, covered) = prorated(sub, quantity, now);
    let amount = unit.map(|u| {
        prorated(
            &Subscription {
                unit_price_minor: u,
                ..sub.clone()
            },
            quantity,
            now,
        )
        .0
    });
    (amount, covered)
}

/// The subscription's unit prices for the term (its cost and price) with the reseller's sale price.
fn unit_of(conn: &mut DbConnection, sub: &Subscription) -> Result<Prices, DbError> {
    let book = PriceBook::load(conn, sub.provider_id, sub.reseller_of_record_id)?;
    Ok(book.unit(
        conn,
        sub.unit_cost_minor,
        sub.unit_price_minor,
        (sub.offer_id, sub.term, sub.billing),
        sub.customer_id,
    )?)
}

/// Adds the licenses an approved order waited with, as of `now` (their window opens then, the charge
/// is prorated from then); refused when the subscription changed since the order was placed.
pub fn approve_quantity(
    conn: &mut DbConnection,
    order: &Order,
    line: &crate::db::models::order::OrderLine,
    now: NaiveDateTime,
) -> Result<(), ChangeError> {
    let stale = || ChangeError::Refused {
        field: "approve",
        key: "orders.review_stale",
    };
    let id = line.subscription_id.ok_or_else(stale)?;
    Subscription::lock(conn, id)?;
    let sub = Subscription::find(conn, id)?;
    if sub.status != SubscriptionStatus::Active
        || Some(sub.quantity) != line.previous_quantity
        || now >= sub.ends_at
    {
        return Err(stale());
    }
    let added = line.quantity - sub.quantity;
    let (amount, covered) = prorated_prices(&sub, added, line.unit(), now);
    Order::settle(
        conn,
        order,
        &[NewLine {
            offer_id: line.offer_id,
            subscription_id: Some(sub.id),
            quantity: line.quantity,
            previous_quantity: Some(sub.quantity),
            unit: line.unit(),
            amount,
            period: Some(covered),
            term: Some(sub.term),
            billing: Some(sub.billing),
        }],
        now,
    )?;
    Subscription::set_quantity(conn, sub.id, line.quantity)?;
    Subscription::open_window(conn, sub.id, added, now)?;
    #[expect(
        clippy::disallowed_methods,
        reason = "the provider of an order the review found in the provider's scope"
    )]
    let provider = ProviderId::established(order.provider_id);
    counters::licenses_changed(conn, provider, sub.reseller_of_record_id, i64::from(added))?;
    NewActivity::new(
        "subscription.quantity_changed",
        "subscription",
        Some(sub.id),
    )
    .by(order.placed_by_user_id, order.placed_by_partner_id)
    .provider(Some(order.provider_id))
    .reseller(sub.reseller_of_record_id)
    .customer(Some(sub.customer_id))
    .change(
        Some(sub.quantity.to_string()),
        Some(line.quantity.to_string()),
    )
    .at(now)
    .record(conn)?;
    Ok(())
}

/// The subscription may still be cancelled: within the window of its purchase or last renewal.
pub fn cancellable(sub: &Subscription, now: NaiveDateTime) -> bool {
    sub.status.is_live() && in_window(sub.term_start, now)
}

/// Checks a change to wait for the renewal: something to change, licenses within the (new) offer's
/// limits, a pair the offer sells, an offer of the same family or on the upgrade path.
fn checked_schedule(
    conn: &mut DbConnection,
    detail: &SubscriptionDetail,
    spec: &ChangeSpec,
) -> Result<(), ChangeError> {
    let sub = &detail.subscription;
    if !sub.status.is_live() {
        return Err(refused("schedule", "lifecycle.ended_no_change"));
    }
    let offer = match spec.offer_id {
        Some(o) if o != detail.offer.id => match schedule_offers(conn, &detail.offer)?
            .into_iter()
            .find(|t| t.id == o)
        {
            Some(t) => t,
            None => return Err(refused("schedule_offer", "lifecycle.offer_not_on_path")),
        },
        _ => detail.offer.clone(),
    };
    if let Some(q) = spec.quantity {
        check_limits(i64::from(q), offer.min_licenses, offer.max_licenses)
            .map_err(|key| refused("schedule_quantity", key))?;
    }
    let term = spec.term.unwrap_or(sub.term);
    let billing = spec.billing.unwrap_or(sub.billing);
    if !valid_pair(term, billing) || Offer::price(conn, offer.id, term, billing)?.is_none() {
        return Err(refused("schedule_billing", "lifecycle.pair_not_sold"));
    }
    let unchanged = spec.quantity.is_none_or(|q| q == sub.quantity)
        && term == sub.term
        && billing == sub.billing
        && offer.id == sub.offer_id;
    if unchanged {
        return Err(refused("schedule", "lifecycle.schedule_nothing"));
    }
    Ok(())
}

/// The orderable offers a change at renewal may move to: those of the same family and those on the
/// upgrade path.
pub fn schedule_offers(conn: &mut DbConnection, offer: &Offer) -> Result<Vec<Offer>, DbError> {
    let mut offers: Vec<Offer> = if offer.family.is_empty() {
        Vec::new()
    } else {
        Offer::orderable(conn)?
            .into_iter()
            .filter(|o| o.family == offer.family && o.id != offer.id)
            .collect()
    };
    for o in Offer::upgrades(conn, offer.id)? {
        if !offers.iter().any(|c| c.id == o.id) {
            offers.push(o);
        }
    }
    Ok(offers)
}

/// The commercial life shown on the page, as of the clock's now.
pub struct Lifecycle {
    /// Licenses that may still be reduced (their window is open).
    pub reducible: i32,
    /// When the last open window closes ("You can cancel or reduce licenses until …").
    pub window_until: Option<chrono::NaiveDateTime>,
    pub cancellable: bool,
    /// The change waiting for the renewal, with the new offer's name when it changes.
    pub scheduled: Option<(ChangeSpec, Option<String>)>,
    /// Offers on the upgrade path.
    pub upgrades: Vec<Offer>,
    /// The plans the offer is sold in (for a scheduled change).
    pub plans: Vec<Plan>,
    /// Offers a scheduled change may move to (same family or on the upgrade path).
    pub change_offers: Vec<Offer>,
}

/// What the subscription page says about the term, window, scheduled change and upgrades, as of
/// `now`.
pub fn lifecycle(
    conn: &mut DbConnection,
    detail: &SubscriptionDetail,
    now: NaiveDateTime,
) -> Result<Lifecycle, DbError> {
    let sub = &detail.subscription;
    let windows = Subscription::open_windows(conn, sub.id, now)?;
    let scheduled = match ScheduledChange::open_for(conn, sub.id)? {
        Some(change) => {
            let spec = change.spec();
            let offer = spec_offer_name(conn, &spec)?;
            Some((spec, offer))
        }
        None => None,
    };
    let prices = Offer::prices_of(conn, &[sub.offer_id])?;
    let plans = PAIRS
        .iter()
        .filter(|(t, b)| prices.iter().any(|p| p.term == *t && p.billing == *b))
        .map(|(t, b)| Plan::new(*t, *b))
        .collect();
    Ok(Lifecycle {
        reducible: windows.iter().map(|w| w.quantity).sum(),
        window_until: windows.iter().map(|w| w.closes_at).max(),
        cancellable: cancellable(sub, now),
        scheduled,
        upgrades: Offer::upgrades(conn, sub.offer_id)?,
        plans,
        change_offers: schedule_offers(conn, &detail.offer)?,
    })
}

/// The offer an upgrade moves to, checked: on the path, sold in the subscription's term and billing,
/// its licenses within limits.
fn checked_upgrade(
    conn: &mut DbConnection,
    detail: &SubscriptionDetail,
    target: i64,
    now: NaiveDateTime,
) -> Result<(Offer, Prices), ChangeError> {
    let sub = &detail.subscription;
    if sub.status != SubscriptionStatus::Active {
        return Err(refused("upgrade", "subscriptions.suspended_no_change"));
    }
    let Some(offer) = Offer::upgrades(conn, sub.offer_id)?
        .into_iter()
        .find(|o| o.id == target)
    else {
        return Err(refused("upgrade", "lifecycle.offer_not_on_path"));
    };
    let book = PriceBook::load(conn, sub.provider_id, sub.reseller_of_record_id)?;
    let Some(price) = book.quote(
        conn,
        (offer.id, sub.term, sub.billing),
        sub.customer_id,
        now,
    )?
    else {
        return Err(refused("upgrade", "lifecycle.pair_not_sold"));
    };
    check_limits(
        i64::from(sub.quantity),
        offer.min_licenses,
        offer.max_licenses,
    )
    .map_err(|key| refused("upgrade", key))?;
    Ok((offer, price))
}

/// An upgrade's two order lines as of `now`: the rest of the old offer's period credited, the same
/// period of the new offer charged (for the new subscription, once it exists).
fn upgrade_lines(
    sub: &Subscription,
    (offer_id, new_id): (i64, Option<i64>),
    old_unit: Prices,
    price: Prices,
    now: NaiveDateTime,
) -> Vec<NewLine> {
    let (credit, covered) = prorated_prices(sub, sub.quantity, old_unit, now);
    let (charge, _) = prorated_prices(sub, sub.quantity, price, now);
    let line =
        |offer_id: i64, subscription_id: Option<i64>, unit: Prices, amount: Prices| NewLine {
            offer_id,
            subscription_id,
            quantity: sub.quantity,
            previous_quantity: Some(sub.quantity),
            unit,
            amount,
            period: Some(covered),
            term: Some(sub.term),
            billing: Some(sub.billing),
        };
    vec![
        line(sub.offer_id, Some(sub.id), old_unit, credit.map(|c| -c)),
        line(offer_id, new_id, price, charge),
    ]
}

/// Carries out an upgrade: a new subscription of `offer_id` with the same licenses, term and end
/// date, the old one ended (its scheduled changes with it), the counters moved. The new one's id.
fn carry_out_upgrade(
    conn: &mut DbConnection,
    provider: ProviderId,
    sub: &Subscription,
    offer_id: i64,
    price: Prices,
    now: NaiveDateTime,
) -> Result<i64, ChangeError> {
    let new_id = Subscription::create(
        conn,
        &NewSubscription {
            provider_id: sub.provider_id,
            customer_id: sub.customer_id,
            offer_id,
            quantity: sub.quantity,
            reseller_of_record_id: sub.reseller_of_record_id,
            support_contact_id: sub.support_contact_id,
            term: sub.term,
            billing: sub.billing,
            auto_renew: sub.auto_renew,
            term_start: now,
            ends_at: sub.ends_at,
            unit_price_minor: price.price,
            unit_cost_minor: price.cost,
        },
    )?;
    Subscription::end(
        conn,
        sub.id,
        SubscriptionStatus::Cancelled,
        now,
        Some(new_id),
    )?;
    ScheduledChange::finish_open(conn, sub.id, lifecycle::CANCELLED, now)?;
    let licenses = i64::from(sub.quantity);
    counters::subscription_ended(
        conn,
        provider,
        sub.customer_id,
        sub.reseller_of_record_id,
        licenses,
    )?;
    counters::subscription_added(
        conn,
        provider,
        sub.customer_id,
        sub.reseller_of_record_id,
        licenses,
    )?;
    Ok(new_id)
}

/// Carries out an upgrade the provider approved, as of `now` (its proration from then): refused as
/// stale when the subscription changed meanwhile or the offer is no longer on its upgrade path.
pub fn approve_upgrade(
    conn: &mut DbConnection,
    order: &Order,
    lines: &[crate::db::models::order::OrderLine],
    now: NaiveDateTime,
) -> Result<(), ChangeError> {
    let stale = || ChangeError::Refused {
        field: "approve",
        key: "orders.review_stale",
    };
    // The old subscription's line has its id; the new one's has none until it exists.
    let (Some(old_line), Some(new_line), 2) = (
        lines.iter().find(|l| l.subscription_id.is_some()),
        lines.iter().find(|l| l.subscription_id.is_none()),
        lines.len(),
    ) else {
        return Err(stale());
    };
    let id = old_line.subscription_id.ok_or_else(stale)?;
    Subscription::lock(conn, id)?;
    let sub = Subscription::find(conn, id)?;
    let on_path = Offer::upgrades(conn, sub.offer_id)?
        .iter()
        .any(|o| o.id == new_line.offer_id);
    if sub.status != SubscriptionStatus::Active
        || sub.offer_id != old_line.offer_id
        || sub.quantity != old_line.quantity
        || now >= sub.ends_at
        || !on_path
    {
        return Err(stale());
    }
    #[expect(
        clippy::disallowed_methods,
        reason = "the provider of an order the review found in the provider's scope"
    )]
    let provider = ProviderId::established(order.provider_id);
    let (old_unit, price) = (old_line.unit(), new_line.unit());
    let new_id = carry_out_upgrade(conn, provider, &sub, new_line.offer_id, price, now)?;
    Order::settle(
        conn,
        order,
        &upgrade_lines(
            &sub,
            (new_line.offer_id, Some(new_id)),
            old_unit,
            price,
            now,
        ),
        now,
    )?;
    let names = (
        Offer::find(conn, old_line.offer_id)?.name,
        Offer::find(conn, new_line.offer_id)?.name,
    );
    NewActivity::new("subscription.upgraded", "subscription", Some(sub.id))
        .by(order.placed_by_user_id, order.placed_by_partner_id)
        .provider(Some(order.provider_id))
        .reseller(sub.reseller_of_record_id)
        .customer(Some(sub.customer_id))
        .change(Some(names.0), Some(names.1))
        .at(now)
        .record(conn)?;
    Ok(())
}

/// What Confirm will do, shown before it is done: the change and its price per billing period.
#[derive(Clone, Debug)]
pub enum Preview {
    /// Nothing would change.
    Unchanged,
    Quantity {
        detail: SubscriptionDetail,
        from: i32,
        to: i32,
        /// (to − from) × unit price, per billing period; negative for fewer licenses.
        change_minor: i64,
        /// to × unit price, per billing period.
        new_total_minor: i64,
        /// Charged now for the rest of the billing period (negative: credited).
        prorated_minor: i64,
        /// The end of that billing period.
        period_end: NaiveDateTime,
    },
    Cancel {
        detail: SubscriptionDetail,
        /// Refunded (negative).
        refund_minor: i64,
    },
    Upgrade {
        detail: SubscriptionDetail,
        to: Box<Offer>,
        /// Credit for the old offer and charge for the new one, for the rest of the billing period.
        net_minor: i64,
        new_total_minor: i64,
    },
    Suspend {
        detail: SubscriptionDetail,
        reason: String,
    },
    /// A change that needs no confirmation (reactivating, the reseller of record, the support contact).
    NoConfirmation,
}

/// Checks a change as `apply` would, and says what it would do; writes nothing.
pub async fn preview(
    db: &Db,
    scope: Scope,
    id: i64,
    actor: Actor,
    change: Parsed,
    now: NaiveDateTime,
) -> Result<Preview, ChangeError> {
    db.read(move |conn| {
        let (detail, _, change) = reach(conn, &scope, id, &actor, change, now)?;
        Ok(match change {
            Change::Quantity(n) => {
                let to = checked_quantity(conn, &detail, n, now)?;
                let from = detail.subscription.quantity;
                if to == from {
                    return Ok(Preview::Unchanged);
                }
                let unit = detail.subscription.unit_price_minor;
                let (prorated_minor, covered) =
                    prorated(&detail.subscription, (to - from).abs(), now);
                Preview::Quantity {
                    change_minor: (i64::from(to) - i64::from(from)) * unit,
                    new_total_minor: i64::from(to) * unit,
                    prorated_minor: if to < from {
                        -prorated_minor
                    } else {
                        prorated_minor
                    },
                    period_end: covered.end,
                    from,
                    to,
                    detail,
                }
            }
            Change::Cancel => {
                if !cancellable(&detail.subscription, now) {
                    return Err(refused("cancel", "lifecycle.cancel_after_window"));
                }
                let sub = &detail.subscription;
                let (amount, _) = prorated(sub, sub.quantity, now);
                Preview::Cancel {
                    refund_minor: -amount,
                    detail,
                }
            }
            Change::Upgrade(target) => {
                let (offer, price) = checked_upgrade(conn, &detail, target, now)?;
                let sub = &detail.subscription;
                let (credit, _) = prorated(sub, sub.quantity, now);
                let moved = Subscription {
                    unit_price_minor: price.price,
                    ..sub.clone()
                };
                let (charge, _) = prorated(&moved, sub.quantity, now);
                Preview::Upgrade {
                    net_minor: charge - credit,
                    new_total_minor: moved.period_total(),
                    to: Box::new(offer),
                    detail,
                }
            }
            Change::Status(SubscriptionStatus::Suspended, reason) => {
                if detail.subscription.status == SubscriptionStatus::Suspended {
                    return Ok(Preview::Unchanged);
                }
                Preview::Suspend {
                    detail,
                    reason: reason.unwrap_or_default(),
                }
            }
            _ => Preview::NoConfirmation,
        })
    })
    .await
}

fn apply_in(
    conn: &mut DbConnection,
    scope: &Scope,
    id: i64,
    actor: &Actor,
    change: Parsed,
    (now, base_url): (NaiveDateTime, &str),
) -> Result<&'static str, ChangeError> {
    Subscription::lock(conn, id)?;
    let (detail, provider, change) = reach(conn, scope, id, actor, change, now)?;
    let sub = &detail.subscription;
    let order = |kind: OrderKind| NewOrder {
        provider_id: provider.get(),
        customer_id: sub.customer_id,
        reseller_id: sub.reseller_of_record_id,
        placed_by_user_id: actor.user_id,
        placed_by_partner_id: Some(actor.partner_id),
        kind,
        currency: &detail.offer.currency,
        idempotency_key: None,
        at: now,
    };
    let log = |action: &'static str| {
        NewActivity::new(action, "subscription", Some(sub.id))
            .by(actor.user_id, Some(actor.partner_id))
            .provider(Some(provider.get()))
            .reseller(if actor.reseller {
                Some(actor.partner_id)
            } else {
                sub.reseller_of_record_id
            })
            .customer(Some(sub.customer_id))
    };
    match change {
        Change::Quantity(n) => {
            let quantity = checked_quantity(conn, &detail, n, now)?;
            if quantity == sub.quantity {
                return Ok("subscriptions.unchanged");
            }
            let reduced = quantity < sub.quantity;
            let unit = unit_of(conn, sub)?;
            let (amount, covered) =
                prorated_prices(sub, (quantity - sub.quantity).abs(), unit, now);
            // Added licenses over the reseller's credit wait for the provider's review.
            if !reduced
                && credit::needs_review(
                    conn,
                    provider.get(),
                    sub.reseller_of_record_id,
                    amount.price,
                )?
            {
                let placed = Order::create_pending(
                    conn,
                    &order(OrderKind::ChangeQuantity),
                    &[NewLine {
                        offer_id: detail.offer.id,
                        subscription_id: Some(sub.id),
                        quantity,
                        previous_quantity: Some(sub.quantity),
                        unit,
                        amount,
                        period: Some(covered),
                        term: Some(sub.term),
                        billing: Some(sub.billing),
                    }],
                    "{}",
                )?;
                credit::held(conn, placed.id, base_url)?;
                return Ok("orders.held_for_review");
            }
            Order::create(
                conn,
                &order(if reduced {
                    OrderKind::Reduction
                } else {
                    OrderKind::ChangeQuantity
                }),
                &[NewLine {
                    offer_id: detail.offer.id,
                    subscription_id: Some(sub.id),
                    quantity,
                    previous_quantity: Some(sub.quantity),
                    unit,
                    amount: if reduced { amount.map(|a| -a) } else { amount },
                    period: Some(covered),
                    term: Some(sub.term),
                    billing: Some(sub.billing),
                }],
            )?;
            Subscription::set_quantity(conn, sub.id, quantity)?;
            if reduced {
                Subscription::take_from_windows(conn, sub.id, sub.quantity - quantity, now)?;
            } else {
                // The added licenses have a window of their own.
                Subscription::open_window(conn, sub.id, quantity - sub.quantity, now)?;
            }
            let delta = i64::from(quantity) - i64::from(sub.quantity);
            counters::licenses_changed(conn, provider, sub.reseller_of_record_id, delta)?;
            log("subscription.quantity_changed")
                .change(Some(sub.quantity.to_string()), Some(quantity.to_string()))
                .record(conn)?;
            Ok("subscriptions.quantity_changed")
        }
        Change::Status(status, reason) => {
            if status == sub.status {
                return Ok("subscriptions.unchanged");
            }
            if !sub.status.is_live() || !status.is_live() {
                return Err(refused("status", "lifecycle.ended_no_change"));
            }
            Subscription::set_status(conn, sub.id, status)?;
            // The reason given for a suspension goes into the log with the new state.
            let new = match reason.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
                Some(reason) => format!("{}, {reason}", status.as_str()),
                None => status.as_str().to_owned(),
            };
            log("subscription.status_changed")
                .change(Some(sub.status.as_str().to_owned()), Some(new))
                .record(conn)?;
            Ok(match status {
                SubscriptionStatus::Active => "subscriptions.reactivated",
                _ => "subscriptions.suspended",
            })
        }
        Change::Cancel => {
            if !cancellable(sub, now) {
                return Err(refused("cancel", "lifecycle.cancel_after_window"));
            }
            let unit = unit_of(conn, sub)?;
            let (amount, covered) = prorated_prices(sub, sub.quantity, unit, now);
            Order::create(
                conn,
                &order(OrderKind::Cancellation),
                &[NewLine {
                    offer_id: detail.offer.id,
                    subscription_id: Some(sub.id),
                    quantity: sub.quantity,
                    previous_quantity: Some(sub.quantity),
                    unit,
                    amount: amount.map(|a| -a),
                    period: Some(covered),
                    term: Some(sub.term),
                    billing: Some(sub.billing),
                }],
            )?;
            Subscription::end(conn, sub.id, SubscriptionStatus::Cancelled, now, None)?;
            ScheduledChange::finish_open(conn, sub.id, lifecycle::CANCELLED, now)?;
            counters::subscription_ended(
                conn,
                provider,
                sub.customer_id,
                sub.reseller_of_record_id,
                i64::from(sub.quantity),
            )?;
            log("subscription.cancelled")
                .at(now)
                .change(
                    Some(sub.status.as_str().to_owned()),
                    Some("cancelled".to_owned()),
                )
                .record(conn)?;
            Ok("lifecycle.cancelled")
        }
        Change::AutoRenew(on) => {
            if !sub.status.is_live() {
                return Err(refused("auto_renew", "lifecycle.ended_no_change"));
            }
            if on == sub.auto_renew {
                return Ok("subscriptions.unchanged");
            }
            Subscription::set_auto_renew(conn, sub.id, on)?;
            let word = |on: bool| if on { "on" } else { "off" }.to_owned();
            log("subscription.auto_renew_changed")
                .at(now)
                .change(Some(word(sub.auto_renew)), Some(word(on)))
                .record(conn)?;
            Ok(if on {
                "lifecycle.auto_renew_on"
            } else {
                "lifecycle.auto_renew_off"
            })
        }
        Change::Schedule(spec) => {
            checked_schedule(conn, &detail, &spec)?;
            ScheduledChange::schedule(conn, sub.id, &spec, actor.user_id, now, sub.ends_at)?;
            log("subscription.change_scheduled")
                .at(now)
                .change(None, Some(describe_spec(conn, &spec)?))
                .record(conn)?;
            Ok("lifecycle.scheduled")
        }
        Change::CancelScheduled => {
            let Some(open) = ScheduledChange::open_for(conn, sub.id)? else {
                return Ok("subscriptions.unchanged");
            };
            ScheduledChange::finish_open(conn, sub.id, lifecycle::CANCELLED, now)?;
            log("subscription.scheduled_change_cancelled")
                .at(now)
                .change(Some(describe_spec(conn, &open.spec())?), None)
                .record(conn)?;
            Ok("lifecycle.scheduled_cancelled")
        }
        Change::Upgrade(target) => {
            let (offer, price) = checked_upgrade(conn, &detail, target, now)?;
            let old_unit = unit_of(conn, sub)?;
            let lines = upgrade_lines(sub, (offer.id, None), old_unit, price, now);
            // An upgrade that costs more than it credits, over the reseller's credit, waits for the
            // provider's review: nothing changes until it is approved.
            let net: i64 = lines.iter().map(|l| l.amount.price).sum();
            if net > 0
                && credit::needs_review(conn, provider.get(), sub.reseller_of_record_id, net)?
            {
                let placed = Order::create_pending(conn, &order(OrderKind::Upgrade), &lines, "{}")?;
                credit::held(conn, placed.id, base_url)?;
                return Ok("orders.held_for_review");
            }
            let new_id = carry_out_upgrade(conn, provider, sub, offer.id, price, now)?;
            Order::create(
                conn,
                &order(OrderKind::Upgrade),
                &upgrade_lines(sub, (offer.id, Some(new_id)), old_unit, price, now),
            )?;
            log("subscription.upgraded")
                .at(now)
                .change(Some(detail.offer.name.clone()), Some(offer.name.clone()))
                .record(conn)?;
            Ok("lifecycle.upgraded")
        }
        Change::ResellerOfRecord(new) => {
            if actor.reseller {
                return Err(ChangeError::NotFound);
            }
            if sub.status != SubscriptionStatus::Active {
                return Err(refused(
                    "reseller_of_record",
                    "subscriptions.suspended_no_edit",
                ));
            }
            if let Some(r) = new
                && Partnership::active(conn, provider.get(), r)?.is_none()
            {
                return Err(refused(
                    "reseller_of_record",
                    "wizard.reseller_not_partnered",
                ));
            }
            if new == sub.reseller_of_record_id {
                return Ok("subscriptions.unchanged");
            }
            Subscription::set_reseller_of_record(conn, sub.id, new)?;
            counters::reseller_of_record_changed(
                conn,
                provider,
                sub.reseller_of_record_id,
                new,
                i64::from(sub.quantity),
            )?;
            let new_name = match new {
                Some(r) => Some(Partner::find(conn, r)?.name),
                None => None,
            };
            NewActivity::new(
                "subscription.reseller_of_record_changed",
                "subscription",
                Some(sub.id),
            )
            .by(actor.user_id, Some(actor.partner_id))
            .provider(Some(provider.get()))
            .reseller(new.or(sub.reseller_of_record_id))
            .customer(Some(sub.customer_id))
            .change(detail.reseller_of_record.clone(), new_name)
            .record(conn)?;
            if let Some(r) = new {
                tell(
                    conn,
                    r,
                    actor,
                    &detail.customer_name,
                    &detail.offer.name,
                    false,
                )?;
            }
            Ok("subscriptions.reseller_of_record_changed")
        }
        Change::SupportContact(new) => {
            if actor.reseller {
                return Err(ChangeError::NotFound);
            }
            if sub.status != SubscriptionStatus::Active {
                return Err(refused(
                    "support_contact",
                    "subscriptions.suspended_no_edit",
                ));
            }
            if new != provider.get() && !support_choices(conn, provider, sub, now)?.contains(&new) {
                return Err(refused(
                    "support_contact",
                    "subscriptions.support_contact_invalid",
                ));
            }
            if new == sub.support_contact_id {
                return Ok("subscriptions.unchanged");
            }
            Subscription::set_support_contact(conn, sub.id, new)?;
            let new_name = Partner::find(conn, new)?.name;
            NewActivity::new(
                "subscription.support_contact_changed",
                "subscription",
                Some(sub.id),
            )
            .by(actor.user_id, Some(actor.partner_id))
            .provider(Some(provider.get()))
            .reseller(
                (new != provider.get())
                    .then_some(new)
                    .or(sub.reseller_of_record_id),
            )
            .customer(Some(sub.customer_id))
            .change(Some(detail.support_contact.clone()), Some(new_name))
            .record(conn)?;
            if new != provider.get() {
                tell(
                    conn,
                    new,
                    actor,
                    &detail.customer_name,
                    &detail.offer.name,
                    true,
                )?;
            }
            Ok("subscriptions.support_contact_changed")
        }
    }
}

/// The name of the offer a scheduled change moves to, if it changes the offer.
pub fn spec_offer_name(
    conn: &mut DbConnection,
    spec: &ChangeSpec,
) -> Result<Option<String>, DbError> {
    match spec.offer_id {
        Some(o) => Ok(Some(Offer::find(conn, o)?.name)),
        None => Ok(None),
    }
}

/// A scheduled change in one line, for the activity log: `licenses 5 · P1Y · annual · Offer`.
pub fn describe_spec(conn: &mut DbConnection, spec: &ChangeSpec) -> Result<String, DbError> {
    let mut parts = Vec::new();
    if let Some(q) = spec.quantity {
        parts.push(format!("licenses {q}"));
    }
    if let Some(t) = spec.term {
        parts.push(t.as_str().to_owned());
    }
    if let Some(b) = spec.billing {
        parts.push(b.as_str().to_owned());
    }
    if let Some(o) = spec.offer_id {
        parts.push(Offer::find(conn, o)?.name);
    }
    Ok(parts.join(" · "))
}

/// Emails a reseller's users that they were made reseller of record or support contact.
fn tell(
    conn: &mut DbConnection,
    reseller: i64,
    actor: &Actor,
    company: &str,
    offer: &str,
    support: bool,
) -> Result<(), DbError> {
    for to in User::of_partner(conn, reseller)? {
        let message = SubscriptionAssigned {
            tr: Tr(to.locale.unwrap_or_default()),
            name: to.display_name.clone(),
            provider: actor.partner_name.clone(),
            company: company.to_owned(),
            offer: offer.to_owned(),
            support,
        };
        email::queue(conn, &to.email, &message)?;
    }
    Ok(())
}
