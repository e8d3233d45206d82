use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn health_and_readiness_answer_for_load_balancers() {
    let app = spawn_app().await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "ok");
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "ready");
    // Probes create no session.
    assert!(
        app.get("/healthz")
            .await
            .headers()
            .get("set-cookie")
            .is_none()
    );
}

/// The number a metrics line ends with (0 when the line is not there yet).
fn metric(text: &str, line_start: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(line_start))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0.0)
}

async fn scrape(app: &TestApp, token: Option<&str>) -> reqwest::Response {
    let mut req = reqwest::Client::new().get(app.url("/metrics"));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn metrics_count_the_requests_served_and_need_the_token() {
    let app = spawn_app().await;
    assert_eq!(scrape(&app, None).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        scrape(&app, Some("not-the-metrics-token")).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let before = scrape(&app, Some(METRICS_TOKEN)).await;
    assert_eq!(before.status(), StatusCode::OK);
    assert!(
        before.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let before = before.text().await.unwrap();
    let served = r#"pd_http_requests_total{route="/providers",status="200"}"#;
    let failures = "pd_sign_in_failures_total";
    assert_eq!(app.get("/providers").await.status(), StatusCode::OK);
    app.create_provider("alice@contoso.example");
    app.sign_in("alice@contoso.example", "not the password at all")
        .await;
    let after = scrape(&app, Some(METRICS_TOKEN))
        .await
        .text()
        .await
        .unwrap();
    // Counters are per process (other tests' apps count too): at least one more.
    assert!(
        metric(&after, served) >= metric(&before, served) + 1.0,
        "{after}"
    );
    assert!(metric(&after, failures) >= metric(&before, failures) + 1.0);
    assert!(
        after.contains(r#"pd_http_request_duration_seconds_bucket{route="/providers",le="+Inf"}"#)
    );
    assert!(after.contains("pd_db_pool_connections{pool="));
    assert!(after.contains(r#"pd_queue_oldest_pending_seconds{queue="email"}"#));
    assert!(after.contains(r#"pd_queue_oldest_pending_seconds{queue="webhook"}"#));
    // The pattern, never the path: a personal link's token is not a label.
    let _ = app
        .get("/partnerships/accept/some-token-value-here-xyz")
        .await;
    let again = scrape(&app, Some(METRICS_TOKEN))
        .await
        .text()
        .await
        .unwrap();
    assert!(!again.contains("some-token-value-here-xyz"));
    assert!(again.contains(r#"route="/partnerships/accept/{token}""#));
}

#[tokio::test]
async fn without_a_metrics_token_there_is_no_metrics_endpoint() {
    let app = spawn_app_with(AppOptions {
        metrics_token: None,
        ..AppOptions::default()
    })
    .await;
    assert_eq!(
        scrape(&app, Some(METRICS_TOKEN)).await.status(),
        StatusCode::NOT_FOUND
    );
}

/// `METRICS_BIND`: `/metrics` on a port of its own, with no token, and nothing else there; the main
/// port then has no `/metrics` without a token. The SQLite writer's queue and batches are in it.
#[tokio::test]
async fn metrics_bind_serves_metrics_alone_on_its_own_port() {
    let app = spawn_app_with(AppOptions {
        metrics_token: None,
        metrics_bind: Some("127.0.0.1:0".parse().unwrap()),
        ..AppOptions::default()
    })
    .await;
    app.create_provider("alice@contoso.example");
    app.signed_in("alice@contoso.example").await;
    let own = app.metrics_address.clone().expect("a metrics listener");
    let res = reqwest::get(format!("{own}/metrics")).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.unwrap();
    assert!(
        text.contains(r#"pd_http_requests_total{route="/sign-in",status="303"}"#),
        "{text}"
    );
    if !app.state.db.url().is_postgres() {
        assert!(text.contains("pd_sqlite_writer_queue_depth "), "{text}");
        let batches = text
            .lines()
            .find_map(|l| l.strip_prefix("pd_sqlite_writer_batch_size_count "))
            .expect("the writer's batches")
            .parse::<u64>()
            .unwrap();
        assert!(batches >= 1, "the sign-in wrote through the writer");
    } else {
        assert!(
            !text.contains("pd_sqlite_writer"),
            "no SQLite writer on PostgreSQL"
        );
    }
    assert_eq!(
        reqwest::get(format!("{own}/customers"))
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        scrape(&app, None).await.status(),
        StatusCode::NOT_FOUND,
        "no /metrics on the main port without a token"
    );
}
