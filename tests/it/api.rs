//! The REST API (issue 18): tokens (made on Account, shown once, read-only or read-write, revoked,
//! dead with their member), problem details, idempotency (replay, conflict), cursor paging that holds
//! under inserts, the rate limit, the scope and role matrix, each endpoint's contract, and the
//! OpenAPI document's parity with the routes.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

use partner_dashboard::db::models::api_token::Access;
use partner_dashboard::db::schema::{customers, orders};
use partner_dashboard::domain::{EnrollmentStatus, MemberRole};

use crate::helpers::*;

fn t(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
}

async fn token_for(app: &TestApp, user: i64, partner: i64, access: Access) -> String {
    app.api_token(user, partner, access).await
}

struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
    text: String,
}

async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    key: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let mut req = reqwest::Client::new().request(method, app.url(path));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    if let Some(key) = key {
        req = req.header("Idempotency-Key", key);
    }
    if let Some(body) = body {
        req = req
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        body,
        text,
    }
}

async fn get(app: &TestApp, path: &str, token: &str) -> Answer {
    call(app, reqwest::Method::GET, path, Some(token), None, None).await
}

async fn post(app: &TestApp, path: &str, token: &str, key: &str, body: Value) -> Answer {
    call(
        app,
        reqwest::Method::POST,
        path,
        Some(token),
        Some(key),
        Some(body),
    )
    .await
}

/// An id as the API sends it: a string of digits.
fn id_of(v: &Value) -> i64 {
    v.as_str()
        .unwrap_or_else(|| panic!("an id is a string: {v}"))
        .parse()
        .unwrap()
}

