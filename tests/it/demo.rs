use partner_dashboard::demo::{DEMO_PASSWORD, load_if_empty};

use crate::helpers::*;

#[tokio::test]
async fn demo_data_loads_once_into_an_empty_database_and_its_sign_ins_work() {
    let app = spawn_app().await;
    let db = app.state.db.clone();
    let sign_ins = tokio::task::spawn_blocking(move || {
        load_if_empty(&db, "onmicrosoft.com", partner_dashboard::db::now()).unwrap()
    })
    .await
    .unwrap()
    .expect("loaded into an empty database");
    assert!(sign_ins.contains("alice@contoso-distribution.example"));
    assert!(sign_ins.contains(DEMO_PASSWORD));

    assert_redirect(
        &app.sign_in("alice@contoso-distribution.example", DEMO_PASSWORD)
            .await,
        "/",
    );
    let client = new_client();
    assert_redirect(
        &app.sign_in_with(&client, "operator@demo.example", DEMO_PASSWORD)
            .await,
        "/operations",
    );
    // A Chinese-speaking demo user gets Chinese at once.
    let client = new_client();
    app.sign_in_with(
        &client,
        "meihua@contoso-distribution.example",
        DEMO_PASSWORD,
    )
    .await;
    let html = app.get_with(&client, "/").await.text().await.unwrap();
    assert!(html.contains("間接經銷商"));
    // Each demo provider has its four member roles, each signing in without MFA, each menu its own.
    for (email, sees, hidden) in [
        ("sam@contoso-distribution.example", "/orders", "/statements"),
        ("hana@contoso-distribution.example", "/customers", "/orders"),
        ("bill@contoso-distribution.example", "/statements", "/team"),
        ("sara@fabrikam-supply.example", "/orders", "/margins"),
        ("hugo@fabrikam-supply.example", "/customers", "/price-list"),
        ("bea@fabrikam-supply.example", "/margins", "/customers/new"),
        ("bob@fabrikam-supply.example", "/team", "/operations"),
    ] {
        let client = new_client();
        assert_redirect(&app.sign_in_with(&client, email, DEMO_PASSWORD).await, "/");
        let html = app.html_with(&client, "/").await;
        let menu = attrs(&html, "#menu-list a", "href");
        assert!(menu.iter().any(|h| h == sees), "{email}: {menu:?}");
        assert!(!menu.iter().any(|h| h == hidden), "{email}: {menu:?}");
        assert!(sign_ins.contains(email), "{email} is listed");
    }
    let client = new_client();
    assert_redirect(
        &app.sign_in_with(&client, "support@demo.example", DEMO_PASSWORD)
            .await,
        "/operations",
    );

    // The demo's reseller administers the customers made for it (each agreed to its grant).
    let reseller = new_client();
    app.sign_in_with(&reseller, "wei@northwind.example", DEMO_PASSWORD)
        .await;
    let html = app.html_with(&reseller, "/reseller/customers").await;
    assert!(
        !texts(&html, "#customers tbody tr, table tbody tr").is_empty(),
        "the reseller lists its customers"
    );
    let grants = app.html_with(&reseller, "/reseller/grants").await;
    // (The demo's reseller reads Chinese: 使用中 is Active.)
    let rows = texts(&grants, "#grants-table tbody tr");
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r.contains("使用中")), "{rows:?}");

    // Each state of a subscription's life is in the demo, and the counters agree with the rows.
    use diesel::prelude::*;
    use partner_dashboard::db::schema::{orders, partners, scheduled_changes, subscriptions};
    let (states, renewals, scheduled, providers) = app.with_conn(|conn| {
        let mut states: Vec<String> = subscriptions::table
            .select(subscriptions::status)
            .distinct()
            .load(conn)
            .unwrap();
        states.sort();
        let renewals: i64 = orders::table
            .filter(orders::kind.eq("renewal"))
            .count()
            .get_result(conn)
            .unwrap();
        let scheduled: i64 = scheduled_changes::table.count().get_result(conn).unwrap();
        let providers: Vec<i64> = partners::table
            .filter(partners::kind.eq("provider"))
            .select(partners::id)
            .load(conn)
            .unwrap();
        (states, renewals, scheduled, providers)
    });
    assert_eq!(states, vec!["active", "cancelled", "expired", "suspended"]);
    assert!(renewals > 0, "monthly terms bought 45 days ago renewed");
    assert_eq!(scheduled, 1);
    for p in providers {
        app.assert_counters_agree(p);
    }
    let renewals_page = app.html("/renewals").await;
    assert!(
        texts(&renewals_page, "#renewals tbody tr")
            .iter()
            .any(|r| r.contains("Wingtip Toys") && r.contains("1 year")),
        "an annual term bought 350 days ago ends within 30 days"
    );

    let db = app.state.db.clone();
    let again = tokio::task::spawn_blocking(move || {
        load_if_empty(&db, "onmicrosoft.com", partner_dashboard::db::now()).unwrap()
    })
    .await
    .unwrap();
    assert!(again.is_none(), "never loaded over existing data");
}
