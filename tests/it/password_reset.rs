//! Forgot your password? (issue 16): the same answer for an unknown address, a link that works once
//! and for an hour, and a new password that ends every session.

use reqwest::StatusCode;

use crate::helpers::*;

fn link_in(text: &str) -> String {
    let start = text.find("/password-reset/").expect("a link");
    let end = text[start..]
        .find(char::is_whitespace)
        .map_or(text.len(), |i| start + i);
    text[start..end].to_owned()
}

/// The POST's answer as a visitor sees it: status, where it sends them, and the page there.
async fn ask(app: &TestApp, email: &str) -> (StatusCode, String, String) {
    let client = new_client();
    let res = app
        .post_form_with(&client, "/sign-in/forgot", &[("email", email)])
        .await;
    let status = res.status();
    let to = location(&res);
    let body = res.text().await.unwrap();
    let page = app.html_with(&client, &to).await;
    let page = page.replace(&csrf_in(&page).unwrap_or_default(), "");
    (status, to, format!("{body}{page}"))
}

async fn set_password(app: &TestApp, client: &reqwest::Client, path: &str) -> reqwest::Response {
    let html = app.html_with(client, path).await;
    let token = csrf_in(&html).unwrap();
    client
        .post(app.url(path))
        .header("Origin", &app.address)
        .form(&[
            ("csrf_token", token.as_str()),
            ("new_password", "a brand new password"),
            ("confirm_password", "a brand new password"),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_unknown_address_gets_the_same_answer_and_no_email() {
    let app = spawn_app().await;
    app.create_provider("alice@contoso.example");
    let known = ask(&app, "alice@contoso.example").await;
    let unknown = ask(&app, "nobody@contoso.example").await;
    assert_eq!(known.0, StatusCode::SEE_OTHER);
    assert_eq!(known, unknown);
    assert!(
        known.2.contains("If an account uses that address"),
        "{}",
        known.2
    );
    app.mail.wait_for("alice@contoso.example").await;
    app.state.wake_outbox();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(app.mail.received_by("nobody@contoso.example").is_empty());
    let links = app.with_conn(|conn| {
        use diesel::prelude::*;
        partner_dashboard::db::schema::password_resets::table
            .count()
            .get_result::<i64>(conn)
            .unwrap()
    });
    assert_eq!(links, 1);
}

#[tokio::test]
async fn the_link_sets_a_password_once_within_the_hour_and_signs_out_everywhere() {
    let app = spawn_app().await;
    app.create_provider("alice@contoso.example");
    // Alice is signed in elsewhere.
    app.signed_in("alice@contoso.example").await;
    let start = app.state.now();
    ask(&app, "alice@contoso.example").await;
    let email = app.mail.wait_for("alice@contoso.example").await;
    let path = link_in(&email.text);
    assert!(
        !email.text.contains("correct horse"),
        "no password in the email"
    );

    app.state.clock.set(start + chrono::Duration::minutes(59));
    let reader = new_client();
    assert_eq!(app.get_with(&reader, &path).await.status(), StatusCode::OK);
    let res = set_password(&app, &reader, &path).await;
    assert_redirect(&res, "/sign-in");
    let html = app.html_with(&reader, "/sign-in").await;
    assert!(
        html.contains("Your password was set. Sign in with it."),
        "{html}"
    );
    // The old session is gone; the old password too; the new one works.
    let res = app.get("/").await;
    assert!(location(&res).starts_with("/sign-in"), "{}", location(&res));
    let res = app
        .sign_in_with(&new_client(), "alice@contoso.example", PASSWORD)
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app
        .sign_in_with(
            &new_client(),
            "alice@contoso.example",
            "a brand new password",
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // Used once.
    let res = app.get_with(&new_client(), &path).await;
    assert_eq!(res.status(), StatusCode::GONE);
}

#[tokio::test]
async fn a_link_older_than_an_hour_does_nothing() {
    let app = spawn_app().await;
    app.create_provider("alice@contoso.example");
    let start = app.state.now();
    ask(&app, "alice@contoso.example").await;
    let path = link_in(&app.mail.wait_for("alice@contoso.example").await.text);
    app.state.clock.set(start + chrono::Duration::minutes(61));
    let client = new_client();
    let res = app.get_with(&client, &path).await;
    assert_eq!(res.status(), StatusCode::GONE);
    let token = app.csrf_token_with(&client).await;
    let res = client
        .post(app.url(&path))
        .header("Origin", &app.address)
        .form(&[
            ("csrf_token", token.as_str()),
            ("new_password", "a brand new password"),
            ("confirm_password", "a brand new password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::GONE);
    let res = app
        .sign_in_with(&new_client(), "alice@contoso.example", PASSWORD)
        .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "the old password still works"
    );
}
