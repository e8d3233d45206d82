//! One error type for every handler. Each variant maps to a status and a page in the user's language
//! (rendered by `routes::errors`); unexpected errors log their whole cause chain and show the user only a
//! friendly 500 page.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError};

use crate::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Missing, or belonging to another tenant: both look the same from outside.
    #[error("not found")]
    NotFound,
    /// Signed in, but not allowed; the key names the message to show (`errors.forbidden.*`).
    #[error("forbidden ({0})")]
    Forbidden(&'static str),
    /// A link that worked once and no longer does (`errors.gone.*`).
    #[error("gone ({0})")]
    Gone(&'static str),
    /// A request that cannot be understood (a malformed form, say), not a form with per-field errors.
    #[error("unprocessable ({0})")]
    Unprocessable(&'static str),
    /// The action collides with the current state (`errors.conflict.*`).
    #[error("conflict ({0})")]
    Conflict(&'static str),
    /// Too many attempts: try again after this long.
    #[error("too many requests")]
    TooManyRequests(std::time::Duration),
    /// The page needs a signed-in user; `next` is where to come back to.
    #[error("sign-in required")]
    SignInRequired { next: String },
    /// The user signed in with a temporary password and must choose their own first.
    #[error("password change required")]
    PasswordChangeRequired,
    /// The organisation requires multi-factor sign-in and this member has not set it up.
    #[error("multi-factor sign-in must be set up")]
    MfaSetupRequired,
    /// A POST without a valid CSRF token, or from another site.
    #[error("CSRF check failed ({0})")]
    Csrf(&'static str),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Attached to an error response so the error-page middleware knows to render a page for it.
#[derive(Clone, Debug)]
pub struct ErrorPage {
    pub message_key: &'static str,
    /// How long to wait before trying again (a 429), said in the message.
    pub wait: Option<std::time::Duration>,
}

impl AppError {
    fn message_key(&self) -> &'static str {
        match self {
            Self::NotFound => "errors.not_found.body",
            Self::Forbidden(key)
            | Self::Gone(key)
            | Self::Unprocessable(key)
            | Self::Conflict(key) => key,
            Self::TooManyRequests(_) => "errors.too_many.wait",
            Self::SignInRequired { .. } | Self::PasswordChangeRequired | Self::MfaSetupRequired => {
                "errors.sign_in_required"
            }
            Self::Csrf(_) => "errors.forbidden.csrf",
            Self::Unexpected(_) => "errors.internal.body",
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Forbidden(_) | Self::Csrf(_) => StatusCode::FORBIDDEN,
            Self::Gone(_) => StatusCode::GONE,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::SignInRequired { .. } | Self::PasswordChangeRequired | Self::MfaSetupRequired => {
                StatusCode::SEE_OTHER
            }
            Self::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::SignInRequired { next } => {
                let location = format!(
                    "/sign-in?next={}",
                    percent_encoding::utf8_percent_encode(next, percent_encoding::NON_ALPHANUMERIC)
                );
                return HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, location))
                    .finish();
            }
            Self::MfaSetupRequired => {
                return HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, "/account/mfa"))
                    .finish();
            }
            Self::PasswordChangeRequired => {
                return HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, "/account/password"))
                    .finish();
            }
            Self::Unexpected(err) => tracing::error!(error = ?err, "request failed"),
            Self::Csrf(why) => tracing::warn!(why, "refused a request that failed the CSRF check"),
            _ => {}
        }
        let mut builder = HttpResponse::build(self.status_code());
        let wait = match self {
            Self::TooManyRequests(wait) => {
                builder.insert_header((header::RETRY_AFTER, retry_after(*wait)));
                Some(*wait)
            }
            _ => None,
        };
        let mut res = builder.finish();
        res.extensions_mut().insert(ErrorPage {
            message_key: self.message_key(),
            wait,
        });
        res
    }
}

/// `Retry-After` in whole seconds, rounded up.
pub fn retry_after(wait: std::time::Duration) -> String {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
        .max(1)
        .to_string()
}

impl From<DbError> for AppError {
    fn from(err: DbError) -> Self {
        match err {
            DbError::NotFound => Self::NotFound,
            // A race a use case did not expect to lose: say so, nothing was written.
            DbError::UniqueViolation => Self::Conflict("errors.conflict.concurrent"),
            DbError::Failed(err) => Self::Unexpected(err),
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(err: diesel::result::Error) -> Self {
        DbError::from(err).into()
    }
}

impl From<crate::domain::token::NoRandomness> for AppError {
    fn from(err: crate::domain::token::NoRandomness) -> Self {
        Self::Unexpected(err.into())
    }
}

impl From<askama::Error> for AppError {
    fn from(err: askama::Error) -> Self {
        Self::Unexpected(anyhow::Error::new(err).context("cannot render a template"))
    }
}

impl From<actix_session::SessionInsertError> for AppError {
    fn from(err: actix_session::SessionInsertError) -> Self {
        Self::Unexpected(anyhow::Error::new(err).context("cannot write the session"))
    }
}

impl From<actix_session::SessionGetError> for AppError {
    fn from(err: actix_session::SessionGetError) -> Self {
        Self::Unexpected(anyhow::Error::new(err).context("cannot read the session"))
    }
}

pub type AppResult<T> = Result<T, AppError>;
