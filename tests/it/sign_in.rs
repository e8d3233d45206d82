use std::time::Duration;

use partner_dashboard::config::{DelayRule, ThrottleSettings};
use partner_dashboard::domain::EnrollmentStatus;

use partner_dashboard::domain::Email;
use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn sign_in_page_has_a_form_with_a_csrf_token() {
    let app = spawn_app().await;
    let (status, html) = app.get_html("/sign-in").await;
    assert_eq!(status, StatusCode::OK);
    assert!(csrf_in(&html).is_some_and(|t| t.len() >= 40));
    assert_eq!(texts(&html, "h1"), vec!["Sign in"]);
}

#[tokio::test]
async fn provider_signs_in_and_sees_the_dashboard_menu() {
    let app = spawn_app().await;
    app.create_provider("alice@contoso.example");

    let res = app.sign_in("alice@contoso.example", PASSWORD).await;
    assert_redirect(&res, "/");

    let (status, html) = app.get_html("/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        texts(&html, "nav.menu a"),
        vec![
            "Dashboard",
            "Indirect resellers",
            "Customers",
            "Orders",
            "Renewals",
            "Statements",
            "Price list",
            "Margins",
            "Team",
            "Profile",
            "Activity log",
            "Account"
        ]
    );
}

#[tokio::test]
async fn email_is_matched_whatever_its_case() {
    let app = spawn_app().await;
    app.create_provider("alice@contoso.example");
    let res = app.sign_in("  Alice@Contoso.EXAMPLE ", PASSWORD).await;
    assert_redirect(&res, "/");
}

