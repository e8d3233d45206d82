//! Account → API tokens (members of providers and resellers): make one (named, expiring, read-only
//! or read-write), see it once, revoke it.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::PasswordPage;
use crate::auth::session::FlashKind;
use crate::auth::{AppSession, PartnerStaff, Signed};
use crate::error::AppResult;
use crate::routes::see_other;
use crate::services::api_tokens::{self, Owner, Revoked, TokenForm};
use crate::state::AppState;

/// Where the new token waits, sealed in the session, until the page has shown it once.
pub(super) const NEW_TOKEN: &str = "api_token";

#[derive(Deserialize, Default, Clone, Debug)]
pub struct TokenFormFields {
    #[serde(default)]
    pub token_name: String,
    #[serde(default)]
    pub token_days: String,
    #[serde(default)]
    pub token_access: String,
}

fn owner(user: &Signed<PartnerStaff>) -> Owner {
    Owner {
        user_id: user.id,
        partner_id: user.partner_id().unwrap_or_default(),
        kind: user
            .partner_kind()
            .unwrap_or(crate::domain::PartnerKind::Reseller),
    }
}

/// Make token: shown on the Account page once, then only its first characters.
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<PartnerStaff>,
    form: web::Form<TokenFormFields>,
) -> AppResult<HttpResponse> {
    let typed = form.into_inner();
    let checked = api_tokens::check(&TokenForm {
        name: typed.token_name.clone(),
        days: typed.token_days.clone(),
        access: typed.token_access.clone(),
    });
    let token = match checked {
        Ok(token) => token,
        Err(errors) => {
            // The page's fields are named token_*.
            let mut named = crate::view::FormErrors::new();
            for (field, key) in errors.entries() {
                named.add_named(&format!("token_{field}"), key);
            }
            let mut page = PasswordPage::new(&req, &user, named).await?;
            page.token_form = typed;
            return Ok(crate::routes::form_page(&req, page, true));
        }
    };
    let (_, secret) = api_tokens::create(&state.db, owner(&user), token, state.now()).await?;
    session.put_secret(&state.config.session_key, NEW_TOKEN, &secret)?;
    Ok(see_other("/account/password#api-tokens"))
}

/// Revoke: the token stops working at once.
pub async fn revoke(
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<PartnerStaff>,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let key =
        match api_tokens::revoke(&state.db, owner(&user), path.into_inner(), state.now()).await? {
            Revoked::Revoked => "api_tokens.revoked",
            // A second click, or a colleague's token: nothing changes, and the page says so.
            Revoked::Already => "api_tokens.not_revoked",
            Revoked::NotYours => "api_tokens.not_yours",
            Revoked::NotFound => return Err(crate::error::AppError::NotFound),
        };
    let kind = if key == "api_tokens.revoked" {
        FlashKind::Success
    } else {
        FlashKind::Info
    };
    session.flash(kind, key)?;
    Ok(see_other("/account/password#api-tokens"))
}
