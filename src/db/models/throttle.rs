//! The throttles' counts in the database, shared by every instance on it (`auth::throttle`, the
//! shared store). Keys are digests made by the caller; times are milliseconds of the wall clock.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{throttle_buckets, throttle_failures};

pub struct ThrottleFailures;

impl ThrottleFailures {
    /// `(key, failures, last failure)` of those keys that failed since `since_ms`.
    pub fn of(
        conn: &mut DbConnection,
        keys: &[String],
        since_ms: i64,
    ) -> QueryResult<Vec<(String, i32, i64)>> {
        use throttle_failures::dsl as f;
        f::throttle_failures
            .filter(f::key.eq_any(keys))
            .filter(f::last_at_ms.ge(since_ms))
            .select((f::key, f::failures, f::last_at_ms))
            .load(conn)
    }

    /// One more failure for each key (in the caller's transaction); a count whose last failure is
    /// older than `forget_before_ms` starts again.
    pub fn fail(
        conn: &mut DbConnection,
        keys: &[String],
        now_ms: i64,
        forget_before_ms: i64,
    ) -> QueryResult<()> {
        use throttle_failures::dsl as f;
        diesel::delete(
            f::throttle_failures
                .filter(f::key.eq_any(keys))
                .filter(f::last_at_ms.lt(forget_before_ms)),
        )
        .execute(conn)?;
        for key in keys {
            on_each_backend!(&mut *conn, |c| diesel::insert_into(f::throttle_failures)
                .values((f::key.eq(key), f::failures.eq(1), f::last_at_ms.eq(now_ms)))
                .on_conflict(f::key)
                .do_update()
                .set((f::failures.eq(f::failures + 1), f::last_at_ms.eq(now_ms)))
                .execute(c))?;
        }
        Ok(())
    }

    pub fn clear(conn: &mut DbConnection, keys: &[String]) -> QueryResult<usize> {
        use throttle_failures::dsl as f;
        diesel::delete(f::throttle_failures.filter(f::key.eq_any(keys))).execute(conn)
    }
}

pub struct ThrottleBuckets;

impl ThrottleBuckets {
    /// Spends one request from `key`'s bucket (in the caller's transaction): a bucket of `burst`
    /// requests refilled one per `interval_ms` (GCRA: the row keeps when the bucket is full again, as
    /// the time the next request would be due with none spent). `None` when the request may go; how
    /// many milliseconds to wait otherwise (and nothing is spent).
    pub fn spend(
        conn: &mut DbConnection,
        key: &str,
        now_ms: i64,
        interval_ms: i64,
        burst: i64,
    ) -> QueryResult<Option<i64>> {
        use throttle_buckets::dsl as b;
        // A bucket that refilled starts from now (this also locks an existing row on PostgreSQL until
        // the transaction ends, so two instances spend from one bucket in turn).
        diesel::update(b::throttle_buckets.find(key))
            .filter(b::due_at_ms.lt(now_ms))
            .set(b::due_at_ms.eq(now_ms))
            .execute(conn)?;
        on_each_backend!(&mut *conn, |c| diesel::insert_into(b::throttle_buckets)
            .values((b::key.eq(key), b::due_at_ms.eq(now_ms + interval_ms)))
            .on_conflict(b::key)
            .do_update()
            .set(b::due_at_ms.eq(b::due_at_ms + interval_ms))
            .execute(c))?;
        let due: i64 = b::throttle_buckets
            .find(key)
            .select(b::due_at_ms)
            .first(conn)?;
        let over = due - interval_ms * burst - now_ms;
        if over <= 0 {
            return Ok(None);
        }
        diesel::update(b::throttle_buckets.find(key))
            .set(b::due_at_ms.eq(b::due_at_ms - interval_ms))
            .execute(conn)?;
        Ok(Some(over))
    }

    /// Forgets buckets full again by `now_ms` and failures older than `forget_before_ms`
    /// (housekeeping).
    pub fn forget_idle(
        conn: &mut DbConnection,
        now_ms: i64,
        forget_before_ms: i64,
    ) -> QueryResult<usize> {
        let buckets =
            diesel::delete(throttle_buckets::table.filter(throttle_buckets::due_at_ms.lt(now_ms)))
                .execute(conn)?;
        let failures = diesel::delete(
            throttle_failures::table.filter(throttle_failures::last_at_ms.lt(forget_before_ms)),
        )
        .execute(conn)?;
        Ok(buckets + failures)
    }
}
