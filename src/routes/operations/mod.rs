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
    /// Operators must use multi-factor sign-in.
    pub require_mfa: bool,
}

/// The console's home: what waits for an operator (small queues, each counted on its own index).
pub async fn home(
    ctx: Ctx,
    _user: Signed<OperatorStaff>,
    state: web::Data<AppState>,
) -> AppResult<ConsoleHome> {
    let (pending_enrollments, open_profile_requests, failed_emails, require_mfa) = state
        .db
        .query(|conn| {
            Ok((
                Partner::count_pending_enrollments(conn)?,
                ProfileChangeRequest::count_open(conn)?,
                OutboxEmail::count_failed(conn)?,
                crate::db::models::platform::Platform::require_mfa(conn)?,
            ))
        })
        .await?;
    Ok(ConsoleHome {
        ctx,
        pending_enrollments,
        open_profile_requests,
        failed_emails,
        require_mfa,
    })
}

#[derive(serde::Deserialize)]
pub struct RequireMfaForm {
    #[serde(default)]
    require_mfa: Option<String>,
}

/// The platform's Require multi-factor authentication (platform admins).
pub async fn require_mfa(
    state: web::Data<AppState>,
    session: crate::auth::AppSession,
    user: Signed<OperatorStaff, crate::auth::can::Admin>,
    form: web::Form<RequireMfaForm>,
) -> AppResult<actix_web::HttpResponse> {
    let required = form.into_inner().require_mfa.is_some();
    crate::services::organisations::set_platform_mfa(&state.db, user.id, required).await?;
    session.flash(
        crate::auth::session::FlashKind::Success,
        if required {
            "operations.mfa.required"
        } else {
            "operations.mfa.not_required"
        },
    )?;
    Ok(crate::routes::see_other("/operations#card-mfa"))
}

/// The console's routes: operators only.
pub fn routes(t: &mut RouteTable) {
    use crate::domain::Need::{Admin, Read};
    use Admits::Operator;
    t.get("/operations", Operator(Read), home)
        .post("/operations/require-mfa", Operator(Admin), require_mfa)
        .get("/operations/enrollments", Operator(Read), enrollments::list)
        .post(
            "/operations/enrollments/{id}/verify",
            Operator(Admin),
            enrollments::verify,
        )
        .get(
            "/operations/enrollments/{id}/reject",
            Operator(Read),
            enrollments::reject_form,
        )
        .post(
            "/operations/enrollments/{id}/reject",
            Operator(Admin),
            enrollments::reject,
        )
        .get(
            "/operations/profile-requests",
            Operator(Read),
            profile_requests::list,
        )
        .get(
            "/operations/profile-requests/{id:\\d+}",
            Operator(Read),
            profile_requests::show,
        )
        .post(
            "/operations/profile-requests/{id:\\d+}/start-review",
            Operator(Admin),
            profile_requests::start_review,
        )
        .post(
            "/operations/profile-requests/{id:\\d+}/approve",
            Operator(Admin),
            profile_requests::approve,
        )
        .post(
            "/operations/profile-requests/{id:\\d+}/reject",
            Operator(Admin),
            profile_requests::reject,
        )
        .get("/operations/orders", Operator(Read), orders::list)
        .get("/operations/orders/{id:\\d+}", Operator(Read), orders::show)
        .get("/operations/offers", Operator(Read), offers::list)
        .get("/operations/offers/new", Operator(Admin), offers::new_form)
        .post("/operations/offers/new", Operator(Admin), offers::create)
        .get(
            "/operations/offers/{id:\\d+}",
            Operator(Read),
            offers::edit_form,
        )
        .post(
            "/operations/offers/{id:\\d+}",
            Operator(Admin),
            offers::update,
        )
        .post(
            "/operations/offers/{id:\\d+}/retire",
            Operator(Admin),
            offers::retire,
        )
        .post(
            "/operations/offers/{id:\\d+}/restore",
            Operator(Admin),
            offers::restore,
        )
        .get("/operations/outbox", Operator(Read), outbox::list)
        .post(
            "/operations/outbox/{id:\\d+}/retry",
            Operator(Admin),
            outbox::retry,
        )
        .get("/operations/providers", Operator(Read), providers::list)
        .get(
            "/operations/providers/new",
            Operator(Admin),
            providers::new_form,
        )
        .post(
            "/operations/providers/new",
            Operator(Admin),
            providers::create,
        )
        .get(
            "/operations/providers/{id:\\d+}/created",
            Operator(Read),
            providers::created,
        )
        .get(
            "/operations/activity-log",
            Operator(Read),
            crate::routes::activity_log::operator_log,
        );
}
