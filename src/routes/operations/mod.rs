//! The operations console, for platform operators only (anyone else gets 404): reseller enrollment
//! reviews, profile change requests, orders across providers, the offer catalog, the email outbox and
//! provider organisations. Every action is in the activity log.

pub mod enrollments;
pub mod offers;
pub mod orders;
pub mod outbox;
pub mod profile_requests;
pub mod providers;

use actix_web::web;
use askama::Template;
use askama_web::WebTemplate;

use crate::auth::{OperatorStaff, Signed};
use crate::db::models::outbox::OutboxEmail;
use crate::db::models::partner::Partner;
use crate::db::models::profile::ProfileChangeRequest;
use crate::error::AppResult;
use crate::routes::{Admits, RouteTable};
use crate::state::AppState;
use crate::view::Ctx;

#[derive(Template, WebTemplate)]
#[template(path = "operations/home.html")]
pub struct ConsoleHome {
    pub ctx: Ctx,
    pub pending_enrollments: i64,
    pub open_profile_requests: i64,
    pub failed_emails: i64,
}

/// The console's home: what waits for an operator (small queues, each counted on its own index).
pub async fn home(
    ctx: Ctx,
    _user: Signed<OperatorStaff>,
    state: web::Data<AppState>,
) -> AppResult<ConsoleHome> {
    let (pending_enrollments, open_profile_requests, failed_emails) = state
        .db
        .query(|conn| {
            Ok((
                Partner::count_pending_enrollments(conn)?,
                ProfileChangeRequest::count_open(conn)?,
                OutboxEmail::count_failed(conn)?,
            ))
        })
        .await?;
    Ok(ConsoleHome {
        ctx,
        pending_enrollments,
        open_profile_requests,
        failed_emails,
    })
}

/// The console's routes: operators only.
pub fn routes(t: &mut RouteTable) {
    use Admits::Operator;
    t.get("/operations", Operator, home)
        .get("/operations/enrollments", Operator, enrollments::list)
        .post(
            "/operations/enrollments/{id}/verify",
            Operator,
            enrollments::verify,
        )
        .get(
            "/operations/enrollments/{id}/reject",
            Operator,
            enrollments::reject_form,
        )
        .post(
            "/operations/enrollments/{id}/reject",
            Operator,
            enrollments::reject,
        )
        .get(
            "/operations/profile-requests",
            Operator,
            profile_requests::list,
        )
        .get(
            "/operations/profile-requests/{id:\\d+}",
            Operator,
            profile_requests::show,
        )
        .post(
            "/operations/profile-requests/{id:\\d+}/start-review",
            Operator,
            profile_requests::start_review,
        )
        .post(
            "/operations/profile-requests/{id:\\d+}/approve",
            Operator,
            profile_requests::approve,
        )
        .post(
            "/operations/profile-requests/{id:\\d+}/reject",
            Operator,
            profile_requests::reject,
        )
        .get("/operations/orders", Operator, orders::list)
        .get("/operations/orders/{id:\\d+}", Operator, orders::show)
        .get("/operations/offers", Operator, offers::list)
        .get("/operations/offers/new", Operator, offers::new_form)
        .post("/operations/offers/new", Operator, offers::create)
        .get("/operations/offers/{id:\\d+}", Operator, offers::edit_form)
        .post("/operations/offers/{id:\\d+}", Operator, offers::update)
        .post(
            "/operations/offers/{id:\\d+}/retire",
            Operator,
            offers::retire,
        )
        .post(
            "/operations/offers/{id:\\d+}/restore",
            Operator,
            offers::restore,
        )
        .get("/operations/outbox", Operator, outbox::list)
        .post(
            "/operations/outbox/{id:\\d+}/retry",
            Operator,
            outbox::retry,
        )
        .get("/operations/providers", Operator, providers::list)
        .get("/operations/providers/new", Operator, providers::new_form)
        .post("/operations/providers/new", Operator, providers::create)
        .get(
            "/operations/providers/{id:\\d+}/created",
            Operator,
            providers::created,
        )
        .get(
            "/operations/activity-log",
            Operator,
            crate::routes::activity_log::operator_log,
        );
}
