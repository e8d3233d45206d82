//! Throttling of the forms that guess or claim accounts, and of API tokens.
//!
//! On PostgreSQL, where several instances share one database, the counts live in the database
//! (`db::models::throttle`), so N instances do not allow N times the attempts; on SQLite (one
//! instance per database file) they are kept in memory.
//!
//! - **Sign-in** counts failures only. A few failures are free; after them each further failure makes
//!   the next attempt wait, twice as long each time, up to a cap, so guessing slows to a crawl while the
//!   rightful user is delayed, never locked out for good. Failures are counted per account and client
//!   address (one address guessing at an account slows only itself), per account across addresses (a
//!   botnet, with a far higher threshold and a short cap), and per address across accounts (credential
//!   stuffing). A success clears its account's counts; the answer for an unknown account is the same.
//! - **Sign-up and enrollment** spend a token per attempt from the client address's bucket and from the
//!   email's (`governor`), so addresses and domains cannot be probed or squatted at speed.
//!
//! Every refusal says how long to wait (`Retry-After`).

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::db::models::throttle::{ThrottleBuckets, ThrottleFailures};
use crate::db::{Db, DbError};

/// Limits on guessing and claiming accounts .
#[derive(Clone, Debug)]
pub struct ThrottleSettings {
    /// Sign-in failures for one account from one address.
    pub account_and_address: DelayRule,
    /// Sign-in failures for one account from anywhere: a higher threshold, a short cap.
    pub account: DelayRule,
    /// Sign-in failures from one address, whatever the account.
    pub address: DelayRule,
    pub sign_up_per_address_burst: u32,
    pub sign_up_per_address_every: Duration,
    pub sign_up_per_email_burst: u32,
    pub sign_up_per_email_every: Duration,
    /// API requests per minute per token (a burst of as many, refilled evenly).
    pub api_per_token_per_minute: u32,
    /// Keep the counts in the database, shared by the instances on it (on for PostgreSQL).
    pub shared: bool,
}

impl Default for ThrottleSettings {
    fn default() -> Self {
        Self {
            account_and_address: DelayRule {
                free: 5,
                first: Duration::from_secs(1),
                max: Duration::from_secs(15 * 60),
            },
            account: DelayRule {
                free: 50,
                first: Duration::from_secs(1),
                max: Duration::from_secs(60),
            },
            address: DelayRule {
                free: 100,
                first: Duration::from_secs(1),
                max: Duration::from_secs(15 * 60),
            },
            sign_up_per_address_burst: 10,
            sign_up_per_address_every: Duration::from_secs(60),
            sign_up_per_email_burst: 3,
            sign_up_per_email_every: Duration::from_secs(10 * 60),
            api_per_token_per_minute: 600,
            shared: false,
        }
    }
}

/// Failures forgotten after this long without another.
pub const FORGET_AFTER: Duration = Duration::from_secs(3600);

/// How long a delay rule makes the next attempt wait after `failures` failures.
#[derive(Clone, Copy, Debug)]
pub struct DelayRule {
    /// Failures that cost nothing.
    pub free: u32,
    /// The first delay; each further failure doubles it…
    pub first: Duration,
    /// …up to this.
    pub max: Duration,
}

impl DelayRule {
    fn delay(&self, failures: u32) -> Duration {
        if failures < self.free {
            return Duration::ZERO;
        }
        let doublings = (failures - self.free).min(30);
        self.first.saturating_mul(1u32 << doublings).min(self.max)
    }
}

#[derive(Clone, Copy, Debug)]
struct Failures {
    count: u32,
    last: Instant,
}

/// Failure counts under one delay rule.
struct FailureLog<K> {
    rule: DelayRule,
    entries: Mutex<HashMap<K, Failures>>,
}

