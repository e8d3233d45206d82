//! The test harness: `spawn_app()` starts the real application on port 0 with a fresh database (SQLite
//! by default; PostgreSQL when `TEST_BACKEND=postgres`, using `TEST_POSTGRES_URL`), a real SMTP listener
//! (mailcrab, in-process) for its mail, and a cookie-keeping HTTP client that does not follow redirects.

use partner_dashboard::db::models::grant::{Grant, NewGrant, Role as GrantRole, Roles};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::cookie::Key;
use actix_web::web;
use diesel::prelude::*;
use partner_dashboard::auth::password;
use partner_dashboard::config::{Config, MailTransport, OutboxSettings, ThrottleSettings};
use partner_dashboard::db::models::user::{NewUser, User};
use partner_dashboard::db::{DatabaseUrl, DbConnection, transaction};
use partner_dashboard::domain::{
    Country, CustomerOrigin, DomainPrefix, Email, EnrollmentStatus, PartnerKind, ProviderId,
    RequestKind, Role,
};
use partner_dashboard::i18n::Locale;
use partner_dashboard::startup::{AppState, Application, Workers};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use scraper::{Html, Selector};

pub const PASSWORD: &str = "correct horse battery staple";
/// The test apps' `METRICS_TOKEN`.
pub const METRICS_TOKEN: &str = "metrics-token-for-tests";

/// An organisation made for a test, with its first user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TestOrg {
    pub id: i64,
    pub user_id: i64,
}

pub type TestProvider = TestOrg;
pub type TestReseller = TestOrg;
pub type TestCustomer = TestOrg;

/// `PASSWORD`, hashed once for all the fixtures of the run.
pub fn test_hash() -> String {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| password::hash(PASSWORD).unwrap())
        .clone()
}

/// Options for `spawn_app_with`.
#[derive(Clone)]
pub struct AppOptions {
    /// Start the SMTP listener (otherwise the app points at a port where nothing listens yet).
    pub smtp_up: bool,
    pub throttle: ThrottleSettings,
    pub session_idle: Duration,
    pub base_url: Option<String>,
    /// `TRUSTED_PROXIES`: whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The outbox worker's timings (quick, for tests) and attempts.
    pub outbox: OutboxSettings,
    /// The webhook worker's: quick, and receivers on this machine allowed (as in a demo).
    pub webhooks: partner_dashboard::webhooks::WebhookSettings,
    /// `METRICS_TOKEN` (`METRICS_TOKEN` by default).
    pub metrics_token: Option<String>,
    pub metrics_bind: Option<std::net::SocketAddr>,
}

