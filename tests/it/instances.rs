//! Two instances on one database, as behind a load balancer (SPEC.md §4): the throttles count the
//! attempts of both, one session works on both and ends on both, and an event sends one email though
//! both instances run an outbox worker. (Jobs claimed once: `lifecycle::two_instances_on_one_database_renew_once_and_email_once`,
//! statements in `billing`; a deactivated member out on both: `team`.)

use std::time::Duration;

use partner_dashboard::config::DelayRule;
use reqwest::StatusCode;

use crate::helpers::*;

/// Posts a form to `base` (an instance), with the session's CSRF token read from that instance.
async fn post_on(
    base: &str,
    client: &reqwest::Client,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let page = client
        .get(format!("{base}/account/password"))
        .send()
        .await
        .unwrap();
    let body = page.text().await.unwrap();
    let token = match csrf_in(&body) {
        Some(token) => token,
        None => {
            let body = client
                .get(format!("{base}/sign-in"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            csrf_in(&body).expect("a CSRF token")
        }
    };
    let mut all = vec![("csrf_token", token.as_str())];
    all.extend_from_slice(fields);
    client
        .post(format!("{base}{path}"))
        .header("Origin", base)
        .form(&all)
        .send()
        .await
        .unwrap()
}

fn shared(options: &mut AppOptions) {
    options.throttle.shared = true;
}

#[tokio::test]
async fn sign_in_failures_on_either_instance_count_together() {
    let mut options = AppOptions::default();
    shared(&mut options);
    options.throttle.account_and_address = DelayRule {
        free: 4,
        first: Duration::from_secs(30),
        max: Duration::from_secs(30),
    };
    let app = spawn_app_with(options).await;
    app.create_provider("alice@contoso.example");
    let other = app.second_instance().await;
    let client = new_client();
    // Two wrong passwords on each instance: four, the free ones.
    for base in [&app.address, &other.base_url, &app.address, &other.base_url] {
        let res = post_on(
            base,
            &client,
            "/sign-in",
            &[
                ("email", "alice@contoso.example"),
                ("password", "wrong password!"),
            ],
        )
        .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{base}");
    }
    // The fifth attempt waits, on both: each instance sees all four failures.
    for base in [&app.address, &other.base_url] {
        let res = post_on(
            base,
            &client,
            "/sign-in",
            &[("email", "Alice@Contoso.example"), ("password", PASSWORD)],
        )
        .await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "{base}");
        let wait: u64 = res.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((25..=30).contains(&wait), "{wait}");
    }
    // What is stored is a digest, never the email typed.
    use diesel::prelude::*;
    use partner_dashboard::db::schema::throttle_failures;
    let keys: Vec<String> = app.with_conn(|conn| {
        throttle_failures::table
            .select(throttle_failures::key)
            .load(conn)
            .unwrap()
    });
    assert_eq!(keys.len(), 3, "account+address, account, address");
    assert!(keys.iter().all(|k| k.len() == 64 && !k.contains("alice")));
}

#[tokio::test]
async fn a_tokens_rate_is_shared_by_the_instances() {
    let mut options = AppOptions::default();
    shared(&mut options);
    options.throttle.api_per_token_per_minute = 4;
    let app = spawn_app_with(options).await;
    let provider = app.create_provider("alice@contoso.example");
    let token = app
        .api_token(
            provider.user_id,
            provider.id,
            partner_dashboard::db::models::api_token::Access::Read,
        )
        .await;
    let other = app.second_instance().await;
    let me = |base: String| {
        let token = token.clone();
        async move {
            reqwest::Client::new()
                .get(format!("{base}/api/v1/me"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
        }
    };
    for base in [&app.address, &other.base_url, &app.address, &other.base_url] {
        assert_eq!(me(base.clone()).await.status(), StatusCode::OK, "{base}");
    }
    for base in [&app.address, &other.base_url] {
        let res = me(base.clone()).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "{base}");
        let wait: u64 = res.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=15).contains(&wait), "{wait}");
    }
}

#[tokio::test]
async fn one_session_serves_both_instances_and_signing_out_the_others_ends_it_on_both() {
    let app = spawn_app().await;
    app.create_provider("alice@contoso.example");
    let other = app.second_instance().await;
    let laptop = new_client();
    let phone = new_client();
    app.sign_in_with(&laptop, "alice@contoso.example", PASSWORD)
        .await;
    let res = post_on(
        &other.base_url,
        &phone,
        "/sign-in",
        &[("email", "alice@contoso.example"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let status_on = |client: &reqwest::Client, base: &str| {
        let req = client.get(format!("{base}/customers"));
        async move { req.send().await.unwrap().status() }
    };
    for base in [&app.address, &other.base_url] {
        assert_eq!(status_on(&laptop, base).await, StatusCode::OK, "{base}");
        assert_eq!(status_on(&phone, base).await, StatusCode::OK, "{base}");
    }
    // From the phone, on the second instance: sign out every other device.
    let res = post_on(
        &other.base_url,
        &phone,
        "/account/devices/sign-out-others",
        &[],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    for base in [&app.address, &other.base_url] {
        assert_eq!(
            status_on(&laptop, base).await,
            StatusCode::SEE_OTHER,
            "the laptop is signed out on {base}"
        );
        assert_eq!(status_on(&phone, base).await, StatusCode::OK, "{base}");
    }
    // And signing out on one instance ends the session on the other.
    let res = post_on(&app.address, &phone, "/sign-out", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        status_on(&phone, &other.base_url).await,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn an_event_sends_one_email_though_both_instances_deliver() {
    let app = spawn_app().await;
    app.create_provider("alice@contoso.example");
    let other = app.second_instance().await;
    assert!(other.config.outbox.deliver, "both instances deliver mail");
    for n in 0..3 {
        let client = new_client();
        let base = if n % 2 == 0 {
            app.address.clone()
        } else {
            other.base_url.clone()
        };
        let res = post_on(
            &base,
            &client,
            "/sign-in/forgot",
            &[("email", "alice@contoso.example")],
        )
        .await;
        assert!(res.status().is_success() || res.status() == StatusCode::SEE_OTHER);
    }
    app.mail.wait_for("alice@contoso.example").await;
    // Both workers have had several passes over the queue by now.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(app.mail.received_by("alice@contoso.example").len(), 3);
    let ids = app.with_conn(|conn| {
        use diesel::prelude::*;
        use partner_dashboard::db::schema::email_outbox;
        email_outbox::table
            .filter(email_outbox::to_address.eq("alice@contoso.example"))
            .filter(email_outbox::sent_at.is_not_null())
            .count()
            .get_result::<i64>(conn)
            .unwrap()
    });
    assert_eq!(ids, 3, "three events, three messages, each sent once");
}
