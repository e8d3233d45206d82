//! Delegated-administration grants (issue 17): what each role lets a reseller do, before and after
//! the grant expires or ends; the approval link's rules; the job's expiry, auto-extend and reminders
//! (once, on two instances); the relationship check's flags, raised and cleared.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use partner_dashboard::db::models::grant::Roles;
use partner_dashboard::db::schema::{activity_log, email_outbox, grants};
use partner_dashboard::domain::{EnrollmentStatus, GrantStatus};
use partner_dashboard::services::jobs;
use reqwest::StatusCode;

use crate::helpers::*;

fn t(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
}

/// A provider, a partnered reseller (Northwind) and an unpartnered one, a customer with no associated
/// reseller and one subscription (the provider its support contact), and the customer's admin.
struct World {
    provider: i64,
    reseller: i64,
    customer: i64,
    sub: i64,
    provider_client: reqwest::Client,
    reseller_client: reqwest::Client,
    customer_client: reqwest::Client,
}

fn customer_admin(app: &TestApp, customer: i64, email: &str) {
    app.create_admin_of(customer, email);
}

async fn client_of(app: &TestApp, email: &str) -> reqwest::Client {
    let client = new_client();
    let res = app.sign_in_with(&client, email, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{email} signs in");
    client
}

async fn world(app: &TestApp) -> World {
    app.state.clock.set(t("2027-03-01 09:00:00"));
    let provider = app.create_provider("alice@contoso.example").id;
    let reseller = app
        .create_named_reseller(
            "Northwind Traders",
            "wei@northwind.example",
            EnrollmentStatus::Verified,
        )
        .id;
    app.partner(provider, reseller);
    let offer = app.create_offer("Microsoft 365 Business Basic", 600, 1, 300);
    let customer = app.seed_customer(provider, None, "Wingtip Toys", "wingtiptoys");
    let sub = app.add_subscription(provider, customer, offer, 10, None);
    customer_admin(app, customer, "admin@wingtiptoys.onmicrosoft.com");
    World {
        provider,
        reseller,
        customer,
        sub,
        provider_client: client_of(app, "alice@contoso.example").await,
        reseller_client: client_of(app, "wei@northwind.example").await,
        customer_client: client_of(app, "admin@wingtiptoys.onmicrosoft.com").await,
    }
}

/// What the reseller can do on the customer right now: (sees the subscription, changes its licenses,
/// lists the customer, may be made its support contact).
async fn abilities(app: &TestApp, w: &World, quantity: &str) -> (bool, bool, bool, bool) {
    let sees = app
        .get_with(
            &w.reseller_client,
            &format!("/reseller/subscriptions/{}", w.sub),
        )
        .await
        .status()
        == StatusCode::OK;
    let changed = app
        .post_form_with(
            &w.reseller_client,
            &format!("/reseller/subscriptions/{}/quantity", w.sub),
            &[("quantity", quantity), ("confirm", "yes")],
        )
        .await
        .status()
        == StatusCode::SEE_OTHER;
    let html = app
        .get_with(&w.reseller_client, "/reseller/customers")
        .await
        .text()
        .await
        .unwrap();
    let listed = html.contains("Wingtip Toys");
    // The provider's attempt to designate it support contact: only a reseller related to the customer
    // or holding Support may be chosen.
    let support = app
        .post_form_with(
            &w.provider_client,
            &format!("/subscriptions/{}/support-contact", w.sub),
            &[("partner", &w.reseller.to_string())],
        )
        .await
        .status()
        == StatusCode::SEE_OTHER;
    // Back to the provider, so that being support contact gives no visibility to the next case.
    let res = app
        .post_form_with(
            &w.provider_client,
            &format!("/subscriptions/{}/support-contact", w.sub),
            &[("partner", &w.provider.to_string())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    (sees, changed, listed, support)
}

fn quantity_of(app: &TestApp, sub: i64) -> i32 {
    use partner_dashboard::db::schema::subscriptions;
    app.with_conn(|conn| {
        subscriptions::table
            .find(sub)
            .select(subscriptions::quantity)
            .first(conn)
            .unwrap()
    })
}

#[tokio::test]
async fn each_role_allows_its_actions_and_nothing_once_the_grant_expires_or_ends() {
    let app = spawn_app().await;
    let w = world(&app).await;
    // No grant: nothing.
    assert_eq!(
        abilities(&app, &w, "11").await,
        (false, false, false, false)
    );
    assert_eq!(quantity_of(&app, w.sub), 10);

    let only = |role| Roles::default().with(role);
    use partner_dashboard::db::models::grant::Role::*;
    // (role, sees, changes, listed, support)
    let cases = [
        (SubscriptionAdmin, true, true, true, false),
        (LicenseReader, true, false, true, false),
        (Support, true, false, true, true),
        (BillingReader, false, false, false, false),
    ];
    let mut quantity = 10;
    for (role, sees, changes, listed, support) in cases {
        let start = app.state.clock.now();
        let grant = app.grant(w.provider, w.customer, w.reseller, only(role), 2);
        let next = (quantity + 1).to_string();
        assert_eq!(
            abilities(&app, &w, &next).await,
            (sees, changes, listed, support),
            "{role:?} present"
        );
        if changes {
            quantity += 1;
        }
        assert_eq!(quantity_of(&app, w.sub), quantity, "{role:?}");

        // A second before expiry it still counts; at expiry (the job has not run yet) it does not.
        app.state.clock.set(grant.expires_at - Duration::seconds(1));
        assert_eq!(
            abilities(&app, &w, &(quantity + 1).to_string()).await.0,
            sees,
            "{role:?} a second before expiry"
        );
        if changes {
            quantity += 1;
        }
        app.state.clock.set(grant.expires_at);
        assert_eq!(
            abilities(&app, &w, "99").await,
            (false, false, false, false),
            "{role:?} expired"
        );
        assert_eq!(quantity_of(&app, w.sub), quantity, "{role:?} expired");

        // A new grant of the same role, ended by the customer: nothing at once.
        let again = app.grant(w.provider, w.customer, w.reseller, only(role), 2);
        let res = app
            .post_form_with(
                &w.customer_client,
                &format!("/my/grants/{}/end", again.id),
                &[],
            )
            .await;
        assert_redirect(&res, "/my/subscriptions#grants");
        assert_eq!(
            abilities(&app, &w, "99").await,
            (false, false, false, false),
            "{role:?} ended"
        );
        assert_eq!(quantity_of(&app, w.sub), quantity, "{role:?} ended");
        app.state.clock.set(start + Duration::days(3));
    }
}

/// The provider requests a grant for the reseller from the customer page; the draft's link.
async fn request(app: &TestApp, w: &World, fields: &[(&str, &str)]) -> (i64, String) {
    let res = app
        .post_form_with(
            &w.provider_client,
            &format!("/customers/{}/grants", w.customer),
            fields,
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "the request is made");
    let draft = location(&res);
    assert!(draft.starts_with("/customers/grants/requests/"), "{draft}");
    let id = draft.rsplit('/').next().unwrap().parse().unwrap();
    let html = app
        .get_with(&w.provider_client, &draft)
        .await
        .text()
        .await
        .unwrap();
    let link = texts(&html, "#personal-link")
        .pop()
        .expect("the draft shows the link");
    (id, app.path_of(&link))
}

fn status_of(app: &TestApp, customer: i64) -> Vec<GrantStatus> {
    app.grants_on(customer).iter().map(|g| g.status).collect()
}

#[tokio::test]
async fn a_requested_grant_is_approved_by_the_customers_admin_and_its_link_works_once() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let reseller = w.reseller.to_string();
    // Refused: no role, a duration outside 1–730; the form keeps what was typed.
    for (fields, field) in [
        (vec![("holder", reseller.as_str()), ("days", "30")], "roles"),
        (
            vec![
                ("holder", reseller.as_str()),
                ("subscription_admin", "yes"),
                ("days", "731"),
            ],
            "days",
        ),
    ] {
        let res = app
            .post_form_with(
                &w.provider_client,
                &format!("/customers/{}/grants", w.customer),
                &fields,
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        let html = res.text().await.unwrap();
        assert_eq!(
            texts(&html, &format!("#f-{field}-error")).len(),
            1,
            "{field}"
        );
    }
    assert!(app.grants_on(w.customer).is_empty());

    let (id, path) = request(
        &app,
        &w,
        &[
            ("holder", &reseller),
            ("subscription_admin", "yes"),
            ("support", "yes"),
            ("days", "90"),
        ],
    )
    .await;
    assert!(path.starts_with("/grants/approve/"));
    assert_eq!(status_of(&app, w.customer), vec![GrantStatus::Pending]);
    // Pending: the reseller can do nothing yet.
    assert_eq!(
        abilities(&app, &w, "11").await,
        (false, false, false, false)
    );

    // Send email: to the customer's admin, with the link.
    let html = app
        .get_with(
            &w.provider_client,
            &format!("/customers/grants/requests/{id}"),
        )
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        texts(&html, "#request-details dd"),
        vec![
            "Wingtip Toys",
            "Northwind Traders",
            "Subscription administrator, Support",
            "90 days"
        ]
    );
    let doc = scraper::Html::parse_document(&html);
    let value = |sel: &str| {
        doc.select(&scraper::Selector::parse(sel).unwrap())
            .next()
            .unwrap()
            .value()
            .attr("value")
            .unwrap_or_default()
            .to_owned()
    };
    let subject = value("#f-subject");
    let email = value("#f-email");
    let body: String = doc
        .select(&scraper::Selector::parse("#f-body").unwrap())
        .next()
        .unwrap()
        .text()
        .collect();
    assert_eq!(email, "ada@example.com", "the customer's contact");
    assert!(body.contains("Northwind Traders"), "{body}");
    let res = app
        .post_form_with(
            &w.provider_client,
            &format!("/customers/grants/requests/{id}/send"),
            &[("subject", &subject), ("body", &body), ("email", &email)],
        )
        .await;
    assert_redirect(&res, &format!("/customers/grants/requests/{id}"));
    let mail = app.mail.wait_for("ada@example.com").await;
    assert!(mail.text.contains(&path), "the email holds the link");

    // Signed out: sign in first, nothing shown of the request.
    let res = app.get_with(&new_client(), &path).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(!html.contains("Northwind Traders"));
    assert!(html.contains("/sign-in?next="));
    // A provider's member is no customer: 403; nothing changes.
    let res = app.get_with(&w.provider_client, &path).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Another organisation's admin: 403, and its answer changes nothing.
    let other = app.seed_customer(w.provider, None, "Coho Winery", "cohowinery");
    customer_admin(&app, other, "admin@cohowinery.onmicrosoft.com");
    let stranger = client_of(&app, "admin@cohowinery.onmicrosoft.com").await;
    let res = app.get_with(&stranger, &path).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("This approval link is for another organisation.")
    );
    let res = app
        .post_form_with(&stranger, &path, &[("decision", "approve")])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(status_of(&app, w.customer), vec![GrantStatus::Pending]);

    // The customer's admin sees who asks for what, for how long, and approves.
    let html = app
        .get_with(&w.customer_client, &path)
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        texts(&html, "#grant-asks"),
        vec![
            "Contoso Distribution asks you to give Northwind Traders these roles on Wingtip Toys:"
        ]
    );
    assert_eq!(texts(&html, "#grant-roles li").len(), 2);
    assert_eq!(
        texts(&html, "#grant-duration"),
        vec!["For 90 days from your approval."]
    );
    let approved_at = t("2027-03-05 10:00:00");
    app.state.clock.set(approved_at);
    let res = app
        .post_form_with(&w.customer_client, &path, &[("decision", "approve")])
        .await;
    assert_redirect(&res, "/my/subscriptions#grants");
    let grant = app.grants_on(w.customer).remove(0);
    assert_eq!(grant.status, GrantStatus::Active);
    assert_eq!(grant.expires_at, approved_at + Duration::days(90));
    // The requester hears of it; the reseller now administers.
    app.mail.wait_for("alice@contoso.example").await;
    assert!(app.administers(w.provider, w.customer, w.reseller));
    let (sees, changes, listed, support) = abilities(&app, &w, "12").await;
    assert!(sees && changes && listed && support);
    assert_eq!(quantity_of(&app, w.sub), 12);
    // The link was used: 410 for anyone, nothing changes.
    let res = app
        .post_form_with(&w.customer_client, &path, &[("decision", "decline")])
        .await;
    assert_eq!(res.status(), StatusCode::GONE);
    assert_eq!(status_of(&app, w.customer), vec![GrantStatus::Active]);
    // The customer's page lists it with End grant.
    let html = app
        .get_with(&w.customer_client, "/my/subscriptions")
        .await
        .text()
        .await
        .unwrap();
    let rows = texts(&html, "#grants-table tbody tr");
    assert_eq!(rows.len(), 1);
    assert!(
        rows[0].contains("Northwind Traders") && rows[0].contains("Active"),
        "{rows:?}"
    );
    assert!(rows[0].contains("End grant"));
    // The log has each step.
    let actions: Vec<String> = app.with_conn(|conn| {
        activity_log::table
            .filter(activity_log::action.like("grant%"))
            .order(activity_log::id.asc())
            .select(activity_log::action)
            .load(conn)
            .unwrap()
    });
    assert_eq!(
        actions,
        vec![
            "grant_request.created",
            "grant.requested",
            "grant_request.sent",
            "grant.approved"
        ]
    );
}

