//! The email outbox: messages by state (pending, sent, failed) with their attempts and last error, and
//! Retry — a failed message goes back in the queue, a pending one waiting out its back-off is tried now.

use actix_web::{HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;

use crate::auth::session::FlashKind;
use crate::auth::{AppSession, OperatorStaff, Signed, can};
use crate::db::models::outbox::OutboxEmail;
use crate::domain::OutboxStatus;
use crate::error::AppResult;
use crate::pagination::{PER_PAGE, Page, StatusQuery};
use crate::routes::see_other;
use crate::services::email_outbox;
use crate::state::AppState;
use crate::view::Ctx;

#[derive(Template, WebTemplate)]
#[template(path = "operations/outbox/list.html")]
pub struct OutboxPage {
    pub ctx: Ctx,
    pub status: OutboxStatus,
    pub emails: Page<OutboxEmail>,
}

impl OutboxPage {
    pub fn status_query(&self) -> String {
        format!("status={}", self.status)
    }

    pub fn statuses(&self) -> [(OutboxStatus, &'static str); 3] {
        [
            (OutboxStatus::Pending, "operations.outbox.pending"),
            (OutboxStatus::Sent, "operations.outbox.sent"),
            (OutboxStatus::Failed, "operations.outbox.failed"),
        ]
    }
}

pub async fn list(
    ctx: Ctx,
    _user: Signed<OperatorStaff>,
    state: web::Data<AppState>,
    query: web::Query<StatusQuery>,
) -> AppResult<OutboxPage> {
    // Failed first: that is what an operator comes here for.
    use OutboxStatus::{Failed, Pending, Sent};
    let status = query.status_of(&[Failed, Pending, Sent], OutboxStatus::parse);
    let seek = query.seek::<i64>();
    let emails = state
        .db
        .query(move |conn| OutboxEmail::page_by_status(conn, status, &seek, PER_PAGE))
        .await?;
    Ok(OutboxPage {
        ctx,
        status,
        emails,
    })
}

pub async fn retry(
    user: Signed<OperatorStaff, can::Admin>,
    state: web::Data<AppState>,
    session: AppSession,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let previous = email_outbox::retry(&state.db, user.id, path.into_inner()).await?;
    state.wake_outbox();
    session.flash(FlashKind::Success, "operations.outbox.retried")?;
    Ok(see_other(&format!("/operations/outbox?status={previous}")))
}
