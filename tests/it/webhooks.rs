//! Webhooks (issue 18): an admin adds an endpoint (its secret shown once); each event arrives signed
//! per the Standard Webhooks spec, checked here by a test receiver; a receiver that fails and then
//! recovers gets each event exactly once; one that keeps failing is switched off and its admins are
//! told; the queue survives a restart; private targets are refused outside demo mode.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use diesel::prelude::*;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use partner_dashboard::db::models::api_token::Access;
use partner_dashboard::db::schema::{webhook_deliveries, webhook_endpoints};
use partner_dashboard::domain::EnrollmentStatus;
use partner_dashboard::startup::{Application, Workers};

use crate::helpers::*;

/// One request the receiver got.
#[derive(Clone, Debug)]
pub(crate) struct Received {
    pub(crate) headers: BTreeMap<String, String>,
    pub(crate) body: String,
    answered: u16,
}

/// A webhook receiver on a free port: answers each request with the next status of `script` (the
/// last one once the script runs out) and keeps what it got.
#[derive(Clone)]
pub(crate) struct Receiver {
    port: u16,
    got: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<Vec<u16>>>,
}

impl Receiver {
    pub(crate) async fn start(script: Vec<u16>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let receiver = Receiver {
            port,
            got: Arc::default(),
            script: Arc::new(Mutex::new(script)),
        };
        let r = receiver.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let r = r.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    let (head, body) = loop {
                        let n = stream.read(&mut chunk).await.unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            let head = String::from_utf8_lossy(&buf[..end]).to_string();
                            let mut body = buf[end + 4..].to_vec();
                            let length = head
                                .lines()
                                .find_map(|l| {
                                    let (k, v) = l.split_once(':')?;
                                    k.eq_ignore_ascii_case("content-length")
                                        .then(|| v.trim().parse::<usize>().ok())?
                                })
                                .unwrap_or(0);
                            while body.len() < length {
                                let n = stream.read(&mut chunk).await.unwrap_or(0);
                                if n == 0 {
                                    break;
                                }
                                body.extend_from_slice(&chunk[..n]);
                            }
                            break (head, String::from_utf8_lossy(&body).to_string());
                        }
                    };
                    let headers = head
                        .lines()
                        .skip(1)
                        .filter_map(|l| l.split_once(':'))
                        .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_owned()))
                        .collect();
                    let status = {
                        let mut script = r.script.lock().unwrap();
                        if script.len() > 1 {
                            script.remove(0)
                        } else {
                            script.first().copied().unwrap_or(200)
                        }
                    };
                    r.got.lock().unwrap().push(Received {
                        headers,
                        body,
                        answered: status,
                    });
                    let reply = format!(
                        "HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                    );
                    let _ = stream.write_all(reply.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        receiver
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hooks", self.port)
    }

    fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    fn answer_from_now_on(&self, status: u16) {
        *self.script.lock().unwrap() = vec![status];
    }

    /// Waits until `n` requests were answered 2xx.
    pub(crate) async fn delivered(&self, n: usize) -> Vec<Received> {
        for _ in 0..200 {
            let ok: Vec<Received> = self
                .got()
                .into_iter()
                .filter(|r| (200..300).contains(&r.answered))
                .collect();
            if ok.len() >= n {
                return ok;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{n} deliveries did not arrive: {:?}", self.got());
    }
}

/// The Standard Webhooks check a receiver makes: the signature is the HMAC-SHA256 of
/// "id.timestamp.body" under the secret, and the timestamp is recent.
pub(crate) fn verify(secret: &str, r: &Received) -> bool {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let id = &r.headers["webhook-id"];
    let ts = &r.headers["webhook-timestamp"];
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{ts}.{}", r.body).as_bytes());
    let expected = format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    );
    let fresh = (chrono::Utc::now().timestamp() - ts.parse::<i64>().unwrap()).abs() < 300;
    fresh
        && r.headers["webhook-signature"]
            .split(' ')
            .any(|s| s == expected)
}

struct World {
    provider: TestProvider,
    reseller: TestReseller,
    sub: i64,
    offer: i64,
    token: String,
}

async fn world(app: &TestApp) -> World {
    let provider = app.create_provider("alice@contoso.example");
    let reseller = app.create_named_reseller(
        "Northwind Traders",
        "wei@northwind.example",
        EnrollmentStatus::Verified,
    );
    app.partner(provider.id, reseller.id);
    let offer = app.create_offer("Microsoft 365 Business Basic", 600, 1, 300);
    let customer = app.seed_customer(
        provider.id,
        Some(reseller.id),
        "Wingtip Toys",
        "wingtiptoys",
    );
    let sub = app.add_subscription(provider.id, customer, offer, 10, Some(reseller.id));
    let token = app
        .api_token(provider.user_id, provider.id, Access::Write)
        .await;
    app.signed_in("alice@contoso.example").await;
    World {
        provider,
        reseller,
        sub,
        offer,
        token,
    }
}

/// Adds an endpoint on Settings → Webhooks as the signed-in admin; its secret, shown once.
async fn add_endpoint(app: &TestApp, url: &str, events: &[&str]) -> String {
    let mut fields = vec![("url", url)];
    fields.extend(events.iter().map(|e| ("events", *e)));
    let res = app.post_form("/webhooks", &fields).await;
    assert_redirect(&res, "/webhooks#new-secret");
    let page = app.html("/webhooks").await;
    let secret = texts(&page, "#webhook-secret")
        .pop()
        .expect("the secret is shown");
    assert!(secret.starts_with("whsec_"));
    let again = app.html("/webhooks").await;
    assert!(!again.contains(&secret), "shown once");
    assert!(texts(&again, "#endpoint-list td").iter().any(|t| t == url));
    secret
}

async fn change_licenses(app: &TestApp, w: &World, quantity: i64, key: &str) {
    let res = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/subscriptions/{}/quantity", w.sub)))
        .bearer_auth(&w.token)
        .header("Idempotency-Key", key)
        .json(&json!({ "quantity": quantity }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

fn endpoint_ids(app: &TestApp) -> Vec<(i64, Option<chrono::NaiveDateTime>)> {
    app.with_conn(|conn| {
        webhook_endpoints::table
            .select((webhook_endpoints::id, webhook_endpoints::disabled_at))
            .load(conn)
            .unwrap()
    })
}

#[tokio::test]
async fn each_event_arrives_once_signed_to_the_endpoints_that_asked_for_it() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let receiver = Receiver::start(vec![200]).await;
    let secret = add_endpoint(
        &app,
        &receiver.url(),
        &["customer.created", "subscription.changed"],
    )
    .await;
    // The reseller's own endpoint hears of what concerns it too.
    let reseller_receiver = Receiver::start(vec![200]).await;
    let reseller = new_client();
    app.sign_in_with(&reseller, "wei@northwind.example", PASSWORD)
        .await;
    let res = app
        .post_form_with(
            &reseller,
            "/webhooks",
            &[
                ("url", &reseller_receiver.url()),
                ("events", "subscription.changed"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    change_licenses(&app, &w, 12, "k1").await;
    let body = json!({
        "company_name": "Coho Winery", "domain_prefix": "cohowinery", "address_line1": "1 Vine St",
        "city": "Taipei", "postal_code": "100", "country": "TW", "contact_first_name": "Ada",
        "contact_last_name": "Lin", "contact_email": "ada@coho.example", "language": "en",
        "subscriptions": [{"offer_id": w.offer, "quantity": 1}]
    });
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/customers"))
        .bearer_auth(&w.token)
        .header("Idempotency-Key", "c1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);

    let got = receiver.delivered(2).await;
    let types: Vec<String> = got
        .iter()
        .map(|r| {
            let v: Value = serde_json::from_str(&r.body).unwrap();
            v["type"].as_str().unwrap().to_owned()
        })
        .collect();
    assert!(
        types.contains(&"subscription.changed".to_owned()),
        "{types:?}"
    );
    assert!(types.contains(&"customer.created".to_owned()), "{types:?}");
    for r in &got {
        assert!(verify(&secret, r), "signature of {r:?}");
        assert!(r.headers["webhook-id"].starts_with("msg_"));
        assert_eq!(r.headers["content-type"], "application/json");
        let v: Value = serde_json::from_str(&r.body).unwrap();
        assert!(v["timestamp"].as_str().unwrap().ends_with('Z'));
    }
    let changed = got
        .iter()
        .map(|r| serde_json::from_str::<Value>(&r.body).unwrap())
        .find(|v| v["type"] == "subscription.changed")
        .unwrap();
    assert_eq!(changed["data"]["entity_id"], json!(w.sub.to_string()));
    assert_eq!(changed["data"]["new_value"], "12");
    // A forged body does not pass the check.
    let mut forged = got[0].clone();
    forged.body.push(' ');
    assert!(!verify(&secret, &forged));

    let theirs = reseller_receiver.delivered(1).await;
    assert!(theirs[0].body.contains("subscription.changed"));
    // Nothing more comes: each event once.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.got().len(), 2);
    assert_eq!(reseller_receiver.got().len(), 1);
    let _ = (w.provider, w.reseller);
}

#[tokio::test]
async fn a_receiver_that_fails_then_recovers_gets_each_event_exactly_once() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let receiver = Receiver::start(vec![500, 503, 200]).await;
    add_endpoint(&app, &receiver.url(), &["subscription.changed"]).await;
    change_licenses(&app, &w, 11, "k1").await;
    change_licenses(&app, &w, 12, "k2").await;
    let ok = receiver.delivered(2).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let mut ids: Vec<String> = ok.iter().map(|r| r.headers["webhook-id"].clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 2, "two events, each acknowledged once");
    let all = receiver.got();
    assert_eq!(all.len(), 4, "two failures, then each event once: {all:?}");
    // A retry is the same message: the failed attempts carried the ids delivered later.
    for failed in all.iter().filter(|r| r.answered >= 500) {
        assert!(ids.contains(&failed.headers["webhook-id"]));
    }
    // The delivery log says so.
    let (id, _) = endpoint_ids(&app)[0];
    let page = app.html(&format!("/webhooks/{id}")).await;
    let cells = texts(&page, "#delivery-log td");
    assert!(
        cells.iter().filter(|c| c.contains("Delivered")).count() == 2,
        "{cells:?}"
    );
}

#[tokio::test]
async fn an_endpoint_that_keeps_failing_is_switched_off_its_admins_told_and_a_resend_delivers() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let receiver = Receiver::start(vec![500]).await;
    add_endpoint(&app, &receiver.url(), &["subscription.changed"]).await;
    change_licenses(&app, &w, 11, "k1").await;
    // Four attempts (the first and three retries), then it has failed.
    let mail = app.mail.wait_for("alice@contoso.example").await;
    assert!(mail.subject.contains("webhook"), "{}", mail.subject);
    let (id, disabled) = endpoint_ids(&app)[0];
    assert!(disabled.is_some());
    assert_eq!(receiver.got().len(), 4);
    let status: Vec<(String, i32)> = app.with_conn(|conn| {
        webhook_deliveries::table
            .select((webhook_deliveries::status, webhook_deliveries::attempts))
            .load(conn)
            .unwrap()
    });
    assert_eq!(status, vec![("failed".to_owned(), 4)]);
    // While it is off, events are not queued for it.
    change_licenses(&app, &w, 12, "k2").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.got().len(), 4);

    // Fixed: switch it on, resend the failed delivery, and send a test event.
    receiver.answer_from_now_on(204);
    let res = app.post_form(&format!("/webhooks/{id}/enable"), &[]).await;
    assert_redirect(&res, &format!("/webhooks/{id}"));
    let delivery: i64 = app.with_conn(|conn| {
        webhook_deliveries::table
            .select(webhook_deliveries::id)
            .first(conn)
            .unwrap()
    });
    let res = app
        .post_form(&format!("/webhooks/{id}/deliveries/{delivery}/resend"), &[])
        .await;
    assert_redirect(&res, &format!("/webhooks/{id}"));
    let res = app.post_form(&format!("/webhooks/{id}/test"), &[]).await;
    assert_redirect(&res, &format!("/webhooks/{id}"));
    let ok = receiver.delivered(2).await;
    assert!(ok.iter().any(|r| r.body.contains("webhook.test")));
    assert!(ok.iter().any(|r| r.body.contains("subscription.changed")));
}

#[tokio::test]
async fn the_queue_survives_a_restart() {
    let mut options = AppOptions::default();
    options.webhooks.deliver = false;
    let app = spawn_app_with(options).await;
    let w = world(&app).await;
    let receiver = Receiver::start(vec![200]).await;
    add_endpoint(&app, &receiver.url(), &["subscription.changed"]).await;
    change_licenses(&app, &w, 11, "k1").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(receiver.got().is_empty(), "this instance does not deliver");
    // Another instance on the same database (as after a restart) sends what was queued.
    let mut config = app.state.config.clone();
    config.bind = "127.0.0.1:0".parse().unwrap();
    config.base_url = None;
    config.webhooks.deliver = true;
    let other = Application::build_with(config, Some(Workers(1)))
        .await
        .unwrap();
    app.track(other.state().db.clone());
    tokio::spawn(other.run_until_stopped());
    let got = receiver.delivered(1).await;
    assert!(got[0].body.contains("subscription.changed"));
}

#[tokio::test]
async fn private_and_plain_http_targets_are_refused_outside_demo_mode() {
    let mut options = AppOptions::default();
    options.webhooks.allow_loopback = false;
    let app = spawn_app_with(options).await;
    world(&app).await;
    for (url, key) in [
        (
            "http://127.0.0.1:9/hooks",
            "The endpoint must use https://.",
        ),
        (
            "http://hooks.example.com/x",
            "The endpoint must use https://.",
        ),
        ("https://127.0.0.1/hooks", "private or internal network"),
        ("https://10.0.0.7/hooks", "private or internal network"),
        (
            "https://169.254.169.254/latest",
            "private or internal network",
        ),
        ("https://[::1]/hooks", "private or internal network"),
        ("https://localhost/hooks", "private or internal network"),
        ("not a url", "full URL"),
    ] {
        let res = app
            .post_form("/webhooks", &[("url", url), ("events", "order.placed")])
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        let page = res.text().await.unwrap();
        assert!(page.contains(key), "{url}: {key}");
        assert!(page.contains(&format!("value=\"{url}\"")), "kept: {url}");
    }
    let res = app
        .post_form("/webhooks", &[("url", "https://hooks.example.com/x")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Choose at least one event.")
    );
    assert!(endpoint_ids(&app).is_empty());
}

#[tokio::test]
async fn only_admins_see_webhooks_and_another_organisations_endpoint_is_not_found() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let receiver = Receiver::start(vec![200]).await;
    add_endpoint(&app, &receiver.url(), &["order.placed"]).await;
    let (id, _) = endpoint_ids(&app)[0];
    // Admins find it under Settings, beside Team.
    let team = app.html("/team").await;
    assert!(attrs(&team, "#settings-tabs a", "href").contains(&"/webhooks".to_owned()));
    let sales = app.create_member(
        Some(w.provider.id),
        "sam@contoso.example",
        partner_dashboard::domain::MemberRole::Sales,
    );
    let _ = sales;
    let client = new_client();
    app.sign_in_with(&client, "sam@contoso.example", PASSWORD)
        .await;
    assert_eq!(
        app.get_with(&client, "/webhooks").await.status(),
        StatusCode::NOT_FOUND
    );
    let other = new_client();
    app.create_named_provider("Fabrikam", "fay@fabrikam.example");
    app.sign_in_with(&other, "fay@fabrikam.example", PASSWORD)
        .await;
    assert_eq!(
        app.get_with(&other, &format!("/webhooks/{id}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get_with(&other, "/webhooks").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn renewal_and_grant_reminders_are_told_once_even_when_the_jobs_run_twice() {
    use partner_dashboard::db::models::grant::Roles;
    let app = spawn_app().await;
    let t = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
    app.state.clock.set(t("2027-01-10 09:00:00"));
    let w = world(&app).await;
    let receiver = Receiver::start(vec![200]).await;
    add_endpoint(
        &app,
        &receiver.url(),
        &["subscription.renewing", "grant.expiring"],
    )
    .await;
    // An annual subscription ending on 10 January 2028, and a 40-day grant to the reseller (it
    // expires on 19 February).
    let customer = app.seed_customer(w.provider.id, None, "Adatum", "adatum");
    let annual = app.buy(w.provider.id, customer, w.offer, 3, None, "P1Y:annual");
    let grant = app.grant(w.provider.id, customer, w.reseller.id, Roles::DELEGATED, 40);
    let jobs_at = |at: &'static str, times: usize| {
        let app = &app;
        async move {
            for _ in 0..times {
                app.state.clock.set(t(at));
                partner_dashboard::services::jobs::run(&app.state.db, t(at), &app.state.base_url)
                    .await
                    .unwrap();
            }
        }
    };
    let of_type = |kind: &str| -> Vec<Value> {
        receiver
            .got()
            .iter()
            .map(|r| serde_json::from_str::<Value>(&r.body).unwrap())
            .filter(|v| v["type"] == kind)
            .collect()
    };
    // 35 days before the grant expires: nothing; 25 days before, twice: once.
    jobs_at("2027-01-15 09:00:00", 1).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(of_type("grant.expiring").is_empty());
    jobs_at("2027-01-25 09:00:00", 2).await;
    receiver.delivered(1).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let expiring = of_type("grant.expiring");
    assert_eq!(expiring.len(), 1, "{:?}", receiver.got());
    assert_eq!(expiring[0]["data"]["grant_id"], json!(grant.id.to_string()));
    // 31 days before the year ends: nothing; 29 days before, twice: once.
    jobs_at("2027-12-10 08:00:00", 1).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(of_type("subscription.renewing").is_empty());
    jobs_at("2027-12-12 09:00:00", 2).await;
    receiver.delivered(2).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let renewing = of_type("subscription.renewing");
    assert_eq!(renewing.len(), 1, "{:?}", receiver.got());
    assert_eq!(
        renewing[0]["data"]["subscription_id"],
        json!(annual.to_string())
    );
    assert_eq!(renewing[0]["data"]["days_left"], json!(30));
}
