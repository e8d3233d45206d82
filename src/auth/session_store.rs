//! actix-session's `SessionStore` over the `sessions` table: sessions live server-side, so signing out,
//! a password change or an operator can end them. Rows are keyed by the SHA-256 of the cookie's key.

use std::collections::HashMap;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration;
use anyhow::Context;
use rand::Rng;
use rand::distr::Alphanumeric;

use super::session::{
    ADDRESS_KEY, LOCALE_KEY, PRELOADED_USER_KEY, SEEN_KEY, USER_AGENT_KEY, USER_ID_KEY,
};
use super::user::CurrentUser;
use crate::db::models::session::{DeviceColumns, SessionRow};
use crate::db::models::user::User;
use crate::db::{Db, DbError};

/// What a session that vanished while a request ran passes on to the fresh one that replaces it.
const CARRIED_OVER: [&str; 1] = [LOCALE_KEY];

#[derive(Clone)]
pub struct DbSessionStore {
    db: Db,
}

impl DbSessionStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

fn new_key() -> Result<SessionKey, anyhow::Error> {
    let key: String = rand::rng()
        .sample_iter(&Alphanumeric)
        .take(64)
        .map(char::from)
        .collect();
    SessionKey::try_from(key).map_err(|e| anyhow::anyhow!("{e}"))
}

fn user_id_of(state: &HashMap<String, String>) -> Option<i64> {
    state
        .get(USER_ID_KEY)
        .and_then(|v| serde_json::from_str(v).ok())
}

/// What the Signed-in devices list shows of a session, from its state.
fn device_of(state: &HashMap<String, String>) -> DeviceColumns {
    let text = |key: &str| {
        state
            .get(key)
            .and_then(|v| serde_json::from_str::<String>(v).ok())
    };
    DeviceColumns {
        user_agent: text(USER_AGENT_KEY),
        address: text(ADDRESS_KEY),
        last_seen_at: state
            .get(SEEN_KEY)
            .and_then(|v| serde_json::from_str::<i64>(v).ok())
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
            .map(|t| t.naive_utc()),
    }
}

fn expires_in(ttl: &Duration) -> chrono::NaiveDateTime {
    crate::db::now() + chrono::Duration::seconds(ttl.whole_seconds())
}

impl SessionStore for DbSessionStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<HashMap<String, String>>, LoadError> {
        let id = SessionRow::hash_key(key.as_ref());
        let loaded = self
            .db
            .read(move |conn| {
                let Some(json) = SessionRow::load_live(conn, &id).map_err(DbError::from)? else {
                    return Ok::<_, DbError>(None);
                };
                let state: HashMap<String, String> = match serde_json::from_str(&json) {
                    Ok(state) => state,
                    Err(e) => return Ok(Some(Err(e))),
                };
                let user = match user_id_of(&state) {
                    Some(uid) => User::load_signed_in(conn, uid)
                        .map_err(DbError::from)?
                        .map(CurrentUser::from_row),
                    None => None,
                };
                Ok(Some(Ok((state, user))))
            })
            .await
            .map_err(|e| LoadError::Other(anyhow::anyhow!("{e}")))?;
        match loaded {
            None => Ok(None),
            Some(Err(e)) => Err(LoadError::Deserialization(e.into())),
            Some(Ok((mut state, user))) => {
                if let Some(user) = user {
                    let json = serde_json::to_string(&user)
                        .map_err(|e| LoadError::Deserialization(e.into()))?;
                    state.insert(PRELOADED_USER_KEY.to_owned(), json);
                }
                Ok(Some(state))
            }
        }
    }

    async fn save(
        &self,
        mut state: HashMap<String, String>,
        ttl: &Duration,
    ) -> Result<SessionKey, SaveError> {
        state.remove(PRELOADED_USER_KEY);
        let json = serde_json::to_string(&state).map_err(|e| SaveError::Serialization(e.into()))?;
        let key = new_key().map_err(SaveError::Other)?;
        let id = SessionRow::hash_key(key.as_ref());
        let user_id = user_id_of(&state);
        let device = device_of(&state);
        let expires_at = expires_in(ttl);
        self.db
            .execute(move |conn| SessionRow::insert(conn, &id, user_id, &json, expires_at, &device))
            .await
            .map_err(|e| SaveError::Other(anyhow::anyhow!("{e}")))?;
        Ok(key)
    }

    async fn update(
        &self,
        key: SessionKey,
        mut state: HashMap<String, String>,
        ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        state.remove(PRELOADED_USER_KEY);
        let json =
            serde_json::to_string(&state).map_err(|e| UpdateError::Serialization(e.into()))?;
        let id = SessionRow::hash_key(key.as_ref());
        let user_id = user_id_of(&state);
        let device = device_of(&state);
        let expires_at = expires_in(ttl);
        let updated = self
            .db
            .execute(move |conn| {
                SessionRow::update_live(conn, &id, user_id, &json, expires_at, &device)
            })
            .await
            .map_err(|e| UpdateError::Other(anyhow::anyhow!("{e}")))?;
        if updated {
            Ok(key)
        } else {
            // The row expired or was revoked (sign-out, a password change) while the request ran. The
            // old key is not resurrected, and neither is what made it a signed-in session: the new,
            // anonymous session keeps only what is harmless to carry over (the chosen language). A
            // user id, CSRF token or sealed secret in it would bring the ended session back.
            state.retain(|name, _| CARRIED_OVER.contains(&name.as_str()));
            self.save(state, ttl).await.map_err(|e| match e {
                SaveError::Serialization(e) => UpdateError::Serialization(e),
                SaveError::Other(e) => UpdateError::Other(e),
            })
        }
    }

    async fn update_ttl(&self, key: &SessionKey, ttl: &Duration) -> Result<(), anyhow::Error> {
        let id = SessionRow::hash_key(key.as_ref());
        let expires_at = expires_in(ttl);
        self.db
            .execute(move |conn| SessionRow::extend(conn, &id, expires_at))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))
            .context("cannot extend a session")
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), anyhow::Error> {
        let id = SessionRow::hash_key(key.as_ref());
        self.db
            .execute(move |conn| SessionRow::delete(conn, &id))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))
            .context("cannot delete a session")
    }
}
