//! "Forgot your password?" links: 256 random bits kept as their SHA-256, for one hour, used once.

use diesel::prelude::*;

use crate::db::schema::password_resets;
use crate::db::{DbConnection, new_id};

/// How long a reset link works.
pub const RESET_MINUTES: i64 = 60;

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = password_resets)]
pub struct PasswordReset {
    pub id: i64,
    pub user_id: i64,
    pub token_hash: String,
    pub created_at: chrono::NaiveDateTime,
    pub expires_at: chrono::NaiveDateTime,
    pub used_at: Option<chrono::NaiveDateTime>,
}

impl PasswordReset {
    pub fn create(
        conn: &mut DbConnection,
        user_id: i64,
        token_hash: &str,
        at: chrono::NaiveDateTime,
    ) -> QueryResult<i64> {
        let id = new_id();
        diesel::insert_into(password_resets::table)
            .values((
                password_resets::id.eq(id),
                password_resets::user_id.eq(user_id),
                password_resets::token_hash.eq(token_hash),
                password_resets::created_at.eq(at),
                password_resets::expires_at.eq(at + chrono::Duration::minutes(RESET_MINUTES)),
            ))
            .execute(conn)?;
        Ok(id)
    }

    /// The unused link with this hash, if it has not expired at `at`.
    pub fn find_open(
        conn: &mut DbConnection,
        token_hash: &str,
        at: chrono::NaiveDateTime,
    ) -> QueryResult<Option<Self>> {
        password_resets::table
            .filter(password_resets::token_hash.eq(token_hash))
            .filter(password_resets::used_at.is_null())
            .filter(password_resets::expires_at.gt(at))
            .select(Self::as_select())
            .first(conn)
            .optional()
    }

    /// Uses every open link of the user (this one and any older): false when this one was used first.
    pub fn use_up(
        conn: &mut DbConnection,
        id: i64,
        user_id: i64,
        at: chrono::NaiveDateTime,
    ) -> QueryResult<bool> {
        let this = diesel::update(
            password_resets::table
                .filter(password_resets::id.eq(id))
                .filter(password_resets::used_at.is_null()),
        )
        .set(password_resets::used_at.eq(Some(at)))
        .execute(conn)?;
        diesel::update(
            password_resets::table
                .filter(password_resets::user_id.eq(user_id))
                .filter(password_resets::used_at.is_null()),
        )
        .set(password_resets::used_at.eq(Some(at)))
        .execute(conn)?;
        Ok(this == 1)
    }
}
