//! The reseller's side: Customers delegated to it (across its providers) with the subscriptions it
//! administers for them, and Subscriptions where it is reseller of record or designated support
//! contact. Changes are made on the customer's behalf and recorded as the reseller's.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;

use crate::auth::{AppSession, Permission, ResellerStaff, Signed, can};
use crate::db::models::customer::{CustomerRow, ProviderCustomer};
use crate::db::models::order::{Order, OrderFilter, OrderRow};
use crate::db::models::subscription::{
    ResellerSubscription, Scope, Subscription, SubscriptionSummary,
};
use crate::domain::SubscriptionStatus;
use crate::error::AppResult;
use crate::pagination::{PER_PAGE, Page, PageQuery};
use crate::routes::subscriptions::{
    Confirmation, LifecycleForm, QuantityForm, Request, StatusForm, change_and_answer, render,
};
use crate::services::subscription_change::{Actor, Parsed};
use crate::state::AppState;
use crate::view::{Ctx, FormErrors};

#[derive(Template, WebTemplate)]
#[template(path = "reseller/customers.html")]
pub struct CustomersPage {
    pub ctx: Ctx,
    /// Rows carry the provider's name.
    pub customers: Page<CustomerRow>,
    pub subscriptions: HashMap<(i64, i64), Vec<SubscriptionSummary>>,
    pub suffix: String,
}

impl CustomersPage {
    /// The subscriptions of this provider's relationship with the customer.
    pub fn subscriptions_of(&self, row: &CustomerRow) -> &[SubscriptionSummary] {
        self.subscriptions
            .get(&(row.relation.provider_id, row.relation.customer_id))
            .map_or(&[], Vec::as_slice)
    }
}

pub async fn customers(
    ctx: Ctx,
    user: Signed<ResellerStaff>,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> AppResult<CustomersPage> {
    let reseller = user.reseller_id();
    let seek = query.seek::<i64>();
    let now = state.now();
    let (customers, subscriptions) = state
        .db
        .query(move |conn| {
            let customers =
                ProviderCustomer::page_for_reseller(conn, reseller, &seek, PER_PAGE, now)?;
            let ids: Vec<i64> = customers
                .items
                .iter()
                .map(|c| c.relation.customer_id)
                .collect();
            Ok((customers, Subscription::summaries_of_customers(conn, &ids)?))
        })
        .await?;
    let mut by_relation: HashMap<(i64, i64), Vec<SubscriptionSummary>> = HashMap::new();
    for s in subscriptions {
        by_relation
            .entry((s.subscription.provider_id, s.subscription.customer_id))
            .or_default()
            .push(s);
    }
    Ok(CustomersPage {
        ctx,
        customers,
        subscriptions: by_relation,
        suffix: state.config.tenant_domain_suffix.clone(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "reseller/subscriptions.html")]
pub struct SubscriptionsPage {
    pub ctx: Ctx,
    pub reseller_id: i64,
    pub subscriptions: Page<ResellerSubscription>,
    /// Only the suspended ones, where it is reseller of record (`?status=suspended`).
    pub suspended_only: bool,
}

#[derive(serde::Deserialize)]
pub struct SubscriptionsQuery {
    #[serde(default)]
    status: String,
    #[serde(flatten)]
    page: PageQuery,
}

impl SubscriptionsPage {
    pub fn is_ror(&self, s: &ResellerSubscription) -> bool {
        s.subscription.reseller_of_record_id == Some(self.reseller_id)
    }

    pub fn is_support(&self, s: &ResellerSubscription) -> bool {
        s.subscription.support_contact_id == self.reseller_id
    }
}

pub async fn subscriptions(
    ctx: Ctx,
    user: Signed<ResellerStaff>,
    state: web::Data<AppState>,
    query: web::Query<SubscriptionsQuery>,
) -> AppResult<SubscriptionsPage> {
    let reseller = user.reseller_id();
    let query = query.into_inner();
    let seek = query.page.seek::<i64>();
    let suspended_only = query.status == "suspended";
    let subscriptions = state
        .db
        .query(move |conn| {
            if suspended_only {
                crate::db::models::lifecycle::suspended_page(
                    conn,
                    crate::db::models::lifecycle::RenewalScope::Reseller(reseller.get()),
                    &seek,
                    PER_PAGE,
                )
            } else {
                Subscription::page_for_reseller(conn, reseller, &seek, PER_PAGE)
            }
        })
        .await?;
    Ok(SubscriptionsPage {
        ctx,
        reseller_id: reseller.get(),
        subscriptions,
        suspended_only,
    })
}

pub async fn subscription(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: Signed<ResellerStaff>,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    render(
        &req,
        &state,
        Scope::Reseller(user.reseller_id()),
        id,
        format!("/reseller/subscriptions/{id}"),
        None,
        FormErrors::new(),
    )
    .await
}

/// A change made by a reseller administering the customer, on the customer's behalf.
#[allow(clippy::too_many_arguments)]
async fn reseller_change(
    req: &HttpRequest,
    state: &AppState,
    session: &AppSession,
    user: &Signed<ResellerStaff, impl Permission>,
    id: i64,
    change: Parsed,
    typed: Option<String>,
    confirmation: Confirmation,
) -> AppResult<HttpResponse> {
    let reseller = user.reseller_id();
    let request = Request {
        scope: Scope::Reseller(reseller),
        id,
        base: format!("/reseller/subscriptions/{id}"),
        actor: Actor::reseller(user.id, reseller, user.partner_name().unwrap_or_default()),
        change,
        typed,
        confirmation,
    };
    change_and_answer(req, state, session, request).await
}

pub async fn change_quantity(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<ResellerStaff, can::Sell>,
    path: web::Path<i64>,
    form: web::Form<QuantityForm>,
) -> AppResult<HttpResponse> {
    let typed = Some(form.quantity.clone());
    reseller_change(
        &req,
        &state,
        &session,
        &user,
        path.into_inner(),
        form.parse(),
        typed,
        form.confirmation(),
    )
    .await
}

pub async fn change_status(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<ResellerStaff, can::Sell>,
    path: web::Path<i64>,
    form: web::Form<StatusForm>,
) -> AppResult<HttpResponse> {
    reseller_change(
        &req,
        &state,
        &session,
        &user,
        path.into_inner(),
        form.parse(),
        None,
        form.confirmation(),
    )
    .await
}

#[derive(Template, WebTemplate)]
#[template(path = "reseller/orders.html")]
pub struct OrdersPage {
    pub ctx: Ctx,
    pub page: Page<OrderRow>,
}

/// The reseller's Orders: placed on its behalf (as reseller of record) or by it, with any provider.
pub async fn orders(
    ctx: Ctx,
    user: Signed<ResellerStaff, can::Orders>,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> AppResult<OrdersPage> {
    let filter = OrderFilter::reseller(user.reseller_id());
    let seek = query.seek::<i64>();
    let page = state
        .db
        .query(move |conn| Order::page(conn, &filter, &seek, PER_PAGE))
        .await?;
    Ok(OrdersPage { ctx, page })
}

/// Cancel, Auto-renew, Schedule change at renewal, Upgrade, on the customer's behalf.
pub async fn change_lifecycle(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<ResellerStaff, can::Sell>,
    path: web::Path<i64>,
    form: web::Form<LifecycleForm>,
) -> AppResult<HttpResponse> {
    reseller_change(
        &req,
        &state,
        &session,
        &user,
        path.into_inner(),
        form.parse(),
        None,
        form.confirmation(),
    )
    .await
}
