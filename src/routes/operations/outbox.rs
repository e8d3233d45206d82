//! The email outbox: messages by state (pending, sent, failed) with their attempts and last error, and
//! Retry — a failed message goes back in the queue, a pending one waiting out its back-off is tried now.

use actix_web::{HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;

use crate::auth::session::FlashKind;
use crate::auth::{AppSession, OperatorStaff, Signed};
use crate::db::models::activity::NewActivity;
use crate::db::models::outbox::{FAILED, OutboxEmail, PENDING, SENT};
use crate::error::{AppError, AppResult};
use crate::pagination::{PER_PAGE, Page, StatusQuery};
use crate::routes::see_other;
use crate::startup::AppState;
use crate::view::Ctx;

#[derive(Template, WebTemplate)]
#[template(path = "operations/outbox/list.html")]
pub struct OutboxPage {
    pub ctx: Ctx,
    pub status: &'static str,
    pub emails: Page<OutboxEmail>,
}

impl OutboxPage {
    pub fn status_query(&self) -> String {
        format!("status={}", self.status)
    }

    pub fn statuses(&self) -> [(&'static str, &'static str); 3] {
        [
            (PENDING, "operations.outbox.pending"),
            (SENT, "operations.outbox.sent"),
            (FAILED, "operations.outbox.failed"),
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
    let status = query.status_in(&[FAILED, PENDING, SENT]);
    let seek = query.seek::<i64>();
    let emails = state
        .db
        .read(move |conn| Ok(OutboxEmail::page_by_status(conn, status, &seek, PER_PAGE)?))
        .await?;
    Ok(OutboxPage {
        ctx,
        status,
        emails,
    })
}

pub async fn retry(
    user: Signed<OperatorStaff>,
    state: web::Data<AppState>,
    session: AppSession,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let operator = user.id;
    let previous = state
        .db
        .write(move |conn| {
            let email = OutboxEmail::find(conn, id)?;
            if !OutboxEmail::retry(conn, id)? {
                return Err(AppError::Conflict("operations.outbox.not_retriable"));
            }
            NewActivity::new("email.retried", "email", Some(id))
                .by(operator, None)
                .change(Some(email.status.clone()), Some(PENDING.into()))
                .record(conn)?;
            Ok(email.status)
        })
        .await?;
    state.wake_outbox();
    session.flash(FlashKind::Success, "operations.outbox.retried")?;
    Ok(see_other(&format!("/operations/outbox?status={previous}")))
}
