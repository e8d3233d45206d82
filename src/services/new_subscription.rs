//! New subscription for an existing customer: an offer, a number of licenses, its term and billing
//! frequency, auto-renew, the end date aligned (co-termed) with one of the customer's subscriptions or
//! a calendar month's end, and the reseller of record (for incentives). One transaction: the
//! subscription, its order (the first charge, prorated when aligned), the counters, the activity log,
//! and an email to the reseller of record.

use crate::db::models::activity::NewActivity;
use crate::db::models::customer::ProviderCustomer;
use crate::db::models::offer::Offer;
use crate::db::models::order::{NewLine, NewOrder, Order};
use crate::db::models::partnership::Partnership;
use crate::db::models::subscription::{NewSubscription, Subscription};
use crate::db::models::user::User;
use crate::db::{Db, DbConnection, DbError};
use crate::domain::form::FormErrors;
use crate::domain::lifecycle::{
    Align, AlignError, Period, Plan, aligned_end, charge_to_period_end,
};
use crate::domain::pricing::Prices;
use crate::domain::{FormKey, OrderKind, ProviderId, check_limits};
use crate::email::{self, messages::SubscriptionAssigned};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::services::pricing::PriceBook;
use crate::services::{counters, credit};

/// The form, parsed (the offer's limits and the reseller are checked here).
pub struct AddSubscription {
    pub provider: ProviderId,
    pub provider_name: String,
    pub user_id: i64,
    pub customer_id: i64,
    pub offer_id: i64,
    pub quantity: i64,
    pub reseller: Option<i64>,
    /// `P1Y:annual`; empty: the offer's first plan.
    pub plan: String,
    pub auto_renew: bool,
    /// `""` (no alignment), `month_end`, or the id of the customer's subscription to end with.
    pub align: String,
    /// Now, by the injected clock: the subscription's start.
    pub now: chrono::NaiveDateTime,
    /// The form's own key (a hidden field made when the form was shown): the same form sent twice, or
    /// twice at once, adds one subscription.
    pub form_key: Option<FormKey>,
    /// Where the emails' links start.
    pub base_url: String,
}

/// What adding did: the subscription, or an order waiting for the provider's review (the
/// reseller's credit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Added {
    Subscription(i64),
    PendingReview(i64),
}

