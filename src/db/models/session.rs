//! Rows of the server-side session store.

use diesel::prelude::*;

use crate::db::schema::sessions;
use crate::db::{DbConnection, now};
use crate::domain::token::hash_token;

pub struct SessionRow;

/// What a session's row keeps of its device, for Account → Signed-in devices.
#[derive(Clone, Debug, Default)]
pub struct DeviceColumns {
    pub user_agent: Option<String>,
    pub address: Option<String>,
    pub last_seen_at: Option<chrono::NaiveDateTime>,
}

/// A signed-in session of a user, as Account lists it.
#[derive(Queryable, Clone, Debug)]
pub struct DeviceRow {
    pub id: String,
    pub state: String,
    pub user_agent: Option<String>,
    pub address: Option<String>,
    pub created_at: chrono::NaiveDateTime,
    pub last_seen_at: Option<chrono::NaiveDateTime>,
}

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
        device: &DeviceColumns,
    ) -> QueryResult<()> {
        diesel::insert_into(sessions::table)
            .values((
                sessions::id.eq(id),
                sessions::user_id.eq(user_id),
                sessions::state.eq(state),
                sessions::created_at.eq(now()),
                sessions::expires_at.eq(expires_at),
                sessions::user_agent.eq(device.user_agent.as_deref()),
                sessions::address.eq(device.address.as_deref()),
                sessions::last_seen_at.eq(device.last_seen_at),
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
        device: &DeviceColumns,
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
            sessions::user_agent.eq(device.user_agent.as_deref()),
            sessions::address.eq(device.address.as_deref()),
            sessions::last_seen_at.eq(device.last_seen_at),
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

    /// The user's live sessions, the most recently seen first (a person has a handful).
    pub fn devices_of(conn: &mut DbConnection, user_id: i64) -> QueryResult<Vec<DeviceRow>> {
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::expires_at.gt(now()))
            .order(sessions::created_at.desc())
            .limit(100)
            .select((
                sessions::id,
                sessions::state,
                sessions::user_agent,
                sessions::address,
                sessions::created_at,
                sessions::last_seen_at,
            ))
            .load(conn)
    }

    /// Ends one session of this user (another's: nothing).
    pub fn delete_of_user(conn: &mut DbConnection, user_id: i64, id: &str) -> QueryResult<usize> {
        diesel::delete(
            sessions::table
                .filter(sessions::user_id.eq(user_id))
                .filter(sessions::id.eq(id)),
        )
        .execute(conn)
    }

    /// Removes expired rows; run now and then by the housekeeping task.
    pub fn delete_expired(conn: &mut DbConnection) -> QueryResult<usize> {
        diesel::delete(sessions::table.filter(sessions::expires_at.le(now()))).execute(conn)
    }
}
