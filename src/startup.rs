//! `Application::build` wires everything: database, mail, background tasks, middleware and routes, and
//! binds the listener (port 0 in tests). The binary and the tests start the app the same way.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_session::SessionMiddleware;
use actix_session::config::{BrowserSession, CookieContentSecurity, TtlExtensionPolicy};
use actix_web::cookie::SameSite;
use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use tokio::sync::Notify;
use url::Url;

use crate::auth::csrf::{AnonymousToken, CsrfGuard};
use crate::auth::session_store::DbSessionStore;
use crate::auth::throttle::Throttle;
use crate::config::Config;
use crate::db::{Checkpoint, Db};
use crate::email::mailer::Mailer;
use crate::email::worker::OutboxWorker;
use crate::shutdown::{StopSignal, Stopping};
pub use crate::state::{AppState, SESSION_COOKIE};

pub struct Application {
    port: u16,
    server: Server,
    /// `/metrics` on `METRICS_BIND`, when set.
    metrics: Option<(Server, u16)>,
    state: web::Data<AppState>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    stop: StopSignal,
}

/// How long requests in flight may take to finish once SIGTERM came (then they are cut off).
const IN_FLIGHT_GRACE_SECS: u64 = 30;
/// How long the background tasks may take to finish the message or run in hand.
const TASKS_GRACE: Duration = Duration::from_secs(30);

