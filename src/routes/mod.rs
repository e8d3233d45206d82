//! Every route, wired in one place. Each page has its handlers in `src/routes/<page>/` and its templates
//! in `templates/<page>/`.

pub mod account;
pub mod activity_log;
pub mod assets;
pub mod csv;
pub mod customer_invitations;
pub mod customer_sign_up;
pub mod customers;
pub mod enroll;
pub mod errors;
pub mod health;
pub mod home;
pub mod indirect_providers;
pub mod indirect_resellers;
pub mod language;
pub mod link_draft;
pub mod my;
pub mod operations;
pub mod orders;
pub mod partnerships;
pub mod profile;
pub mod providers;
pub mod reseller;
pub mod sign_in;
pub mod subscriptions;

use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;
use actix_web::{HttpRequest, HttpResponse, Responder, web};

use crate::error::AppError;
pub use crate::view::home_page;
use link_draft::{Invitation, Partnership};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/static/{file:.*}", web::get().to(assets::serve))
        .route("/", web::get().to(home::show))
        .service(
            web::resource("/sign-in")
                .route(web::get().to(sign_in::form))
                .route(web::post().to(sign_in::submit)),
        )
        .route("/sign-out", web::post().to(sign_in::sign_out))
        .service(
            web::resource("/account/password")
                .route(web::get().to(account::password_form))
                .route(web::post().to(account::change_password)),
        )
        .route("/language", web::post().to(language::switch))
        .service(
            web::resource("/enroll")
                .route(web::get().to(enroll::form))
                .route(web::post().to(enroll::submit)),
        )
        // Provider: Indirect resellers
        .route(
            "/indirect-resellers",
            web::get().to(indirect_resellers::list),
        )
        .route(
            "/indirect-resellers/requests",
            web::post().to(indirect_resellers::requests::create),
        )
        .route(
            "/indirect-resellers/requests/{id}",
            web::get().to(link_draft::draft::<Partnership>),
        )
        .route(
            "/indirect-resellers/requests/{id}/send",
            web::post().to(link_draft::send::<Partnership>),
        )
        .route(
            "/indirect-resellers/requests/{id}/done",
            web::post().to(link_draft::done::<Partnership>),
        )
        .route(
            "/indirect-resellers/requests/{id}/resend",
            web::post().to(link_draft::resend::<Partnership>),
        )
        .route(
            "/indirect-resellers/requests/{id}/revoke",
            web::post().to(link_draft::revoke::<Partnership>),
        )
        .service(
            web::resource("/indirect-resellers/{reseller_id}/remove")
                .route(web::get().to(indirect_resellers::remove::confirm))
                .route(web::post().to(indirect_resellers::remove::remove)),
        )
        // Provider: Customers, the new customer wizard, Orders
        .route("/customers", web::get().to(customers::list))
        .route("/customers.csv", web::get().to(customers::export::export))
        .service(
            web::resource("/customers/new")
                .route(web::get().to(customers::wizard::account::start_form))
                .route(web::post().to(customers::wizard::account::start_submit)),
        )
        .service(
            web::resource("/customers/new/{draft:\\d+}")
                .route(web::get().to(customers::wizard::account::edit_form))
                .route(web::post().to(customers::wizard::account::edit_submit)),
        )
        .service(
            web::resource("/customers/new/{draft:\\d+}/subscriptions")
                .route(web::get().to(customers::wizard::subscriptions::form))
                .route(web::post().to(customers::wizard::subscriptions::submit)),
        )
        .route(
            "/customers/new/{draft:\\d+}/review",
            web::get().to(customers::wizard::review::review),
        )
        .route(
            "/customers/new/{draft:\\d+}/submit",
            web::post().to(customers::wizard::review::submit),
        )
        .route(
            "/customers/new/{draft:\\d+}/cancel",
            web::post().to(customers::wizard::review::cancel),
        )
        .route(
            "/customers/new/{draft:\\d+}/confirmation",
            web::get().to(customers::wizard::review::confirmation),
        )
        .service(
            web::resource("/customers/invitations")
                .route(web::get().to(customers::invitations::list))
                .route(web::post().to(customers::invitations::create)),
        )
        .route(
            "/customers/invitations/{id:\\d+}",
            web::get().to(link_draft::draft::<Invitation>),
        )
        .route(
            "/customers/invitations/{id:\\d+}/send",
            web::post().to(link_draft::send::<Invitation>),
        )
        .route(
            "/customers/invitations/{id:\\d+}/done",
            web::post().to(link_draft::done::<Invitation>),
        )
        .route(
            "/customers/invitations/{id:\\d+}/resend",
            web::post().to(link_draft::resend::<Invitation>),
        )
        .route(
            "/customers/invitations/{id:\\d+}/revoke",
            web::post().to(link_draft::revoke::<Invitation>),
        )
        .service(
            web::resource("/customers/sign-up")
                .route(web::get().to(customer_sign_up::form))
                .route(web::post().to(customer_sign_up::submit)),
        )
        .service(
            web::resource("/customer-invitations/{token}")
                .route(web::get().to(customer_invitations::show))
                .route(web::post().to(customer_invitations::answer)),
        )
        .route("/customers/{id:\\d+}", web::get().to(customers::show::show))
        .route(
            "/customers/{id:\\d+}/reseller",
            web::post().to(customers::show::change_reseller),
        )
        .route(
            "/customers/{id:\\d+}/reseller/remove",
            web::get().to(customers::show::confirm_remove),
        )
        .route(
            "/customers/{id:\\d+}/tenant-owner",
            web::post().to(customers::show::set_tenant_owner),
        )
        .service(
            web::resource("/customers/{id:\\d+}/subscriptions/new")
                .route(web::get().to(subscriptions::new::form))
                .route(web::post().to(subscriptions::new::submit)),
        )
        .route(
            "/subscriptions/{id:\\d+}",
            web::get().to(subscriptions::show),
        )
        .route(
            "/subscriptions/{id:\\d+}/quantity",
            web::post().to(subscriptions::change_quantity),
        )
        .route(
            "/subscriptions/{id:\\d+}/status",
            web::post().to(subscriptions::change_status),
        )
        .route(
            "/subscriptions/{id:\\d+}/reseller-of-record",
            web::post().to(subscriptions::change_reseller_of_record),
        )
        .route(
            "/subscriptions/{id:\\d+}/support-contact",
            web::post().to(subscriptions::change_support_contact),
        )
        .route("/activity-log", web::get().to(activity_log::provider_log))
        .route("/activity-log.csv", web::get().to(activity_log::export))
        .route("/orders", web::get().to(orders::list))
        .route("/orders/{id:\\d+}", web::get().to(orders::show))
        // Provider: Profile; the public official indirect providers list and its logos
        .route("/profile", web::get().to(profile::show))
        .service(
            web::resource("/profile/change-request")
                .route(web::get().to(profile::change_form))
                .route(web::post().to(profile::submit_change)),
        )
        .route("/providers", web::get().to(providers::list))
        .route("/logos/{id:\\d+}", web::get().to(providers::logo))
        // Reseller: accepting a partnership, Indirect providers
        .service(
            web::resource("/partnerships/accept/{token}")
                .route(web::get().to(partnerships::show))
                .route(web::post().to(partnerships::answer)),
        )
        .route(
            "/indirect-providers",
            web::get().to(indirect_providers::list),
        )
        .route("/reseller/customers", web::get().to(reseller::customers))
        .route(
            "/reseller/subscriptions",
            web::get().to(reseller::subscriptions),
        )
        .route(
            "/reseller/subscriptions/{id:\\d+}",
            web::get().to(reseller::subscription),
        )
        .route(
            "/reseller/subscriptions/{id:\\d+}/quantity",
            web::post().to(reseller::change_quantity),
        )
        .route(
            "/reseller/subscriptions/{id:\\d+}/status",
            web::post().to(reseller::change_status),
        )
        .route(
            "/reseller/activity-log",
            web::get().to(activity_log::reseller_log),
        )
        // Customer admin
        .route("/my/subscriptions", web::get().to(my::subscriptions));
    // Operator: the console
    operations::configure(cfg);
}

