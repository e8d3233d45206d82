//! Rows of the server-side session store.

use diesel::prelude::*;

use crate::db::schema::sessions;
use crate::db::{DbConnection, now};
use crate::domain::token::hash_token;

pub struct SessionRow;

impl SessionRow {
    /// The stored id for a cookie's session key.
    pub fn hash_key(key: &str) -> String {
        hash_token(key)
    }

    /// The state of a session that has not expired.
    pub fn load_live(conn: &mut DbConnection, id: &str) -> QueryResult<Option<String>> {
        sessions::table
            .filter(sessions::id.eq(id))
            .filter(sessions::expires_at.gt(now()))
            .select(sessions::state)
            .first(conn)
            .optional()
    }

    pub fn insert(
        conn: &mut DbConnection,
        id: &str,
        user_id: Option<i64>,
        state: &str,
        expires_at: chrono::NaiveDateTime,
    ) -> QueryResult<()> {
        diesel::insert_into(sessions::table)
            .values((
                sessions::id.eq(id),
                sessions::user_id.eq(user_id),
                sessions::state.eq(state),
                sessions::created_at.eq(now()),
                sessions::expires_at.eq(expires_at),
            ))
            .execute(conn)
            .map(|_| ())
    }

    /// Updates a live session; false when it no longer exists (expired or revoked).
    pub fn update_live(
        conn: &mut DbConnection,
        id: &str,
        user_id: Option<i64>,
        state: &str,
        expires_at: chrono::NaiveDateTime,
    ) -> QueryResult<bool> {
        diesel::update(
            sessions::table
                .filter(sessions::id.eq(id))
                .filter(sessions::expires_at.gt(now())),
        )
        .set((
            sessions::user_id.eq(user_id),
            sessions::state.eq(state),
            sessions::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .map(|n| n > 0)
    }

    pub fn extend(
        conn: &mut DbConnection,
        id: &str,
        expires_at: chrono::NaiveDateTime,
    ) -> QueryResult<()> {
        diesel::update(sessions::table.filter(sessions::id.eq(id)))
            .set(sessions::expires_at.eq(expires_at))
            .execute(conn)
            .map(|_| ())
    }

    pub fn delete(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
        diesel::delete(sessions::table.filter(sessions::id.eq(id)))
            .execute(conn)
            .map(|_| ())
    }

    /// Ends every session of a user (after a password change, or when an operator revokes access),
    /// except optionally the one making the change.
    pub fn delete_for_user(
        conn: &mut DbConnection,
        user_id: i64,
        keep: Option<&str>,
    ) -> QueryResult<usize> {
        let query = sessions::table.filter(sessions::user_id.eq(user_id));
        match keep {
            Some(keep) => diesel::delete(query.filter(sessions::id.ne(keep))).execute(conn),
            None => diesel::delete(query).execute(conn),
        }
    }

    pub fn count_for_user(conn: &mut DbConnection, user_id: i64) -> QueryResult<i64> {
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::expires_at.gt(now()))
            .count()
            .get_result(conn)
    }

    /// Removes expired rows; run now and then by the housekeeping task.
    pub fn delete_expired(conn: &mut DbConnection) -> QueryResult<usize> {
        diesel::delete(sessions::table.filter(sessions::expires_at.le(now()))).execute(conn)
    }
}
