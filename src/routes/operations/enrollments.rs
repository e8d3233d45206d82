//! Reseller enrollment reviews: verify, or reject with a reason. The reseller is told by email either
//! way, and the decision is in the activity log.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::session::FlashKind;
use crate::auth::{AppSession, OperatorStaff, Signed, can};
use crate::db::models::partner::Partner;
use crate::domain::EnrollmentStatus;
use crate::error::AppResult;
use crate::pagination::{PER_PAGE, Page, StatusQuery};
use crate::routes::see_other;
use crate::services::enrollment::{self, Decision};
use crate::state::AppState;
use crate::view::{Ctx, FormErrors};

#[derive(Template, WebTemplate)]
#[template(path = "operations/enrollments.html")]
pub struct EnrollmentsPage {
    pub ctx: Ctx,
    pub status: EnrollmentStatus,
    pub resellers: Page<Partner>,
}

impl EnrollmentsPage {
    pub fn status_query(&self) -> String {
        format!("status={}", self.status)
    }
}

pub async fn list(
    ctx: Ctx,
    _user: Signed<OperatorStaff>,
    state: web::Data<AppState>,
    query: web::Query<StatusQuery>,
) -> AppResult<EnrollmentsPage> {
    let status = query.status_of(EnrollmentStatus::ALL, EnrollmentStatus::parse);
    let seek = query.seek::<i64>();
    let resellers = state
        .db
        .query(move |conn| Partner::enrollments_page(conn, status, &seek, PER_PAGE))
        .await?;
    Ok(EnrollmentsPage {
        ctx,
        status,
        resellers,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "operations/reject.html")]
pub struct RejectPage {
    pub ctx: Ctx,
    pub reseller: Partner,
    pub reason: String,
    pub errors: FormErrors,
}

async fn pending_reseller(state: &AppState, id: i64) -> AppResult<Partner> {
    Ok(enrollment::pending(&state.db, id).await?)
}

pub async fn reject_form(
    ctx: Ctx,
    _user: Signed<OperatorStaff>,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> AppResult<RejectPage> {
    let reseller = pending_reseller(&state, path.into_inner()).await?;
    Ok(RejectPage {
        ctx,
        reseller,
        reason: String::new(),
        errors: FormErrors::new(),
    })
}

#[derive(Deserialize)]
pub struct RejectForm {
    #[serde(default)]
    reason: String,
}

pub async fn verify(
    user: Signed<OperatorStaff, can::Admin>,
    state: web::Data<AppState>,
    session: AppSession,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    decide(&state, user.id, path.into_inner(), Decision::Verify).await?;
    session.flash(FlashKind::Success, "operations.enrollments.verified")?;
    Ok(see_other("/operations/enrollments"))
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
        let page = RejectPage {
            ctx: Ctx::build(&req).await?,
            reseller: pending_reseller(&state, id).await?,
            reason,
            errors,
        };
        return Ok(crate::routes::form_page(&req, page, true));
    }
    decide(&state, user.id, id, Decision::Reject(reason)).await?;
    session.flash(FlashKind::Success, "operations.enrollments.rejected")?;
    Ok(see_other("/operations/enrollments"))
}

async fn decide(state: &AppState, operator: i64, id: i64, decision: Decision) -> AppResult<()> {
    let links = enrollment::Links {
        base_url: state.base_url.clone(),
        key: state.config.session_key.clone(),
    };
    enrollment::review(&state.db, operator, id, decision, links).await?;
    state.wake_outbox();
    Ok(())
}
