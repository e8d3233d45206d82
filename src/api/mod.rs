//! `/api/v1` (SPEC.md §2.14): JSON for provider and reseller members, over the same services and the
//! same scoping as the pages. A bearer token says who calls (`caller`); errors are problem details
//! (`problem`); every POST carries an `Idempotency-Key` (`idempotency`); lists page with a cursor and
//! a `next` link; times are RFC 3339 UTC; money is integer minor units with its currency. The OpenAPI
//! document is made from this code (`openapi`), and a test holds the route table and the document to
//! each other.

pub mod activity;
pub mod billing;
pub mod caller;
pub mod customers;
pub mod grants;
pub mod id;
pub mod idempotency;
pub mod openapi;
pub mod orders;
pub mod partners;
pub mod problem;
pub mod subscriptions;

use actix_web::{FromRequest, Handler, HttpResponse, Responder, Route, web};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Permission, ProviderStaff, ResellerStaff, Signed};
use crate::pagination::Seek;
pub use caller::Api;
pub use problem::Problem;

/// Where the API lives.
pub const BASE: &str = crate::auth::csrf::BEARER_ONLY;
/// Rows per page unless `limit` asks for fewer (or up to `MAX_LIMIT`).
pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 200;

/// One route of the API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiRouteInfo {
    pub method: &'static str,
    /// Below `BASE`, as the OpenAPI document names it (`/customers/{id}`).
    pub path: &'static str,
}

struct Entry {
    info: ApiRouteInfo,
    route: Route,
}

/// The API's routes, registered from one list (the parity test walks it).
#[derive(Default)]
pub struct ApiTable {
    entries: Vec<Entry>,
}

impl ApiTable {
    fn get<F, Args>(&mut self, path: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add("GET", path, web::get().to(handler))
    }

    fn post<F, Args>(&mut self, path: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add("POST", path, web::post().to(handler))
    }

    fn add(&mut self, method: &'static str, path: &'static str, route: Route) -> &mut Self {
        self.entries.push(Entry {
            info: ApiRouteInfo { method, path },
            route,
        });
        self
    }

    pub fn infos(&self) -> Vec<ApiRouteInfo> {
        self.entries.iter().map(|e| e.info.clone()).collect()
    }

    fn register(self, cfg: &mut web::ServiceConfig) {
        let mut paths: Vec<(&'static str, Vec<Route>)> = Vec::new();
        for entry in self.entries {
            match paths.iter_mut().find(|(p, _)| *p == entry.info.path) {
                Some((_, routes)) => routes.push(entry.route),
                None => paths.push((entry.info.path, vec![entry.route])),
            }
        }
        for (path, routes) in paths {
            let resource = routes
                .into_iter()
                .fold(web::resource(path), |resource, route| resource.route(route));
            cfg.service(resource);
        }
    }
}

/// Every API route.
pub fn table() -> ApiTable {
    let mut t = ApiTable::default();
    t.get("/openapi.json", openapi::document)
        .get("/me", partners::me)
        .get("/resellers", partners::resellers)
        .get("/partnership-requests", partners::requests)
        .post("/partnership-requests", partners::create_request)
        .post(
            "/partnership-requests/{id}/revoke",
            partners::revoke_request,
        )
        .get("/customers", customers::list)
        .post("/customers", customers::create)
        .get("/customers/{id}", customers::show)
        .get("/subscriptions", subscriptions::list)
        .get("/subscriptions/{id}", subscriptions::show)
        .post("/subscriptions/{id}/quantity", subscriptions::quantity)
        .post("/subscriptions/{id}/schedule", subscriptions::schedule)
        .post("/subscriptions/{id}/cancel", subscriptions::cancel)
        .post("/subscriptions/{id}/upgrade", subscriptions::upgrade)
        .get("/orders", orders::list)
        .get("/orders/{id}", orders::show)
        .post("/orders/{id}/approve", orders::approve)
        .post("/orders/{id}/reject", orders::reject)
        .get("/renewals", billing::renewals)
        .get("/statements", billing::statements)
        .get("/statements/{id}", billing::statement)
        .get("/statements/{id}/csv", billing::statement_csv)
        .get("/grants", grants::list)
        .post("/grants", grants::request)
        .post("/grants/{id}/end", grants::end)
        .get("/activity", activity::list);
    t
}

/// The API's scope: its routes, and problem details for whatever does not parse or is not there.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(BASE)
            .app_data(web::PathConfig::default().error_handler(|_, _| Problem::not_found().into()))
            .app_data(web::QueryConfig::default().error_handler(|err, _| {
                Problem::bad_request(format!("The query string cannot be read: {err}")).into()
            }))
            .configure(|cfg| table().register(cfg))
            .default_service(web::to(no_route)),
    );
}

