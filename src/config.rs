//! Typed settings from flags or the environment, checked once at start-up: a bad setting stops the
//! binary with one line naming it. Secrets (the session key, SMTP credentials) are never logged.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use actix_web::cookie::Key;
use base64::Engine;
use clap::Args;
use lettre::message::Mailbox;
use url::Url;

pub use crate::auth::throttle::{DelayRule, ThrottleSettings};
use crate::db::DatabaseUrl;

/// The settings every command shares. Each flag can also come from the environment variable named.
#[derive(Args, Clone, Debug, Default)]
pub struct Settings {
    /// Database: postgres://… selects PostgreSQL; anything else is a SQLite file.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Directory for the SQLite file, mail files and the generated session key.
    #[arg(long, env = "DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, env = "BIND", global = true)]
    pub bind: Option<String>,
    /// Public address of the dashboard, used in links sent by email.
    #[arg(long, env = "BASE_URL", global = true)]
    pub base_url: Option<String>,
    /// smtps://user:pass@host (TLS), smtp://host:587?tls=required (STARTTLS) or smtp://host:25 (plain,
    /// local relays only); without it, mail is written to files in the data directory.
    #[arg(long, env = "SMTP_URL", global = true, hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Sender of every email, e.g. "Partner Dashboard <no-reply@example.com>".
    #[arg(long, env = "MAIL_FROM", global = true)]
    pub mail_from: Option<String>,
    /// At least 64 bytes, base64; without it, one is generated once and kept in the data directory.
    #[arg(long, env = "SESSION_KEY", global = true, hide_env_values = true)]
    pub session_key: Option<String>,
    /// Domain under which customer tenants are created: <prefix>.<suffix>.
    #[arg(long, env = "TENANT_DOMAIN_SUFFIX", global = true)]
    pub tenant_domain_suffix: Option<String>,
    /// Days a partnership or invitation link stays valid.
    #[arg(long, env = "LINK_TTL_DAYS", global = true)]
    pub link_ttl_days: Option<String>,
    /// Minutes of inactivity after which a session ends.
    #[arg(long, env = "SESSION_IDLE_MINUTES", global = true)]
    pub session_idle_minutes: Option<String>,
    /// Proxies (IP addresses or CIDR ranges, comma-separated) whose X-Forwarded-For is believed; without
    /// it, the client address is the connection's peer.
    #[arg(long, env = "TRUSTED_PROXIES", global = true)]
    pub trusted_proxies: Option<String>,
    /// `on` (the default): this instance delivers the queued mail and webhooks; `off`: it only
    /// queues them, and another instance on the same database delivers them.
    #[arg(long, env = "OUTBOX_WORKER", global = true)]
    pub outbox_worker: Option<String>,
    /// The server's "now" as an RFC 3339 instant (demo only: with `--demo` or
    /// `ALLOW_SIMULATED_CLOCK=true`); the clock runs on from there.
    #[arg(long, env = "SIMULATED_NOW", global = true)]
    pub simulated_now: Option<String>,
    #[arg(long, env = "ALLOW_SIMULATED_CLOCK", global = true)]
    pub allow_simulated_clock: Option<String>,
    /// The bearer token a Prometheus scraper sends to `/metrics` (without it, there is no `/metrics`).
    #[arg(long, env = "METRICS_TOKEN", global = true, hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// An address of its own for `/metrics`, with no token (a port only the scraper can reach).
    #[arg(long, env = "METRICS_BIND", global = true)]
    pub metrics_bind: Option<String>,
    /// Requests per minute one API token may make (600 by default); more get 429 with Retry-After.
    #[arg(long, env = "API_RATE_PER_MINUTE", global = true)]
    pub api_rate_per_minute: Option<String>,
}

#[derive(Clone, Debug)]
pub enum MailTransport {
    /// An SMTP server (lettre URL syntax).
    Smtp(String),
    /// One `.eml` file per message in this directory: the embedded default.
    Files(PathBuf),
    /// Kept in memory: unit tests.
    Memory,
}

