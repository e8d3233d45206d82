//! Webhooks out: each delivery signed per the Standard Webhooks spec (`sign`), sent only to a public
//! address (`target`), by a worker that retries with back-off for three days and switches an
//! endpoint off after that (`worker`). The deliveries are rows queued with the events
//! (`db::models::webhook`).

pub mod sign;
pub mod target;
pub mod worker;

use std::time::Duration;

/// How this instance delivers webhooks.
#[derive(Clone, Debug)]
pub struct WebhookSettings {
    /// This instance delivers (the same switch as the outbox: `OUTBOX_WORKER`).
    pub deliver: bool,
    /// Demo mode: `http://` to a loopback address is allowed (a receiver on the same machine).
    pub allow_loopback: bool,
    pub poll_interval: Duration,
    /// The wait after each failed attempt; when they are used up, the delivery has failed for good.
    pub retry_delays: Vec<Duration>,
    pub timeout: Duration,
    pub lease: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        let m = |n: u64| Duration::from_secs(n * 60);
        Self {
            deliver: true,
            allow_loopback: false,
            poll_interval: Duration::from_secs(1),
            // About three days in all (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 20 h).
            retry_delays: vec![
                Duration::from_secs(5),
                m(5),
                m(30),
                m(120),
                m(300),
                m(600),
                m(840),
                m(1200),
                m(1200),
            ],
            timeout: Duration::from_secs(10),
            lease: Duration::from_secs(120),
        }
    }
}
