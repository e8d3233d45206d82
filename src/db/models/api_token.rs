//! API tokens (Account → API tokens) and the answers kept for an `Idempotency-Key`.

use diesel::prelude::*;

use crate::db::models::user::SignedInRow;
use crate::db::schema::{api_tokens, idempotency_keys, users};
use crate::db::{DbConnection, new_id};

/// What a token may do within its member's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    /// GET only.
    Read,
    /// Everything the member's role allows.
    Write,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim() {
            "read" => Some(Self::Read),
            "write" => Some(Self::Write),
            _ => None,
        }
    }
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = api_tokens)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub token_hash: String,
    pub prefix: String,
    pub access: String,
    pub created_at: chrono::NaiveDateTime,
    pub expires_at: chrono::NaiveDateTime,
    pub last_used_at: Option<chrono::NaiveDateTime>,
    pub revoked_at: Option<chrono::NaiveDateTime>,
}

impl ApiToken {
    pub fn access(&self) -> Access {
        Access::parse(&self.access).unwrap_or(Access::Read)
    }

    /// Neither revoked nor expired at `now`.
    pub fn is_live(&self, now: chrono::NaiveDateTime) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

pub struct NewToken<'a> {
    pub user_id: i64,
    pub name: &'a str,
    pub token_hash: &'a str,
    pub prefix: &'a str,
    pub access: Access,
    pub now: chrono::NaiveDateTime,
    pub expires_at: chrono::NaiveDateTime,
}

impl ApiToken {
    pub fn create(conn: &mut DbConnection, new: &NewToken<'_>) -> QueryResult<i64> {
        let id = new_id();
        diesel::insert_into(api_tokens::table)
            .values((
                api_tokens::id.eq(id),
                api_tokens::user_id.eq(new.user_id),
                api_tokens::name.eq(new.name),
                api_tokens::token_hash.eq(new.token_hash),
                api_tokens::prefix.eq(new.prefix),
                api_tokens::access.eq(new.access.as_str()),
                api_tokens::created_at.eq(new.now),
                api_tokens::expires_at.eq(new.expires_at),
            ))
            .execute(conn)?;
        Ok(id)
    }

    /// A user's tokens, newest first (revoked ones too: the list says so).
    pub fn of_user(conn: &mut DbConnection, user_id: i64) -> QueryResult<Vec<Self>> {
        api_tokens::table
            .filter(api_tokens::user_id.eq(user_id))
            .order((api_tokens::created_at.desc(), api_tokens::id.desc()))
            .limit(100)
            .select(Self::as_select())
            .load(conn)
    }

    /// The live token with this hash and its user, if still active (as `User::load_signed_in` loads
    /// a session's user, in the same query).
    pub fn find_live(
        conn: &mut DbConnection,
        token_hash: &str,
        now: chrono::NaiveDateTime,
    ) -> QueryResult<Option<(Self, SignedInRow)>> {
        api_tokens::table
            .inner_join(crate::signed_in_source!())
            .filter(api_tokens::token_hash.eq(token_hash))
            .filter(api_tokens::revoked_at.is_null())
            .filter(api_tokens::expires_at.gt(now))
            .filter(users::disabled.eq(false))
            .select((Self::as_select(), crate::signed_in_columns!()))
            .first(conn)
            .optional()
    }

    /// Records a use, at most once a minute per token (a busy client must not queue a write per request).
    pub fn touch(conn: &mut DbConnection, id: i64, now: chrono::NaiveDateTime) -> QueryResult<()> {
        let stale = now - chrono::Duration::minutes(1);
        diesel::update(
            api_tokens::table.filter(api_tokens::id.eq(id)).filter(
                api_tokens::last_used_at
                    .is_null()
                    .or(api_tokens::last_used_at.lt(stale)),
            ),
        )
        .set(api_tokens::last_used_at.eq(Some(now)))
        .execute(conn)?;
        Ok(())
    }

    /// Whose a token is: its user, the user's organisation, and its name.
    pub fn owner(
        conn: &mut DbConnection,
        id: i64,
    ) -> QueryResult<Option<(i64, Option<i64>, String)>> {
        api_tokens::table
            .inner_join(users::table)
            .filter(api_tokens::id.eq(id))
            .select((api_tokens::user_id, users::partner_id, api_tokens::name))
            .first(conn)
            .optional()
    }

    /// Revokes one of the user's tokens: false when there was none to revoke.
    pub fn revoke(
        conn: &mut DbConnection,
        user_id: i64,
        id: i64,
        now: chrono::NaiveDateTime,
    ) -> QueryResult<bool> {
        let n = diesel::update(
            api_tokens::table
                .filter(api_tokens::id.eq(id))
                .filter(api_tokens::user_id.eq(user_id))
                .filter(api_tokens::revoked_at.is_null()),
        )
        .set(api_tokens::revoked_at.eq(Some(now)))
        .execute(conn)?;
        Ok(n == 1)
    }

