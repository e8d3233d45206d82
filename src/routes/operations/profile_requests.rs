//! Profile change requests: the queue by status, each request beside the provider's current listing, and
//! the decision — start the review, approve (the listing changes at once, all of it), or reject with a
//! reason. The provider's users are told by email; every step is in the activity log.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::session::FlashKind;
use crate::auth::{AppSession, OperatorStaff, Signed};
use crate::db::DbConnection;
use crate::db::models::activity::NewActivity;
use crate::db::models::partner::Partner;
use crate::db::models::profile::{
    COMPLETED, IN_REVIEW, Location, ProfileChangeRequest, ProviderProfile, QueuedRequest, REJECTED,
    SUBMITTED,
};
use crate::db::models::user::User;
use crate::email::{self, messages::ProfileReviewed};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::pagination::{PER_PAGE, Page, StatusQuery};
use crate::routes::see_other;
use crate::startup::AppState;
use crate::view::{Ctx, FormErrors};

#[derive(Template, WebTemplate)]
#[template(path = "operations/profile_requests/list.html")]
pub struct QueuePage {
    pub ctx: Ctx,
    pub status: &'static str,
    pub requests: Page<QueuedRequest>,
}

impl QueuePage {
    pub fn status_query(&self) -> String {
        format!("status={}", self.status)
    }

    pub fn statuses(&self) -> [(&'static str, &'static str); 4] {
        [
            (SUBMITTED, "profile.status.submitted"),
            (IN_REVIEW, "profile.status.in_review"),
            (COMPLETED, "profile.status.completed"),
            (REJECTED, "profile.status.rejected"),
        ]
    }
}

