//! The changes a subscription can go through, each in one transaction with its order (for quantities),
//! counters, one activity-log entry with old and new values, and email to a reseller given a new role.
//! Used by the provider's pages and by a reseller administering the customer.

use crate::auth::ProviderId;
use crate::db::DbConnection;
use crate::db::models::activity::NewActivity;
use crate::db::models::order::{NewLine, NewOrder, Order};
use crate::db::models::partner::Partner;
use crate::db::models::partnership::Partnership;
use crate::db::models::stats::{Delta, ProviderStats};
use crate::db::models::subscription::{Scope, Subscription};
use crate::db::models::user::User;
use crate::domain::parse_quantity;
use crate::email::{self, messages::SubscriptionAssigned};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::startup::AppState;

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
    pub fn provider(user_id: i64, provider_id: i64, name: &str) -> Self {
        Self {
            user_id,
            partner_id: provider_id,
            partner_name: name.to_owned(),
            reseller: false,
        }
    }

    pub fn reseller(user_id: i64, reseller_id: i64, name: &str) -> Self {
        Self {
            user_id,
            partner_id: reseller_id,
            partner_name: name.to_owned(),
            reseller: true,
        }
    }
}

/// A change, as typed.
#[derive(Clone, Debug)]
pub enum Change {
    Quantity(String),
    /// `active` or `suspended`.
    Status(String),
    /// A reseller id, or empty for none.
    ResellerOfRecord(String),
    /// The provider's id or a partnered reseller's.
    SupportContact(String),
}