impl Default for AppOptions {
    fn default() -> Self {
        Self {
            smtp_up: true,
            throttle: ThrottleSettings::default(),
            session_idle: Duration::from_secs(30 * 60),
            base_url: None,
            trusted_proxies: Vec::new(),
            outbox: OutboxSettings {
                poll_interval: Duration::from_millis(100),
                first_retry: Duration::from_millis(200),
                max_retry: Duration::from_millis(500),
                max_attempts: 1000,
                lease: Duration::from_secs(30),
                smtp_timeout: Duration::from_secs(5),
                deliver: true,
            },
            webhooks: partner_dashboard::webhooks::WebhookSettings {
                deliver: true,
                allow_loopback: true,
                poll_interval: Duration::from_millis(100),
                retry_delays: vec![Duration::from_millis(200); 3],
                timeout: Duration::from_secs(5),
                lease: Duration::from_secs(30),
            },
            metrics_token: Some(METRICS_TOKEN.to_owned()),
            metrics_bind: None,
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub state: web::Data<AppState>,
    pub mail: MailServer,
    pub data_dir: PathBuf,
    /// `/metrics` on its own listener, when `AppOptions::metrics_bind` asked for one.
    pub metrics_address: Option<String>,
    /// The databases of the other instances this test started on the same data (`second_instance`).
    pub others: std::sync::Mutex<Vec<partner_dashboard::db::Db>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // No pool may still be opening a connection when the test process exits (libpq's TLS
        // cleanup crashes then): every instance's pools stop opening new ones at the end of its test.
        self.state.db.close();
        for db in self.others.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            db.close();
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(AppOptions::default()).await
}

pub async fn spawn_app_with(options: AppOptions) -> TestApp {
    init_logging();
    let data_dir =
        std::env::temp_dir().join(format!("pd-test-{}", partner_dashboard::db::new_id()));
    std::fs::create_dir_all(&data_dir).unwrap();
    let smtp_port = free_port();
    let mail = MailServer::new(smtp_port);
    if options.smtp_up {
        mail.start().await;
    }
    let config = test_config(&data_dir, smtp_port, &options);
    let app = Application::build_with(config, Some(Workers(1)))
        .await
        .expect("the application starts");
    let port = app.port();
    let metrics_address = app.metrics_port().map(|p| format!("http://127.0.0.1:{p}"));
    let state = app.state();
    // As in the demo, operators made by a test sign in with a password alone; the tests of the
    // platform's MFA requirement switch it on.
    state
        .db
        .execute(|conn| {
            partner_dashboard::db::models::platform::Platform::set_require_mfa(conn, false)
        })
        .await
        .unwrap();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        client: new_client(),
        state,
        mail,
        data_dir,
        metrics_address,
        others: std::sync::Mutex::default(),
    }
}

pub fn new_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

fn test_config(data_dir: &std::path::Path, smtp_port: u16, options: &AppOptions) -> Config {
    let mut key = [0u8; 64];
    getrandom::fill(&mut key).unwrap();
    let database_url = test_database(data_dir);
    Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        data_dir: data_dir.to_path_buf(),
        base_url: options
            .base_url
            .as_deref()
            .map(|u| url::Url::parse(u).unwrap()),
        mail: MailTransport::Smtp(format!("smtp://127.0.0.1:{smtp_port}")),
        mail_from: "Partner Dashboard <no-reply@partner-dashboard.test>"
            .parse()
            .unwrap(),
        session_key: Key::from(&key),
        tenant_domain_suffix: "onmicrosoft.com".into(),
        link_ttl: chrono::Duration::days(30),
        session_idle: options.session_idle,
        outbox: options.outbox.clone(),
        // As in production: shared through the database on PostgreSQL, in memory on SQLite (unless
        // the test asks for the shared store).
        throttle: ThrottleSettings {
            shared: options.throttle.shared || database_url.is_postgres(),
            ..options.throttle.clone()
        },
        database_url,
        webhooks: options.webhooks.clone(),
        metrics_token: options.metrics_token.clone(),
        metrics_bind: options.metrics_bind,
        trusted_proxies: options.trusted_proxies.clone(),
        simulated_now: None,
        allow_simulated_clock: false,
        // Each app its own clock: a test moves it with `app.state.clock.set(..)`.
        clock: partner_dashboard::clock::Clock::system(),
    }
}

/// Which database this run of the suite uses: `TEST_BACKEND=postgres` selects PostgreSQL.
pub fn backend_is_postgres() -> bool {
    std::env::var("TEST_BACKEND").is_ok_and(|b| b == "postgres")
}

pub fn test_database(data_dir: &std::path::Path) -> DatabaseUrl {
    if !backend_is_postgres() {
        return DatabaseUrl::Sqlite(data_dir.join("test.db"));
    }
    let admin_url = std::env::var("TEST_POSTGRES_URL")
        .expect("TEST_BACKEND=postgres needs TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres)");
    let mut admin = diesel::PgConnection::establish(&admin_url)
        .unwrap_or_else(|e| panic!("PostgreSQL at TEST_POSTGRES_URL cannot be reached: {e}"));
    let name = format!("pd_test_{}", partner_dashboard::db::new_id());
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .unwrap();
    let mut url = url::Url::parse(&admin_url).unwrap();
    url.set_path(&format!("/{name}"));
    DatabaseUrl::Postgres(url.to_string())
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn init_logging() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if std::env::var("TEST_LOG").is_ok() {
            partner_dashboard::telemetry::init();
        }
    });
}

// ---------------------------------------------------------------------------------------------
// Mail

/// A message as the SMTP listener received it.
#[derive(Clone, Debug)]
pub struct ReceivedEmail {
    pub to: Vec<String>,
    /// The Reply-To header, as sent (empty without one).
    pub reply_to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The in-process SMTP listener, which can be stopped and started again on the same port.
pub struct MailServer {
    pub port: u16,
    received: Arc<Mutex<Vec<ReceivedEmail>>>,
    handle: Mutex<Option<mailcrab::TestMailServerHandle>>,
}

impl MailServer {
    fn new(port: u16) -> Self {
        Self {
            port,
            received: Arc::default(),
            handle: Mutex::new(None),
        }
    }

