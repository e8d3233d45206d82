//! Pages of the Dashboard menu whose features have not been built yet. Each says so plainly (no fake
//! data), behind the same role check the real page will have. They disappear as their issues land.

use actix_web::web;
use askama::Template;
use askama_web::WebTemplate;

use crate::auth::{CustomerAdmin, ProviderStaff, ResellerStaff, Signed};
use crate::view::Ctx;

#[derive(Template, WebTemplate)]
#[template(path = "placeholder/page.html")]
pub struct NotYetPage {
    pub ctx: Ctx,
    pub title_key: &'static str,
}

macro_rules! not_yet {
    ($cfg:expr, $path:literal, $access:ty, $title:literal) => {
        $cfg.route(
            $path,
            web::get().to(|ctx: Ctx, _user: Signed<$access>| async move {
                NotYetPage {
                    ctx,
                    title_key: $title,
                }
            }),
        );
    };
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    not_yet!(
        cfg,
        "/indirect-resellers",
        ProviderStaff,
        "menu.indirect_resellers"
    );
    not_yet!(cfg, "/customers", ProviderStaff, "menu.customers");
    not_yet!(
        cfg,
        "/customers/new",
        ProviderStaff,
        "indirect_resellers.add_customer"
    );
    not_yet!(cfg, "/orders", ProviderStaff, "menu.orders");
    not_yet!(cfg, "/profile", ProviderStaff, "menu.profile");
    not_yet!(cfg, "/activity-log", ProviderStaff, "menu.activity_log");
    not_yet!(
        cfg,
        "/indirect-providers",
        ResellerStaff,
        "menu.indirect_providers"
    );
    not_yet!(cfg, "/reseller/customers", ResellerStaff, "menu.customers");
    not_yet!(
        cfg,
        "/reseller/subscriptions",
        ResellerStaff,
        "menu.subscriptions"
    );
    not_yet!(
        cfg,
        "/my/subscriptions",
        CustomerAdmin,
        "menu.subscriptions"
    );
}
