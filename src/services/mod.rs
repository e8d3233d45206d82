//! Use cases: each a plain function over the database (or a connection, inside a caller's
//! transaction) and a typed command, returning its outcome or an error enum of its own. A use case
//! owns its transaction, its activity-log entries, its outbox rows and the counters it moves. Routes,
//! the CLI and the demo call these; these call the models.

pub mod account;
pub mod api_tokens;
pub mod billing;
pub mod counters;
pub mod credit;
pub mod customer_details;
pub mod customer_relationship;
pub mod customer_sign_up;
pub mod customer_users;
pub mod email_outbox;
pub mod enrollment;
pub mod grants;
pub mod housekeeping;
pub mod invitation_answer;
pub mod jobs;
pub mod link_request;
pub mod margins;
pub mod mfa;
pub mod new_customer;
pub mod new_subscription;
pub mod offer_catalog;
pub mod order_review;
pub mod organisations;
pub mod partnership_answer;
pub mod password_reset;
pub mod price_list;
pub mod pricing;
pub mod profile_change;
pub mod remove_partnership;
pub mod renewals;
pub mod statements;
pub mod subscription_change;
pub mod team;
pub mod waiting_request;
pub mod webhooks;

use crate::db::DbError;
use crate::error::AppError;

/// How a change to something that exists can fail: it is not there (or not the actor's to change), a
/// rule refused it (with the field and message to show; nothing was written), or the database failed.
/// The subscription and customer-relationship changes share it.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// Not one this actor may see or change.
    #[error("not found")]
    NotFound,
    /// Refused, with the field and message to show; nothing was written.
    #[error("refused: {key}")]
    Refused {
        field: &'static str,
        key: &'static str,
    },
    #[error(transparent)]
    Db(#[from] DbError),
}
crate::wraps_db_error!(ChangeError);

impl From<ChangeError> for AppError {
    fn from(err: ChangeError) -> Self {
        match err {
            ChangeError::NotFound => AppError::NotFound,
            ChangeError::Refused { key, .. } => AppError::Unprocessable(key),
            ChangeError::Db(err) => err.into(),
        }
    }
}

impl ChangeError {
    /// A refusal of `field` with the message `key`.
    pub fn refused(field: &'static str, key: &'static str) -> Self {
        Self::Refused { field, key }
    }

    /// A lookup's failure: a row that is not there is `NotFound`, anything else the database's.
    pub fn lookup(err: diesel::result::Error) -> Self {
        match DbError::from(err) {
            DbError::NotFound => Self::NotFound,
            other => Self::Db(other),
        }
    }
}
