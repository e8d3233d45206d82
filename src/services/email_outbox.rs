//! The operator's Retry on the email outbox: a failed message goes back in the queue, a pending one
//! waiting out its back-off is tried now. Logged.

use crate::db::models::activity::NewActivity;
use crate::db::models::outbox::OutboxEmail;
use crate::db::{Db, DbError};
use crate::domain::OutboxStatus;
use crate::error::AppError;

#[derive(Debug, thiserror::Error)]
pub enum RetryError {
    /// Sent already, being sent right now, or a personal link's message whose body was removed.
    #[error("the email cannot be retried")]
    NotRetriable,
    #[error(transparent)]
    Db(#[from] DbError),
}
crate::wraps_db_error!(RetryError);

impl From<RetryError> for AppError {
    fn from(err: RetryError) -> Self {
        match err {
            RetryError::NotRetriable => AppError::Conflict("operations.outbox.not_retriable"),
            RetryError::Db(err) => err.into(),
        }
    }
}

/// Retries a message; the state it was in.
pub async fn retry(db: &Db, operator: i64, id: i64) -> Result<OutboxStatus, RetryError> {
    db.write(move |conn| {
        let email = OutboxEmail::find(conn, id)?;
        if !OutboxEmail::retry(conn, id)? {
            return Err(RetryError::NotRetriable);
        }
        NewActivity::new("email.retried", "email", Some(id))
            .by(operator, None)
            .change(
                Some(email.status.as_str().to_owned()),
                Some(OutboxStatus::Pending.as_str().into()),
            )
            .record(conn)?;
        Ok(email.status)
    })
    .await
}
