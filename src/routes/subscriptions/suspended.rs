//! Suspended subscriptions: the provider's list (`/subscriptions/suspended`), linked from Needs
//! attention on the Dashboard home. Billing continues for each until it is resumed or cancelled.

use actix_web::web;
use askama::Template;
use askama_web::WebTemplate;

use crate::auth::{ProviderStaff, Signed};
use crate::db::models::lifecycle::RenewalScope;
use crate::db::models::subscription::ResellerSubscription;
use crate::error::AppResult;
use crate::pagination::{PER_PAGE, Page, PageQuery};
use crate::state::AppState;
use crate::view::Ctx;

#[derive(Template, WebTemplate)]
#[template(path = "subscriptions/suspended.html")]
pub struct SuspendedPage {
    pub ctx: Ctx,
    pub subscriptions: Page<ResellerSubscription>,
}

pub async fn list(
    ctx: Ctx,
    user: Signed<ProviderStaff>,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> AppResult<SuspendedPage> {
    let scope = RenewalScope::Provider(user.provider_id().get());
    let seek = query.seek::<i64>();
    let subscriptions = state
        .db
        .query(move |conn| {
            crate::db::models::lifecycle::suspended_page(conn, scope, &seek, PER_PAGE)
        })
        .await?;
    Ok(SuspendedPage { ctx, subscriptions })
}
