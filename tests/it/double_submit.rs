//! Forms sent twice (a double click, a Back and Submit again) or twice at once (two tabs, a retrying
//! proxy) have one effect each: one subscription, one order, one decision. The wizard's own are in
//! `customers.rs`.

use diesel::prelude::*;
use reqwest::StatusCode;
use scraper::{Html, Selector};

use crate::helpers::*;
use crate::profile::submit_request;
use partner_dashboard::db::models::profile::ProfileChangeRequest;
use partner_dashboard::db::models::stats::ProviderStats;
use partner_dashboard::db::schema::{activity_log, order_lines, orders, subscriptions};
use partner_dashboard::domain::{EnrollmentStatus, ProviderId};

/// The value of the hidden input `name` of a page.
fn hidden(html: &str, name: &str) -> String {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(&format!(r#"input[name="{name}"]"#)).unwrap();
    doc.select(&sel)
        .next()
        .and_then(|e| e.value().attr("value"))
        .unwrap_or_else(|| panic!("no {name} in the form"))
        .to_owned()
}

fn subscriptions_of(app: &TestApp, customer: i64) -> i64 {
    app.with_conn(|conn| {
        subscriptions::table
            .filter(subscriptions::customer_id.eq(customer))
            .count()
            .get_result(conn)
            .unwrap()
    })
}

fn orders_of(app: &TestApp, customer: i64, kind: &str) -> i64 {
    app.with_conn(|conn| {
        orders::table
            .filter(orders::customer_id.eq(customer))
            .filter(orders::kind.eq(kind))
            .count()
            .get_result(conn)
            .unwrap()
    })
}

fn stats(app: &TestApp, provider: i64) -> ProviderStats {
    app.with_conn(|conn| ProviderStats::of(conn, ProviderId::established(provider)).unwrap())
}

fn entries(app: &TestApp, action: &str) -> i64 {
    app.with_conn(|conn| {
        activity_log::table
            .filter(activity_log::action.eq(action))
            .count()
            .get_result(conn)
            .unwrap()
    })
}

/// Posts the same form twice at the same moment from one signed-in client; both answers.
async fn twice_at_once(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    fields: &[(&str, &str)],
) -> (reqwest::Response, reqwest::Response) {
    let token = app.csrf_token_with(client).await;
    let mut all = vec![("csrf_token", token.as_str())];
    all.extend_from_slice(fields);
    let send = || {
        client
            .post(app.url(path))
            .header("Origin", &app.address)
            .form(&all)
            .send()
    };
    let (a, b) = tokio::join!(send(), send());
    (a.unwrap(), b.unwrap())
}

struct World {
    provider: i64,
    reseller: i64,
    customer: i64,
    offer: String,
}

async fn world(app: &TestApp) -> World {
    let provider = app.create_provider("alice@contoso.example").id;
    let reseller = app
        .create_reseller("wei@northwind.example", EnrollmentStatus::Verified)
        .id;
    app.partner(provider, reseller);
    let offer = app
        .create_offer("Microsoft 365 Business Basic", 600, 1, 300)
        .to_string();
    let customer = app.seed_customer(provider, Some(reseller), "Wingtip Toys", "wingtiptoys");
    app.signed_in("alice@contoso.example").await;
    World {
        provider,
        reseller,
        customer,
        offer,
    }
}

/// Adds a subscription through the form; its id.
async fn add_subscription(app: &TestApp, w: &World, quantity: &str) -> i64 {
    let path = format!("/customers/{}/subscriptions/new", w.customer);
    let key = hidden(&app.html(&path).await, "form_key");
    let res = app
        .post_form(
            &path,
            &[
                ("offer", &w.offer),
                ("quantity", quantity),
                ("reseller", &w.reseller.to_string()),
                ("form_key", &key),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_redirect(&res, &format!("/customers/{}", w.customer));
    app.with_conn(|conn| {
        subscriptions::table
            .filter(subscriptions::customer_id.eq(w.customer))
            .order(subscriptions::id.desc())
            .select(subscriptions::id)
            .first(conn)
            .unwrap()
    })
}

#[tokio::test]
async fn a_new_subscription_sent_twice_or_twice_at_once_is_added_once() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let path = format!("/customers/{}/subscriptions/new", w.customer);
    let reseller = w.reseller.to_string();

    // Sent, then sent again (Back, Submit).
    let key = hidden(&app.html(&path).await, "form_key");
    let fields = [
        ("offer", w.offer.as_str()),
        ("quantity", "7"),
        ("reseller", reseller.as_str()),
        ("form_key", key.as_str()),
        ("confirm", "yes"),
    ];
    for _ in 0..2 {
        let res = app.post_form(&path, &fields).await;
        assert_redirect(&res, &format!("/customers/{}", w.customer));
    }
    assert_eq!(subscriptions_of(&app, w.customer), 1);
    assert_eq!(orders_of(&app, w.customer, "new_subscription"), 1);
    assert_eq!(entries(&app, "subscription.created"), 1);

    // A new showing of the form, sent twice at the same moment.
    let key = hidden(&app.html(&path).await, "form_key");
    let fields = [
        ("offer", w.offer.as_str()),
        ("quantity", "7"),
        ("reseller", reseller.as_str()),
        ("form_key", key.as_str()),
        ("confirm", "yes"),
    ];
    let (a, b) = twice_at_once(&app, &app.client, &path, &fields).await;
    assert_eq!(a.status(), StatusCode::SEE_OTHER);
    assert_eq!(b.status(), StatusCode::SEE_OTHER);
    assert_eq!(subscriptions_of(&app, w.customer), 2);
    assert_eq!(orders_of(&app, w.customer, "new_subscription"), 2);
    let lines: i64 = app.with_conn(|conn| order_lines::table.count().get_result(conn).unwrap());
    assert_eq!(lines, 2);
    let s = stats(&app, w.provider);
    assert_eq!((s.subscriptions, s.licenses), (2, 14));

    // The control: a form with another key (or none, as an old page would send) is another order.
    let res = app
        .post_form(
            &path,
            &[
                ("offer", w.offer.as_str()),
                ("quantity", "7"),
                ("reseller", reseller.as_str()),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(subscriptions_of(&app, w.customer), 3);
}

#[tokio::test]
async fn a_license_change_sent_twice_or_twice_at_once_places_one_order() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let id = add_subscription(&app, &w, "10").await;
    let path = format!("/subscriptions/{id}/quantity");

    let (a, b) = twice_at_once(
        &app,
        &app.client,
        &path,
        &[("quantity", "14"), ("confirm", "yes")],
    )
    .await;
    assert_eq!(a.status(), StatusCode::SEE_OTHER);
    assert_eq!(b.status(), StatusCode::SEE_OTHER);
    let res = app
        .post_form(&path, &[("quantity", "14"), ("confirm", "yes")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(orders_of(&app, w.customer, "change_quantity"), 1);
    assert_eq!(entries(&app, "subscription.quantity_changed"), 1);
    assert_eq!(stats(&app, w.provider).licenses, 14);

    // The reseller administering the customer, twice at once too.
    let wei = new_client();
    app.sign_in_with(&wei, "wei@northwind.example", PASSWORD)
        .await;
    let reseller_path = format!("/reseller/subscriptions/{id}/quantity");
    let (a, b) = twice_at_once(
        &app,
        &wei,
        &reseller_path,
        &[("quantity", "20"), ("confirm", "yes")],
    )
    .await;
    assert_eq!(a.status(), StatusCode::SEE_OTHER);
    assert_eq!(b.status(), StatusCode::SEE_OTHER);
    assert_eq!(orders_of(&app, w.customer, "change_quantity"), 2);
    assert_eq!(stats(&app, w.provider).licenses, 20);

    // Suspending twice at once is one change.
    let status_path = format!("/subscriptions/{id}/status");
    let (a, b) = twice_at_once(
        &app,
        &app.client,
        &status_path,
        &[
            ("status", "suspended"),
            ("reason", "Unpaid invoice"),
            ("confirm", "yes"),
        ],
    )
    .await;
    assert_eq!(a.status(), StatusCode::SEE_OTHER);
    assert_eq!(b.status(), StatusCode::SEE_OTHER);
    assert_eq!(entries(&app, "subscription.status_changed"), 1);
}

#[tokio::test]
async fn a_review_decided_twice_at_once_is_decided_once() {
    let app = spawn_app().await;
    let provider = app.create_provider("alice@contoso.example").id;
    app.signed_in("alice@contoso.example").await;
    let res = submit_request(&app, "Contoso Distribution Ltd").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let request = app.with_conn(|conn| {
        ProfileChangeRequest::latest(conn, ProviderId::established(provider))
            .unwrap()
            .unwrap()
    });
    let pending = app
        .create_reseller("wei@northwind.example", EnrollmentStatus::Pending)
        .id;
    app.create_operator("olivia@platform.example");
    let olivia = new_client();
    app.sign_in_with(&olivia, "olivia@platform.example", PASSWORD)
        .await;

    let approve = format!("/operations/profile-requests/{}/approve", request.id);
    let (a, b) = twice_at_once(&app, &olivia, &approve, &[]).await;
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [303, 409], "one approval, one refusal");
    assert_eq!(entries(&app, "profile_request.approved"), 1);

    let verify = format!("/operations/enrollments/{pending}/verify");
    let (a, b) = twice_at_once(&app, &olivia, &verify, &[]).await;
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [303, 409], "one verification, one refusal");
    assert_eq!(entries(&app, "reseller.verified"), 1);
    app.mail.wait_for("wei@northwind.example").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(app.mail.received_by("wei@northwind.example").len(), 1);
}
