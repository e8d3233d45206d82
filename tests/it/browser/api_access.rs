//! Journey (issue 18): an admin makes an API token on Account (shown once) and a program uses it; the
//! admin adds a webhook endpoint in Settings (its signing secret shown once), sends a test event and
//! sees it delivered in the log; a customer made through the API arrives signed as an event; the
//! token is revoked and the program is refused.

use serde_json::{Value, json};

use super::{Lang, journey};
use crate::helpers::*;
use crate::webhooks::{Receiver, verify};

#[tokio::test]
async fn a_token_and_a_webhook_are_set_up_and_used_and_the_token_revoked() {
    let app = spawn_app().await;
    app.create_provider("alice@contoso.example");
    let offer = app.create_offer("Microsoft 365 Business Basic", 600, 1, 300);
    let receiver = Receiver::start(vec![200]).await;
    let app = std::sync::Arc::new(app);
    let a = app.clone();
    journey(&app, "api_access", Lang::En, |b| async move {
        b.sign_in_with(
            ("Email", "Password", "Sign in"),
            "alice@contoso.example",
            PASSWORD,
        )
        .await;
        b.goto("/account/password").await;
        b.wait_for_heading("Change password").await;
        b.fill_by_name("token_name", "ConnectWise sync").await;
        b.click_css("input[name=token_access][value=write]").await;
        b.click("Make token").await;
        b.wait_for_text("Copy it now").await;
        let token = b
            .texts("#api-token-secret")
            .await
            .pop()
            .expect("the token, once");
        let rows = b.texts("#api-token-list tbody tr").await;
        assert!(
            rows.iter()
                .any(|r| r.contains("ConnectWise sync") && r.contains("Never")),
            "{rows:?}"
        );
        let api = reqwest::Client::new();
        let me = api
            .get(a.url("/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(me.status(), reqwest::StatusCode::OK);
        // Shown once: the page again does not show it.
        b.refresh().await;
        assert!(b.texts("#api-token-secret").await.is_empty());

        // A webhook endpoint, from Settings.
        b.goto("/webhooks").await;
        b.wait_for_heading("Webhooks").await;
        b.fill_by_name("url", &receiver.url()).await;
        b.click_css("input[name=events][value='customer.created']")
            .await;
        b.click("Add endpoint").await;
        b.wait_for_text("shown only this once").await;
        let secret = b
            .texts("#webhook-secret")
            .await
            .pop()
            .expect("the secret, once");
        assert!(secret.starts_with("whsec_"), "{secret}");
        b.click_to_navigate(&receiver.url()).await;
        b.click("Send test event").await;
        let got = receiver.delivered(1).await;
        assert!(verify(&secret, &got[0]), "signed with the secret shown");
        b.refresh().await;
        let log = b.texts("#delivery-log tbody tr").await;
        assert!(log.iter().any(|r| r.contains("Delivered")), "{log:?}");

        // The program makes a customer; the endpoint hears of it.
        let made = api
            .post(a.url("/api/v1/customers"))
            .bearer_auth(&token)
            .header("Idempotency-Key", "journey-1")
            .json(&json!({
                "company_name": "Coho Winery",
                "domain_prefix": "cohowinery",
                "address_line1": "1 Vine St",
                "city": "Taipei",
                "postal_code": "100",
                "country": "TW",
                "contact_first_name": "Ada",
                "contact_last_name": "Lin",
                "contact_email": "ada@cohowinery.example",
                "language": "en",
                "subscriptions": [{"offer_id": offer.to_string(), "quantity": 5}]
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(made.status(), reqwest::StatusCode::CREATED);
        let got = receiver.delivered(2).await;
        let event: Value = serde_json::from_str(&got[1].body).unwrap();
        assert_eq!(event["type"], "customer.created");
        assert!(verify(&secret, &got[1]));

        // Revoked: the program is refused.
        b.goto("/account/password").await;
        b.wait_for_heading("Change password").await;
        b.click("Revoke").await;
        b.wait_for_text("Token revoked").await;
        let refused = api
            .get(a.url("/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), reqwest::StatusCode::UNAUTHORIZED);
    })
    .await;
}
