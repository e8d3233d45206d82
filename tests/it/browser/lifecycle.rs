//! Journey 4 (issue 14): buy an annual subscription, reduce it within its 168-hour window, schedule a
//! reduction for the renewal once the window has closed, let the renewal job run at the term's end,
//! and find the renewal order — in English; and the same page and schedule in Traditional Chinese.

use super::{Browser, Lang, journey};
use crate::helpers::*;
use partner_dashboard::domain::EnrollmentStatus;

fn at(s: &str) -> chrono::NaiveDateTime {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
}

struct Setup {
    customer: i64,
    offer: String,
}

fn setup(app: &TestApp) -> Setup {
    app.state.clock.set(at("2027-01-04 01:00:00"));
    let provider = app.create_provider("alice@contoso.example").id;
    let reseller = app
        .create_reseller("wei@northwind.example", EnrollmentStatus::Verified)
        .id;
    app.partner(provider, reseller);
    let offer = app.create_offer("Microsoft 365 E3", 3600, 1, 1000);
    let customer = app.seed_customer(provider, Some(reseller), "Wingtip Toys", "wingtiptoys");
    Setup {
        customer,
        offer: offer.to_string(),
    }
}

fn last_subscription(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    use partner_dashboard::db::schema::subscriptions;
    app.with_conn(|conn| {
        subscriptions::table
            .order(subscriptions::id.desc())
            .select(subscriptions::id)
            .first(conn)
            .unwrap()
    })
}

async fn renew(app: &TestApp, when: chrono::NaiveDateTime) {
    app.state.clock.set(when);
    let report =
        partner_dashboard::services::renewals::run(&app.state.db, when, &app.state.base_url)
            .await
            .unwrap();
    assert_eq!((report.renewed, report.changes_applied), (1, 1));
}

#[tokio::test]
async fn buy_annual_reduce_in_the_window_schedule_after_it_and_find_the_renewal_order() {
    let app = spawn_app().await;
    let s = setup(&app);
    let path = format!("/customers/{}/subscriptions/new", s.customer);
    let app = std::sync::Arc::new(app);
    let a = app.clone();
    journey(&app, "lifecycle", Lang::En, |b| async move {
        b.sign_in_with(
            ("Email", "Password", "Sign in"),
            "alice@contoso.example",
            PASSWORD,
        )
        .await;
        b.goto(&path).await;
        b.wait_for_heading("New subscription").await;
        b.choose("Offer", &s.offer).await;
        b.fill("Number of licenses", "10").await;
        b.choose("Term and billing frequency", "P1Y:annual").await;
        b.click("Next: Review").await;
        b.wait_for_heading("Review the new subscription").await;
        assert_eq!(b.texts("#review-plan").await, vec!["1 year · Annual"]);
        assert_eq!(b.texts("#review-end").await, vec!["4 Jan 2028"]);
        b.click("Submit").await;
        b.wait_for_heading("Wingtip Toys").await;

        let id = last_subscription(&a);
        b.goto(&format!("/subscriptions/{id}")).await;
        b.wait_for_heading("Microsoft 365 E3").await;
        // In Taiwan's time: bought 09:00 on 4 January, the window closes 09:00 on 11 January.
        assert_eq!(
            b.texts("#window").await,
            vec!["You can cancel or reduce licenses until 11 Jan 2027, 09:00 UTC+08:00."]
        );
        b.fill("Number of licenses", "8").await;
        b.click("Change quantity").await;
        b.wait_for_heading("Change licenses?").await;
        // Two licenses back on the day of purchase: the whole year credited (2 × 12 × 36.00).
        assert_eq!(
            b.texts("#confirm-prorated").await,
            vec!["-USD 864.00 — until 4 Jan 2028"]
        );
        b.click("Confirm").await;
        b.wait_for_heading("Microsoft 365 E3").await;
        assert_eq!(b.texts("#licenses").await, vec!["8"]);

        // A week and a day later the window has closed: the reduction waits for the renewal.
        a.state.clock.set(at("2027-01-12 01:00:00"));
        b.refresh().await;
        b.wait_for_heading("Microsoft 365 E3").await;
        assert!(
            b.texts("#window").await[0].starts_with("The 7-day cancellation window has closed")
        );
        b.fill("Licenses from the renewal", "6").await;
        b.click_css("#schedule-form button[value=schedule]").await;
        b.wait_for_text("The change was scheduled for the renewal.")
            .await;
        assert_eq!(
            b.texts("#scheduled-change").await,
            vec!["At the renewal on 4 Jan 2028: 6 licenses"]
        );

        renew(&a, at("2028-01-04 01:00:00")).await;
        b.refresh().await;
        b.wait_for_heading("Microsoft 365 E3").await;
        assert_eq!(b.texts("#licenses").await, vec!["6"]);
        assert_eq!(b.texts("#ends-on").await, vec!["4 Jan 2029"]);
        b.click("Orders").await;
        b.wait_for_heading("Orders").await;
        let rows = b.texts("table.orders tbody tr").await;
        assert!(rows[0].contains("Renewal"), "{rows:?}");
        assert!(rows[0].contains("USD 2,592.00"), "6 × 432.00: {rows:?}");
        assert!(
            rows.iter().any(|r| r.contains("Licenses reduced (credit)")),
            "{rows:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn the_subscription_page_and_a_scheduled_change_in_traditional_chinese() {
    let app = spawn_app().await;
    let s = setup(&app);
    app.with_conn(|conn| {
        use diesel::prelude::*;
        use partner_dashboard::db::schema::users;
        diesel::update(users::table.filter(users::email.eq("alice@contoso.example")))
            .set(users::locale.eq("zh-TW"))
            .execute(conn)
            .unwrap();
    });
    let id = app.buy(
        app.with_conn(|conn| {
            use diesel::prelude::*;
            use partner_dashboard::db::schema::provider_customers;
            provider_customers::table
                .select(provider_customers::provider_id)
                .first::<i64>(conn)
                .unwrap()
        }),
        s.customer,
        s.offer.parse().unwrap(),
        10,
        None,
        "P1Y:annual",
    );
    let app = std::sync::Arc::new(app);
    let a = app.clone();
    journey(
        &app,
        "lifecycle_zh",
        Lang::ZhTw,
        |b: std::sync::Arc<Browser>| async move {
            b.sign_in_with(
                ("電子郵件", "密碼", "登入"),
                "alice@contoso.example",
                PASSWORD,
            )
            .await;
            b.goto(&format!("/subscriptions/{id}")).await;
            b.wait_for_heading("Microsoft 365 E3").await;
            assert_eq!(
                b.texts("#window").await,
                vec!["您可以在 2027年1月11日 09:00 (UTC+08:00) 前取消訂閱或減少授權。"]
            );
            assert_eq!(
                b.texts("#plan").await[0].split(" · USD").next(),
                Some("1 年 · 每年")
            );
            a.state.clock.set(at("2027-01-12 01:00:00"));
            b.refresh().await;
            b.wait_for_heading("Microsoft 365 E3").await;
            b.fill("續約後的授權數量", "6").await;
            b.click_css("#schedule-form button[value=schedule]").await;
            b.wait_for_text("已排定於續約時變更。").await;
            assert_eq!(
                b.texts("#scheduled-change").await,
                vec!["於 2028年1月4日 續約時： 6 個授權"]
            );
        },
    )
    .await;
}
