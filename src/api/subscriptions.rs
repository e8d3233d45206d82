//! Subscriptions: list, read, and the changes of the subscription page (licenses, a change at
//! renewal, cancelling within the window, upgrading), through `subscription_change` as the page's.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::idempotency::{self, Answer};
use super::{Api, List, Money, Org, Paging, Problem, ok, utc, utc_opt};
use crate::auth::{PartnerStaff, can};
use crate::db::models::lifecycle::ChangeSpec;
use crate::db::models::offer::Offer;
use crate::db::models::subscription::{Scope, Subscription as Row, SubscriptionDetail};
use crate::domain::lifecycle::Plan;
use crate::services::subscription_change::{self, Actor, Change};
use crate::state::AppState;

/// A subscription.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Subscription {
    #[serde(serialize_with = "super::id::ser")]
    #[schema(value_type = String)]
    pub id: i64,
    #[serde(serialize_with = "super::id::ser")]
    #[schema(value_type = String)]
    pub customer_id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_name: Option<String>,
    #[serde(serialize_with = "super::id::ser")]
    #[schema(value_type = String)]
    pub offer_id: i64,
    pub offer_name: String,
    pub quantity: i32,
    /// active, suspended, cancelled or expired.
    pub status: String,
    /// P1M, P1Y or P3Y.
    pub term: String,
    /// monthly, annual or one_time.
    pub billing: String,
    pub auto_renew: bool,
    pub term_start: chrono::DateTime<chrono::Utc>,
    /// When the term ends: it renews then with auto-renew, else it ends.
    pub ends_at: chrono::DateTime<chrono::Utc>,
    /// Per license per billing period, what the provider charges.
    pub unit_price: Money,
    /// Per license per billing period, what it costs the provider (the provider's members only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_cost: Option<Money>,
    #[serde(serialize_with = "super::id::ser_opt")]
    #[schema(value_type = Option<String>)]
    pub reseller_of_record_id: Option<i64>,
    #[serde(serialize_with = "super::id::ser")]
    #[schema(value_type = String)]
    pub support_contact_id: i64,
    pub ended_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The subscription it was upgraded to.
    #[serde(serialize_with = "super::id::ser_opt")]
    #[schema(value_type = Option<String>)]
    pub upgraded_to: Option<i64>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// A subscription with what may be done with it now.
#[derive(Serialize, ToSchema)]
pub struct SubscriptionDetails {
    #[serde(flatten)]
    pub subscription: Subscription,
    /// Until when licenses may be reduced or the subscription cancelled (none: the window is shut).
    pub window_until: Option<chrono::DateTime<chrono::Utc>>,
    pub cancellable: bool,
    /// Licenses that may still be reduced (their window is open).
    pub reducible: i32,
    /// The change waiting for the renewal.
    pub scheduled_change: Option<ScheduledChange>,
    /// Offers it may be upgraded to now.
    pub upgrades: Vec<OfferRef>,
}

