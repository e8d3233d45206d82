//! Remove partnership: a confirmation page, then the removal. Customers and subscriptions made with the
//! reseller stay; it can no longer be chosen for new ones. The reseller's users are told by email.

use actix_web::{HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;

use crate::auth::session::FlashKind;
use crate::auth::{AppSession, ProviderStaff, Signed, can};
use crate::db::models::partnership::{PartneredReseller, Partnership};
use crate::error::AppResult;
use crate::routes::see_other;
use crate::services::remove_partnership::{self, RemovePartnership};
use crate::state::AppState;
use crate::view::Ctx;

#[derive(Template, WebTemplate)]
#[template(path = "indirect_resellers/remove.html")]
pub struct ConfirmPage {
    pub ctx: Ctx,
    pub reseller: PartneredReseller,
}

pub async fn confirm(
    ctx: Ctx,
    user: Signed<ProviderStaff, can::Admin>,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> AppResult<ConfirmPage> {
    let provider = user.provider_id();
    let reseller_id = path.into_inner();
    let reseller = state
        .db
        .query(move |conn| Partnership::find_active_for_provider(conn, provider, reseller_id))
        .await?;
    Ok(ConfirmPage { ctx, reseller })
}

pub async fn remove(
    user: Signed<ProviderStaff, can::Admin>,
    state: web::Data<AppState>,
    session: AppSession,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let removed = remove_partnership::remove(
        &state.db,
        RemovePartnership {
            provider: user.provider_id(),
            provider_name: user.partner_name().unwrap_or_default().to_owned(),
            reseller_id: path.into_inner(),
            by: user.id,
            now: state.now(),
        },
    )
    .await?;
    state.wake_outbox();
    session.flash_with(
        FlashKind::Success,
        "indirect_resellers.removed",
        &[("reseller", &removed.reseller_name)],
    )?;
    Ok(see_other("/indirect-resellers"))
}
