//! Orders: list (filters, a cursor), one with its lines, and the review (approve, reject) for
//! billing admins. A provider's members see cost, price and sale price; a reseller's never the cost.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::idempotency::{self, Answer};
use super::{Api, List, Money, Org, Paging, Problem, ok, utc, utc_opt};
use crate::auth::{PartnerStaff, ProviderStaff, can};
use crate::db::models::customer::ResellerFilter;
use crate::db::models::order::{LineView, Order as OrderModel, OrderFilter, OrderRow};
use crate::domain::OrderStatus;
use crate::services::order_review::{self, Decided, Decision};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Order {
    #[serde(serialize_with = "super::id::ser")]
    #[schema(value_type = String)]
    pub id: i64,
    /// PO-000123.
    pub reference: String,
    /// new_customer, new_subscription, quantity_change, renewal, …
    pub kind: String,
    /// placed, pending_review or rejected.
    pub status: String,
    #[serde(serialize_with = "super::id::ser")]
    #[schema(value_type = String)]
    pub customer_id: i64,
    pub customer_name: String,
    pub provider_name: String,
    #[serde(serialize_with = "super::id::ser_opt")]
    #[schema(value_type = Option<String>)]
    pub reseller_id: Option<i64>,
    pub reseller_name: Option<String>,
    pub placed_by: String,
    /// What the provider charges for it.
    pub total: Money,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub reviewed_at: Option<chrono::DateTime<chrono::Utc>>,
    pub review_reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct OrderList {
    pub data: Vec<Order>,
    pub next: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct OrderLine {
    #[serde(serialize_with = "super::id::ser")]
    #[schema(value_type = String)]
    pub offer_id: i64,
    pub offer_name: String,
    #[serde(serialize_with = "super::id::ser_opt")]
    #[schema(value_type = Option<String>)]
    pub subscription_id: Option<i64>,
    pub quantity: i32,
    pub previous_quantity: Option<i32>,
    pub term: Option<String>,
    pub billing: Option<String>,
    pub period_start: Option<chrono::DateTime<chrono::Utc>>,
    pub period_end: Option<chrono::DateTime<chrono::Utc>>,
    /// Per license: what the provider charges; the line: a charge, or a credit (negative).
    pub unit_price: Money,
    pub line_total: Money,
    /// The provider's cost (its members only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_cost: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_total: Option<Money>,
    /// The reseller's sale price, where it recorded one.
    pub unit_sale: Option<Money>,
    pub sale_total: Option<Money>,
}

#[derive(Serialize, ToSchema)]
pub struct OrderDetails {
    #[serde(flatten)]
    pub order: Order,
    pub lines: Vec<OrderLine>,
}

fn order(row: OrderRow) -> Order {
    let o = row.order;
    Order {
        id: o.id,
        reference: o.reference(),
        kind: o.kind.as_str().to_owned(),
        status: o.status.as_str().to_owned(),
        customer_id: o.customer_id,
        customer_name: row.customer_name,
        provider_name: row.provider_name,
        reseller_id: o.reseller_id,
        reseller_name: row.reseller_name,
        placed_by: row.placed_by_name,
        total: Money::new(o.total_minor, &o.currency),
        created_at: utc(o.created_at),
        reviewed_at: utc_opt(o.reviewed_at),
        review_reason: o.review_reason,
    }
}

fn line(view: LineView, currency: &str, with_cost: bool) -> OrderLine {
    let l = view.line;
    let money = |m: i64| Money::new(m, currency);
    OrderLine {
        offer_id: l.offer_id,
        offer_name: view.offer_name,
        subscription_id: l.subscription_id,
        quantity: l.quantity,
        previous_quantity: l.previous_quantity,
        term: l.term.map(|t| t.as_str().to_owned()),
        billing: l.billing.map(|b| b.as_str().to_owned()),
        period_start: utc_opt(l.period_start),
        period_end: utc_opt(l.period_end),
        unit_price: money(l.unit_price_minor),
        line_total: money(l.line_total_minor),
        unit_cost: with_cost.then(|| money(l.unit_cost_minor)),
        cost_total: with_cost.then(|| money(l.cost_total_minor)),
        unit_sale: l.unit_sale_minor.map(money),
        sale_total: l.sale_total_minor.map(money),
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderQuery {
    /// pending_review: the orders waiting for review (providers).
    pub status: Option<String>,
    /// Only this customer's (providers).
    pub customer: Option<i64>,
    /// A reseller's id, or none (providers).
    pub reseller: Option<String>,
}

/// The provider's orders, newest first; a reseller's: on its behalf or placed by it.
#[utoipa::path(get, path = "/api/v1/orders", tag = "Orders", params(Paging, OrderQuery),
    responses((status = 200, body = OrderList), (status = 400, body = Problem)))]
pub async fn list(
    req: HttpRequest,
    caller: Api<PartnerStaff, can::Orders>,
    state: web::Data<AppState>,
    paging: web::Query<Paging>,
    query: web::Query<OrderQuery>,
) -> Result<HttpResponse, Problem> {
    let (seek, limit) = paging.seek::<i64>()?;
    let filter = match Org::of(&caller)? {
        Org::Provider(user) => {
            let status = match query.status.as_deref().unwrap_or_default() {
                "" => None,
                raw => Some(OrderStatus::parse(raw).ok_or_else(|| {
                    Problem::bad_request("status is placed, pending_review or rejected.")
                })?),
            };
            let reseller = match query.reseller.as_deref().unwrap_or_default().trim() {
                "" | "all" => ResellerFilter::All,
                "none" => ResellerFilter::None,
                raw => ResellerFilter::Reseller(
                    raw.parse()
                        .map_err(|_| Problem::bad_request("reseller is an id, or none."))?,
                ),
            };
            OrderFilter {
                status,
                reseller,
                customer: query.customer,
                ..OrderFilter::provider(user.provider_id())
            }
        }
        Org::Reseller(user) => OrderFilter::reseller(user.reseller_id()),
    };
    let page = state
        .db
        .query(move |conn| OrderModel::page(conn, &filter, &seek, limit))
        .await?;
    Ok(ok(&List::of(page, &req, order)))
}

#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "Orders", params(("id" = i64, Path)),
    responses((status = 200, body = OrderDetails), (status = 404, body = Problem)))]
