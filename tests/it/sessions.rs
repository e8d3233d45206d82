use std::time::Duration;

use diesel::prelude::*;
use partner_dashboard::db::schema::sessions;
use reqwest::StatusCode;

use crate::helpers::*;

/// The value of the session cookie a response sets, if it sets one.
fn session_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers().get_all("set-cookie").iter().find_map(|v| {
        let v = v.to_str().ok()?;
        v.strip_prefix("pd_session=")
            .map(|rest| rest.split(';').next().unwrap_or("").to_owned())
    })
}

async fn get_with_cookie(app: &TestApp, path: &str, cookie: &str) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url(path))
        .header("Cookie", format!("pd_session={cookie}"))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn sign_in_gives_a_new_session_and_the_old_cookie_stays_signed_out() {
    let app = spawn_app().await;
    app.create_provider("alice@contoso.example");
    let before =
        session_cookie(&app.get("/sign-in").await).expect("a session for the sign-in form");

    let res = app.sign_in("alice@contoso.example", PASSWORD).await;
    let after = session_cookie(&res).expect("a new session cookie at sign-in");
    assert_ne!(before, after);

    // Session fixation: whoever held the pre-sign-in cookie is not signed in.
    assert_redirect(
        &get_with_cookie(&app, "/", &before).await,
        "/sign-in?next=%2F",
    );
    assert_eq!(
        get_with_cookie(&app, "/", &after).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn sign_out_ends_the_session_on_the_server() {
    let app = spawn_app().await;
    app.create_provider("alice@contoso.example");
    let cookie = session_cookie(&app.sign_in("alice@contoso.example", PASSWORD).await).unwrap();
    assert_eq!(
        get_with_cookie(&app, "/", &cookie).await.status(),
        StatusCode::OK
    );

    let res = app.post_form("/sign-out", &[]).await;
    assert_redirect(&res, "/sign-in?signed_out=1");
    // A copy of the cookie kept by an attacker is worthless now.
    assert_redirect(
        &get_with_cookie(&app, "/", &cookie).await,
        "/sign-in?next=%2F",
    );
    let html = app.get("/sign-in?signed_out=1").await.text().await.unwrap();
    assert!(html.contains("You have signed out."));
}

#[tokio::test]
async fn session_cookie_is_http_only_and_same_site_lax() {
    let app = spawn_app().await;
    let res = app.get("/sign-in").await;
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("pd_session="))
        .unwrap();
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    // Served over plain http here, so not Secure (it would never be sent back otherwise).
    assert!(!cookie.contains("Secure"));
}

#[tokio::test]
async fn cookie_is_secure_and_hsts_is_sent_when_the_dashboard_is_served_over_https() {
    let app = spawn_app_with(AppOptions {
        base_url: Some("https://partners.example.com".into()),
        ..AppOptions::default()
    })
    .await;
    let res = app.get("/sign-in").await;
    assert!(res.headers().get("strict-transport-security").is_some());
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("pd_session="))
        .unwrap();
    assert!(cookie.contains("Secure"));
}

#[tokio::test]
async fn sessions_are_kept_on_the_server_under_a_hash_of_the_cookie() {
    let app = spawn_app().await;
    let (_, user) = app.create_provider("alice@contoso.example");
    let cookie = session_cookie(&app.sign_in("alice@contoso.example", PASSWORD).await).unwrap();
    let ids: Vec<String> = app.with_conn(|conn| {
        sessions::table
            .filter(sessions::user_id.eq(user))
            .select(sessions::id)
            .load(conn)
            .unwrap()
    });
    assert_eq!(ids.len(), 1);
    assert_eq!(ids[0].len(), 64);
    assert!(!cookie.contains(&ids[0]));
}

#[tokio::test]
async fn an_idle_session_ends() {
    let app = spawn_app_with(AppOptions {
        session_idle: Duration::from_secs(2),
        ..AppOptions::default()
    })
    .await;
    app.create_provider("alice@contoso.example");
    app.signed_in("alice@contoso.example").await;
    assert_eq!(app.get("/").await.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_redirect(&app.get("/").await, "/sign-in?next=%2F");
}

#[tokio::test]
async fn signing_out_keeps_the_chosen_language_but_not_the_session() {
    let app = spawn_app().await;
    app.create_provider("alice@contoso.example");
    let cookie = session_cookie(&app.sign_in("alice@contoso.example", PASSWORD).await).unwrap();
    app.post_form("/language", &[("locale", "zh-TW"), ("next", "/")])
        .await;

    let res = app.post_form("/sign-out", &[]).await;
    assert_redirect(&res, "/sign-in?signed_out=1");
    let html = app.get("/sign-in?signed_out=1").await.text().await.unwrap();
    assert_eq!(texts(&html, "h1"), vec!["登入"]);
    assert!(html.contains("您已登出。"));
    assert_redirect(&app.get("/").await, "/sign-in?next=%2F");
    assert_redirect(
        &get_with_cookie(&app, "/", &cookie).await,
        "/sign-in?next=%2F",
    );
}

#[tokio::test]
async fn a_page_view_writes_nothing_to_the_session_and_the_preloaded_user_is_never_stored() {
    let app = spawn_app().await;
    app.create_provider("alice@contoso.example");
    app.signed_in("alice@contoso.example").await;
    // Sign-in leaves a flash for the first page; after that, page views only read.
    assert_eq!(app.get("/").await.status(), StatusCode::OK);
    let before: Vec<(String, chrono::NaiveDateTime)> = app.with_conn(|conn| {
        sessions::table
            .select((sessions::state, sessions::expires_at))
            .load(conn)
            .unwrap()
    });
    for path in ["/", "/customers", "/indirect-resellers"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert!(res.headers().get("set-cookie").is_none(), "{path}");
    }
    let after: Vec<(String, chrono::NaiveDateTime)> = app.with_conn(|conn| {
        sessions::table
            .select((sessions::state, sessions::expires_at))
            .load(conn)
            .unwrap()
    });
    assert_eq!(before, after);
    assert_eq!(after.len(), 1);
    assert!(after[0].0.contains("uid"));
    assert!(!after[0].0.contains("user"), "{}", after[0].0);
}
