//! **Forgot your password?**: the form that sends a link (the same answer for every address), and the
//! link's page that sets a new password.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, Responder, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::session::FlashKind;
use crate::auth::{AppSession, password};
use crate::domain::Email;
use crate::error::AppResult;
use crate::routes::see_other;
use crate::services::password_reset;
use crate::state::AppState;
use crate::view::{Ctx, FormErrors};

#[derive(Template, WebTemplate)]
#[template(path = "sign_in/forgot.html")]
pub struct ForgotPage {
    pub ctx: Ctx,
    pub email: String,
    pub errors: FormErrors,
    /// After a request: the answer, whatever the address.
    pub sent: bool,
    pub throttled: Option<String>,
}

fn page<T: Responder>(req: &HttpRequest, page: T, status: StatusCode) -> HttpResponse
where
    T::Body: actix_web::body::MessageBody + 'static,
{
    page.customize()
        .with_status(status)
        .respond_to(req)
        .map_into_boxed_body()
}

#[derive(Deserialize)]
pub struct SentQuery {
    #[serde(default)]
    sent: Option<String>,
}

pub async fn forgot_form(ctx: Ctx, query: web::Query<SentQuery>) -> AppResult<ForgotPage> {
    Ok(ForgotPage {
        ctx,
        email: String::new(),
        errors: FormErrors::new(),
        sent: query.sent.is_some(),
        throttled: None,
    })
}

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

pub async fn forgot_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<ForgotForm>,
) -> AppResult<HttpResponse> {
    let ctx = Ctx::build(&req).await?;
    let email = match Email::parse(&form.email) {
        Ok(email) => email,
        Err(key) => {
            let mut errors = FormErrors::new();
            errors.add("email", key);
            let shown = ForgotPage {
                ctx,
                email: form.email.trim().to_owned(),
                errors,
                sent: false,
                throttled: None,
            };
            return Ok(page(&req, shown, StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    if let Some(wait) = state
        .throttle
        .sign_up_wait(email.as_str(), state.client_address(&req))
        .await
    {
        let tr = ctx.tr;
        let shown = ForgotPage {
            ctx,
            email: email.as_str().to_owned(),
            errors: FormErrors::new(),
            sent: false,
            throttled: Some(tr.t1("sign_in.throttled", "wait", tr.wait(wait))),
        };
        return Ok(page(&req, shown, StatusCode::TOO_MANY_REQUESTS));
    }
    password_reset::request(
        &state.db,
        state.now(),
        email,
        ctx.tr.locale(),
        state.base_url.clone(),
    )
    .await?;
    state.wake_outbox();
    Ok(see_other("/sign-in/forgot?sent=1"))
}

#[derive(Template, WebTemplate)]
#[template(path = "sign_in/reset.html")]
pub struct ResetPage {
    pub ctx: Ctx,
    /// The link still works.
    pub open: bool,
    pub errors: FormErrors,
}

pub async fn reset_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let open = password_reset::is_open(&state.db, state.now(), path.into_inner()).await?;
    let shown = ResetPage {
        ctx: Ctx::build(&req).await?,
        open,
        errors: FormErrors::new(),
    };
    let status = if open {
        StatusCode::OK
    } else {
        StatusCode::GONE
    };
    Ok(page(&req, shown, status))
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

pub async fn reset_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    path: web::Path<String>,
    form: web::Form<ResetForm>,
) -> AppResult<HttpResponse> {
    let token = path.into_inner();
    let form = form.into_inner();
    let mut errors = FormErrors::new();
    if let Err(key) = password::check_new(&form.new_password) {
        errors.add("new_password", key);
    }
    if form.confirm_password != form.new_password {
        errors.add("confirm_password", "account.password.mismatch");
    }
    if !errors.is_empty() {
        let open = password_reset::is_open(&state.db, state.now(), token).await?;
        let status = if open {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::GONE
        };
        let shown = ResetPage {
            ctx: Ctx::build(&req).await?,
            open,
            errors,
        };
        return Ok(page(&req, shown, status));
    }
    let done = password_reset::reset(
        &state.db,
        state.now(),
        token,
        form.new_password,
        state.url("/sign-in"),
    )
    .await?;
    if !done {
        let shown = ResetPage {
            ctx: Ctx::build(&req).await?,
            open: false,
            errors: FormErrors::new(),
        };
        return Ok(page(&req, shown, StatusCode::GONE));
    }
    state.wake_outbox();
    // Whoever was signed in on this browser is signed out: the next step is signing in anew.
    session.restart_anonymous();
    session.flash(FlashKind::Success, "password_reset.done")?;
    Ok(see_other("/sign-in"))
}
