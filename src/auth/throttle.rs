//! Sign-in throttling with `governor`: each attempt spends a token from the account's bucket and from
//! the client address's bucket. An empty bucket refuses the attempt before the password is checked, with a
//! message that is the same whether or not the account exists (the account bucket is keyed by the email
//! typed, known or not). State is per instance and kept in memory.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::ThrottleSettings;

pub struct SignInThrottle {
    accounts: DefaultKeyedRateLimiter<String>,
    addresses: DefaultKeyedRateLimiter<IpAddr>,
}

fn quota(burst: u32, every: std::time::Duration) -> Quota {
    let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(every.max(std::time::Duration::from_millis(1)))
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst)
}

impl SignInThrottle {
    pub fn new(settings: &ThrottleSettings) -> Self {
        Self {
            accounts: RateLimiter::keyed(quota(
                settings.per_account_burst,
                settings.per_account_every,
            )),
            addresses: RateLimiter::keyed(quota(
                settings.per_address_burst,
                settings.per_address_every,
            )),
        }
    }

    /// Spends one attempt for this account and address; false when either is out of attempts.
    pub fn attempt(&self, account: &str, address: Option<IpAddr>) -> bool {
        let address_ok = address.is_none_or(|ip| self.addresses.check_key(&ip).is_ok());
        let account_ok = self.accounts.check_key(&account.to_lowercase()).is_ok();
        address_ok && account_ok
    }

    /// Drops buckets that are full again, so memory does not grow with every email ever typed.
    pub fn forget_idle(&self) {
        self.accounts.retain_recent();
        self.addresses.retain_recent();
        self.accounts.shrink_to_fit();
        self.addresses.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn an_account_runs_out_of_attempts_whatever_the_address() {
        let t = SignInThrottle::new(&ThrottleSettings {
            per_account_burst: 3,
            per_account_every: Duration::from_secs(60),
            per_address_burst: 100,
            per_address_every: Duration::from_secs(1),
        });
        for i in 0..3 {
            assert!(t.attempt("a@example.com", Some(IpAddr::from([10, 0, 0, i]))));
        }
        assert!(!t.attempt("A@example.com", Some(IpAddr::from([10, 0, 0, 9]))));
        assert!(t.attempt("b@example.com", Some(IpAddr::from([10, 0, 0, 9]))));
    }

    #[test]
    fn an_address_runs_out_of_attempts_whatever_the_account() {
        let t = SignInThrottle::new(&ThrottleSettings {
            per_account_burst: 100,
            per_account_every: Duration::from_secs(1),
            per_address_burst: 2,
            per_address_every: Duration::from_secs(60),
        });
        let ip = Some(IpAddr::from([192, 0, 2, 1]));
        assert!(t.attempt("a@example.com", ip));
        assert!(t.attempt("b@example.com", ip));
        assert!(!t.attempt("c@example.com", ip));
    }
}