    /// Revokes every live token of a user (deactivation, a new password set by reset).
    pub fn revoke_all(
        conn: &mut DbConnection,
        user_id: i64,
        now: chrono::NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::update(
            api_tokens::table
                .filter(api_tokens::user_id.eq(user_id))
                .filter(api_tokens::revoked_at.is_null()),
        )
        .set(api_tokens::revoked_at.eq(Some(now)))
        .execute(conn)
    }
}

/// The answer kept for an `Idempotency-Key`.
#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = idempotency_keys)]
pub struct IdempotencyKey {
    pub token_id: i64,
    pub idempotency_key: String,
    pub request_hash: String,
    /// 0 while the first request is being answered.
    pub status: i32,
    pub body: String,
    pub location: Option<String>,
    pub created_at: chrono::NaiveDateTime,
}

/// How long a key's answer is kept.
pub const IDEMPOTENCY_HOURS: i64 = 24;

impl IdempotencyKey {
    pub fn find(
        conn: &mut DbConnection,
        token_id: i64,
        key: &str,
        now: chrono::NaiveDateTime,
    ) -> QueryResult<Option<Self>> {
        idempotency_keys::table
            .filter(idempotency_keys::token_id.eq(token_id))
            .filter(idempotency_keys::idempotency_key.eq(key))
            .filter(
                idempotency_keys::created_at.gt(now - chrono::Duration::hours(IDEMPOTENCY_HOURS)),
            )
            .select(Self::as_select())
            .first(conn)
            .optional()
    }

    /// Claims a key for a request being answered (an old answer of the same key is dropped first):
    /// false when another request holds it.
    pub fn claim(
        conn: &mut DbConnection,
        token_id: i64,
        key: &str,
        request_hash: &str,
        now: chrono::NaiveDateTime,
    ) -> QueryResult<bool> {
        diesel::delete(
            idempotency_keys::table
                .filter(idempotency_keys::token_id.eq(token_id))
                .filter(idempotency_keys::idempotency_key.eq(key))
                .filter(
                    idempotency_keys::created_at
                        .le(now - chrono::Duration::hours(IDEMPOTENCY_HOURS)),
                ),
        )
        .execute(conn)?;
        let inserted = diesel::insert_into(idempotency_keys::table)
            .values((
                idempotency_keys::token_id.eq(token_id),
                idempotency_keys::idempotency_key.eq(key),
                idempotency_keys::request_hash.eq(request_hash),
                idempotency_keys::status.eq(0),
                idempotency_keys::body.eq(""),
                idempotency_keys::created_at.eq(now),
            ))
            .execute(conn);
        match inserted {
            Ok(_) => Ok(true),
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => Ok(false),
            Err(err) => Err(err),
        }
    }

    /// Takes over a key whose first request was abandoned (claimed at `claimed_at`, never answered):
    /// false when another request took it over first.
    pub fn take_over(
        conn: &mut DbConnection,
        token_id: i64,
        key: &str,
        claimed_at: chrono::NaiveDateTime,
        now: chrono::NaiveDateTime,
    ) -> QueryResult<bool> {
        let taken = diesel::update(
            idempotency_keys::table
                .filter(idempotency_keys::token_id.eq(token_id))
                .filter(idempotency_keys::idempotency_key.eq(key))
                .filter(idempotency_keys::status.eq(0))
                .filter(idempotency_keys::created_at.eq(claimed_at)),
        )
        .set(idempotency_keys::created_at.eq(now))
        .execute(conn)?;
        Ok(taken == 1)
    }

    /// Keeps the first answer.
    pub fn complete(
        conn: &mut DbConnection,
        token_id: i64,
        key: &str,
        (status, body, location): (i32, &str, Option<&str>),
    ) -> QueryResult<()> {
        diesel::update(
            idempotency_keys::table
                .filter(idempotency_keys::token_id.eq(token_id))
                .filter(idempotency_keys::idempotency_key.eq(key)),
        )
        .set((
            idempotency_keys::status.eq(status),
            idempotency_keys::body.eq(body),
            idempotency_keys::location.eq(location),
        ))
        .execute(conn)?;
        Ok(())
    }

    /// Lets go of a key whose request failed on our side, so it can be retried.
    pub fn release(conn: &mut DbConnection, token_id: i64, key: &str) -> QueryResult<()> {
        diesel::delete(
            idempotency_keys::table
                .filter(idempotency_keys::token_id.eq(token_id))
                .filter(idempotency_keys::idempotency_key.eq(key))
                .filter(idempotency_keys::status.eq(0)),
        )
        .execute(conn)?;
        Ok(())
    }

    /// Drops answers older than a day (housekeeping).
    pub fn delete_old(conn: &mut DbConnection, now: chrono::NaiveDateTime) -> QueryResult<usize> {
        diesel::delete(idempotency_keys::table.filter(
            idempotency_keys::created_at.le(now - chrono::Duration::hours(IDEMPOTENCY_HOURS)),
        ))
        .execute(conn)
    }
}
