use std::io::Write;
use std::process::{Command, Output, Stdio};

use partner_dashboard::db::DatabaseUrl;

use crate::helpers::*;

const SETTINGS: [&str; 10] = [
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

fn temp_dir() -> std::path::PathBuf {
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

fn database_url(app: &TestApp) -> String {
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
    let html = app.get("/").await.text().await.unwrap();
    assert!(html.contains("Wide World Importers"));

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
