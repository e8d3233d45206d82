//! Journey 3: Customers → the down arrow → Add subscription with a reseller of record → Review → Submit → the
//! subscription → Designated support contact = the reseller → Submit; the reseller sees the customer
//! and the subscription; the customer admin sees its new support contact.

use super::{Browser, Lang, journey};
use crate::helpers::*;
use partner_dashboard::domain::{EnrollmentStatus, Role};

async fn sign_in(b: &Browser, email: &str) {
    b.sign_in_with(("Email", "Password", "Sign in"), email, PASSWORD)
        .await;
}

async fn sign_out(b: &Browser) {
    b.click("Sign out").await;
    b.wait_for_heading("Sign in").await;
}

#[tokio::test]
async fn a_provider_adds_a_subscription_and_hands_its_support_to_the_reseller() {
    let app = spawn_app().await;
    let provider = app.create_provider("alice@contoso.example").id;
    let reseller = app
        .create_reseller("wei@northwind.example", EnrollmentStatus::Verified)
        .id;
    app.partner(provider, reseller);
    let offer = app.create_offer("Microsoft 365 E3", 3600, 1, 1000);
    let customer = app.seed_customer(provider, Some(reseller), "Wingtip Toys", "wingtiptoys");
    let hash = partner_dashboard::auth::password::hash(PASSWORD).unwrap();
    app.with_conn(|conn| {
        partner_dashboard::db::models::user::User::create(
            conn,
            partner_dashboard::db::models::user::NewUser {
                email: &partner_dashboard::domain::Email::parse(
                    "admin@wingtiptoys.onmicrosoft.com",
                )
                .unwrap(),
                password_hash: &hash,
                role: Role::Customer,
                partner_id: None,
                customer_id: Some(customer),
                display_name: "Wingtip Toys",
                locale: None,
                must_change_password: false,
            },
        )
        .unwrap()
    });
    let (offer, reseller) = (offer.to_string(), reseller.to_string());
    journey(&app, "subscriptions", Lang::En, |b| async move {
        sign_in(&b, "alice@contoso.example").await;
        b.click("Customers").await;
        b.wait_for_heading("Customers").await;
        let shown =
            "return getComputedStyle(document.querySelector('#customers tr.detail-row')).display;";
        assert_eq!(
            b.eval(shown).await.as_str(),
            Some("none"),
            "rows start closed"
        );
        b.click_css("#customers .expander").await;
        assert_eq!(
            b.eval(shown).await.as_str(),
            Some("table-row"),
            "the down arrow opens the row"
        );
        b.click("Add subscription").await;
        b.wait_for_heading("New subscription").await;
        b.choose("Offer", &offer).await;
        b.fill("Number of licenses", "30").await;
        b.choose("Indirect reseller", &reseller).await;
        b.click("Next: Review").await;
        b.wait_for_heading("Review the new subscription").await;
        assert_eq!(b.texts("#review-total").await, vec!["USD 1,080.00"]);
        b.click("Submit").await;

        b.wait_for_heading("Wingtip Toys").await;
        assert!(b.page_text().await.contains("The subscription was added"));
        b.click("Microsoft 365 E3").await;
        b.wait_for_heading("Microsoft 365 E3").await;
        assert_eq!(
            b.texts("#reseller-of-record").await,
            vec!["Northwind Traders"]
        );
        b.choose("Designated support contact", &reseller).await;
        b.click("Submit").await;
        b.wait_for_text("The designated support contact was changed.")
            .await;
        assert!(b.texts("#support-contact").await[0].starts_with("Northwind Traders"));
        sign_out(&b).await;

        sign_in(&b, "wei@northwind.example").await;
        b.click("Customers").await;
        b.wait_for_heading("Customers").await;
        assert_eq!(
            b.texts("#customers tr.main-row td:nth-child(2)").await,
            vec!["Wingtip Toys"]
        );
        b.click("Subscriptions").await;
        b.wait_for_heading("Subscriptions").await;
        let rows = b.texts("#subscriptions tbody tr").await;
        assert_eq!(rows.len(), 1);
        assert!(
            rows[0].contains("Microsoft 365 E3") && rows[0].contains("Designated support contact")
        );
        sign_out(&b).await;

        sign_in(&b, "admin@wingtiptoys.onmicrosoft.com").await;
        b.wait_for_heading("Subscriptions").await;
        let rows = b.texts("#subscriptions tbody tr").await;
        assert_eq!(rows.len(), 1);
        assert!(rows[0].contains("Microsoft 365 E3") && rows[0].contains("Northwind Traders"));
    })
    .await;
}
