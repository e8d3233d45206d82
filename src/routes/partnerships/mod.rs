//! Accepting a partnership request: the reseller opens the personal link, signs in or enrolls (the link
//! survives the detour), sees which provider asks and what it will be allowed to do, and authorizes or
//! declines. Every other case gets its own page and changes nothing.

use actix_web::{HttpRequest, HttpResponse, Responder, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::session::FlashKind;
use crate::auth::{AppSession, CurrentUser, Role};
use crate::db::models::activity::NewActivity;
use crate::db::models::partner::{EnrollmentStatus, Partner};
use crate::db::models::partnership::{Accepted, Partnership};
use crate::db::models::relationship_request::{RelationshipRequest, RequestKind};
use crate::db::models::stats::{Delta, ProviderStats};
use crate::db::models::user::User;
use crate::email::{self, messages::PartnershipAnswered};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::routes::enroll::is_unique_violation;
use crate::routes::see_other;
use crate::startup::AppState;
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

/// The signed-in user must be a verified reseller.
fn check_reseller(user: &CurrentUser) -> Result<i64, AppError> {
    if user.role != Role::Reseller {
        return Err(AppError::Forbidden("errors.link.not_reseller"));
    }
    let partner = user
        .partner
        .as_ref()
        .ok_or(AppError::Forbidden("errors.link.not_reseller"))?;
    match EnrollmentStatus::parse(&partner.enrollment_status) {
        Some(EnrollmentStatus::Verified) => Ok(partner.id),
        Some(EnrollmentStatus::Rejected) => {
            Err(AppError::Forbidden("errors.link.reseller_rejected"))
        }
        _ => Err(AppError::Forbidden("errors.link.reseller_pending")),
    }
}

pub async fn show(
    req: HttpRequest,
    ctx: Ctx,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let token = path.into_inner();
    let lookup = token.clone();
    let request = RelationshipRequest::usable(
        state
            .db
            .read(move |conn| {
                Ok(RelationshipRequest::find_by_token(
                    conn,
                    RequestKind::Partnership,
                    &lookup,
                )?)
            })
            .await?,
    )?;
    let provider_id = request.provider_id;
    let here = format!("/partnerships/accept/{token}");
    let mode = match &ctx.user {
        None => Mode::SignInFirst,
        Some(user) if user.must_change_password => return Err(AppError::PasswordChangeRequired),
        Some(user) => {
            let reseller_id = check_reseller(user)?;
            let partnered = state
                .db
                .read(
                    move |conn| Ok(Partnership::active(conn, provider_id, reseller_id)?.is_some()),
                )
                .await?;
            if partnered {
                Mode::AlreadyPartnered
            } else {
                Mode::Consent
            }
        }
    };
    let provider = state
        .db
        .read(move |conn| Ok(Partner::find(conn, provider_id)?.name))
        .await?;
    let page = AcceptPage {
        ctx,
        mode,
        provider,
        path: here,
        errors: FormErrors::new(),
    };
    Ok(page.respond_to(&req).map_into_boxed_body())
}

#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    authorize: Option<String>,
}

enum Outcome {
    Accepted(String),
    Declined(String),
    AlreadyPartnered(String),
}

