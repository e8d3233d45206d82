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
    // A visitor who chose a language has a session before signing in.
    let before = session_cookie(
        &app.post_form("/language", &[("locale", "zh-TW"), ("next", "/sign-in")])
            .await,
    )
    .expect("an anonymous session holding the language");

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
    app.create_provider("alice@contoso.example");
    let res = app.get("/sign-in").await;
    let anonymous = set_cookie(&res, "pd_csrf").expect("the anonymous form token's cookie");
    assert!(anonymous.contains("HttpOnly") && anonymous.contains("SameSite=Lax"));
    assert!(!anonymous.contains("Secure"));
    let res = app.sign_in("alice@contoso.example", PASSWORD).await;
    let cookie = set_cookie(&res, "pd_session").unwrap();
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    // Served over plain http here, so not Secure (it would never be sent back otherwise).
    assert!(!cookie.contains("Secure"));
}

/// The `Set-Cookie` header for `name`, if the response sets it.
fn set_cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with(&format!("{name}=")))
}

#[tokio::test]
async fn cookie_is_secure_and_hsts_is_sent_when_the_dashboard_is_served_over_https() {
    let app = spawn_app_with(AppOptions {
        base_url: Some("https://partners.example.com".into()),
        ..AppOptions::default()
    })
    .await;
    app.create_provider("alice@contoso.example");
    let res = app.get("/sign-in").await;
    assert!(res.headers().get("strict-transport-security").is_some());
    let anonymous = set_cookie(&res, "pd_csrf").unwrap();
    assert!(anonymous.contains("Secure"));
    // The client would not send a Secure cookie over this test's plain http: send it by hand.
    let nonce = anonymous
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("pd_csrf=")
        .to_owned();
    let token = csrf_in(&res.text().await.unwrap()).unwrap();
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(app.url("/sign-in"))
        .header("Origin", "https://partners.example.com")
        .header("Cookie", format!("pd_csrf={nonce}"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "alice@contoso.example"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_redirect(&res, "/");
    assert!(set_cookie(&res, "pd_session").unwrap().contains("Secure"));
}

#[tokio::test]
async fn sessions_are_kept_on_the_server_under_a_hash_of_the_cookie() {
    let app = spawn_app().await;
    let user = app.create_provider("alice@contoso.example").user_id;
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

#[tokio::test]
async fn a_session_ended_while_a_request_ran_is_not_brought_back_by_its_update() {
    use actix_session::storage::{SessionKey, SessionStore};
    use partner_dashboard::auth::session_store::DbSessionStore;
    use partner_dashboard::db::models::session::SessionRow;
    let app = spawn_app().await;
    let user = app.create_provider("alice@contoso.example").user_id;
    let store = DbSessionStore::new(app.state.db.clone());
    let ttl = actix_web::cookie::time::Duration::minutes(30);
    // The state of a signed-in session, as a request loaded it.
    let state: std::collections::HashMap<String, String> = [
        ("uid", user.to_string()),
        (
            "csrf",
            "\"a-csrf-token-of-that-session-0123456789abcdef\"".to_owned(),
        ),
        ("secret:partnership_link:1", "\"sealed\"".to_owned()),
        ("locale", "\"zh-TW\"".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let key: SessionKey = store.save(state.clone(), &ttl).await.unwrap();
    // Meanwhile a password change (or sign-out, or expiry) ends every session of the user…
    app.with_conn(|conn| SessionRow::delete_for_user(conn, user, None).unwrap());
    // …and then the request that loaded the session saves its changes.
    let old_key: String = key.as_ref().to_owned();
    let new_key = store.update(key, state, &ttl).await.unwrap();
    assert_ne!(new_key.as_ref(), old_key);
    let rows: Vec<(Option<i64>, String)> = app.with_conn(|conn| {
        sessions::table
            .select((sessions::user_id, sessions::state))
            .load(conn)
            .unwrap()
    });
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].0, None, "no signed-in session is re-created");
    let kept: std::collections::HashMap<String, String> = serde_json::from_str(&rows[0].1).unwrap();
    assert_eq!(
        kept.keys().collect::<Vec<_>>(),
        vec!["locale"],
        "only the language survives: {kept:?}"
    );
}

#[tokio::test]
async fn requests_in_flight_around_a_password_change_leave_no_signed_in_session_behind() {
    let app = spawn_app().await;
    let user = app.create_provider("alice@contoso.example").user_id;
    app.signed_in("alice@contoso.example").await;
    let other_device = new_client();
    let res = app
        .sign_in_with(&other_device, "alice@contoso.example", PASSWORD)
        .await;
    assert_redirect(&res, "/");
    assert_eq!(
        app.get_with(&other_device, "/").await.status(),
        StatusCode::OK,
        "the other device is signed in before the change"
    );
    let token = app.csrf_token_with(&other_device).await;
    // The other device keeps changing its session (the language), several requests at a time, until
    // after this one has changed the password.
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let busy: Vec<_> = (0..4)
        .map(|i| {
            let client = other_device.clone();
            let url = app.url("/language");
            let origin = app.address.clone();
            let token = token.clone();
            let done = done.clone();
            tokio::spawn(async move {
                let mut statuses = Vec::new();
                let mut after = 0;
                while after < 5 {
                    if done.load(std::sync::atomic::Ordering::SeqCst) {
                        after += 1;
                    }
                    let res = client
                        .post(&url)
                        .header("Origin", &origin)
                        .form(&[
                            ("csrf_token", token.as_str()),
                            ("locale", if i % 2 == 0 { "zh-TW" } else { "en" }),
                            ("next", "/"),
                        ])
                        .send()
                        .await
                        .unwrap();
                    statuses.push(res.status());
                }
                statuses
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let changed = app
        .post_form(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a brand new password"),
                ("confirm_password", "a brand new password"),
            ],
        )
        .await;
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    assert_redirect(&changed, "/");
    let mut statuses = Vec::new();
    for task in busy {
        statuses.extend(task.await.unwrap());
    }
    assert!(
        statuses.len() > 20,
        "requests were in flight throughout: {}",
        statuses.len()
    );
    assert!(
        statuses
            .iter()
            .all(|s| s.is_redirection() || *s == StatusCode::FORBIDDEN),
        "{statuses:?}"
    );
    let signed_in: i64 = app.with_conn(|conn| {
        sessions::table
            .filter(sessions::user_id.eq(user))
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(
        signed_in, 1,
        "only the session that changed the password is signed in"
    );
    assert_eq!(app.get("/").await.status(), StatusCode::OK);
    assert_redirect(&app.get_with(&other_device, "/").await, "/sign-in?next=%2F");
}

#[tokio::test]
async fn anonymous_page_views_write_nothing() {
    let app = spawn_app().await;
    app.create_provider("alice@contoso.example");
    let before = app.row_counts();
    assert!(
        before.len() > 15 && before.contains_key("sessions"),
        "{before:?}"
    );
    let pages = [
        "/providers",
        "/sign-in",
        "/enroll",
        "/customers/sign-up",
        "/sign-in?next=%2Fcustomers",
        "/no-such-page",
    ];
    let visitor = new_client();
    for i in 0..60 {
        let page = pages[i % pages.len()];
        // Half from one visitor who keeps its cookies, half from first-time visitors.
        let client = if i % 2 == 0 {
            visitor.clone()
        } else {
            new_client()
        };
        let res = app.get_with(&client, page).await;
        assert!(
            res.status() == StatusCode::OK || res.status() == StatusCode::NOT_FOUND,
            "{page}: {}",
            res.status()
        );
        assert!(session_cookie(&res).is_none(), "{page} made a session");
    }
    assert_eq!(app.row_counts(), before);
    // The forms on those pages still work: their token needs no session.
    let res = app
        .sign_in_with(&visitor, "alice@contoso.example", PASSWORD)
        .await;
    assert_redirect(&res, "/");
}

/// Account → Signed-in devices (issue 16): each session with its browser and address, this one marked;
/// Sign out ends another device's session at once; Sign out everywhere else keeps only this one.
#[tokio::test]
async fn signed_in_devices_are_listed_and_signed_out_one_by_one_or_all_but_this_one() {
    let app = spawn_app().await;
    app.create_provider("alice@contoso.example");
    let client_with = |agent: &str| {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(agent.to_owned())
            .build()
            .unwrap()
    };
    let windows = client_with(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    );
    let phone = client_with(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    );
    let linux =
        client_with("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0");
    for client in [&windows, &phone, &linux] {
        let res = app
            .sign_in_with(client, "alice@contoso.example", PASSWORD)
            .await;
        assert_eq!(res.status(), reqwest::StatusCode::SEE_OTHER);
    }
    let html = app.html_with(&windows, "/account/password").await;
    let rows = texts(&html, "#device-list tbody td:first-child");
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(
        rows.iter()
            .any(|r| r.starts_with("Chrome · Windows") && r.contains("This device")),
        "{rows:?}"
    );
    assert!(rows.iter().any(|r| r == "Safari · iOS"), "{rows:?}");
    assert!(
        texts(&html, "#device-list td.mono")
            .iter()
            .all(|a| a == "127.0.0.1")
    );

    // Sign out the phone: its next request is signed out; the others go on.
    let forms = attrs(&html, "#device-list form", "action");
    let phone_row = rows.iter().position(|r| r == "Safari · iOS").unwrap();
    let res = app.post_form_with(&windows, &forms[phone_row], &[]).await;
    assert_redirect(&res, "/account/password#devices");
    let res = app.get_with(&phone, "/").await;
    assert!(
        location(&res).starts_with("/sign-in"),
        "the phone is signed out"
    );
    assert_eq!(
        app.get_with(&linux, "/").await.status(),
        reqwest::StatusCode::OK
    );

    // Everywhere else: only this one stays.
    let res = app
        .post_form_with(&windows, "/account/devices/sign-out-others", &[])
        .await;
    assert_redirect(&res, "/account/password#devices");
    assert!(location(&app.get_with(&linux, "/").await).starts_with("/sign-in"));
    assert_eq!(
        app.get_with(&windows, "/").await.status(),
        reqwest::StatusCode::OK
    );
    let html = app.html_with(&windows, "/account/password").await;
    assert_eq!(texts(&html, "#device-list tbody tr").len(), 1);
    // Another user's device cannot be named.
    app.create_named_provider("Fabrikam", "bob@fabrikam.example");
    let bob = new_client();
    app.sign_in_with(&bob, "bob@fabrikam.example", PASSWORD)
        .await;
    let own = attrs(&html, "#device-list form", "action").pop().unwrap();
    let res = app.post_form_with(&bob, &own, &[]).await;
    assert_redirect(&res, "/account/password#devices");
    assert_eq!(
        app.get_with(&windows, "/").await.status(),
        reqwest::StatusCode::OK,
        "still signed in"
    );
}