/// The request line for the access log, with personal link tokens masked: a log is no place for a
/// credential.
pub fn loggable_path(path: &str) -> String {
    for prefix in ["/partnerships/accept/", "/customer-invitations/"] {
        if let Some(rest) = path.strip_prefix(prefix) {
            let tail = rest.find('/').map_or("", |i| &rest[i..]);
            return format!("{prefix}…{tail}");
        }
    }
    path.to_owned()
}

/// A page as the answer to a request: 200, or 422 when the form on it has errors to show.
pub fn form_page<R>(req: &HttpRequest, page: R, has_errors: bool) -> HttpResponse
where
    R: Responder,
    R::Body: actix_web::body::MessageBody + 'static,
{
    let status = if has_errors {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        actix_web::http::StatusCode::OK
    };
    page.customize()
        .with_status(status)
        .respond_to(req)
        .map_into_boxed_body()
}

/// A redirect after a POST (303, so the browser follows with GET).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// A form body that cannot be read at all is a 422 page; fields that fail their checks are handled by
/// each form, which re-renders with the values typed.
pub fn form_config() -> web::FormConfig {
    web::FormConfig::default()
        .limit(256 * 1024)
        .error_handler(|err, _| {
            tracing::debug!(%err, "unreadable form");
            AppError::Unprocessable("errors.unprocessable.body").into()
        })
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _| {
        tracing::debug!(%err, "unreadable query string");
        AppError::Unprocessable("errors.unprocessable.body").into()
    })
}

/// A path segment that does not parse (`/customers/abc`) names nothing: 404.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into())
}

/// The headers of SPEC.md §5 on every response: a strict CSP with no inline script, no sniffing, no
/// referrer (partnership links must not leak), no framing. Pages are not cached unless a handler says so.
pub fn security_headers(https: bool) -> DefaultHeaders {
    let mut headers = DefaultHeaders::new()
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
             base-uri 'none'",
        ))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
        .add(("Cross-Origin-Resource-Policy", "same-origin"))
        .add((
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=(), payment=()",
        ))
        .add((header::CACHE_CONTROL, "no-store"));
    if https {
        headers = headers.add((
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        ));
    }
    headers
}
