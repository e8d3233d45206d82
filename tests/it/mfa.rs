//! Multi-factor sign-in (issue 16): set up from Account with the key as text, confirmed by a first
//! code; after the password, sign-in asks for a code — taken once, one step either side — or a
//! recovery code, each once.

use reqwest::StatusCode;

use crate::helpers::*;
use partner_dashboard::domain::totp;

fn code_at(key: &[u8], at: chrono::NaiveDateTime) -> String {
    totp::code(key, totp::step_at(at.and_utc().timestamp()))
}

/// Alice turns multi-factor sign-in on; her key and recovery codes.
async fn set_up(app: &TestApp) -> (Vec<u8>, Vec<String>) {
    app.signed_in("alice@contoso.example").await;
    let html = app.html("/account/mfa").await;
    let key = base32_decode(&texts(&html, "#mfa-key")[0]);
    assert_eq!(key.len(), 20);
    assert!(html.contains("<svg"), "a QR code");
    // The same key on a second look (kept in the session until confirmed).
    let again = app.html("/account/mfa").await;
    assert_eq!(texts(&again, "#mfa-key"), texts(&html, "#mfa-key"));
    let res = app.post_form("/account/mfa", &[("code", "000000")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let code = code_at(&key, app.state.now());
    let res = app.post_form("/account/mfa", &[("code", &code)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    let codes = texts(&html, "#recovery-codes li");
    assert_eq!(codes.len(), 10, "{codes:?}");
    (key, codes)
}

async fn password_step(app: &TestApp, client: &reqwest::Client) {
    let res = app
        .sign_in_with(client, "alice@contoso.example", PASSWORD)
        .await;
    assert_redirect(&res, "/sign-in/code");
    // Not signed in yet.
    let res = app.get_with(client, "/").await;
    assert!(location(&res).starts_with("/sign-in"), "{}", location(&res));
}

#[tokio::test]
async fn sign_in_asks_for_a_code_taken_once_within_a_step_either_side() {
    let app = spawn_app().await;
    let start =
        chrono::NaiveDateTime::parse_from_str("2027-01-04 09:00:10", "%Y-%m-%d %H:%M:%S").unwrap();
    app.state.clock.set(start);
    app.create_provider("alice@contoso.example");
    let (key, _) = set_up(&app).await;
    let html = app.html("/account/password").await;
    assert!(html.contains("On: signing in asks for a code"), "{html}");

    let client = new_client();
    password_step(&app, &client).await;
    // The code that confirmed the set-up was taken: a replay is refused.
    let replay = code_at(&key, start);
    let res = app
        .post_form_with(&client, "/sign-in/code", &[("code", &replay)])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Two steps later, the previous step's code is still good (one step of drift)...
    let later = start + chrono::Duration::seconds(60);
    app.state.clock.set(later);
    let previous = code_at(&key, later - chrono::Duration::seconds(30));
    let res = app
        .post_form_with(&client, "/sign-in/code", &[("code", &previous)])
        .await;
    assert_redirect(&res, "/");
    assert_eq!(app.get_with(&client, "/").await.status(), StatusCode::OK);

    // ...but not twice, and a code two steps old never.
    let other = new_client();
    password_step(&app, &other).await;
    let res = app
        .post_form_with(&other, "/sign-in/code", &[("code", &previous)])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "taken once");
    let stale = code_at(&key, later - chrono::Duration::seconds(60));
    let res = app
        .post_form_with(&other, "/sign-in/code", &[("code", &stale)])
        .await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "two steps old"
    );
    let next = code_at(&key, later + chrono::Duration::seconds(30));
    let res = app
        .post_form_with(&other, "/sign-in/code", &[("code", &next)])
        .await;
    assert_redirect(&res, "/");
}

#[tokio::test]
async fn each_recovery_code_signs_in_once() {
    let app = spawn_app().await;
    app.create_provider("alice@contoso.example");
    let (_, codes) = set_up(&app).await;
    let client = new_client();
    password_step(&app, &client).await;
    let res = app
        .post_form_with(
            &client,
            "/sign-in/code",
            &[("code", &codes[3].to_uppercase())],
        )
        .await;
    assert_redirect(&res, "/");
    let html = app.html_with(&client, "/").await;
    assert!(
        html.contains("You signed in with a recovery code. 9 are left."),
        "{html}"
    );

    let again = new_client();
    password_step(&app, &again).await;
    let res = app
        .post_form_with(&again, "/sign-in/code", &[("code", &codes[3])])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "used once");
    let res = app
        .post_form_with(&again, "/sign-in/code", &[("code", &codes[4])])
        .await;
    assert_redirect(&res, "/");
    // Without the password step, a code alone signs no one in.
    let stranger = new_client();
    let token = app.csrf_token_with(&stranger).await;
    let res = stranger
        .post(app.url("/sign-in/code"))
        .header("Origin", &app.address)
        .form(&[("csrf_token", token.as_str()), ("code", codes[5].as_str())])
        .send()
        .await
        .unwrap();
    assert_redirect(&res, "/sign-in");
    assert!(location(&app.get_with(&stranger, "/").await).starts_with("/sign-in"));
}

#[tokio::test]
async fn a_required_mfa_comes_first_and_an_admin_can_reset_a_members() {
    let app = spawn_app().await;
    let provider = app.create_provider("alice@contoso.example");
    let sam = app.create_member(
        Some(provider.id),
        "sam@contoso.example",
        partner_dashboard::domain::MemberRole::Sales,
    );
    app.signed_in("alice@contoso.example").await;
    let res = app
        .post_form("/team/require-mfa", &[("require_mfa", "yes")])
        .await;
    assert_redirect(&res, "/team");
    // Alice herself now sets it up before anything else.
    assert_redirect(&app.get("/customers").await, "/account/mfa");

    // Sam signs in with his password: every page sends him to set it up first.
    let client = new_client();
    app.sign_in_with(&client, "sam@contoso.example", PASSWORD)
        .await;
    assert_redirect(&app.get_with(&client, "/customers").await, "/account/mfa");
    let html = app.html_with(&client, "/account/mfa").await;
    assert!(
        html.contains("Your organisation requires multi-factor sign-in"),
        "{html}"
    );
    let key = base32_decode(&texts(&html, "#mfa-key")[0]);
    let code = code_at(&key, app.state.now());
    let res = app
        .post_form_with(&client, "/account/mfa", &[("code", &code)])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app.get_with(&client, "/customers").await.status(),
        StatusCode::OK
    );
    assert!(app.user(sam).totp_secret.is_some());

    // Alice (set up too) resets Sam's: he is told, and sets it up again.
    let html = app.html("/account/mfa").await;
    let alice_key = base32_decode(&texts(&html, "#mfa-key")[0]);
    let res = app
        .post_form(
            "/account/mfa",
            &[("code", &code_at(&alice_key, app.state.now()))],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .post_form(&format!("/team/members/{sam}/reset-mfa"), &[])
        .await;
    assert_redirect(&res, "/team");
    assert!(app.user(sam).totp_secret.is_none());
    let email = app.mail.wait_for("sam@contoso.example").await;
    assert!(
        email.subject.contains("multi-factor sign-in was reset"),
        "{}",
        email.subject
    );
    assert_redirect(&app.get_with(&client, "/customers").await, "/account/mfa");
    let html = app.html("/activity-log").await;
    assert!(html.contains("multi-factor sign-in reset"), "{html}");
}

/// The last sign-in Team shows is the completed one: the password alone does not count while a code
/// is still asked for.
#[tokio::test]
async fn the_last_sign_in_counts_once_the_code_is_accepted() {
    use diesel::prelude::*;
    use partner_dashboard::db::schema::users;
    let app = spawn_app().await;
    let alice = app.create_provider("alice@contoso.example").user_id;
    let (key, _) = set_up(&app).await;
    let long_ago =
        chrono::NaiveDateTime::parse_from_str("2020-01-01 00:00:00", "%Y-%m-%d %H:%M:%S").unwrap();
    app.with_conn(|conn| {
        diesel::update(users::table.find(alice))
            .set(users::last_sign_in_at.eq(Some(long_ago)))
            .execute(conn)
            .unwrap()
    });
    let client = new_client();
    password_step(&app, &client).await;
    assert_eq!(app.user(alice).last_sign_in_at, Some(long_ago));
    // The next step's code (the set-up took this one).
    let later = app.state.now() + chrono::Duration::seconds(30);
    app.state.clock.set(later);
    let res = app
        .post_form_with(&client, "/sign-in/code", &[("code", &code_at(&key, later))])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let last = app.user(alice).last_sign_in_at.unwrap();
    assert!(last > long_ago, "{last}");
}

/// The platform, like a provider, requires multi-factor sign-in of its operators unless a platform
/// admin switches it off (a fresh database has it on; the suite's apps start with it off).
#[tokio::test]
async fn the_platform_requires_mfa_of_operators_until_a_platform_admin_switches_it_off() {
    use partner_dashboard::db::models::platform::Platform;
    // A fresh database: on.
    let dir = std::env::temp_dir().join(format!("pd-platform-{}", partner_dashboard::db::new_id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = test_database(&dir);
    let fresh = tokio::task::spawn_blocking(move || partner_dashboard::db::Db::connect(&url))
        .await
        .unwrap()
        .unwrap();
    let on = fresh.query(Platform::require_mfa).await.unwrap();
    assert!(on, "on by default");
    let closing = fresh.clone();
    tokio::task::spawn_blocking(move || closing.close())
        .await
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);

    let app = spawn_app().await;
    app.with_conn(|conn| Platform::set_require_mfa(conn, true))
        .unwrap();
    app.create_operator("olivia@platform.example");
    app.create_member(
        None,
        "sven@platform.example",
        partner_dashboard::domain::MemberRole::Support,
    );
    app.signed_in("olivia@platform.example").await;
    assert_redirect(&app.get("/operations").await, "/account/mfa");
    let html = app.html("/account/mfa").await;
    let key = base32_decode(&texts(&html, "#mfa-key")[0]);
    let res = app
        .post_form("/account/mfa", &[("code", &code_at(&key, app.state.now()))])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let home = app.html("/operations").await;
    assert!(
        home.contains("Operators must use multi-factor sign-in"),
        "{home}"
    );

    // A support operator without it is sent to set it up; and may not switch it.
    let sven = new_client();
    app.sign_in_with(&sven, "sven@platform.example", PASSWORD)
        .await;
    assert_redirect(&app.get_with(&sven, "/operations").await, "/account/mfa");

    // Olivia switches it off: Sven reaches the console with his password alone.
    let res = app.post_form("/operations/require-mfa", &[]).await;
    assert_redirect(&res, "/operations#card-mfa");
    assert!(!app.with_conn(Platform::require_mfa).unwrap());
    assert_eq!(
        app.get_with(&sven, "/operations").await.status(),
        StatusCode::OK
    );
    let res = app
        .post_form_with(&sven, "/operations/require-mfa", &[("require_mfa", "on")])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(!app.with_conn(Platform::require_mfa).unwrap());
    // And on again: Sven is sent to set it up at his next page.
    let res = app
        .post_form("/operations/require-mfa", &[("require_mfa", "on")])
        .await;
    assert_redirect(&res, "/operations#card-mfa");
    assert_redirect(&app.get_with(&sven, "/operations").await, "/account/mfa");
    let log = app.html("/operations/activity-log").await;
    assert!(
        log.contains("Operators’ multi-factor requirement changed"),
        "{log}"
    );
}
