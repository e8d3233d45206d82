use diesel::prelude::*;

use partner_dashboard::db::schema::{activity_log, orders, partnerships, subscriptions};
use partner_dashboard::domain::{EnrollmentStatus, PartnerKind, Role};
use reqwest::StatusCode;

use crate::helpers::*;

/// Two providers, each with two resellers and a customer with one subscription; an unrelated reseller;
/// the admin of provider A's customer. Clients signed in as each.
struct World {
    a: i64,
    ra1: i64,
    ra2: i64,
    customer_a: i64,
    sub_a: i64,
    sub_b: i64,
    offer: i64,
    clients: Vec<(&'static str, reqwest::Client)>,
}

fn subscription(app: &TestApp, provider: i64, customer: i64, offer: i64, ror: Option<i64>) -> i64 {
    app.add_subscription(provider, customer, offer, 10, ror)
}

async fn world(app: &TestApp) -> World {
    let a = app.create_provider("alice@contoso.example").id;
    let b = app.create_partner(
        PartnerKind::Provider,
        "Fabrikam",
        EnrollmentStatus::Verified,
    );
    app.create_user("bob@fabrikam.example", Role::Provider, Some(b), false);
    let ra1 = app
        .create_named_reseller(
            "Northwind Traders",
            "ra1@northwind.example",
            EnrollmentStatus::Verified,
        )
        .id;
    let ra2 = app
        .create_named_reseller(
            "Tailspin",
            "ra2@tailspin.example",
            EnrollmentStatus::Verified,
        )
        .id;
    let rb1 = app
        .create_named_reseller("Adatum", "rb1@adatum.example", EnrollmentStatus::Verified)
        .id;
    let rb2 = app
        .create_named_reseller("Litware", "rb2@litware.example", EnrollmentStatus::Verified)
        .id;
    app.create_named_reseller(
        "Unrelated Ltd",
        "ru@unrelated.example",
        EnrollmentStatus::Verified,
    );
    for (p, r) in [(a, ra1), (a, ra2), (b, rb1), (b, rb2)] {
        app.partner(p, r);
    }
    let offer = app.create_offer("Microsoft 365 Business Basic", 600, 5, 300);
    let customer_a = app.seed_customer(a, Some(ra1), "Wingtip Toys", "wingtiptoys");
    let customer_b = app.seed_customer(b, Some(rb1), "Coho Winery", "cohowinery");
    let sub_a = subscription(app, a, customer_a, offer, Some(ra1));
    let sub_b = subscription(app, b, customer_b, offer, Some(rb1));
    // The customer admin of Wingtip Toys.
    app.create_admin_of(customer_a, "admin@wingtiptoys.onmicrosoft.com");
    let mut clients = Vec::new();
    for (name, email) in [
        ("provider A", Some("alice@contoso.example")),
        ("provider B", Some("bob@fabrikam.example")),
        ("reseller of A", Some("ra1@northwind.example")),
        ("reseller of B", Some("rb1@adatum.example")),
        ("unrelated reseller", Some("ru@unrelated.example")),
        ("customer admin", Some("admin@wingtiptoys.onmicrosoft.com")),
        ("signed out", None),
    ] {
        let client = new_client();
        if let Some(email) = email {
            let res = app.sign_in_with(&client, email, PASSWORD).await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER, "{name}");
        }
        clients.push((name, client));
    }
    World {
        a,
        ra1,
        ra2,
        customer_a,
        sub_a,
        sub_b,
        offer,
        clients,
    }
}

fn client<'a>(w: &'a World, name: &str) -> &'a reqwest::Client {
    &w.clients.iter().find(|(n, _)| *n == name).unwrap().1
}

fn snapshot(app: &TestApp, id: i64) -> (i32, String, Option<i64>, i64) {
    app.with_conn(|conn| {
        subscriptions::table
            .find(id)
            .select((
                subscriptions::quantity,
                subscriptions::status,
                subscriptions::reseller_of_record_id,
                subscriptions::support_contact_id,
            ))
            .first(conn)
            .unwrap()
    })
}

fn log_count(app: &TestApp) -> i64 {
    app.with_conn(|conn| activity_log::table.count().get_result(conn).unwrap())
}

/// The last activity entry: action, actor's organisation, old and new values.
fn last_entry(app: &TestApp) -> (String, Option<i64>, Option<String>, Option<String>) {
    app.with_conn(|conn| {
        activity_log::table
            .order(activity_log::id.desc())
            .select((
                activity_log::action,
                activity_log::actor_partner_id,
                activity_log::old_value,
                activity_log::new_value,
            ))
            .first(conn)
            .unwrap()
    })
}

const ROLES: [&str; 7] = [
    "provider A",
    "provider B",
    "reseller of A",
    "reseller of B",
    "unrelated reseller",
    "customer admin",
    "signed out",
];

