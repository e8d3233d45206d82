//! Accepting a partnership request: the reseller opens the personal link, signs in or enrolls (the link
//! survives the detour), sees which provider asks and what it will be allowed to do, and authorizes or
//! declines (`services::partnership_answer`). Every other case gets its own page and changes nothing.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::session::FlashKind;
use crate::auth::{AppSession, CurrentUser};
use crate::domain::{EnrollmentStatus, Role};
use crate::error::{AppError, AppResult};
use crate::routes::see_other;
use crate::services::partnership_answer::{self, Answer, Answered};
use crate::services::waiting_request;
use crate::state::AppState;
use crate::view::{Ctx, FormErrors};

/// What the page shows.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Signed out: sign in or enroll, then come back.
    SignInFirst,
    /// The consent form.
    Consent,
    /// Already partnered with this provider: nothing to do.
    AlreadyPartnered,
    /// The reseller's enrollment waits for an operator: the request waits for it.
    AwaitingVerification,
}

#[derive(Template, WebTemplate)]
#[template(path = "partnerships/accept.html")]
pub struct AcceptPage {
    pub ctx: Ctx,
    pub mode: Mode,
    pub provider: String,
    pub path: String,
    pub errors: FormErrors,
}

/// The signed-in user must be a verified reseller: its organisation's id.
fn check_reseller(user: &CurrentUser) -> Result<i64, AppError> {
    if user.role != Role::Reseller {
        return Err(AppError::Forbidden("errors.link.not_reseller"));
    }
    let partner = user
        .partner
        .as_ref()
        .ok_or(AppError::Forbidden("errors.link.not_reseller"))?;
    match partner.enrollment_status {
        EnrollmentStatus::Verified => Ok(partner.id),
        EnrollmentStatus::Rejected => Err(AppError::Forbidden("errors.link.reseller_rejected")),
        EnrollmentStatus::Pending => Err(AppError::Forbidden("errors.link.reseller_pending")),
    }
}

fn here(token: &str) -> String {
    format!("/partnerships/accept/{token}")
}

fn path_token(path: &str) -> String {
    path.rsplit('/').next().unwrap_or_default().to_owned()
}

async fn page(
    req: &HttpRequest,
    state: &AppState,
    token: String,
    errors: FormErrors,
) -> AppResult<HttpResponse> {
    let ctx = Ctx::build(req).await?;
    // Who asks is checked after the link: a link that no longer works says so to anyone.
    let who = ctx.user.as_ref().map(|user| {
        if user.must_change_password {
            Err(AppError::PasswordChangeRequired)
        } else {
            check_reseller(user)
        }
    });
    let reseller = who.as_ref().and_then(|r| r.as_ref().ok().copied());
    let path = here(&token);
    let asked = partnership_answer::asked(&state.db, token, reseller).await?;
    // A reseller just enrolled (or still waiting) sees that the request waits for its verification,
    // not a refusal; answering still needs the verification.
    let awaiting = ctx.user.as_ref().is_some_and(|user| {
        user.role == Role::Reseller
            && user
                .partner
                .as_ref()
                .is_some_and(|p| p.enrollment_status == EnrollmentStatus::Pending)
    });
    if let Some(Err(err)) = who
        && !awaiting
    {
        return Err(err);
    }
    if awaiting && let Some(partner) = ctx.user.as_ref().and_then(|u| u.partner.as_ref()) {
        // Kept for it (once is enough; opening the link again keeps it again).
        waiting_request::keep(
            &state.db,
            &state.config.session_key,
            &path_token(&path),
            partner.id,
        )
        .await?;
    }
    let mode = match asked.already_partnered {
        _ if awaiting => Mode::AwaitingVerification,
        None => Mode::SignInFirst,
        Some(true) => Mode::AlreadyPartnered,
        Some(false) => Mode::Consent,
    };
    let has_errors = !errors.is_empty();
    let page = AcceptPage {
        ctx,
        mode: if has_errors { Mode::Consent } else { mode },
        provider: asked.provider_name,
        path,
        errors,
    };
    Ok(crate::routes::form_page(req, page, has_errors))
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    page(&req, &state, path.into_inner(), FormErrors::new()).await
}

#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    authorize: Option<String>,
}

pub async fn answer(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    path: web::Path<String>,
    form: web::Form<AnswerForm>,
) -> AppResult<HttpResponse> {
    let token = path.into_inner();
    let user = crate::routes::answering_user(&req, here(&token)).await?;
    let reseller_id = check_reseller(&user)?;
    let accept = match form.decision.as_str() {
        "accept" => true,
        "decline" => false,
        _ => return Err(AppError::Unprocessable("errors.unprocessable.body")),
    };
    if accept && form.authorize.is_none() {
        // The box must be ticked: the form again, with the message.
        let mut errors = FormErrors::new();
        errors.add("authorize", "partnership.accept.must_authorize");
        return page(&req, &state, token, errors).await;
    }
    let answered = partnership_answer::answer(
        &state.db,
        Answer {
            token,
            reseller_id,
            user_id: user.id,
            accept,
            base_url: state.base_url.clone(),
        },
    )
    .await?;
    state.wake_outbox();
    match answered {
        Answered::Accepted(provider) => session.flash_with(
            FlashKind::Success,
            "partnership.accept.done",
            &[("provider", &provider)],
        )?,
        Answered::Declined(provider) => session.flash_with(
            FlashKind::Info,
            "partnership.accept.declined",
            &[("provider", &provider)],
        )?,
        Answered::AlreadyPartnered(provider) => session.flash_with(
            FlashKind::Info,
            "partnership.accept.already_with",
            &[("provider", &provider)],
        )?,
        Answered::AcceptedMeanwhile => {
            session.flash(FlashKind::Info, "partnership.accept.already")?
        }
    }
    Ok(see_other("/indirect-providers"))
}