impl<K: Hash + Eq + Clone> FailureLog<K> {
    fn new(rule: DelayRule) -> Self {
        Self {
            rule,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, Failures>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How long `key` must still wait before its next attempt.
    fn wait(&self, key: &K, now: Instant) -> Duration {
        match self.lock().get(key) {
            Some(f) if now.duration_since(f.last) < FORGET_AFTER => {
                let until = f.last + self.rule.delay(f.count);
                until.saturating_duration_since(now)
            }
            _ => Duration::ZERO,
        }
    }

    fn fail(&self, key: K, now: Instant) {
        let mut entries = self.lock();
        let entry = entries.entry(key).or_insert(Failures {
            count: 0,
            last: now,
        });
        if now.duration_since(entry.last) >= FORGET_AFTER {
            entry.count = 0;
        }
        entry.count = entry.count.saturating_add(1);
        entry.last = now;
    }

    fn clear(&self, key: &K) {
        self.lock().remove(key);
    }

    fn forget_idle(&self, now: Instant) {
        self.lock()
            .retain(|_, f| now.duration_since(f.last) < FORGET_AFTER);
    }
}

fn quota(burst: u32, every: Duration) -> Quota {
    let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(every.max(Duration::from_millis(1)))
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst)
}

/// The wait `governor` asks for, if the key's bucket is empty (the check spends a token otherwise).
fn spend<K: Hash + Eq + Clone>(limiter: &DefaultKeyedRateLimiter<K>, key: &K) -> Duration {
    match limiter.check_key(key) {
        Ok(()) => Duration::ZERO,
        Err(not_until) => not_until.wait_time_from(DefaultClock::default().now()),
    }
}

/// How long to wait before the next attempt.
pub type Wait = Duration;

/// The counts of one instance, in memory.
struct Memory {
    account_and_address: FailureLog<(String, Option<IpAddr>)>,
    account: FailureLog<String>,
    address: FailureLog<IpAddr>,
    sign_up_addresses: DefaultKeyedRateLimiter<IpAddr>,
    sign_up_emails: DefaultKeyedRateLimiter<String>,
    api_tokens: DefaultKeyedRateLimiter<i64>,
}

fn account_key(email: &str) -> String {
    email.trim().to_lowercase()
}

impl Memory {
    fn new(settings: &ThrottleSettings) -> Self {
        Self {
            account_and_address: FailureLog::new(settings.account_and_address),
            account: FailureLog::new(settings.account),
            address: FailureLog::new(settings.address),
            sign_up_addresses: RateLimiter::keyed(quota(
                settings.sign_up_per_address_burst,
                settings.sign_up_per_address_every,
            )),
            sign_up_emails: RateLimiter::keyed(quota(
                settings.sign_up_per_email_burst,
                settings.sign_up_per_email_every,
            )),
            api_tokens: RateLimiter::keyed(quota(
                settings.api_per_token_per_minute,
                Duration::from_secs(60) / settings.api_per_token_per_minute.max(1),
            )),
        }
    }

    fn sign_in_wait_at(&self, email: &str, address: Option<IpAddr>, now: Instant) -> Option<Wait> {
        let account = account_key(email);
        let mut wait = self
            .account_and_address
            .wait(&(account.clone(), address), now)
            .max(self.account.wait(&account, now));
        if let Some(ip) = address {
            wait = wait.max(self.address.wait(&ip, now));
        }
        (!wait.is_zero()).then_some(wait)
    }

    fn sign_in_failed_at(&self, email: &str, address: Option<IpAddr>, now: Instant) {
        let account = account_key(email);
        self.account_and_address
            .fail((account.clone(), address), now);
        self.account.fail(account, now);
        if let Some(ip) = address {
            self.address.fail(ip, now);
        }
    }

    fn sign_in_succeeded(&self, email: &str, address: Option<IpAddr>) {
        let account = account_key(email);
        self.account_and_address.clear(&(account.clone(), address));
        self.account.clear(&account);
    }

    fn sign_up_wait(&self, email: &str, address: Option<IpAddr>) -> Option<Wait> {
        let by_address = address.map_or(Duration::ZERO, |ip| spend(&self.sign_up_addresses, &ip));
        let by_email = spend(&self.sign_up_emails, &account_key(email));
        let wait = by_address.max(by_email);
        (!wait.is_zero()).then_some(wait)
    }

    fn api_wait(&self, token_id: i64) -> Option<Wait> {
        let wait = spend(&self.api_tokens, &token_id);
        (!wait.is_zero()).then_some(wait)
    }

