use diesel::prelude::*;

use partner_dashboard::db::schema::{customers, orders, partnerships};
use partner_dashboard::domain::EnrollmentStatus;
use reqwest::StatusCode;

use crate::helpers::*;

/// A provider with one customer made through the wizard for a reseller; returns (provider, reseller,
/// customer, order).
async fn one_order(app: &TestApp) -> (i64, i64, i64, i64) {
    let provider = app.create_provider("alice@contoso.example").id;
    let reseller = app
        .create_reseller("wei@northwind.example", EnrollmentStatus::Verified)
        .id;
    app.partner(provider, reseller);
    let offer = app.create_offer("Microsoft 365 Business Standard", 1250, 1, 300);
    app.signed_in("alice@contoso.example").await;
    let r = reseller.to_string();
    let res = app
        .post_form(
            "/customers/new",
            &[
                ("reseller", r.as_str()),
                ("company_name", "Wingtip Toys"),
                ("domain_prefix", "wingtiptoys"),
                ("address_line1", "1 Harbour Road"),
                ("city", "Taipei"),
                ("country", "TW"),
                ("contact_first_name", "Mei"),
                ("contact_last_name", "Lin"),
                ("contact_email", "mei@wingtiptoys.example"),
                ("language", "zh-TW"),
            ],
        )
        .await;
    let draft: i64 = location(&res).split('/').nth(3).unwrap().parse().unwrap();
    app.post_form(
        &format!("/customers/new/{draft}/subscriptions"),
        &[(&format!("qty_{offer}"), "4"), ("nav", "next")],
    )
    .await;
    let res = app
        .post_form(&format!("/customers/new/{draft}/submit"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let customer: i64 =
        app.with_conn(|conn| customers::table.select(customers::id).first(conn).unwrap());
    let order: i64 = app.with_conn(|conn| orders::table.select(orders::id).first(conn).unwrap());
    (provider, reseller, customer, order)
}

#[tokio::test]
async fn orders_list_who_placed_them_for_whom_and_their_lines() {
    let app = spawn_app().await;
    app.state.clock.set(
        chrono::NaiveDate::from_ymd_opt(2027, 3, 10)
            .unwrap()
            .and_hms_opt(1, 0, 0)
            .unwrap(),
    );
    let (_, reseller, customer, order) = one_order(&app).await;
    let html = app.get("/orders").await.text().await.unwrap();
    let rows = texts(&html, "table.orders tbody tr");
    assert_eq!(rows.len(), 1);
    assert!(rows[0].contains("Wingtip Toys") && rows[0].contains("Northwind Traders"));
    assert!(
        rows[0].contains("New customer")
            && rows[0].contains("Test User")
            && rows[0].contains("USD 50.00")
    );

    let html = app
        .get(&format!("/orders/{order}"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        texts(&html, "#order-lines tbody tr"),
        vec![
            "Microsoft 365 Business Standard 1 month · Monthly 10 Mar 2027 to 10 Apr 2027 — 4 USD 12.50 \
             USD 12.50 USD 50.00 USD 50.00 USD 0.00 —"
        ]
    );
    let facts = texts(&html, "#order-facts dd");
    assert_eq!(facts[3], "Northwind Traders", "on behalf of");
    assert_eq!(facts[4], "Placed", "status");
    assert_eq!(facts[5], "Test User (Contoso Distribution)", "placed by");

    // Filters: by reseller, by none, by customer.
    let html = app
        .get(&format!("/orders?reseller={reseller}"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(texts(&html, "table.orders tbody tr").len(), 1);
    let html = app.get("/orders?reseller=none").await.text().await.unwrap();
    assert_empty_state(&html, "orders.empty");
    assert!(texts(&html, "table.orders tbody tr").is_empty());
    let html = app
        .get(&format!("/orders?customer={customer}"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(texts(&html, "table.orders tbody tr").len(), 1);
    assert_eq!(
        app.get("/orders?customer=123").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get("/orders/123").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn orders_are_numbered_per_provider_and_shown_by_number() {
    let app = spawn_app().await;
    let (provider, _, customer, order) = one_order(&app).await;
    let html = app.html("/orders").await;
    assert_eq!(
        texts(&html, "table.orders tbody tr td:first-child"),
        vec!["PO-000001"]
    );
    let html = app.html(&format!("/orders/{order}")).await;
    assert_eq!(texts(&html, "h1"), vec!["Order PO-000001"]);
    // Each provider counts from 1; a provider's numbers go on from its last.
    let TestOrg {
        id: other,
        user_id: user,
    } = app.create_named_provider("Fabrikam", "bob@fabrikam.example");
    let other_customer = app.seed_customer(other, None, "Coho Winery", "cohowinery");
    let theirs = app.seed_order(other, other_customer, None, user);
    let mine = app.seed_order(provider, customer, None, user);
    let numbers: Vec<(i64, i64)> = app.with_conn(|conn| {
        orders::table
            .filter(orders::id.eq_any([order, theirs, mine]))
            .order(orders::id.asc())
            .select((orders::id, orders::number))
            .load(conn)
            .unwrap()
    });
    assert_eq!(numbers, vec![(order, 1), (theirs, 1), (mine, 2)]);
}

#[tokio::test]
async fn far_off_dates_in_a_filter_are_a_message_not_a_crash() {
    let app = spawn_app().await;
    one_order(&app).await;
    for query in [
        "from=%2B262142-12-31",
        "to=%2B262142-12-31",
        "from=-262143-01-01",
        "from=3000-01-01",
    ] {
        let res = app.get(&format!("/activity-log?{query}")).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        let html = res.text().await.unwrap();
        assert!(
            html.contains("Enter a date from the year 2000 to 2999."),
            "{query}"
        );
        let res = app.get(&format!("/activity-log.csv?{query}")).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{query}");
    }
    app.create_operator("olivia@platform.example");
    let operator = new_client();
    app.sign_in_with(&operator, "olivia@platform.example", PASSWORD)
        .await;
    let res = app
        .get_with(&operator, "/operations/orders?from=%2B262142-12-31")
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // The last accepted day works.
    let res = app.get("/activity-log?to=2999-12-31").await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_customer_page_changes_and_removes_the_associated_reseller() {
    let app = spawn_app().await;
    let (provider, northwind, customer, _) = one_order(&app).await;
    let tailspin = app
        .create_named_reseller(
            "Tailspin",
            "tom@tailspin.example",
            EnrollmentStatus::Verified,
        )
        .id;
    app.partner(provider, tailspin);

    let html = app
        .get(&format!("/customers/{customer}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(texts(&html, "#current-reseller")[0].contains("Northwind Traders"));
    assert!(html.contains("wingtiptoys.onmicrosoft.com"));
    assert_eq!(texts(&html, "#subscriptions tbody tr").len(), 1);

    // Change to Tailspin (the customer agreed to its delegated administration): counts move, both
    // resellers are told, Northwind's grant ends and Tailspin's is active.
    let t = tailspin.to_string();
    let res = app
        .post_form(
            &format!("/customers/{customer}/reseller"),
            &[("reseller", &t), ("customer_agreed", "yes")],
        )
        .await;
    assert!(!app.administers(provider, customer, northwind));
    assert!(app.administers(provider, customer, tailspin));
    assert_redirect(&res, &format!("/customers/{customer}"));
    let counts = |id: i64| -> i64 {
        app.with_conn(|conn| {
            partnerships::table
                .filter(partnerships::reseller_id.eq(id))
                .filter(partnerships::provider_id.eq(provider))
                .select(partnerships::customer_count)
                .first(conn)
                .unwrap()
        })
    };
    assert_eq!((counts(northwind), counts(tailspin)), (0, 1));
    eventually("the old reseller is told", || {
        app.mail
            .received_by("wei@northwind.example")
            .iter()
            .any(|m| m.subject == "Contoso Distribution removed your access to Wingtip Toys")
    })
    .await;
    let gained = app.mail.wait_for("tom@tailspin.example").await;
    assert!(gained.subject.contains("associated Wingtip Toys with you"));

    // A reseller that is not a partner is refused with the page again.
    let stranger = app
        .create_named_reseller("Stranger", "s@stranger.example", EnrollmentStatus::Verified)
        .id;
    let res = app
        .post_form(
            &format!("/customers/{customer}/reseller"),
            &[("reseller", &stranger.to_string())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(counts(tailspin), 1);

    // Tenant owner on, then remove the reseller (after confirming): the grant goes with it.
    let res = app
        .post_form(
            &format!("/customers/{customer}/tenant-owner"),
            &[("tenant_owner", "yes")],
        )
        .await;
    assert_redirect(&res, &format!("/customers/{customer}"));
    let html = app
        .get(&format!("/customers/{customer}/reseller/remove"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Remove Tailspin from Wingtip Toys?"));
    let res = app
        .post_form(
            &format!("/customers/{customer}/reseller"),
            &[("reseller", "")],
        )
        .await;
    assert_redirect(&res, &format!("/customers/{customer}"));
    let html = app
        .get(&format!("/customers/{customer}"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        texts(&html, "#current-reseller"),
        vec!["No indirect reseller is associated with this customer."]
    );
    assert_eq!(counts(tailspin), 0);
    let res = app
        .post_form(
            &format!("/customers/{customer}/tenant-owner"),
            &[("tenant_owner", "yes")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert_eq!(
        texts(&html, "#f-tenant_owner-error"),
        vec!["Choose an indirect reseller to give tenant owner permissions to."]
    );
}

#[tokio::test]
async fn the_home_page_counts_and_charts_what_was_added() {
    let app = spawn_app().await;
    one_order(&app).await;
    let html = app.get("/").await.text().await.unwrap();
    let counts = texts(&html, "#counts .count");
    // Resellers are counted as partnerships are accepted (this one was made directly), customers,
    // subscriptions and licenses as the wizard submits.
    assert_eq!(counts[1..], ["1", "1", "4"]);
    assert!(html.contains("<svg"));
    assert!(html.contains("<title>Northwind Traders: 4</title>"));
    let month = chrono::Utc::now().format("%Y-%m").to_string();
    assert!(html.contains(&format!("<title>{month}: 1</title>")));
}

/// A reseller's Orders: those on its behalf and those it placed, with the provider's name, and never
/// another reseller's.
#[tokio::test]
async fn a_reseller_sees_the_orders_on_its_behalf_and_its_own_and_no_others() {
    use partner_dashboard::domain::EnrollmentStatus;
    let app = spawn_app().await;
    let provider = app
        .create_named_provider("Contoso Distribution", "alice@contoso.example")
        .id;
    let wei = app
        .create_named_reseller(
            "Northwind Traders",
            "wei@northwind.example",
            EnrollmentStatus::Verified,
        )
        .id;
    let ann = app
        .create_named_reseller("Adatum", "ann@adatum.example", EnrollmentStatus::Verified)
        .id;
    app.partner(provider, wei);
    app.partner(provider, ann);
    let offer = app.create_offer("Microsoft 365 E3", 3600, 1, 300);
    let wingtip = app.seed_customer(provider, Some(wei), "Wingtip Toys", "wingtiptoys");
    let coho = app.seed_customer(provider, Some(ann), "Coho Winery", "cohowinery");
    let for_wei = app.add_subscription(provider, wingtip, offer, 10, Some(wei));
    app.add_subscription(provider, coho, offer, 5, Some(ann));
    // Wei changes licenses on its delegated customer's subscription.
    let client = new_client();
    app.sign_in_with(&client, "wei@northwind.example", PASSWORD)
        .await;
    let res = app
        .post_form_with(
            &client,
            &format!("/reseller/subscriptions/{for_wei}/quantity"),
            &[("quantity", "12"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let html = app.html_with(&client, "/reseller/orders").await;
    let rows = texts(&html, "table.orders tbody tr");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(
        rows.iter()
            .all(|r| r.contains("Wingtip Toys") && r.contains("Contoso Distribution"))
    );
    assert!(!html.contains("Coho Winery"), "another reseller's order");
    assert!(html.contains("href=\"/reseller/orders\""), "in the menu");
    // Ann sees hers only.
    let ann_client = new_client();
    app.sign_in_with(&ann_client, "ann@adatum.example", PASSWORD)
        .await;
    let html = app.html_with(&ann_client, "/reseller/orders").await;
    assert_eq!(texts(&html, "table.orders tbody tr").len(), 1);
    assert!(html.contains("Coho Winery") && !html.contains("Wingtip Toys"));
}

/// The Dashboard home's Needs attention: what waits for an answer, what was never emailed, and
/// suspended subscriptions — on the provider's home and the reseller's.
#[tokio::test]
async fn the_home_pages_say_what_needs_attention() {
    use diesel::prelude::*;
    use partner_dashboard::db::schema::subscriptions;
    let app = spawn_app().await;
    let provider = app.create_provider("alice@contoso.example");
    let reseller = app.create_named_reseller(
        "Northwind Traders",
        "wei@northwind.example",
        EnrollmentStatus::Verified,
    );
    app.partner(provider.id, reseller.id);
    app.signed_in("alice@contoso.example").await;
    let html = app.html("/").await;
    assert_eq!(
        texts(&html, "#needs-attention p"),
        vec!["Nothing waits for you."]
    );
    // A draft is listed apart, not as waiting; once shared (Done) it waits for an answer.
    let (id, _) = app.request_partnership().await;
    let html = app.html("/").await;
    assert_eq!(
        texts(&html, "#needs-attention p"),
        vec!["Nothing waits for you."]
    );
    let res = app
        .post_form(&format!("/indirect-resellers/requests/{id}/done"), &[])
        .await;
    assert_redirect(&res, "/indirect-resellers");
    let html = app.html("/").await;
    assert_eq!(
        texts(&html, "#needs-attention li"),
        vec!["Partnership requests waiting for an answer: 1 · 1 never sent by email"]
    );
    // A suspended subscription, on both homes.
    let offer = app.create_offer("Microsoft 365 Business Basic", 600, 1, 300);
    let customer = app.seed_customer(
        provider.id,
        Some(reseller.id),
        "Wingtip Toys",
        "wingtiptoys",
    );
    let sub = app.add_subscription(provider.id, customer, offer, 10, Some(reseller.id));
    app.add_subscription(provider.id, customer, offer, 3, Some(reseller.id));
    app.with_conn(|conn| {
        diesel::update(subscriptions::table.find(sub))
            .set(subscriptions::status.eq("suspended"))
            .execute(conn)
            .unwrap()
    });
    let html = app.html("/").await;
    assert!(
        texts(&html, "#needs-attention li")
            .contains(&"Suspended subscriptions (billing continues): 1".to_owned())
    );
    assert_eq!(
        attrs(&html, "#suspended", "href"),
        vec!["/subscriptions/suspended"]
    );
    let html = app.html("/subscriptions/suspended").await;
    let rows = texts(&html, "#suspended-subscriptions tbody tr");
    assert_eq!(rows.len(), 1, "only the suspended one");
    assert!(
        rows[0].contains("Wingtip Toys") && rows[0].contains("10"),
        "{rows:?}"
    );
    let wei = new_client();
    app.sign_in_with(&wei, "wei@northwind.example", PASSWORD)
        .await;
    let html = app.html_with(&wei, "/indirect-providers").await;
    let items = texts(&html, "#needs-attention li");
    assert!(
        items.contains(&"Suspended subscriptions (billing continues): 1".to_owned()),
        "{items:?}"
    );
    let html = app
        .html_with(&wei, "/reseller/subscriptions?status=suspended")
        .await;
    assert_eq!(texts(&html, "#subscriptions tbody tr").len(), 1);
    let html = app.html_with(&wei, "/reseller/subscriptions").await;
    assert_eq!(texts(&html, "#subscriptions tbody tr").len(), 2);
    // Another provider sees none of it.
    app.create_named_provider("Fabrikam", "fay@fabrikam.example");
    let fay = new_client();
    app.sign_in_with(&fay, "fay@fabrikam.example", PASSWORD)
        .await;
    let html = app.html_with(&fay, "/subscriptions/suspended").await;
    assert!(texts(&html, "#suspended-subscriptions tbody tr").is_empty());
}