#[tokio::test]
async fn a_request_can_be_declined_revoked_or_left_to_lapse_after_ninety_days() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let reseller = w.reseller.to_string();
    let fields = [
        ("holder", reseller.as_str()),
        ("license_reader", "yes"),
        ("days", "30"),
    ];
    // Declined.
    let (_, path) = request(&app, &w, &fields).await;
    let res = app
        .post_form_with(&w.customer_client, &path, &[("decision", "decline")])
        .await;
    assert_redirect(&res, "/my/subscriptions#grants");
    assert_eq!(status_of(&app, w.customer), vec![GrantStatus::Declined]);
    // Revoked by the provider: the link is gone and the grant asked for withdrawn.
    let (id, path) = request(&app, &w, &fields).await;
    let res = app
        .post_form_with(
            &w.provider_client,
            &format!("/customers/grants/requests/{id}/revoke"),
            &[],
        )
        .await;
    assert_redirect(&res, "/customers/grants");
    let res = app.get_with(&w.customer_client, &path).await;
    assert_eq!(res.status(), StatusCode::GONE);
    assert_eq!(
        status_of(&app, w.customer),
        vec![GrantStatus::Ended, GrantStatus::Declined]
    );
    // Unanswered: usable until 90 days after the request, then lapsed (410), and the job says so.
    let asked = app.state.clock.now();
    let (_, path) = request(&app, &w, &fields).await;
    app.state
        .clock
        .set(asked + Duration::days(90) - Duration::seconds(1));
    let res = app.get_with(&w.customer_client, &path).await;
    assert_eq!(res.status(), StatusCode::OK, "a second before it lapses");
    app.state
        .clock
        .set(asked + Duration::days(90) + Duration::seconds(1));
    let res = app
        .post_form_with(&w.customer_client, &path, &[("decision", "approve")])
        .await;
    assert_eq!(res.status(), StatusCode::GONE, "lapsed");
    let report = jobs::run(&app.state.db, app.state.clock.now(), &app.state.base_url)
        .await
        .unwrap();
    assert_eq!(report.grants.lapsed, 1);
    assert_eq!(
        status_of(&app, w.customer),
        vec![
            GrantStatus::Lapsed,
            GrantStatus::Ended,
            GrantStatus::Declined
        ]
    );
    assert!(!app.administers(w.provider, w.customer, w.reseller));
}

