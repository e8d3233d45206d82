//! The reseller's Indirect providers page: the providers it has authorized, and partnership requests
//! addressed to its people that are still open.

use actix_web::web;
use askama::Template;
use askama_web::WebTemplate;

use crate::auth::{ResellerStaff, Signed};
use crate::db::DbError;
use crate::db::models::lifecycle::{self, RenewalScope};
use crate::db::models::order::Order;
use crate::db::models::partnership::{Partnership, ProviderOfReseller};
use crate::db::models::relationship_request::{OpenRequest, RelationshipRequest};
use crate::error::AppResult;
use crate::pagination::{PER_PAGE, Page, PageQuery};
use crate::services::waiting_request::{self, Waiting};
use crate::state::AppState;
use crate::view::Ctx;

#[derive(Template, WebTemplate)]
#[template(path = "indirect_providers/list.html")]
pub struct ProvidersPage {
    pub ctx: Ctx,
    pub verified: bool,
    pub providers: Page<(i64, ProviderOfReseller)>,
    pub open_requests: Vec<OpenRequest>,
    /// Requests the reseller opened before its enrollment was verified (it enrolled from their link).
    pub waiting: Vec<Waiting>,
    pub attention: ResellerAttention,
}

/// The reseller's Needs attention: what waits for it, counted up to `CAP`.
#[derive(Clone, Debug, Default)]
pub struct ResellerAttention {
    /// Subscriptions it is reseller of record of that are suspended.
    pub suspended: i64,
    /// Its running subscriptions that renew or end in the next 30 days.
    pub renewals_30: i64,
    /// Orders on its behalf waiting for the provider's review.
    pub orders_in_review: i64,
}

impl ResellerAttention {
    pub fn is_empty(&self) -> bool {
        self.suspended == 0 && self.renewals_30 == 0 && self.orders_in_review == 0
    }
}

const CAP: i64 = 100;

pub async fn list(
    ctx: Ctx,
    user: Signed<ResellerStaff>,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> AppResult<ProvidersPage> {
    let reseller = user.reseller_id();
    let seek = query.seek::<i64>();
    let (key, base_url) = (state.config.session_key.clone(), state.base_url.clone());
    let now = state.now();
    let (providers, open_requests, waiting, attention) = state
        .db
        .read(move |conn| {
            let scope = RenewalScope::Reseller(reseller.get());
            let attention = ResellerAttention {
                suspended: lifecycle::count_suspended(conn, scope, CAP)?,
                renewals_30: lifecycle::count_ending(
                    conn,
                    scope,
                    now,
                    now + chrono::Duration::days(30),
                )?,
                orders_in_review: Order::count_pending_for_reseller(conn, reseller.get(), CAP)?,
            };
            Ok::<_, DbError>((
                Partnership::providers_of(conn, reseller, &seek, PER_PAGE)?,
                RelationshipRequest::open_for_reseller(conn, reseller, 20)?,
                waiting_request::for_reseller_in(conn, &key, &base_url, reseller.get())?,
                attention,
            ))
        })
        .await?;
    Ok(ProvidersPage {
        verified: user.is_verified_reseller(),
        ctx,
        providers,
        open_requests,
        waiting,
        attention,
    })
}
