//! Journey (issue 17): the provider requests a grant for its reseller from the customer page, the
//! customer's admin approves it by the personal link, the reseller changes licenses, the grant
//! expires, and the reseller is refused.

use super::{Lang, journey};
use crate::helpers::*;
use partner_dashboard::domain::EnrollmentStatus;

fn at(s: &str) -> chrono::NaiveDateTime {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
}

#[tokio::test]
async fn a_grant_is_requested_approved_used_and_expires() {
    let app = spawn_app().await;
    app.state.clock.set(at("2027-03-01 01:00:00"));
    let provider = app.create_provider("alice@contoso.example").id;
    let reseller = app
        .create_reseller("wei@northwind.example", EnrollmentStatus::Verified)
        .id;
    app.partner(provider, reseller);
    let offer = app.create_offer("Microsoft 365 E3", 3600, 1, 1000);
    let customer = app.seed_customer(provider, None, "Wingtip Toys", "wingtiptoys");
    let sub = app.add_subscription(provider, customer, offer, 10, None);
    app.create_admin_of(customer, "admin@wingtiptoys.onmicrosoft.com");
    let app = std::sync::Arc::new(app);
    let a = app.clone();
    journey(&app, "grants", Lang::En, |b| async move {
        let sign_in = ("Email", "Password", "Sign in");
        b.sign_in_with(sign_in, "alice@contoso.example", PASSWORD).await;
        b.goto(&format!("/customers/{customer}")).await;
        b.wait_for_heading("Wingtip Toys").await;
        assert_eq!(b.texts("#check-ok").await, vec!["No problems found."]);
        b.choose("Granted to", &reseller.to_string()).await;
        b.fill("Duration (days, 1–730)", "45").await;
        b.click("Request a grant").await;
        b.wait_for_heading("Request a grant").await;
        let link = b.texts("#personal-link").await.pop().expect("the link");
        assert_eq!(
            b.texts("#request-details dd").await,
            vec![
                "Wingtip Toys",
                "Northwind Traders",
                "Subscription administrator, License reader, Support",
                "45 days"
            ]
        );
        b.click("Done").await;
        b.wait_for_heading("Delegated administration").await;
        let rows = b.texts("#grants-table tbody tr").await;
        assert!(rows[0].contains("Pending approval"), "{rows:?}");
        b.click("Sign out").await;
        // Signed out for good before the next sign-in (its cookie could otherwise race the new one).
        b.wait_for_heading("Sign in").await;

        // The customer's admin opens the link, signs in, sees who asks for what, and approves.
        b.goto(&a.path_of(&link)).await;
        b.wait_for_heading("Approve delegated administration").await;
        // Its Sign in keeps the link to come back to.
        let href = b
            .eval("return document.querySelector('.consent a.button.primary').getAttribute('href');")
            .await;
        assert!(
            href.as_str().unwrap().starts_with("/sign-in?next=/grants/approve/"),
            "{href}"
        );
        b.sign_in_with(sign_in, "admin@wingtiptoys.onmicrosoft.com", PASSWORD)
            .await;
        b.goto(&a.path_of(&link)).await;
        b.wait_for_heading("Approve delegated administration").await;
        assert_eq!(
            b.texts("#grant-asks").await,
            vec!["Contoso Distribution asks you to give Northwind Traders these roles on Wingtip Toys:"]
        );
        assert_eq!(b.texts("#grant-roles li").await.len(), 3);
        b.click("Approve").await;
        b.wait_for_text("You approved the grant.").await;
        let rows = b.texts("#grants-table tbody tr").await;
        assert!(rows[0].contains("Active") && !rows[0].contains("Expiring soon"), "{rows:?}");
        assert!(rows[0].contains("15 Apr 2027"), "{rows:?}");
        b.click("Sign out").await;
        // Signed out for good before the next sign-in (its cookie could otherwise race the new one).
        b.wait_for_heading("Sign in").await;

        // The reseller changes licenses.
        b.sign_in_with(sign_in, "wei@northwind.example", PASSWORD).await;
        b.goto(&format!("/reseller/subscriptions/{sub}")).await;
        b.wait_for_heading("Microsoft 365 E3").await;
        b.fill("Number of licenses", "12").await;
        b.click("Change quantity").await;
        b.wait_for_heading("Change licenses?").await;
        b.click("Confirm").await;
        b.wait_for_heading("Microsoft 365 E3").await;
        assert_eq!(b.texts("#licenses").await, vec!["12"]);

        // Forty-five days later the grant has expired: the job says so, and the reseller is refused.
        let expiry = at("2027-04-15 01:00:00");
        a.state.clock.set(expiry);
        let report = partner_dashboard::services::jobs::run(&a.state.db, expiry, &a.state.base_url)
            .await
            .unwrap();
        assert_eq!(report.grants.expired, 1);
        b.refresh().await;
        b.wait_for_heading("Page not found").await;
        b.goto("/reseller/customers").await;
        b.wait_for_heading("Customers").await;
        assert!(!b.page_text().await.contains("Wingtip Toys"));
    })
    .await;
}