#[tokio::test]
async fn every_route_answers_each_role_as_it_should_and_no_one_crosses_a_tenant() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (ca, sa) = (w.customer_a, w.sub_a);
    // Expected status per role, in the order of ROLES. 303 for "signed out" is the way to sign in.
    let gets: Vec<(String, [u16; 7])> = vec![
        (
            format!("/customers/{ca}/subscriptions/new"),
            [200, 404, 404, 404, 404, 404, 303],
        ),
        (
            format!("/subscriptions/{sa}"),
            [200, 404, 404, 404, 404, 404, 303],
        ),
        (
            format!("/subscriptions/{}", w.sub_b),
            [404, 200, 404, 404, 404, 404, 303],
        ),
        (
            "/reseller/customers".into(),
            [404, 404, 200, 200, 200, 404, 303],
        ),
        (
            "/reseller/subscriptions".into(),
            [404, 404, 200, 200, 200, 404, 303],
        ),
        (
            format!("/reseller/subscriptions/{sa}"),
            [404, 404, 200, 404, 404, 404, 303],
        ),
        (
            "/my/subscriptions".into(),
            [404, 404, 404, 404, 404, 200, 303],
        ),
        ("/activity-log".into(), [200, 200, 404, 404, 404, 404, 303]),
        (
            "/activity-log.csv".into(),
            [200, 200, 404, 404, 404, 404, 303],
        ),
        (
            format!("/activity-log?customer={ca}"),
            [200, 404, 404, 404, 404, 404, 303],
        ),
        (
            "/reseller/activity-log".into(),
            [404, 404, 200, 200, 200, 404, 303],
        ),
    ];
    for (path, expected) in &gets {
        for (role, status) in ROLES.iter().zip(expected) {
            let res = app.get_with(client(&w, role), path).await;
            assert_eq!(res.status().as_u16(), *status, "GET {path} as {role}");
        }
    }

    // Every write, tried first by each role that must not succeed: nothing changes.
    let before = snapshot(&app, sa);
    let entries = log_count(&app);
    let quantity = [("quantity", "12"), ("confirm", "yes")];
    let ra2 = w.ra2.to_string();
    // In an order where each allowed change still applies after the ones before it.
    type Post<'a> = (String, Vec<(&'a str, &'a str)>, [u16; 7]);
    let posts: Vec<Post> = vec![
        (
            format!("/reseller/subscriptions/{sa}/quantity"),
            quantity.to_vec(),
            [404, 404, 303, 404, 404, 404, 303],
        ),
        (
            format!("/reseller/subscriptions/{sa}/status"),
            vec![("status", "active")],
            [404, 404, 303, 404, 404, 404, 303],
        ),
        (
            format!("/subscriptions/{sa}/quantity"),
            vec![("quantity", "14"), ("confirm", "yes")],
            [303, 404, 404, 404, 404, 404, 303],
        ),
        (
            format!("/subscriptions/{sa}/reseller-of-record"),
            vec![("partner", &ra2)],
            [303, 404, 404, 404, 404, 404, 303],
        ),
        (
            format!("/subscriptions/{sa}/support-contact"),
            vec![("partner", &ra2)],
            [303, 404, 404, 404, 404, 404, 303],
        ),
        (
            format!("/subscriptions/{sa}/status"),
            vec![
                ("status", "suspended"),
                ("reason", "Unpaid invoice"),
                ("confirm", "yes"),
            ],
            [303, 404, 404, 404, 404, 404, 303],
        ),
    ];
    for (path, fields, expected) in &posts {
        for (role, status) in ROLES.iter().zip(expected) {
            if *status == 303 && *role != "signed out" {
                continue;
            }
            let res = app.post_form_with(client(&w, role), path, fields).await;
            assert_eq!(res.status().as_u16(), *status, "POST {path} as {role}");
            if *role == "signed out" {
                assert!(location(&res).starts_with("/sign-in"));
            }
        }
    }
    let offer = w.offer.to_string();
    let new_sub = [
        ("offer", offer.as_str()),
        ("quantity", "7"),
        ("reseller", ""),
        ("confirm", "yes"),
    ];
    for role in &ROLES[1..6] {
        let res = app
            .post_form_with(
                client(&w, role),
                &format!("/customers/{ca}/subscriptions/new"),
                &new_sub,
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::NOT_FOUND,
            "new subscription as {role}"
        );
    }
    assert_eq!(snapshot(&app, sa), before);
    assert_eq!(log_count(&app), entries, "refused requests log nothing");

    // Then the ones allowed to, each once.
    for (path, fields, expected) in &posts {
        for (role, status) in ROLES.iter().zip(expected) {
            if *status == 303 && *role != "signed out" {
                let res = app.post_form_with(client(&w, role), path, fields).await;
                assert_eq!(res.status(), StatusCode::SEE_OTHER, "POST {path} as {role}");
            }
        }
    }
    let res = app
        .post_form_with(
            client(&w, "provider A"),
            &format!("/customers/{ca}/subscriptions/new"),
            &new_sub,
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        snapshot(&app, sa),
        (14, "suspended".to_owned(), Some(w.ra2), w.ra2)
    );

    // Lists show each role only its own.
    let html = app
        .get_with(client(&w, "reseller of B"), "/reseller/customers")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        texts(&html, "#customers tr.main-row td:nth-child(2)"),
        vec!["Coho Winery"]
    );
    let html = app
        .get_with(client(&w, "unrelated reseller"), "/reseller/customers")
        .await
        .text()
        .await
        .unwrap();
    assert_empty_state(&html, "reseller_pages.no_customers");
    assert!(texts(&html, "#customers tbody").is_empty());
    let html = app
        .get_with(client(&w, "unrelated reseller"), "/reseller/subscriptions")
        .await
        .text()
        .await
        .unwrap();
    assert_empty_state(&html, "reseller_pages.no_subscriptions");
    assert!(texts(&html, "#subscriptions tbody tr").is_empty());
    let html = app
        .get_with(client(&w, "provider B"), "/activity-log")
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("Wingtip Toys"), "B sees nothing of A's log");
    let html = app
        .get_with(client(&w, "customer admin"), "/my/subscriptions")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(texts(&html, "#subscriptions tbody tr").len(), 2);
}

