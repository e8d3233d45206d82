//! `Idempotency-Key` on every POST: the first answer to a key is kept for 24 hours and a replay gets
//! it again (with `Idempotent-Replayed: true`); the same key with another request is a 422; a key
//! whose first request is still being answered is a 409. Answers carrying a secret (a temporary
//! password) are kept without it.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

use super::problem::Problem;
use crate::db::models::api_token::IdempotencyKey;
use crate::domain::token::hex;
use crate::state::AppState;

pub const HEADER: &str = "idempotency-key";

/// What a POST answered.
pub struct Answer {
    pub status: StatusCode,
    pub body: serde_json::Value,
    pub location: Option<String>,
    /// The body to keep for a replay, when it differs (a secret left out).
    pub kept: Option<serde_json::Value>,
}

impl Answer {
    pub fn new(status: StatusCode, body: &impl serde::Serialize) -> Self {
        Self {
            status,
            body: serde_json::to_value(body).unwrap_or_default(),
            location: None,
            kept: None,
        }
    }

    pub fn ok(body: &impl serde::Serialize) -> Self {
        Self::new(StatusCode::OK, body)
    }

    pub fn created(body: &impl serde::Serialize, location: String) -> Self {
        Self {
            location: Some(location),
            ..Self::new(StatusCode::CREATED, body)
        }
    }

    /// Keeps this body for a replay instead.
    pub fn keep(mut self, kept: &impl serde::Serialize) -> Self {
        self.kept = serde_json::to_value(kept).ok();
        self
    }
}

fn respond(status: u16, body: String, location: Option<&str>, replayed: bool) -> HttpResponse {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let mut res = HttpResponse::build(status);
    let problem = status.is_client_error() || status.is_server_error();
    res.content_type(if problem {
        super::problem::CONTENT_TYPE
    } else {
        "application/json"
    });
    if let Some(location) = location {
        res.insert_header((header::LOCATION, location.to_owned()));
    }
    if replayed {
        res.insert_header(("Idempotent-Replayed", "true"));
    }
    res.body(body)
}

/// The request's `Idempotency-Key`, trimmed (empty when there is none).
fn key_of(req: &HttpRequest) -> String {
    req.headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or_default()
        .to_owned()
}

/// The key an order placed by this request carries (scoped to the token), so that the request sent
/// again after a crash between the order and the kept answer finds the order instead of placing a
/// second one.
pub fn order_key(req: &HttpRequest, token_id: i64) -> Option<String> {
    let key = key_of(req);
    (!key.is_empty()).then(|| format!("api:{token_id}:{key}"))
}

/// How long a key's first request may take before the key counts as abandoned (its instance
/// stopped or crashed mid-request) and the request sent again is answered afresh.
const CLAIM_LEASE_SECONDS: i64 = 60;

fn request_hash(req: &HttpRequest, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(req.method().as_str().as_bytes());
    hash.update(b" ");
    hash.update(req.path().as_bytes());
    hash.update(b"?");
    hash.update(req.query_string().as_bytes());
    hash.update(b"\n");
    hash.update(body);
    hex(&hash.finalize())
}

/// Answers a POST once per key: replays a kept answer, or runs `answer` and keeps what it said.
pub async fn once<F, Fut>(
    req: &HttpRequest,
    state: &AppState,
    token_id: i64,
    body: &[u8],
    answer: F,
) -> Result<HttpResponse, Problem>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Answer, Problem>>,
{
    let key = key_of(req);
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Problem::bad_request(
            "Every POST needs an Idempotency-Key header: up to 255 visible ASCII characters, a new \
             one (a UUID, say) for each new request.",
        ));
    }
    let hash = request_hash(req, body);
    let now = state.now();
    let claimed = state
        .db
        .execute({
            let (key, hash) = (key.clone(), hash.clone());
            move |conn| {
                if let Some(kept) = IdempotencyKey::find(conn, token_id, &key, now)? {
                    let abandoned = kept.status == 0
                        && kept.request_hash == hash
                        && kept.created_at <= now - chrono::Duration::seconds(CLAIM_LEASE_SECONDS);
                    if !(abandoned
                        && IdempotencyKey::take_over(conn, token_id, &key, kept.created_at, now)?)
                    {
                        return Ok(Err(kept));
                    }
                    return Ok(Ok(()));
                }
                if IdempotencyKey::claim(conn, token_id, &key, &hash, now)? {
                    Ok(Ok(()))
                } else {
                    // Claimed by a request a moment ago: read it back.
                    Ok(Err(IdempotencyKey::find(conn, token_id, &key, now)?
                        .ok_or(diesel::result::Error::NotFound)?))
                }
            }
        })
        .await?;
    if let Err(kept) = claimed {
        if kept.request_hash != hash {
            return Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "This Idempotency-Key was used with another request",
            )
            .detail("Use a new key for a new request; a key replays only the request it was first sent with."));
        }
        if kept.status == 0 {
            return Err(Problem::conflict(
                "The first request with this Idempotency-Key is still being answered; try again in a moment.",
            ));
        }
        return Ok(respond(
            u16::try_from(kept.status).unwrap_or(200),
            kept.body,
            kept.location.as_deref(),
            true,
        ));
    }
    let (status, body, kept, location) = match answer().await {
        Ok(answer) => {
            let body = answer.body.to_string();
            let kept = answer.kept.map_or_else(|| body.clone(), |k| k.to_string());
            (answer.status.as_u16(), body, kept, answer.location)
        }
        Err(problem) if problem.status().is_server_error() => {
            let _ = state
                .db
                .execute(move |conn| IdempotencyKey::release(conn, token_id, &key))
                .await;
            return Err(problem);
        }
        Err(problem) => {
            let body = problem.body();
            (problem.status, body.clone(), body, None)
        }
    };
    state
        .db
        .execute({
            let location = location.clone();
            move |conn| {
                IdempotencyKey::complete(
                    conn,
                    token_id,
                    &key,
                    (i32::from(status), &kept, location.as_deref()),
                )
            }
        })
        .await?;
    Ok(respond(status, body, location.as_deref(), false))
}
