//! The provider's Orders: every order, newest first, by reseller and customer; and each order's detail
//! with its lines, who placed it and on behalf of which reseller.

use actix_web::{HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::session::FlashKind;
use crate::auth::{AppSession, ProviderStaff, Signed, can};
use crate::db::models::customer::{Customer, ProviderCustomer, ResellerFilter};
use crate::db::models::order::{LineView, Order, OrderFilter, OrderRow};
use crate::db::models::partnership::Partnership;
use crate::domain::{OrderStatus, ProviderId};
use crate::error::{AppError, AppResult};
use crate::pagination::{PER_PAGE, Page, PageQuery};
use crate::routes::customers::reseller_filter;
use crate::routes::see_other;
use crate::services::ChangeError;
use crate::services::order_review::{self, Decided, Decision};
use crate::state::AppState;
use crate::view::Ctx;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    reseller: String,
    #[serde(default)]
    customer: String,
    /// `pending_review`: the Needs review tab.
    #[serde(default)]
    status: String,
    after: Option<String>,
    before: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "orders/list.html")]
pub struct OrdersPage {
    pub ctx: Ctx,
    pub reseller: String,
    pub resellers: Vec<(i64, String)>,
    /// The customer filtered by: id and name.
    pub customer: Option<(i64, String)>,
    pub page: Page<OrderRow>,
    /// The Needs review tab.
    pub needs_review: bool,
}

impl OrdersPage {
    pub fn orders(&self) -> &[OrderRow] {
        &self.page.items
    }

    pub fn filter_query(&self) -> String {
        let customer = self
            .customer
            .as_ref()
            .map(|(id, _)| id.to_string())
            .unwrap_or_default();
        let status = if self.needs_review {
            "pending_review"
        } else {
            ""
        };
        serde_urlencoded::to_string([
            ("reseller", self.reseller.as_str()),
            ("customer", customer.as_str()),
            ("status", status),
        ])
        .unwrap_or_default()
    }
}

pub async fn list(
    ctx: Ctx,
    user: Signed<ProviderStaff, can::Orders>,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> AppResult<OrdersPage> {
    let provider = user.provider_id();
    let query = query.into_inner();
    let seek = PageQuery {
        after: query.after,
        before: query.before,
    }
    .seek::<i64>();
    let needs_review = query.status == "pending_review";
    let raw_reseller = query.reseller.clone();
    let raw_customer = query.customer.trim().to_owned();
    let (filter, customer, resellers, page) = state
        .db
        .read(move |conn| {
            let filter = reseller_filter(conn, provider, &raw_reseller)?;
            // A customer this provider has no relationship with names nothing: 404.
            let customer = match raw_customer.as_str() {
                "" => None,
                raw => {
                    let id = raw.parse::<i64>().map_err(|_| AppError::NotFound)?;
                    ProviderCustomer::find(conn, provider, id)?;
                    Some((id, Customer::find(conn, id)?.company_name))
                }
            };
            let selected = match filter {
                ResellerFilter::Reseller(id) => Some(id),
                _ => None,
            };
            let resellers = Partnership::choices_for_provider(conn, provider, 200, selected)?;
            let page = Order::page(
                conn,
                &OrderFilter {
                    reseller: filter,
                    customer: customer.as_ref().map(|c| c.0),
                    status: needs_review.then_some(OrderStatus::PendingReview),
                    ..OrderFilter::provider(provider)
                },
                &seek,
                PER_PAGE,
            )?;
            Ok::<_, AppError>((filter, customer, resellers, page))
        })
        .await?;
    Ok(OrdersPage {
        ctx,
        reseller: match filter {
            ResellerFilter::All => String::new(),
            ResellerFilter::None => "none".into(),
            ResellerFilter::Reseller(id) => id.to_string(),
        },
        resellers,
        customer,
        page,
        needs_review,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "orders/show.html")]
pub struct OrderPage {
    pub ctx: Ctx,
    pub row: OrderRow,
    pub lines: Vec<LineView>,
    pub placed_for: Option<String>,
    /// Shown in the operations console (links stay in the console).
    pub console: bool,
}

impl OrderPage {
    /// What the provider keeps: the lines' totals less their cost.
    pub fn margin(&self) -> i64 {
        self.lines
            .iter()
            .map(|l| l.line.line_total_minor - l.line.cost_total_minor)
            .sum()
    }
}

pub async fn show(
    ctx: Ctx,
    user: Signed<ProviderStaff, can::Orders>,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> AppResult<OrderPage> {
    order_page(ctx, &state, Some(user.provider_id()), path.into_inner()).await
}

/// An order's detail: a provider's own (`provider` set), or any order for the operations console.
pub async fn order_page(
    ctx: Ctx,
    state: &AppState,
    provider: Option<ProviderId>,
    id: i64,
) -> AppResult<OrderPage> {
    let (row, lines, placed_for) = state
        .db
        .query(move |conn| {
            let (row, lines) = Order::find_with_lines(conn, provider, id)?;
            let placed_for = Order::placed_by_partner_name(conn, &row.order)?;
            Ok((row, lines, placed_for))
        })
        .await?;
    Ok(OrderPage {
        ctx,
        row,
        lines,
        placed_for,
        console: provider.is_none(),
    })
}

#[derive(Deserialize)]
pub struct RejectForm {
    #[serde(default)]
    reason: String,
}

/// **Approve**: provisions the order once; a second submit says it was decided already.
pub async fn approve(
    user: Signed<ProviderStaff, can::Billing>,
    session: AppSession,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    decide(user, session, state, path.into_inner(), Decision::Approve).await
}

/// **Reject** with a reason: nothing is provisioned.
pub async fn reject(
    user: Signed<ProviderStaff, can::Billing>,
    session: AppSession,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<RejectForm>,
) -> AppResult<HttpResponse> {
    let reason = form.into_inner().reason;
    decide(
        user,
        session,
        state,
        path.into_inner(),
        Decision::Reject(reason),
    )
    .await
}

async fn decide(
    user: Signed<ProviderStaff, can::Billing>,
    session: AppSession,
    state: web::Data<AppState>,
    id: i64,
    decision: Decision,
) -> AppResult<HttpResponse> {
    let outcome = order_review::decide(
        &state.db,
        user.provider_id(),
        user.user.id,
        id,
        decision,
        (state.now(), state.base_url.clone()),
    )
    .await;
    let (kind, key) = match outcome {
        Ok(Decided::Approved) => (FlashKind::Success, "orders.approved"),
        Ok(Decided::Rejected) => (FlashKind::Success, "orders.rejected"),
        Ok(Decided::AlreadyDecided) => (FlashKind::Info, "orders.already_decided"),
        Err(ChangeError::Refused { key, .. }) => (FlashKind::Error, key),
        Err(err) => return Err(err.into()),
    };
    state.wake_outbox();
    session.flash(kind, key)?;
    Ok(see_other(&format!("/orders/{id}")))
}
