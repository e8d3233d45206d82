//! The second step of signing in when multi-factor sign-in is on: a code from the authenticator app,
//! or a recovery code. Wrong codes spend attempts from the sign-in throttle.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, Responder, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::session::{Device, FlashKind};
use crate::auth::{AppSession, CurrentUser};
use crate::db::models::user::User;
use crate::error::AppResult;
use crate::routes::{home_page, see_other};
use crate::services::mfa::{self, Factor};
use crate::state::AppState;
use crate::view::{Ctx, FormErrors};

#[derive(Template, WebTemplate)]
#[template(path = "sign_in/code.html")]
pub struct CodePage {
    pub ctx: Ctx,
    pub errors: FormErrors,
    pub notice: Option<String>,
}

async fn page(
    req: &HttpRequest,
    errors: FormErrors,
    notice: Option<String>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let shown = CodePage {
        ctx: Ctx::build(req).await?,
        errors,
        notice,
    };
    Ok(shown
        .customize()
        .with_status(status)
        .respond_to(req)
        .map_into_boxed_body())
}

pub async fn form(req: HttpRequest, session: AppSession) -> AppResult<HttpResponse> {
    if session.second_factor_pending().is_none() {
        return Ok(see_other("/sign-in"));
    }
    page(&req, FormErrors::new(), None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    form: web::Form<CodeForm>,
) -> AppResult<HttpResponse> {
    let Some((user_id, next)) = session.second_factor_pending() else {
        return Ok(see_other("/sign-in"));
    };
    let address = state.client_address(&req);
    let key = format!("second-factor:{user_id}");
    if let Some(wait) = state.throttle.sign_in_wait(&key, address).await {
        let tr = Ctx::build(&req).await?.tr;
        let text = tr.t1("sign_in.throttled", "wait", tr.wait(wait));
        return page(
            &req,
            FormErrors::new(),
            Some(text),
            StatusCode::TOO_MANY_REQUESTS,
        )
        .await;
    }
    let typed: String = form.into_inner().code.chars().take(40).collect();
    let factor = mfa::check(
        &state.db,
        &state.config.session_key,
        user_id,
        typed,
        state.now(),
    )
    .await?;
    let Some(factor) = factor else {
        state.throttle.sign_in_failed(&key, address).await;
        let mut errors = FormErrors::new();
        errors.add("code", "mfa.code_wrong");
        return page(&req, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    state.throttle.sign_in_succeeded(&key, address).await;
    let user = state
        .db
        .query(move |conn| User::find(conn, user_id))
        .await?;
    session.sign_in(user.id, user.locale, Device::of(&req, address))?;
    CurrentUser::forget(&req);
    tracing::info!(user_id = user.id, role = %user.role, "signed in with a second factor");
    if factor == Factor::RecoveryCode {
        let left = mfa::recovery_codes_left(&state.db, user.id).await?;
        session.flash_with(
            FlashKind::Info,
            "mfa.recovery_used",
            &[("count", &left.to_string())],
        )?;
    }
    let destination = if user.must_change_password {
        "/account/password".to_owned()
    } else {
        // Checked when the password was (`safe_next`); empty: the home page.
        state
            .safe_next(Some(&next))
            .unwrap_or_else(|| home_page(user.role).to_owned())
    };
    Ok(see_other(&destination))
}