    fn forget_idle(&self) {
        let now = Instant::now();
        self.account_and_address.forget_idle(now);
        self.account.forget_idle(now);
        self.address.forget_idle(now);
        self.sign_up_addresses.retain_recent();
        self.sign_up_emails.retain_recent();
        self.api_tokens.retain_recent();
        self.api_tokens.shrink_to_fit();
        self.sign_up_addresses.shrink_to_fit();
        self.sign_up_emails.shrink_to_fit();
    }
}

/// The counts in the database, shared by every instance on it: the same rules as `Memory`.
struct Shared {
    db: Db,
    settings: ThrottleSettings,
}

/// A key as stored: a digest of what it counts, so no typed text (an email, perhaps a password typed
/// in its place) is kept.
fn digest(kind: &str, value: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    hash.update(kind.as_bytes());
    hash.update([0]);
    hash.update(value.as_bytes());
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Milliseconds since 1970 by the wall clock (throttles are about real time, not the business clock).
pub fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn duration_ms(ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

impl Shared {
    /// The three sign-in keys with their rules: account and address, account, address.
    fn sign_in_keys(email: &str, address: Option<IpAddr>) -> Vec<String> {
        let account = account_key(email);
        let ip = address.map(|ip| ip.to_string());
        let mut keys = vec![
            digest(
                "sign-in:account+address",
                &format!("{account}|{}", ip.as_deref().unwrap_or("-")),
            ),
            digest("sign-in:account", &account),
        ];
        if let Some(ip) = ip {
            keys.push(digest("sign-in:address", &ip));
        }
        keys
    }

    async fn sign_in_wait(
        &self,
        email: &str,
        address: Option<IpAddr>,
    ) -> Result<Option<Wait>, DbError> {
        let keys = Self::sign_in_keys(email, address);
        let rules = [
            self.settings.account_and_address,
            self.settings.account,
            self.settings.address,
        ];
        let now = wall_ms();
        let since = now - ms(FORGET_AFTER);
        let wanted = keys.clone();
        let found = self
            .db
            .query(move |conn| ThrottleFailures::of(conn, &wanted, since))
            .await?;
        let mut wait = 0_i64;
        for (key, failures, last) in found {
            if let Some(i) = keys.iter().position(|k| *k == key) {
                let delay = rules[i].delay(u32::try_from(failures).unwrap_or(0));
                wait = wait.max(last + ms(delay) - now);
            }
        }
        Ok((wait > 0).then(|| duration_ms(wait)))
    }

    async fn sign_in_failed(&self, email: &str, address: Option<IpAddr>) -> Result<(), DbError> {
        let keys = Self::sign_in_keys(email, address);
        let now = wall_ms();
        let forget = now - ms(FORGET_AFTER);
        self.db
            .write(move |conn| {
                ThrottleFailures::fail(conn, &keys, now, forget).map_err(DbError::from)
            })
            .await
    }

    async fn sign_in_succeeded(&self, email: &str, address: Option<IpAddr>) -> Result<(), DbError> {
        let mut keys = Self::sign_in_keys(email, address);
        keys.truncate(2);
        self.db
            .write(move |conn| {
                ThrottleFailures::clear(conn, &keys)
                    .map(|_| ())
                    .map_err(DbError::from)
            })
            .await
    }

    /// Spends one request from each bucket `(key, burst, every)`; the longest wait if any is empty.
    async fn spend(&self, buckets: Vec<(String, u32, Duration)>) -> Result<Option<Wait>, DbError> {
        let now = wall_ms();
        let wait = self
            .db
            .write(move |conn| {
                let mut wait = 0;
                for (key, burst, every) in &buckets {
                    let refused = ThrottleBuckets::spend(
                        conn,
                        key,
                        now,
                        ms(*every).max(1),
                        i64::from((*burst).max(1)),
                    )?;
                    wait = wait.max(refused.unwrap_or(0));
                }
                Ok::<_, DbError>(wait)
            })
            .await?;
        Ok((wait > 0).then(|| duration_ms(wait)))
    }
}

enum Store {
    Memory(Box<Memory>),
    Shared(Box<Shared>),
}

/// The throttles of this instance: in memory, or shared through the database (`ThrottleSettings::shared`).
pub struct Throttle {
    store: Store,
}

impl Throttle {
    /// Counts kept in this instance's memory.
    pub fn new(settings: &ThrottleSettings) -> Self {
        Self {
            store: Store::Memory(Box::new(Memory::new(settings))),
        }
    }

    /// As the settings say: shared through `db`, or in memory.
    pub fn for_database(settings: &ThrottleSettings, db: &Db) -> Self {
        if settings.shared {
            Self {
                store: Store::Shared(Box::new(Shared {
                    db: db.clone(),
                    settings: settings.clone(),
                })),
            }
        } else {
            Self::new(settings)
        }
    }

    /// A throttle that cannot read its counts lets the attempt through (the sign-in itself then needs
    /// the same database) and says so in the log.
    fn or_let_through<T: Default>(result: Result<T, DbError>, what: &str) -> T {
        result.unwrap_or_else(|err| {
            tracing::warn!(error = ?err, what, "throttle counts unavailable");
            T::default()
        })
    }

    fn counted(wait: Option<Wait>) -> Option<Wait> {
        if wait.is_some() {
            crate::metrics::count("throttled_requests");
        }
        wait
    }

    /// Whether a sign-in for `email` from `address` may be checked now; otherwise how long to wait.
    pub async fn sign_in_wait(&self, email: &str, address: Option<IpAddr>) -> Option<Wait> {
        Self::counted(match &self.store {
            Store::Memory(m) => m.sign_in_wait_at(email, address, Instant::now()),
            Store::Shared(s) => {
                Self::or_let_through(s.sign_in_wait(email, address).await, "sign-in")
            }
        })
    }

    /// A wrong password (or an unknown account).
    pub async fn sign_in_failed(&self, email: &str, address: Option<IpAddr>) {
        crate::metrics::count("sign_in_failures");
        match &self.store {
            Store::Memory(m) => m.sign_in_failed_at(email, address, Instant::now()),
            Store::Shared(s) => {
                Self::or_let_through(s.sign_in_failed(email, address).await, "sign-in")
            }
        }
    }

    /// A successful sign-in clears its account's failures (not the address's: signing in to one's
    /// own account must not buy more guesses at others).
    pub async fn sign_in_succeeded(&self, email: &str, address: Option<IpAddr>) {
        match &self.store {
            Store::Memory(m) => m.sign_in_succeeded(email, address),
            Store::Shared(s) => {
                Self::or_let_through(s.sign_in_succeeded(email, address).await, "sign-in");
            }
        }
    }

    /// Spends a sign-up or enrollment attempt for this address and email; how long to wait when either
    /// is out of attempts.
    pub async fn sign_up_wait(&self, email: &str, address: Option<IpAddr>) -> Option<Wait> {
        Self::counted(match &self.store {
            Store::Memory(m) => m.sign_up_wait(email, address),
            Store::Shared(s) => {
                let t = &s.settings;
                let mut buckets = vec![(
                    digest("sign-up:email", &account_key(email)),
                    t.sign_up_per_email_burst,
                    t.sign_up_per_email_every,
                )];
                if let Some(ip) = address {
                    buckets.push((
                        digest("sign-up:address", &ip.to_string()),
                        t.sign_up_per_address_burst,
                        t.sign_up_per_address_every,
                    ));
                }
                Self::or_let_through(s.spend(buckets).await, "sign-up")
            }
        })
    }

    /// Spends one of an API token's requests; how long to wait when it has none left.
    pub async fn api_wait(&self, token_id: i64) -> Option<Wait> {
        Self::counted(match &self.store {
            Store::Memory(m) => m.api_wait(token_id),
            Store::Shared(s) => {
                let per_minute = s.settings.api_per_token_per_minute.max(1);
                let bucket = (
                    digest("api", &token_id.to_string()),
                    per_minute,
                    Duration::from_secs(60) / per_minute,
                );
                Self::or_let_through(s.spend(vec![bucket]).await, "api")
            }
        })
    }

    /// Drops what is no longer needed, so memory does not grow with every email ever typed (the
    /// shared counts are forgotten by housekeeping).
    pub fn forget_idle(&self) {
        if let Store::Memory(m) = &self.store {
            m.forget_idle();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> ThrottleSettings {
        ThrottleSettings {
            account_and_address: DelayRule {
                free: 3,
                first: Duration::from_secs(1),
                max: Duration::from_secs(60),
            },
            account: DelayRule {
                free: 10,
                first: Duration::from_secs(1),
                max: Duration::from_secs(5),
            },
            address: DelayRule {
                free: 100,
                first: Duration::from_secs(1),
                max: Duration::from_secs(60),
            },
            ..ThrottleSettings::default()
        }
    }

    const ME: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1)));
    const ATTACKER: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 9)));

    #[test]
    fn delays_grow_after_the_free_failures_and_stop_at_the_cap() {
        let rule = settings().account_and_address;
        let delays: Vec<u64> = (0..12).map(|f| rule.delay(f).as_secs()).collect();
        assert_eq!(delays, vec![0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60]);
    }

    #[test]
    fn failures_make_the_next_attempt_wait_and_the_wait_ends() {
        let t = Memory::new(&settings());
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(t.sign_in_wait_at("a@example.com", ME, start), None);
            t.sign_in_failed_at("a@example.com", ME, start);
        }
        // The fourth attempt waits a second, whatever the case of the email typed.
        assert_eq!(
            t.sign_in_wait_at("A@Example.com", ME, start),
            Some(Duration::from_secs(1))
        );
        let later = start + Duration::from_secs(1);
        assert_eq!(t.sign_in_wait_at("a@example.com", ME, later), None);
        t.sign_in_failed_at("a@example.com", ME, later);
        assert_eq!(
            t.sign_in_wait_at("a@example.com", ME, later),
            Some(Duration::from_secs(2))
        );
    }

    #[test]
    fn an_attacker_slows_only_its_own_address_until_the_account_wide_threshold() {
        let t = Memory::new(&settings());
        let now = Instant::now();
        for _ in 0..9 {
            t.sign_in_failed_at("a@example.com", ATTACKER, now);
        }
        assert!(t.sign_in_wait_at("a@example.com", ATTACKER, now).is_some());
        assert_eq!(t.sign_in_wait_at("a@example.com", ME, now), None);
        // Past the account-wide threshold everyone waits, but never longer than its short cap.
        for _ in 0..20 {
            t.sign_in_failed_at("a@example.com", ATTACKER, now);
        }
        assert_eq!(
            t.sign_in_wait_at("a@example.com", ME, now),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            t.sign_in_wait_at("a@example.com", ME, now + Duration::from_secs(5)),
            None
        );
    }

    #[test]
    fn a_success_clears_the_accounts_failures_but_not_the_addresss() {
        let t = Memory::new(&ThrottleSettings {
            address: DelayRule {
                free: 2,
                first: Duration::from_secs(10),
                max: Duration::from_secs(10),
            },
            ..settings()
        });
        let now = Instant::now();
        t.sign_in_failed_at("a@example.com", ME, now);
        t.sign_in_failed_at("b@example.com", ME, now);
        t.sign_in_succeeded("a@example.com", ME);
        assert_eq!(
            t.sign_in_wait_at("c@example.com", ME, now),
            Some(Duration::from_secs(10))
        );
    }

    #[test]
    fn sign_ups_are_limited_per_address_and_per_email() {
        let t = Memory::new(&ThrottleSettings {
            sign_up_per_address_burst: 2,
            sign_up_per_address_every: Duration::from_secs(60),
            sign_up_per_email_burst: 1,
            sign_up_per_email_every: Duration::from_secs(600),
            ..settings()
        });
        assert_eq!(t.sign_up_wait("a@example.com", ME), None);
        let again = t.sign_up_wait("A@example.com", ATTACKER).unwrap();
        assert!(again > Duration::from_secs(500), "{again:?}");
        assert_eq!(t.sign_up_wait("b@example.com", ME), None);
        assert!(t.sign_up_wait("c@example.com", ME).is_some());
    }
}