/// The grant notices queued so far.
fn emails(app: &TestApp) -> i64 {
    app.with_conn(|conn| {
        email_outbox::table
            .filter(email_outbox::subject.eq("Delegated administration of Wingtip Toys"))
            .count()
            .get_result(conn)
            .unwrap()
    })
}

#[tokio::test]
async fn the_job_reminds_at_thirty_and_seven_days_and_expires_once_on_two_instances() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let start = app.state.clock.now();
    let grant = app.grant(w.provider, w.customer, w.reseller, Roles::DELEGATED, 40);
    let other = app.second_instance().await;
    // The customer's contact, the provider's member, the reseller's member.
    let per_notice = 3;
    let run_both = |at: NaiveDateTime| {
        let (a, b) = (app.state.clone(), other.clone());
        async move {
            let (x, y) = tokio::join!(
                jobs::run(&a.db, at, &a.base_url),
                jobs::run(&b.db, at, &b.base_url)
            );
            let (x, y) = (x.unwrap(), y.unwrap());
            (
                x.grants.reminders + y.grants.reminders,
                x.grants.expired + y.grants.expired,
            )
        }
    };
    // 31 days before expiry: nothing yet.
    let before = emails(&app);
    assert_eq!(run_both(start + Duration::days(9)).await, (0, 0));
    assert_eq!(emails(&app), before);
    // 30 days before: one reminder, to each side, once.
    assert_eq!(run_both(start + Duration::days(10)).await, (1, 0));
    assert_eq!(emails(&app), before + per_notice);
    assert_eq!(run_both(start + Duration::days(11)).await, (0, 0));
    // 7 days before: the second.
    assert_eq!(run_both(start + Duration::days(33)).await, (1, 0));
    assert_eq!(emails(&app), before + 2 * per_notice);
    // At expiry: expired, once, with its notice.
    assert_eq!(run_both(grant.expires_at).await, (0, 1));
    assert_eq!(emails(&app), before + 3 * per_notice);
    assert_eq!(run_both(grant.expires_at + Duration::days(1)).await, (0, 0));
    assert_eq!(status_of(&app, w.customer), vec![GrantStatus::Expired]);
    let expired: i64 = app.with_conn(|conn| {
        activity_log::table
            .filter(activity_log::action.eq("grant.expired"))
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(expired, 1);
    app.mail.wait_for("wei@northwind.example").await;
}

#[tokio::test]
async fn an_auto_extend_grant_extends_by_180_days_at_its_expiry() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let start = app.state.clock.now();
    let id = app
        .grant(w.provider, w.customer, w.reseller, Roles::DELEGATED, 10)
        .id;
    app.with_conn(|conn| {
        diesel::update(grants::table.find(id))
            .set(grants::auto_extend.eq(true))
            .execute(conn)
            .unwrap()
    });
    let expires = start + Duration::days(10);
    // A millisecond before: unchanged, and no reminder for a grant that extends itself.
    let report = jobs::run(
        &app.state.db,
        expires - Duration::milliseconds(1),
        &app.state.base_url,
    )
    .await
    .unwrap();
    assert_eq!((report.grants.extended, report.grants.reminders), (0, 0));
    assert_eq!(app.grants_on(w.customer)[0].expires_at, expires);
    // At expiry it still counts (the job may not have run yet), and the job extends it.
    app.state.clock.set(expires);
    assert!(app.administers(w.provider, w.customer, w.reseller));
    let report = jobs::run(&app.state.db, expires, &app.state.base_url)
        .await
        .unwrap();
    assert_eq!(report.grants.extended, 1);
    let grant = app.grants_on(w.customer).remove(0);
    assert_eq!(grant.expires_at, expires + Duration::days(180));
    assert_eq!(grant.status, GrantStatus::Active);
    let report = jobs::run(&app.state.db, expires, &app.state.base_url)
        .await
        .unwrap();
    assert_eq!(report.grants.extended, 0, "once");
}

