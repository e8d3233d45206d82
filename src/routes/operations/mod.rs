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

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/operations", web::get().to(home))
        .route("/operations/enrollments", web::get().to(enrollments::list))
        .route(
            "/operations/enrollments/{id}/verify",
            web::post().to(enrollments::verify),
        )
        .service(
            web::resource("/operations/enrollments/{id}/reject")
                .route(web::get().to(enrollments::reject_form))
                .route(web::post().to(enrollments::reject)),
        )
        .route(
            "/operations/profile-requests",
            web::get().to(profile_requests::list),
        )
        .route(
            "/operations/profile-requests/{id:\\d+}",
            web::get().to(profile_requests::show),
        )
        .route(
            "/operations/profile-requests/{id:\\d+}/start-review",
            web::post().to(profile_requests::start_review),
        )
        .route(
            "/operations/profile-requests/{id:\\d+}/approve",
            web::post().to(profile_requests::approve),
        )
        .route(
            "/operations/profile-requests/{id:\\d+}/reject",
            web::post().to(profile_requests::reject),
        )
        .route("/operations/orders", web::get().to(orders::list))
        .route("/operations/orders/{id:\\d+}", web::get().to(orders::show))
        .route("/operations/offers", web::get().to(offers::list))
        .service(
            web::resource("/operations/offers/new")
                .route(web::get().to(offers::new_form))
                .route(web::post().to(offers::create)),
        )
        .service(
            web::resource("/operations/offers/{id:\\d+}")
                .route(web::get().to(offers::edit_form))
                .route(web::post().to(offers::update)),
        )
        .route(
            "/operations/offers/{id:\\d+}/retire",
            web::post().to(offers::retire),
        )
        .route(
            "/operations/offers/{id:\\d+}/restore",
            web::post().to(offers::restore),
        )
        .route("/operations/outbox", web::get().to(outbox::list))
        .route(
            "/operations/outbox/{id:\\d+}/retry",
            web::post().to(outbox::retry),
        )
        .route("/operations/providers", web::get().to(providers::list))
        .service(
            web::resource("/operations/providers/new")
                .route(web::get().to(providers::new_form))
                .route(web::post().to(providers::create)),
        )
        .route(
            "/operations/providers/{id:\\d+}/created",
            web::get().to(providers::created),
        )
        .route(
            "/operations/activity-log",
            web::get().to(crate::routes::activity_log::operator_log),
        );
}