pub enum Outcome {
    /// Done (or nothing to do); the flash message to show.
    Done(&'static str),
    /// Refused, with the field and message to show; nothing was written.
    Refused {
        field: &'static str,
        key: &'static str,
    },
}

fn refused(field: &'static str, key: &'static str) -> Result<Outcome, AppError> {
    Ok(Outcome::Refused { field, key })
}

pub async fn apply(
    state: &AppState,
    scope: Scope,
    id: i64,
    actor: Actor,
    change: Change,
) -> AppResult<Outcome> {
    let outcome = state
        .db
        .write(move |conn| apply_in(conn, &scope, id, &actor, change))
        .await?;
    state.wake_outbox();
    Ok(outcome)
}

fn apply_in(
    conn: &mut DbConnection,
    scope: &Scope,
    id: i64,
    actor: &Actor,
    change: Change,
) -> Result<Outcome, AppError> {
    let detail = Subscription::find_in(conn, scope, id)?;
    let sub = &detail.subscription;
    let provider = sub.provider_id;
    if actor.reseller && !Subscription::administered_by(conn, sub, actor.partner_id)? {
        return Err(AppError::NotFound);
    }
    let log = |action: &'static str| {
        NewActivity::new(action, "subscription", Some(sub.id))
            .by(actor.user_id, Some(actor.partner_id))
            .provider(Some(provider))
            .reseller(if actor.reseller {
                Some(actor.partner_id)
            } else {
                sub.reseller_of_record_id
            })
            .customer(Some(sub.customer_id))
    };
    match change {
        Change::Quantity(raw) => {
            let quantity =
                match parse_quantity(&raw, detail.offer.min_licenses, detail.offer.max_licenses) {
                    Ok(q) => q,
                    Err(key) => return refused("quantity", key),
                };
            if sub.status != "active" {
                return refused("quantity", "subscriptions.suspended_no_change");
            }
            if quantity == sub.quantity {
                return Ok(Outcome::Done("subscriptions.unchanged"));
            }
            Order::create(
                conn,
                &NewOrder {
                    provider_id: provider,
                    customer_id: sub.customer_id,
                    reseller_id: sub.reseller_of_record_id,
                    placed_by_user_id: actor.user_id,
                    placed_by_partner_id: Some(actor.partner_id),
                    kind: "change_quantity",
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
            ProviderStats::bump(
                conn,
                provider,
                Delta {
                    licenses: delta,
                    ..Delta::default()
                },
            )?;
            if let Some(ror) = sub.reseller_of_record_id {
                Partnership::bump_counts(conn, provider, ror, 0, delta)?;
            }
            log("subscription.quantity_changed")
                .change(Some(sub.quantity.to_string()), Some(quantity.to_string()))
                .record(conn)?;
            Ok(Outcome::Done("subscriptions.quantity_changed"))
        }
        Change::Status(raw) => {
            let status = match raw.as_str() {
                "active" | "suspended" => raw,
                _ => return refused("status", "validation.invalid"),
            };
            if status == sub.status {
                return Ok(Outcome::Done("subscriptions.unchanged"));
            }
            Subscription::set_status(conn, sub.id, &status)?;
            log("subscription.status_changed")
                .change(Some(sub.status.clone()), Some(status.clone()))
                .record(conn)?;
            Ok(Outcome::Done(if status == "active" {
                "subscriptions.reactivated"
            } else {
                "subscriptions.suspended"
            }))
        }
        Change::ResellerOfRecord(raw) => {
            if actor.reseller {
                return Err(AppError::NotFound);
            }
            let new = match partnered(conn, ProviderId::trusted(provider), &raw, true)? {
                Ok(new) => new,
                Err(key) => return refused("reseller_of_record", key),
            };
            if new == sub.reseller_of_record_id {
                return Ok(Outcome::Done("subscriptions.unchanged"));
            }
            Subscription::set_reseller_of_record(conn, sub.id, new)?;
            let licenses = i64::from(sub.quantity);
            if let Some(old) = sub.reseller_of_record_id {
                Partnership::bump_counts(conn, provider, old, 0, -licenses)?;
            }
            let new_name = match new {
                Some(r) => {
                    Partnership::bump_counts(conn, provider, r, 0, licenses)?;
                    Some(Partner::find(conn, r)?.name)
                }
                None => None,
            };
            NewActivity::new(
                "subscription.reseller_of_record_changed",
                "subscription",
                Some(sub.id),
            )
            .by(actor.user_id, Some(actor.partner_id))
            .provider(Some(provider))
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
            Ok(Outcome::Done("subscriptions.reseller_of_record_changed"))
        }
        Change::SupportContact(raw) => {
            if actor.reseller {
                return Err(AppError::NotFound);
            }
            let new = if raw.trim() == provider.to_string() {
                provider
            } else {
                match partnered(conn, ProviderId::trusted(provider), &raw, false)? {
                    Ok(Some(r)) => r,
                    Ok(None) | Err(_) => {
                        return refused("support_contact", "subscriptions.support_contact_invalid");
                    }
                }
            };
            if new == sub.support_contact_id {
                return Ok(Outcome::Done("subscriptions.unchanged"));
            }
            Subscription::set_support_contact(conn, sub.id, new)?;
            let new_name = Partner::find(conn, new)?.name;
            NewActivity::new(
                "subscription.support_contact_changed",
                "subscription",
                Some(sub.id),
            )
            .by(actor.user_id, Some(actor.partner_id))
            .provider(Some(provider))
            .reseller(
                (new != provider)
                    .then_some(new)
                    .or(sub.reseller_of_record_id),
            )
            .customer(Some(sub.customer_id))
            .change(Some(detail.support_contact.clone()), Some(new_name))
            .record(conn)?;
            if new != provider {
                tell(
                    conn,
                    new,
                    actor,
                    &detail.customer_name,
                    &detail.offer.name,
                    true,
                )?;
            }
            Ok(Outcome::Done("subscriptions.support_contact_changed"))
        }
    }
}

/// A reseller id as typed, if it is one of the provider's active partners: `Ok(None)` for empty when
/// `allow_none`, `Err(message)` otherwise.
pub fn partnered(
    conn: &mut DbConnection,
    provider: ProviderId,
    raw: &str,
    allow_none: bool,
) -> Result<Result<Option<i64>, &'static str>, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(if allow_none {
            Ok(None)
        } else {
            Err("wizard.reseller_not_partnered")
        });
    }
    let Ok(id) = raw.parse::<i64>() else {
        return Ok(Err("wizard.reseller_not_partnered"));
    };
    Ok(match Partnership::active(conn, provider.get(), id)? {
        Some(_) => Ok(Some(id)),
        None => Err("wizard.reseller_not_partnered"),
    })
}

/// Emails a reseller's users that they were made reseller of record or support contact.
fn tell(
    conn: &mut DbConnection,
    reseller: i64,
    actor: &Actor,
    company: &str,
    offer: &str,
    support: bool,
) -> Result<(), AppError> {
    for to in User::of_partner(conn, reseller)? {
        let message = SubscriptionAssigned {
            tr: Tr(to.locale().unwrap_or_default()),
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
