//! The OpenAPI 3.1 document, made from the handlers' and types' annotations (`utoipa`), served at
//! `/api/v1/openapi.json`; the `/api` page renders the same document for people.

use std::sync::OnceLock;

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{activity, billing, customers, grants, orders, partners, problem, subscriptions};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API token from Account → API tokens: Authorization: Bearer pd_…",
                    ))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Partner Dashboard API",
        version = "1",
        description = "JSON for the members of indirect providers and indirect resellers, over the \
            same rules as the dashboard's pages. Authenticate with an API token (Authorization: Bearer). \
            Every POST needs an Idempotency-Key header. Lists page with a cursor: follow `next`. Times \
            are RFC 3339 UTC; money is integer minor units with its currency. Errors are RFC 9457 \
            problem details (application/problem+json). Each token may make API_RATE_PER_MINUTE \
            requests a minute (600 by default); beyond that the answer is 429 with Retry-After."
    ),
    servers((url = "/")),
    security(("token" = [])),
    modifiers(&BearerAuth),
    paths(
        document,
        partners::me,
        partners::resellers,
        partners::requests,
        partners::create_request,
        partners::revoke_request,
        customers::list,
        customers::create,
        customers::show,
        subscriptions::list,
        subscriptions::show,
        subscriptions::quantity,
        subscriptions::schedule,
        subscriptions::cancel,
        subscriptions::upgrade,
        orders::list,
        orders::show,
        orders::approve,
        orders::reject,
        billing::renewals,
        billing::statements,
        billing::statement,
        billing::statement_csv,
        grants::list,
        grants::request,
        grants::end,
        activity::list,
    ),
    components(schemas(problem::Problem, problem::FieldProblem, super::Money)),
    tags(
        (name = "Account", description = "Who the token is."),
        (name = "Resellers", description = "The provider's resellers and partnership requests."),
        (name = "Customers"),
        (name = "Subscriptions"),
        (name = "Orders"),
        (name = "Renewals"),
        (name = "Statements"),
        (name = "Grants", description = "Time-bound delegated administration the customer approves."),
        (name = "Activity log"),
    )
)]
pub struct ApiDoc;

/// The document, made once.
pub fn doc() -> &'static utoipa::openapi::OpenApi {
    static DOC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOC.get_or_init(ApiDoc::openapi)
}

/// The OpenAPI 3.1 document (no token needed).
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "Account", security(()),
    responses((status = 200, description = "This document", content_type = "application/json")))]
pub async fn document() -> HttpResponse {
    static JSON: OnceLock<String> = OnceLock::new();
    let json = JSON.get_or_init(|| doc().to_json().unwrap_or_else(|_| "{}".to_owned()));
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((
            actix_web::http::header::CACHE_CONTROL,
            "public, max-age=300",
        ))
        .body(json.as_str())
}