pub async fn list(
    ctx: Ctx,
    _user: Signed<OperatorStaff>,
    state: web::Data<AppState>,
    query: web::Query<StatusQuery>,
) -> AppResult<QueuePage> {
    let status = query.status_in(&[SUBMITTED, IN_REVIEW, COMPLETED, REJECTED]);
    let seek = query.seek::<i64>();
    let requests = state
        .db
        .read(move |conn| {
            Ok(ProfileChangeRequest::page_by_status(
                conn, status, &seek, PER_PAGE,
            )?)
        })
        .await?;
    Ok(QueuePage {
        ctx,
        status,
        requests,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "operations/profile_requests/show.html")]
pub struct RequestPage {
    pub ctx: Ctx,
    pub request: ProfileChangeRequest,
    pub provider: Partner,
    pub current: Option<ProviderProfile>,
    pub current_locations: Vec<Location>,
    pub reason: String,
    pub errors: FormErrors,
}

impl RequestPage {
    pub fn proposed_locations(&self) -> Vec<Location> {
        self.request.locations()
    }
}

async fn request_page(
    req: &HttpRequest,
    state: &AppState,
    id: i64,
    reason: String,
    errors: FormErrors,
) -> AppResult<RequestPage> {
    let (request, provider, current, current_locations) = state
        .db
        .read(move |conn| {
            let request = ProfileChangeRequest::find(conn, id)?;
            let provider = Partner::find(conn, request.provider_id)?;
            let current = ProviderProfile::of(conn, request.provider_id)?;
            let locations = ProviderProfile::locations_of(conn, request.provider_id)?;
            Ok((request, provider, current, locations))
        })
        .await?;
    Ok(RequestPage {
        ctx: Ctx::build(req).await?,
        request,
        provider,
        current,
        current_locations,
        reason,
        errors,
    })
}

pub async fn show(
    req: HttpRequest,
    _user: Signed<OperatorStaff>,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> AppResult<RequestPage> {
    request_page(
        &req,
        &state,
        path.into_inner(),
        String::new(),
        FormErrors::new(),
    )
    .await
}

/// Marks a submitted request In review, so the provider sees someone has it.
pub async fn start_review(
    user: Signed<OperatorStaff>,
    state: web::Data<AppState>,
    session: AppSession,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let operator = user.id;
    state
        .db
        .write(move |conn| {
            let request = ProfileChangeRequest::find(conn, id)?;
            if !ProfileChangeRequest::decide(conn, id, &[SUBMITTED], IN_REVIEW, operator, None)? {
                return Err(AppError::Conflict(
                    "operations.profile_requests.already_decided",
                ));
            }
            NewActivity::new(
                "profile_request.review_started",
                "profile_change_request",
                Some(id),
            )
            .by(operator, None)
            .provider(Some(request.provider_id))
            .change(Some(SUBMITTED.into()), Some(IN_REVIEW.into()))
            .record(conn)?;
            Ok(())
        })
        .await?;
    session.flash(
        FlashKind::Success,
        "operations.profile_requests.review_started",
    )?;
    Ok(see_other(&format!("/operations/profile-requests/{id}")))
}

pub async fn approve(
    user: Signed<OperatorStaff>,
    state: web::Data<AppState>,
    session: AppSession,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    decide(&state, user.id, path.into_inner(), None).await?;
    session.flash(FlashKind::Success, "operations.profile_requests.approved")?;
    Ok(see_other("/operations/profile-requests"))
}

#[derive(Deserialize)]
pub struct RejectForm {
    #[serde(default)]
    reason: String,
}

pub async fn reject(
    req: HttpRequest,
    user: Signed<OperatorStaff>,
    state: web::Data<AppState>,
    session: AppSession,
    path: web::Path<i64>,
    form: web::Form<RejectForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let mut errors = FormErrors::new();
    let reason = errors.text("reason", &form.reason, 1000);
    if !errors.is_empty() {
        let page = request_page(&req, &state, id, reason, errors).await?;
        return Ok(crate::routes::form_page(&req, page, true));
    }
    decide(&state, user.id, id, Some(reason)).await?;
    session.flash(FlashKind::Success, "operations.profile_requests.rejected")?;
    Ok(see_other("/operations/profile-requests"))
}

/// Approves (`reason` none) or rejects an open request, in one transaction with the listing change, the
/// activity entry and the emails.
async fn decide(state: &AppState, operator: i64, id: i64, reason: Option<String>) -> AppResult<()> {
    let profile_url = state.url("/profile");
    state
        .db
        .write(move |conn| {
            let request = ProfileChangeRequest::find(conn, id)?;
            let to = if reason.is_some() {
                REJECTED
            } else {
                COMPLETED
            };
            if !ProfileChangeRequest::decide(
                conn,
                id,
                &[SUBMITTED, IN_REVIEW],
                to,
                operator,
                reason.as_deref(),
            )? {
                return Err(AppError::Conflict(
                    "operations.profile_requests.already_decided",
                ));
            }
            let before = ProviderProfile::of(conn, request.provider_id)?.map(|p| p.company_name);
            if reason.is_none() {
                ProviderProfile::apply(conn, &request)?;
            }
            let activity = if reason.is_none() {
                NewActivity::new(
                    "profile_request.approved",
                    "profile_change_request",
                    Some(id),
                )
            } else {
                NewActivity::new(
                    "profile_request.rejected",
                    "profile_change_request",
                    Some(id),
                )
            };
            activity
                .by(operator, None)
                .provider(Some(request.provider_id))
                .change(before, Some(request.company_name.clone()))
                .record(conn)?;
            tell_provider(conn, &request, reason.as_deref(), &profile_url)
        })
        .await?;
    state.wake_outbox();
    Ok(())
}

fn tell_provider(
    conn: &mut DbConnection,
    request: &ProfileChangeRequest,
    reason: Option<&str>,
    profile_url: &str,
) -> AppResult<()> {
    for to in User::of_partner(conn, request.provider_id)? {
        email::queue(
            conn,
            &to.email,
            &ProfileReviewed {
                tr: Tr(to.locale().unwrap_or_default()),
                name: to.display_name.clone(),
                company: request.company_name.clone(),
                approved: reason.is_none(),
                reason: reason.unwrap_or_default().to_owned(),
                profile_url: profile_url.to_owned(),
            },
        )?;
    }
    Ok(())
}