#[tokio::test]
async fn wrong_password_and_unknown_account_get_the_same_answer() {
    let app = spawn_app().await;
    app.create_provider("alice@contoso.example");

    let wrong = app
        .sign_in("alice@contoso.example", "not the password")
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let wrong = wrong.text().await.unwrap();
    let unknown = app
        .sign_in("nobody@contoso.example", "not the password")
        .await;
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let unknown = unknown.text().await.unwrap();

    let message = texts(&wrong, "[role=alert]");
    assert_eq!(message, vec!["The email or password is not correct."]);
    assert_eq!(message, texts(&unknown, "[role=alert]"));
    // The email typed is kept; the password is not echoed back.
    assert!(wrong.contains(r#"value="alice@contoso.example""#));
    assert!(!wrong.contains("not the password"));
    // Still signed out.
    assert_redirect(&app.get("/").await, "/sign-in?next=%2F");
}

#[tokio::test]
async fn empty_fields_get_a_message_each() {
    let app = spawn_app().await;
    let res = app.sign_in("", "").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert_eq!(texts(&html, ".field-error").len(), 2);
}

/// Failures are free up to `free`, then each one makes the next attempt wait `delay`.
fn rule(free: u32, delay: Duration) -> DelayRule {
    DelayRule {
        free,
        first: delay,
        max: delay,
    }
}

const NEVER: DelayRule = DelayRule {
    free: 1000,
    first: Duration::from_secs(1),
    max: Duration::from_secs(1),
};

/// Settings where only the given rule bites.
fn only(which: &str, r: DelayRule) -> ThrottleSettings {
    ThrottleSettings {
        account_and_address: if which == "account_and_address" {
            r
        } else {
            NEVER
        },
        account: if which == "account" { r } else { NEVER },
        address: if which == "address" { r } else { NEVER },
        ..ThrottleSettings::default()
    }
}

/// A sign-in as if from `client_ip`, behind the trusted proxy (the test's own loopback).
async fn sign_in_from(
    app: &TestApp,
    client: &reqwest::Client,
    client_ip: &str,
    email: &str,
    password: &str,
) -> reqwest::Response {
    let token = app.csrf_token_with(client).await;
    client
        .post(app.url("/sign-in"))
        .header("Origin", &app.address)
        .header("X-Forwarded-For", client_ip)
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn repeated_failures_make_the_next_attempt_wait_even_with_the_right_password_and_the_wait_ends()
 {
    let app = spawn_app_with(AppOptions {
        throttle: only("account_and_address", rule(3, Duration::from_secs(1))),
        ..AppOptions::default()
    })
    .await;
    app.create_provider("alice@contoso.example");
    for _ in 0..3 {
        let res = app
            .sign_in("alice@contoso.example", "wrong password!")
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let res = app.sign_in("alice@contoso.example", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(res.headers()["retry-after"], "1");
    let html = res.text().await.unwrap();
    assert_eq!(
        texts(&html, "[role=alert]"),
        vec!["Too many sign-in attempts. Try again in 1 second."]
    );
    // An unknown account is throttled the same way, so the answer reveals nothing.
    for _ in 0..3 {
        app.sign_in("ghost@contoso.example", "wrong password!")
            .await;
    }
    let ghost = app
        .sign_in("ghost@contoso.example", "wrong password!")
        .await;
    assert_eq!(ghost.status(), StatusCode::TOO_MANY_REQUESTS);
    // A delay, not a lock: once it has passed, the right password works.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_redirect(&app.sign_in("alice@contoso.example", PASSWORD).await, "/");
}

#[tokio::test]
async fn successful_sign_ins_are_not_counted_as_attempts() {
    let app = spawn_app_with(AppOptions {
        throttle: ThrottleSettings {
            account_and_address: rule(2, Duration::from_secs(60)),
            account: rule(2, Duration::from_secs(60)),
            address: rule(2, Duration::from_secs(60)),
            ..ThrottleSettings::default()
        },
        ..AppOptions::default()
    })
    .await;
    app.create_provider("alice@contoso.example");
    for _ in 0..6 {
        let client = new_client();
        let res = app
            .sign_in_with(&client, "alice@contoso.example", PASSWORD)
            .await;
        assert_redirect(&res, "/");
    }
    // A success clears the account's failures: one wrong password after it is free again.
    app.sign_in("alice@contoso.example", "wrong password!")
        .await;
    assert_redirect(&app.sign_in("alice@contoso.example", PASSWORD).await, "/");
}

#[tokio::test]
async fn an_attacker_guessing_from_its_own_address_does_not_lock_the_owner_out() {
    let app = spawn_app_with(AppOptions {
        throttle: ThrottleSettings {
            account_and_address: rule(3, Duration::from_secs(600)),
            account: rule(50, Duration::from_secs(600)),
            address: NEVER,
            ..ThrottleSettings::default()
        },
        trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()],
        ..AppOptions::default()
    })
    .await;
    app.create_provider("alice@contoso.example");
    let attacker = new_client();
    for _ in 0..3 {
        let res = sign_in_from(
            &app,
            &attacker,
            "203.0.113.9",
            "alice@contoso.example",
            "guess!!!!!!!",
        )
        .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let res = sign_in_from(
        &app,
        &attacker,
        "203.0.113.9",
        "alice@contoso.example",
        "guess!!!!!!!",
    )
    .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // The owner, elsewhere, is not held up by the attacker's failures.
    let owner = new_client();
    let res = sign_in_from(
        &app,
        &owner,
        "198.51.100.7",
        "alice@contoso.example",
        PASSWORD,
    )
    .await;
    assert_redirect(&res, "/");
}

#[tokio::test]
async fn x_forwarded_for_is_believed_only_from_a_trusted_proxy() {
    // No TRUSTED_PROXIES: every request comes from the same peer, whatever its header says.
    let app = spawn_app_with(AppOptions {
        throttle: only("address", rule(3, Duration::from_secs(600))),
        ..AppOptions::default()
    })
    .await;
    for i in 0..3 {
        let client = new_client();
        let res = sign_in_from(
            &app,
            &client,
            &format!("203.0.113.{i}"),
            &format!("u{i}@contoso.example"),
            "guess!!!!!!!",
        )
        .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let res = sign_in_from(
        &app,
        &new_client(),
        "198.51.100.7",
        "alice@contoso.example",
        "guess!!!!!!!",
    )
    .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn many_failures_from_one_address_are_throttled_across_accounts() {
    let app = spawn_app_with(AppOptions {
        throttle: only("address", rule(4, Duration::from_secs(600))),
        ..AppOptions::default()
    })
    .await;
    app.create_provider("alice@contoso.example");
    for i in 0..4 {
        let res = app
            .sign_in(&format!("user{i}@contoso.example"), "wrong password!")
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let res = app.sign_in("alice@contoso.example", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(res.headers()["retry-after"], "600");
}

#[tokio::test]
async fn a_fresh_temporary_password_costs_a_sign_in_as_much_as_an_unknown_account() {
    // A customer admin's temporary password is hashed lightly; the check is topped up to full cost,
    // so "this address has a fresh admin account" cannot be read off the timing.
    let app = spawn_app().await;
    app.create_provider("alice@contoso.example");
    let (temporary, light) = partner_dashboard::auth::password::temporary_with_hash().unwrap();
    let fresh = Email::parse("admin@fresh.onmicrosoft.com").unwrap();
    let customer = app.create_customer_admin("other@wingtip.example", false).id;
    app.with_conn(|conn| {
        partner_dashboard::db::models::user::User::create(
            conn,
            partner_dashboard::db::models::user::NewUser {
                email: &fresh,
                password_hash: &light,
                role: partner_dashboard::domain::Role::Customer,
                partner_id: None,
                customer_id: Some(customer),
                display_name: "Fresh",
                locale: None,
                must_change_password: true,
            },
        )
        .unwrap()
    });
    let time = |email: &'static str| {
        let app = &app;
        async move {
            let client = new_client();
            app.csrf_token_with(&client).await;
            let mut best = Duration::MAX;
            for _ in 0..5 {
                let start = std::time::Instant::now();
                let res = app.sign_in_with(&client, email, "not the password!").await;
                assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
                best = best.min(start.elapsed());
            }
            best
        }
    };
    let unknown = time("nobody@fresh.onmicrosoft.com").await;
    let fresh_admin = time("admin@fresh.onmicrosoft.com").await;
    assert!(!temporary.is_empty());
    // Both spend one full argon2id check (milliseconds); the light hash alone takes microseconds.
    assert!(
        fresh_admin.as_secs_f64() > unknown.as_secs_f64() * 0.5,
        "fresh admin {fresh_admin:?} vs unknown {unknown:?}"
    );
}

#[tokio::test]
async fn each_role_lands_on_its_own_first_page() {
    let app = spawn_app().await;
    app.create_operator("olivia@platform.example");
    app.create_reseller("wei@northwind.example", EnrollmentStatus::Verified);
    app.create_customer_admin("admin@wingtip.example", false);

    for (email, home) in [
        ("olivia@platform.example", "/operations"),
        ("wei@northwind.example", "/indirect-providers"),
        ("admin@wingtip.example", "/my/subscriptions"),
    ] {
        let client = new_client();
        let res = app.sign_in_with(&client, email, PASSWORD).await;
        assert_redirect(&res, home);
        let page = app.get_with(&client, home).await;
        assert_eq!(page.status(), StatusCode::OK, "{email} opens {home}");
        // The home page of a provider is not theirs: they are sent on.
        assert_redirect(&app.get_with(&client, "/").await, home);
    }
}

#[tokio::test]
async fn signed_out_visitor_is_sent_to_sign_in_and_brought_back() {
    let app = spawn_app().await;
    app.create_provider("alice@contoso.example");
    let res = app.get("/customers?page=2").await;
    assert_redirect(&res, "/sign-in?next=%2Fcustomers%3Fpage%3D2");

    let html = app.get(&location(&res)).await.text().await.unwrap();
    assert!(html.contains(r#"name="next" value="/customers?page=2""#));
    let res = app
        .post_form(
            "/sign-in",
            &[
                ("email", "alice@contoso.example"),
                ("password", PASSWORD),
                ("next", "/customers?page=2"),
            ],
        )
        .await;
    assert_redirect(&res, "/customers?page=2");
}

#[tokio::test]
async fn sign_in_never_redirects_to_another_site() {
    let app = spawn_app().await;
    app.create_provider("alice@contoso.example");
    for next in [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
    ] {
        let client = new_client();
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
        assert_redirect(&res, "/");
    }
}

#[tokio::test]
async fn pages_of_another_role_do_not_exist_for_a_user() {
    let app = spawn_app().await;
    app.create_provider("alice@contoso.example");
    app.signed_in("alice@contoso.example").await;
    for path in [
        "/operations",
        "/indirect-providers",
        "/reseller/customers",
        "/my/subscriptions",
    ] {
        assert_eq!(
            app.get(path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_disabled_user_cannot_sign_in_and_is_signed_out() {
    use diesel::prelude::*;
    use partner_dashboard::db::schema::users;
    let app = spawn_app().await;
    let user = app.create_provider("alice@contoso.example").user_id;
    app.signed_in("alice@contoso.example").await;
    app.with_conn(|conn| {
        diesel::update(users::table.find(user))
            .set(users::disabled.eq(true))
            .execute(conn)
            .unwrap()
    });
    assert_redirect(&app.get("/").await, "/sign-in?next=%2F");
    let res = app.sign_in("alice@contoso.example", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
