//! New subscription for an existing customer: an offer, a number of licenses, and the reseller of
//! record (for incentives). One transaction: the subscription, its order, the counters, the activity
//! log, and an email to the reseller of record.

use crate::db::models::activity::NewActivity;
use crate::db::models::customer::ProviderCustomer;
use crate::db::models::offer::Offer;
use crate::db::models::order::{NewLine, NewOrder, Order};
use crate::db::models::partnership::Partnership;
use crate::db::models::subscription::{NewSubscription, Subscription};
use crate::db::models::user::User;
use crate::db::{Db, DbConnection, DbError};
use crate::domain::form::FormErrors;
use crate::domain::{FormKey, OrderKind, ProviderId, check_limits};
use crate::email::{self, messages::SubscriptionAssigned};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::services::counters;

/// The form, parsed (the offer's limits and the reseller are checked here).
pub struct AddSubscription {
    pub provider: ProviderId,
    pub provider_name: String,
    pub user_id: i64,
    pub customer_id: i64,
    pub offer_id: i64,
    pub quantity: i64,
    pub reseller: Option<i64>,
    /// The form's own key (a hidden field made when the form was shown): the same form sent twice, or
    /// twice at once, adds one subscription.
    pub form_key: Option<FormKey>,
}

#[derive(Debug, thiserror::Error)]
pub enum AddError {
    /// Not one of the provider's customers.
    #[error("not found")]
    NotFound,
    /// A message per field; nothing was written.
    #[error("the subscription was not added")]
    Invalid(FormErrors),
    #[error(transparent)]
    Db(#[from] DbError),
}
crate::wraps_db_error!(AddError);

impl From<AddError> for AppError {
    fn from(err: AddError) -> Self {
        match err {
            AddError::NotFound => AppError::NotFound,
            AddError::Invalid(_) => AppError::Unprocessable("validation.summary"),
            AddError::Db(err) => err.into(),
        }
    }
}

/// Adds the subscription; its id (the first one's, when this form was sent before).
pub async fn add(db: &Db, cmd: AddSubscription) -> Result<i64, AddError> {
    let key = order_key(&cmd);
    match db.write(move |conn| add_in(conn, &cmd)).await {
        // The same form at the same moment: the other request placed the order first.
        Err(AddError::Db(DbError::UniqueViolation)) if key.is_some() => {
            let key = key.unwrap_or_default();
            db.read(move |conn| earlier(conn, &key)?.ok_or(AddError::Db(DbError::UniqueViolation)))
                .await
        }
        other => other,
    }
}

/// The order's idempotency key: the form's, within its provider.
fn order_key(cmd: &AddSubscription) -> Option<String> {
    cmd.form_key
        .as_ref()
        .map(|k| format!("subscription:{}:{}", cmd.provider.get(), k.as_str()))
}

/// The subscription an earlier sending of the same form added.
fn earlier(conn: &mut DbConnection, key: &str) -> Result<Option<i64>, AddError> {
    Ok(match Order::by_idempotency_key(conn, key)? {
        Some(order) => Order::first_subscription(conn, order.id)?,
        None => None,
    })
}

/// What Submit would add, checked as Submit checks it.
struct Checked {
    relation: ProviderCustomer,
    offer: Offer,
    quantity: i32,
}

/// The customer is the provider's, the offer orderable and the licenses within its limits, the
/// reseller of record a partner: or a message per field.
fn check_in(conn: &mut DbConnection, cmd: &AddSubscription) -> Result<Checked, AddError> {
    let relation =
        ProviderCustomer::find(conn, cmd.provider, cmd.customer_id).map_err(
            |e| match DbError::from(e) {
                DbError::NotFound => AddError::NotFound,
                other => AddError::Db(other),
            },
        )?;
    let mut errors = FormErrors::new();
    let offer = Offer::orderable_by_ids(conn, &[cmd.offer_id])?.pop();
    if offer.is_none() {
        errors.add("offer", "wizard.offer_not_orderable");
    }
    let quantity = offer.as_ref().and_then(|o| {
        errors.check(
            "quantity",
            check_limits(cmd.quantity, o.min_licenses, o.max_licenses),
        )
    });
    if let Some(r) = cmd.reseller
        && Partnership::active(conn, cmd.provider.get(), r)?.is_none()
    {
        errors.add("reseller", "wizard.reseller_not_partnered");
    }
    match (offer, quantity, errors.is_empty()) {
        (Some(offer), Some(quantity), true) => Ok(Checked {
            relation,
            offer,
            quantity,
        }),
        _ => Err(AddError::Invalid(errors)),
    }
}

/// What Review shows before Submit: the offer, the licenses and their price per billing period, the
/// reseller of record, and the customer's subscriptions to the same offer (add licenses instead?).
pub struct Reviewed {
    pub offer: Offer,
    pub quantity: i32,
    pub total_minor: i64,
    pub reseller_name: Option<String>,
    /// (subscription id, licenses) of the same offer this customer already has from this provider.
    pub same_offer: Vec<(i64, i32)>,
}

/// Checks the form as Submit would and says what it would add; writes nothing.
pub async fn review(db: &Db, cmd: AddSubscription) -> Result<Reviewed, AddError> {
    db.read(move |conn| {
        let checked = check_in(conn, &cmd)?;
        let reseller_name = match cmd.reseller {
            Some(r) => Some(crate::db::models::partner::Partner::find(conn, r)?.name),
            None => None,
        };
        let same_offer = Subscription::summaries_for(conn, cmd.provider, &[cmd.customer_id])?
            .into_iter()
            .filter(|s| s.subscription.offer_id == checked.offer.id)
            .map(|s| (s.subscription.id, s.subscription.quantity))
            .collect();
        Ok(Reviewed {
            total_minor: i64::from(checked.quantity) * checked.offer.unit_price_minor,
            quantity: checked.quantity,
            offer: checked.offer,
            reseller_name,
            same_offer,
        })
    })
    .await
}

/// The same, inside the caller's transaction (fixtures and tools).
pub fn add_in(conn: &mut DbConnection, cmd: &AddSubscription) -> Result<i64, AddError> {
    let key = order_key(cmd);
    if let Some(key) = &key
        && let Some(id) = earlier(conn, key)?
    {
        return Ok(id);
    }
    let provider = cmd.provider;
    let Checked {
        relation,
        offer,
        quantity,
    } = check_in(conn, cmd)?;
    let subscription_id = Subscription::create(
        conn,
        &NewSubscription {
            provider_id: provider.get(),
            customer_id: cmd.customer_id,
            offer_id: offer.id,
            quantity,
            reseller_of_record_id: cmd.reseller,
            support_contact_id: provider.get(),
        },
    )?;
    let placed = Order::create(
        conn,
        &NewOrder {
            provider_id: provider.get(),
            customer_id: cmd.customer_id,
            reseller_id: cmd.reseller,
            placed_by_user_id: cmd.user_id,
            placed_by_partner_id: Some(provider.get()),
            kind: OrderKind::NewSubscription,
            currency: &offer.currency,
            idempotency_key: key.as_deref(),
        },
        &[NewLine {
            offer_id: offer.id,
            subscription_id: Some(subscription_id),
            quantity,
            previous_quantity: None,
            unit_price_minor: offer.unit_price_minor,
        }],
    )?;
    counters::subscription_added(
        conn,
        provider,
        cmd.customer_id,
        cmd.reseller,
        i64::from(quantity),
    )?;
    NewActivity::new(
        "subscription.created",
        "subscription",
        Some(subscription_id),
    )
    .by(cmd.user_id, Some(provider.get()))
    .provider(Some(provider.get()))
    .reseller(cmd.reseller)
    .customer(Some(cmd.customer_id))
    .change(
        None,
        Some(format!(
            "{} × {quantity} ({})",
            offer.name,
            placed.reference()
        )),
    )
    .record(conn)?;
    if let Some(r) = cmd.reseller {
        for to in User::of_partner(conn, r)? {
            let message = SubscriptionAssigned {
                tr: Tr(to.locale.unwrap_or_default()),
                name: to.display_name.clone(),
                provider: cmd.provider_name.clone(),
                company: relation.company_name.clone(),
                offer: offer.name.clone(),
                support: false,
            };
            email::queue(conn, &to.email, &message)?;
        }
    }
    Ok(subscription_id)
}
