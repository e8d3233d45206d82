//! Sign in and sign out, for every role. Wrong email and wrong password get the same message, take the
//! same time, and both spend an attempt from the throttle.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, Responder, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::session::Device;
use crate::auth::{AppSession, CurrentUser};
use crate::domain::Email;
use crate::error::{AppResult, retry_after};
use crate::i18n::Tr;
use crate::routes::{home_page, see_other};
use crate::services::account::{self, SignInError};
use crate::state::AppState;
use crate::view::{Ctx, FormErrors, request_locale};

pub mod second_factor;

#[derive(Template, WebTemplate)]
#[template(path = "sign_in/form.html")]
pub struct SignInPage {
    pub ctx: Ctx,
    pub email: String,
    pub next: String,
    pub errors: FormErrors,
    /// A message about the whole form (bad credentials, throttled, signed out).
    pub notice: Option<Notice>,
}

/// A message above the form.
pub struct Notice {
    pub text: String,
    pub css: &'static str,
}

impl Notice {
    fn error(text: String) -> Self {
        Self {
            text,
            css: "flash-error",
        }
    }
}

#[derive(Deserialize)]
pub struct SignInQuery {
    next: Option<String>,
    signed_out: Option<String>,
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: Option<String>,
}

pub async fn form(
    req: HttpRequest,
    ctx: Ctx,
    state: web::Data<AppState>,
    query: web::Query<SignInQuery>,
) -> AppResult<HttpResponse> {
    if let Some(user) = &ctx.user {
        return Ok(see_other(home_page(user.role)));
    }
    let notice = query.signed_out.as_ref().map(|_| Notice {
        text: ctx.t("sign_in.signed_out").to_owned(),
        css: "flash-info",
    });
    let page = SignInPage {
        ctx,
        email: String::new(),
        next: state.safe_next(query.next.as_deref()).unwrap_or_default(),
        errors: FormErrors::new(),
        notice,
    };
    Ok(page.respond_to(&req).map_into_boxed_body())
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    form: web::Form<SignInForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let next = state.safe_next(form.next.as_deref());
    let mut errors = FormErrors::new();
    let email = errors.check("email", Email::parse(&form.email));
    if form.password.is_empty() {
        errors.add("password", "validation.required");
    }
    let Some(email) = email.filter(|_| errors.is_empty()) else {
        return rerender(
            &req,
            &form.email,
            next,
            errors,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };

    let address = state.client_address(&req);
    let password = form.password.clone();
    let signed_in = account::sign_in(&state.db, &state.throttle, email, password, address).await;
    let user = match signed_in {
        Ok(user) => user,
        Err(SignInError::Throttled(wait)) => {
            tracing::warn!(?address, "sign-in throttled");
            let tr = Tr(request_locale(&req).await?);
            let notice = Notice::error(tr.t1("sign_in.throttled", "wait", tr.wait(wait)));
            let mut res = rerender(
                &req,
                &form.email,
                next,
                FormErrors::new(),
                Some(notice),
                StatusCode::TOO_MANY_REQUESTS,
            )
            .await?;
            res.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                actix_web::http::header::HeaderValue::from_str(&retry_after(wait))
                    .map_err(|e| anyhow::anyhow!("{e}"))?,
            );
            return Ok(res);
        }
        Err(SignInError::BadCredentials) => {
            tracing::info!(?address, "sign-in refused");
            let text = Tr(request_locale(&req).await?)
                .t("sign_in.bad_credentials")
                .to_owned();
            return rerender(
                &req,
                &form.email,
                next,
                FormErrors::new(),
                Some(Notice::error(text)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        Err(SignInError::Db(err)) => return Err(err.into()),
    };

    if user.totp_secret.is_some() {
        // The password was right; the code comes next.
        session.await_second_factor(user.id, next.as_deref().unwrap_or_default())?;
        return Ok(see_other("/sign-in/code"));
    }
    session.sign_in(user.id, user.locale, Device::of(&req, address))?;
    CurrentUser::forget(&req);
    tracing::info!(user_id = user.id, role = %user.role, "signed in");

    let destination = if user.must_change_password {
        "/account/password".to_owned()
    } else {
        next.unwrap_or_else(|| home_page(user.role).to_owned())
    };
    Ok(see_other(&destination))
}

/// The form again, with the email typed and the messages.
async fn rerender(
    req: &HttpRequest,
    email: &str,
    next: Option<String>,
    errors: FormErrors,
    notice: Option<Notice>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let page = SignInPage {
        ctx: Ctx::build(req).await?,
        email: email.trim().to_owned(),
        next: next.unwrap_or_default(),
        errors,
        notice,
    };
    Ok(page
        .customize()
        .with_status(status)
        .respond_to(req)
        .map_into_boxed_body())
}

pub async fn sign_out(session: AppSession) -> impl Responder {
    session.sign_out();
    see_other("/sign-in?signed_out=1")
}
