//! The reseller's Indirect providers page: the providers it has authorized, and partnership requests
//! addressed to its people that are still open.

use actix_web::web;
use askama::Template;
use askama_web::WebTemplate;

use crate::auth::{ResellerStaff, Signed};
use crate::db::models::partnership::{Partnership, ProviderOfReseller};
use crate::db::models::relationship_request::{OpenRequest, RelationshipRequest};
use crate::error::AppResult;
use crate::pagination::{PER_PAGE, Page, PageQuery};
use crate::state::AppState;
use crate::view::Ctx;

#[derive(Template, WebTemplate)]
#[template(path = "indirect_providers/list.html")]
pub struct ProvidersPage {
    pub ctx: Ctx,
    pub verified: bool,
    pub providers: Page<(i64, ProviderOfReseller)>,
    pub open_requests: Vec<OpenRequest>,
}

pub async fn list(
    ctx: Ctx,
    user: Signed<ResellerStaff>,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> AppResult<ProvidersPage> {
    let reseller = user.reseller_id();
    let seek = query.seek::<i64>();
    let (providers, open_requests) = state
        .db
        .query(move |conn| {
            Ok((
                Partnership::providers_of(conn, reseller, &seek, PER_PAGE)?,
                RelationshipRequest::open_for_reseller(conn, reseller, 20)?,
            ))
        })
        .await?;
    Ok(ProvidersPage {
        verified: user.is_verified_reseller(),
        ctx,
        providers,
        open_requests,
    })
}
