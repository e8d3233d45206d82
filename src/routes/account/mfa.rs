//! Account → **Multi-factor sign-in**: a new key as a QR code and as text, confirmed by a first code;
//! the ten recovery codes shown once.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::{AppSession, PasswordChange, Signed};
use crate::domain::totp;
use crate::error::{AppError, AppResult};
use crate::routes::form_page;
use crate::services::mfa::{self, SetupView};
use crate::state::AppState;
use crate::view::{Ctx, FormErrors};

const SETUP_SECRET: &str = "mfa_setup";

#[derive(Template, WebTemplate)]
#[template(path = "account/mfa.html")]
pub struct MfaPage {
    pub ctx: Ctx,
    /// Already on: since when, and recovery codes left.
    pub enabled: Option<(chrono::NaiveDateTime, i64)>,
    /// Setting up: the key to scan or type.
    pub setup: Option<SetupView>,
    /// Just turned on: the recovery codes, this once.
    pub codes: Vec<String>,
    /// Their organisation requires it before anything else.
    pub required: bool,
    pub errors: FormErrors,
}

/// The key being set up in this session, or a new one kept (sealed) in it.
fn setup_key(state: &AppState, session: &AppSession) -> AppResult<Vec<u8>> {
    let key = &state.config.session_key;
    if let Some(key) = session
        .secret(key, SETUP_SECRET)
        .and_then(|hex| mfa::key_from_hex(&hex))
    {
        return Ok(key);
    }
    let new = totp::new_key().map_err(|e| AppError::Unexpected(e.into()))?;
    session.put_secret(key, SETUP_SECRET, &mfa::key_to_hex(&new))?;
    Ok(new)
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<PasswordChange>,
) -> AppResult<HttpResponse> {
    let ctx = Ctx::build(&req).await?;
    let page = if user.mfa_enabled {
        let id = user.id;
        let since = state
            .db
            .query(move |conn| crate::db::models::user::User::find(conn, id))
            .await?
            .mfa_enabled_at
            .unwrap_or_default();
        let left = mfa::recovery_codes_left(&state.db, user.id).await?;
        MfaPage {
            ctx,
            enabled: Some((since, left)),
            setup: None,
            codes: Vec::new(),
            errors: FormErrors::new(),
            required: false,
        }
    } else {
        let key = setup_key(&state, &session)?;
        MfaPage {
            ctx,
            enabled: None,
            setup: Some(mfa::setup_view(&key, &user.email)),
            codes: Vec::new(),
            errors: FormErrors::new(),
            required: user.must_set_up_mfa(),
        }
    };
    Ok(form_page(&req, page, false))
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    code: String,
}

pub async fn confirm(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    user: Signed<PasswordChange>,
    form: web::Form<ConfirmForm>,
) -> AppResult<HttpResponse> {
    if user.mfa_enabled {
        return Err(AppError::Conflict("mfa.already_on"));
    }
    let key = setup_key(&state, &session)?;
    let typed: String = form.into_inner().code.chars().take(40).collect();
    let codes = mfa::enable(
        &state.db,
        &state.config.session_key,
        user.id,
        key.clone(),
        typed,
        state.now(),
    )
    .await?;
    let ctx = Ctx::build(&req).await?;
    let Some(codes) = codes else {
        let mut errors = FormErrors::new();
        errors.add("code", "mfa.code_wrong");
        let page = MfaPage {
            ctx,
            enabled: None,
            setup: Some(mfa::setup_view(&key, &user.email)),
            codes: Vec::new(),
            errors,
            required: user.must_set_up_mfa(),
        };
        return Ok(form_page(&req, page, true));
    };
    session.forget_secret(SETUP_SECRET);
    let page = MfaPage {
        ctx,
        enabled: None,
        setup: None,
        codes,
        errors: FormErrors::new(),
        required: false,
    };
    Ok(form_page(&req, page, false))
}