/// How the outbox worker paces itself.
#[derive(Clone, Debug)]
pub struct OutboxSettings {
    pub poll_interval: Duration,
    pub first_retry: Duration,
    pub max_retry: Duration,
    pub max_attempts: i32,
    /// How long a claimed message is reserved for the worker that claimed it.
    pub lease: Duration,
    pub smtp_timeout: Duration,
    /// Whether this instance runs the worker (`OUTBOX_WORKER`).
    pub deliver: bool,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(5),
            first_retry: Duration::from_secs(30),
            max_retry: Duration::from_secs(3600),
            max_attempts: 12,
            lease: Duration::from_secs(120),
            smtp_timeout: Duration::from_secs(20),
            deliver: true,
        }
    }
}

#[derive(Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub database_url: DatabaseUrl,
    pub data_dir: PathBuf,
    /// `None`: derived from the bound address once the listener is up.
    pub base_url: Option<Url>,
    pub mail: MailTransport,
    pub mail_from: Mailbox,
    pub session_key: Key,
    pub tenant_domain_suffix: String,
    pub link_ttl: chrono::Duration,
    pub session_idle: Duration,
    pub outbox: OutboxSettings,
    pub throttle: ThrottleSettings,
    pub webhooks: WebhookSettings,
    /// `METRICS_TOKEN`.
    pub metrics_token: Option<String>,
    /// `METRICS_BIND`.
    pub metrics_bind: Option<SocketAddr>,
    /// Load balancers in front of the dashboard: only their `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// `SIMULATED_NOW`, parsed (see `clock`); `clock()` refuses it outside a demo.
    pub simulated_now: Option<chrono::NaiveDateTime>,
    pub allow_simulated_clock: bool,
    /// The clock rules and jobs read (tests set a fixed one).
    pub clock: crate::clock::Clock,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("database_url", &self.database_url.redacted())
            .field("data_dir", &self.data_dir)
            .field("base_url", &self.base_url.as_ref().map(Url::as_str))
            .field(
                "mail",
                &matches!(self.mail, MailTransport::Smtp(_)).then_some("smtp"),
            )
            .field("tenant_domain_suffix", &self.tenant_domain_suffix)
            .finish_non_exhaustive()
    }
}

/// A setting that cannot be used, with the name of the variable to fix.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {message}")]
pub struct ConfigError {
    pub name: &'static str,
    pub message: String,
}

fn bad(name: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        name,
        message: message.into(),
    }
}

