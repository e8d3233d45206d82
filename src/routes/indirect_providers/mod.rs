//! The reseller's Indirect providers page: the providers it has authorized, and partnership requests
//! addressed to its people that are still open.

use actix_web::web;
use askama::Template;
use askama_web::WebTemplate;

use crate::auth::{ResellerStaff, Signed};
use crate::db::DbError;
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
}

pub async fn list(
    ctx: Ctx,
    user: Signed<ResellerStaff>,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> AppResult<ProvidersPage> {
    let reseller = user.reseller_id();
    let seek = query.seek::<i64>();
    let (key, base_url) = (state.config.session_key.clone(), state.base_url.clone());
    let (providers, open_requests, waiting) = state
        .db
        .read(move |conn| {
            Ok::<_, DbError>((
                Partnership::providers_of(conn, reseller, &seek, PER_PAGE)?,
                RelationshipRequest::open_for_reseller(conn, reseller, 20)?,
                waiting_request::for_reseller_in(conn, &key, &base_url, reseller.get())?,
            ))
        })
        .await?;
    Ok(ProvidersPage {
        verified: user.is_verified_reseller(),
        ctx,
        providers,
        open_requests,
        waiting,
    })
}
