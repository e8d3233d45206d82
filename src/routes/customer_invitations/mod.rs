//! Answering an invitation to a reseller relationship: the customer's admin opens the personal link,
//! signs in or signs up (the link survives the detour), sees which provider (and reseller) asks and
//! what they will be able to do, and accepts or declines — and, separately, gives or withholds
//! delegated administration (`services::invitation_answer`). Any other account, or a used, expired or
//! revoked link, gets its own page.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::AppSession;
use crate::auth::session::FlashKind;
use crate::error::{AppError, AppResult};
use crate::routes::see_other;
use crate::services::invitation_answer::{self, Answer, Answered};
use crate::state::AppState;
use crate::view::{Ctx, FormErrors};

const PATH: &str = "/customer-invitations/";

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    SignInFirst,
    Consent,
    AlreadyCustomer,
}

#[derive(Template, WebTemplate)]
#[template(path = "customer_invitations/accept.html")]
pub struct AcceptPage {
    pub ctx: Ctx,
    pub mode: Mode,
    pub provider: String,
    pub reseller: Option<String>,
    pub delegation_asked: bool,
    pub path: String,
    pub errors: FormErrors,
}

impl AcceptPage {
    /// Who would hold delegated administration: the reseller, or the provider when there is none.
    pub fn delegate(&self) -> &str {
        self.reseller.as_deref().unwrap_or(&self.provider)
    }
}

/// What a user other than a customer's admin is told.
const NOT_CUSTOMER: &str = "errors.invitation.not_customer";

async fn page(
    req: &HttpRequest,
    state: &AppState,
    token: String,
    errors: FormErrors,
) -> AppResult<HttpResponse> {
    let ctx = Ctx::build(req).await?;
    let customer = crate::routes::link_customer(ctx.user.as_deref(), NOT_CUSTOMER)?;
    let path = format!("{PATH}{token}");
    let asked = invitation_answer::asked(&state.db, token, customer).await?;
    let mode = match asked.already_customer {
        None => Mode::SignInFirst,
        Some(true) => Mode::AlreadyCustomer,
        Some(false) => Mode::Consent,
    };
    let has_errors = !errors.is_empty();
    let page = AcceptPage {
        ctx,
        mode,
        provider: asked.provider_name,
        reseller: asked.reseller_name,
        delegation_asked: asked.delegation_asked,
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
    delegation: Option<String>,
}

pub async fn answer(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    path: web::Path<String>,
    form: web::Form<AnswerForm>,
) -> AppResult<HttpResponse> {
    let token = path.into_inner();
    let user = crate::routes::answering_user(&req, format!("{PATH}{token}")).await?;
    let customer = crate::routes::link_customer(Some(&user), NOT_CUSTOMER)?
        .ok_or(AppError::Forbidden(NOT_CUSTOMER))?;
    let accept = match form.decision.as_str() {
        "accept" => true,
        "decline" => false,
        _ => {
            let mut errors = FormErrors::new();
            errors.add("decision", "invitations.accept.choose");
            return page(&req, &state, token, errors).await;
        }
    };
    let answered = invitation_answer::answer(
        &state.db,
        Answer {
            token,
            customer,
            user_id: user.id,
            accept,
            delegation: form.delegation.is_some(),
            base_url: state.base_url.clone(),
            now: state.now(),
        },
    )
    .await?;
    let (kind, key, provider) = match answered {
        Answered::Accepted(p) => (FlashKind::Success, "invitations.accept.done", p),
        Answered::Declined(p) => (FlashKind::Info, "invitations.accept.declined", p),
        Answered::Already(p) => (FlashKind::Info, "invitations.accept.already_with", p),
        Answered::AcceptedMeanwhile => {
            session.flash(FlashKind::Info, "invitations.accept.already")?;
            return Ok(see_other("/my/subscriptions"));
        }
    };
    state.wake_outbox();
    session.flash_with(kind, key, &[("provider", &provider)])?;
    Ok(see_other("/my/subscriptions"))
}
