//! The Dashboard home. Providers see where to start (the program guide's three steps); every other role
//! is sent to its own first page.

use actix_web::{HttpRequest, HttpResponse, Responder};
use askama::Template;
use askama_web::WebTemplate;

use crate::auth::{AnyRole, Role, Signed};
use crate::error::AppResult;
use crate::routes::see_other;
use crate::view::Ctx;

#[derive(Template, WebTemplate)]
#[template(path = "home/provider.html")]
pub struct ProviderHome {
    pub ctx: Ctx,
}

pub async fn show(req: HttpRequest, ctx: Ctx, user: Signed<AnyRole>) -> AppResult<HttpResponse> {
    if user.role != Role::Provider {
        return Ok(see_other(user.role.home()));
    }
    Ok(ProviderHome { ctx }.respond_to(&req).map_into_boxed_body())
}