#[derive(Serialize, ToSchema)]
pub struct ScheduledChange {
    pub quantity: Option<i32>,
    pub term: Option<String>,
    pub billing: Option<String>,
    #[serde(serialize_with = "super::id::ser_opt")]
    #[schema(value_type = Option<String>)]
    pub offer_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct OfferRef {
    #[serde(serialize_with = "super::id::ser")]
    #[schema(value_type = String)]
    pub id: i64,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct SubscriptionList {
    pub data: Vec<Subscription>,
    pub next: Option<String>,
}

/// A subscription as the viewer may see it (`with_cost`: the provider's members).
pub fn subscription(
    row: Row,
    offer_name: String,
    customer_name: Option<String>,
    currency: &str,
    with_cost: bool,
) -> Subscription {
    Subscription {
        id: row.id,
        customer_id: row.customer_id,
        customer_name,
        offer_id: row.offer_id,
        offer_name,
        quantity: row.quantity,
        status: row.status.as_str().to_owned(),
        term: row.term.as_str().to_owned(),
        billing: row.billing.as_str().to_owned(),
        auto_renew: row.auto_renew,
        term_start: utc(row.term_start),
        ends_at: utc(row.ends_at),
        unit_price: Money::new(row.unit_price_minor, currency),
        unit_cost: with_cost.then(|| Money::new(row.unit_cost_minor, currency)),
        reseller_of_record_id: row.reseller_of_record_id,
        support_contact_id: row.support_contact_id,
        ended_at: utc_opt(row.ended_at),
        upgraded_to: row.upgraded_to,
        created_at: utc(row.created_at),
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SubscriptionQuery {
    /// Only this customer's (providers).
    pub customer: Option<i64>,
}

/// The provider's subscriptions (all, or one customer's); a reseller's: those it is reseller of
/// record or support contact of. Newest first.
#[utoipa::path(get, path = "/api/v1/subscriptions", tag = "Subscriptions",
    params(Paging, SubscriptionQuery),
    responses((status = 200, body = SubscriptionList), (status = 400, body = Problem)))]
pub async fn list(
    req: HttpRequest,
    caller: Api<PartnerStaff>,
    state: web::Data<AppState>,
    paging: web::Query<Paging>,
    query: web::Query<SubscriptionQuery>,
) -> Result<HttpResponse, Problem> {
    let (seek, limit) = paging.seek::<i64>()?;
    let customer = query.customer;
    match Org::of(&caller)? {
        Org::Provider(user) => {
            let provider = user.provider_id();
            let (page, currency) = state
                .db
                .query(move |conn| {
                    Ok((
                        Row::page_for_provider(conn, provider, customer, &seek, limit)?,
                        Offer::catalog_currency(conn)?,
                    ))
                })
                .await?;
            Ok(ok(&List::of(page, &req, |s| {
                subscription(s.subscription, s.offer_name, None, &currency, true)
            })))
        }
        Org::Reseller(user) => {
            let reseller = user.reseller_id();
            let (page, currency) = state
                .db
                .query(move |conn| {
                    Ok((
                        Row::page_for_reseller(conn, reseller, &seek, limit)?,
                        Offer::catalog_currency(conn)?,
                    ))
                })
                .await?;
            Ok(ok(&List::of(page, &req, |s| {
                subscription(
                    s.subscription,
                    s.offer_name,
                    Some(s.customer_name),
                    &currency,
                    false,
                )
            })))
        }
    }
}

fn scope_of<P: crate::auth::Permission>(org: &Org<P>) -> (Scope, bool) {
    match org {
        Org::Provider(user) => (Scope::Provider(user.provider_id()), true),
        Org::Reseller(user) => (Scope::Reseller(user.reseller_id()), false),
    }
}

fn actor_of<P: crate::auth::Permission>(org: &Org<P>) -> Actor {
    match org {
        Org::Provider(user) => Actor::provider(
            user.id,
            user.provider_id(),
            user.partner_name().unwrap_or_default(),
        ),
        Org::Reseller(user) => Actor::reseller(
            user.id,
            user.reseller_id(),
            user.partner_name().unwrap_or_default(),
        ),
    }
}

/// One subscription with its window, scheduled change and upgrades, as `scope` reaches it.
async fn details(
    state: &AppState,
    scope: Scope,
    with_cost: bool,
    id: i64,
) -> Result<SubscriptionDetails, Problem> {
    let now = state.now();
    let (detail, lifecycle, currency): (SubscriptionDetail, _, String) = state
        .db
        .read(move |conn| {
            let detail = Row::find_in(conn, &scope, id, now)?;
            let lifecycle = subscription_change::lifecycle(conn, &detail, now)?;
            let currency = Offer::catalog_currency(conn)?;
            Ok::<_, crate::db::DbError>((detail, lifecycle, currency))
        })
        .await?;
    let scheduled = lifecycle
        .scheduled
        .as_ref()
        .map(|(spec, _)| ScheduledChange {
            quantity: spec.quantity,
            term: spec.term.map(|t| t.as_str().to_owned()),
            billing: spec.billing.map(|b| b.as_str().to_owned()),
            offer_id: spec.offer_id,
        });
    Ok(SubscriptionDetails {
        subscription: subscription(
            detail.subscription,
            detail.offer.name,
            Some(detail.customer_name),
            &currency,
            with_cost,
        ),
        window_until: utc_opt(lifecycle.window_until),
        cancellable: lifecycle.cancellable,
        reducible: lifecycle.reducible,
        scheduled_change: scheduled,
        upgrades: lifecycle
            .upgrades
            .into_iter()
            .map(|o| OfferRef {
                id: o.id,
                name: o.name,
            })
            .collect(),
    })
}

#[utoipa::path(get, path = "/api/v1/subscriptions/{id}", tag = "Subscriptions",
    params(("id" = i64, Path)),
    responses((status = 200, body = SubscriptionDetails), (status = 404, body = Problem)))]
pub async fn show(
    caller: Api<PartnerStaff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Problem> {
    let org = Org::of(&caller)?;
    let (scope, with_cost) = scope_of(&org);
    Ok(ok(
        &details(&state, scope, with_cost, id.into_inner()).await?
    ))
}

/// The names the API gives the page's fields in a refusal.
fn api_field(field: &str) -> &str {
    match field {
        "schedule_quantity" => "quantity",
        "schedule_billing" | "schedule_term" => "billing",
        "schedule_offer" | "upgrade" => "offer_id",
        other => other,
    }
}

/// Applies a change and answers with the subscription as it is now.
async fn change(
    req: &HttpRequest,
    caller: Api<PartnerStaff, can::Sell>,
    state: &AppState,
    id: i64,
    body: &[u8],
    parse: impl FnOnce(&[u8]) -> Result<Change, Problem>,
) -> Result<HttpResponse, Problem> {
    let org = Org::of(&caller)?;
    let tr = caller.tr();
    idempotency::once(req, state, caller.token.id, body, || async {
        let change = parse(body)?;
        let (scope, with_cost) = scope_of(&org);
        let done = subscription_change::apply(
            &state.db,
            scope,
            id,
            actor_of(&org),
            Ok(change),
            (state.now(), state.base_url.clone()),
        )
        .await
        .map_err(|err| match err {
            crate::services::ChangeError::Refused { field, key } => {
                Problem::refused(tr, api_field(field), key)
            }
            other => Problem::from_change(tr, other),
        })?;
        state.wake_outbox();
        let now = details(state, scope, with_cost, id).await?;
        // Over the reseller's credit the change waits for the provider's review (an order in
        // `GET /orders?status=pending_review`): 202, the subscription as it still is.
        Ok(if done == "orders.held_for_review" {
            Answer::new(actix_web::http::StatusCode::ACCEPTED, &now)
        } else {
            Answer::ok(&now)
        })
    })
    .await
}

#[derive(Deserialize, ToSchema)]
pub struct QuantityChange {
    /// The new number of licenses. Within the window any change; after it, only more.
    pub quantity: i64,
}

/// Changes the number of licenses at once (more: a prorated charge; fewer within the window: a credit).
#[utoipa::path(post, path = "/api/v1/subscriptions/{id}/quantity", tag = "Subscriptions",
    params(("id" = i64, Path), ("Idempotency-Key" = String, Header)),
    request_body = QuantityChange,
    responses((status = 200, body = SubscriptionDetails), (status = 202, description = "Over the reseller's credit: the change waits for the provider's review", body = SubscriptionDetails), (status = 422, body = Problem)))]