fn content_type(a: &Answer) -> &str {
    a.headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

fn assert_problem(a: &Answer, status: StatusCode) {
    assert_eq!(a.status, status, "{}", a.text);
    assert_eq!(content_type(a), "application/problem+json", "{}", a.text);
    assert_eq!(a.body["status"], json!(status.as_u16()));
    assert!(
        a.body["type"]
            .as_str()
            .unwrap()
            .starts_with("/api#problem-")
    );
    assert!(!a.body["title"].as_str().unwrap().is_empty());
}

/// A provider (its admin), a partnered reseller, an offer sold monthly, and a customer of the
/// reseller with one subscription.
struct World {
    provider: TestProvider,
    reseller: TestReseller,
    offer: i64,
    customer: i64,
    sub: i64,
    token: String,
}

async fn world(app: &TestApp) -> World {
    app.state.clock.set(t("2027-03-01 09:00:00"));
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
    let token = token_for(app, provider.user_id, provider.id, Access::Write).await;
    World {
        provider,
        reseller,
        offer,
        customer,
        sub,
        token,
    }
}

fn new_customer(offer: i64, prefix: &str) -> Value {
    json!({
        "company_name": "Coho Winery",
        "domain_prefix": prefix,
        "address_line1": "1 Vine St",
        "city": "Taipei",
        "postal_code": "100",
        "country": "TW",
        "contact_first_name": "Ada",
        "contact_last_name": "Lin",
        "contact_email": "ada@cohowinery.example",
        "language": "zh-TW",
        // An id may come as a string (as the API sends them) or as a number.
        "subscriptions": [{"offer_id": offer.to_string(), "quantity": 5}]
    })
}

#[tokio::test]
async fn a_token_made_on_account_is_shown_once_works_and_stops_when_revoked() {
    let app = spawn_app().await;
    let w = world(&app).await;
    app.signed_in("alice@contoso.example").await;
    let res = app
        .post_form(
            "/account/api-tokens",
            &[
                ("token_name", "ConnectWise sync"),
                ("token_days", "30"),
                ("token_access", "read"),
            ],
        )
        .await;
    assert_redirect(&res, "/account/password#api-tokens");
    let page = app.html("/account/password").await;
    let secret = texts(&page, "#api-token-secret")
        .pop()
        .expect("the token is shown");
    assert!(secret.starts_with("pd_"), "{secret}");
    assert!(texts(&page, "#api-token-list td").contains(&"ConnectWise sync".to_owned()));
    // Once: the next visit shows only its first characters.
    let again = app.html("/account/password").await;
    assert!(texts(&again, "#api-token-secret").is_empty());
    assert!(!again.contains(&secret));
    assert!(again.contains(&format!("{}…", &secret[..9])));
    // Kept only as its hash.
    let stored: Vec<String> = app.with_conn(|conn| {
        partner_dashboard::db::schema::api_tokens::table
            .select(partner_dashboard::db::schema::api_tokens::token_hash)
            .load(conn)
            .unwrap()
    });
    assert!(stored.iter().all(|h| *h != secret && h.len() == 64));

    let me = get(&app, "/api/v1/me", &secret).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    assert_eq!(me.body["email"], "alice@contoso.example");
    assert_eq!(me.body["organisation_kind"], "provider");
    assert_eq!(me.body["token_access"], "read");
    // A read-only token reads but does not write.
    let refused = post(
        &app,
        "/api/v1/partnership-requests",
        &secret,
        "k1",
        json!({}),
    )
    .await;
    assert_problem(&refused, StatusCode::FORBIDDEN);
    let _ = w;

    // Revoke: it stops at once.
    let id: i64 = app.with_conn(|conn| {
        partner_dashboard::db::schema::api_tokens::table
            .filter(partner_dashboard::db::schema::api_tokens::name.eq("ConnectWise sync"))
            .select(partner_dashboard::db::schema::api_tokens::id)
            .first(conn)
            .unwrap()
    });
    // A colleague cannot revoke it (nor, in another organisation, find it).
    app.create_member(
        Some(w.provider.id),
        "sam@contoso.example",
        MemberRole::Admin,
    );
    let sam = new_client();
    app.sign_in_with(&sam, "sam@contoso.example", PASSWORD)
        .await;
    let res = app
        .post_form_with(&sam, &format!("/account/api-tokens/{id}/revoke"), &[])
        .await;
    assert_redirect(&res, "/account/password#api-tokens");
    assert_eq!(
        get(&app, "/api/v1/me", &secret).await.status,
        StatusCode::OK
    );
    let other = app.create_named_provider("Fabrikam", "fay@fabrikam.example");
    let fay = new_client();
    app.sign_in_with(&fay, "fay@fabrikam.example", PASSWORD)
        .await;
    let res = app
        .post_form_with(&fay, &format!("/account/api-tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let _ = other;
    assert_eq!(
        get(&app, "/api/v1/me", &secret).await.status,
        StatusCode::OK
    );

    let res = app
        .post_form(&format!("/account/api-tokens/{id}/revoke"), &[])
        .await;
    assert_redirect(&res, "/account/password#api-tokens");
    let gone = get(&app, "/api/v1/me", &secret).await;
    assert_problem(&gone, StatusCode::UNAUTHORIZED);
    assert_eq!(gone.headers["www-authenticate"], "Bearer");
}

#[tokio::test]
async fn a_token_form_with_errors_keeps_what_was_typed() {
    let app = spawn_app().await;
    world(&app).await;
    app.signed_in("alice@contoso.example").await;
    let res = app
        .post_form(
            "/account/api-tokens",
            &[
                ("token_name", ""),
                ("token_days", "400"),
                ("token_access", "write"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(page.contains("f-token_name-error"));
    assert!(page.contains("f-token_days-error"));
    assert_eq!(
        attrs(&page, "input[name=token_access][checked]", "value"),
        vec!["write".to_owned()]
    );
    let count: i64 = app.with_conn(|conn| {
        partner_dashboard::db::schema::api_tokens::table
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(count, 1, "only the world's token");
}

#[tokio::test]
async fn missing_unknown_and_expired_tokens_are_401_problems() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let none = call(&app, reqwest::Method::GET, "/api/v1/me", None, None, None).await;
    assert_problem(&none, StatusCode::UNAUTHORIZED);
    let wrong = get(&app, "/api/v1/me", "pd_not-a-token").await;
    assert_problem(&wrong, StatusCode::UNAUTHORIZED);
    // 90 days: the day before it works, the day after it does not.
    app.state.clock.set(t("2027-05-29 09:00:00"));
    assert_eq!(
        get(&app, "/api/v1/me", &w.token).await.status,
        StatusCode::OK
    );
    app.state.clock.set(t("2027-05-30 09:00:01"));
    assert_problem(
        &get(&app, "/api/v1/me", &w.token).await,
        StatusCode::UNAUTHORIZED,
    );
    // A session cookie is no way in.
    app.signed_in("alice@contoso.example").await;
    let res = app.get("/api/v1/me").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // An unknown endpoint is a problem too.
    app.state.clock.set(t("2027-03-02 09:00:00"));
    let fresh = token_for(&app, w.provider.user_id, w.provider.id, Access::Read).await;
    let nothing = get(&app, "/api/v1/nothing-here", &fresh).await;
    assert_problem(&nothing, StatusCode::NOT_FOUND);
    assert_eq!(nothing.body["type"], "/api#problem-no-route");
}

#[tokio::test]
async fn a_deactivated_members_tokens_stop_at_once_and_stay_stopped() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let member = app.create_member(
        Some(w.provider.id),
        "sam@contoso.example",
        MemberRole::Sales,
    );
    let token = token_for(&app, member, w.provider.id, Access::Write).await;
    assert_eq!(
        get(&app, "/api/v1/customers", &token).await.status,
        StatusCode::OK
    );
    app.signed_in("alice@contoso.example").await;
    let res = app
        .post_form(&format!("/team/members/{member}/deactivate"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_problem(
        &get(&app, "/api/v1/customers", &token).await,
        StatusCode::UNAUTHORIZED,
    );
    let res = app
        .post_form(&format!("/team/members/{member}/reactivate"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_problem(
        &get(&app, "/api/v1/customers", &token).await,
        StatusCode::UNAUTHORIZED,
    );
}

#[tokio::test]
async fn scope_and_roles_hold_through_the_api() {
    let app = spawn_app().await;
    let w = world(&app).await;
    // Another provider's customer is not found, as on the pages.
    let other = app.create_named_provider("Fabrikam", "fay@fabrikam.example");
    let theirs = app.seed_customer(other.id, None, "Adatum", "adatum");
    let a = get(&app, &format!("/api/v1/customers/{theirs}"), &w.token).await;
    assert_problem(&a, StatusCode::NOT_FOUND);
    assert_eq!(
        get(&app, &format!("/api/v1/customers/{}", w.customer), &w.token)
            .await
            .status,
        StatusCode::OK
    );
    let mine = get(&app, "/api/v1/customers", &w.token).await;
    let ids: Vec<i64> = mine.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| id_of(&c["id"]))
        .collect();
    assert_eq!(ids, vec![w.customer]);

    let helpdesk = app.create_member(
        Some(w.provider.id),
        "hal@contoso.example",
        MemberRole::Helpdesk,
    );
    let helpdesk = token_for(&app, helpdesk, w.provider.id, Access::Write).await;
    let billing = app.create_member(
        Some(w.provider.id),
        "bea@contoso.example",
        MemberRole::Billing,
    );
    let billing = token_for(&app, billing, w.provider.id, Access::Write).await;
    let sales = app.create_member(
        Some(w.provider.id),
        "sam@contoso.example",
        MemberRole::Sales,
    );
    let sales = token_for(&app, sales, w.provider.id, Access::Write).await;
    // Helpdesk reads customers but places no order and sees no money.
    assert_eq!(
        get(&app, "/api/v1/customers", &helpdesk).await.status,
        StatusCode::OK
    );
    let order = post(
        &app,
        "/api/v1/customers",
        &helpdesk,
        "h1",
        new_customer(w.offer, "cohowinery"),
    )
    .await;
    assert_problem(&order, StatusCode::NOT_FOUND);
    assert_problem(
        &get(&app, "/api/v1/statements", &helpdesk).await,
        StatusCode::NOT_FOUND,
    );
    assert_problem(
        &get(&app, "/api/v1/orders", &helpdesk).await,
        StatusCode::NOT_FOUND,
    );
    // Billing admins review orders; sales agents do not.
    let order_id = app.seed_order(
        w.provider.id,
        w.customer,
        Some(w.reseller.id),
        w.provider.user_id,
    );
    let by_sales = post(
        &app,
        &format!("/api/v1/orders/{order_id}/approve"),
        &sales,
        "s1",
        json!({}),
    )
    .await;
    assert_problem(&by_sales, StatusCode::NOT_FOUND);
    let by_billing = post(
        &app,
        &format!("/api/v1/orders/{order_id}/approve"),
        &billing,
        "b1",
        json!({}),
    )
    .await;
    assert_eq!(by_billing.status, StatusCode::OK, "{}", by_billing.text);
    assert_eq!(
        by_billing.body["outcome"], "already_decided",
        "a placed order"
    );

    // A reseller's member: its own lists, never a provider's endpoints, never the cost.
    let reseller = token_for(&app, w.reseller.user_id, w.reseller.id, Access::Write).await;
    assert_problem(
        &get(&app, "/api/v1/resellers", &reseller).await,
        StatusCode::NOT_FOUND,
    );
    assert_problem(
        &get(
            &app,
            &format!("/api/v1/customers/{}", w.customer),
            &reseller,
        )
        .await,
        StatusCode::NOT_FOUND,
    );
    let subs = get(&app, "/api/v1/subscriptions", &reseller).await;
    assert_eq!(subs.status, StatusCode::OK, "{}", subs.text);
    assert_eq!(subs.body["data"][0]["id"], json!(w.sub.to_string()));
    assert!(subs.body["data"][0].get("unit_cost").is_none());
    let provider_view = get(&app, &format!("/api/v1/subscriptions/{}", w.sub), &w.token).await;
    assert_eq!(provider_view.body["unit_cost"]["amount_minor"], json!(600));
    let customers = get(&app, "/api/v1/customers", &reseller).await;
    assert_eq!(
        customers.body["data"][0]["id"],
        json!(w.customer.to_string())
    );
    assert_eq!(
        customers.body["data"][0]["provider_name"],
        "Contoso Distribution"
    );
    let orders = get(&app, "/api/v1/orders", &reseller).await;
    assert_eq!(orders.status, StatusCode::OK);
    let first = id_of(&orders.body["data"][0]["id"]);
    let order = get(&app, &format!("/api/v1/orders/{first}"), &reseller).await;
    assert_eq!(order.status, StatusCode::OK, "{}", order.text);
    assert!(order.body["lines"][0].get("unit_cost").is_none());
    assert!(order.body["lines"][0].get("unit_price").is_some());
    // Another reseller's subscription is not found.
    let stranger =
        app.create_named_reseller("Litware", "lee@litware.example", EnrollmentStatus::Verified);
    let stranger = token_for(&app, stranger.user_id, stranger.id, Access::Write).await;
    assert_problem(
        &get(&app, &format!("/api/v1/subscriptions/{}", w.sub), &stranger).await,
        StatusCode::NOT_FOUND,
    );
    assert_problem(
        &get(&app, &format!("/api/v1/orders/{first}"), &stranger).await,
        StatusCode::NOT_FOUND,
    );
}

#[tokio::test]
async fn a_customer_is_created_with_its_subscriptions_once_per_key() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let body = new_customer(w.offer, "cohowinery");
    let first = post(
        &app,
        "/api/v1/customers",
        &w.token,
        "new-coho",
        body.clone(),
    )
    .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let id = id_of(&first.body["customer"]["id"]);
    assert_eq!(
        first.headers["location"],
        format!("/api/v1/customers/{id}").as_str()
    );
    assert_eq!(
        first.body["customer"]["domain"],
        "cohowinery.onmicrosoft.com"
    );
    assert_eq!(first.body["customer"]["language"], "zh-TW");
    assert_eq!(
        first.body["customer"]["subscriptions"][0]["quantity"],
        json!(5)
    );
    assert_eq!(
        first.body["customer"]["subscriptions"][0]["offer_id"],
        json!(w.offer.to_string())
    );
    assert_eq!(
        first.body["admin"]["email"],
        "admin@cohowinery.onmicrosoft.com"
    );
    let password = first.body["admin"]["temporary_password"].as_str().unwrap();
    assert!(password.len() >= 16);
    // The total reconciles with its line: 5 licenses at 6.00.
    assert_eq!(first.body["order"]["total_minor"], json!(3000));
    assert_eq!(first.body["order"]["pending_review"], json!(false));
    // The admin signs in with it.
    let res = app
        .sign_in_with(&new_client(), "admin@cohowinery.onmicrosoft.com", password)
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // A replay: the first answer, without the password; nothing new is written.
    let replay = post(
        &app,
        "/api/v1/customers",
        &w.token,
        "new-coho",
        body.clone(),
    )
    .await;
    assert_eq!(replay.status, StatusCode::CREATED);
    assert_eq!(replay.headers["idempotent-replayed"], "true");
    assert_eq!(replay.body["customer"], first.body["customer"]);
    assert_eq!(replay.body["order"], first.body["order"]);
    assert!(replay.body["admin"]["temporary_password"].is_null());
    assert!(!replay.text.contains(password));
    let count = |app: &TestApp| -> i64 {
        app.with_conn(|conn| {
            customers::table
                .filter(customers::domain_prefix.eq("cohowinery"))
                .count()
                .get_result(conn)
                .unwrap()
        })
    };
    assert_eq!(count(&app), 1);
    // The same key with another body.
    let other = post(
        &app,
        "/api/v1/customers",
        &w.token,
        "new-coho",
        new_customer(w.offer, "cohowinery2"),
    )
    .await;
    assert_problem(&other, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(other.body["type"], "/api#problem-idempotency-key-reused");
    // No key at all.
    let keyless = call(
        &app,
        reqwest::Method::POST,
        "/api/v1/customers",
        Some(&w.token),
        None,
        Some(new_customer(w.offer, "cohowinery3")),
    )
    .await;
    assert_problem(&keyless, StatusCode::BAD_REQUEST);
    // The activity log says who made it.
    let log = get(&app, "/api/v1/activity?action=customer.created", &w.token).await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.text);
    assert!(
        log.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["customer_id"] == json!(id.to_string()))
    );
}

#[tokio::test]
async fn a_customer_that_does_not_pass_its_checks_names_each_field_and_writes_nothing() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let before = app.row_counts();
    let mut body = new_customer(w.offer, "wingtiptoys");
    body["company_name"] = json!("");
    body["subscriptions"] = json!([{"offer_id": w.offer, "quantity": 0}]);
    let bad = post(&app, "/api/v1/customers", &w.token, "bad-1", body).await;
    assert_problem(&bad, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"company_name"), "{fields:?}");
    assert!(fields.contains(&"domain_prefix"), "taken: {fields:?}");
    assert!(fields.contains(&"subscriptions[0].quantity"), "{fields:?}");
    assert!(bad.body["errors"][0]["message"].as_str().unwrap().len() > 3);
    // Malformed JSON.
    let mut req = reqwest::Client::new()
        .post(app.url("/api/v1/customers"))
        .bearer_auth(&w.token)
        .header("Idempotency-Key", "bad-2")
        .header("content-type", "application/json");
    req = req.body("{\"company_name\": 3");
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // The same offer twice.
    let mut twice = new_customer(w.offer, "cohowinery");
    twice["subscriptions"] =
        json!([{"offer_id": w.offer, "quantity": 1}, {"offer_id": w.offer, "quantity": 2}]);
    let dup = post(&app, "/api/v1/customers", &w.token, "bad-3", twice).await;
    assert_problem(&dup, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(dup.body["errors"][0]["field"], "subscriptions[1].offer_id");
    let mut after = app.row_counts();
    after.remove("idempotency_keys");
    let mut before = before;
    before.remove("idempotency_keys");
    assert_eq!(before, after, "nothing but the kept answers was written");
}

#[tokio::test]
async fn lists_page_by_cursor_and_hold_still_while_customers_are_added() {
    let app = spawn_app().await;
    let w = world(&app).await;
    for i in 0..6 {
        app.seed_customer(
            w.provider.id,
            None,
            &format!("Customer {i}"),
            &format!("cust{i}"),
        );
    }
    let first = get(&app, "/api/v1/customers?limit=3", &w.token).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let mut seen: Vec<i64> = first.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| id_of(&c["id"]))
        .collect();
    assert_eq!(seen.len(), 3);
    // New customers arrive between pages: the next pages neither repeat nor skip a row.
    for i in 0..4 {
        app.seed_customer(
            w.provider.id,
            None,
            &format!("Later {i}"),
            &format!("later{i}"),
        );
    }
    let mut next = first.body["next"].as_str().map(str::to_owned);
    while let Some(link) = next {
        assert!(link.starts_with("/api/v1/customers?"), "{link}");
        assert!(link.contains("limit=3"), "{link}");
        let page = get(&app, &link, &w.token).await;
        seen.extend(
            page.body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| id_of(&c["id"])),
        );
        next = page.body["next"].as_str().map(str::to_owned);
    }
    assert_eq!(
        seen.len(),
        7,
        "the 7 customers there when paging began: {seen:?}"
    );
    let mut unique = seen.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), 7);
    // A cursor we did not give out, and a limit out of range.
    assert_problem(
        &get(&app, "/api/v1/customers?after=nonsense", &w.token).await,
        StatusCode::BAD_REQUEST,
    );
    assert_problem(
        &get(&app, "/api/v1/customers?limit=500", &w.token).await,
        StatusCode::BAD_REQUEST,
    );
    // Search finds the domain as shown.
    let found = get(
        &app,
        "/api/v1/customers?q=wingtiptoys.onmicrosoft.com",
        &w.token,
    )
    .await;
    assert_eq!(found.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(found.body["data"][0]["reseller_name"], "Northwind Traders");
    let direct = get(&app, "/api/v1/customers?reseller=none&limit=200", &w.token).await;
    assert_eq!(direct.body["data"].as_array().unwrap().len(), 10);
}

#[tokio::test]
async fn a_token_over_its_rate_gets_429_with_retry_after() {
    let mut options = AppOptions::default();
    options.throttle.api_per_token_per_minute = 3;
    let app = spawn_app_with(options).await;
    let w = world(&app).await;
    for _ in 0..3 {
        assert_eq!(
            get(&app, "/api/v1/me", &w.token).await.status,
            StatusCode::OK
        );
    }
    let limited = get(&app, "/api/v1/me", &w.token).await;
    assert_problem(&limited, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=20).contains(&wait), "{wait}");
    // Another token has its own allowance.
    let other = token_for(&app, w.provider.user_id, w.provider.id, Access::Read).await;
    assert_eq!(get(&app, "/api/v1/me", &other).await.status, StatusCode::OK);
}

#[tokio::test]
async fn subscriptions_change_through_the_api_by_the_pages_rules() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let path = format!("/api/v1/subscriptions/{}", w.sub);
    let shown = get(&app, &path, &w.token).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.text);
    assert_eq!(shown.body["quantity"], json!(10));
    assert_eq!(shown.body["cancellable"], json!(true));
    assert!(shown.body["window_until"].as_str().unwrap().ends_with('Z'));
    let more = post(
        &app,
        &format!("{path}/quantity"),
        &w.token,
        "q1",
        json!({"quantity": 12}),
    )
    .await;
    assert_eq!(more.status, StatusCode::OK, "{}", more.text);
    assert_eq!(more.body["quantity"], json!(12));
    // After the window (7 days), fewer licenses are refused, naming the field; a change at renewal
    // is the way.
    app.state.clock.set(t("2027-03-08 09:00:01"));
    let fewer = post(
        &app,
        &format!("{path}/quantity"),
        &w.token,
        "q2",
        json!({"quantity": 8}),
    )
    .await;
    assert_problem(&fewer, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fewer.body["errors"][0]["field"], "quantity");
    let cancel = post(&app, &format!("{path}/cancel"), &w.token, "c1", json!({})).await;
    assert_problem(&cancel, StatusCode::UNPROCESSABLE_ENTITY);
    let scheduled = post(
        &app,
        &format!("{path}/schedule"),
        &w.token,
        "s1",
        json!({"quantity": 8}),
    )
    .await;
    assert_eq!(scheduled.status, StatusCode::OK, "{}", scheduled.text);
    assert_eq!(scheduled.body["scheduled_change"]["quantity"], json!(8));
    assert_eq!(scheduled.body["quantity"], json!(12));
    let bad_plan = post(
        &app,
        &format!("{path}/schedule"),
        &w.token,
        "s2",
        json!({"term": "P1Y"}),
    )
    .await;
    assert_problem(&bad_plan, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_plan.body["errors"][0]["field"], "billing");
    // The reseller (administering it through its grant) sees the same subscription.
    let reseller = token_for(&app, w.reseller.user_id, w.reseller.id, Access::Write).await;
    let theirs = get(&app, &path, &reseller).await;
    assert_eq!(theirs.body["quantity"], json!(12));
    let list = get(
        &app,
        &format!("/api/v1/subscriptions?customer={}", w.customer),
        &w.token,
    )
    .await;
    assert_eq!(list.body["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn partnership_requests_grants_renewals_and_statements_answer_their_contracts() {
    let app = spawn_app().await;
    let w = world(&app).await;
    // A partnership request: its link, once.
    let made = post(
        &app,
        "/api/v1/partnership-requests",
        &w.token,
        "pr1",
        json!({}),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    let link = made.body["link"].as_str().unwrap();
    assert!(link.contains("/partnerships/accept/"), "{link}");
    assert_eq!(made.body["state"], "pending");
    let id = id_of(&made.body["id"]);
    let listed = get(&app, "/api/v1/partnership-requests", &w.token).await;
    assert_eq!(listed.body["data"][0]["id"], json!(id.to_string()));
    assert!(listed.body["data"][0].get("link").is_none());
    let res = app.get(&app.path_of(link)).await;
    assert_eq!(res.status(), StatusCode::OK, "the link works");
    let revoked = post(
        &app,
        &format!("/api/v1/partnership-requests/{id}/revoke"),
        &w.token,
        "pr2",
        json!({}),
    )
    .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text);
    assert_eq!(revoked.body["state"], "revoked");
    let resellers = get(&app, "/api/v1/resellers", &w.token).await;
    assert_eq!(
        resellers.body["data"][0]["id"],
        json!(w.reseller.id.to_string())
    );
    assert_eq!(resellers.body["data"][0]["customer_count"], json!(1));

    // A grant request for the provider itself: pending, with its approval link.
    let asked = post(
        &app,
        "/api/v1/grants",
        &w.token,
        "g1",
        json!({"customer_id": w.customer, "roles": {"license_reader": true}, "days": 90}),
    )
    .await;
    assert_eq!(asked.status, StatusCode::CREATED, "{}", asked.text);
    assert!(
        asked.body["approval_link"]
            .as_str()
            .unwrap()
            .contains("/grants/approve/")
    );
    let grants = get(&app, "/api/v1/grants", &w.token).await;
    assert_eq!(grants.status, StatusCode::OK);
    let states: Vec<&str> = grants.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["state"].as_str().unwrap())
        .collect();
    assert!(states.contains(&"pending_approval"), "{states:?}");
    assert!(states.contains(&"active"), "{states:?}");
    let active = id_of(
        &grants.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["state"] == "active")
            .unwrap()["id"],
    );
    let ended = post(
        &app,
        &format!("/api/v1/grants/{active}/end"),
        &w.token,
        "g2",
        json!({}),
    )
    .await;
    assert_eq!(ended.body["ended"], json!(true), "{}", ended.text);
    let invalid = post(
        &app,
        "/api/v1/grants",
        &w.token,
        "g3",
        json!({"customer_id": w.customer, "roles": {}, "days": 0}),
    )
    .await;
    assert_problem(&invalid, StatusCode::UNPROCESSABLE_ENTITY);

    // Renewals: the monthly subscription ends on 1 April, within 60 days.
    let renewals = get(&app, "/api/v1/renewals?days=60", &w.token).await;
    assert_eq!(renewals.status, StatusCode::OK, "{}", renewals.text);
    assert_eq!(
        renewals.body["data"][0]["subscription_id"],
        json!(w.sub.to_string())
    );
    assert_problem(
        &get(&app, "/api/v1/renewals?days=45", &w.token).await,
        StatusCode::BAD_REQUEST,
    );

    // Statements: March's, issued on 1 April; its lines add up to its total.
    app.state.clock.set(t("2027-04-01 00:10:00"));
    partner_dashboard::services::jobs::run(
        &app.state.db,
        app.state.clock.now(),
        &app.state.base_url,
    )
    .await
    .unwrap();
    let list = get(&app, "/api/v1/statements?kind=reseller", &w.token).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let st = &list.body["data"][0];
    assert_eq!(st["month"], "2027-03");
    let id = id_of(&st["id"]);
    let one = get(&app, &format!("/api/v1/statements/{id}"), &w.token).await;
    let sum: i64 = one.body["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["amount"]["amount_minor"].as_i64().unwrap())
        .sum();
    assert_eq!(json!(sum), one.body["total"]["amount_minor"]);
    assert!(sum > 0);
    let csv = get(&app, &format!("/api/v1/statements/{id}/csv"), &w.token).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(content_type(&csv).starts_with("text/csv"));
    let mut rows = csv.text.lines();
    assert!(rows.next().unwrap().starts_with("order,placed_at,kind"));
    let csv_sum: i64 = rows
        .map(|r| r.split(',').nth(8).unwrap().parse::<i64>().unwrap())
        .sum();
    assert_eq!(csv_sum, sum);
    // The reseller sees the statement it is billed.
    let reseller = token_for(&app, w.reseller.user_id, w.reseller.id, Access::Read).await;
    let theirs = get(&app, &format!("/api/v1/statements/{id}"), &reseller).await;
    assert_eq!(theirs.status, StatusCode::OK, "{}", theirs.text);
    let orders_total: i64 = app.with_conn(|conn| {
        orders::table
            .filter(orders::reseller_id.eq(w.reseller.id))
            .filter(orders::created_at.lt(t("2027-04-01 00:00:00")))
            .select(orders::total_minor)
            .load::<i64>(conn)
            .unwrap()
            .into_iter()
            .sum()
    });
    assert_eq!(orders_total, sum);
}

/// Every route of the API is in the OpenAPI document, and every path the document names answers
/// (none is a route the API does not have).
#[tokio::test]
async fn the_openapi_document_and_the_routes_match() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let doc = call(
        &app,
        reqwest::Method::GET,
        "/api/v1/openapi.json",
        None,
        None,
        None,
    )
    .await;
    assert_eq!(doc.status, StatusCode::OK);
    assert_eq!(doc.body["openapi"].as_str().unwrap(), "3.1.0");
    let paths = doc.body["paths"].as_object().unwrap();
    let routes = partner_dashboard::api::table().infos();
    let mut documented = Vec::new();
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            documented.push((method.to_uppercase(), path.clone()));
        }
    }
    let mut routed: Vec<(String, String)> = routes
        .iter()
        .map(|r| (r.method.to_owned(), format!("/api/v1{}", r.path)))
        .collect();
    routed.sort();
    documented.sort();
    assert_eq!(routed, documented);
    for (method, path) in documented {
        let concrete = path.replace("{id}", "999999");
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let key = format!("parity {concrete}");
        let a = call(
            &app,
            method,
            &concrete,
            Some(&w.token),
            Some(&key),
            Some(json!({})),
        )
        .await;
        assert_ne!(
            a.body["type"], "/api#problem-no-route",
            "{concrete} is documented but not routed"
        );
        assert!(
            a.status != StatusCode::INTERNAL_SERVER_ERROR,
            "{concrete}: {}",
            a.text
        );
    }
    // The readable page is made from the same document.
    let (status, page) = app.get_html("/api").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("/api/v1/customers/{id}"));
    assert!(page.contains("id=\"problem-validation\""));
    assert!(page.contains("id=\"schema-NewCustomer\""));
}