    /// Starts listening and waits until the port accepts connections.
    pub async fn start(&self) {
        let mut handle = mailcrab::development_mail_server([127, 0, 0, 1], self.port).await;
        let mut rx = handle.rx.resubscribe();
        let received = self.received.clone();
        tokio::spawn(async move {
            while let Ok(message) = rx.recv().await {
                let value = serde_json::to_value(&message).unwrap();
                let field = |name: &str| value[name].as_str().unwrap_or_default().to_owned();
                let reply_to = value["headers"]
                    .as_object()
                    .and_then(|h| {
                        h.iter()
                            .find(|(k, _)| k.eq_ignore_ascii_case("reply-to"))
                            .and_then(|(_, v)| v.as_str().map(str::to_owned))
                    })
                    .unwrap_or_default();
                received.lock().unwrap().push(ReceivedEmail {
                    to: message.envelope_recipients.clone(),
                    reply_to,
                    subject: field("subject"),
                    text: field("text"),
                    html: field("html"),
                });
            }
        });
        // Drain the handle's own receiver so the channel never fills up.
        let mut own = std::mem::replace(&mut handle.rx, tokio::sync::broadcast::channel(1).1);
        tokio::spawn(async move { while own.recv().await.is_ok() {} });
        *self.handle.lock().unwrap() = Some(handle);
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the SMTP listener did not start on port {}", self.port);
    }

    pub async fn stop(&self) {
        if let Some(handle) = self.handle.lock().unwrap().take() {
            handle.token.cancel();
        }
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_err()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn received(&self) -> Vec<ReceivedEmail> {
        self.received.lock().unwrap().clone()
    }

    pub fn received_by(&self, to: &str) -> Vec<ReceivedEmail> {
        self.received()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(to)))
            .collect()
    }

    /// Waits up to ten seconds for a message to `to` and returns it.
    pub async fn wait_for(&self, to: &str) -> ReceivedEmail {
        for _ in 0..200 {
            if let Some(m) = self.received_by(to).into_iter().next() {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no email to {to} arrived; received: {:?}", self.received());
    }
}

// ---------------------------------------------------------------------------------------------
// Requests

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.get_with(&self.client, path).await
    }

    pub async fn get_with(&self, client: &reqwest::Client, path: &str) -> reqwest::Response {
        client.get(self.url(path)).send().await.unwrap()
    }

    /// The page at `path`, as text.
    pub async fn html(&self, path: &str) -> String {
        self.html_with(&self.client, path).await
    }

    pub async fn html_with(&self, client: &reqwest::Client, path: &str) -> String {
        self.get_with(client, path).await.text().await.unwrap()
    }

    pub async fn get_html(&self, path: &str) -> (StatusCode, String) {
        let res = self.get(path).await;
        let status = res.status();
        (status, res.text().await.unwrap())
    }

    /// The CSRF token of the client's session, read from a page's form the way a browser gets it.
    pub async fn csrf_token_with(&self, client: &reqwest::Client) -> String {
        let body = self
            .get_with(client, "/sign-in")
            .await
            .text()
            .await
            .unwrap();
        if let Some(token) = csrf_in(&body) {
            return token;
        }
        // Signed in: /sign-in redirects; the account page has the same token.
        let body = self
            .get_with(client, "/account/password")
            .await
            .text()
            .await
            .unwrap();
        csrf_in(&body).expect("a page with a CSRF token")
    }

    pub async fn csrf_token(&self) -> String {
        self.csrf_token_with(&self.client).await
    }

