//! A partnership request opened by a reseller whose enrollment is not verified yet (it enrolled from
//! the link) waits for that verification: the request keeps the reseller and its link, sealed under the
//! server's key, so the reseller's home and the "verified" email can offer it again. The link's hash
//! stays the only way to answer; the sealed copy only lets the rightful reseller find it.

use actix_web::cookie::Key;

use crate::auth::seal::{open, seal};
use crate::db::models::relationship_request::RelationshipRequest;
use crate::db::{Db, DbConnection, DbError};
use crate::domain::RequestKind;
use crate::services::link_request::by_token;

fn secret_name(request_id: i64) -> String {
    format!("waiting_link:{request_id}")
}

/// Keeps the request behind `token` for `reseller_id`, when the link can still be answered; says
/// whether it did.
pub fn keep_in(
    conn: &mut DbConnection,
    key: &Key,
    token: &str,
    reseller_id: i64,
) -> Result<bool, DbError> {
    let Ok(request) = by_token(conn, RequestKind::Partnership, token)? else {
        return Ok(false);
    };
    let sealed = seal(key, &secret_name(request.id), token).map_err(DbError::Failed)?;
    RelationshipRequest::set_waiting(conn, request.id, reseller_id, &sealed)?;
    Ok(true)
}

pub async fn keep(db: &Db, key: &Key, token: &str, reseller_id: i64) -> Result<bool, DbError> {
    let (key, token) = (key.clone(), token.to_owned());
    db.write(move |conn| keep_in(conn, &key, &token, reseller_id))
        .await
}

/// A request that waits for a reseller, with its link.
#[derive(Clone, Debug)]
pub struct Waiting {
    pub provider: String,
    pub link: String,
    pub expires_at: chrono::NaiveDateTime,
}

/// The requests waiting for a reseller that can still be answered, newest first.
pub fn for_reseller_in(
    conn: &mut DbConnection,
    key: &Key,
    base_url: &str,
    reseller_id: i64,
) -> Result<Vec<Waiting>, DbError> {
    Ok(RelationshipRequest::waiting_for(conn, reseller_id)?
        .into_iter()
        .filter_map(|(request, sealed, provider)| {
            let token = open(key, &secret_name(request.id), &sealed)?;
            Some(Waiting {
                provider,
                link: format!("{base_url}/partnerships/accept/{token}"),
                expires_at: request.expires_at,
            })
        })
        .collect())
}

pub async fn for_reseller(
    db: &Db,
    key: &Key,
    base_url: &str,
    reseller_id: i64,
) -> Result<Vec<Waiting>, DbError> {
    let (key, base_url) = (key.clone(), base_url.to_owned());
    db.read(move |conn| for_reseller_in(conn, &key, &base_url, reseller_id))
        .await
}