/// A key whose first request never got its answer (its instance crashed mid-request) is 409 for a
/// minute, then answered afresh; and when the order had been placed before the crash, the request
/// sent again finds it rather than placing a second (no second customer, no second email).
#[tokio::test]
async fn an_abandoned_key_is_answered_afresh_after_a_minute_and_finds_the_order_it_placed() {
    use diesel::prelude::*;
    use partner_dashboard::db::schema::{customers, email_outbox, idempotency_keys};
    let app = spawn_app().await;
    let w = world(&app).await;
    let mut body = new_customer(w.offer, "cohowinery");
    body["reseller_id"] = json!(w.reseller.id.to_string());
    let first = post(
        &app,
        "/api/v1/customers",
        &w.token,
        "crashed-1",
        body.clone(),
    )
    .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    assert!(first.body["admin"]["temporary_password"].is_string());
    // As if the instance died after the order committed and before the answer was kept.
    let claimed_at = app.state.clock.now();
    app.with_conn(|conn| {
        diesel::update(idempotency_keys::table)
            .set((
                idempotency_keys::status.eq(0),
                idempotency_keys::body.eq(""),
            ))
            .execute(conn)
            .unwrap();
    });
    app.state
        .clock
        .set(claimed_at + chrono::Duration::seconds(59));
    let early = post(
        &app,
        "/api/v1/customers",
        &w.token,
        "crashed-1",
        body.clone(),
    )
    .await;
    assert_problem(&early, StatusCode::CONFLICT);
    app.state
        .clock
        .set(claimed_at + chrono::Duration::seconds(60));
    let again = post(
        &app,
        "/api/v1/customers",
        &w.token,
        "crashed-1",
        body.clone(),
    )
    .await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
    assert_eq!(again.body["customer"]["id"], first.body["customer"]["id"]);
    assert_eq!(again.body["order"]["id"], first.body["order"]["id"]);
    assert!(
        again.body["admin"]["temporary_password"].is_null(),
        "the password was shown once, to the first request"
    );
    // Kept now: a third send is a replay.
    let replay = post(&app, "/api/v1/customers", &w.token, "crashed-1", body).await;
    assert_eq!(replay.headers["idempotent-replayed"], "true");
    app.with_conn(|conn| {
        let made: i64 = customers::table
            .filter(customers::domain_prefix.eq("cohowinery"))
            .count()
            .get_result(conn)
            .unwrap();
        assert_eq!(made, 1);
        let emails: i64 = email_outbox::table
            .filter(email_outbox::template.eq("customer_added_for_reseller"))
            .count()
            .get_result(conn)
            .unwrap();
        assert_eq!(emails, 1);
    });
}