    /// Posts a form as a browser on this site would: with the session's CSRF token.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.post_form_with(&self.client, path, fields).await
    }

    pub async fn post_form_with(
        &self,
        client: &reqwest::Client,
        path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let token = self.csrf_token_with(client).await;
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", &token)];
        all.extend_from_slice(fields);
        client
            .post(self.url(path))
            .header("Origin", &self.address)
            .form(&all)
            .send()
            .await
            .unwrap()
    }

    /// Posts a multipart form (file uploads) as a browser on this site would: the session's CSRF token
    /// in the query string, as the upload forms carry it.
    pub async fn post_multipart(
        &self,
        path: &str,
        form: reqwest::multipart::Form,
    ) -> reqwest::Response {
        let token = self.csrf_token_with(&self.client).await;
        let sep = if path.contains('?') { '&' } else { '?' };
        self.client
            .post(self.url(&format!("{path}{sep}csrf_token={token}")))
            .header("Origin", &self.address)
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    /// Posts a form exactly as given (no token added) — for testing the CSRF defence itself.
    pub async fn post_raw(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: HeaderMap,
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .headers(headers)
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> reqwest::Response {
        self.sign_in_with(&self.client, email, password).await
    }

    pub async fn sign_in_with(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        self.post_form_with(
            client,
            "/sign-in",
            &[("email", email), ("password", password)],
        )
        .await
    }

    /// Signs in and checks it worked.
    pub async fn signed_in(&self, email: &str) {
        let res = self.sign_in(email, PASSWORD).await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "sign-in of {email} failed"
        );
    }

    // -----------------------------------------------------------------------------------------
    // Data

    pub fn conn(&self) -> partner_dashboard::db::PooledConn {
        self.state.db.write_conn().unwrap()
    }

    pub fn with_conn<T>(&self, f: impl FnOnce(&mut DbConnection) -> T) -> T {
        let mut conn = self.conn();
        f(&mut conn)
    }

    /// Runs a fixture's use cases in one transaction, without the emails they queue: the world a test
    /// starts in has no mail waiting to be delivered.
    fn quietly<T, E: From<partner_dashboard::db::DbError> + std::fmt::Debug>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
    ) -> T {
        use partner_dashboard::db::schema::email_outbox;
        self.with_conn(|conn| {
            transaction(conn, |conn| {
                let mark = partner_dashboard::db::new_id();
                let value = f(conn)?;
                diesel::delete(email_outbox::table.filter(email_outbox::id.gt(mark)))
                    .execute(conn)
                    .map_err(partner_dashboard::db::DbError::from)?;
                Ok::<_, E>(value)
            })
            .unwrap()
        })
    }

    /// A partner organisation with a first user of its own (a generated address), made the way the
    /// dashboard makes it: a provider as the console does, a reseller by enrollment (then verified or
    /// rejected by an operator, as `status` says). Returns the organisation's id.
    pub fn create_partner(&self, kind: PartnerKind, name: &str, status: EnrollmentStatus) -> i64 {
        let email = format!("org{}@orgs.example", partner_dashboard::db::new_id());
        match kind {
            PartnerKind::Provider => self.make_provider(name, &email).id,
            PartnerKind::Reseller => self.make_reseller(name, &email, status).id,
        }
    }

    fn make_provider(&self, name: &str, email: &str) -> TestOrg {
        use partner_dashboard::services::organisations::{NewProvider, create_provider_in};
        let new = NewProvider {
            name: name.to_owned(),
            country: Country::parse("TW").unwrap(),
            user_name: "Test User".to_owned(),
            email: Email::parse(email).unwrap(),
            password_hash: test_hash(),
            must_change_password: false,
            created_by: None,
            require_mfa: false,
        };
        let made = self.quietly(|conn| create_provider_in(conn, &new));
        TestOrg {
            id: made.provider.get(),
            user_id: made.user_id,
        }
    }

    fn make_reseller(&self, name: &str, email: &str, status: EnrollmentStatus) -> TestOrg {
        use partner_dashboard::services::enrollment::{Decision, Enrollment, enroll_in, review_in};
        let enrollment = Enrollment {
            company_name: name.to_owned(),
            partner_number: (partner_dashboard::db::new_id() % 1_000_000_000).to_string(),
            country: Country::parse("TW").unwrap(),
            contact_name: "Test User".to_owned(),
            email: Email::parse(email).unwrap(),
            password: String::new(),
            locale: Locale::En,
            waiting_link: None,
        };
        self.quietly(|conn| {
            {
                let user_id = enroll_in(conn, &enrollment, &test_hash())?;
                // A fixture's user has not chosen a language: the browser's decides.
                {
                    use partner_dashboard::db::schema::users;
                    diesel::update(users::table.find(user_id))
                        .set(users::locale.eq(None::<Locale>))
                        .execute(conn)
                        .map_err(partner_dashboard::db::DbError::from)?;
                }
                let id = User::find(conn, user_id)?.partner_id.unwrap();
                let decision = match status {
                    EnrollmentStatus::Pending => None,
                    EnrollmentStatus::Verified => Some(Decision::Verify),
                    EnrollmentStatus::Rejected => Some(Decision::Reject("Not a reseller.".into())),
                };
                if let Some(decision) = decision {
                    let operator = self.fixture_operator(conn);
                    let links = partner_dashboard::services::enrollment::Links {
                        base_url: "http://localhost".to_owned(),
                        key: actix_web::cookie::Key::generate(),
                    };
                    review_in(conn, operator, id, &decision, &links)?;
                }
                Ok::<_, partner_dashboard::services::enrollment::EnrollmentError>(TestOrg {
                    id,
                    user_id,
                })
            }
        })
    }

    /// The operator who reviews the fixtures' enrollments (made once).
    fn fixture_operator(&self, conn: &mut DbConnection) -> i64 {
        let email = Email::parse("fixtures@platform.example").unwrap();
        match User::find_by_email(conn, &email).unwrap() {
            Some(user) => user.id,
            None => partner_dashboard::services::organisations::create_operator_in(
                conn,
                &email,
                "Fixtures",
                &test_hash(),
            )
            .unwrap(),
        }
    }

    /// Another user of an organisation (or an operator when `partner_id` is none).
    pub fn create_user(
        &self,
        email: &str,
        role: Role,
        partner_id: Option<i64>,
        must_change: bool,
    ) -> i64 {
        let email = Email::parse(email).unwrap();
        self.with_conn(|conn| {
            User::create(
                conn,
                NewUser {
                    email: &email,
                    password_hash: &test_hash(),
                    role,
                    partner_id,
                    customer_id: None,
                    display_name: "Test User",
                    locale: None,
                    must_change_password: must_change,
                },
            )
            .unwrap()
        })
    }

    /// A provider organisation with one user.
    pub fn create_provider(&self, email: &str) -> TestProvider {
        self.create_named_provider("Contoso Distribution", email)
    }

    pub fn create_named_provider(&self, name: &str, email: &str) -> TestProvider {
        self.make_provider(name, email)
    }

    pub fn create_reseller(&self, email: &str, status: EnrollmentStatus) -> TestReseller {
        self.create_named_reseller("Northwind Traders", email, status)
    }

    pub fn create_named_reseller(
        &self,
        name: &str,
        email: &str,
        status: EnrollmentStatus,
    ) -> TestReseller {
        self.make_reseller(name, email, status)
    }

    /// A member of an organisation (`partner_id`; none: an operator) with a role, password `PASSWORD`.
    pub fn create_member(
        &self,
        partner_id: Option<i64>,
        email: &str,
        role: partner_dashboard::domain::MemberRole,
    ) -> i64 {
        use partner_dashboard::db::models::user::{NewUser, User};
        let email = Email::parse(email).unwrap();
        let kind = partner_id.map(|id| {
            self.with_conn(|conn| {
                partner_dashboard::db::models::partner::Partner::find(conn, id)
                    .unwrap()
                    .kind
            })
        });
        let role_of_user = match kind {
            Some(partner_dashboard::domain::PartnerKind::Provider) => {
                partner_dashboard::domain::Role::Provider
            }
            Some(partner_dashboard::domain::PartnerKind::Reseller) => {
                partner_dashboard::domain::Role::Reseller
            }
            None => partner_dashboard::domain::Role::Operator,
        };
        self.with_conn(|conn| {
            User::create_member(
                conn,
                NewUser {
                    email: &email,
                    password_hash: &test_hash(),
                    role: role_of_user,
                    partner_id,
                    customer_id: None,
                    display_name: "Team Member",
                    locale: None,
                    must_change_password: false,
                },
                role,
            )
            .unwrap()
        })
    }

    pub fn create_operator(&self, email: &str) -> i64 {
        let email = Email::parse(email).unwrap();
        self.with_conn(|conn| {
            transaction(conn, |conn| {
                partner_dashboard::services::organisations::create_operator_in(
                    conn,
                    &email,
                    "Test User",
                    &test_hash(),
                )
            })
            .unwrap()
        })
    }

    /// A customer organisation that signed up on its own, with its admin.
    pub fn create_customer_admin(&self, email: &str, must_change: bool) -> TestCustomer {
        use partner_dashboard::services::customer_sign_up::{SignUp, sign_up_in};
        let sign_up = SignUp {
            company_name: "Wingtip Toys".to_owned(),
            domain: DomainPrefix::parse(&format!("wingtip{}", partner_dashboard::db::new_id()))
                .unwrap(),
            country: Country::parse("TW").unwrap(),
            contact_first_name: "Wingtip".to_owned(),
            contact_last_name: "Admin".to_owned(),
            email: Email::parse(email).unwrap(),
            password: String::new(),
            locale: Locale::En,
        };
        self.quietly(|conn| {
            let user_id = sign_up_in(conn, &sign_up, &test_hash())?;
            if must_change {
                User::set_password(conn, user_id, &test_hash(), true)?;
            }
            let id = User::find(conn, user_id)?.customer_id.unwrap();
            Ok::<_, partner_dashboard::db::DbError>(TestOrg { id, user_id })
        })
    }

    /// An active partnership, made the way a reseller makes one: the provider's request, accepted.
    pub fn partner(&self, provider_id: i64, reseller_id: i64) {
        use partner_dashboard::services::link_request::{NewLink, create_in};
        use partner_dashboard::services::partnership_answer::{Answer, answer_in};
        self.quietly(|conn| {
            let sender = User::of_partner(conn, provider_id)?[0].id;
            let accepter = User::of_partner(conn, reseller_id)?[0].id;
            let token = partner_dashboard::domain::token::new_token().unwrap();
            create_in(
                conn,
                &NewLink {
                    kind: RequestKind::Partnership,
                    provider: ProviderId::established(provider_id),
                    user_id: sender,
                    ttl: chrono::Duration::days(30),
                    reseller_id: None,
                    include_delegated_admin: false,
                    grant_id: None,
                    draft: false,
                },
                &token,
            )?;
            answer_in(
                conn,
                &Answer {
                    token,
                    reseller_id,
                    user_id: accepter,
                    accept: true,
                    base_url: "http://localhost".into(),
                },
            )
        });
    }

    /// As the signed-in provider: Request a partnership; returns the request id and its personal link.
    pub async fn request_partnership_with(&self, client: &reqwest::Client) -> (i64, String) {
        let res = self
            .post_form_with(client, "/indirect-resellers/requests", &[])
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let draft = location(&res);
        let id = draft.rsplit('/').next().unwrap().parse().unwrap();
        let html = self.get_with(client, &draft).await.text().await.unwrap();
        let link = texts(&html, "#personal-link")
            .pop()
            .expect("the draft shows the link");
        (id, link)
    }

    pub async fn request_partnership(&self) -> (i64, String) {
        self.request_partnership_with(&self.client).await
    }

    pub fn create_offer(&self, name: &str, unit_price_minor: i64, min: i32, max: i32) -> i64 {
        use partner_dashboard::db::models::offer::{NewOffer, Offer};
        let sku = format!("SKU-{}", partner_dashboard::db::new_id());
        self.with_conn(|conn| {
            Offer::create(
                conn,
                NewOffer {
                    sku: &sku,
                    name,
                    description: "An offer for tests.",
                    unit_price_minor,
                    currency: "USD",
                    billing: partner_dashboard::domain::Billing::Monthly,
                    min_licenses: min,
                    max_licenses: max,
                    family: "",
                },
            )
            .unwrap()
        })
    }

    /// An admin account of an existing customer, with its own password (`PASSWORD`).
    pub fn create_admin_of(&self, customer: i64, email: &str) -> i64 {
        let hash = password::hash(PASSWORD).unwrap();
        self.with_conn(|conn| {
            User::create(
                conn,
                NewUser {
                    email: &partner_dashboard::domain::Email::parse(email).unwrap(),
                    password_hash: &hash,
                    role: partner_dashboard::domain::Role::Customer,
                    partner_id: None,
                    customer_id: Some(customer),
                    display_name: "Customer admin",
                    locale: None,
                    must_change_password: false,
                },
            )
            .unwrap()
        })
    }

    /// Whether `holder` may administer the provider's customer's subscriptions now (an active
    /// Subscription administrator grant, by the app's clock).
    pub fn administers(&self, provider: i64, customer: i64, holder: i64) -> bool {
        let now = self.state.clock.now();
        self.with_conn(|conn| {
            Grant::holds(
                conn,
                provider,
                customer,
                holder,
                Some(GrantRole::SubscriptionAdmin),
                now,
            )
            .unwrap()
        })
    }

    /// The grants on a customer, newest first.
    pub fn grants_on(&self, customer: i64) -> Vec<Grant> {
        self.with_conn(|conn| {
            Grant::for_customer(conn, customer, None)
                .unwrap()
                .into_iter()
                .map(|r| r.grant)
                .collect()
        })
    }

    /// An active grant of `roles` to `holder` on the provider's customer for `days`, from the app's now.
    pub fn grant(
        &self,
        provider: i64,
        customer: i64,
        holder: i64,
        roles: Roles,
        days: i32,
    ) -> Grant {
        let now = self.state.clock.now();
        self.with_conn(|conn| {
            seed_grant(conn, provider, customer, holder, roles, days, now).unwrap()
        })
    }

    /// A customer of `provider` without subscriptions (for list tests), counted as the dashboard counts
    /// one; returns its id.
    pub fn seed_customer(
        &self,
        provider: i64,
        reseller: Option<i64>,
        company: &str,
        prefix: &str,
    ) -> i64 {
        use partner_dashboard::db::models::customer::{
            Customer, NewCustomer, NewRelation, ProviderCustomer,
        };
        let now = self.state.clock.now();
        self.with_conn(|conn| {
            transaction(conn, |conn| {
                let id = Customer::create(
                    conn,
                    &NewCustomer {
                        company_name: company,
                        domain_prefix: prefix,
                        address_line1: "1 Main St",
                        address_line2: "",
                        city: "Taipei",
                        state: "",
                        postal_code: "100",
                        country: "TW",
                        contact_first_name: "Ada",
                        contact_last_name: "Lin",
                        contact_email: "ada@example.com",
                        contact_phone: "",
                        language: Locale::En,
                    },
                )?;
                ProviderCustomer::create(
                    conn,
                    NewRelation {
                        provider_id: provider,
                        customer_id: id,
                        reseller_id: reseller,
                        azure_tenant_owner: false,
                        origin: CustomerOrigin::Created,
                        subscription_count: 0,
                        created_at: partner_dashboard::db::now(),
                    },
                    company,
                    prefix,
                )?;
                // The associated reseller holds the grant the customer approved.
                if let Some(holder) = reseller {
                    seed_grant(conn, provider, id, holder, Roles::DELEGATED, 730, now)?;
                }
                partner_dashboard::services::counters::customer_added(
                    conn,
                    ProviderId::established(provider),
                    reseller,
                    0,
                    0,
                    partner_dashboard::db::now(),
                )?;
                Ok::<_, partner_dashboard::db::DbError>(id)
            })
            .unwrap()
        })
    }

    /// An order of `provider` for `customer`, placed by `placed_by` (optionally for `reseller`), made
    /// directly in the database; returns its id.
    pub fn seed_order(
        &self,
        provider: i64,
        customer: i64,
        reseller: Option<i64>,
        placed_by: i64,
    ) -> i64 {
        use partner_dashboard::db::models::order::{NewLine, NewOrder, Order};
        let offer = self.create_offer("Microsoft 365 E3", 3600, 1, 300);
        self.with_conn(|conn| {
            Order::create(
                conn,
                &NewOrder {
                    provider_id: provider,
                    customer_id: customer,
                    reseller_id: reseller,
                    placed_by_user_id: placed_by,
                    placed_by_partner_id: Some(provider),
                    kind: partner_dashboard::domain::OrderKind::NewCustomer,
                    currency: "USD",
                    idempotency_key: None,
                    at: partner_dashboard::db::now(),
                },
                &[NewLine {
                    offer_id: offer,
                    subscription_id: None,
                    quantity: 2,
                    previous_quantity: None,
                    unit: partner_dashboard::domain::pricing::Prices {
                        cost: 3600,
                        price: 3600,
                        sale: None,
                    },
                    amount: partner_dashboard::domain::pricing::Prices {
                        cost: 7200,
                        price: 7200,
                        sale: None,
                    },
                    period: None,
                    term: None,
                    billing: None,
                }],
            )
            .unwrap()
            .id
        })
    }

    /// A subscription of `quantity` licenses, added as the provider's New subscription form adds one
    /// (with its order and counters); its id.
    pub fn add_subscription(
        &self,
        provider: i64,
        customer: i64,
        offer: i64,
        quantity: i64,
        reseller_of_record: Option<i64>,
    ) -> i64 {
        self.buy(provider, customer, offer, quantity, reseller_of_record, "")
    }

    /// The same, in a plan (`P1Y:annual`; empty: the offer's first), bought at the app's clock's now.
    pub fn buy(
        &self,
        provider: i64,
        customer: i64,
        offer: i64,
        quantity: i64,
        reseller_of_record: Option<i64>,
        plan: &str,
    ) -> i64 {
        use partner_dashboard::services::new_subscription::Added;
        match self.try_buy(
            provider,
            customer,
            offer,
            quantity,
            reseller_of_record,
            plan,
        ) {
            Added::Subscription(id) => id,
            Added::PendingReview(order) => panic!("order {order} waits for review"),
        }
    }

    /// The same, whatever it does: the subscription, or the order waiting for review.
    pub fn try_buy(
        &self,
        provider: i64,
        customer: i64,
        offer: i64,
        quantity: i64,
        reseller_of_record: Option<i64>,
        plan: &str,
    ) -> partner_dashboard::services::new_subscription::Added {
        use partner_dashboard::services::new_subscription::{AddSubscription, add_in};
        self.quietly(|conn| {
            let user_id = User::of_partner(conn, provider)?[0].id;
            add_in(
                conn,
                &AddSubscription {
                    provider: ProviderId::established(provider),
                    provider_name: "Test provider".to_owned(),
                    user_id,
                    customer_id: customer,
                    offer_id: offer,
                    quantity,
                    reseller: reseller_of_record,
                    plan: plan.to_owned(),
                    auto_renew: true,
                    align: String::new(),
                    now: self.state.now(),
                    form_key: None,
                    base_url: self.state.base_url.clone(),
                },
            )
        })
    }

    /// Another instance's database, closed with this app.
    pub fn track(&self, db: partner_dashboard::db::Db) {
        self.others
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(db);
    }

    /// An API token for `user` of `partner`, made as Account makes one (90 days).
    pub async fn api_token(
        &self,
        user: i64,
        partner: i64,
        access: partner_dashboard::db::models::api_token::Access,
    ) -> String {
        use partner_dashboard::services::api_tokens::{self, CheckedToken, Owner};
        let kind = self.with_conn(|conn| {
            partner_dashboard::db::models::partner::Partner::find(conn, partner)
                .unwrap()
                .kind
        });
        let (_, secret) = api_tokens::create(
            &self.state.db,
            Owner {
                user_id: user,
                partner_id: partner,
                kind,
            },
            CheckedToken {
                name: "Test tool".into(),
                days: 90,
                access,
            },
            self.state.clock.now(),
        )
        .await
        .unwrap();
        secret
    }

    /// A second instance of the dashboard on this app's database (its own pools, writer, workers
    /// and clock), as a second server behind a load balancer would be; its state.
    pub async fn second_instance(&self) -> web::Data<AppState> {
        let mut config = self.state.config.clone();
        config.bind = "127.0.0.1:0".parse().unwrap();
        config.base_url = None;
        config.clock = partner_dashboard::clock::Clock::system();
        let app = Application::build_with(config, Some(Workers(1)))
            .await
            .expect("the second instance starts");
        let state = app.state();
        self.track(state.db.clone());
        tokio::spawn(app.run_until_stopped());
        state
    }

    /// The provider's stored counters are what its rows say (`counters::recompute`).
    pub fn assert_counters_agree(&self, provider: i64) {
        use partner_dashboard::services::counters;
        let provider = ProviderId::established(provider);
        self.with_conn(|conn| {
            assert_eq!(
                counters::stored(conn, provider).unwrap(),
                counters::recompute(conn, provider).unwrap(),
                "stored counters against the rows"
            );
        });
    }

    /// The path part of an absolute link on this app.
    pub fn path_of(&self, link: &str) -> String {
        link.strip_prefix(&self.address)
            .expect("a link to this app")
            .to_owned()
    }

    pub fn user(&self, id: i64) -> User {
        self.with_conn(|conn| User::find(conn, id).unwrap())
    }
}

