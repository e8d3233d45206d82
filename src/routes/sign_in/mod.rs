//! Sign in and sign out, for every role. Wrong email and wrong password get the same message, take the
//! same time, and both spend an attempt from the throttle.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, Responder, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::{AppSession, CurrentUser, password, safe_next};
use crate::db::models::user::User;
use crate::domain::Email;
use crate::error::AppResult;
use crate::routes::see_other;
use crate::startup::AppState;
use crate::view::{Ctx, FormErrors};

#[derive(Template, WebTemplate)]
#[template(path = "sign_in/form.html")]
pub struct SignInPage {
    pub ctx: Ctx,
    pub email: String,
    pub next: String,
    pub errors: FormErrors,
    /// A message about the whole form (bad credentials, throttled, signed out).
    pub notice: Option<&'static str>,
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
    query: web::Query<SignInQuery>,
) -> AppResult<HttpResponse> {
    if let Some(user) = &ctx.user {
        return Ok(see_other(user.role.home()));
    }
    let page = SignInPage {
        ctx,
        email: String::new(),
        next: safe_next(query.next.as_deref()).unwrap_or_default(),
        errors: FormErrors::new(),
        notice: query.signed_out.as_ref().map(|_| "sign_in.signed_out"),
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
    let next = safe_next(form.next.as_deref());
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

    let address = req.peer_addr().map(|a| a.ip());
    if !state.throttle.attempt(email.as_str(), address) {
        tracing::warn!(?address, "sign-in throttled");
        return rerender(
            &req,
            &form.email,
            next,
            FormErrors::new(),
            Some("sign_in.throttled"),
            StatusCode::TOO_MANY_REQUESTS,
        )
        .await;
    }

    let lookup = email.clone();
    let user = state
        .db
        .read(move |conn| Ok(User::find_by_email(conn, &lookup)?))
        .await?;
    let password = form.password.clone();
    // Hashing is CPU work: off the async executor, like the database.
    let user = web::block(move || match user {
        Some(user) if password::verify(&user.password_hash, &password) && !user.disabled => {
            Some(user)
        }
        Some(_) => None,
        None => {
            password::verify_dummy(&password);
            None
        }
    })
    .await
    .map_err(|e| anyhow::anyhow!("password check was cancelled: {e}"))?;

    let Some(user) = user else {
        tracing::info!(?address, "sign-in refused");
        return rerender(
            &req,
            &form.email,
            next,
            FormErrors::new(),
            Some("sign_in.bad_credentials"),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };

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
    notice: Option<&'static str>,
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