impl Config {
    /// Reads the settings; with none at all: SQLite at `data/partner-dashboard.db`, mail to `data/mail/`,
    /// a session key generated once and kept in `data/session.key`.
    pub fn from_settings(s: &Settings) -> Result<Self, ConfigError> {
        let data_dir = s.data_dir.clone().unwrap_or_else(|| PathBuf::from("data"));
        let bind: SocketAddr = s
            .bind
            .as_deref()
            .unwrap_or("127.0.0.1:8080")
            .parse()
            .map_err(|_| bad("BIND", "must be an address like 127.0.0.1:8080"))?;
        let database_url = match &s.database_url {
            Some(raw) => DatabaseUrl::parse(raw).map_err(|m| bad("DATABASE_URL", m))?,
            None => DatabaseUrl::Sqlite(data_dir.join("partner-dashboard.db")),
        };
        let shared_throttles = database_url.is_postgres();
        let base_url = s.base_url.as_deref().map(parse_base_url).transpose()?;
        let mail = match s.smtp_url.as_deref().filter(|u| !u.is_empty()) {
            Some(url) => {
                lettre::SmtpTransport::from_url(url).map_err(|_| {
                    bad(
                        "SMTP_URL",
                        "must look like smtp://user:pass@host:587 or smtps://host",
                    )
                })?;
                MailTransport::Smtp(url.to_owned())
            }
            None => MailTransport::Files(data_dir.join("mail")),
        };
        let mail_from = s
            .mail_from
            .as_deref()
            .unwrap_or("Partner Dashboard <no-reply@partner-dashboard.localhost>")
            .parse::<Mailbox>()
            .map_err(|_| {
                bad(
                    "MAIL_FROM",
                    "must be an address like \"Name <no-reply@example.com>\"",
                )
            })?;
        let session_key = match s.session_key.as_deref() {
            Some(raw) => parse_session_key(raw)?,
            None => load_or_create_session_key(&data_dir)?,
        };
        let tenant_domain_suffix = s
            .tenant_domain_suffix
            .clone()
            .unwrap_or_else(|| "onmicrosoft.com".into())
            .to_ascii_lowercase();
        if !is_domain_name(&tenant_domain_suffix) {
            return Err(bad(
                "TENANT_DOMAIN_SUFFIX",
                "must be a domain name like onmicrosoft.com",
            ));
        }
        let link_ttl_days = parse_number(s.link_ttl_days.as_deref(), 30, "LINK_TTL_DAYS", 1, 365)?;
        let idle_minutes = parse_number(
            s.session_idle_minutes.as_deref(),
            30,
            "SESSION_IDLE_MINUTES",
            1,
            24 * 60,
        )?;
        let api_rate = parse_number(
            s.api_rate_per_minute.as_deref(),
            600,
            "API_RATE_PER_MINUTE",
            1,
            1_000_000,
        )?;
        Ok(Self {
            bind,
            database_url,
            data_dir,
            base_url,
            mail,
            mail_from,
            session_key,
            tenant_domain_suffix,
            link_ttl: chrono::Duration::days(link_ttl_days),
            session_idle: Duration::from_secs(idle_minutes.unsigned_abs() * 60),
            outbox: OutboxSettings {
                deliver: parse_switch(s.outbox_worker.as_deref(), true, "OUTBOX_WORKER")?,
                ..OutboxSettings::default()
            },
            metrics_token: match s.metrics_token.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(t) if t.len() < 16 => {
                    return Err(bad("METRICS_TOKEN", "must be at least 16 characters"));
                }
                Some(t) => Some(t.to_owned()),
            },
            metrics_bind: s
                .metrics_bind
                .as_deref()
                .map(str::trim)
                .filter(|b| !b.is_empty())
                .map(|b| {
                    b.parse()
                        .map_err(|_| bad("METRICS_BIND", "must be an address like 127.0.0.1:9090"))
                })
                .transpose()?,
            webhooks: WebhookSettings {
                deliver: parse_switch(s.outbox_worker.as_deref(), true, "OUTBOX_WORKER")?,
                ..Default::default()
            },
            throttle: ThrottleSettings {
                api_per_token_per_minute: u32::try_from(api_rate).unwrap_or(600),
                // Several instances share a PostgreSQL database; a SQLite file has one.
                shared: shared_throttles,
                ..ThrottleSettings::default()
            },
            trusted_proxies: parse_trusted_proxies(s.trusted_proxies.as_deref())?,
            simulated_now: s
                .simulated_now
                .as_deref()
                .filter(|v| !v.trim().is_empty())
                .map(|raw| {
                    crate::clock::parse_rfc3339(raw).ok_or_else(|| {
                        bad(
                            "SIMULATED_NOW",
                            "must be an RFC 3339 instant like 2027-01-31T09:00:00Z",
                        )
                    })
                })
                .transpose()?,
            allow_simulated_clock: parse_switch(
                s.allow_simulated_clock.as_deref(),
                false,
                "ALLOW_SIMULATED_CLOCK",
            )?,
            clock: crate::clock::Clock::system(),
        })
    }

    /// Sets up the clock: `SIMULATED_NOW` only in a demo (`--demo`) or with
    /// `ALLOW_SIMULATED_CLOCK=true`; anywhere else it is refused.
    pub fn use_simulated_clock(&mut self, demo: bool) -> Result<(), ConfigError> {
        // A demo may post webhooks to a receiver on its own machine.
        self.webhooks.allow_loopback = demo;
        if let Some(at) = self.simulated_now {
            if !demo && !self.allow_simulated_clock {
                return Err(bad(
                    "SIMULATED_NOW",
                    "is only accepted with --demo or ALLOW_SIMULATED_CLOCK=true",
                ));
            }
            self.clock = crate::clock::Clock::simulated(at);
        }
        Ok(())
    }

    /// Whether cookies must be `Secure`: the dashboard is served over https.
    pub fn is_https(&self) -> bool {
        self.base_url
            .as_ref()
            .is_some_and(|u| u.scheme() == "https")
    }
}

