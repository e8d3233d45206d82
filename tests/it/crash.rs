//! Crash safety (issue 19): customers created and licenses added through the API under load, the
//! server killed with SIGKILL in the middle, restarted on the same database: every request that was
//! answered with success is there, no order is half written, and a request that never got its answer,
//! sent again with its Idempotency-Key, creates nothing twice — each email queued once.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::prelude::*;
use partner_dashboard::db::models::api_token::Access;
use partner_dashboard::db::schema::{customers, email_outbox, order_lines, orders, subscriptions};
use partner_dashboard::domain::EnrollmentStatus;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::cli::serve_binary;
use crate::helpers::*;

const CREATORS: usize = 3;
const CHANGERS: usize = 3;

fn customer_body(prefix: &str, offer: i64, reseller: i64) -> Value {
    json!({
        "company_name": format!("Crash Test {prefix}"),
        "domain_prefix": prefix,
        "reseller_id": reseller.to_string(),
        "address_line1": "1 Vine St",
        "city": "Taipei",
        "postal_code": "100",
        "country": "TW",
        "contact_first_name": "Ada",
        "contact_last_name": "Lin",
        "contact_email": format!("ada@{prefix}.example"),
        "language": "en",
        "subscriptions": [{"offer_id": offer.to_string(), "quantity": 3}]
    })
}

/// What the load saw: creations answered (key → customer id) and not answered, and per subscription
/// the last quantity answered and the highest asked for.
#[derive(Default)]
struct Seen {
    created: BTreeMap<String, i64>,
    unanswered: BTreeSet<String>,
    quantity_answered: BTreeMap<i64, i64>,
    quantity_asked: BTreeMap<i64, i64>,
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    key: &str,
    body: &Value,
) -> Result<(StatusCode, Value), reqwest::Error> {
    let res = client
        .post(url)
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await?;
    let status = res.status();
    let body = res.json::<Value>().await.unwrap_or(Value::Null);
    Ok((status, body))
}

