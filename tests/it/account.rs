use reqwest::StatusCode;

use crate::helpers::*;
use partner_dashboard::domain::Role;

const NEW_PASSWORD: &str = "a brand new passphrase";

#[tokio::test]
async fn a_temporary_password_must_be_replaced_before_anything_else() {
    let app = spawn_app().await;
    let provider = app.create_provider("owner@contoso.example").id;
    let user = app.create_user("temp@contoso.example", Role::Provider, Some(provider), true);

    let res = app.sign_in("temp@contoso.example", PASSWORD).await;
    assert_redirect(&res, "/account/password");
    // Every other page sends the user back to choose a password.
    assert_redirect(&app.get("/").await, "/account/password");
    assert_redirect(&app.get("/customers").await, "/account/password");
    let html = app.get("/account/password").await.text().await.unwrap();
    assert!(html.contains("You signed in with a temporary password."));
    // No menu until the password is changed.
    assert!(texts(&html, "nav.menu a").is_empty());

    let res = app
        .post_form(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
                ("confirm_password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_redirect(&res, "/");
    assert!(!app.user(user).must_change_password);
    let (status, html) = app.get_html("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Your password was changed."));

    // The temporary password no longer works; the new one does.
    let other = new_client();
    assert_eq!(
        app.sign_in_with(&other, "temp@contoso.example", PASSWORD)
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_redirect(
        &app.sign_in_with(&other, "temp@contoso.example", NEW_PASSWORD)
            .await,
        "/",
    );
}

#[tokio::test]
async fn a_customer_admin_with_a_temporary_password_changes_it_first() {
    let app = spawn_app().await;
    app.create_customer_admin("admin@wingtip.example", true);
    assert_redirect(
        &app.sign_in("admin@wingtip.example", PASSWORD).await,
        "/account/password",
    );
    let res = app
        .post_form(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
                ("confirm_password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_redirect(&res, "/my/subscriptions");
}

#[tokio::test]
async fn bad_password_changes_come_back_with_a_message_per_field() {
    let app = spawn_app().await;
    let user = app.create_provider("alice@contoso.example").user_id;
    app.signed_in("alice@contoso.example").await;
    let before = app.user(user).password_hash;

    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
    let cases: [Case; 4] = [
        (
            &[
                ("current_password", "wrong wrong wrong"),
                ("new_password", NEW_PASSWORD),
                ("confirm_password", NEW_PASSWORD),
            ],
            "current_password",
            "The current password is not correct.",
        ),
        (
            &[
                ("current_password", PASSWORD),
                ("new_password", "short"),
                ("confirm_password", "short"),
            ],
            "new_password",
            "Use at least 12 characters.",
        ),
        (
            &[
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
                ("confirm_password", "something else entirely"),
            ],
            "confirm_password",
            "The two new passwords do not match.",
        ),
        (
            &[
                ("current_password", PASSWORD),
                ("new_password", PASSWORD),
                ("confirm_password", PASSWORD),
            ],
            "new_password",
            "Choose a password different from the current one.",
        ),
    ];
    for (fields, field, message) in cases {
        let res = app.post_form("/account/password", fields).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        let html = res.text().await.unwrap();
        assert_eq!(texts(&html, &format!("#f-{field}-error")), vec![message]);
        // Passwords are never echoed back into the page.
        for (_, value) in fields {
            assert!(!html.contains(&format!("value=\"{value}\"")));
        }
    }
    assert_eq!(app.user(user).password_hash, before);
}

#[tokio::test]
async fn changing_the_password_signs_out_the_other_sessions_and_sends_an_email() {
    let app = spawn_app().await;
    app.create_provider("alice@contoso.example");
    let laptop = new_client();
    app.sign_in_with(&laptop, "alice@contoso.example", PASSWORD)
        .await;
    app.signed_in("alice@contoso.example").await;
    assert_eq!(
        app.get_with(&laptop, "/").await.status(),
        StatusCode::OK,
        "the other device is signed in before the change"
    );

    let res = app
        .post_form(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
                ("confirm_password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_redirect(&res, "/");
    // This browser stays signed in (under a new session key); the other one is signed out.
    assert_eq!(app.get("/").await.status(), StatusCode::OK);
    assert_redirect(&app.get_with(&laptop, "/").await, "/sign-in?next=%2F");

    let email = app.mail.wait_for("alice@contoso.example").await;
    assert_eq!(email.subject, "Your Partner Dashboard password was changed");
    assert!(email.text.contains("was changed on"));
    assert!(email.html.contains("<html"));
}