#[tokio::test]
async fn the_customer_the_provider_and_the_grantee_can_each_end_a_grant_and_no_one_else() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let outsider = app
        .create_named_reseller(
            "Unrelated Ltd",
            "ru@unrelated.example",
            EnrollmentStatus::Verified,
        )
        .id;
    let _ = outsider;
    let outsider_client = client_of(&app, "ru@unrelated.example").await;
    for (client, base) in [
        (&w.customer_client, "/my/grants"),
        (&w.provider_client, "/customers/grants"),
        (&w.reseller_client, "/reseller/grants"),
    ] {
        let grant = app.grant(w.provider, w.customer, w.reseller, Roles::DELEGATED, 30);
        let res = app
            .post_form_with(
                &outsider_client,
                &format!("/reseller/grants/{}/end", grant.id),
                &[],
            )
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "an outsider");
        assert!(app.administers(w.provider, w.customer, w.reseller));
        let res = app
            .post_form_with(client, &format!("{base}/{}/end", grant.id), &[])
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{base}");
        assert!(
            !app.administers(w.provider, w.customer, w.reseller),
            "{base}"
        );
    }
    assert_eq!(
        status_of(&app, w.customer),
        vec![GrantStatus::Ended, GrantStatus::Ended, GrantStatus::Ended]
    );
    // The reseller's Grants page lists them.
    let html = app
        .get_with(&w.reseller_client, "/reseller/grants")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(texts(&html, "#grants-table tbody tr").len(), 3);
}

