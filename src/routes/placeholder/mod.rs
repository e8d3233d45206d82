//! Pages of the Dashboard menu whose features have not been built yet. Each says so plainly (no fake
//! data), behind the same role check the real page will have. They disappear as their issues land.

use actix_web::web;
use askama::Template;
use askama_web::WebTemplate;

use crate::auth::{ProviderStaff, Signed};
use crate::view::Ctx;

#[derive(Template, WebTemplate)]
#[template(path = "placeholder/page.html")]
pub struct NotYetPage {
    pub ctx: Ctx,
    pub title_key: &'static str,
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/profile",
        web::get().to(|ctx: Ctx, _user: Signed<ProviderStaff>| async move {
            NotYetPage {
                ctx,
                title_key: "menu.profile",
            }
        }),
    );
}