// ---------------------------------------------------------------------------------------------
// HTML

/// A key typed as an authenticator app takes it (RFC 4648 base32, spaces ignored), back to bytes.
pub fn base32_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0);
    for c in text.chars().filter(|c| !c.is_whitespace()) {
        buffer = (buffer << 5) | ALPHABET.find(c).unwrap() as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}

pub fn csrf_in(html: &str) -> Option<String> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(r#"input[name="csrf_token"]"#).unwrap();
    doc.select(&sel)
        .next()
        .and_then(|e| e.value().attr("value"))
        .map(str::to_owned)
}

/// The texts of the elements matching a CSS selector.
pub fn texts(html: &str, selector: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(selector).unwrap();
    doc.select(&sel)
        .map(|e| {
            e.text()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// The value of `attr` on each element `selector` finds.
pub fn attrs(html: &str, selector: &str, attr: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(selector).unwrap();
    doc.select(&sel)
        .filter_map(|e| e.value().attr(attr).map(str::to_owned))
        .collect()
}

/// Asserts that a list shows its empty state with the message `key` (in English): a check for "no
/// rows" first says what the page shows, so an error page or a renamed table cannot pass for one.
pub fn assert_empty_state(html: &str, key: &str) {
    let want = partner_dashboard::i18n::t(Locale::En, key);
    let shown = texts(html, ".empty-state p");
    assert!(
        shown.iter().any(|s| s == want),
        "expected the empty state {want:?}; the page shows {shown:?}"
    );
}

pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

pub fn assert_redirect(res: &reqwest::Response, to: &str) {
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "expected a redirect to {to}"
    );
    assert_eq!(location(res), to);
}

/// Polls `check` for up to ten seconds.
pub async fn eventually<F: FnMut() -> bool>(what: &str, mut check: F) {
    for _ in 0..200 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for: {what}");
}

/// A form with one bad field, the field, and the message expected under it.
pub type FieldCase<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);

impl TestApp {
    /// The number of rows in every table of the database, by table name — but the throttles' counts
    /// (attempts are counted whatever their outcome: that is their job).
    pub fn row_counts(&self) -> std::collections::BTreeMap<String, i64> {
        #[derive(QueryableByName)]
        struct Name {
            #[diesel(sql_type = diesel::sql_types::Text)]
            name: String,
        }
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let catalog = if backend_is_postgres() {
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'"
        } else {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        };
        self.with_conn(|conn| {
            let tables: Vec<Name> = diesel::sql_query(catalog).load(conn).unwrap();
            tables
                .into_iter()
                .filter(|t| !t.name.starts_with("throttle_"))
                .map(|t| {
                    let count: Count =
                        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM \"{}\"", t.name))
                            .get_result(conn)
                            .unwrap();
                    (t.name, count.n)
                })
                .collect()
        })
    }
}

/// An active grant, written directly.
pub fn seed_grant(
    conn: &mut partner_dashboard::db::DbConnection,
    provider: i64,
    customer: i64,
    holder: i64,
    roles: Roles,
    days: i32,
    now: chrono::NaiveDateTime,
) -> Result<Grant, partner_dashboard::db::DbError> {
    Ok(Grant::create(
        conn,
        &NewGrant {
            provider_id: provider,
            customer_id: customer,
            holder_id: holder,
            roles,
            days,
            auto_extend: false,
            requested_by: None,
            active: true,
            now,
        },
    )?)
}