fn parse_base_url(raw: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(raw).map_err(|_| {
        bad(
            "BASE_URL",
            "must be a URL like https://partners.example.com",
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(bad(
            "BASE_URL",
            "must be an http:// or https:// URL with a host",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("BASE_URL", "must not have a query or fragment"));
    }
    Ok(url)
}

fn parse_trusted_proxies(raw: Option<&str>) -> Result<Vec<ipnet::IpNet>, ConfigError> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    raw.split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| {
            item.parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    bad(
                        "TRUSTED_PROXIES",
                        "must be IP addresses or CIDR ranges, comma-separated, like 10.0.0.0/8,127.0.0.1",
                    )
                })
        })
        .collect()
}

fn parse_switch(raw: Option<&str>, default: bool, name: &'static str) -> Result<bool, ConfigError> {
    match raw.map(|r| r.trim().to_ascii_lowercase()).as_deref() {
        None => Ok(default),
        Some("on" | "true" | "yes" | "1") => Ok(true),
        Some("off" | "false" | "no" | "0") => Ok(false),
        Some(_) => Err(bad(name, "must be on or off")),
    }
}

fn parse_number(
    raw: Option<&str>,
    default: i64,
    name: &'static str,
    min: i64,
    max: i64,
) -> Result<i64, ConfigError> {
    let Some(raw) = raw else { return Ok(default) };
    match raw.trim().parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(bad(
            name,
            format!("must be a whole number from {min} to {max}"),
        )),
    }
}

fn parse_session_key(raw: &str) -> Result<Key, ConfigError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(raw.trim())
        .map_err(|_| bad("SESSION_KEY", "must be base64"))?;
    if bytes.len() < 64 {
        return Err(bad(
            "SESSION_KEY",
            "must hold at least 64 bytes (base64 of 64 random bytes)",
        ));
    }
    Ok(Key::from(&bytes))
}

fn load_or_create_session_key(data_dir: &Path) -> Result<Key, ConfigError> {
    let path = data_dir.join("session.key");
    match std::fs::read_to_string(&path) {
        Ok(raw) => parse_session_key(&raw).map_err(|e| {
            bad(
                "SESSION_KEY",
                format!("{} in {}", e.message, path.display()),
            )
        }),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let mut bytes = [0u8; 64];
            getrandom::fill(&mut bytes)
                .map_err(|e| bad("SESSION_KEY", format!("no random source: {e}")))?;
            std::fs::create_dir_all(data_dir).map_err(|e| {
                bad(
                    "DATA_DIR",
                    format!("cannot create {}: {e}", data_dir.display()),
                )
            })?;
            // Written whole to a file of its own, then linked into place: the link fails if another
            // process starting at the same moment got there first, and then its key is the key.
            let mut tag = [0u8; 8];
            getrandom::fill(&mut tag)
                .map_err(|e| bad("SESSION_KEY", format!("no random source: {e}")))?;
            let tmp = data_dir.join(format!("session.key.{}", u64::from_le_bytes(tag)));
            let _ = std::fs::remove_file(&tmp);
            let linked = write_private(
                &tmp,
                &base64::engine::general_purpose::STANDARD.encode(bytes),
            )
            .and_then(|()| std::fs::hard_link(&tmp, &path));
            let _ = std::fs::remove_file(&tmp);
            match linked {
                Ok(()) => Ok(Key::from(&bytes)),
                Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                    load_or_create_session_key(data_dir)
                }
                Err(err) => Err(bad(
                    "SESSION_KEY",
                    format!("cannot write {}: {err}", path.display()),
                )),
            }
        }
        Err(err) => Err(bad(
            "SESSION_KEY",
            format!("cannot read {}: {err}", path.display()),
        )),
    }
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

