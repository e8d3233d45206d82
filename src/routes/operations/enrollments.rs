//! Reseller enrollment reviews: verify, or reject with a reason. The reseller is told by email either
//! way, and the decision is in the activity log.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::session::FlashKind;
use crate::auth::{AppSession, OperatorStaff, Signed};
use crate::db::models::activity::NewActivity;
use crate::db::models::partner::{EnrollmentStatus, Partner};
use crate::db::models::user::User;
use crate::email::messages::{EnrollmentRejected, EnrollmentVerified};
use crate::email::{self};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::pagination::{PER_PAGE, Page, StatusQuery};
use crate::routes::see_other;
use crate::startup::AppState;
use crate::view::{Ctx, FormErrors};

#[derive(Template, WebTemplate)]
#[template(path = "operations/enrollments.html")]
pub struct EnrollmentsPage {
    pub ctx: Ctx,
    pub status: &'static str,
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
    let status = query.status_in(&["pending", "verified", "rejected"]);
    let status = EnrollmentStatus::parse(status).unwrap_or(EnrollmentStatus::Pending);
    let seek = query.seek::<i64>();
    let resellers = state
        .db
        .read(move |conn| Ok(Partner::enrollments_page(conn, status, &seek, PER_PAGE)?))
        .await?;
    Ok(EnrollmentsPage {
        ctx,
        status: status.as_str(),
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
    let reseller = state
        .db
        .read(move |conn| Ok(Partner::find_reseller(conn, id)?))
        .await?;
    if reseller.enrollment_status() != EnrollmentStatus::Pending {
        return Err(AppError::Conflict("errors.conflict.already_reviewed"));
    }
    Ok(reseller)
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
    user: Signed<OperatorStaff>,
    state: web::Data<AppState>,
    session: AppSession,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    decide(
        &state,
        user.id,
        path.into_inner(),
        EnrollmentStatus::Verified,
        None,
    )
    .await?;
    session.flash(FlashKind::Success, "operations.enrollments.verified")?;
    Ok(see_other("/operations/enrollments"))
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
        let page = RejectPage {
            ctx: Ctx::build(&req).await?,
            reseller: pending_reseller(&state, id).await?,
            reason,
            errors,
        };
        return Ok(crate::routes::form_page(&req, page, true));
    }
    decide(
        &state,
        user.id,
        id,
        EnrollmentStatus::Rejected,
        Some(reason),
    )
    .await?;
    session.flash(FlashKind::Success, "operations.enrollments.rejected")?;
    Ok(see_other("/operations/enrollments"))
}

async fn decide(
    state: &AppState,
    operator: i64,
    id: i64,
    decision: EnrollmentStatus,
    reason: Option<String>,
) -> AppResult<()> {
    let sign_in_url = state.url("/sign-in");
    state
        .db
        .write(move |conn| {
            let reseller = Partner::find_reseller(conn, id)?;
            if !Partner::review_enrollment(conn, id, decision, reason.as_deref(), operator)? {
                return Err(AppError::Conflict("errors.conflict.already_reviewed"));
            }
            let action = match decision {
                EnrollmentStatus::Verified => "reseller.verified",
                _ => "reseller.rejected",
            };
            NewActivity::new(action, "partner", Some(id))
                .by(operator, None)
                .reseller(Some(id))
                .change(Some("pending".into()), Some(decision.as_str().into()))
                .record(conn)?;
            for to in User::of_partner(conn, id)? {
                let tr = Tr(to.locale().unwrap_or_default());
                match decision {
                    EnrollmentStatus::Verified => email::queue(
                        conn,
                        &to.email,
                        &EnrollmentVerified {
                            tr,
                            name: to.display_name.clone(),
                            company: reseller.name.clone(),
                            sign_in_url: sign_in_url.clone(),
                        },
                    )?,
                    _ => email::queue(
                        conn,
                        &to.email,
                        &EnrollmentRejected {
                            tr,
                            name: to.display_name.clone(),
                            company: reseller.name.clone(),
                            reason: reason.clone().unwrap_or_default(),
                        },
                    )?,
                };
            }
            Ok(())
        })
        .await?;
    state.wake_outbox();
    Ok(())
}
