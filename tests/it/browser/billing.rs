//! Journey 5 (issue 15): a provider gives its reseller a credit limit, adds a subscription that goes
//! over it — the order waits in Needs review, nothing provisioned — approves it, and after the month's
//! statement job opens the reseller's statement, prints it (the print stylesheet) and marks it paid;
//! the reseller finds the same statement, in Traditional Chinese.

use super::{Lang, journey};
use crate::helpers::*;
use partner_dashboard::domain::EnrollmentStatus;

fn at(s: &str) -> chrono::NaiveDateTime {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
}

#[tokio::test]
async fn an_order_over_the_credit_limit_is_approved_then_billed_on_the_statement_and_paid() {
    let app = spawn_app().await;
    app.state.clock.set(at("2027-03-02 01:00:00"));
    let provider = app.create_provider("alice@contoso.example").id;
    let reseller = app
        .create_reseller("wei@northwind.example", EnrollmentStatus::Verified)
        .id;
    app.partner(provider, reseller);
    let offer = app
        .create_offer("Microsoft 365 E3", 3600, 1, 1000)
        .to_string();
    let customer = app.seed_customer(provider, Some(reseller), "Wingtip Toys", "wingtiptoys");
    app.with_conn(|conn| {
        use diesel::prelude::*;
        use partner_dashboard::db::schema::users;
        diesel::update(users::table.filter(users::email.eq("wei@northwind.example")))
            .set(users::locale.eq(Some("zh-TW")))
            .execute(conn)
            .unwrap();
    });
    let app = std::sync::Arc::new(app);
    let a = app.clone();
    journey(&app, "billing", Lang::En, |b| async move {
        b.sign_in_with(("Email", "Password", "Sign in"), "alice@contoso.example", PASSWORD)
            .await;
        b.goto(&format!("/indirect-resellers/{reseller}")).await;
        b.fill("Credit limit", "100.00").await;
        b.click("Save").await;
        b.wait_for_text("The credit settings are saved.").await;
        assert_eq!(b.texts("#credit-limit").await, vec!["USD 100.00"]);

        // Ten licenses for a month (360.00) go over 100.00: the order waits.
        b.goto(&format!("/customers/{customer}/subscriptions/new")).await;
        b.wait_for_heading("New subscription").await;
        b.choose("Offer", &offer).await;
        b.fill("Number of licenses", "10").await;
        b.choose("Term and billing frequency", "P1M:monthly").await;
        b.click("Next: Review").await;
        b.wait_for_heading("Review the new subscription").await;
        b.click("Submit").await;
        b.wait_for_text("The order waits for the provider's review").await;
        b.click("Dashboard").await;
        b.wait_for_heading("Dashboard").await;
        b.click("Orders waiting for your review: 1").await;
        b.wait_for_heading("Orders").await;
        let rows = b.texts("table.orders tbody tr").await;
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert!(rows[0].contains("Pending review"), "{rows:?}");
        b.click_css("table.orders tbody a.mono").await;
        b.wait_for_text("This order waits for your review").await;
        b.click("Approve").await;
        b.wait_for_text("The order is approved and provisioned.").await;
        assert_eq!(b.texts("#order-status").await, vec!["Placed"]);

        // 1 April: March's statement.
        let april = at("2027-04-01 00:00:00");
        a.state.clock.set(april);
        let report = partner_dashboard::services::jobs::run(&a.state.db, april, &a.state.base_url)
            .await
            .unwrap();
        assert_eq!(report.statements, 2, "{report:?}");
        b.click("Statements").await;
        b.wait_for_heading("Statements").await;
        b.click("Reseller").await;
        let rows = b.texts("#statements tbody tr").await;
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert!(rows[0].contains("USD 360.00") && rows[0].contains("Unpaid"), "{rows:?}");
        b.click_css("#statements tbody a").await;
        b.wait_for_text("Bill to").await;
        assert_eq!(b.texts("#statement-total").await, vec!["USD 360.00"]);
        // Printed, the menu, the buttons and the forms are gone; the lines stay.
        let printed = b
            .eval(
                "const sheet = [...document.styleSheets].find(s => s.href && s.href.includes('app.css'));
                 const rule = [...sheet.cssRules].find(r => r.media && r.media.mediaText === 'print');
                 return !!rule && rule.cssText.includes('.menu');",
            )
            .await;
        assert_eq!(printed, serde_json::Value::Bool(true));
        b.click("Mark as paid").await;
        b.wait_for_text("The statement is marked as paid.").await;
        assert!(b.texts("#paid-state").await[0].starts_with("Paid"));
        b.click("Sign out").await;
        // Signed out for good before the next sign-in (its cookie could otherwise race the new one).
        b.wait_for_heading("Sign in").await;

        // The reseller, in Chinese: the same statement, no cost.
        b.sign_in_with(("Email", "Password", "Sign in"), "wei@northwind.example", PASSWORD)
            .await;
        b.goto("/reseller/statements").await;
        b.wait_for_heading("對帳單").await;
        let rows = b.texts("#statements tbody tr").await;
        assert!(rows.iter().any(|r| r.contains("USD 360.00") && r.contains("已付款")), "{rows:?}");
    })
    .await;
}