pub async fn quantity(
    req: HttpRequest,
    caller: Api<PartnerStaff, can::Sell>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    change(&req, caller, &state, id.into_inner(), &body, |body| {
        let q: QuantityChange = super::parse_body(body)?;
        Ok(Change::Quantity(q.quantity))
    })
    .await
}

#[derive(Deserialize, ToSchema)]
pub struct ScheduleChange {
    /// Licenses from the renewal on.
    pub quantity: Option<i32>,
    /// P1M, P1Y or P3Y, with `billing`.
    pub term: Option<String>,
    /// monthly, annual or one_time, with `term`.
    pub billing: Option<String>,
    /// Another offer of the same family or on the upgrade path.
    #[serde(default, deserialize_with = "super::id::de_opt")]
    #[schema(value_type = Option<String>)]
    pub offer_id: Option<i64>,
}

/// Schedules a change for the renewal (fewer licenses after the window, another term, billing or offer).
#[utoipa::path(post, path = "/api/v1/subscriptions/{id}/schedule", tag = "Subscriptions",
    params(("id" = i64, Path), ("Idempotency-Key" = String, Header)),
    request_body = ScheduleChange,
    responses((status = 200, body = SubscriptionDetails), (status = 422, body = Problem)))]
pub async fn schedule(
    req: HttpRequest,
    caller: Api<PartnerStaff, can::Sell>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    let tr = caller.tr();
    change(&req, caller, &state, id.into_inner(), &body, |body| {
        let s: ScheduleChange = super::parse_body(body)?;
        let plan = match (s.term.as_deref(), s.billing.as_deref()) {
            (None, None) => None,
            (Some(term), Some(billing)) => Some(
                Plan::parse(&format!("{term}:{billing}"))
                    .ok_or_else(|| Problem::refused(tr, "billing", "lifecycle.pair_not_sold"))?,
            ),
            _ => return Err(Problem::refused(tr, "billing", "lifecycle.pair_not_sold")),
        };
        Ok(Change::Schedule(ChangeSpec {
            quantity: s.quantity,
            term: plan.map(|p| p.term),
            billing: plan.map(|p| p.billing),
            offer_id: s.offer_id,
        }))
    })
    .await
}

/// Cancels the subscription within its window (a prorated refund).
#[utoipa::path(post, path = "/api/v1/subscriptions/{id}/cancel", tag = "Subscriptions",
    params(("id" = i64, Path), ("Idempotency-Key" = String, Header)),
    responses((status = 200, body = SubscriptionDetails), (status = 422, body = Problem)))]
pub async fn cancel(
    req: HttpRequest,
    caller: Api<PartnerStaff, can::Sell>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    change(&req, caller, &state, id.into_inner(), &body, |_| {
        Ok(Change::Cancel)
    })
    .await
}

#[derive(Deserialize, ToSchema)]
pub struct UpgradeChange {
    /// An offer on the upgrade path.
    #[serde(deserialize_with = "super::id::de")]
    #[schema(value_type = String)]
    pub offer_id: i64,
}

/// Upgrades at once: a new subscription with the same end date and licenses; this one ends.
#[utoipa::path(post, path = "/api/v1/subscriptions/{id}/upgrade", tag = "Subscriptions",
    params(("id" = i64, Path), ("Idempotency-Key" = String, Header)),
    request_body = UpgradeChange,
    responses((status = 200, body = SubscriptionDetails), (status = 202, description = "Over the reseller's credit: the change waits for the provider's review", body = SubscriptionDetails), (status = 422, body = Problem)))]
pub async fn upgrade(
    req: HttpRequest,
    caller: Api<PartnerStaff, can::Sell>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    change(&req, caller, &state, id.into_inner(), &body, |body| {
        let u: UpgradeChange = super::parse_body(body)?;
        Ok(Change::Upgrade(u.offer_id))
    })
    .await
}
