//! Changing a subscription: licenses (an order), suspend or reactivate, the reseller of record
//! (incentives) and the designated support contact. Each change is one transaction with its order,
//! counters, one activity-log entry with old and new values, and email to a reseller given a new role.
//! The provider changes all of it; a reseller administering the customer (delegated administration,
//! and still a partner) changes licenses and status on the customer's behalf.

use crate::db::models::activity::NewActivity;
use crate::db::models::customer::ProviderCustomer;
use crate::db::models::order::{NewLine, NewOrder, Order};
use crate::db::models::partner::Partner;
use crate::db::models::partnership::Partnership;
use crate::db::models::subscription::{Scope, Subscription, SubscriptionDetail};
use crate::db::models::user::User;
use crate::db::{Db, DbConnection, DbError};
use crate::domain::{OrderKind, ProviderId, SubscriptionStatus, check_limits};
use crate::email::{self, messages::SubscriptionAssigned};
use crate::i18n::Tr;
use crate::services::counters;

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
) -> Result<&'static str, ChangeError> {
    db.write(move |conn| apply_in(conn, &scope, id, &actor, change))
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
) -> Result<(SubscriptionDetail, ProviderId, Change), ChangeError> {
    let detail = Subscription::find_in(conn, scope, id).map_err(ChangeError::lookup)?;
    // The subscription's own provider: found through the actor's scope, so the relationship holds.
    #[expect(
        clippy::disallowed_methods,
        reason = "the provider of a subscription the actor's scope reached"
    )]
    let provider = ProviderId::established(detail.subscription.provider_id);
    if actor.reseller
        && !Subscription::administered_by(conn, &detail.subscription, actor.partner_id)?
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
/// partnered with the provider. (Delegated-administration grants will add theirs.)
pub fn support_choices(
    conn: &mut DbConnection,
    provider: ProviderId,
    sub: &Subscription,
) -> Result<Vec<i64>, DbError> {
    let relation = ProviderCustomer::find(conn, provider, sub.customer_id)?;
    let mut choices = Vec::new();
    for r in [relation.reseller_id, sub.reseller_of_record_id]
        .into_iter()
        .flatten()
    {
        if !choices.contains(&r) && Partnership::active(conn, provider.get(), r)?.is_some() {
            choices.push(r);
        }
    }
    Ok(choices)
}

/// A new number of licenses within the offer's limits, for an active subscription.
fn checked_quantity(detail: &SubscriptionDetail, n: i64) -> Result<i32, ChangeError> {
    let quantity = check_limits(n, detail.offer.min_licenses, detail.offer.max_licenses)
        .map_err(|key| refused("quantity", key))?;
    if detail.subscription.status != SubscriptionStatus::Active {
        return Err(refused("quantity", "subscriptions.suspended_no_change"));
    }
    Ok(quantity)
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
) -> Result<Preview, ChangeError> {
    db.read(move |conn| {
        let (detail, _, change) = reach(conn, &scope, id, &actor, change)?;
        Ok(match change {
            Change::Quantity(n) => {
                let to = checked_quantity(&detail, n)?;
                let from = detail.subscription.quantity;
                if to == from {
                    return Ok(Preview::Unchanged);
                }
                let unit = detail.offer.unit_price_minor;
                Preview::Quantity {
                    change_minor: (i64::from(to) - i64::from(from)) * unit,
                    new_total_minor: i64::from(to) * unit,
                    from,
                    to,
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
) -> Result<&'static str, ChangeError> {
    Subscription::lock(conn, id)?;
    let (detail, provider, change) = reach(conn, scope, id, actor, change)?;
    let sub = &detail.subscription;
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
            let quantity = checked_quantity(&detail, n)?;
            if quantity == sub.quantity {
                return Ok("subscriptions.unchanged");
            }
            Order::create(
                conn,
                &NewOrder {
                    provider_id: provider.get(),
                    customer_id: sub.customer_id,
                    reseller_id: sub.reseller_of_record_id,
                    placed_by_user_id: actor.user_id,
                    placed_by_partner_id: Some(actor.partner_id),
                    kind: OrderKind::ChangeQuantity,
                    currency: &detail.offer.currency,
                    idempotency_key: None,
                },
                &[NewLine {
                    offer_id: detail.offer.id,
                    subscription_id: Some(sub.id),
                    quantity,
                    previous_quantity: Some(sub.quantity),
                    unit_price_minor: detail.offer.unit_price_minor,
                }],
            )?;
            Subscription::set_quantity(conn, sub.id, quantity)?;
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
                SubscriptionStatus::Suspended => "subscriptions.suspended",
            })
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
            if new != provider.get() && !support_choices(conn, provider, sub)?.contains(&new) {
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
