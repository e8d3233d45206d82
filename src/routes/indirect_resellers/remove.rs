//! Remove partnership: a confirmation page, then the removal. Customers and subscriptions made with the
//! reseller stay; it can no longer be chosen for new ones. The reseller's users are told by email.

use actix_web::{HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;

use crate::auth::session::FlashKind;
use crate::auth::{AppSession, ProviderStaff, Signed};
use crate::db::models::activity::NewActivity;
use crate::db::models::partnership::{PartneredReseller, Partnership};
use crate::db::models::stats::{Delta, ProviderStats};
use crate::db::models::user::User;
use crate::email::{self, messages::PartnershipRemoved};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::routes::see_other;
use crate::startup::AppState;
use crate::view::Ctx;

#[derive(Template, WebTemplate)]
#[template(path = "indirect_resellers/remove.html")]
pub struct ConfirmPage {
    pub ctx: Ctx,
    pub reseller: PartneredReseller,
}

pub async fn confirm(
    ctx: Ctx,
    user: Signed<ProviderStaff>,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> AppResult<ConfirmPage> {
    let provider = user.provider_id();
    let reseller_id = path.into_inner();
    let reseller = state
        .db
        .read(move |conn| {
            Ok(Partnership::find_active_for_provider(
                conn,
                provider,
                reseller_id,
            )?)
        })
        .await?;
    Ok(ConfirmPage { ctx, reseller })
}

pub async fn remove(
    user: Signed<ProviderStaff>,
    state: web::Data<AppState>,
    session: AppSession,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let provider = user.provider_id();
    let reseller_id = path.into_inner();
    let user_id = user.id;
    let provider_name = user.partner_name().unwrap_or_default().to_owned();
    let name = state
        .db
        .write(move |conn| {
            let reseller = Partnership::find_active_for_provider(conn, provider, reseller_id)?;
            if !Partnership::remove(conn, provider, reseller_id, user_id)? {
                return Err(AppError::NotFound);
            }
            ProviderStats::bump(
                conn,
                provider.get(),
                Delta {
                    resellers: -1,
                    ..Delta::default()
                },
            )?;
            NewActivity::new(
                "partnership.removed",
                "partnership",
                Some(reseller.partnership.id),
            )
            .by(user_id, Some(provider.get()))
            .provider(Some(provider.get()))
            .reseller(Some(reseller_id))
            .change(Some("active".into()), Some("removed".into()))
            .record(conn)?;
            for to in User::of_partner(conn, reseller_id)? {
                let message = PartnershipRemoved {
                    tr: Tr(to.locale().unwrap_or_default()),
                    name: to.display_name.clone(),
                    provider: provider_name.clone(),
                };
                email::queue(conn, &to.email, &message)?;
            }
            Ok(reseller.partnership.reseller_name)
        })
        .await?;
    state.wake_outbox();
    session.flash_with(
        FlashKind::Success,
        "indirect_resellers.removed",
        &[("reseller", &name)],
    )?;
    Ok(see_other("/indirect-resellers"))
}
