//! Server-side drafts of multi-step forms (the new customer wizard). A draft belongs to the user who
//! started it, survives Back, Forward and reloads, and expires. Submitting marks it once, so a repeated
//! submit finds it already done.

use diesel::prelude::*;

use crate::db::schema::drafts;
use crate::db::{DbConnection, new_id, now};
use crate::domain::{DraftKind, DraftStatus};

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = drafts)]
pub struct Draft {
    pub id: i64,
    pub kind: DraftKind,
    pub user_id: i64,
    pub provider_id: i64,
    pub data: String,
    pub status: DraftStatus,
    pub result_id: Option<i64>,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
    pub expires_at: chrono::NaiveDateTime,
    pub sealed_secret: Option<String>,
}

const OPEN: DraftStatus = DraftStatus::Open;
const SUBMITTED: DraftStatus = DraftStatus::Submitted;
const CANCELLED: DraftStatus = DraftStatus::Cancelled;

impl Draft {
    pub fn create(
        conn: &mut DbConnection,
        kind: DraftKind,
        user_id: i64,
        provider_id: i64,
        data: &str,
        ttl: chrono::Duration,
    ) -> QueryResult<i64> {
        let id = new_id();
        let at = now();
        diesel::insert_into(drafts::table)
            .values((
                drafts::id.eq(id),
                drafts::kind.eq(kind),
                drafts::user_id.eq(user_id),
                drafts::provider_id.eq(provider_id),
                drafts::data.eq(data),
                drafts::status.eq(OPEN),
                drafts::created_at.eq(at),
                drafts::updated_at.eq(at),
                drafts::expires_at.eq(at + ttl),
            ))
            .execute(conn)?;
        Ok(id)
    }

    /// One of this user's drafts of this kind; anyone else's is not found.
    pub fn find_for_user(
        conn: &mut DbConnection,
        id: i64,
        user_id: i64,
        kind: DraftKind,
    ) -> QueryResult<Draft> {
        drafts::table
            .filter(drafts::id.eq(id))
            .filter(drafts::user_id.eq(user_id))
            .filter(drafts::kind.eq(kind))
            .select(Draft::as_select())
            .first(conn)
    }

    pub fn is_expired(&self) -> bool {
        self.expires_at <= now()
    }

    /// Saves what was typed in an open draft.
    pub fn save(conn: &mut DbConnection, id: i64, data: &str) -> QueryResult<bool> {
        diesel::update(
            drafts::table
                .filter(drafts::id.eq(id))
                .filter(drafts::status.eq(OPEN)),
        )
        .set((drafts::data.eq(data), drafts::updated_at.eq(now())))
        .execute(conn)
        .map(|n| n == 1)
    }

    /// Marks an open draft submitted; false when it was not open (submitted already, or cancelled).
    pub fn mark_submitted(conn: &mut DbConnection, id: i64) -> QueryResult<bool> {
        diesel::update(
            drafts::table
                .filter(drafts::id.eq(id))
                .filter(drafts::status.eq(OPEN)),
        )
        .set((drafts::status.eq(SUBMITTED), drafts::updated_at.eq(now())))
        .execute(conn)
        .map(|n| n == 1)
    }

    pub fn set_result(
        conn: &mut DbConnection,
        id: i64,
        result_id: i64,
        sealed_secret: Option<&str>,
    ) -> QueryResult<()> {
        diesel::update(drafts::table.find(id))
            .set((
                drafts::result_id.eq(Some(result_id)),
                drafts::sealed_secret.eq(sealed_secret),
            ))
            .execute(conn)
            .map(|_| ())
    }

    /// Takes the sealed secret out: whoever calls this first gets it, nobody gets it twice.
    pub fn take_secret(conn: &mut DbConnection, id: i64) -> QueryResult<Option<String>> {
        let secret: Option<String> = drafts::table
            .find(id)
            .select(drafts::sealed_secret)
            .first(conn)?;
        if secret.is_none() {
            return Ok(None);
        }
        let cleared = diesel::update(
            drafts::table
                .filter(drafts::id.eq(id))
                .filter(drafts::sealed_secret.is_not_null()),
        )
        .set(drafts::sealed_secret.eq(None::<String>))
        .execute(conn)?;
        Ok(if cleared == 1 { secret } else { None })
    }

    /// Drops an open draft (Cancel).
    pub fn cancel(conn: &mut DbConnection, id: i64) -> QueryResult<bool> {
        diesel::update(
            drafts::table
                .filter(drafts::id.eq(id))
                .filter(drafts::status.eq(OPEN)),
        )
        .set((
            drafts::status.eq(CANCELLED),
            drafts::data.eq("{}"),
            drafts::updated_at.eq(now()),
        ))
        .execute(conn)
        .map(|n| n == 1)
    }

    /// Removes expired drafts (and any secret a submitted one still held).
    pub fn delete_expired(conn: &mut DbConnection) -> QueryResult<usize> {
        diesel::delete(drafts::table.filter(drafts::expires_at.le(now()))).execute(conn)
    }
}