pub async fn show(
    caller: Api<PartnerStaff, can::Orders>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    let org = Org::of(&caller)?;
    let (provider, reseller) = match &org {
        Org::Provider(user) => (Some(user.provider_id()), None),
        Org::Reseller(user) => (None, Some(user.reseller_id().get())),
    };
    let (row, lines) = state
        .db
        .query(move |conn| OrderModel::find_with_lines(conn, provider, id))
        .await?;
    // A reseller's: on its behalf or placed by it.
    if let Some(r) = reseller
        && row.order.reseller_id != Some(r)
        && row.order.placed_by_partner_id != Some(r)
    {
        return Err(Problem::not_found());
    }
    let currency = row.order.currency.clone();
    let with_cost = provider.is_some();
    Ok(ok(&OrderDetails {
        order: order(row),
        lines: lines
            .into_iter()
            .map(|l| line(l, &currency, with_cost))
            .collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct Rejection {
    /// Why, for the reseller (required).
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReviewOutcome {
    /// approved, rejected, or already_decided (someone decided it first; nothing more was done).
    pub outcome: String,
}

async fn decide(
    req: HttpRequest,
    caller: Api<ProviderStaff, can::Billing>,
    state: web::Data<AppState>,
    id: i64,
    body: web::Bytes,
    decision: impl FnOnce(&[u8]) -> Result<Decision, Problem>,
) -> Result<HttpResponse, Problem> {
    let tr = caller.tr();
    idempotency::once(&req, &state, caller.token.id, &body, || async {
        let decision = decision(&body)?;
        let decided = order_review::decide(
            &state.db,
            caller.provider_id(),
            caller.user.id,
            id,
            decision,
            (state.now(), state.base_url.clone()),
        )
        .await
        .map_err(|e| Problem::from_change(tr, e))?;
        state.wake_outbox();
        let outcome = match decided {
            Decided::Approved => "approved",
            Decided::Rejected => "rejected",
            Decided::AlreadyDecided => "already_decided",
        };
        Ok(Answer::ok(&ReviewOutcome {
            outcome: outcome.to_owned(),
        }))
    })
    .await
}

/// Approves an order waiting for review: it is provisioned, once.
#[utoipa::path(post, path = "/api/v1/orders/{id}/approve", tag = "Orders",
    params(("id" = i64, Path), ("Idempotency-Key" = String, Header)),
    responses((status = 200, body = ReviewOutcome), (status = 404, body = Problem)))]
pub async fn approve(
    req: HttpRequest,
    caller: Api<ProviderStaff, can::Billing>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    decide(req, caller, state, id.into_inner(), body, |_| {
        Ok(Decision::Approve)
    })
    .await
}

/// Rejects an order waiting for review: nothing is provisioned; the reseller is told why.
#[utoipa::path(post, path = "/api/v1/orders/{id}/reject", tag = "Orders",
    params(("id" = i64, Path), ("Idempotency-Key" = String, Header)),
    request_body = Rejection,
    responses((status = 200, body = ReviewOutcome), (status = 422, body = Problem)))]
pub async fn reject(
    req: HttpRequest,
    caller: Api<ProviderStaff, can::Billing>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    decide(req, caller, state, id.into_inner(), body, |body| {
        let r: Rejection = super::parse_body(body)?;
        Ok(Decision::Reject(r.reason))
    })
    .await
}