#[tokio::test]
async fn a_server_killed_mid_load_keeps_every_answered_write_and_half_of_none() {
    let app = spawn_app().await;
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
    let subs: Vec<i64> = (0..CHANGERS)
        .map(|_| app.add_subscription(provider.id, customer, offer, 1, Some(reseller.id)))
        .collect();
    let token = app
        .api_token(provider.user_id, provider.id, Access::Write)
        .await;
    let dir = crate::cli::temp_dir();
    let env = [
        ("RUST_LOG", "error"),
        // The queue is what is checked: nothing is delivered.
        ("OUTBOX_WORKER", "off"),
        ("API_RATE_PER_MINUTE", "1000000"),
    ];
    let (mut server, url) = serve_binary(&app, &dir, &env).await;

    let seen = Arc::new(Mutex::new(Seen::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut load = Vec::new();
    for c in 0..CREATORS {
        let (seen, stop, client, url, token) = (
            seen.clone(),
            stop.clone(),
            client.clone(),
            url.clone(),
            token.clone(),
        );
        load.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let key = format!("crash{c}x{n}");
                let body = customer_body(&key, offer, reseller.id);
                match post(
                    &client,
                    &format!("{url}/api/v1/customers"),
                    &token,
                    &key,
                    &body,
                )
                .await
                {
                    Ok((StatusCode::CREATED, body)) => {
                        let id = body["customer"]["id"].as_str().unwrap().parse().unwrap();
                        seen.lock().unwrap().created.insert(key, id);
                    }
                    Ok((status, body)) => panic!("{status}: {body}"),
                    Err(_) => {
                        seen.lock().unwrap().unanswered.insert(key);
                        return;
                    }
                }
            }
        }));
    }
    for (c, sub) in subs.iter().copied().enumerate() {
        let (seen, stop, client, url, token) = (
            seen.clone(),
            stop.clone(),
            client.clone(),
            url.clone(),
            token.clone(),
        );
        load.push(tokio::spawn(async move {
            let mut quantity = 1;
            while !stop.load(Ordering::Relaxed) {
                quantity += 1;
                seen.lock().unwrap().quantity_asked.insert(sub, quantity);
                let key = format!("q{c}x{quantity}");
                let path = format!("{url}/api/v1/subscriptions/{sub}/quantity");
                match post(&client, &path, &token, &key, &json!({"quantity": quantity})).await {
                    Ok((status, _)) if status.is_success() => {
                        seen.lock().unwrap().quantity_answered.insert(sub, quantity);
                    }
                    Ok((status, body)) => panic!("{status}: {body}"),
                    Err(_) => return,
                }
            }
        }));
    }
    // Let the load run, then pull the plug.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill().unwrap();
    let _ = server.wait();
    stop.store(true, Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }
    let (created, unanswered, answered, asked) = {
        let s = seen.lock().unwrap();
        (
            s.created.clone(),
            s.unanswered.clone(),
            s.quantity_answered.clone(),
            s.quantity_asked.clone(),
        )
    };
    assert!(
        created.len() >= 5,
        "the load ran: {} customers",
        created.len()
    );
    assert!(!answered.is_empty(), "licenses were changed");

    // Restart on the same database a little later (past the minute an Idempotency-Key's first request
    // may take); the requests that never got an answer are sent again.
    let later = (chrono::Utc::now() + chrono::Duration::minutes(2)).to_rfc3339();
    let mut env = env.to_vec();
    env.extend([
        ("SIMULATED_NOW", later.as_str()),
        ("ALLOW_SIMULATED_CLOCK", "true"),
    ]);
    let (mut server, url) = serve_binary(&app, &dir, &env).await;
    let mut created = created;
    for key in &unanswered {
        let body = customer_body(key, offer, reseller.id);
        let (status, body) = post(
            &client,
            &format!("{url}/api/v1/customers"),
            &token,
            key,
            &body,
        )
        .await
        .unwrap();
        assert_eq!(status, StatusCode::CREATED, "{key}: {body}");
        let id = body["customer"]["id"].as_str().unwrap().parse().unwrap();
        created.insert(key.clone(), id);
    }

    app.with_conn(|conn| {
        // Every customer the load created, once: answered ones by the id they were answered with.
        let prefixes: Vec<(i64, String)> = customers::table
            .filter(customers::domain_prefix.like("crash%"))
            .select((customers::id, customers::domain_prefix))
            .load(conn)
            .unwrap();
        let stored: BTreeMap<String, i64> =
            prefixes.iter().map(|(id, p)| (p.clone(), *id)).collect();
        assert_eq!(stored.len(), prefixes.len(), "no customer twice");
        assert_eq!(
            stored, created,
            "every answered creation is there, and nothing else"
        );
        for (key, id) in &created {
            let subs: i64 = subscriptions::table
                .filter(subscriptions::customer_id.eq(id))
                .count()
                .get_result(conn)
                .unwrap();
            assert_eq!(subs, 1, "{key}: its subscription");
            let placed: Vec<(i64, i64)> = orders::table
                .filter(orders::customer_id.eq(id))
                .select((orders::id, orders::total_minor))
                .load(conn)
                .unwrap();
            assert_eq!(placed.len(), 1, "{key}: one order");
            let lines: Vec<i64> = order_lines::table
                .filter(order_lines::order_id.eq(placed[0].0))
                .select(order_lines::line_total_minor)
                .load(conn)
                .unwrap();
            assert_eq!(lines.len(), 1, "{key}: the order's line");
            assert_eq!(
                lines.iter().sum::<i64>(),
                placed[0].1,
                "{key}: total = lines"
            );
        }
        // One email to the reseller per customer created for it.
        let emails: i64 = email_outbox::table
            .filter(email_outbox::template.eq("customer_added_for_reseller"))
            .count()
            .get_result(conn)
            .unwrap();
        assert_eq!(
            emails,
            i64::try_from(created.len()).unwrap(),
            "each email queued once"
        );
        // Every answered license change is there; at most the one in flight beyond it.
        for sub in &subs {
            let quantity: i32 = subscriptions::table
                .find(sub)
                .select(subscriptions::quantity)
                .first(conn)
                .unwrap();
            let quantity = i64::from(quantity);
            let floor = answered.get(sub).copied().unwrap_or(1);
            let ceiling = asked.get(sub).copied().unwrap_or(1);
            assert!(
                (floor..=ceiling).contains(&quantity),
                "subscription {sub}: {quantity} not in {floor}..={ceiling}"
            );
            // Each change an order: as many license orders as the quantity went up.
            let changes: i64 = order_lines::table
                .filter(order_lines::subscription_id.eq(sub))
                .filter(order_lines::previous_quantity.is_not_null())
                .count()
                .get_result(conn)
                .unwrap();
            assert_eq!(
                changes,
                quantity - 1,
                "subscription {sub}: one order per change"
            );
        }
    });
    if !app.state.db.url().is_postgres() {
        #[derive(QueryableByName)]
        struct Check {
            #[diesel(sql_type = diesel::sql_types::Text)]
            integrity_check: String,
        }
        let check: Check = app.with_conn(|conn| {
            diesel::sql_query("PRAGMA integrity_check")
                .get_result(conn)
                .unwrap()
        });
        assert_eq!(check.integrity_check, "ok");
    }
    server.kill().unwrap();
    let _ = server.wait();
}