#[tokio::test]
async fn adding_a_subscription_places_an_order_and_names_the_reseller_of_record() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let alice = client(&w, "provider A");
    let ca = w.customer_a;
    let html = app
        .get_with(alice, &format!("/customers/{ca}/subscriptions/new"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&format!(
            r#"<option value="{}" selected>Northwind Traders</option>"#,
            w.ra1
        )),
        "defaults to the customer's reseller"
    );

    let offer = w.offer.to_string();
    let ra2 = w.ra2.to_string();
    let entries = log_count(&app);
    let res = app
        .post_form_with(
            alice,
            &format!("/customers/{ca}/subscriptions/new"),
            &[
                ("offer", &offer),
                ("quantity", "20"),
                ("reseller", &ra2),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_redirect(&res, &format!("/customers/{ca}"));
    assert_eq!(log_count(&app), entries + 1, "one entry");
    assert_eq!(last_entry(&app).0, "subscription.created");
    let html = app
        .get_with(alice, &format!("/customers/{ca}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("The subscription was added and its order submitted."));
    assert_eq!(texts(&html, "#subscriptions tbody tr").len(), 2);
    let (kind, reseller): (String, Option<i64>) = app.with_conn(|conn| {
        orders::table
            .order(orders::id.desc())
            .select((orders::kind, orders::reseller_id))
            .first(conn)
            .unwrap()
    });
    assert_eq!((kind.as_str(), reseller), ("new_subscription", Some(w.ra2)));
    let licenses: i64 = app.with_conn(|conn| {
        partnerships::table
            .filter(partnerships::reseller_id.eq(w.ra2))
            .select(partnerships::license_count)
            .first(conn)
            .unwrap()
    });
    assert_eq!(licenses, 20);
    let email = app.mail.wait_for("ra2@tailspin.example").await;
    assert!(email.subject.contains("reseller of record"));
}

#[tokio::test]
async fn bad_new_subscriptions_come_back_with_a_message_and_the_values_kept() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let alice = client(&w, "provider A");
    let path = format!("/customers/{}/subscriptions/new", w.customer_a);
    let offer = w.offer.to_string();
    let retired = app.create_offer("Old Plan", 100, 1, 10);
    app.with_conn(|conn| {
        use partner_dashboard::db::schema::offers;
        diesel::update(offers::table.find(retired))
            .set(offers::retired_at.eq(Some(partner_dashboard::db::now())))
            .execute(conn)
            .unwrap()
    });
    let retired = retired.to_string();
    let stranger = app
        .create_partner(
            PartnerKind::Reseller,
            "Stranger",
            EnrollmentStatus::Verified,
        )
        .to_string();
    let cases: Vec<FieldCase> = vec![
        (
            vec![("offer", ""), ("quantity", "5"), ("confirm", "yes")],
            "offer",
            "This field is required.",
        ),
        (
            vec![("offer", &retired), ("quantity", "5"), ("confirm", "yes")],
            "offer",
            "One of the offers can no longer be ordered. Check the list and try again.",
        ),
        (
            vec![("offer", &offer), ("quantity", "4"), ("confirm", "yes")],
            "quantity",
            "Below the minimum number of licenses for this offer.",
        ),
        (
            vec![("offer", &offer), ("quantity", "301"), ("confirm", "yes")],
            "quantity",
            "Above the maximum number of licenses for this offer.",
        ),
        (
            vec![("offer", &offer), ("quantity", "lots"), ("confirm", "yes")],
            "quantity",
            "Enter a whole number.",
        ),
        (
            vec![
                ("offer", &offer),
                ("quantity", "5"),
                ("reseller", &stranger),
                ("confirm", "yes"),
            ],
            "reseller",
            "Choose one of your indirect resellers.",
        ),
    ];
    let count_before: i64 =
        app.with_conn(|conn| subscriptions::table.count().get_result(conn).unwrap());
    for (fields, field, message) in cases {
        let res = app.post_form_with(alice, &path, &fields).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        let html = res.text().await.unwrap();
        assert_eq!(
            texts(&html, &format!("#f-{field}-error")),
            vec![message],
            "{field}"
        );
        let quantity = fields.iter().find(|(k, _)| *k == "quantity").unwrap().1;
        assert!(
            html.contains(&format!(r#"value="{quantity}""#)),
            "the number typed is kept"
        );
    }
    let count_after: i64 =
        app.with_conn(|conn| subscriptions::table.count().get_result(conn).unwrap());
    assert_eq!(count_before, count_after);
}

#[tokio::test]
async fn changing_quantity_is_an_order_within_limits_and_never_while_suspended() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let alice = client(&w, "provider A");
    let base = format!("/subscriptions/{}", w.sub_a);

    for (typed, message) in [
        ("4", "Below the minimum number of licenses for this offer."),
        (
            "301",
            "Above the maximum number of licenses for this offer.",
        ),
        ("x", "Enter a whole number."),
    ] {
        let res = app
            .post_form_with(
                alice,
                &format!("{base}/quantity"),
                &[("quantity", typed), ("confirm", "yes")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = res.text().await.unwrap();
        assert_eq!(texts(&html, "#f-quantity-error"), vec![message]);
        assert!(html.contains(&format!(r#"value="{typed}""#)));
    }
    assert_eq!(snapshot(&app, w.sub_a).0, 10);

    let entries = log_count(&app);
    let res = app
        .post_form_with(
            alice,
            &format!("{base}/quantity"),
            &[("quantity", "15"), ("confirm", "yes")],
        )
        .await;
    assert_redirect(&res, &base);
    assert_eq!(snapshot(&app, w.sub_a).0, 15);
    assert_eq!(log_count(&app), entries + 1);
    assert_eq!(
        last_entry(&app),
        (
            "subscription.quantity_changed".into(),
            Some(w.a),
            Some("10".into()),
            Some("15".into())
        )
    );
    let (kind, total): (String, i64) = app.with_conn(|conn| {
        orders::table
            .order(orders::id.desc())
            .select((orders::kind, orders::total_minor))
            .first(conn)
            .unwrap()
    });
    assert_eq!(
        (kind.as_str(), total),
        ("change_quantity", 5 * 600),
        "the added licenses are ordered"
    );

    let res = app
        .post_form_with(
            alice,
            &format!("{base}/status"),
            &[
                ("status", "suspended"),
                ("reason", "Unpaid invoice"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_redirect(&res, &base);
    assert_eq!(
        last_entry(&app),
        (
            "subscription.status_changed".into(),
            Some(w.a),
            Some("active".into()),
            Some("suspended, Unpaid invoice".into())
        )
    );
    let res = app
        .post_form_with(
            alice,
            &format!("{base}/quantity"),
            &[("quantity", "20"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert_eq!(
        texts(&html, "#f-quantity-error"),
        vec!["A suspended subscription cannot change quantity. Reactivate it first."]
    );
    assert_eq!(snapshot(&app, w.sub_a).0, 15);
    app.post_form_with(alice, &format!("{base}/status"), &[("status", "active")])
        .await;
    assert_eq!(snapshot(&app, w.sub_a).1, "active");
    assert_eq!(last_entry(&app).3.as_deref(), Some("active"));
}

#[tokio::test]
async fn reseller_of_record_and_support_contact_are_set_seen_and_logged() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let alice = client(&w, "provider A");
    let base = format!("/subscriptions/{}", w.sub_a);
    let ra2 = w.ra2.to_string();

    let res = app
        .post_form_with(
            alice,
            &format!("{base}/reseller-of-record"),
            &[("partner", &ra2)],
        )
        .await;
    assert_redirect(&res, &base);
    assert_eq!(
        last_entry(&app),
        (
            "subscription.reseller_of_record_changed".into(),
            Some(w.a),
            Some("Northwind Traders".into()),
            Some("Tailspin".into())
        )
    );
    let counts = |r: i64| -> i64 {
        app.with_conn(|conn| {
            partnerships::table
                .filter(partnerships::reseller_id.eq(r))
                .select(partnerships::license_count)
                .first(conn)
                .unwrap()
        })
    };
    assert_eq!(
        (counts(w.ra1), counts(w.ra2)),
        (0, 10),
        "the subscription's 10 licenses moved from one to the other"
    );
    app.mail.wait_for("ra2@tailspin.example").await;

    // Designated support contact: the reseller, then it sees the subscription and the admin sees it.
    let res = app
        .post_form_with(
            alice,
            &format!("{base}/support-contact"),
            &[("partner", &ra2)],
        )
        .await;
    assert_redirect(&res, &base);
    assert_eq!(
        last_entry(&app),
        (
            "subscription.support_contact_changed".into(),
            Some(w.a),
            Some("Contoso Distribution".into()),
            Some("Tailspin".into())
        )
    );
    let html = app.get_with(alice, &base).await.text().await.unwrap();
    assert!(texts(&html, "#support-contact")[0].starts_with("Tailspin"));
    let tailspin = new_client();
    app.sign_in_with(&tailspin, "ra2@tailspin.example", PASSWORD)
        .await;
    let html = app
        .get_with(&tailspin, "/reseller/subscriptions")
        .await
        .text()
        .await
        .unwrap();
    let rows = texts(&html, "#subscriptions tbody tr");
    assert_eq!(rows.len(), 1);
    assert!(
        rows[0].contains("Reseller of record") && rows[0].contains("Designated support contact")
    );
    let html = app
        .get_with(client(&w, "customer admin"), "/my/subscriptions")
        .await
        .text()
        .await
        .unwrap();
    assert!(texts(&html, "#subscriptions tbody tr")[0].contains("Tailspin (ra2@tailspin.example)"));

    // Only the provider or a partner may be named; anything else is refused and nothing changes.
    let stranger = app
        .create_partner(
            PartnerKind::Reseller,
            "Stranger",
            EnrollmentStatus::Verified,
        )
        .to_string();
    let res = app
        .post_form_with(
            alice,
            &format!("{base}/support-contact"),
            &[("partner", &stranger)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app
        .post_form_with(
            alice,
            &format!("{base}/reseller-of-record"),
            &[("partner", &stranger)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(snapshot(&app, w.sub_a).2, Some(w.ra2));
    // Back to the provider itself.
    let a = w.a.to_string();
    app.post_form_with(
        alice,
        &format!("{base}/support-contact"),
        &[("partner", &a)],
    )
    .await;
    assert_eq!(snapshot(&app, w.sub_a).3, w.a);
}

#[tokio::test]
async fn a_reseller_administers_for_the_customer_until_its_delegation_is_removed() {
    let app = spawn_app().await;
    let w = world(&app).await;
    // What the reseller's own log held before (its enrollment, the partnership it accepted).
    let own_entries = |app: &TestApp| -> usize {
        app.with_conn(|conn| {
            activity_log::table
                .filter(activity_log::actor_partner_id.eq(w.ra1))
                .count()
                .get_result::<i64>(conn)
                .unwrap()
        }) as usize
    };
    let before = own_entries(&app);
    let northwind = client(&w, "reseller of A");
    let html = app
        .get_with(northwind, "/reseller/customers")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        texts(&html, "#customers tr.main-row td:nth-child(2)"),
        vec!["Wingtip Toys"]
    );
    assert!(texts(&html, "#customers tr.detail-row")[0].contains("Microsoft 365 Business Basic"));

    let path = format!("/reseller/subscriptions/{}", w.sub_a);
    let res = app
        .post_form_with(
            northwind,
            &format!("{path}/quantity"),
            &[("quantity", "25"), ("confirm", "yes")],
        )
        .await;
    assert_redirect(&res, &path);
    assert_eq!(snapshot(&app, w.sub_a).0, 25);
    // Recorded as the reseller's action on behalf of the customer.
    assert_eq!(
        last_entry(&app),
        (
            "subscription.quantity_changed".into(),
            Some(w.ra1),
            Some("10".into()),
            Some("25".into())
        )
    );
    let placed_for: Option<i64> = app.with_conn(|conn| {
        orders::table
            .order(orders::id.desc())
            .select(orders::placed_by_partner_id)
            .first(conn)
            .unwrap()
    });
    assert_eq!(placed_for, Some(w.ra1));
    let html = app
        .get_with(northwind, "/reseller/activity-log")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(texts(&html, "#activity tbody tr").len(), before + 1);
    assert!(texts(&html, "#activity tbody tr")[0].contains("10 → 25"));
    let res = app
        .post_form_with(
            northwind,
            &format!("{path}/status"),
            &[
                ("status", "suspended"),
                ("reason", "Unpaid invoice"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_redirect(&res, &path);

    // The provider removes the reseller from the customer: no more administration.
    let alice = client(&w, "provider A");
    app.post_form_with(
        alice,
        &format!("/customers/{}/reseller", w.customer_a),
        &[("reseller", "")],
    )
    .await;
    let html = app
        .get_with(northwind, "/reseller/customers")
        .await
        .text()
        .await
        .unwrap();
    assert_empty_state(&html, "reseller_pages.no_customers");
    assert!(texts(&html, "#customers tbody").is_empty());
    let res = app
        .post_form_with(
            northwind,
            &format!("{path}/status"),
            &[("status", "active")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(snapshot(&app, w.sub_a).1, "suspended");
    // As reseller of record it still sees the subscription, without the forms.
    let html = app.get_with(northwind, &path).await.text().await.unwrap();
    assert!(!html.contains("Change quantity"));
}

#[tokio::test]
async fn the_activity_log_filters_pages_and_exports() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let alice = client(&w, "provider A");
    let base = format!("/subscriptions/{}", w.sub_a);
    // The log holds what made the world already (the provider, its partnerships).
    let earlier: i64 = app.with_conn(|conn| {
        activity_log::table
            .filter(activity_log::provider_id.eq(w.a))
            .count()
            .get_result(conn)
            .unwrap()
    });
    for q in 11..=70 {
        app.post_form_with(
            alice,
            &format!("{base}/quantity"),
            &[("quantity", &q.to_string()), ("confirm", "yes")],
        )
        .await;
    }
    let html = app
        .get_with(alice, "/activity-log")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(texts(&html, "#activity tbody tr").len(), 50);
    assert!(texts(&html, "#activity tbody tr")[0].contains("69 → 70"));
    let doc = scraper::Html::parse_document(&html);
    let next = doc
        .select(&scraper::Selector::parse(".pager a").unwrap())
        .find(|a| a.text().collect::<String>() == "Next")
        .map(|a| a.value().attr("href").unwrap().to_owned())
        .unwrap();
    let html = app.get_with(alice, &next).await.text().await.unwrap();
    assert_eq!(
        texts(&html, "#activity tbody tr").len() as i64,
        10 + earlier
    );

    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let html = app
        .get_with(
            alice,
            &format!("/activity-log?from={today}&to={today}&reseller={}", w.ra1),
        )
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(texts(&html, "#activity tbody tr").len(), 50);
    let html = app
        .get_with(alice, "/activity-log?from=2020-01-01&to=2020-12-31")
        .await
        .text()
        .await
        .unwrap();
    assert_empty_state(&html, "activity.no_match");
    assert!(texts(&html, "#activity tbody tr").is_empty());
    let res = app.get_with(alice, "/activity-log?from=yesterday").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Enter a date like 2026-11-23.")
    );
    let html = app
        .get_with(alice, &format!("/activity-log?reseller={}", w.ra2))
        .await
        .text()
        .await
        .unwrap();
    // Only what concerns Tailspin (its partnership), none of Northwind's changes.
    let about_ra2: i64 = app.with_conn(|conn| {
        activity_log::table
            .filter(activity_log::provider_id.eq(w.a))
            .filter(activity_log::reseller_id.eq(w.ra2))
            .count()
            .get_result(conn)
            .unwrap()
    });
    let rows = texts(&html, "#activity tbody tr");
    assert_eq!(rows.len() as i64, about_ra2);
    assert!(
        rows.iter().all(|r| !r.contains("Quantity changed")),
        "{rows:?}"
    );

    let csv = app
        .get_with(
            alice,
            &format!("/activity-log.csv?customer={}", w.customer_a),
        )
        .await
        .text()
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    // The subscription's creation and its 60 changes.
    assert_eq!(rows.len(), 61);
    assert_eq!(&rows[60][5], "Subscription added");
    assert_eq!(&rows[0][5], "Quantity changed");
    assert_eq!((&rows[0][6], &rows[0][7]), ("69", "70"));
}

#[tokio::test]
async fn a_removed_partnership_takes_every_power_the_reseller_had_through_the_provider() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let northwind = client(&w, "reseller of A");
    let alice = client(&w, "provider A");
    let path = format!("/reseller/subscriptions/{}", w.sub_a);
    // Before: Northwind administers Wingtip Toys and is its designated support contact.
    let res = app
        .post_form_with(
            alice,
            &format!("/subscriptions/{}/support-contact", w.sub_a),
            &[("partner", &w.ra1.to_string())],
        )
        .await;
    assert_redirect(&res, &format!("/subscriptions/{}", w.sub_a));
    let res = app
        .post_form_with(
            northwind,
            &format!("{path}/quantity"),
            &[("quantity", "12"), ("confirm", "yes")],
        )
        .await;
    assert_redirect(&res, &path);
    assert_eq!(
        snapshot(&app, w.sub_a),
        (12, "active".into(), Some(w.ra1), w.ra1)
    );

    let res = app
        .post_form_with(alice, &format!("/indirect-resellers/{}/remove", w.ra1), &[])
        .await;
    assert_redirect(&res, "/indirect-resellers");

    // After: it can change nothing and order nothing for the provider's customers.
    let orders_before: i64 = app.with_conn(|conn| orders::table.count().get_result(conn).unwrap());
    for (action, field, value) in [
        ("quantity", "quantity", "20"),
        ("status", "status", "suspended"),
    ] {
        let res = app
            .post_form_with(northwind, &format!("{path}/{action}"), &[(field, value)])
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{action}");
    }
    let orders_after: i64 = app.with_conn(|conn| orders::table.count().get_result(conn).unwrap());
    assert_eq!(orders_after, orders_before);
    // Its delegated administration ended; the support contact is the provider again; the reseller of
    // record stays, as history.
    assert_eq!(
        snapshot(&app, w.sub_a),
        (12, "active".into(), Some(w.ra1), w.a)
    );
    assert!(!app.administers(w.a, w.customer_a, w.ra1));
    assert!(
        app.grants_on(w.customer_a)
            .iter()
            .filter(|g| g.holder_id == w.ra1)
            .all(|g| g.status == partner_dashboard::domain::GrantStatus::Ended),
        "the reseller's grants ended with the partnership"
    );
    let (status, html) = {
        let res = app.get_with(northwind, "/reseller/customers").await;
        (res.status(), res.text().await.unwrap())
    };
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        texts(&html, ".empty-state p"),
        vec!["No customer is associated with you yet."]
    );
    // As reseller of record it still sees the subscription, read-only.
    let res = app.get_with(northwind, &path).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("Microsoft 365 Business Basic"));
    assert!(!html.contains("/quantity"), "no forms left");
}

/// One click no longer places an order: a change of licenses shows the change and its price per
/// billing period before Confirm; Suspend asks for a reason and says what it does.
#[tokio::test]
async fn changing_licenses_and_suspending_are_confirmed_first_and_nothing_happens_before() {
    let app = spawn_app().await;
    let provider = app.create_provider("alice@contoso.example").id;
    let offer = app.create_offer("Microsoft 365 E3", 3600, 1, 300);
    let customer = app.seed_customer(provider, None, "Wingtip Toys", "wingtiptoys");
    let sub = app.add_subscription(provider, customer, offer, 10, None);
    app.signed_in("alice@contoso.example").await;
    let base = format!("/subscriptions/{sub}");
    let orders = |app: &TestApp| {
        app.with_conn(|conn| orders::table.count().get_result::<i64>(conn).unwrap())
    };
    let before = orders(&app);

    // The typo of 100 for 10: shown, with its price, and not done.
    let res = app
        .post_form(&format!("{base}/quantity"), &[("quantity", "100")])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert_eq!(texts(&html, "#confirm-licenses"), vec!["10 → 100"]);
    assert_eq!(texts(&html, "#confirm-price-change"), vec!["+USD 3,240.00"]);
    assert_eq!(texts(&html, "#confirm-new-total"), vec!["USD 3,600.00"]);
    assert!(html.contains("Price change per month"));
    // Reconciles: the change is the new total less the old one (10 licenses at 3,600 minor units).
    let minor = |shown: &str| -> i64 {
        shown
            .chars()
            .filter(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .unwrap()
    };
    let change = minor(&texts(&html, "#confirm-price-change")[0]);
    let total = minor(&texts(&html, "#confirm-new-total")[0]);
    assert_eq!(total - 10 * 3600, change);
    assert_eq!(orders(&app), before, "nothing ordered before Confirm");
    assert_eq!(snapshot(&app, sub).0, 10);
    // Fewer licenses: a negative change.
    let html = app
        .post_form(&format!("{base}/quantity"), &[("quantity", "4")])
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(texts(&html, "#confirm-price-change"), vec!["-USD 216.00"]);
    // A bad number is refused on the page itself, before any confirmation.
    let res = app
        .post_form(&format!("{base}/quantity"), &[("quantity", "301")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Confirm does it.
    let res = app
        .post_form(
            &format!("{base}/quantity"),
            &[("quantity", "100"), ("confirm", "yes")],
        )
        .await;
    assert_redirect(&res, &base);
    assert_eq!(snapshot(&app, sub).0, 100);
    assert_eq!(orders(&app), before + 1);

    // Suspend: what it does to users and billing, and a reason.
    let res = app
        .post_form(&format!("{base}/status"), &[("status", "suspended")])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    let effects = texts(&html, "#suspend-effects li");
    assert!(
        effects.iter().any(|e| e.contains("lose access")),
        "{effects:?}"
    );
    assert!(
        effects.iter().any(|e| e.contains("Billing continues")),
        "{effects:?}"
    );
    assert_eq!(snapshot(&app, sub).1, "active", "not before Confirm");
    // Without a reason: the step again, with its message.
    let res = app
        .post_form(
            &format!("{base}/status"),
            &[("status", "suspended"), ("confirm", "yes"), ("reason", " ")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert_eq!(
        texts(&html, "#f-reason-error"),
        vec!["This field is required."]
    );
    assert_eq!(snapshot(&app, sub).1, "active");
    let res = app
        .post_form(
            &format!("{base}/status"),
            &[
                ("status", "suspended"),
                ("confirm", "yes"),
                ("reason", "Invoice 42 unpaid"),
            ],
        )
        .await;
    assert_redirect(&res, &base);
    assert_eq!(snapshot(&app, sub).1, "suspended");
    // Reactivating needs no confirmation.
    let res = app
        .post_form(&format!("{base}/status"), &[("status", "active")])
        .await;
    assert_redirect(&res, &base);
    assert_eq!(snapshot(&app, sub).1, "active");
}

/// Add subscription shows a Review before Submit, and warns when the customer already has the offer.
#[tokio::test]
async fn adding_a_subscription_is_reviewed_first_and_a_duplicate_offer_is_pointed_out() {
    let app = spawn_app().await;
    let provider = app.create_provider("alice@contoso.example").id;
    let offer = app.create_offer("Power BI Pro", 1000, 1, 300);
    let customer = app.seed_customer(provider, None, "Coho Winery", "cohowinery");
    app.signed_in("alice@contoso.example").await;
    let path = format!("/customers/{customer}/subscriptions/new");
    let offer_s = offer.to_string();
    let fields = [
        ("offer", offer_s.as_str()),
        ("quantity", "5"),
        ("reseller", ""),
    ];
    let count = |app: &TestApp| {
        app.with_conn(|conn| {
            subscriptions::table
                .filter(subscriptions::customer_id.eq(customer))
                .count()
                .get_result::<i64>(conn)
                .unwrap()
        })
    };
    // Review: what will be added and its price; nothing yet, no warning for a first one.
    let res = app.post_form(&path, &fields).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert_eq!(texts(&html, "#review-total"), vec!["USD 50.00"]);
    assert!(texts(&html, "#same-offer").is_empty());
    assert_eq!(count(&app), 0);
    // Edit brings the form back as filled in.
    let mut edit = fields.to_vec();
    edit.push(("edit", "yes"));
    let html = app.post_form(&path, &edit).await.text().await.unwrap();
    assert!(html.contains("value=\"5\""), "licenses kept");
    // Submit adds it.
    let mut submit = fields.to_vec();
    submit.push(("confirm", "yes"));
    let res = app.post_form(&path, &submit).await;
    assert_redirect(&res, &format!("/customers/{customer}"));
    assert_eq!(count(&app), 1);
    // The same offer again: Review says the customer has it, with a link to add licenses there.
    let html = app.post_form(&path, &fields).await.text().await.unwrap();
    let warning = texts(&html, "#same-offer p");
    assert_eq!(
        warning,
        vec!["Coho Winery already has Power BI Pro. Add licenses to it instead?"]
    );
    let existing: i64 = app.with_conn(|conn| {
        subscriptions::table
            .filter(subscriptions::customer_id.eq(customer))
            .select(subscriptions::id)
            .first(conn)
            .unwrap()
    });
    assert_eq!(
        attrs(&html, "#same-offer a", "href"),
        vec![format!("/subscriptions/{existing}")]
    );
    assert_eq!(count(&app), 1, "a warning, nothing added");
    // Bad input on the form is refused before Review.
    let res = app
        .post_form(&path, &[("offer", offer_s.as_str()), ("quantity", "0")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

/// The designated support contact is offered among the provider and the resellers related to the
/// customer only, and neither it nor the reseller of record changes on a suspended subscription.
#[tokio::test]
async fn support_is_offered_only_to_related_resellers_and_a_suspended_subscription_stays_as_it_is()
{
    let app = spawn_app().await;
    let provider = app.create_provider("alice@contoso.example").id;
    let related = app
        .create_named_reseller(
            "Northwind Traders",
            "wei@northwind.example",
            EnrollmentStatus::Verified,
        )
        .id;
    let unrelated = app
        .create_named_reseller("Adatum", "ann@adatum.example", EnrollmentStatus::Verified)
        .id;
    app.partner(provider, related);
    app.partner(provider, unrelated);
    let offer = app.create_offer("Microsoft 365 E3", 3600, 1, 300);
    let customer = app.seed_customer(provider, Some(related), "Wingtip Toys", "wingtiptoys");
    let sub = app.add_subscription(provider, customer, offer, 10, None);
    app.signed_in("alice@contoso.example").await;
    let base = format!("/subscriptions/{sub}");
    let html = app.html(&base).await;
    let offered = texts(&html, "#f-support_contact option");
    assert_eq!(offered.len(), 2, "{offered:?}");
    assert_eq!(offered[1], "Northwind Traders");
    assert!(!texts(&html, "#f-support_contact option").contains(&"Adatum".to_owned()));
    // The reseller of record may still be any partner (incentives).
    assert!(texts(&html, "#f-reseller_of_record option").contains(&"Adatum".to_owned()));
    let res = app
        .post_form(
            &format!("{base}/support-contact"),
            &[("partner", &unrelated.to_string())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(snapshot(&app, sub).3, provider);
    // Positive control: the related reseller.
    let res = app
        .post_form(
            &format!("{base}/support-contact"),
            &[("partner", &related.to_string())],
        )
        .await;
    assert_redirect(&res, &base);
    assert_eq!(snapshot(&app, sub).3, related);

    // Suspended: both stay, and the page's forms are disabled.
    let res = app
        .post_form(
            &format!("{base}/status"),
            &[
                ("status", "suspended"),
                ("reason", "Unpaid"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_redirect(&res, &base);
    for (path, field) in [
        ("support-contact", provider.to_string()),
        ("reseller-of-record", unrelated.to_string()),
    ] {
        let res = app
            .post_form(&format!("{base}/{path}"), &[("partner", &field)])
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        let html = res.text().await.unwrap();
        assert!(html.contains("cannot be changed"), "{path}");
    }
    assert_eq!(snapshot(&app, sub).3, related);
    assert_eq!(snapshot(&app, sub).2, None);
    let html = app.html(&base).await;
    assert_eq!(attrs(&html, "#f-support_contact", "disabled").len(), 1);
}
