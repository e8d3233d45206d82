//! Every route, wired in one place. Each page has its handlers in `src/routes/<page>/` and its templates
//! in `templates/<page>/`.

pub mod account;
pub mod activity_log;
pub mod api_docs;
pub mod assets;
pub mod csv;
pub mod customer_invitations;
pub mod customer_sign_up;
pub mod customers;
pub mod enroll;
pub mod errors;
pub mod grants;
pub mod health;
pub mod home;
pub mod indirect_providers;
pub mod indirect_resellers;
pub mod language;
pub mod link_draft;
pub mod margins;
pub mod my;
pub mod operations;
pub mod orders;
pub mod partnerships;
pub mod password_reset;
pub mod price_list;
pub mod profile;
pub mod providers;
pub mod renewals;
pub mod reseller;
pub mod sign_in;
pub mod statements;
pub mod subscriptions;
pub mod table;
pub mod team;
pub mod webhooks;

use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;
use actix_web::{HttpRequest, HttpResponse, Responder, web};

use crate::error::AppError;
pub use crate::view::home_page;
use link_draft::{GrantRequest, Invitation, Partnership};
pub use table::{Admits, Need, RouteInfo, RouteTable};

/// Every route with whom it admits, in the order they are matched.
pub fn table() -> RouteTable {
    use Admits::*;
    use Need::*;
    let mut t = RouteTable::default();
    t.get("/healthz", Anyone, health::healthz)
        .get("/readyz", Anyone, health::readyz)
        .get("/static/{file:.*}", Anyone, assets::serve)
        .get("/", SignedIn, home::show)
        .get("/sign-in", Anyone, sign_in::form)
        .post("/sign-in", Anyone, sign_in::submit)
        .post("/sign-out", Anyone, sign_in::sign_out)
        .get("/sign-in/forgot", Anyone, password_reset::forgot_form)
        .post("/sign-in/forgot", Anyone, password_reset::forgot_submit)
        .get(
            "/password-reset/{token}",
            Anyone,
            password_reset::reset_form,
        )
        .post(
            "/password-reset/{token}",
            Anyone,
            password_reset::reset_submit,
        )
        .get("/account/password", PasswordChange, account::password_form)
        .post("/account/time-zone", SignedIn, account::change_time_zone)
        .get("/account/mfa", PasswordChange, account::mfa::show)
        .post("/account/mfa", PasswordChange, account::mfa::confirm)
        .get("/sign-in/code", Anyone, sign_in::second_factor::form)
        .post("/sign-in/code", Anyone, sign_in::second_factor::submit)
        .post(
            "/account/devices/{device}/sign-out",
            SignedIn,
            account::sign_out_device,
        )
        .post(
            "/account/devices/sign-out-others",
            SignedIn,
            account::sign_out_others,
        )
        .post(
            "/account/password",
            PasswordChange,
            account::change_password,
        )
        .post(
            "/account/api-tokens",
            Partner(Read),
            account::api_tokens::create,
        )
        .post(
            "/account/api-tokens/{id:\\d+}/revoke",
            Partner(Read),
            account::api_tokens::revoke,
        )
        .get("/api", Anyone, api_docs::show)
        .post("/language", Anyone, language::switch)
        .get("/enroll", Anyone, enroll::form)
        .post("/enroll", Anyone, enroll::submit);
    // Provider: Indirect resellers
    t.get(
        "/indirect-resellers",
        Provider(Read),
        indirect_resellers::list,
    )
    .get(
        "/indirect-resellers/{reseller_id:\\d+}",
        Provider(Read),
        indirect_resellers::show::show,
    )
    .post(
        "/indirect-resellers/requests",
        Provider(Sell),
        indirect_resellers::requests::create,
    )
    .get(
        "/indirect-resellers/requests/{id}",
        Provider(Sell),
        link_draft::draft::<Partnership>,
    )
    .post(
        "/indirect-resellers/requests/{id}/send",
        Provider(Sell),
        link_draft::send::<Partnership>,
    )
    .post(
        "/indirect-resellers/requests/{id}/done",
        Provider(Sell),
        link_draft::done::<Partnership>,
    )
    .post(
        "/indirect-resellers/requests/{id}/resend",
        Provider(Sell),
        link_draft::resend::<Partnership>,
    )
    .post(
        "/indirect-resellers/requests/{id}/revoke",
        Provider(Sell),
        link_draft::revoke::<Partnership>,
    )
    .post(
        "/indirect-resellers/{reseller_id:\\d+}/credit",
        Provider(Billing),
        indirect_resellers::show::set_credit,
    )
    .get(
        "/indirect-resellers/{reseller_id}/remove",
        Provider(Admin),
        indirect_resellers::remove::confirm,
    )
    .post(
        "/indirect-resellers/{reseller_id}/remove",
        Provider(Admin),
        indirect_resellers::remove::remove,
    );
    // Provider: Customers, the new customer wizard, Orders
    use customers::wizard;
    t.get("/customers", Provider(Read), customers::list)
        .get("/customers.csv", Provider(Read), customers::export::export)
        .get(
            "/customers/new",
            Provider(Sell),
            wizard::account::start_form,
        )
        .post(
            "/customers/new",
            Provider(Sell),
            wizard::account::start_submit,
        )
        .get(
            "/customers/new/{draft:\\d+}",
            Provider(Sell),
            wizard::account::edit_form,
        )
        .post(
            "/customers/new/{draft:\\d+}",
            Provider(Sell),
            wizard::account::edit_submit,
        )
        .get(
            "/customers/new/{draft:\\d+}/subscriptions",
            Provider(Sell),
            wizard::subscriptions::form,
        )
        .post(
            "/customers/new/{draft:\\d+}/subscriptions",
            Provider(Sell),
            wizard::subscriptions::submit,
        )
        .get(
            "/customers/new/{draft:\\d+}/review",
            Provider(Sell),
            wizard::review::review,
        )
        .post(
            "/customers/new/{draft:\\d+}/submit",
            Provider(Sell),
            wizard::review::submit,
        )
        .get(
            "/customers/new/{draft:\\d+}/cancel",
            Provider(Sell),
            wizard::review::confirm_cancel,
        )
        .post(
            "/customers/new/{draft:\\d+}/cancel",
            Provider(Sell),
            wizard::review::cancel,
        )
        .get(
            "/customers/new/{draft:\\d+}/confirmation",
            Provider(Sell),
            wizard::review::confirmation,
        )
        .get(
            "/customers/invitations",
            Provider(Sell),
            customers::invitations::list,
        )
        .post(
            "/customers/invitations",
            Provider(Sell),
            customers::invitations::create,
        )
        .get(
            "/customers/invitations/{id:\\d+}",
            Provider(Sell),
            link_draft::draft::<Invitation>,
        )
        .post(
            "/customers/invitations/{id:\\d+}/send",
            Provider(Sell),
            link_draft::send::<Invitation>,
        )
        .post(
            "/customers/invitations/{id:\\d+}/done",
            Provider(Sell),
            link_draft::done::<Invitation>,
        )
        .post(
            "/customers/invitations/{id:\\d+}/resend",
            Provider(Sell),
            link_draft::resend::<Invitation>,
        )
        .post(
            "/customers/invitations/{id:\\d+}/revoke",
            Provider(Sell),
            link_draft::revoke::<Invitation>,
        )
        .get("/customers/sign-up", Anyone, customer_sign_up::form)
        .post("/customers/sign-up", Anyone, customer_sign_up::submit)
        .post(
            "/customers/{id:\\d+}/grants",
            Provider(Sell),
            grants::request,
        )
        .get("/customers/grants", Provider(Read), grants::provider_list)
        .post(
            "/customers/grants/{id:\\d+}/end",
            Provider(Sell),
            grants::provider_end,
        )
        .get(
            "/customers/grants/requests/{id:\\d+}",
            Provider(Sell),
            link_draft::draft::<GrantRequest>,
        )
        .post(
            "/customers/grants/requests/{id:\\d+}/send",
            Provider(Sell),
            link_draft::send::<GrantRequest>,
        )
        .post(
            "/customers/grants/requests/{id:\\d+}/done",
            Provider(Sell),
            link_draft::done::<GrantRequest>,
        )
        .post(
            "/customers/grants/requests/{id:\\d+}/resend",
            Provider(Sell),
            link_draft::resend::<GrantRequest>,
        )
        .post(
            "/customers/grants/requests/{id:\\d+}/revoke",
            Provider(Sell),
            link_draft::revoke::<GrantRequest>,
        )
        .get(
            "/customers/relationship-check",
            Provider(Read),
            grants::check,
        )
        .get(
            "/grants/approve/{token}",
            CustomerLink,
            grants::approve_form,
        )
        .post("/grants/approve/{token}", CustomerLink, grants::answer)
        .get(
            "/customer-invitations/{token}",
            CustomerLink,
            customer_invitations::show,
        )
        .post(
            "/customer-invitations/{token}",
            CustomerLink,
            customer_invitations::answer,
        )
        .get(
            "/customers/{id:\\d+}",
            Provider(Read),
            customers::show::show,
        )
        .get(
            "/customers/{id:\\d+}/details",
            Provider(Sell),
            customers::details::form,
        )
        .post(
            "/customers/{id:\\d+}/details",
            Provider(Sell),
            customers::details::submit,
        )
        .post(
            "/customers/{id:\\d+}/users/{user:\\d+}/reset-password",
            Provider(Sell),
            customers::users::reset_password,
        )
        .get(
            "/customers/{id:\\d+}/users/{user:\\d+}/temporary-password",
            Provider(Sell),
            customers::users::temporary_password,
        )
        .post(
            "/customers/{id:\\d+}/reseller",
            Provider(Sell),
            customers::show::change_reseller,
        )
        .get(
            "/customers/{id:\\d+}/reseller/remove",
            Provider(Sell),
            customers::show::confirm_remove,
        )
        .post(
            "/customers/{id:\\d+}/tenant-owner",
            Provider(Sell),
            customers::show::set_tenant_owner,
        )
        .get(
            "/customers/{id:\\d+}/subscriptions/new",
            Provider(Sell),
            subscriptions::new::form,
        )
        .post(
            "/customers/{id:\\d+}/subscriptions/new",
            Provider(Sell),
            subscriptions::new::submit,
        )
        .get(
            "/subscriptions/suspended",
            Provider(Read),
            subscriptions::suspended::list,
        )
        .get(
            "/subscriptions/{id:\\d+}",
            Provider(Read),
            subscriptions::show,
        )
        .post(
            "/subscriptions/{id:\\d+}/quantity",
            Provider(Sell),
            subscriptions::change_quantity,
        )
        .post(
            "/subscriptions/{id:\\d+}/status",
            Provider(Sell),
            subscriptions::change_status,
        )
        .post(
            "/subscriptions/{id:\\d+}/lifecycle",
            Provider(Sell),
            subscriptions::change_lifecycle,
        )
        .post(
            "/subscriptions/{id:\\d+}/reseller-of-record",
            Provider(Sell),
            subscriptions::change_reseller_of_record,
        )
        .post(
            "/subscriptions/{id:\\d+}/support-contact",
            Provider(Support),
            subscriptions::change_support_contact,
        )
        .get("/activity-log", Provider(Read), activity_log::provider_log)
        .get("/activity-log.csv", Provider(Read), activity_log::export)
        .get("/renewals", Provider(Orders), renewals::provider_list)
        .get("/renewals.csv", Provider(Orders), renewals::export)
        .get("/orders", Provider(Orders), orders::list)
        .get("/orders/{id:\\d+}", Provider(Orders), orders::show)
        .post(
            "/orders/{id:\\d+}/approve",
            Provider(Billing),
            orders::approve,
        )
        .post(
            "/orders/{id:\\d+}/reject",
            Provider(Billing),
            orders::reject,
        )
        .get("/statements", Provider(Billing), statements::provider_list)
        .get(
            "/statements/{id:\\d+}",
            Provider(Billing),
            statements::provider_show,
        )
        .get(
            "/statements/{id:\\d+}.csv",
            Provider(Billing),
            statements::provider_csv,
        )
        .post(
            "/statements/{id:\\d+}/paid",
            Provider(Billing),
            statements::mark_paid,
        )
        .get("/price-list", Provider(Billing), price_list::show)
        .post("/price-list/rules", Provider(Billing), price_list::add_rule)
        .post(
            "/price-list/rules/{id:\\d+}/remove",
            Provider(Billing),
            price_list::remove_rule,
        )
        .post(
            "/price-list/due-days",
            Provider(Billing),
            price_list::set_due_days,
        )
        .get("/margins", Provider(Billing), margins::provider)
        .get("/margins.csv", Provider(Billing), margins::export);
    // Provider: Profile; the public official indirect providers list and its logos
    t.get("/profile", Provider(Read), profile::show)
        .get(
            "/profile/change-request",
            Provider(Admin),
            profile::change_form,
        )
        .post(
            "/profile/change-request",
            Provider(Admin),
            profile::submit_change,
        )
        .get("/providers", Anyone, providers::list)
        .get("/logos/{id:\\d+}", Anyone, providers::logo);
    // Reseller: accepting a partnership, Indirect providers
    t.get(
        "/partnerships/accept/{token}",
        ResellerLink,
        partnerships::show,
    )
    .post(
        "/partnerships/accept/{token}",
        ResellerLink,
        partnerships::answer,
    )
    .get(
        "/indirect-providers",
        Reseller(Read),
        indirect_providers::list,
    )
    .get("/reseller/customers", Reseller(Read), reseller::customers)
    .get("/reseller/grants", Reseller(Read), grants::reseller_list)
    .post(
        "/reseller/grants/{id:\\d+}/end",
        Reseller(Admin),
        grants::reseller_end,
    )
    .get("/reseller/orders", Reseller(Orders), reseller::orders)
    .get(
        "/reseller/renewals",
        Reseller(Orders),
        renewals::reseller_list,
    )
    .get(
        "/reseller/statements",
        Reseller(Billing),
        statements::reseller_list,
    )
    .get(
        "/reseller/prices",
        Reseller(Billing),
        price_list::reseller_show,
    )
    .get("/reseller/margins", Reseller(Billing), margins::reseller)
    .post(
        "/reseller/prices/{provider:\\d+}",
        Reseller(Billing),
        price_list::reseller_save,
    )
    .post(
        "/reseller/prices/{provider:\\d+}/customer",
        Reseller(Billing),
        price_list::reseller_customer_price,
    )
    .get(
        "/reseller/statements/{id:\\d+}",
        Reseller(Billing),
        statements::reseller_show,
    )
    .get(
        "/reseller/statements/{id:\\d+}.csv",
        Reseller(Billing),
        statements::reseller_csv,
    )
    .get(
        "/reseller/subscriptions",
        Reseller(Read),
        reseller::subscriptions,
    )
    .get(
        "/reseller/subscriptions/{id:\\d+}",
        Reseller(Read),
        reseller::subscription,
    )
    .post(
        "/reseller/subscriptions/{id:\\d+}/quantity",
        Reseller(Sell),
        reseller::change_quantity,
    )
    .post(
        "/reseller/subscriptions/{id:\\d+}/status",
        Reseller(Sell),
        reseller::change_status,
    )
    .post(
        "/reseller/subscriptions/{id:\\d+}/lifecycle",
        Reseller(Sell),
        reseller::change_lifecycle,
    )
    .get(
        "/reseller/activity-log",
        Reseller(Read),
        activity_log::reseller_log,
    );
    // Provider and reseller admins: Team; an invitation's link
    t.get("/team", Partner(Admin), team::show)
        .post("/team/invitations", Partner(Admin), team::invite)
        .post(
            "/team/invitations/{id:\\d+}/resend",
            Partner(Admin),
            team::resend,
        )
        .post(
            "/team/invitations/{id:\\d+}/revoke",
            Partner(Admin),
            team::revoke,
        )
        .post(
            "/team/members/{id:\\d+}/role",
            Partner(Admin),
            team::change_role,
        )
        .post(
            "/team/members/{id:\\d+}/deactivate",
            Partner(Admin),
            team::deactivate,
        )
        .post(
            "/team/members/{id:\\d+}/reactivate",
            Partner(Admin),
            team::reactivate,
        )
        .post(
            "/team/members/{id:\\d+}/reset-mfa",
            Partner(Admin),
            team::reset_mfa,
        )
        .post("/team/require-mfa", Partner(Admin), team::require_mfa)
        .post(
            "/team/support-contact",
            Partner(Admin),
            team::set_support_contact,
        )
        .get("/webhooks", Partner(Admin), webhooks::list)
        .post("/webhooks", Partner(Admin), webhooks::create)
        .get("/webhooks/{id:\\d+}", Partner(Admin), webhooks::show)
        .post(
            "/webhooks/{id:\\d+}/test",
            Partner(Admin),
            webhooks::send_test,
        )
        .post(
            "/webhooks/{id:\\d+}/disable",
            Partner(Admin),
            webhooks::disable,
        )
        .post(
            "/webhooks/{id:\\d+}/enable",
            Partner(Admin),
            webhooks::enable,
        )
        .post(
            "/webhooks/{id:\\d+}/delete",
            Partner(Admin),
            webhooks::delete,
        )
        .post(
            "/webhooks/{id:\\d+}/deliveries/{delivery:\\d+}/resend",
            Partner(Admin),
            webhooks::resend,
        )
        .get("/team/join/{token}", Anyone, team::join_form)
        .post("/team/join/{token}", Anyone, team::join);
    // Customer admin
    t.get("/my/subscriptions", Customer, my::subscriptions)
        .post("/my/grants/{id:\\d+}/end", Customer, grants::customer_end)
        .get("/my/statements", Customer, statements::my_list)
        .get("/my/statements/{id:\\d+}", Customer, statements::my_show)
        .get("/my/statements/{id:\\d+}.csv", Customer, statements::my_csv);
    // Operator: the console
    operations::routes(&mut t);
    t
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    table().register(cfg);
}

/// Who answers a personal link: signed in (else sign in first, back to `next`), with their own
/// password (else replace the temporary one first).
pub async fn answering_user(
    req: &HttpRequest,
    next: String,
) -> Result<std::rc::Rc<crate::auth::CurrentUser>, AppError> {
    let Some(user) = crate::auth::CurrentUser::load(req).await? else {
        return Err(AppError::SignInRequired { next });
    };
    if user.must_change_password {
        return Err(AppError::PasswordChangeRequired);
    }
    Ok(user)
}

/// The customer whose admin opened a customer's personal link: none while nobody is signed in; a
/// temporary password is replaced first; any other kind of account gets `refused` (403).
pub fn link_customer(
    user: Option<&crate::auth::CurrentUser>,
    refused: &'static str,
) -> Result<Option<crate::domain::CustomerId>, AppError> {
    match user {
        None => Ok(None),
        Some(user) if user.must_change_password => Err(AppError::PasswordChangeRequired),
        Some(user) => user
            .own_customer()
            .map(Some)
            .ok_or(AppError::Forbidden(refused)),
    }
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
