//! The counters the pages read (a provider's resellers, customers, subscriptions, licenses and new
//! customers per month; each partnership's customers and licenses; each customer's subscriptions) stay
//! equal to what the rows say, whatever happens.

use partner_dashboard::domain::{EnrollmentStatus, ProviderId};
use partner_dashboard::services::counters;
use reqwest::StatusCode;

use crate::helpers::*;

/// The new customer wizard, to Submit: returns the customer's id.
async fn wizard(app: &TestApp, reseller: Option<i64>, prefix: &str, lines: &[(i64, &str)]) -> i64 {
    let reseller = reseller.map(|r| r.to_string()).unwrap_or_default();
    let res = app
        .post_form(
            "/customers/new",
            &[
                ("reseller", reseller.as_str()),
                ("company_name", prefix),
                ("domain_prefix", prefix),
                ("address_line1", "1 Harbour Road"),
                ("city", "Taipei"),
                ("country", "TW"),
                ("contact_first_name", "Mei"),
                ("contact_last_name", "Lin"),
                ("contact_email", "mei@example.com"),
                ("language", "en"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let draft: i64 = location(&res).split('/').nth(3).unwrap().parse().unwrap();
    let mut fields: Vec<(String, String)> = lines
        .iter()
        .map(|(offer, q)| (format!("qty_{offer}"), (*q).to_owned()))
        .collect();
    fields.push(("nav".into(), "next".into()));
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    app.post_form(&format!("/customers/new/{draft}/subscriptions"), &fields)
        .await;
    let res = app
        .post_form(&format!("/customers/new/{draft}/submit"), &[])
        .await;
    assert_redirect(&res, &format!("/customers/new/{draft}/confirmation"));
    app.with_conn(|conn| {
        use diesel::prelude::*;
        use partner_dashboard::db::schema::customers;
        customers::table
            .filter(customers::domain_prefix.eq(prefix))
            .select(customers::id)
            .first(conn)
            .unwrap()
    })
}

fn subscriptions_of(app: &TestApp, customer: i64) -> Vec<i64> {
    app.with_conn(|conn| {
        use diesel::prelude::*;
        use partner_dashboard::db::schema::subscriptions;
        subscriptions::table
            .filter(subscriptions::customer_id.eq(customer))
            .order(subscriptions::id.asc())
            .select(subscriptions::id)
            .load(conn)
            .unwrap()
    })
}

#[tokio::test]
async fn every_counter_equals_what_the_rows_say_after_a_mixed_scenario() {
    let app = spawn_app().await;
    let provider = app.create_provider("alice@contoso.example").id;
    let r1 = app
        .create_named_reseller(
            "Northwind",
            "r1@northwind.example",
            EnrollmentStatus::Verified,
        )
        .id;
    let r2 = app
        .create_named_reseller(
            "Tailspin",
            "r2@tailspin.example",
            EnrollmentStatus::Verified,
        )
        .id;
    app.partner(provider, r1);
    app.partner(provider, r2);
    let basic = app.create_offer("Microsoft 365 Business Basic", 600, 1, 300);
    let e3 = app.create_offer("Microsoft 365 E3", 3600, 5, 1000);
    app.signed_in("alice@contoso.example").await;

    // Customers by the wizard, for a reseller and direct; a listed one; an invited one.
    let wingtip = wizard(&app, Some(r1), "wingtiptoys", &[(basic, "10"), (e3, "25")]).await;
    let coho = wizard(&app, None, "cohowinery", &[(basic, "3")]).await;
    app.seed_customer(provider, Some(r2), "Adatum", "adatum");
    let admin = app.create_customer_admin("it@proseware.example", false);
    let res = app
        .post_form(
            "/customers/invitations",
            &[("reseller", &r1.to_string()), ("delegated_admin", "yes")],
        )
        .await;
    let draft = location(&res);
    let link = texts(&app.html(&draft).await, "#personal-link")
        .pop()
        .unwrap();
    let invited = new_client();
    app.sign_in_with(&invited, "it@proseware.example", PASSWORD)
        .await;
    let res = app
        .post_form_with(
            &invited,
            &app.path_of(&link),
            &[("decision", "accept"), ("delegation", "yes")],
        )
        .await;
    assert_redirect(&res, "/my/subscriptions");

    // A subscription added with another reseller of record; licenses up and down.
    let res = app
        .post_form(
            &format!("/customers/{wingtip}/subscriptions/new"),
            &[
                ("offer", &e3.to_string()),
                ("quantity", "8"),
                ("reseller", &r2.to_string()),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_redirect(&res, &format!("/customers/{wingtip}"));
    let subs = subscriptions_of(&app, wingtip);
    for (sub, quantity) in [(subs[0], "40"), (subs[1], "6"), (subs[2], "12")] {
        let res = app
            .post_form(
                &format!("/subscriptions/{sub}/quantity"),
                &[("quantity", quantity), ("confirm", "yes")],
            )
            .await;
        assert_redirect(&res, &format!("/subscriptions/{sub}"));
    }
    // Reseller of record moved, then taken away; a suspension (licenses stay counted).
    for partner in [r2.to_string(), String::new()] {
        let res = app
            .post_form(
                &format!("/subscriptions/{}/reseller-of-record", subs[0]),
                &[("partner", &partner)],
            )
            .await;
        assert_redirect(&res, &format!("/subscriptions/{}", subs[0]));
    }
    app.post_form(
        &format!("/subscriptions/{}/status", subs[1]),
        &[
            ("status", "suspended"),
            ("reason", "Unpaid invoice"),
            ("confirm", "yes"),
        ],
    )
    .await;
    // The customers' resellers changed and removed.
    for (customer, reseller) in [
        (wingtip, r2.to_string()),
        (coho, r1.to_string()),
        (coho, String::new()),
    ] {
        let res = app
            .post_form(
                &format!("/customers/{customer}/reseller"),
                &[("reseller", &reseller)],
            )
            .await;
        assert_redirect(&res, &format!("/customers/{customer}"));
    }
    // A partnership removed, and a subscription added to the invited customer.
    let res = app
        .post_form(&format!("/indirect-resellers/{r1}/remove"), &[])
        .await;
    assert_redirect(&res, "/indirect-resellers");
    let res = app
        .post_form(
            &format!("/customers/{}/subscriptions/new", admin.id),
            &[
                ("offer", &basic.to_string()),
                ("quantity", "2"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_redirect(&res, &format!("/customers/{}", admin.id));

    let provider = ProviderId::established(provider);
    let (stored, counted) = app.with_conn(|conn| {
        (
            counters::stored(conn, provider).unwrap(),
            counters::recompute(conn, provider).unwrap(),
        )
    });
    assert_eq!(stored, counted);
    // The scenario did move them (a check that compared two zeros would prove nothing).
    assert_eq!(
        (counted.resellers, counted.customers, counted.subscriptions),
        (1, 4, 5)
    );
    assert_eq!(counted.licenses, 40 + 6 + 12 + 3 + 2);
}
