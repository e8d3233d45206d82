//! Recovery codes for multi-factor sign-in: ten per set-up, shown once, kept as SHA-256 hashes, each
//! used once.

use diesel::prelude::*;

use crate::db::schema::mfa_recovery_codes;
use crate::db::{DbConnection, new_id};

pub struct RecoveryCodes;

impl RecoveryCodes {
    /// Replaces the user's codes with these hashes.
    pub fn replace(conn: &mut DbConnection, user_id: i64, hashes: &[String]) -> QueryResult<()> {
        Self::delete_all(conn, user_id)?;
        for hash in hashes {
            diesel::insert_into(mfa_recovery_codes::table)
                .values((
                    mfa_recovery_codes::id.eq(new_id()),
                    mfa_recovery_codes::user_id.eq(user_id),
                    mfa_recovery_codes::code_hash.eq(hash),
                ))
                .execute(conn)?;
        }
        Ok(())
    }

    pub fn delete_all(conn: &mut DbConnection, user_id: i64) -> QueryResult<()> {
        diesel::delete(mfa_recovery_codes::table.filter(mfa_recovery_codes::user_id.eq(user_id)))
            .execute(conn)
            .map(|_| ())
    }

    /// Uses the unused code with this hash: false when there is none.
    pub fn use_code(
        conn: &mut DbConnection,
        user_id: i64,
        hash: &str,
        at: chrono::NaiveDateTime,
    ) -> QueryResult<bool> {
        diesel::update(
            mfa_recovery_codes::table
                .filter(mfa_recovery_codes::user_id.eq(user_id))
                .filter(mfa_recovery_codes::code_hash.eq(hash))
                .filter(mfa_recovery_codes::used_at.is_null()),
        )
        .set(mfa_recovery_codes::used_at.eq(Some(at)))
        .execute(conn)
        .map(|n| n == 1)
    }

    pub fn unused(conn: &mut DbConnection, user_id: i64) -> QueryResult<i64> {
        mfa_recovery_codes::table
            .filter(mfa_recovery_codes::user_id.eq(user_id))
            .filter(mfa_recovery_codes::used_at.is_null())
            .count()
            .get_result(conn)
    }
}
