//! What a database call can fail with, as the layers above need to tell it apart: a row that is not
//! there (often: not yours), a unique constraint that another request won, or anything else. Every
//! use case's error enum wraps it; `AppError` maps it at the edge.

/// A database failure.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The row is not there (or not in the scope asked).
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write: another request got there first.
    #[error("a unique constraint was violated")]
    UniqueViolation,
    /// Anything else: the cause chain says what.
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

impl From<diesel::result::Error> for DbError {
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match err {
            Error::NotFound => Self::NotFound,
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => Self::UniqueViolation,
            other => Self::Failed(anyhow::Error::new(other).context("database query failed")),
        }
    }
}

impl From<diesel::r2d2::PoolError> for DbError {
    fn from(err: diesel::r2d2::PoolError) -> Self {
        Self::Failed(anyhow::Error::new(err).context("no database connection available"))
    }
}

impl DbError {
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, Self::UniqueViolation)
    }
}

/// A use case's error enum wraps `DbError`; this gives it `?` on diesel's results too. The enum
/// needs a `Db(DbError)` variant with `#[from]`.
#[macro_export]
macro_rules! wraps_db_error {
    ($t:ty) => {
        impl From<diesel::result::Error> for $t {
            fn from(err: diesel::result::Error) -> Self {
                Self::from($crate::db::DbError::from(err))
            }
        }
    };
}