/// How many HTTP worker threads; tests use one to keep many apps light.
#[derive(Clone, Copy, Debug)]
pub struct Workers(pub usize);

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        Self::build_with(config, None).await
    }

    pub async fn build_with(config: Config, workers: Option<Workers>) -> anyhow::Result<Self> {
        crate::i18n::init().map_err(|e| anyhow::anyhow!(e))?;
        let db_url = config.database_url.clone();
        let db = tokio::task::spawn_blocking(move || Db::connect(&db_url))
            .await
            .context("database start-up task failed")??;

        let listener = TcpListener::bind(config.bind)
            .with_context(|| format!("cannot listen on {}", config.bind))?;
        let address = listener.local_addr().context("listener has no address")?;
        let base_url = match &config.base_url {
            Some(url) => url.as_str().trim_end_matches('/').to_owned(),
            None => {
                let host = if address.ip().is_unspecified() {
                    "localhost".to_owned()
                } else {
                    address.ip().to_string()
                };
                format!("http://{host}:{}", address.port())
            }
        };
        let mut config = config;
        let public_url = match &config.base_url {
            Some(url) => url.clone(),
            None => Url::parse(&base_url).context("derived base URL is invalid")?,
        };
        config.base_url = Some(public_url.clone());

        let mailer = Mailer::from_config(&config.mail, config.outbox.smtp_timeout)?;
        let outbox_wake = Arc::new(Notify::new());
        let state = web::Data::new(AppState {
            db: db.clone(),
            throttle: Throttle::for_database(&config.throttle, &db),
            clock: config.clock.clone(),
            base_url,
            public_url,
            mailer: mailer.clone(),
            outbox_wake: outbox_wake.clone(),
            config,
        });

        let worker = OutboxWorker::new(
            db.clone(),
            mailer,
            state.config.mail_from.clone(),
            state.config.outbox.clone(),
            outbox_wake,
        );
        let (stop, stopping) = StopSignal::new();
        let mut tasks = Vec::new();
        if state.config.outbox.deliver {
            tasks.push(tokio::spawn(worker.run(stopping.clone())));
        }
        if state.config.webhooks.deliver {
            let webhooks = crate::webhooks::worker::WebhookWorker::new(
                db.clone(),
                state.config.webhooks.clone(),
                state.config.session_key.clone(),
                state.base_url.clone(),
            );
            tasks.push(tokio::spawn(webhooks.run(stopping.clone())));
        }
        tasks.push(tokio::spawn(housekeeping(state.clone(), stopping.clone())));
        tasks.push(tokio::spawn(jobs(state.clone(), stopping.clone())));
        if !db.url().is_postgres() {
            tasks.push(tokio::spawn(checkpoints(db.clone(), stopping)));
        }

        let metrics = match state.config.metrics_bind {
            Some(bind) => Some(Self::metrics_server(bind, state.clone())?),
            None => None,
        };
        let server = Self::server(listener, state.clone(), workers)?;
        tracing::info!(address = %address, base_url = %state.base_url, database = %state.db.url().redacted(), "listening");
        Ok(Self {
            port: address.port(),
            server,
            metrics,
            state,
            tasks,
            stop,
        })
    }

    /// A listener of its own that serves `/metrics` only, with no token.
    fn metrics_server(
        bind: std::net::SocketAddr,
        state: web::Data<AppState>,
    ) -> anyhow::Result<(Server, u16)> {
        let listener = TcpListener::bind(bind)
            .with_context(|| format!("METRICS_BIND: cannot listen on {bind}"))?;
        let port = listener
            .local_addr()
            .context("listener has no address")?
            .port();
        let server = HttpServer::new(move || {
            App::new().app_data(state.clone()).route(
                "/metrics",
                web::get().to(crate::routes::health::metrics_on_own_port),
            )
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(1)
        .listen(listener)
        .context("cannot start the metrics server")?
        .run();
        Ok((server, port))
    }

    fn server(
        listener: TcpListener,
        state: web::Data<AppState>,
        workers: Option<Workers>,
    ) -> anyhow::Result<Server> {
        let session_key = state.config.session_key.clone();
        let secure = state.config.is_https();
        let idle = actix_web::cookie::time::Duration::seconds(
            i64::try_from(state.config.session_idle.as_secs()).unwrap_or(i64::MAX),
        );
        let base_url = state.config.base_url.clone();
        let store = DbSessionStore::new(state.db.clone());
        let blocking_threads = usize::try_from(state.db.max_connections()).unwrap_or(64) + 2;
        let mut server = HttpServer::new(move || {
            let sessions = SessionMiddleware::builder(store.clone(), session_key.clone())
                .cookie_name(SESSION_COOKIE.to_owned())
                .cookie_http_only(true)
                .cookie_same_site(SameSite::Lax)
                .cookie_secure(secure)
                .cookie_content_security(CookieContentSecurity::Private)
                .session_lifecycle(
                    BrowserSession::default()
                        .state_ttl(idle)
                        .state_ttl_extension_policy(TtlExtensionPolicy::OnStateChanges),
                )
                .build();
            App::new()
                .app_data(state.clone())
                // The auth extractor reads the database on its own, below the app's state.
                .app_data(web::Data::new(state.db.clone()))
                .app_data(crate::routes::form_config())
                .app_data(crate::routes::query_config())
                .app_data(crate::routes::path_config())
                .route("/metrics", web::get().to(crate::routes::health::metrics))
                .configure(crate::api::configure)
                .configure(crate::routes::configure)
                .default_service(web::to(crate::routes::errors::not_found))
                // Innermost first: CSRF check, then error pages (which need the session), the anonymous
                // CSRF token (error pages have forms too), then sessions.
                .wrap(CsrfGuard::new(base_url.as_ref()))
                .wrap(crate::routes::errors::ErrorPages)
                .wrap(AnonymousToken::new(session_key.clone(), secure))
                .wrap(sessions)
                .wrap(crate::routes::security_headers(secure))
                .wrap(actix_web::middleware::from_fn(crate::telemetry::access_log))
        })
        // SIGTERM: stop accepting, give the requests in flight this long (`run_until_stopped`).
        .shutdown_timeout(IN_FLIGHT_GRACE_SECS)
        // Every query runs on a worker's blocking pool. More threads than connections only wait on the
        // pool (and on each other, in the kernel); a few spare threads keep password hashing (sign-in)
        // from holding up the queries.
        .worker_max_blocking_threads(blocking_threads);
        if let Some(Workers(n)) = workers {
            server = server.workers(n.max(1));
        }
        Ok(server
            .listen(listener)
            .context("cannot start the HTTP server")?
            .run())
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The `METRICS_BIND` listener's port, when there is one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(_, port)| *port)
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Serves until SIGTERM (or SIGINT): then no new connection is accepted and the requests in flight
    /// finish (up to 30 s); the outbox and webhook workers finish the message in hand and the jobs
    /// their run (up to 30 s more); every write queued for SQLite's writer has been committed by then
    /// (each request waits for its own); the write-ahead log is checkpointed into the database file.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let metrics = self.metrics.map(|(server, _)| {
            let handle = server.handle();
            (tokio::spawn(server), handle)
        });
        let result = self.server.await;
        tracing::info!("stopped accepting; finishing background work");
        if let Some((task, handle)) = metrics {
            handle.stop(true).await;
            let _ = task.await;
        }
        self.stop.stop();
        let deadline = tokio::time::Instant::now() + TASKS_GRACE;
        for mut task in self.tasks {
            if tokio::time::timeout_at(deadline, &mut task).await.is_err() {
                tracing::warn!("a background task did not finish in time");
                task.abort();
            }
        }
        // Everything into the database file, so the next start has no log to read back first.
        let db = self.state.db.clone();
        match tokio::task::spawn_blocking(move || {
            let done = db.checkpoint(Checkpoint::Truncate);
            // No pool thread may still be opening a connection when the process exits.
            db.close();
            done
        })
        .await
        {
            Ok(Ok(_)) => {}
            Ok(Err(err)) => tracing::warn!(error = ?err, "final WAL checkpoint failed"),
            Err(err) => tracing::warn!(error = ?err, "final WAL checkpoint task failed"),
        }
        result
    }
}

