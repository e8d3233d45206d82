//! What every handler gets: the database, the settings, the mailer, the throttles, and a way to wake
//! the outbox worker.

use std::sync::Arc;

use tokio::sync::Notify;
use url::Url;

use crate::auth::throttle::Throttle;
use crate::config::Config;
use crate::db::Db;
use crate::email::mailer::Mailer;

pub const SESSION_COOKIE: &str = "pd_session";

/// Shared by every request.
pub struct AppState {
    pub db: Db,
    pub config: Config,
    /// Public address, with no trailing slash: links in emails start with it.
    pub base_url: String,
    /// The same address parsed: the origin a redirect must stay on.
    pub public_url: Url,
    pub mailer: Mailer,
    pub throttle: Throttle,
    /// The one clock business rules and jobs read (`config.clock`, shared).
    pub clock: crate::clock::Clock,
    pub(crate) outbox_wake: Arc<Notify>,
}

impl AppState {
    /// Tells the outbox worker that mail was queued (call after the transaction commits).
    pub fn wake_outbox(&self) {
        self.outbox_wake.notify_one();
    }

    /// `next=` as a place on this dashboard to go to, if it is one (see `auth::safe_next`).
    pub fn safe_next(&self, next: Option<&str>) -> Option<String> {
        crate::auth::safe_next(next, &self.public_url)
    }

    /// The client's address (see `auth::client_address` and `TRUSTED_PROXIES`).
    pub fn client_address(&self, req: &actix_web::HttpRequest) -> Option<std::net::IpAddr> {
        crate::auth::client_address(req, &self.config.trusted_proxies)
    }

    /// Now, by the injected clock.
    pub fn now(&self) -> chrono::NaiveDateTime {
        self.clock.now()
    }

    /// An absolute URL on this dashboard.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
}
