//! Profile change requests: the queue by status, each request beside the provider's current listing, and
//! the decision — start the review, approve (the listing changes at once, all of it), or reject with a
//! reason. The provider's users are told by email; every step is in the activity log.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::session::FlashKind;
use crate::auth::{AppSession, OperatorStaff, Signed, can};
use crate::db::models::partner::Partner;
use crate::db::models::profile::{Location, ProfileChangeRequest, ProviderProfile, QueuedRequest};
use crate::domain::ProfileRequestStatus;
use crate::error::AppResult;
use crate::pagination::{PER_PAGE, Page, StatusQuery};
use crate::routes::see_other;
use crate::services::profile_change;
use crate::state::AppState;
use crate::view::{Ctx, FormErrors};

#[derive(Template, WebTemplate)]
#[template(path = "operations/profile_requests/list.html")]
pub struct QueuePage {
    pub ctx: Ctx,
    pub status: ProfileRequestStatus,
    pub requests: Page<QueuedRequest>,
}

impl QueuePage {
    pub fn status_query(&self) -> String {
        format!("status={}", self.status)
    }

    pub fn statuses(&self) -> Vec<(ProfileRequestStatus, &'static str)> {
        ProfileRequestStatus::ALL
            .iter()
            .map(|s| (*s, s.label_key()))
            .collect()
    }
}

pub async fn list(
    ctx: Ctx,
    _user: Signed<OperatorStaff>,
    state: web::Data<AppState>,
    query: web::Query<StatusQuery>,
) -> AppResult<QueuePage> {
    let status = query.status_of(ProfileRequestStatus::ALL, ProfileRequestStatus::parse);
    let seek = query.seek::<i64>();
    let requests = state
        .db
        .query(move |conn| ProfileChangeRequest::page_by_status(conn, status, &seek, PER_PAGE))
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
        .query(move |conn| {
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
    user: Signed<OperatorStaff, can::Admin>,
    state: web::Data<AppState>,
    session: AppSession,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    profile_change::start_review(&state.db, user.id, id).await?;
    session.flash(
        FlashKind::Success,
        "operations.profile_requests.review_started",
    )?;
    Ok(see_other(&format!("/operations/profile-requests/{id}")))
}

pub async fn approve(
    user: Signed<OperatorStaff, can::Admin>,
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
    user: Signed<OperatorStaff, can::Admin>,
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

/// Approves (`reason` none) or rejects an open request.
async fn decide(state: &AppState, operator: i64, id: i64, reason: Option<String>) -> AppResult<()> {
    profile_change::decide(&state.db, operator, id, reason, state.url("/profile")).await?;
    state.wake_outbox();
    Ok(())
}