/// A path the API does not have (or a method it does not take there).
async fn no_route() -> HttpResponse {
    use actix_web::ResponseError;
    Problem::new(
        actix_web::http::StatusCode::NOT_FOUND,
        "no-route",
        "No such endpoint",
    )
    .detail("See /api/v1/openapi.json for the endpoints.")
    .error_response()
}

/// An amount of money: integer minor units (cents) and its ISO 4217 currency.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Money {
    pub amount_minor: i64,
    pub currency: String,
}

impl Money {
    pub fn new(amount_minor: i64, currency: &str) -> Self {
        Self {
            amount_minor,
            currency: currency.to_owned(),
        }
    }
}

/// A UTC time as RFC 3339.
pub fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}

pub fn utc_opt(at: Option<NaiveDateTime>) -> Option<DateTime<Utc>> {
    at.map(utc)
}

/// Paging: `after` is the `next` cursor of the previous page; `limit` rows (50 unless asked, at
/// most 200).
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// The cursor from the previous page's `next`.
    pub after: Option<String>,
    /// Rows per page, 1–200 (50 by default).
    pub limit: Option<usize>,
}

impl Paging {
    /// The position and the page size; a cursor that does not decode is a 400.
    pub fn seek<K: serde::de::DeserializeOwned>(&self) -> Result<(Seek<K>, usize), Problem> {
        let limit = match self.limit {
            None => DEFAULT_LIMIT,
            Some(n) if (1..=MAX_LIMIT).contains(&n) => n,
            Some(_) => return Err(Problem::bad_request("limit must be between 1 and 200.")),
        };
        let seek = match self.after.as_deref().filter(|a| !a.is_empty()) {
            None => Seek::First,
            Some(raw) => Seek::After(crate::pagination::decode(raw).ok_or_else(|| {
                Problem::bad_request("after is not a cursor this list gave out.")
            })?),
        };
        Ok((seek, limit))
    }
}

/// A page of a list: its rows and the link to the next page (none on the last).
#[derive(Clone, Debug, Serialize)]
pub struct List<T> {
    pub data: Vec<T>,
    /// The next page's URL, or null on the last page.
    pub next: Option<String>,
}

impl<T> List<T> {
    /// `next` as this path with the other query parameters kept and the cursor replaced.
    pub fn of<U>(
        page: crate::pagination::Page<U>,
        req: &actix_web::HttpRequest,
        map: impl FnMut(U) -> T,
    ) -> Self {
        let next = page.next.map(|cursor| next_link(req, &cursor));
        Self {
            data: page.items.into_iter().map(map).collect(),
            next,
        }
    }
}

fn next_link(req: &actix_web::HttpRequest, cursor: &str) -> String {
    let mut pairs: Vec<(String, String)> =
        serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, _)| k != "after")
            .collect();
    pairs.push(("after".to_owned(), cursor.to_owned()));
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!("{}?{query}", req.path())
}

/// A JSON answer.
pub fn json<T: Serialize>(status: actix_web::http::StatusCode, body: &T) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/json")
        .body(serde_json::to_string(body).unwrap_or_else(|_| "{}".to_owned()))
}

pub fn ok<T: Serialize>(body: &T) -> HttpResponse {
    json(actix_web::http::StatusCode::OK, body)
}

/// Which kind of organisation a partner member acts for, with the scope id it brings.
pub enum Org<P: Permission> {
    Provider(Signed<ProviderStaff, P>),
    Reseller(Signed<ResellerStaff, P>),
}

impl<P: Permission> Org<P> {
    pub fn of(caller: &Api<crate::auth::PartnerStaff, P>) -> Result<Self, Problem> {
        if let Some(provider) = caller.signed.as_kind::<ProviderStaff>() {
            return Ok(Self::Provider(provider));
        }
        caller
            .signed
            .as_kind::<ResellerStaff>()
            .map(Self::Reseller)
            .ok_or_else(Problem::not_found)
    }
}

/// A JSON body, read from the bytes (the idempotency check hashes the same bytes): a body that is
/// not JSON of the expected shape is a 422 naming where it went wrong.
pub fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Problem> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|err| {
        let mut problem = Problem::new(
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            "malformed-body",
            "The body is not the JSON this endpoint takes",
        )
        .detail(err.to_string());
        problem.errors.push(problem::FieldProblem {
            field: "body".to_owned(),
            code: "api.malformed_body".to_owned(),
            message: err.to_string(),
        });
        problem
    })
}
