//! Errors as RFC 9457 problem details (`application/problem+json`): a type, a title, the status, what
//! went wrong, and for a request that did not pass its checks one entry per bad field.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::DbError;
use crate::domain::form::FormErrors;
use crate::i18n::Tr;
use crate::services::ChangeError;

pub const CONTENT_TYPE: &str = "application/problem+json";

/// Every kind of problem the API answers with (its `type` is `/api#problem-<kind>`), and what it
/// means; the `/api` page lists them.
pub const KINDS: &[(&str, &str)] = &[
    (
        "validation",
        "The request did not pass its checks: `errors` names each field and its rule. Nothing was written.",
    ),
    (
        "malformed-body",
        "The body is not JSON of the shape the endpoint takes.",
    ),
    (
        "bad-request",
        "A header or query parameter is missing or malformed (an Idempotency-Key, a cursor, a filter).",
    ),
    (
        "unauthorized",
        "No token, or one that is unknown, expired or revoked, or whose member was deactivated.",
    ),
    (
        "forbidden",
        "A read-only token asked to change something, or the member must first finish signing in to the dashboard.",
    ),
    (
        "not-found",
        "No such resource, or not one this member may see (another organisation's looks the same).",
    ),
    ("no-route", "The API has no such endpoint."),
    (
        "conflict",
        "Another request changed the same thing first, or an Idempotency-Key's first request is still being answered.",
    ),
    (
        "idempotency-key-reused",
        "The Idempotency-Key was used before with another request.",
    ),
    (
        "rate-limited",
        "The token made too many requests: wait Retry-After seconds.",
    ),
    (
        "internal",
        "Something failed on our side; nothing was changed by the part that failed.",
    ),
];

/// One field that did not pass its checks.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FieldProblem {
    /// The field, as named in the request body (`company_name`, `lines[0].quantity`).
    pub field: String,
    /// A stable code for the rule (`validation.required`).
    pub code: String,
    /// The rule in words, in the token owner's language.
    pub message: String,
}

/// A problem details object (RFC 9457).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem (`/api#problem-validation`).
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The fields that did not pass their checks (validation problems only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    #[serde(skip)]
    #[schema(ignore)]
    pub retry_after: Option<u64>,
}

impl Problem {
    pub fn new(status: StatusCode, slug: &str, title: &str) -> Self {
        Self {
            kind: format!("/api#problem-{slug}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: None,
            errors: Vec::new(),
            retry_after: None,
        }
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found")
            .detail("There is no such resource, or it is not yours to see.")
    }

    pub fn unauthorized(detail: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized").detail(detail)
    }

    pub fn forbidden(detail: &str) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden").detail(detail)
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad-request", "Bad request").detail(detail)
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", "Conflict").detail(detail)
    }

    pub fn too_many_requests(retry_after: std::time::Duration) -> Self {
        let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
        Self {
            retry_after: Some(secs.max(1)),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                "Too many requests",
            )
            .detail("This token has made too many requests; try again after Retry-After seconds.")
        }
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Something went wrong on our side",
        )
        .detail("Nothing was changed by the part that failed; try again in a moment.")
    }

    /// A request that did not pass its checks: one entry per field, in words in `tr`'s language.
    pub fn invalid(tr: Tr, fields: impl IntoIterator<Item = (String, &'static str)>) -> Self {
        let errors: Vec<FieldProblem> = fields
            .into_iter()
            .map(|(field, code)| FieldProblem {
                field,
                code: code.to_owned(),
                message: tr.t(code).to_owned(),
            })
            .collect();
        Self {
            errors,
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation",
                "The request did not pass its checks",
            )
            .detail("Each entry of errors names a field and what is wrong with it; nothing was written.")
        }
    }

    /// `invalid` from a form's errors.
    pub fn form(tr: Tr, errors: &FormErrors) -> Self {
        Self::invalid(tr, errors.entries().map(|(f, k)| (f.to_owned(), k)))
    }

    /// A refused change (a rule of the business): the field and the rule.
    pub fn refused(tr: Tr, field: &str, key: &'static str) -> Self {
        let mut problem = Self::invalid(tr, [(field.to_owned(), key)]);
        problem.detail = Some(tr.t(key).to_owned());
        problem
    }

    pub fn from_db(err: DbError) -> Self {
        match err {
            DbError::NotFound => Self::not_found(),
            DbError::UniqueViolation => {
                Self::conflict("Another request changed the same thing first; read it again.")
            }
            DbError::Failed(err) => {
                tracing::error!(error = ?err, "API request failed");
                Self::internal()
            }
        }
    }

    pub fn from_change(tr: Tr, err: ChangeError) -> Self {
        match err {
            ChangeError::NotFound => Self::not_found(),
            ChangeError::Refused { field, key } => Self::refused(tr, field, key),
            ChangeError::Db(err) => Self::from_db(err),
        }
    }

    pub fn body(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }
}

impl From<DbError> for Problem {
    fn from(err: DbError) -> Self {
        Self::from_db(err)
    }
}

impl From<diesel::result::Error> for Problem {
    fn from(err: diesel::result::Error) -> Self {
        Self::from_db(DbError::from(err))
    }
}

impl From<crate::error::AppError> for Problem {
    fn from(err: crate::error::AppError) -> Self {
        use crate::error::AppError;
        match err {
            AppError::NotFound => Self::not_found(),
            AppError::Forbidden(_) => Self::forbidden("Your role does not allow this."),
            AppError::Unprocessable(key) => Self::refused(Tr(Default::default()), "", key),
            other => {
                tracing::error!(error = ?other, "API request failed");
                Self::internal()
            }
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.title)
    }
}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status());
        res.content_type(CONTENT_TYPE);
        if let Some(secs) = self.retry_after {
            res.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if self.status == 401 {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        res.body(self.body())
    }
}
