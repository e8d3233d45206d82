//! The operations console, for platform operators only (anyone else gets 404). This part holds the
//! console's home and the reseller enrollment reviews.

pub mod enrollments;

use actix_web::web;
use askama::Template;
use askama_web::WebTemplate;

use crate::auth::{OperatorStaff, Signed};
use crate::db::models::partner::Partner;
use crate::error::AppResult;
use crate::startup::AppState;
use crate::view::Ctx;

#[derive(Template, WebTemplate)]
#[template(path = "operations/home.html")]
pub struct ConsoleHome {
    pub ctx: Ctx,
    pub pending_enrollments: i64,
}

pub async fn home(
    ctx: Ctx,
    _user: Signed<OperatorStaff>,
    state: web::Data<AppState>,
) -> AppResult<ConsoleHome> {
    let pending_enrollments = state
        .db
        .read(|conn| Ok(Partner::count_pending_enrollments(conn)?))
        .await?;
    Ok(ConsoleHome {
        ctx,
        pending_enrollments,
    })
}