fn is_domain_name(s: &str) -> bool {
    s.contains('.')
        && s.len() <= 200
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(dir: &Path) -> Settings {
        Settings {
            data_dir: Some(dir.to_path_buf()),
            ..Settings::default()
        }
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("pd-config-{name}-{}", crate::db::new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn no_settings_means_the_embedded_default() {
        let dir = temp_dir("default");
        let config = Config::from_settings(&settings(&dir)).unwrap();
        assert_eq!(
            config.database_url,
            DatabaseUrl::Sqlite(dir.join("partner-dashboard.db"))
        );
        assert!(matches!(config.mail, MailTransport::Files(ref p) if p == &dir.join("mail")));
        assert_eq!(config.tenant_domain_suffix, "onmicrosoft.com");
        assert_eq!(config.bind.to_string(), "127.0.0.1:8080");
        // The generated key is kept and reused.
        let again = Config::from_settings(&settings(&dir)).unwrap();
        assert_eq!(config.session_key.master(), again.session_key.master());
        assert!(config.trusted_proxies.is_empty());
    }

    #[test]
    fn processes_starting_at_once_agree_on_the_generated_key() {
        let dir = temp_dir("key-race");
        let keys: Vec<Vec<u8>> = (0..8)
            .map(|_| {
                let dir = dir.clone();
                std::thread::spawn(move || {
                    load_or_create_session_key(&dir).map(|k| k.master().to_vec())
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap().unwrap())
            .collect();
        assert!(keys.windows(2).all(|w| w[0] == w[1]));
    }

    #[test]
    fn the_outbox_worker_runs_unless_switched_off() {
        let dir = temp_dir("worker");
        assert!(
            Config::from_settings(&settings(&dir))
                .unwrap()
                .outbox
                .deliver
        );
        for (raw, deliver) in [
            ("off", false),
            ("OFF", false),
            ("on", true),
            ("false", false),
        ] {
            let config = Config::from_settings(&Settings {
                outbox_worker: Some(raw.into()),
                ..settings(&dir)
            })
            .unwrap();
            assert_eq!(config.outbox.deliver, deliver, "{raw}");
        }
        assert!(
            Config::from_settings(&Settings {
                outbox_worker: Some("sometimes".into()),
                ..settings(&dir)
            })
            .is_err()
        );
    }

    #[test]
    fn trusted_proxies_are_addresses_and_ranges() {
        let dir = temp_dir("proxies");
        let config = Config::from_settings(&Settings {
            trusted_proxies: Some("10.0.0.0/8, 127.0.0.1,::1".into()),
            ..settings(&dir)
        })
        .unwrap();
        let shown: Vec<String> = config
            .trusted_proxies
            .iter()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(shown, vec!["10.0.0.0/8", "127.0.0.1/32", "::1/128"]);
    }

    #[test]
    fn bad_settings_name_the_variable() {
        let dir = temp_dir("bad");
        let cases: Vec<(Settings, &str)> = vec![
            (
                Settings {
                    bind: Some("nowhere".into()),
                    ..settings(&dir)
                },
                "BIND",
            ),
            (
                Settings {
                    base_url: Some("ftp://x".into()),
                    ..settings(&dir)
                },
                "BASE_URL",
            ),
            (
                Settings {
                    database_url: Some("mysql://x".into()),
                    ..settings(&dir)
                },
                "DATABASE_URL",
            ),
            (
                Settings {
                    session_key: Some("c2hvcnQ=".into()),
                    ..settings(&dir)
                },
                "SESSION_KEY",
            ),
            (
                Settings {
                    smtp_url: Some("http://x".into()),
                    ..settings(&dir)
                },
                "SMTP_URL",
            ),
            (
                Settings {
                    mail_from: Some("not an address".into()),
                    ..settings(&dir)
                },
                "MAIL_FROM",
            ),
            (
                Settings {
                    tenant_domain_suffix: Some("no spaces.com x".into()),
                    ..settings(&dir)
                },
                "TENANT_DOMAIN_SUFFIX",
            ),
            (
                Settings {
                    link_ttl_days: Some("0".into()),
                    ..settings(&dir)
                },
                "LINK_TTL_DAYS",
            ),
            (
                Settings {
                    trusted_proxies: Some("10.0.0.0/8, load-balancer".into()),
                    ..settings(&dir)
                },
                "TRUSTED_PROXIES",
            ),
        ];
        for (s, name) in cases {
            let err = Config::from_settings(&s).unwrap_err();
            assert_eq!(err.name, name);
            assert!(err.to_string().starts_with(name));
        }
    }
}

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
