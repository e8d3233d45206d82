use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue};

use crate::helpers::*;
use partner_dashboard::db::models::user::User;

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (k, v) in pairs {
        map.insert(*k, HeaderValue::from_str(v).unwrap());
    }
    map
}

/// A signed-in provider whose language is English; returns the user id.
async fn signed_in_provider(app: &TestApp) -> i64 {
    let user = app.create_provider("alice@contoso.example").user_id;
    app.signed_in("alice@contoso.example").await;
    user
}

fn locale_of(app: &TestApp, user: i64) -> Option<String> {
    app.with_conn(|conn| {
        User::find(conn, user)
            .unwrap()
            .locale
            .map(|l| l.code().to_owned())
    })
}

#[tokio::test]
async fn a_post_without_a_csrf_token_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let user = signed_in_provider(&app).await;

    let res = app
        .post_raw(
            "/language",
            &[("locale", "zh-TW"), ("next", "/")],
            headers(&[("Origin", &app.address)]),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let html = res.text().await.unwrap();
    assert!(html.contains("This form has expired or was sent from another site."));
    assert_eq!(locale_of(&app, user), None);
}

#[tokio::test]
async fn a_post_with_a_wrong_csrf_token_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let user = signed_in_provider(&app).await;
    let res = app
        .post_raw(
            "/language",
            &[
                ("csrf_token", "forged-token-forged-token-forged-token-xx"),
                ("locale", "zh-TW"),
            ],
            headers(&[("Origin", &app.address)]),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(locale_of(&app, user), None);

    // Another session's token is just as wrong.
    let other = new_client();
    let their_token = app.csrf_token_with(&other).await;
    let res = app
        .post_raw(
            "/language",
            &[("csrf_token", &their_token), ("locale", "zh-TW")],
            HeaderMap::new(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(locale_of(&app, user), None);
}

#[tokio::test]
async fn a_post_from_another_site_is_refused_even_with_the_right_token() {
    let app = spawn_app().await;
    let user = signed_in_provider(&app).await;
    let token = app.csrf_token().await;
    let fields = [
        ("csrf_token", token.as_str()),
        ("locale", "zh-TW"),
        ("next", "/"),
    ];

    let res = app
        .post_raw(
            "/language",
            &fields,
            headers(&[("Origin", "https://evil.example")]),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .post_raw(
            "/language",
            &fields,
            headers(&[("Sec-Fetch-Site", "cross-site")]),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .post_raw("/language", &fields, headers(&[("Origin", "null")]))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(locale_of(&app, user), None);

    // A form on the dashboard's own pages: Chrome sends `Origin: null` because pages say
    // Referrer-Policy: no-referrer, and vouches with Sec-Fetch-Site.
    let res = app
        .post_raw(
            "/language",
            &[
                ("csrf_token", token.as_str()),
                ("locale", "en"),
                ("next", "/"),
            ],
            headers(&[("Origin", "null"), ("Sec-Fetch-Site", "same-origin")]),
        )
        .await;
    assert_redirect(&res, "/");
    assert_eq!(locale_of(&app, user).as_deref(), Some("en"));

    // The same request with the real origin goes through too.
    let res = app
        .post_raw(
            "/language",
            &fields,
            headers(&[("Origin", &app.address), ("Sec-Fetch-Site", "same-origin")]),
        )
        .await;
    assert_redirect(&res, "/");
    assert_eq!(locale_of(&app, user).as_deref(), Some("zh-TW"));
}

#[tokio::test]
async fn the_token_may_also_come_in_a_header() {
    let app = spawn_app().await;
    let user = signed_in_provider(&app).await;
    let token = app.csrf_token().await;
    let res = app
        .post_raw(
            "/language",
            &[("locale", "zh-TW")],
            headers(&[("X-CSRF-Token", &token)]),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(locale_of(&app, user).as_deref(), Some("zh-TW"));
}

#[tokio::test]
async fn sign_in_itself_needs_the_token() {
    let app = spawn_app().await;
    app.create_provider("alice@contoso.example");
    let res = app
        .post_raw(
            "/sign-in",
            &[("email", "alice@contoso.example"), ("password", PASSWORD)],
            HeaderMap::new(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_redirect(&app.get("/").await, "/sign-in?next=%2F");
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    app.create_provider("alice@contoso.example");
    let mut responses = vec![
        app.get("/sign-in").await,
        app.get("/no-such-page").await,
        app.get("/static/css/app.css").await,
        app.get("/healthz").await,
        app.post_raw("/language", &[], HeaderMap::new()).await,
    ];
    app.signed_in("alice@contoso.example").await;
    responses.push(app.get("/").await);
    for res in responses {
        let h = res.headers();
        let csp = h.get("content-security-policy").unwrap().to_str().unwrap();
        assert!(csp.contains("default-src 'none'"), "{csp}");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
        assert_eq!(h.get("referrer-policy").unwrap(), "no-referrer");
    }
}

#[tokio::test]
async fn pages_are_utf8_html_that_is_not_cached() {
    let app = spawn_app().await;
    let res = app.get("/sign-in").await;
    assert_eq!(
        res.headers().get("content-type").unwrap(),
        "text/html; charset=utf-8"
    );
    assert_eq!(res.headers().get("cache-control").unwrap(), "no-store");
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"<meta charset="utf-8">"#));
    // No inline script anywhere: scripts come from files.
    assert!(!html.contains("<script>"));
    assert!(!html.contains(" onclick="));
}

#[tokio::test]
async fn unknown_pages_are_404_in_the_layout() {
    let app = spawn_app().await;
    let res = app.get("/no-such-page").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let html = res.text().await.unwrap();
    assert_eq!(texts(&html, "h1"), vec!["Page not found"]);
}

/// Sends `path` exactly as written (an HTTP client would collapse `..` before sending); the status
/// and the body.
async fn raw_get(app: &TestApp, path: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = app.address.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(host).await.unwrap();
    socket
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
    let mut answer = Vec::new();
    socket.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {answer}"));
    (status, answer)
}

#[tokio::test]
async fn paths_that_climb_out_of_the_assets_reach_nothing_on_disk() {
    let app = spawn_app().await;
    // The control: the same request line reaches a real asset.
    let (status, body) = raw_get(&app, "/static/css/app.css").await;
    assert_eq!(status, 200, "{body}");
    for path in [
        "/static/../Cargo.toml",
        "/static/../../Cargo.toml",
        "/static/%2e%2e/Cargo.toml",
        "/static/..%2fCargo.toml",
        "/static/css/../../src/main.rs",
        "/static/..\\Cargo.toml",
    ] {
        let (status, body) = raw_get(&app, path).await;
        assert!(status == 404 || status == 400, "{path}: {status}\n{body}");
        assert!(
            !body.contains("[package]") && !body.contains("fn main"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn static_assets_are_served_from_the_binary_with_an_etag() {
    let app = spawn_app().await;
    let res = app.get("/static/js/app.js").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers().get("content-type").unwrap(),
        "text/javascript; charset=utf-8"
    );
    let etag = res
        .headers()
        .get("etag")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let again = app
        .client
        .get(app.url("/static/js/app.js"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let css = app.get("/static/css/app.css").await.text().await.unwrap();
    assert!(
        css.contains("PingFang TC")
            && css.contains("Microsoft JhengHei")
            && css.contains("Noto Sans TC")
    );
}

/// `next=` values a phishing link might carry; none may leave the dashboard.
const HOSTILE_NEXT: [&str; 12] = [
    "/\t/evil.example",
    "/\r\n/evil.example",
    "/\n/evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/x\\..\\\\evil.example",
    "//evil.example/",
    " //evil.example/",
    "https://evil.example/",
    "http://127.0.0.1.evil.example/",
    "/\u{7f}/evil.example",
    "javascript:alert(1)",
];

/// A redirect that stays on the dashboard: a plain path, nothing a browser could read as another host.
fn assert_stays_here(res: &reqwest::Response, expected: &str, next: &str) {
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "next={next:?}");
    let to = location(res);
    assert_eq!(to, expected, "next={next:?}");
}

fn query(next: &str) -> String {
    serde_urlencoded::to_string([("next", next)]).unwrap()
}

#[tokio::test]
async fn no_next_parameter_leads_off_the_site() {
    let app = spawn_app_with(AppOptions {
        throttle: partner_dashboard::config::ThrottleSettings {
            sign_up_per_address_burst: 1000,
            sign_up_per_email_burst: 1000,
            ..Default::default()
        },
        ..AppOptions::default()
    })
    .await;
    app.create_provider("alice@contoso.example");

    for (i, next) in HOSTILE_NEXT
        .iter()
        .chain(["/customers?page=2"].iter())
        .enumerate()
    {
        let safe = *next == "/customers?page=2";
        // Sign-in, and the sign-in form's own hidden field.
        let client = new_client();
        let html = app
            .html_with(&client, &format!("/sign-in?{}", query(next)))
            .await;
        let hidden = scraper::Html::parse_document(&html)
            .select(
                &scraper::Selector::parse(r#"form[action="/sign-in"] input[name=next]"#).unwrap(),
            )
            .next()
            .and_then(|e| e.value().attr("value").map(str::to_owned))
            .unwrap();
        assert_eq!(hidden, if safe { *next } else { "" }, "next={next:?}");
        let res = app
            .post_form_with(
                &client,
                "/sign-in",
                &[
                    ("email", "alice@contoso.example"),
                    ("password", PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_stays_here(&res, if safe { next } else { "/" }, next);

        // Signed in, the enrollment and sign-up pages send the visitor on at once.
        for page in ["/enroll", "/customers/sign-up"] {
            let res = app
                .get_with(&client, &format!("{page}?{}", query(next)))
                .await;
            assert_stays_here(&res, if safe { next } else { "/" }, next);
        }
        // The language switcher returns to `next`.
        let res = app
            .post_form_with(&client, "/language", &[("locale", "en"), ("next", next)])
            .await;
        assert_stays_here(&res, if safe { next } else { "/" }, next);

        // Enrolling and signing up sign the newcomer in, then follow `next`.
        let number = format!("{}", 7_000_000 + i);
        let email = format!("mei{i}@wwi.example");
        let res = app
            .post_form_with(
                &new_client(),
                "/enroll",
                &[
                    ("company_name", "Wide World Importers"),
                    ("partner_number", &number),
                    ("country", "TW"),
                    ("contact_name", "Lin Mei"),
                    ("email", &email),
                    ("password", PASSWORD),
                    ("confirm_password", PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_stays_here(&res, if safe { next } else { "/indirect-providers" }, next);
        let prefix = format!("proseware{i}");
        let email = format!("lee{i}@proseware.example");
        let res = app
            .post_form_with(
                &new_client(),
                "/customers/sign-up",
                &[
                    ("company_name", "Proseware"),
                    ("domain_prefix", &prefix),
                    ("country", "US"),
                    ("contact_first_name", "Lee"),
                    ("contact_last_name", "Wu"),
                    ("email", &email),
                    ("password", PASSWORD),
                    ("confirm_password", PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_stays_here(&res, if safe { next } else { "/my/subscriptions" }, next);
    }
}
