use std::time::Duration;

use partner_dashboard::config::ThrottleSettings;
use partner_dashboard::db::models::partner::EnrollmentStatus;
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

#[tokio::test]
async fn repeated_failures_lock_the_account_out_for_a_while_even_with_the_right_password() {
    let app = spawn_app_with(AppOptions {
        throttle: ThrottleSettings {
            per_account_burst: 3,
            per_account_every: Duration::from_secs(3600),
            per_address_burst: 100,
            per_address_every: Duration::from_secs(1),
        },
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
    let html = res.text().await.unwrap();
    assert_eq!(
        texts(&html, "[role=alert]"),
        vec!["Too many sign-in attempts. Wait a minute, then try again."]
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
}

#[tokio::test]
async fn many_failures_from_one_address_are_throttled_across_accounts() {
    let app = spawn_app_with(AppOptions {
        throttle: ThrottleSettings {
            per_account_burst: 100,
            per_account_every: Duration::from_secs(1),
            per_address_burst: 4,
            per_address_every: Duration::from_secs(3600),
        },
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
    let (_, user) = app.create_provider("alice@contoso.example");
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
