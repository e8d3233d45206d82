use std::io::Write;
use std::process::{Command, Output, Stdio};

use partner_dashboard::db::DatabaseUrl;

use crate::helpers::*;

const SETTINGS: [&str; 12] = [
    "SIMULATED_NOW",
    "ALLOW_SIMULATED_CLOCK",
    "DATABASE_URL",
    "DATA_DIR",
    "BIND",
    "BASE_URL",
    "SMTP_URL",
    "MAIL_FROM",
    "SESSION_KEY",
    "TENANT_DOMAIN_SUFFIX",
    "LINK_TTL_DAYS",
    "SESSION_IDLE_MINUTES",
];

pub(crate) fn temp_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("pd-cli-{}", partner_dashboard::db::new_id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_partner-dashboard"));
    for name in SETTINGS {
        cmd.env_remove(name);
    }
    cmd.args(args)
        .envs(env.iter().copied())
        .env("RUST_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().unwrap()
}

pub(crate) fn database_url(app: &TestApp) -> String {
    match app.state.db.url() {
        DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
        DatabaseUrl::Postgres(url) => url.clone(),
    }
}

#[test]
fn a_bad_setting_stops_the_binary_with_one_line_naming_it() {
    let dir = temp_dir();
    let dir_s = dir.to_str().unwrap();
    for (name, value) in [
        ("BIND", "nowhere"),
        ("BASE_URL", "ftp://example.com"),
        ("DATABASE_URL", "mysql://localhost/x"),
        ("SESSION_KEY", "dG9vIHNob3J0"),
        ("METRICS_BIND", "port nine"),
    ] {
        let out = run(&["migrate"], &[("DATA_DIR", dir_s), (name, value)], None);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with(&format!("error: {name}: ")), "{stderr}");
    }
}

#[test]
fn an_unreachable_postgres_database_is_an_error_not_a_sqlite_file() {
    let dir = temp_dir();
    let url = format!("postgres://postgres@127.0.0.1:{}/pd", free_port());
    let out = run(
        &["migrate"],
        &[("DATA_DIR", dir.to_str().unwrap()), ("DATABASE_URL", &url)],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("cannot connect to the database at postgres://postgres@127.0.0.1"),
        "{stderr}"
    );
    assert!(!dir.join("partner-dashboard.db").exists());
}

#[test]
fn with_no_settings_migrate_makes_the_embedded_sqlite_database_and_a_session_key() {
    let dir = temp_dir();
    let out = run(&["migrate"], &[("DATA_DIR", dir.to_str().unwrap())], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("partner-dashboard.db").exists());
    let key = std::fs::read_to_string(dir.join("session.key")).unwrap();
    assert!(key.len() >= 86);
}