/// Keeps SQLite's write-ahead log short without making a request pay for it (see `Db::checkpoint`).
async fn checkpoints(db: Db, mut stop: Stopping) {
    while stop.sleep(Duration::from_millis(100)).await {
        let db = db.clone();
        match tokio::task::spawn_blocking(move || db.checkpoint(Checkpoint::Passive)).await {
            Ok(Ok(_)) => {}
            Ok(Err(err)) => tracing::warn!(error = ?err, "WAL checkpoint failed"),
            Err(err) => tracing::error!(error = ?err, "WAL checkpoint task panicked"),
        }
    }
}

/// Clears what has expired (see `services::housekeeping`) and forgets idle throttle buckets, every few
/// minutes.
/// The jobs (`services::jobs`: renewals, charges, statements, reminders), every minute as of the
/// injected clock's now.
async fn jobs(state: web::Data<AppState>, mut stop: Stopping) {
    while stop.sleep(Duration::from_secs(60)).await {
        let started = std::time::Instant::now();
        let ran = crate::services::jobs::run(&state.db, state.now(), &state.base_url).await;
        crate::metrics::job_run(started.elapsed().as_secs_f64(), ran.is_err());
        match ran {
            Ok(report) => {
                if report.queued_email() {
                    state.wake_outbox();
                }
                if report.did_something() {
                    tracing::info!(%report, "jobs");
                }
            }
            Err(err) => tracing::warn!(error = ?err, "jobs failed"),
        }
    }
}

async fn housekeeping(state: web::Data<AppState>, mut stop: Stopping) {
    while stop.sleep(Duration::from_secs(300)).await {
        state.throttle.forget_idle();
        let db = state.db.clone();
        let link_ttl = state.config.link_ttl;
        let result =
            tokio::task::spawn_blocking(move || crate::services::housekeeping::run(&db, link_ttl))
                .await;
        match result {
            Ok(Ok(removed)) if removed.any() => tracing::debug!(?removed, "housekeeping"),
            Ok(Ok(_)) => {}
            Ok(Err(err)) => tracing::warn!(error = ?err, "housekeeping failed"),
            Err(err) => tracing::error!(error = ?err, "housekeeping task panicked"),
        }
    }
}
