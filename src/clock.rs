//! The one clock every business rule and job reads (SPEC.md §2.10): the system's time, or a simulated
//! one (`SIMULATED_NOW`, demo only) that starts at the given instant and runs on from there, or a
//! clock the tests set by hand. It lives in `AppState` and is handed to services; stored times are UTC
//! to the millisecond.
//!
//! Infrastructure times that no rule depends on — session expiry, outbox leases, draft expiry — keep
//! reading the system time (`db::now`): a simulated month must not sign everyone out.

use std::sync::{Arc, RwLock};
use std::time::Instant;

use chrono::{NaiveDateTime, Timelike};

#[derive(Clone, Debug)]
enum Source {
    System,
    /// Started at `at` when the process was at `since`; runs on at the system's pace.
    Simulated {
        at: NaiveDateTime,
        since: Instant,
    },
    /// Stands still until set (tests).
    Fixed(NaiveDateTime),
}

/// Cheap to clone; clones share the same time.
#[derive(Clone, Debug)]
pub struct Clock(Arc<RwLock<Source>>);

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl Clock {
    pub fn system() -> Self {
        Self(Arc::new(RwLock::new(Source::System)))
    }

    /// Starts at `at` and runs on.
    pub fn simulated(at: NaiveDateTime) -> Self {
        Self(Arc::new(RwLock::new(Source::Simulated {
            at,
            since: Instant::now(),
        })))
    }

    /// Stands at `at` until `set` or `advance`.
    pub fn fixed(at: NaiveDateTime) -> Self {
        Self(Arc::new(RwLock::new(Source::Fixed(at))))
    }

    /// Now, UTC, to the millisecond.
    pub fn now(&self) -> NaiveDateTime {
        let source = self.0.read().map(|s| s.clone()).unwrap_or(Source::System);
        let at = match source {
            Source::System => chrono::Utc::now().naive_utc(),
            Source::Simulated { at, since } => {
                at + chrono::Duration::from_std(since.elapsed()).unwrap_or_default()
            }
            Source::Fixed(at) => at,
        };
        truncate_ms(at)
    }

    /// The simulated instant's origin, when the clock is not the system's (for the banner).
    pub fn is_simulated(&self) -> bool {
        !matches!(
            self.0.read().map(|s| s.clone()).unwrap_or(Source::System),
            Source::System
        )
    }

    /// Makes the clock stand at `at` (any clock: tests move a running app's time).
    pub fn set(&self, at: NaiveDateTime) {
        if let Ok(mut source) = self.0.write() {
            *source = Source::Fixed(at);
        }
    }

    /// Moves the clock on by `by` and leaves it standing there.
    pub fn advance(&self, by: chrono::Duration) {
        let at = self.now() + by;
        self.set(at);
    }
}

fn truncate_ms(at: NaiveDateTime) -> NaiveDateTime {
    let ns = at.nanosecond() / 1_000_000 * 1_000_000;
    at.with_nanosecond(ns).unwrap_or(at)
}

/// Parses an RFC 3339 instant (`2027-01-31T09:00:00Z`, any offset) as UTC.
pub fn parse_rfc3339(raw: &str) -> Option<NaiveDateTime> {
    chrono::DateTime::parse_from_rfc3339(raw.trim())
        .ok()
        .map(|t| t.naive_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_stands_still_and_moves_when_told() {
        let at = parse_rfc3339("2028-02-29T23:59:59+08:00").unwrap();
        assert_eq!(at.to_string(), "2028-02-29 15:59:59");
        let clock = Clock::fixed(at);
        assert_eq!(clock.now(), at);
        clock.advance(chrono::Duration::hours(168));
        assert_eq!(clock.now(), at + chrono::Duration::days(7));
        assert!(clock.is_simulated());
        assert!(!Clock::system().is_simulated());
        assert!(parse_rfc3339("2028-02-30T00:00:00Z").is_none());
        assert!(parse_rfc3339("tomorrow").is_none());
    }

    #[test]
    fn a_simulated_clock_runs_on_from_its_start() {
        let at = parse_rfc3339("2030-01-01T00:00:00Z").unwrap();
        let clock = Clock::simulated(at);
        let now = clock.now();
        assert!(now >= at && now < at + chrono::Duration::seconds(5));
    }
}