/// An upgrade over the reseller's credit through the API: 202, the subscription as it still is, and
/// the order among those waiting for review.
#[tokio::test]
async fn an_upgrade_over_credit_is_accepted_for_review_not_done() {
    use diesel::prelude::*;
    use partner_dashboard::db::schema::partnerships;
    let app = spawn_app().await;
    let w = world(&app).await;
    let premium = app.create_offer("Microsoft 365 Business Premium", 2_207, 1, 300);
    app.with_conn(|conn| {
        partner_dashboard::db::models::offer::Offer::set_upgrades(conn, w.offer, &[premium])
            .unwrap();
        diesel::update(partnerships::table)
            .set(partnerships::credit_limit_minor.eq(Some(0_i64)))
            .execute(conn)
            .unwrap();
    });
    let res = post(
        &app,
        &format!("/api/v1/subscriptions/{}/upgrade", w.sub),
        &w.token,
        "up-1",
        json!({"offer_id": premium.to_string()}),
    )
    .await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.text);
    assert_eq!(
        res.body["offer_id"],
        w.offer.to_string(),
        "not upgraded yet"
    );
    let waiting = get(&app, "/api/v1/orders?status=pending_review", &w.token).await;
    let orders = waiting.body["data"].as_array().unwrap();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0]["kind"], "upgrade");
}