/// The choices a held order keeps for its approval.
#[derive(serde::Serialize, serde::Deserialize, Default)]
struct Held {
    plan: String,
    auto_renew: bool,
    align: String,
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

/// Adds the subscription (or holds its order for review); the first outcome when this form was sent
/// before.
pub async fn add(db: &Db, cmd: AddSubscription) -> Result<Added, AddError> {
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

/// What an earlier sending of the same form did.
fn earlier(conn: &mut DbConnection, key: &str) -> Result<Option<Added>, AddError> {
    Ok(match Order::by_idempotency_key(conn, key)? {
        Some(order) if !order.is_placed() => Some(Added::PendingReview(order.id)),
        Some(order) => Order::first_subscription(conn, order.id)?.map(Added::Subscription),
        None => None,
    })
}

/// What Submit would add, checked as Submit checks it.
struct Checked {
    relation: ProviderCustomer,
    offer: Offer,
    quantity: i32,
    plan: Plan,
    /// Per license: cost, price, sale price.
    unit: Prices,
    ends_at: chrono::NaiveDateTime,
    /// The first charge (at each price) and the period it covers.
    first: Prices,
    first_period: Period,
}

/// The customer's running subscriptions from this provider an end date can be aligned with:
/// (id, offer name, end).
pub fn align_choices(
    conn: &mut DbConnection,
    provider: ProviderId,
    customer_id: i64,
) -> Result<Vec<(i64, String, chrono::NaiveDateTime)>, DbError> {
    Ok(Subscription::summaries_for(conn, provider, &[customer_id])?
        .into_iter()
        .filter(|s| s.subscription.status.is_live())
        .map(|s| (s.subscription.id, s.offer_name, s.subscription.ends_at))
        .collect())
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
    let book = PriceBook::load(conn, cmd.provider.get(), cmd.reseller)?;
    let mut prices = match &offer {
        Some(o) => Offer::prices_of(conn, &[o.id])?,
        None => Vec::new(),
    };
    book.price_plans(&mut prices, cmd.now);
    let plan = offer.as_ref().and_then(|o| {
        errors.check(
            "plan",
            crate::services::new_customer::checked_plan(&prices, o.id, Some(&cmd.plan)),
        )
    });
    let align = match cmd.align.trim() {
        "" => Some(Align::None),
        "month_end" => Some(Align::MonthEnd),
        raw => {
            let other = raw.parse::<i64>().ok().and_then(|id| {
                align_choices(conn, cmd.provider, cmd.customer_id)
                    .ok()?
                    .into_iter()
                    .find(|(s, _, _)| *s == id)
            });
            match other {
                Some((_, _, end)) => Some(Align::With(end)),
                None => {
                    errors.add("align", "lifecycle.align_unknown");
                    None
                }
            }
        }
    };
    let ends_at = match (plan, align) {
        (Some((plan, _)), Some(align)) => match aligned_end(cmd.now, plan.term, align) {
            Ok(end) => Some(end),
            Err(AlignError::EndsTooSoon) => {
                errors.add("align", "lifecycle.align_too_soon");
                None
            }
            Err(AlignError::EndsTooLate) => {
                errors.add("align", "lifecycle.align_too_late");
                None
            }
        },
        _ => None,
    };
    if let Some(r) = cmd.reseller
        && Partnership::active(conn, cmd.provider.get(), r)?.is_none()
    {
        errors.add("reseller", "wizard.reseller_not_partnered");
    }
    match (offer, quantity, plan, ends_at, errors.is_empty()) {
        (Some(offer), Some(quantity), Some((plan, price)), Some(ends_at), true) => {
            let unit = book.unit(
                conn,
                price.unit_cost_minor,
                price.unit_price_minor,
                (offer.id, plan.term, plan.billing),
                cmd.customer_id,
            )?;
            let first = |u: i64| {
                charge_to_period_end(
                    i64::from(quantity),
                    u,
                    cmd.now,
                    ends_at,
                    plan.term,
                    plan.billing,
                    cmd.now,
                )
            };
            let first_period = first(unit.price).1;
            Ok(Checked {
                relation,
                offer,
                quantity,
                plan,
                unit,
                ends_at,
                first: unit.map(|u| first(u).0),
                first_period,
            })
        }
        _ => Err(AddError::Invalid(errors)),
    }
}

/// What Review shows before Submit: the offer, the licenses and their price per billing period, the
/// reseller of record, and the customer's subscriptions to the same offer (add licenses instead?).
pub struct Reviewed {
    pub offer: Offer,
    pub quantity: i32,
    /// One billing period of the licenses.
    pub total_minor: i64,
    pub plan: Plan,
    pub auto_renew: bool,
    pub start: chrono::NaiveDateTime,
    pub ends_at: chrono::NaiveDateTime,
    /// Charged at Submit, for `first_period` (prorated when it is shorter than a billing period).
    pub first_minor: i64,
    /// The same at cost (the provider's Review shows its margin).
    pub first_cost_minor: i64,
    pub first_period: Period,
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
            total_minor: i64::from(checked.quantity) * checked.unit.price,
            plan: checked.plan,
            auto_renew: cmd.auto_renew,
            start: cmd.now,
            ends_at: checked.ends_at,
            first_minor: checked.first.price,
            first_cost_minor: checked.first.cost,
            first_period: checked.first_period,
            quantity: checked.quantity,
            offer: checked.offer,
            reseller_name,
            same_offer,
        })
    })
    .await
}