fn flags(html: &str) -> Vec<String> {
    texts(html, "#check-flags li")
}

#[tokio::test]
async fn every_relationship_check_flag_is_raised_and_cleared_by_its_fix() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let page = format!("/customers/{}", w.customer);
    let check = |app: &TestApp, path: String| {
        let client = w.provider_client.clone();
        let app_url = app.url(&path);
        async move {
            let html = client
                .get(app_url)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            flags(&html)
        }
    };
    assert!(check(&app, page.clone()).await.is_empty());
    assert!(
        check(&app, "/customers/relationship-check".into())
            .await
            .is_empty()
    );

    // Associated with a reseller that holds no grant (the provider asserted nothing).
    let res = app
        .post_form_with(
            &w.provider_client,
            &format!("/customers/{}/reseller", w.customer),
            &[("reseller", &w.reseller.to_string())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // The association asked the customer's contact to approve (a pending request).
    assert_eq!(status_of(&app, w.customer), vec![GrantStatus::Pending]);
    let found = check(&app, page.clone()).await;
    assert_eq!(
        found,
        vec![
            "Wingtip Toys: the associated reseller Northwind Traders holds no grant — Request a grant"
        ]
    );
    assert_eq!(
        check(&app, "/customers/relationship-check".into()).await,
        found
    );
    // Fixed: an active grant (without Support, which the next flag needs).
    let grant = app.grant(
        w.provider,
        w.customer,
        w.reseller,
        Roles::default().with(partner_dashboard::db::models::grant::Role::SubscriptionAdmin),
        20,
    );
    let found = check(&app, page.clone()).await;
    assert_eq!(found.len(), 1, "expiring within 30 days: {found:?}");
    assert!(found[0].contains("the grant to Northwind Traders expires soon"));
    // Fixed by a longer grant that replaces it.
    let long = app.grant(
        w.provider,
        w.customer,
        w.reseller,
        Roles::default().with(partner_dashboard::db::models::grant::Role::SubscriptionAdmin),
        365,
    );
    assert!(check(&app, page.clone()).await.is_empty());

    // The reseller becomes support contact (it is associated) without a Support grant.
    let res = app
        .post_form_with(
            &w.provider_client,
            &format!("/subscriptions/{}/support-contact", w.sub),
            &[("partner", &w.reseller.to_string())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let found = check(&app, page.clone()).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("the support contact Northwind Traders holds no Support grant"));
    assert!(found[0].contains("Change the support contact"));
    // Fixed by a Support grant.
    app.grant(
        w.provider,
        w.customer,
        w.reseller,
        Roles::default().with(partner_dashboard::db::models::grant::Role::Support),
        365,
    );
    assert!(check(&app, page.clone()).await.is_empty());

    // The grants expire (the job has not run): the associated reseller's grant expired; the support
    // contact holds none in force.
    app.state.clock.set(long.expires_at + Duration::days(1));
    let found = check(&app, page.clone()).await;
    assert!(
        found
            .iter()
            .any(|f| f.contains("the grant to Northwind Traders expired")),
        "{found:?}"
    );
    assert!(found.iter().any(|f| f.contains("holds no Support grant")));
    let _ = grant;
    // Fixed: support back to the provider, and the association removed.
    app.post_form_with(
        &w.provider_client,
        &format!("/subscriptions/{}/support-contact", w.sub),
        &[("partner", &w.provider.to_string())],
    )
    .await;
    app.post_form_with(
        &w.provider_client,
        &format!("/customers/{}/reseller", w.customer),
        &[("reseller", "")],
    )
    .await;
    assert!(check(&app, page.clone()).await.is_empty());

    // A subscription whose reseller of record is no longer partnered.
    let offer = app.create_offer("Microsoft 365 E3", 3600, 1, 300);
    let sub = app.add_subscription(w.provider, w.customer, offer, 5, Some(w.reseller));
    let res = app
        .post_form_with(
            &w.provider_client,
            &format!("/indirect-resellers/{}/remove", w.reseller),
            &[],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let found = check(&app, page.clone()).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("the reseller of record Northwind Traders is no longer partnered"));
    assert!(found[0].contains("Change the reseller of record"));
    let res = app
        .post_form_with(
            &w.provider_client,
            &format!("/subscriptions/{sub}/reseller-of-record"),
            &[("partner", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(check(&app, page.clone()).await.is_empty());
    assert!(
        check(&app, "/customers/relationship-check".into())
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn associating_a_reseller_asks_the_customer_to_approve_unless_the_provider_states_it_agreed()
{
    use partner_dashboard::db::models::customer::ProviderCustomer;
    let app = spawn_app().await;
    let w = world(&app).await;
    // A customer the provider created, associated later: the change asks for approval by email.
    let created = app.seed_customer(w.provider, None, "Coho Winery", "cohowinery");
    let res = app
        .post_form_with(
            &w.provider_client,
            &format!("/customers/{created}/reseller"),
            &[("reseller", &w.reseller.to_string())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&app, created), vec![GrantStatus::Pending]);
    let mail = app.mail.wait_for("ada@example.com").await;
    assert!(mail.text.contains("/grants/approve/"), "{}", mail.text);
    // With "the customer agreed": the grant is active at once, and the statement is logged.
    let other = app.seed_customer(w.provider, None, "Fourth Coffee", "fourthcoffee");
    let res = app
        .post_form_with(
            &w.provider_client,
            &format!("/customers/{other}/reseller"),
            &[
                ("reseller", &w.reseller.to_string()),
                ("customer_agreed", "yes"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&app, other), vec![GrantStatus::Active]);
    assert!(app.administers(w.provider, other, w.reseller));
    let asserted: i64 = app.with_conn(|conn| {
        activity_log::table
            .filter(activity_log::action.eq("grant.asserted"))
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(asserted, 1);
    // Removing the reseller ends its grant there.
    app.post_form_with(
        &w.provider_client,
        &format!("/customers/{other}/reseller"),
        &[("reseller", "")],
    )
    .await;
    assert_eq!(status_of(&app, other), vec![GrantStatus::Ended]);
    let relation = app.with_conn(|conn| {
        ProviderCustomer::find(
            conn,
            partner_dashboard::domain::ProviderId::established(w.provider),
            other,
        )
        .unwrap()
    });
    assert_eq!(relation.reseller_id, None);
}

#[tokio::test]
async fn a_billing_reader_sees_the_customers_statements_while_its_grant_is_in_force() {
    use partner_dashboard::db::schema::statements;
    let app = spawn_app().await;
    let w = world(&app).await;
    let april = t("2027-04-01 00:00:00");
    app.state.clock.set(april);
    jobs::run(&app.state.db, april, &app.state.base_url)
        .await
        .unwrap();
    let statement: i64 = app.with_conn(|conn| {
        statements::table
            .filter(statements::customer_id.eq(w.customer))
            .filter(statements::kind.eq("customer"))
            .select(statements::id)
            .first(conn)
            .unwrap()
    });
    let path = format!("/reseller/statements/{statement}");
    let sees = |client: reqwest::Client, app: &TestApp| {
        let (page, list) = (app.url(&path), app.url("/reseller/statements"));
        async move {
            let page = client.get(page).send().await.unwrap().status();
            let list = client.get(list).send().await.unwrap().text().await.unwrap();
            (page, list.contains("Wingtip Toys"))
        }
    };
    // Without a grant, and with one that gives other roles: not found, not listed.
    assert_eq!(
        sees(w.reseller_client.clone(), &app).await,
        (StatusCode::NOT_FOUND, false)
    );
    use partner_dashboard::db::models::grant::Role;
    app.grant(
        w.provider,
        w.customer,
        w.reseller,
        Roles::default()
            .with(Role::SubscriptionAdmin)
            .with(Role::LicenseReader),
        60,
    );
    assert_eq!(
        sees(w.reseller_client.clone(), &app).await,
        (StatusCode::NOT_FOUND, false)
    );
    // Billing reader: listed and shown.
    let grant = app.grant(
        w.provider,
        w.customer,
        w.reseller,
        Roles::default().with(Role::BillingReader),
        60,
    );
    assert_eq!(
        sees(w.reseller_client.clone(), &app).await,
        (StatusCode::OK, true)
    );
    // Expired: gone again.
    app.state.clock.set(grant.expires_at);
    assert_eq!(
        sees(w.reseller_client.clone(), &app).await,
        (StatusCode::NOT_FOUND, false)
    );
}

#[tokio::test]
async fn the_grants_pages_go_fifty_at_a_time() {
    let app = spawn_app().await;
    let w = world(&app).await;
    for _ in 0..55 {
        app.grant(w.provider, w.customer, w.reseller, Roles::DELEGATED, 30);
    }
    for (client, base) in [
        (&w.provider_client, "/customers/grants"),
        (&w.reseller_client, "/reseller/grants"),
    ] {
        let html = app.get_with(client, base).await.text().await.unwrap();
        assert_eq!(texts(&html, "#grants-table tbody tr").len(), 50, "{base}");
        let next = attrs(&html, ".pager a", "href").pop().expect("a Next link");
        let html = app.get_with(client, &next).await.text().await.unwrap();
        assert_eq!(texts(&html, "#grants-table tbody tr").len(), 5, "{base}");
    }
}

#[tokio::test]
async fn end_grant_is_offered_only_to_roles_that_may_end_it() {
    use partner_dashboard::domain::MemberRole;
    let app = spawn_app().await;
    let w = world(&app).await;
    app.grant(w.provider, w.customer, w.reseller, Roles::DELEGATED, 30);
    app.create_member(
        Some(w.reseller),
        "sales@northwind.example",
        MemberRole::Sales,
    );
    app.create_member(
        Some(w.provider),
        "help@contoso.example",
        MemberRole::Helpdesk,
    );
    for (email, path, offered) in [
        ("wei@northwind.example", "/reseller/grants", true),
        ("sales@northwind.example", "/reseller/grants", false),
        ("alice@contoso.example", "/customers/grants", true),
        ("help@contoso.example", "/customers/grants", false),
        (
            "admin@wingtiptoys.onmicrosoft.com",
            "/my/subscriptions",
            true,
        ),
    ] {
        let client = client_of(&app, email).await;
        let html = app.get_with(&client, path).await.text().await.unwrap();
        let rows = texts(&html, "#grants-table tbody tr");
        assert_eq!(rows.len(), 1, "{email}");
        assert_eq!(rows[0].contains("End grant"), offered, "{email}: {rows:?}");
    }
}

#[tokio::test]
async fn the_home_page_counts_grant_requests_waiting_and_grants_expiring_soon() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let home = |app: &TestApp| {
        let (client, url) = (w.provider_client.clone(), app.url("/"));
        async move {
            let html = client.get(url).send().await.unwrap().text().await.unwrap();
            (
                texts(&html, "#grant-requests"),
                texts(&html, "#grants-expiring"),
            )
        }
    };
    assert_eq!(home(&app).await, (vec![], vec![]));
    let reseller = w.reseller.to_string();
    request(
        &app,
        &w,
        &[("holder", &reseller), ("support", "yes"), ("days", "365")],
    )
    .await;
    let expiring = app.grant(w.provider, w.customer, w.reseller, Roles::DELEGATED, 30);
    assert_eq!(
        home(&app).await,
        (
            vec!["Grant requests waiting for the customer's approval: 1".to_owned()],
            vec!["Grants expiring within 30 days: 1".to_owned()]
        )
    );
    // Past its expiry it is no longer "expiring" (the relationship check says it expired).
    app.state.clock.set(expiring.expires_at);
    assert_eq!(home(&app).await.1, Vec::<String>::new());
}

#[tokio::test]
async fn the_resellers_customers_list_pages_through_associated_and_granted_customers_alike() {
    let app = spawn_app().await;
    let w = world(&app).await;
    // 30 associated (each with its grant), 25 not associated but granted, interleaved in age.
    for i in 0..55 {
        if i % 2 == 0 || i > 50 {
            app.seed_customer(
                w.provider,
                Some(w.reseller),
                &format!("Assoc {i}"),
                &format!("assoc{i}"),
            );
        } else {
            let c = app.seed_customer(
                w.provider,
                None,
                &format!("Granted {i}"),
                &format!("granted{i}"),
            );
            app.grant(w.provider, c, w.reseller, Roles::DELEGATED, 30);
        }
    }
    // One more, associated, whose grant ended: not listed.
    let gone = app.seed_customer(w.provider, Some(w.reseller), "Ended Ltd", "endedltd");
    for g in app.grants_on(gone) {
        app.with_conn(|conn| {
            diesel::update(grants::table.find(g.id))
                .set(grants::status.eq("ended"))
                .execute(conn)
                .unwrap()
        });
    }
    let first = app
        .get_with(&w.reseller_client, "/reseller/customers")
        .await
        .text()
        .await
        .unwrap();
    let names = |html: &str| -> Vec<String> { texts(html, "tr.main-row td:nth-child(2)") };
    let page1 = names(&first);
    assert_eq!(page1.len(), 50, "{page1:?}");
    let next = attrs(&first, ".pager a", "href")
        .pop()
        .expect("a Next link");
    let second = app
        .get_with(&w.reseller_client, &next)
        .await
        .text()
        .await
        .unwrap();
    let page2 = names(&second);
    assert_eq!(page2.len(), 5, "{page2:?}");
    let mut all: Vec<String> = page1.into_iter().chain(page2).collect();
    assert!(!all.iter().any(|n| n == "Ended Ltd"));
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 55, "no customer twice");
    // Newest first across both kinds.
    assert!(names(&first)[0].contains("54"), "{:?}", names(&first));
}
