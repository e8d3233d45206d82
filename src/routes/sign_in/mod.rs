//! Sign in and sign out, for every role. Wrong email and wrong password get the same message, take the
//! same time, and both spend an attempt from the throttle.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, Responder, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::{AppSession, CurrentUser, password};
use crate::db::models::user::User;
use crate::domain::Email;
use crate::error::{AppResult, retry_after};
use crate::i18n::Tr;
use crate::routes::see_other;
use crate::startup::AppState;
use crate::view::{Ctx, FormErrors, request_locale};

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
        return Ok(see_other(user.role.home()));
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
    if let Some(wait) = state.throttle.sign_in_wait(email.as_str(), address) {
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

    let lookup = email.clone();
    let user = state
        .db
        .read(move |conn| Ok(User::find_by_email(conn, &lookup)?))
        .await?;
    let password = form.password.clone();
    // Hashing is CPU work: off the async executor, like the database. Every answer costs one full
    // check, so neither an unknown account nor a fresh temporary password (hashed lightly) is told
    // apart by timing.
    let user = web::block(move || match user {
        Some(user) => {
            let ok = password::verify_at_full_cost(&user.password_hash, &password);
            (ok && !user.disabled).then_some(user)
        }
        None => {
            password::verify_dummy(&password);
            None
        }
    })
    .await
    .map_err(|e| anyhow::anyhow!("password check was cancelled: {e}"))?;

    let Some(user) = user else {
        state.throttle.sign_in_failed(email.as_str(), address);
        tracing::info!(?address, "sign-in refused");
        return rerender(
            &req,
            &form.email,
            next,
            FormErrors::new(),
            Some(Notice::error(
                Tr(request_locale(&req).await?)
                    .t("sign_in.bad_credentials")
                    .to_owned(),
            )),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    state.throttle.sign_in_succeeded(email.as_str(), address);

    session.sign_in(user.id, user.locale())?;
    CurrentUser::forget(&req);
    let id = user.id;
    state
        .db
        .write(move |conn| Ok(User::record_sign_in(conn, id)?))
        .await?;
    tracing::info!(user_id = user.id, role = %user.role, "signed in");

    let destination = if user.must_change_password {
        "/account/password".to_owned()
    } else {
        next.unwrap_or_else(|| user.role().home().to_owned())
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