/// The same, inside the caller's transaction (fixtures and tools).
pub fn add_in(conn: &mut DbConnection, cmd: &AddSubscription) -> Result<Added, AddError> {
    let key = order_key(cmd);
    if let Some(key) = &key
        && let Some(done) = earlier(conn, key)?
    {
        return Ok(done);
    }
    let checked = check_in(conn, cmd)?;
    if credit::needs_review(conn, cmd.provider.get(), cmd.reseller, checked.first.price)? {
        let held = serde_json::to_string(&Held {
            plan: checked.plan.value(),
            auto_renew: cmd.auto_renew,
            align: cmd.align.clone(),
        })
        .unwrap_or_default();
        let placed = Order::create_pending(
            conn,
            &NewOrder {
                provider_id: cmd.provider.get(),
                customer_id: cmd.customer_id,
                reseller_id: cmd.reseller,
                placed_by_user_id: cmd.user_id,
                placed_by_partner_id: Some(cmd.provider.get()),
                kind: OrderKind::NewSubscription,
                currency: &checked.offer.currency,
                idempotency_key: key.as_deref(),
                at: cmd.now,
            },
            &[NewLine {
                offer_id: checked.offer.id,
                subscription_id: None,
                quantity: checked.quantity,
                previous_quantity: None,
                unit: checked.unit,
                amount: checked.first,
                period: Some(checked.first_period),
                term: Some(checked.plan.term),
                billing: Some(checked.plan.billing),
            }],
            &held,
        )?;
        credit::held(conn, placed.id, &cmd.base_url)?;
        return Ok(Added::PendingReview(placed.id));
    }
    provision(conn, cmd, checked, key.as_deref(), None).map(Added::Subscription)
}

/// Provisions an approved order as of `now` (its term starts then): the subscription, the order's
/// lines at that start; refused (`Invalid`) when the order can no longer be placed as it was.
pub fn provision_approved(
    conn: &mut DbConnection,
    order: &Order,
    line: &crate::db::models::order::OrderLine,
    now: chrono::NaiveDateTime,
) -> Result<i64, AddError> {
    let held: Held = order
        .review_payload
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or_default();
    #[expect(
        clippy::disallowed_methods,
        reason = "the provider of an order row the review found in the provider's scope"
    )]
    let provider = ProviderId::established(order.provider_id);
    let cmd = AddSubscription {
        provider,
        provider_name: crate::db::models::partner::Partner::find(conn, order.provider_id)?.name,
        user_id: order.placed_by_user_id,
        customer_id: order.customer_id,
        offer_id: line.offer_id,
        quantity: i64::from(line.quantity),
        reseller: order.reseller_id,
        plan: held.plan,
        auto_renew: held.auto_renew,
        align: held.align,
        now,
        form_key: None,
        base_url: String::new(),
    };
    let checked = check_in(conn, &cmd)?;
    provision(conn, &cmd, checked, None, Some(order))
}

/// Writes the subscription, its order (or, `settle`, the approved order's lines), the counters, the
/// log and the emails.
fn provision(
    conn: &mut DbConnection,
    cmd: &AddSubscription,
    checked: Checked,
    key: Option<&str>,
    settle: Option<&Order>,
) -> Result<i64, AddError> {
    let provider = cmd.provider;
    let Checked {
        relation,
        offer,
        quantity,
        plan,
        unit,
        ends_at,
        first,
        first_period,
    } = checked;
    let subscription_id = Subscription::create(
        conn,
        &NewSubscription {
            provider_id: provider.get(),
            customer_id: cmd.customer_id,
            offer_id: offer.id,
            quantity,
            reseller_of_record_id: cmd.reseller,
            support_contact_id: provider.get(),
            term: plan.term,
            billing: plan.billing,
            auto_renew: cmd.auto_renew,
            term_start: cmd.now,
            ends_at,
            unit_price_minor: unit.price,
            unit_cost_minor: unit.cost,
        },
    )?;
    let lines = [NewLine {
        offer_id: offer.id,
        subscription_id: Some(subscription_id),
        quantity,
        previous_quantity: None,
        unit,
        amount: first,
        period: Some(first_period),
        term: Some(plan.term),
        billing: Some(plan.billing),
    }];
    let reference = match settle {
        Some(order) => {
            Order::settle(conn, order, &lines, cmd.now)?;
            order.reference()
        }
        None => Order::create(
            conn,
            &NewOrder {
                provider_id: provider.get(),
                customer_id: cmd.customer_id,
                reseller_id: cmd.reseller,
                placed_by_user_id: cmd.user_id,
                placed_by_partner_id: Some(provider.get()),
                kind: OrderKind::NewSubscription,
                currency: &offer.currency,
                idempotency_key: key,
                at: cmd.now,
            },
            &lines,
        )?
        .reference(),
    };
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
        Some(format!("{} × {quantity} ({})", offer.name, reference)),
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