pub async fn answer(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AppSession,
    path: web::Path<String>,
    form: web::Form<AnswerForm>,
) -> AppResult<HttpResponse> {
    let token = path.into_inner();
    let Some(user) = CurrentUser::load(&req).await? else {
        return Err(AppError::SignInRequired {
            next: format!("/partnerships/accept/{token}"),
        });
    };
    if user.must_change_password {
        return Err(AppError::PasswordChangeRequired);
    }
    let reseller_id = check_reseller(&user)?;
    let accept = match form.decision.as_str() {
        "accept" => true,
        "decline" => false,
        _ => return Err(AppError::Unprocessable("errors.unprocessable.body")),
    };
    if accept && form.authorize.is_none() {
        // The box must be ticked: the form again, with the message.
        let lookup = token.clone();
        let request = RelationshipRequest::usable(
            state
                .db
                .read(move |conn| {
                    Ok(RelationshipRequest::find_by_token(
                        conn,
                        RequestKind::Partnership,
                        &lookup,
                    )?)
                })
                .await?,
        )?;
        let provider_id = request.provider_id;
        let provider = state
            .db
            .read(move |conn| Ok(Partner::find(conn, provider_id)?.name))
            .await?;
        let mut errors = FormErrors::new();
        errors.add("authorize", "partnership.accept.must_authorize");
        let page = AcceptPage {
            ctx: Ctx::build(&req).await?,
            mode: Mode::Consent,
            provider,
            path: format!("/partnerships/accept/{token}"),
            errors,
        };
        return Ok(crate::routes::form_page(&req, page, true));
    }

    let user_id = user.id;
    let base = state.base_url.clone();
    let outcome = state
        .db
        .write(move |conn| {
            let request = RelationshipRequest::usable(RelationshipRequest::find_by_token(
                conn,
                RequestKind::Partnership,
                &token,
            )?)?;
            let provider = Partner::find(conn, request.provider_id)?;
            let reseller = Partner::find_reseller(conn, reseller_id)?;
            if reseller.enrollment_status() != EnrollmentStatus::Verified {
                return Err(AppError::Forbidden("errors.link.reseller_pending"));
            }
            if Partnership::active(conn, provider.id, reseller_id)?.is_some() {
                return Ok(Outcome::AlreadyPartnered(provider.name));
            }
            let status = if accept { "accepted" } else { "declined" };
            let accepted_by = accept.then_some(reseller_id);
            if !RelationshipRequest::respond(conn, request.id, status, Some(user_id), accepted_by)?
            {
                // Someone answered this link a moment ago.
                return Err(AppError::Gone("errors.link.used"));
            }
            let entity = if accept {
                let id = match Partnership::activate(
                    conn,
                    provider.id,
                    reseller_id,
                    &reseller.name,
                    Some(request.id),
                )? {
                    Accepted::Created(id) | Accepted::Reactivated(id) => id,
                };
                ProviderStats::bump(
                    conn,
                    provider.id,
                    Delta {
                        resellers: 1,
                        ..Delta::default()
                    },
                )?;
                NewActivity::new("partnership.accepted", "partnership", Some(id))
            } else {
                NewActivity::new(
                    "partnership_request.declined",
                    "relationship_request",
                    Some(request.id),
                )
            };
            entity
                .by(user_id, Some(reseller_id))
                .provider(Some(provider.id))
                .reseller(Some(reseller_id))
                .change(Some("pending".into()), Some(status.into()))
                .record(conn)?;
            let sender = User::find(conn, request.created_by)?;
            let message = PartnershipAnswered {
                tr: Tr(sender.locale().unwrap_or_default()),
                name: sender.display_name.clone(),
                reseller: reseller.name.clone(),
                accepted: accept,
                list_url: format!("{base}/indirect-resellers"),
            };
            email::queue(conn, &sender.email, &message)?;
            Ok(if accept {
                Outcome::Accepted(provider.name)
            } else {
                Outcome::Declined(provider.name)
            })
        })
        .await;
    let outcome = match outcome {
        Ok(outcome) => outcome,
        // Two of this provider's requests accepted at the same moment: the other one made it.
        Err(AppError::Unexpected(err)) if is_unique_violation(&err) => {
            session.flash(FlashKind::Info, "partnership.accept.already")?;
            return Ok(see_other("/indirect-providers"));
        }
        Err(err) => return Err(err),
    };
    state.wake_outbox();
    match outcome {
        Outcome::Accepted(provider) => session.flash_with(
            FlashKind::Success,
            "partnership.accept.done",
            &[("provider", &provider)],
        )?,
        Outcome::Declined(provider) => session.flash_with(
            FlashKind::Info,
            "partnership.accept.declined",
            &[("provider", &provider)],
        )?,
        Outcome::AlreadyPartnered(provider) => session.flash_with(
            FlashKind::Info,
            "partnership.accept.already_with",
            &[("provider", &provider)],
        )?,
    }
    Ok(see_other("/indirect-providers"))
}