#[tokio::test]
async fn provider_and_operator_created_on_the_command_line_can_sign_in() {
    let app = spawn_app().await;
    let db = database_url(&app);
    let dir = temp_dir();
    let env = [
        ("DATABASE_URL", db.as_str()),
        ("DATA_DIR", dir.to_str().unwrap()),
    ];

    let out = run(
        &[
            "provider",
            "create",
            "--name",
            "Wide World Importers",
            "--email",
            "Sam@WWI.example",
            "--country",
            "tw",
            "--password-stdin",
        ],
        &env,
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("provider Wide World Importers created")
    );
    assert_redirect(&app.sign_in("sam@wwi.example", PASSWORD).await, "/");
    // A provider made on the command line requires multi-factor authentication: its first user is
    // sent to set it up before anything else.
    assert_redirect(&app.get("/").await, "/account/mfa");
    let html = app.html("/account/mfa").await;
    assert!(html.contains("Wide World Importers"), "{html}");

    let out = run(
        &[
            "operator",
            "create",
            "--email",
            "ops@platform.example",
            "--password-stdin",
        ],
        &env,
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_redirect(
        &app.sign_in_with(&new_client(), "ops@platform.example", PASSWORD)
            .await,
        "/operations",
    );

    // The same email twice is refused; a short password is refused.
    let out = run(
        &[
            "operator",
            "create",
            "--email",
            "ops@platform.example",
            "--password-stdin",
        ],
        &env,
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("already exists")
    );
    let out = run(
        &[
            "operator",
            "create",
            "--email",
            "new@platform.example",
            "--password-stdin",
        ],
        &env,
        Some("short\n"),
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("at least 12 characters")
    );
}

#[tokio::test]
async fn commands_exit_cleanly_every_time_while_the_pools_are_busy_connecting() {
    // On PostgreSQL the pools open connections on threads of their own (taking a connection makes the
    // pool open another, to keep one idle); a command that exited while one was in libpq's TLS
    // handshake died in OpenSSL's exit-time cleanup (SIGSEGV), about 1 run in 30.
    let app = spawn_app().await;
    let db = database_url(&app);
    let dir = temp_dir();
    let key = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode([9u8; 64])
    };
    let runs: Vec<_> = (0..40)
        .map(|i| {
            let env: Vec<(String, String)> = vec![
                ("DATABASE_URL".into(), db.clone()),
                ("DATA_DIR".into(), dir.to_str().unwrap().to_owned()),
                ("SESSION_KEY".into(), key.clone()),
            ];
            tokio::task::spawn_blocking(move || {
                let env: Vec<(&str, &str)> =
                    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                let email = format!("ops{i}@platform.example");
                let out = run(
                    &["operator", "create", "--email", &email, "--password-stdin"],
                    &env,
                    Some(&format!("{PASSWORD}\n")),
                );
                (out, run(&["migrate"], &env, None))
            })
        })
        .collect();
    for (i, outs) in futures_util::future::join_all(runs)
        .await
        .into_iter()
        .enumerate()
    {
        let (create, migrate) = outs.unwrap();
        for (what, out) in [("operator create", create), ("migrate", migrate)] {
            assert_eq!(
                out.status.code(),
                Some(0),
                "{what}, run {i}: {:?} {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

/// `partner-dashboard serve` on the app's database with these settings, once it answers `/readyz`:
/// the process (its stderr piped) and its URL.
pub(crate) async fn serve_binary(
    app: &TestApp,
    dir: &std::path::Path,
    env: &[(&str, &str)],
) -> (std::process::Child, String) {
    let bind = format!("127.0.0.1:{}", free_port());
    let child = Command::new(env!("CARGO_BIN_EXE_partner-dashboard"))
        .args(["serve"])
        .env_remove("BASE_URL")
        .env_remove("SMTP_URL")
        .env("DATABASE_URL", database_url(app))
        .env("DATA_DIR", dir.to_str().unwrap())
        .env("BIND", &bind)
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let url = format!("http://{bind}");
    let client = new_client();
    let mut up = false;
    for _ in 0..200 {
        if let Ok(res) = client.get(format!("{url}/readyz")).send().await {
            up = res.status().is_success();
            if up {
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(up, "the server came up");
    (child, url)
}

#[tokio::test]
async fn serve_stops_on_sigterm_and_exits_zero() {
    let app = spawn_app().await;
    let dir = temp_dir();
    let (mut child, url) = serve_binary(&app, &dir, &[("RUST_LOG", "error")]).await;
    let client = new_client();
    // Some work, so the pools hold connections and threads.
    for page in ["/sign-in", "/providers", "/enroll"] {
        assert!(
            client
                .get(format!("{url}{page}"))
                .send()
                .await
                .unwrap()
                .status()
                .is_success()
        );
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert_eq!(status.code(), Some(0), "{status:?}");
}

/// SIGTERM: no new connection is served, the request in flight is answered, the background work
/// stops, and the process exits 0.
#[tokio::test]
async fn sigterm_answers_the_request_in_flight_and_serves_no_new_one() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app().await;
    let dir = temp_dir();
    let (child, url) = serve_binary(&app, &dir, &[("RUST_LOG", "info")]).await;
    let addr = url.trim_start_matches("http://").to_owned();
    // A sign-in whose body has not all arrived yet: the server is waiting for it.
    let body = "csrf_token=none&email=alice%40contoso.example&password=not+yet";
    let (head, rest) = body.split_at(10);
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let request = format!(
        "POST /sign-in HTTP/1.1\r\nHost: {addr}\r\nOrigin: {url}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{head}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut early = [0u8; 1];
    let nothing_yet = tokio::time::timeout(
        std::time::Duration::from_millis(300),
        stream.read(&mut early),
    )
    .await;
    assert!(
        nothing_yet.is_err(),
        "no answer before the body is complete"
    );
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let quick = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(2))
        .build()
        .unwrap();
    assert!(
        quick.get(format!("{url}/healthz")).send().await.is_err(),
        "a new request is not served once SIGTERM came"
    );
    stream.write_all(rest.as_bytes()).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_string(&mut answer),
    )
    .await
    .expect("the request in flight is answered")
    .unwrap();
    let status_line = answer.lines().next().unwrap_or_default().to_owned();
    assert!(
        status_line.starts_with("HTTP/1.1 ") && !status_line.contains(" 5"),
        "{status_line}"
    );
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{:?}", out.status);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("stopped accepting"), "{log}");
    assert!(!log.contains("did not finish in time"), "{log}");
}

#[test]
fn a_simulated_clock_is_refused_outside_a_demo_and_jobs_run_as_of_it() {
    let dir = temp_dir();
    let data = dir.to_str().unwrap();
    let env = [
        ("DATA_DIR", data),
        ("SIMULATED_NOW", "2030-01-01T08:00:00+08:00"),
    ];
    let out = run(&["jobs", "run"], &env, None);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.trim(),
        "error: SIMULATED_NOW: is only accepted with --demo or ALLOW_SIMULATED_CLOCK=true"
    );
    let bad = run(
        &["jobs", "run", "--demo"],
        &[("DATA_DIR", data), ("SIMULATED_NOW", "next tuesday")],
        None,
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("SIMULATED_NOW: must be an RFC 3339"));
    for args in [&["jobs", "run", "--demo"][..], &["jobs", "run"][..]] {
        let mut env = env.to_vec();
        if args.len() == 2 {
            env.push(("ALLOW_SIMULATED_CLOCK", "true"));
        }
        let out = run(args, &env, None);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.starts_with("as of 2030-01-01T00:00:"), "{stdout}");
        assert!(
            stdout.contains("renewals: 0 renewed, 0 expired"),
            "{stdout}"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// `backup` while orders are being placed: the copy passes its integrity check and holds every order
/// answered before it began; `restore` puts it into an empty data folder only. On PostgreSQL both
/// say to use pg_dump.
#[tokio::test]
async fn a_backup_taken_under_a_write_load_restores_with_every_acknowledged_order() {
    use diesel::prelude::*;
    use partner_dashboard::db::models::api_token::Access;
    let app = spawn_app().await;
    let dir = temp_dir();
    let file = dir.join("backup.db");
    let url = database_url(&app);
    if backend_is_postgres() {
        let out = run(
            &["backup", "--to", file.to_str().unwrap()],
            &[("DATABASE_URL", &url)],
            None,
        );
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
        return;
    }
    let provider = app.create_provider("alice@contoso.example");
    let offer = app.create_offer("Microsoft 365 Business Basic", 600, 1, 300);
    let token = app
        .api_token(provider.user_id, provider.id, Access::Write)
        .await;
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::<i64>::new()));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (acknowledged, stop) = (acknowledged.clone(), stop.clone());
        let base = app.url("/api/v1/customers");
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                i += 1;
                let body = serde_json::json!({
                    "company_name": format!("Load {i}"), "domain_prefix": format!("load{i}"),
                    "address_line1": "1 Main St", "city": "Taipei", "postal_code": "100",
                    "country": "TW", "contact_first_name": "Ada", "contact_last_name": "Lin",
                    "contact_email": "ada@load.example", "language": "en",
                    "subscriptions": [{"offer_id": offer, "quantity": 1}]
                });
                let res = client
                    .post(&base)
                    .bearer_auth(&token)
                    .header("Idempotency-Key", format!("load-{i}"))
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                let status = res.status();
                let v: serde_json::Value = res.json().await.unwrap();
                assert_eq!(status, reqwest::StatusCode::CREATED, "{v}");
                let id: i64 = v["order"]["id"].as_str().unwrap().parse().unwrap();
                acknowledged.lock().unwrap().push(id);
            }
        })
    };
    for _ in 0..1000 {
        if acknowledged.lock().unwrap().len() >= 10 || writer.is_finished() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        !writer.is_finished(),
        "the write load stopped: {:?}",
        writer.await
    );
    let before: Vec<i64> = acknowledged.lock().unwrap().clone();
    let out = tokio::task::spawn_blocking({
        let (file, url) = (file.clone(), url.clone());
        move || {
            run(
                &["backup", "--to", file.to_str().unwrap()],
                &[("DATABASE_URL", &url)],
                None,
            )
        }
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    writer.await.unwrap();
    assert!(
        acknowledged.lock().unwrap().len() > before.len(),
        "orders went on being placed"
    );

    // A backup never overwrites a file.
    let again = run(
        &["backup", "--to", file.to_str().unwrap()],
        &[("DATABASE_URL", &url)],
        None,
    );
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));

    // Restore into an empty folder: checked, migrated, every acknowledged order there.
    let fresh = temp_dir();
    let restored_url = format!("sqlite://{}", fresh.join("pd.db").display());
    let out = run(
        &["restore", "--from", file.to_str().unwrap()],
        &[("DATABASE_URL", &restored_url)],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut conn =
        diesel::sqlite::SqliteConnection::establish(fresh.join("pd.db").to_str().unwrap()).unwrap();
    #[derive(QueryableByName)]
    struct Check {
        #[diesel(sql_type = diesel::sql_types::Text)]
        integrity_check: String,
    }
    let check: Vec<Check> = diesel::sql_query("PRAGMA integrity_check")
        .load(&mut conn)
        .unwrap();
    assert_eq!(check[0].integrity_check, "ok");
    let ids: Vec<i64> = partner_dashboard::db::schema::orders::table
        .select(partner_dashboard::db::schema::orders::id)
        .load(&mut conn)
        .unwrap();
    for id in &before {
        assert!(
            ids.contains(id),
            "order {id} was acknowledged before the backup"
        );
    }
    // Never over existing data.
    let over = run(
        &["restore", "--from", file.to_str().unwrap()],
        &[("DATABASE_URL", &restored_url)],
        None,
    );
    assert!(!over.status.success());
    assert!(String::from_utf8_lossy(&over.stderr).contains("empty data folder"));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&fresh);
}

/// `LOG_FORMAT=json`: one JSON object per line, each request once with its id (also `x-request-id`),
/// route pattern, status, latency and user; and no secret of a whole scenario anywhere in the log —
/// passwords (right and wrong), the session cookie, CSRF tokens, an API token, a partnership link.
#[tokio::test]
async fn json_logs_carry_the_request_and_never_a_secret() {
    use std::io::Read;
    let app = spawn_app().await;
    let provider = app.create_provider("alice@contoso.example");
    let dir = temp_dir();
    let (mut child, url) =
        serve_binary(&app, &dir, &[("RUST_LOG", "info"), ("LOG_FORMAT", "json")]).await;
    let client = new_client();
    let mut secrets: Vec<String> = vec![PASSWORD.to_owned(), "Wrong-horse-battery-1".to_owned()];
    let csrf = |html: &str| csrf_in(html).unwrap();
    let post = |path: &str, form: Vec<(&str, String)>| {
        client
            .post(format!("{url}{path}"))
            .header("Origin", &url)
            .form(&form)
            .send()
    };
    let html = client
        .get(format!("{url}/sign-in"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = csrf(&html);
    secrets.push(token.clone());
    // A wrong password first, then the right one.
    let res = post(
        "/sign-in",
        vec![
            ("csrf_token", token.clone()),
            ("email", "alice@contoso.example".into()),
            ("password", "Wrong-horse-battery-1".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    let res = post(
        "/sign-in",
        vec![
            ("csrf_token", token),
            ("email", "alice@contoso.example".into()),
            ("password", PASSWORD.into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::SEE_OTHER);
    for cookie in res.cookies() {
        secrets.push(cookie.value().to_owned());
    }
    let html = client
        .get(format!("{url}/account/password"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = csrf(&html);
    secrets.push(token.clone());
    let res = post(
        "/account/api-tokens",
        vec![
            ("csrf_token", token.clone()),
            ("token_name", "Sync".into()),
            ("token_days", "30".into()),
            ("token_access", "read".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::SEE_OTHER);
    let html = client
        .get(format!("{url}/account/password"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let api_token = texts(&html, "#api-token-secret").pop().unwrap();
    secrets.push(api_token.clone());
    let me = reqwest::Client::new()
        .get(format!("{url}/api/v1/me"))
        .bearer_auth(&api_token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), reqwest::StatusCode::OK);
    let request_id = me.headers()["x-request-id"].to_str().unwrap().to_owned();
    // A partnership link, opened by someone signed out.
    let res = post("/indirect-resellers/requests", vec![("csrf_token", token)])
        .await
        .unwrap();
    let draft = location(&res);
    let html = client
        .get(format!("{url}{draft}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let link = html
        .split('"')
        .find(|s| s.contains("/partnerships/accept/"))
        .expect("the draft shows its link")
        .to_owned();
    let link_token = link.rsplit('/').next().unwrap().to_owned();
    secrets.push(link_token.clone());
    let res = new_client()
        .get(format!("{url}/partnerships/accept/{link_token}"))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success() || res.status().is_redirection());

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert_eq!(status.code(), Some(0));

    let lines: Vec<serde_json::Value> = log
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    let api = lines
        .iter()
        .find(|l| l["request_id"] == request_id.as_str())
        .unwrap_or_else(|| panic!("the API request is logged: {log}"));
    assert_eq!(api["route"], "/api/v1/me");
    assert_eq!(api["status"], 200);
    assert_eq!(api["user_id"], serde_json::json!(provider.user_id));
    assert!(api["latency_ms"].as_f64().is_some());
    assert!(
        lines
            .iter()
            .any(|l| l["route"] == "/partnerships/accept/{token}"),
        "the link's route, not its path: {log}"
    );
    for secret in &secrets {
        assert!(secret.len() >= 12, "{secret}");
        assert!(
            !log.contains(secret.as_str()),
            "the log holds a secret: {secret}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
