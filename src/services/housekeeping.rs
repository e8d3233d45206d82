//! Housekeeping: what is kept only for a while is removed once its time is up — expired sessions,
//! expired wizard drafts (with any sealed temporary password a submitted one still holds), and the
//! bodies of undelivered messages whose personal links have expired, and API answers kept for an
//! `Idempotency-Key` past their day, and shared throttle counts that no longer count.

use crate::db::models::api_token::IdempotencyKey;
use crate::db::models::draft::Draft;
use crate::db::models::outbox::OutboxEmail;
use crate::db::models::session::SessionRow;
use crate::db::models::throttle::ThrottleBuckets;
use crate::db::{Db, DbError, now};

/// What one pass removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Removed {
    pub sessions: usize,
    pub drafts: usize,
    pub expired_messages: usize,
    /// API answers kept for an Idempotency-Key past their 24 hours.
    pub idempotency_keys: usize,
    /// Shared throttle counts no longer counting (full buckets, failures forgotten).
    pub throttle_counts: usize,
}

impl Removed {
    pub fn any(&self) -> bool {
        *self != Self::default()
    }
}

/// One pass, in one write (blocking: run it on a blocking thread). `link_ttl` is how long a personal
/// link lives: a message carrying one that is still undelivered after it is given up on.
pub fn run(db: &Db, link_ttl: chrono::Duration) -> Result<Removed, DbError> {
    let wall = crate::auth::throttle::wall_ms();
    let forget = i64::try_from(crate::auth::throttle::FORGET_AFTER.as_millis()).unwrap_or(i64::MAX);
    db.write_blocking(move |conn| {
        Ok::<_, DbError>(Removed {
            sessions: SessionRow::delete_expired(conn)?,
            drafts: Draft::delete_expired(conn)?,
            expired_messages: OutboxEmail::expire_sensitive(conn, now() - link_ttl)?,
            idempotency_keys: IdempotencyKey::delete_old(conn, now())?,
            throttle_counts: ThrottleBuckets::forget_idle(conn, wall, wall - forget)?,
        })
    })
}
