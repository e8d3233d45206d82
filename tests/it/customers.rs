use diesel::prelude::*;

use partner_dashboard::db::schema::{
    activity_log, customers, drafts, email_outbox, orders, partnerships, provider_customers,
    sessions, subscriptions, users,
};
use reqwest::StatusCode;

use crate::helpers::*;
use partner_dashboard::auth::password;
use partner_dashboard::domain::{EnrollmentStatus, PartnerKind, Role};

/// A provider (signed in), a partnered reseller, and two offers.
struct World {
    provider: i64,
    reseller: i64,
    basic: i64,
    e3: i64,
}

async fn world(app: &TestApp) -> World {
    let provider = app.create_provider("alice@contoso.example").id;
    let reseller = app
        .create_reseller("wei@northwind.example", EnrollmentStatus::Verified)
        .id;
    app.partner(provider, reseller);
    let basic = app.create_offer("Microsoft 365 Business Basic", 600, 1, 300);
    let e3 = app.create_offer("Microsoft 365 E3", 3600, 5, 1000);
    app.signed_in("alice@contoso.example").await;
    World {
        provider,
        reseller,
        basic,
        e3,
    }
}

fn account<'a>(reseller: &'a str, overrides: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut base = vec![
        ("reseller", reseller),
        ("company_name", "Wingtip Toys"),
        ("domain_prefix", "wingtiptoys"),
        ("address_line1", "1 Harbour Road"),
        ("address_line2", "Floor 2"),
        ("city", "Taipei"),
        ("state", ""),
        ("postal_code", "100"),
        ("country", "TW"),
        ("contact_first_name", "Mei"),
        ("contact_last_name", "Lin"),
        ("contact_email", "mei@wingtiptoys.example"),
        ("contact_phone", "+886 2 1234 5678"),
        ("language", "en"),
        ("tenant_owner", "yes"),
        ("customer_agreed", "yes"),
    ];
    for (k, v) in overrides {
        base.retain(|(bk, _)| bk != k);
        if !v.is_empty() || (*k != "tenant_owner" && *k != "customer_agreed") {
            base.push((k, v));
        }
    }
    base
}

fn draft_of(res: &reqwest::Response) -> i64 {
    location(res).split('/').nth(3).unwrap().parse().unwrap()
}

/// Runs the wizard to Review; returns the draft id.
async fn to_review(app: &TestApp, w: &World, prefix: &str) -> i64 {
    to_review_with(app, w, prefix, &[]).await
}

/// The same, with more fields on the subscriptions step (plans, auto-renew, month end).
async fn to_review_with(app: &TestApp, w: &World, prefix: &str, extra: &[(&str, &str)]) -> i64 {
    let reseller = w.reseller.to_string();
    let res = app
        .post_form(
            "/customers/new",
            &account(&reseller, &[("domain_prefix", prefix)]),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap()
    );
    let draft = draft_of(&res);
    let (basic, e3) = (format!("qty_{}", w.basic), format!("qty_{}", w.e3));
    let mut fields = vec![(basic.as_str(), "10"), (e3.as_str(), "25"), ("nav", "next")];
    fields.extend_from_slice(extra);
    let res = app
        .post_form(&format!("/customers/new/{draft}/subscriptions"), &fields)
        .await;
    assert_redirect(&res, &format!("/customers/new/{draft}/review"));
    draft
}

fn count(app: &TestApp, table: &str) -> i64 {
    app.with_conn(|conn| {
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
            .get_result::<N>(conn)
            .unwrap()
            .n
    })
}

#[tokio::test]
async fn the_wizard_adds_a_customer_for_a_reseller_from_new_customer_to_confirmation() {
    let app = spawn_app().await;
    let w = world(&app).await;

    // Started from the reseller's row: the reseller is preselected.
    let html = app
        .get(&format!("/customers/new?reseller={}", w.reseller))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!(
        r#"<option value="{}" selected>Northwind Traders</option>"#,
        w.reseller
    )));
    assert!(html.contains("Next: Subscriptions"));

    app.state.clock.set(
        chrono::NaiveDate::from_ymd_opt(2027, 3, 10)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap(),
    );
    let draft = to_review(&app, &w, "wingtiptoys").await;
    let html = app
        .get(&format!("/customers/new/{draft}/review"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("wingtiptoys.onmicrosoft.com"));
    assert!(html.contains("admin@wingtiptoys.onmicrosoft.com"));
    assert_eq!(
        texts(&html, "#review-lines tbody tr"),
        vec![
            "Microsoft 365 Business Basic 1 month · Monthly 10 USD 6.00 USD 6.00 USD 60.00 Renews on 10 Apr 2027 USD 60.00",
            "Microsoft 365 E3 1 month · Monthly 25 USD 36.00 USD 36.00 USD 900.00 Renews on 10 Apr 2027 USD 900.00"
        ]
    );
    assert_eq!(
        texts(&html, "#review-totals tr"),
        vec![
            "Total per month (monthly billing) USD 960.00",
            "Charged at Submit (first billing periods) USD 960.00"
        ]
    );

    let res = app
        .post_form(&format!("/customers/new/{draft}/submit"), &[])
        .await;
    assert_redirect(&res, &format!("/customers/new/{draft}/confirmation"));
    let res = app
        .get(&format!("/customers/new/{draft}/confirmation"))
        .await;
    assert_eq!(res.headers().get("cache-control").unwrap(), "no-store");
    let html = res.text().await.unwrap();
    assert!(html.contains("Setup info"));
    assert_eq!(
        texts(&html, "#admin-user"),
        vec!["admin@wingtiptoys.onmicrosoft.com"]
    );
    let temporary = texts(&html, "#temporary-password")
        .pop()
        .expect("the password is shown");
    assert!(temporary.len() >= 16);
    assert!(
        html.contains("you won&#39;t be able to access this information again")
            || html.contains("you won't be able")
    );

    // Everything was written once.
    let customer: i64 =
        app.with_conn(|conn| customers::table.select(customers::id).first(conn).unwrap());
    let delegated = app.administers(w.provider, customer, w.reseller);
    let (reseller_id, tenant_owner, subs): (Option<i64>, bool, i64) = app.with_conn(|conn| {
        provider_customers::table
            .filter(provider_customers::customer_id.eq(customer))
            .select((
                provider_customers::reseller_id,
                provider_customers::azure_tenant_owner,
                provider_customers::subscription_count,
            ))
            .first(conn)
            .unwrap()
    });
    assert_eq!(
        (reseller_id, delegated, tenant_owner, subs),
        (Some(w.reseller), true, true, 2)
    );
    let subscriptions: Vec<(Option<i64>, i64, i32)> = app.with_conn(|conn| {
        subscriptions::table
            .order(subscriptions::quantity.asc())
            .select((
                subscriptions::reseller_of_record_id,
                subscriptions::support_contact_id,
                subscriptions::quantity,
            ))
            .load(conn)
            .unwrap()
    });
    assert_eq!(
        subscriptions,
        vec![
            (Some(w.reseller), w.provider, 10),
            (Some(w.reseller), w.provider, 25)
        ]
    );
    let (total, kind): (i64, String) = app.with_conn(|conn| {
        orders::table
            .select((orders::total_minor, orders::kind))
            .first(conn)
            .unwrap()
    });
    assert_eq!((total, kind.as_str()), (96_000, "new_customer"));
    assert_eq!(count(&app, "order_lines"), 2);
    let (customer_count, license_count): (i64, i64) = app.with_conn(|conn| {
        partnerships::table
            .filter(partnerships::reseller_id.eq(w.reseller))
            .select((partnerships::customer_count, partnerships::license_count))
            .first(conn)
            .unwrap()
    });
    assert_eq!((customer_count, license_count), (1, 35));
    let actions: Vec<String> = app.with_conn(|conn| {
        activity_log::table
            .filter(activity_log::customer_id.eq(customer))
            .order(activity_log::id.asc())
            .select(activity_log::action)
            .load(conn)
            .unwrap()
    });
    // The provider stated the customer agreed: the reseller's grant is active at once, and logged.
    assert_eq!(
        actions,
        vec!["customer.created", "order.placed", "grant.asserted"]
    );

    // The admin user: temporary password hashed, to be changed at first sign-in.
    let (hash, must_change, role): (String, bool, String) = app.with_conn(|conn| {
        users::table
            .filter(users::email.eq("admin@wingtiptoys.onmicrosoft.com"))
            .select((
                users::password_hash,
                users::must_change_password,
                users::role,
            ))
            .first(conn)
            .unwrap()
    });
    assert!(password::verify(&hash, &temporary));
    assert!(must_change);
    assert_eq!(role, "customer");
    let admin = new_client();
    assert_redirect(
        &app.sign_in_with(&admin, "admin@wingtiptoys.onmicrosoft.com", &temporary)
            .await,
        "/account/password",
    );

    // The reseller is told, without the password.
    let email = app.mail.wait_for("wei@northwind.example").await;
    assert_eq!(
        email.subject,
        "Contoso Distribution added Wingtip Toys as a customer on your behalf"
    );
    assert!(!email.text.contains(&temporary) && !email.html.contains(&temporary));

    // Done: the customer list shows it, associated with the reseller.
    let html = app
        .get(&format!("/customers?reseller={}", w.reseller))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        texts(&html, "#customers tr.main-row td:nth-child(2)"),
        vec!["Wingtip Toys"]
    );
    assert_eq!(
        texts(&html, "#customers tr.main-row td:nth-child(3)"),
        vec!["wingtiptoys.onmicrosoft.com"]
    );
    assert_eq!(
        texts(&html, "#customers tr.main-row td:nth-child(4)"),
        vec!["Northwind Traders"]
    );
    assert_eq!(
        texts(&html, "#customers tr.main-row td:nth-child(5)"),
        vec!["2"]
    );
}

#[tokio::test]
async fn the_temporary_password_is_shown_once_and_stored_nowhere_in_clear() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let draft = to_review(&app, &w, "wingtiptoys").await;
    app.post_form(&format!("/customers/new/{draft}/submit"), &[])
        .await;
    let html = app
        .get(&format!("/customers/new/{draft}/confirmation"))
        .await
        .text()
        .await
        .unwrap();
    let temporary = texts(&html, "#temporary-password").pop().unwrap();

    // Reloading Confirmation, going Back to Review, submitting again: never the password again.
    let again = app
        .get(&format!("/customers/new/{draft}/confirmation"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!again.contains(&temporary));
    assert!(again.contains("The temporary password was shown once and cannot be shown again."));
    assert_eq!(
        texts(&again, "#admin-user"),
        vec!["admin@wingtiptoys.onmicrosoft.com"]
    );
    let back = app.get(&format!("/customers/new/{draft}/review")).await;
    assert_redirect(&back, &format!("/customers/new/{draft}/confirmation"));
    let resubmit = app
        .post_form(&format!("/customers/new/{draft}/submit"), &[])
        .await;
    assert_redirect(&resubmit, &format!("/customers/new/{draft}/confirmation"));
    let html = app
        .get(&format!("/customers/new/{draft}/confirmation"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains(&temporary));

    // Not in the database in clear: not in users, drafts, sessions, the outbox, or the log.
    let dump: Vec<String> = app.with_conn(|conn| {
        let mut all: Vec<String> = users::table
            .select(users::password_hash)
            .load(conn)
            .unwrap();
        all.extend(
            drafts::table
                .select(drafts::data)
                .load::<String>(conn)
                .unwrap(),
        );
        all.extend(
            drafts::table
                .select(drafts::sealed_secret)
                .load::<Option<String>>(conn)
                .unwrap()
                .into_iter()
                .flatten(),
        );
        all.extend(
            sessions::table
                .select(sessions::state)
                .load::<String>(conn)
                .unwrap(),
        );
        all.extend(
            email_outbox::table
                .select(email_outbox::body_text)
                .load::<String>(conn)
                .unwrap(),
        );
        all.extend(
            email_outbox::table
                .select(email_outbox::body_html)
                .load::<String>(conn)
                .unwrap(),
        );
        all.extend(
            activity_log::table
                .select(activity_log::new_value)
                .load::<Option<String>>(conn)
                .unwrap()
                .into_iter()
                .flatten(),
        );
        all
    });
    assert!(dump.iter().all(|s| !s.contains(&temporary)));
    // And the sealed copy is gone once shown.
    let sealed: Option<String> = app.with_conn(|conn| {
        drafts::table
            .find(draft)
            .select(drafts::sealed_secret)
            .first(conn)
            .unwrap()
    });
    assert!(sealed.is_none());
}

#[tokio::test]
async fn submitting_twice_at_once_creates_one_customer_and_one_order() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let draft = to_review(&app, &w, "wingtiptoys").await;
    let token = app.csrf_token().await;
    let url = app.url(&format!("/customers/new/{draft}/submit"));
    let post = || {
        app.client
            .post(&url)
            .form(&[("csrf_token", token.as_str())])
            .send()
    };
    let (a, b, c) = tokio::join!(post(), post(), post());
    for r in [a, b, c] {
        let r = r.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&r), format!("/customers/new/{draft}/confirmation"));
    }
    assert_eq!(count(&app, "customers"), 1);
    assert_eq!(count(&app, "orders"), 1);
    assert_eq!(count(&app, "subscriptions"), 2);
    let html = app
        .get(&format!("/customers/new/{draft}/confirmation"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        texts(&html, "#temporary-password").len(),
        1,
        "the first look shows the password"
    );
}

#[tokio::test]
async fn cancel_drops_the_draft_and_leaves_nothing_behind() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let users_before = count(&app, "users");
    let draft = to_review(&app, &w, "wingtiptoys").await;
    // Cancel asks first; the question itself drops nothing.
    let html = app.html(&format!("/customers/new/{draft}/cancel")).await;
    assert_eq!(
        texts(&html, "#cancel-confirm h1"),
        vec!["Cancel this new customer?"]
    );
    assert_eq!(
        attrs(&html, "#cancel-confirm a.button", "href"),
        vec![format!("/customers/new/{draft}/review")]
    );
    let open: i64 = app.with_conn(|conn| {
        drafts::table
            .filter(drafts::id.eq(draft))
            .filter(drafts::status.eq("open"))
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(open, 1);
    let res = app
        .post_form(&format!("/customers/new/{draft}/cancel"), &[])
        .await;
    // Back where the wizard started: the customer list, with the reseller it was started for.
    assert_redirect(&res, &format!("/customers?reseller={}", w.reseller));
    let html = app.get(&location(&res)).await.text().await.unwrap();
    assert!(html.contains("The order was cancelled. Nothing was saved"));
    // Starting over: the form is empty again.
    let html = app.html("/customers/new").await;
    assert!(!html.contains("Wingtip Toys"));
    for table in [
        "customers",
        "provider_customers",
        "orders",
        "order_lines",
        "subscriptions",
        "email_outbox",
    ] {
        assert_eq!(count(&app, table), 0, "{table}");
    }
    assert_eq!(count(&app, "users"), users_before, "no admin user was made");
    // The draft is closed for good: Submit now changes nothing.
    let res = app
        .post_form(&format!("/customers/new/{draft}/submit"), &[])
        .await;
    assert_redirect(&res, "/customers/new");
    assert_eq!(count(&app, "customers"), 0);
}

#[tokio::test]
async fn bad_account_info_comes_back_with_a_message_per_field_and_the_values_kept() {
    let app = spawn_app().await;
    let w = world(&app).await;
    app.seed_customer(w.provider, None, "Existing", "takenprefix");
    let other = app.create_partner(
        PartnerKind::Provider,
        "Fabrikam",
        EnrollmentStatus::Verified,
    );
    let theirs = app
        .create_named_reseller(
            "Their Reseller",
            "x@their.example",
            EnrollmentStatus::Verified,
        )
        .id;
    app.partner(other, theirs);
    let unpartnered = app
        .create_named_reseller("Stranger", "s@stranger.example", EnrollmentStatus::Verified)
        .id;
    let mine = w.reseller.to_string();
    let theirs = theirs.to_string();
    let unpartnered = unpartnered.to_string();
    let long = "x".repeat(201);
    let cases: Vec<FieldCase> = vec![
        (
            account(&mine, &[("company_name", "")]),
            "company_name",
            "This field is required.",
        ),
        (
            account(&mine, &[("company_name", &long)]),
            "company_name",
            "This is too long.",
        ),
        (
            account(&mine, &[("contact_email", "mei.example")]),
            "contact_email",
            "Enter an email address like name@example.com.",
        ),
        (
            account(&mine, &[("domain_prefix", "Wingtip Toys!")]),
            "domain_prefix",
            "Use 3 to 27 letters a–z, digits and hyphens, not starting or ending with a hyphen.",
        ),
        (
            account(&mine, &[("domain_prefix", "ab")]),
            "domain_prefix",
            "Use 3 to 27 letters a–z, digits and hyphens, not starting or ending with a hyphen.",
        ),
        (
            account(&mine, &[("domain_prefix", "takenprefix")]),
            "domain_prefix",
            "This domain is already taken. Choose another prefix.",
        ),
        (
            account(&unpartnered, &[]),
            "reseller",
            "Choose one of your indirect resellers.",
        ),
        (
            account(&theirs, &[]),
            "reseller",
            "Choose one of your indirect resellers.",
        ),
        (
            account("nonsense", &[]),
            "reseller",
            "Choose one of your indirect resellers.",
        ),
        (
            account("", &[("tenant_owner", "yes")]),
            "tenant_owner",
            "Choose an indirect reseller to give tenant owner permissions to.",
        ),
        (
            account(&mine, &[("customer_agreed", "")]),
            "tenant_owner",
            "Tenant owner permissions go with delegated administration: tick that the customer agreed to it, or leave them for later.",
        ),
        (
            account(&mine, &[("country", "XX")]),
            "country",
            "Choose a country from the list.",
        ),
        (
            account(&mine, &[("contact_phone", "call me maybe")]),
            "contact_phone",
            "Enter a phone number with digits, spaces, dashes and a leading +.",
        ),
        (
            account(&mine, &[("address_line1", " ")]),
            "address_line1",
            "This field is required.",
        ),
    ];
    for (form, field, message) in cases {
        let res = app.post_form("/customers/new", &form).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        let html = res.text().await.unwrap();
        assert_eq!(
            texts(&html, &format!("#f-{field}-error")),
            vec![message],
            "{field}"
        );
        assert!(
            html.contains(r#"value="mei@wingtiptoys.example""#) || field == "contact_email",
            "values kept ({field})"
        );
        assert!(
            html.contains(r#"value="1 Harbour Road""#) || field == "address_line1",
            "values kept ({field})"
        );
    }
    assert_eq!(
        count(&app, "drafts"),
        0,
        "no draft is made until the account info passes"
    );
    assert_eq!(count(&app, "customers"), 1);
}

#[tokio::test]
async fn bad_license_numbers_come_back_with_a_message_and_back_keeps_what_was_typed() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let reseller = w.reseller.to_string();
    let res = app
        .post_form("/customers/new", &account(&reseller, &[]))
        .await;
    let draft = draft_of(&res);
    let path = format!("/customers/new/{draft}/subscriptions");
    let (basic, e3) = (format!("qty_{}", w.basic), format!("qty_{}", w.e3));
    let cases: Vec<FieldCase> = vec![
        (
            vec![(&basic, "0")],
            &basic,
            "Below the minimum number of licenses for this offer.",
        ),
        (
            vec![(&e3, "4")],
            &e3,
            "Below the minimum number of licenses for this offer.",
        ),
        (
            vec![(&basic, "301")],
            &basic,
            "Above the maximum number of licenses for this offer.",
        ),
        (vec![(&basic, "ten")], &basic, "Enter a whole number."),
        (vec![(&basic, "2.5")], &basic, "Enter a whole number."),
    ];
    for (fields, field, message) in cases {
        let mut form = fields.clone();
        form.push(("nav", "next"));
        let res = app.post_form(&path, &form).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        let html = res.text().await.unwrap();
        assert_eq!(texts(&html, &format!("#f-{field}-error")), vec![message]);
        assert!(
            html.contains(&format!(r#"value="{}""#, fields[0].1)),
            "the value typed is kept"
        );
    }
    // None at all; an offer that does not exist.
    let res = app
        .post_form(&path, &[(&basic, ""), (&e3, ""), ("nav", "next")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert_eq!(
        texts(&html, "#lines-error"),
        vec!["Enter the number of licenses for at least one offer."]
    );
    let res = app
        .post_form(&path, &[("qty_12345", "3"), ("nav", "next")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // A retired offer cannot be ordered.
    app.with_conn(|conn| {
        use partner_dashboard::db::schema::offers;
        diesel::update(offers::table.find(w.e3))
            .set(offers::retired_at.eq(Some(partner_dashboard::db::now())))
            .execute(conn)
            .unwrap()
    });
    let res = app.post_form(&path, &[(&e3, "10"), ("nav", "next")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        !html.contains("Microsoft 365 E3"),
        "a retired offer is not offered"
    );

    // Back keeps what was typed, even when it is not valid yet.
    let res = app
        .post_form(&path, &[(&basic, "12x"), ("nav", "back")])
        .await;
    assert_redirect(&res, &format!("/customers/new/{draft}"));
    let html = app
        .get(&format!("/customers/new/{draft}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"value="Wingtip Toys""#));
    let html = app.get(&path).await.text().await.unwrap();
    assert!(html.contains(r#"value="12x""#));
    // Review is not reachable until the subscriptions pass.
    assert_redirect(
        &app.get(&format!("/customers/new/{draft}/review")).await,
        &path,
    );
}

#[tokio::test]
async fn a_reseller_removed_meanwhile_is_refused_at_submit_and_nothing_is_written() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let draft = to_review(&app, &w, "wingtiptoys").await;
    app.post_form(&format!("/indirect-resellers/{}/remove", w.reseller), &[])
        .await;
    let res = app
        .post_form(&format!("/customers/new/{draft}/submit"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert_eq!(
        texts(&html, "#problem"),
        vec![
            "The indirect reseller is no longer one of your partners. Edit the account info and choose another."
        ]
    );
    assert_eq!(count(&app, "customers"), 0);
    let status: String = app.with_conn(|conn| {
        drafts::table
            .find(draft)
            .select(drafts::status)
            .first(conn)
            .unwrap()
    });
    assert_eq!(status, "open", "the draft stays open to be fixed");
}

#[tokio::test]
async fn drafts_customers_and_filters_of_others_are_not_found() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let draft = to_review(&app, &w, "wingtiptoys").await;
    app.post_form(&format!("/customers/new/{draft}/submit"), &[])
        .await;
    let customer: i64 =
        app.with_conn(|conn| customers::table.select(customers::id).first(conn).unwrap());
    let order: i64 = app.with_conn(|conn| orders::table.select(orders::id).first(conn).unwrap());

    // A colleague at the same provider cannot open Alice's draft; another provider sees nothing.
    app.create_user(
        "colleague@contoso.example",
        Role::Provider,
        Some(w.provider),
        false,
    );
    let other = app.create_partner(
        PartnerKind::Provider,
        "Fabrikam",
        EnrollmentStatus::Verified,
    );
    app.create_user("bob@fabrikam.example", Role::Provider, Some(other), false);
    let colleague = new_client();
    app.sign_in_with(&colleague, "colleague@contoso.example", PASSWORD)
        .await;
    let bob = new_client();
    app.sign_in_with(&bob, "bob@fabrikam.example", PASSWORD)
        .await;
    for step in ["", "/subscriptions", "/review", "/confirmation"] {
        for client in [&colleague, &bob] {
            let res = app
                .get_with(client, &format!("/customers/new/{draft}{step}"))
                .await;
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{step}");
        }
    }
    assert_eq!(
        app.post_form_with(&bob, &format!("/customers/new/{draft}/submit"), &[])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    for path in [
        format!("/customers/{customer}"),
        format!("/orders/{order}"),
        format!("/customers?reseller={}", w.reseller),
        format!("/orders?reseller={}", w.reseller),
        format!("/orders?customer={customer}"),
        format!("/customers.csv?reseller={}", w.reseller),
        format!("/customers/{customer}/reseller/remove"),
    ] {
        assert_eq!(
            app.get_with(&bob, &path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    for (path, fields) in [
        (
            format!("/customers/{customer}/reseller"),
            vec![("reseller", "")],
        ),
        (format!("/customers/{customer}/tenant-owner"), vec![]),
    ] {
        assert_eq!(
            app.post_form_with(&bob, &path, &fields).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let html = app.get_with(&bob, "/customers").await.text().await.unwrap();
    assert_empty_state(&html, "customers.empty");
    assert!(texts(&html, "#customers tbody").is_empty());
    let html = app.get_with(&bob, "/orders").await.text().await.unwrap();
    assert_empty_state(&html, "orders.empty");
    assert!(texts(&html, "table.orders tbody tr").is_empty());
    // The colleague sees the provider's customer, of course.
    assert_eq!(
        app.get_with(&colleague, &format!("/customers/{customer}"))
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_list_filters_by_reseller_and_pages_exactly() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let second = app
        .create_named_reseller(
            "Tailspin",
            "tom@tailspin.example",
            EnrollmentStatus::Verified,
        )
        .id;
    app.partner(w.provider, second);
    let mut northwind = Vec::new();
    let mut none = Vec::new();
    for i in 0..130 {
        let (reseller, bucket) = match i % 3 {
            0 => (Some(w.reseller), Some(&mut northwind)),
            1 => (Some(second), None),
            _ => (None, Some(&mut none)),
        };
        let name = format!("Customer {i:03}");
        app.seed_customer(w.provider, reseller, &name, &format!("customer{i:03}"));
        if let Some(bucket) = bucket {
            bucket.push(name);
        }
    }
    // Another provider's customer with the same reseller never shows.
    let other = app.create_partner(
        PartnerKind::Provider,
        "Fabrikam",
        EnrollmentStatus::Verified,
    );
    app.partner(other, w.reseller);
    app.seed_customer(other, Some(w.reseller), "Not Yours", "notyours");

    async fn walk(app: &TestApp, first: &str) -> Vec<String> {
        let mut seen = Vec::new();
        let mut path = first.to_owned();
        loop {
            let html = app.get(&path).await.text().await.unwrap();
            let page = texts(&html, "#customers tr.main-row td:nth-child(2)");
            assert!(page.len() <= 50);
            seen.extend(page);
            let doc = scraper::Html::parse_document(&html);
            let next = doc
                .select(&scraper::Selector::parse(".pager a").unwrap())
                .find(|a| a.text().collect::<String>() == "Next")
                .map(|a| a.value().attr("href").unwrap().to_owned());
            match next {
                Some(href) => path = href,
                None => return seen,
            }
        }
    }
    let newest_first = |mut v: Vec<String>| {
        v.reverse();
        v
    };
    let all = walk(&app, "/customers").await;
    assert_eq!(all.len(), 130);
    assert_eq!(
        all,
        newest_first((0..130).map(|i| format!("Customer {i:03}")).collect())
    );
    assert_eq!(
        walk(&app, &format!("/customers?reseller={}", w.reseller)).await,
        newest_first(northwind.clone())
    );
    assert_eq!(
        walk(&app, "/customers?reseller=none").await,
        newest_first(none)
    );
    let html = app
        .get(&format!("/customers?reseller={}", w.reseller))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!(
        r#"<option value="{}" selected>Northwind Traders</option>"#,
        w.reseller
    )));

    // Search by company name or domain, within the filter.
    let html = app
        .get("/customers?q=customer+12")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        texts(&html, "#customers tr.main-row td:nth-child(2)"),
        newest_first((120..130).map(|i| format!("Customer {i:03}")).collect())
    );
    let html = app
        .get("/customers?q=CUSTOMER00")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        texts(&html, "#customers tr.main-row").len(),
        10,
        "domain prefix search, any case"
    );
    // A reseller this provider never partnered with, or nonsense: 404.
    let stranger = app
        .create_named_reseller("Stranger", "s@stranger.example", EnrollmentStatus::Verified)
        .id;
    assert_eq!(
        app.get(&format!("/customers?reseller={stranger}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/customers?reseller=x").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn csv_export_matches_the_filtered_list_and_defuses_formulas() {
    let app = spawn_app().await;
    let w = world(&app).await;
    app.seed_customer(
        w.provider,
        Some(w.reseller),
        "=HYPERLINK(\"http://evil\")",
        "evilcorp",
    );
    app.seed_customer(w.provider, Some(w.reseller), "客戶甲", "kehujia");
    app.seed_customer(w.provider, None, "Loner Ltd", "loner");
    let res = app
        .get(&format!("/customers.csv?reseller={}", w.reseller))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers().get("content-type").unwrap(),
        "text/csv; charset=utf-8"
    );
    assert!(
        res.headers()
            .get("content-disposition")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let body = res.text().await.unwrap();
    let body = body.trim_start_matches('\u{feff}');
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        header,
        vec![
            "Company",
            "Domain",
            "Indirect reseller",
            "Subscriptions",
            "Created"
        ]
    );
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    let names: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(names, vec!["客戶甲", "'=HYPERLINK(\"http://evil\")"]);
    assert_eq!(rows[0][1], "kehujia.onmicrosoft.com");
    assert_eq!(rows[0][2], "Northwind Traders");

    let html = app
        .get(&format!("/customers?reseller={}", w.reseller))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(texts(&html, "#customers tr.main-row").len(), rows.len());
}

#[tokio::test]
async fn rows_open_with_the_down_arrow_to_show_subscriptions_without_script() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let draft = to_review(&app, &w, "wingtiptoys").await;
    app.post_form(&format!("/customers/new/{draft}/submit"), &[])
        .await;
    let html = app.get("/customers").await.text().await.unwrap();
    // The detail row is in the page (CSS shows it when the arrow's checkbox is ticked).
    let details = texts(&html, "#customers tr.detail-row");
    assert_eq!(details.len(), 1);
    assert!(details[0].contains("Microsoft 365 Business Basic — 10 licenses"));
    assert!(details[0].contains("Add subscription"));
    assert!(html.contains("▾"));
}

#[tokio::test]
async fn with_an_empty_catalog_the_forms_say_who_adds_offers_and_the_licenses_box_is_numeric() {
    let app = spawn_app().await;
    let provider = app.create_provider("alice@contoso.example").id;
    app.signed_in("alice@contoso.example").await;
    let no_offers = "No offers are available to order yet. Offers are added to the catalog by the platform's operators (Operations → Offer catalog); ask them to add the offers you sell.";
    let res = app
        .post_form("/customers/new", &account("", &[("tenant_owner", "")]))
        .await;
    let draft = draft_of(&res);
    let (status, html) = app
        .get_html(&format!("/customers/new/{draft}/subscriptions"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(texts(&html, "#no-offers"), vec![no_offers]);
    assert!(
        texts(&html, "button[value=next]").is_empty(),
        "nothing to go on with"
    );
    assert_eq!(texts(&html, "button[value=back]"), vec!["Back"]);

    let customer = app.seed_customer(provider, None, "Coho Winery", "cohowinery");
    let html = app
        .html(&format!("/customers/{customer}/subscriptions/new"))
        .await;
    assert_eq!(texts(&html, "#no-offers p:first-child"), vec![no_offers]);
    // With an offer, the licenses box brings up the number pad on a phone.
    app.create_offer("Microsoft 365 Business Basic", 600, 1, 300);
    let html = app
        .html(&format!("/customers/{customer}/subscriptions/new"))
        .await;
    let doc = scraper::Html::parse_document(&html);
    let input = doc
        .select(&scraper::Selector::parse("#f-quantity").unwrap())
        .next()
        .expect("the licenses box");
    assert_eq!(input.value().attr("inputmode"), Some("numeric"));
    assert_eq!(input.value().attr("type"), Some("text"));
}

/// A customer admin whose temporary password was lost: the provider resets it from the customer page.
#[tokio::test]
async fn a_provider_resets_a_lost_temporary_password_shown_once_and_the_old_one_stops_working() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let draft = to_review(&app, &w, "wingtiptoys").await;
    app.post_form(&format!("/customers/new/{draft}/submit"), &[])
        .await;
    let confirmation = app
        .html(&format!("/customers/new/{draft}/confirmation"))
        .await;
    let first = texts(&confirmation, "#temporary-password").pop().unwrap();
    // Confirmation offers Copy beside it (app.js shows the button).
    assert_eq!(texts(&confirmation, "button.copy-text"), vec!["Copy"]);
    let admin_email = "admin@wingtiptoys.onmicrosoft.com";
    let (customer, admin) = app.with_conn(|conn| {
        users::table
            .filter(users::email.eq(admin_email))
            .select((users::customer_id.assume_not_null(), users::id))
            .first::<(i64, i64)>(conn)
            .unwrap()
    });

    // The admin signed in once with the first password (a session that must end).
    let admin_client = new_client();
    let res = app.sign_in_with(&admin_client, admin_email, &first).await;
    assert_redirect(&res, "/account/password");

    // The customer page lists the admin, on a temporary password, with Reset password.
    let page = app.html(&format!("/customers/{customer}")).await;
    assert_eq!(
        texts(&page, "#customer-users td.mono"),
        vec![admin_email.to_owned()]
    );
    assert_eq!(
        texts(&page, "#customer-users .badge"),
        vec!["Temporary password"]
    );
    let reset = format!("/customers/{customer}/users/{admin}/reset-password");
    assert!(page.contains(&format!("action=\"{reset}\"")));

    let res = app.post_form(&reset, &[]).await;
    let shown = format!("/customers/{customer}/users/{admin}/temporary-password");
    assert_redirect(&res, &shown);
    let html = app.html(&shown).await;
    let second = texts(&html, "#temporary-password").pop().unwrap();
    assert_ne!(second, first);
    assert_eq!(texts(&html, "#admin-user"), vec![admin_email]);
    assert_eq!(texts(&html, "button.copy-text"), vec!["Copy"]);
    // Shown once: a refresh says it is gone.
    let again = app.html(&shown).await;
    assert!(!again.contains(&second));
    assert_eq!(texts(&again, "#password-gone").len(), 1);

    // The old password and the session made with it are gone; the new one works, once more temporary.
    let res = admin_client
        .get(app.url("/account/password"))
        .send()
        .await
        .unwrap();
    assert!(location(&res).starts_with("/sign-in"), "{}", location(&res));
    let res = app.sign_in_with(&new_client(), admin_email, &first).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app.sign_in_with(&new_client(), admin_email, &second).await;
    assert_redirect(&res, "/account/password");

    // Logged, and the provider user is told (without the password).
    let logged: Vec<(String, Option<i64>, Option<String>)> = app.with_conn(|conn| {
        activity_log::table
            .filter(activity_log::action.eq("customer.password_reset"))
            .select((
                activity_log::action,
                activity_log::customer_id,
                activity_log::new_value,
            ))
            .load(conn)
            .unwrap()
    });
    assert_eq!(
        logged,
        vec![(
            "customer.password_reset".to_owned(),
            Some(customer),
            Some(admin_email.to_owned())
        )]
    );
    let email = app.mail.wait_for("alice@contoso.example").await;
    assert_eq!(email.subject, "You reset a customer admin's password");
    assert!(email.text.contains(admin_email) && email.text.contains("Wingtip Toys"));
    assert!(!email.text.contains(&second) && !email.html.contains(&second));
    let clear: i64 = app.with_conn(|conn| {
        sessions::table
            .filter(sessions::state.like(format!("%{second}%")))
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(clear, 0, "the password is sealed in the session");
}

/// Another provider's customer, or a user of another customer: 404, and the password stays.
#[tokio::test]
async fn reset_password_is_only_for_this_providers_customer_and_its_own_users() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let draft = to_review(&app, &w, "wingtiptoys").await;
    app.post_form(&format!("/customers/new/{draft}/submit"), &[])
        .await;
    let (customer, admin, hash) = app.with_conn(|conn| {
        users::table
            .filter(users::email.eq("admin@wingtiptoys.onmicrosoft.com"))
            .select((
                users::customer_id.assume_not_null(),
                users::id,
                users::password_hash,
            ))
            .first::<(i64, i64, String)>(conn)
            .unwrap()
    });
    let other = app.create_customer_admin("someone@else.example", false);
    let other_hash = app.user(other.user_id).password_hash;
    // A user of another customer, under this customer's path.
    let res = app
        .post_form(
            &format!(
                "/customers/{customer}/users/{}/reset-password",
                other.user_id
            ),
            &[],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // Another provider.
    app.create_provider("bob@fabrikam.example");
    let bob = new_client();
    app.sign_in_with(&bob, "bob@fabrikam.example", PASSWORD)
        .await;
    let res = app
        .post_form_with(
            &bob,
            &format!("/customers/{customer}/users/{admin}/reset-password"),
            &[],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // Positive control: the rightful provider succeeds.
    let res = app
        .post_form(
            &format!("/customers/{customer}/users/{admin}/reset-password"),
            &[],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let after: String = app.with_conn(|conn| {
        users::table
            .find(admin)
            .select(users::password_hash)
            .first(conn)
            .unwrap()
    });
    assert_ne!(after, hash, "only the rightful reset changed it");
    assert_eq!(app.user(other.user_id).password_hash, other_hash);
}

/// Search finds what the list shows and what people type: the full domain as shown, the contact's
/// name (either order) and email; the count stays, as "n of total".
#[tokio::test]
async fn search_finds_the_domain_as_shown_and_the_contact_and_keeps_the_count() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let coho = app.seed_customer(w.provider, None, "Coho Winery", "cohowinery");
    app.seed_customer(w.provider, None, "Wingtip Toys", "wingtiptoys");
    app.seed_customer(
        w.provider,
        Some(w.reseller),
        "Fourth Coffee",
        "fourthcoffee",
    );
    app.with_conn(|conn| {
        diesel::update(customers::table.find(coho))
            .set((
                customers::contact_first_name.eq("Mei"),
                customers::contact_last_name.eq("Chen"),
                customers::contact_email.eq("mei.chen@coho.example"),
            ))
            .execute(conn)
            .unwrap()
    });
    let names = |html: &str| texts(html, "#customers tr.main-row td:nth-child(2)");
    for term in [
        "cohowinery.onmicrosoft.com",
        "CohoWinery.OnMicrosoft.com",
        "cohow",
        "Mei Chen",
        "chen mei",
        "mei.chen@coho",
        "winery",
    ] {
        let html = app
            .html(&format!("/customers?q={}", urlencoding(term)))
            .await;
        assert_eq!(names(&html), vec!["Coho Winery"], "{term}");
        assert_eq!(
            texts(&html, "#customer-total"),
            vec!["1 of 3 customers"],
            "{term}"
        );
    }
    // Positive control for the other rows, and the count within a reseller's filter.
    let html = app.html("/customers?q=o").await;
    assert_eq!(names(&html).len(), 3);
    assert_eq!(texts(&html, "#customer-total"), vec!["3 of 3 customers"]);
    let html = app
        .html(&format!("/customers?reseller={}&q=coffee", w.reseller))
        .await;
    assert_eq!(names(&html), vec!["Fourth Coffee"]);
    assert_eq!(texts(&html, "#customer-total"), vec!["1 of 1 customers"]);
    // Nothing found: the empty state, and the count says 0.
    let html = app.html("/customers?q=nothing-like-this").await;
    assert_empty_state(&html, "customers.no_match");
    assert_eq!(texts(&html, "#customer-total"), vec!["0 of 3 customers"]);
    // The export searches the same way.
    let csv = app
        .html("/customers.csv?q=cohowinery.onmicrosoft.com")
        .await;
    assert!(
        csv.contains("Coho Winery") && !csv.contains("Wingtip"),
        "{csv}"
    );
}

fn urlencoding(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).unwrap()[1..].to_owned()
}

/// Review never adds monthly and annual prices into one number: one total per billing frequency, each
/// the sum of its lines.
#[tokio::test]
async fn review_totals_monthly_and_annual_lines_apart_and_each_total_reconciles() {
    let app = spawn_app().await;
    let w = world(&app).await;
    app.state.clock.set(
        chrono::NaiveDate::from_ymd_opt(2027, 1, 15)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap(),
    );
    let (plan, renew_shown) = (format!("plan_{}", w.e3), format!("renew_shown_{}", w.e3));
    let month_end = format!("month_end_{}", w.basic);
    let draft = to_review_with(
        &app,
        &w,
        "wingtiptoys",
        &[
            (&plan, "P1Y:annual"),
            (&renew_shown, "1"),
            (&month_end, "on"),
        ],
    )
    .await;
    let html = app.html(&format!("/customers/new/{draft}/review")).await;
    assert_eq!(
        texts(&html, "#review-lines tbody tr"),
        vec![
            // Aligned with January's end: 17 of 31 days of USD 60.00 (3290 = prorate(6000, 17, 31)).
            "Microsoft 365 Business Basic 1 month · Monthly 10 USD 6.00 USD 6.00 USD 60.00 Renews on 1 Feb 2027 \
             USD 32.90 prorated, 15 Jan 2027 to 1 Feb 2027",
            // Annual term billed annually (12 × 36.00), auto-renew unchecked.
            "Microsoft 365 E3 1 year · Annual 25 USD 432.00 USD 432.00 USD 10,800.00 Ends on 15 Jan 2028 USD 10,800.00"
        ]
    );
    assert_eq!(
        texts(&html, "#review-totals tr"),
        vec![
            "Total per month (monthly billing) USD 60.00",
            "Total per year (annual billing) USD 10,800.00",
            "Charged at Submit (first billing periods) USD 10,832.90"
        ]
    );
    assert!(!html.contains("USD 10,860.00"), "no sum across frequencies");
    // Submit writes what Review showed: the orders' total reconciles with its lines.
    let res = app
        .post_form(&format!("/customers/new/{draft}/submit"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    use partner_dashboard::db::schema::{order_lines, orders, subscriptions};
    let (total, lines): (i64, Vec<i64>) = app.with_conn(|conn| {
        let (id, total) = orders::table
            .order(orders::id.desc())
            .select((orders::id, orders::total_minor))
            .first::<(i64, i64)>(conn)
            .unwrap();
        let lines = order_lines::table
            .filter(order_lines::order_id.eq(id))
            .order(order_lines::line_total_minor.asc())
            .select(order_lines::line_total_minor)
            .load(conn)
            .unwrap();
        (total, lines)
    });
    assert_eq!(lines, vec![3290, 1_080_000]);
    assert_eq!(total, lines.iter().sum::<i64>());
    let renewing: Vec<bool> = app.with_conn(|conn| {
        subscriptions::table
            .order(subscriptions::quantity.asc())
            .select(subscriptions::auto_renew)
            .load(conn)
            .unwrap()
    });
    assert_eq!(renewing, vec![true, false]);
}

/// The customer's address and contact can be edited from its page (logged old → new); the page shows
/// the tenant domain and the customer's id.
#[tokio::test]
async fn a_provider_edits_the_customers_address_and_contact_and_the_change_is_logged() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let customer = app.seed_customer(w.provider, None, "Coho Winery", "cohowinery");
    let page = app.html(&format!("/customers/{customer}")).await;
    assert_eq!(
        texts(&page, "#tenant-domain"),
        vec!["cohowinery.onmicrosoft.com"]
    );
    assert_eq!(texts(&page, "#customer-id"), vec![customer.to_string()]);
    let path = format!("/customers/{customer}/details");
    let form = app.html(&path).await;
    assert!(
        form.contains("value=\"1 Main St\""),
        "starts from what is stored"
    );

    let mut fields = vec![
        ("address_line1", "2 Harbour Road"),
        ("address_line2", ""),
        ("city", "Kaohsiung"),
        ("state", ""),
        ("postal_code", "800"),
        ("country", "TW"),
        ("contact_first_name", "Ada"),
        ("contact_last_name", "Lin"),
        ("contact_email", "not-an-email"),
        ("contact_phone", ""),
    ];
    let res = app.post_form(&path, &fields).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert_eq!(texts(&html, "#f-contact_email-error").len(), 1);
    assert!(html.contains("value=\"Kaohsiung\""), "values kept");
    let city: String = app.with_conn(|conn| {
        customers::table
            .find(customer)
            .select(customers::city)
            .first(conn)
            .unwrap()
    });
    assert_eq!(city, "Taipei", "nothing saved");

    fields.retain(|(k, _)| *k != "contact_email");
    fields.push(("contact_email", "ada.lin@coho.example"));
    let res = app.post_form(&path, &fields).await;
    assert_redirect(&res, &format!("/customers/{customer}"));
    let page = app.html(&format!("/customers/{customer}")).await;
    let info = texts(&page, "#account-info").join(" ");
    assert!(
        info.contains("2 Harbour Road") && info.contains("Kaohsiung"),
        "{info}"
    );
    assert!(info.contains("ada.lin@coho.example"), "{info}");
    let logged: Vec<(Option<String>, Option<String>)> = app.with_conn(|conn| {
        activity_log::table
            .filter(activity_log::action.eq("customer.details_changed"))
            .select((activity_log::old_value, activity_log::new_value))
            .load(conn)
            .unwrap()
    });
    assert_eq!(
        logged,
        vec![(
            Some("1 Main St; Taipei; 100; ada@example.com".to_owned()),
            Some("2 Harbour Road; Kaohsiung; 800; ada.lin@coho.example".to_owned())
        )]
    );
    // Saving again unchanged logs nothing more; another provider cannot see the form.
    app.post_form(&path, &fields).await;
    let entries: i64 = app.with_conn(|conn| {
        activity_log::table
            .filter(activity_log::action.eq("customer.details_changed"))
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(entries, 1);
    app.create_provider("bob@fabrikam.example");
    let bob = new_client();
    app.sign_in_with(&bob, "bob@fabrikam.example", PASSWORD)
        .await;
    assert_eq!(
        app.get_with(&bob, &path).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post_form_with(&bob, &path, &fields).await.status(),
        StatusCode::NOT_FOUND
    );
}

/// Check availability answers beside the field without moving on; Edit on Review comes back to Review.
#[tokio::test]
async fn check_availability_answers_in_place_and_edit_on_review_returns_to_review() {
    let app = spawn_app().await;
    let w = world(&app).await;
    app.seed_customer(w.provider, None, "Coho Winery", "cohowinery");
    let reseller = w.reseller.to_string();
    // Before the first Next (no draft yet).
    let res = app
        .post_form(
            "/customers/new?check=domain",
            &account(&reseller, &[("domain_prefix", "cohowinery")]),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert_eq!(
        texts(&html, "#domain-check"),
        vec!["cohowinery.onmicrosoft.com is already taken. Choose another prefix."]
    );
    assert!(
        html.contains("value=\"Wingtip Toys\""),
        "what was typed stays"
    );
    assert_eq!(count(&app, "drafts"), 0, "nothing saved");
    let html = app
        .post_form(
            "/customers/new?check=domain",
            &account(&reseller, &[("domain_prefix", "WingtipToys")]),
        )
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        texts(&html, "#domain-check"),
        vec!["wingtiptoys.onmicrosoft.com is available."]
    );
    let res = app
        .post_form(
            "/customers/new?check=domain",
            &account(&reseller, &[("domain_prefix", "no spaces")]),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Edit on Review: the account step, whose Next returns to Review.
    let draft = to_review(&app, &w, "wingtiptoys").await;
    let review = app.html(&format!("/customers/new/{draft}/review")).await;
    assert!(review.contains(&format!("href=\"/customers/new/{draft}?from=review\"")));
    let html = app
        .html(&format!("/customers/new/{draft}?from=review"))
        .await;
    assert!(html.contains(&format!("action=\"/customers/new/{draft}?from=review\"")));
    assert!(html.contains("Save and return to Review"));
    let res = app
        .post_form(
            &format!("/customers/new/{draft}?from=review"),
            &account(&reseller, &[("company_name", "Wingtip Toys Ltd")]),
        )
        .await;
    assert_redirect(&res, &format!("/customers/new/{draft}/review"));
    let review = app.html(&format!("/customers/new/{draft}/review")).await;
    assert!(review.contains("Wingtip Toys Ltd"));
    // Without it, Next goes on to the subscriptions step as before.
    let res = app
        .post_form(&format!("/customers/new/{draft}"), &account(&reseller, &[]))
        .await;
    assert_redirect(&res, &format!("/customers/new/{draft}/subscriptions"));
}

/// In Traditional Chinese a contact's name reads family name first.
#[tokio::test]
async fn chinese_names_read_family_name_first_in_traditional_chinese() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let customer = app.seed_customer(w.provider, None, "Coho Winery", "cohowinery");
    app.with_conn(|conn| {
        diesel::update(customers::table.find(customer))
            .set((
                customers::contact_first_name.eq("美"),
                customers::contact_last_name.eq("林"),
            ))
            .execute(conn)
            .unwrap()
    });
    let en = texts(
        &app.html(&format!("/customers/{customer}")).await,
        "#account-info",
    )
    .join(" ");
    assert!(en.contains("美 林"), "{en}");
    let res = app
        .post_form("/language", &[("locale", "zh-TW"), ("next", "/")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let zh = texts(
        &app.html(&format!("/customers/{customer}")).await,
        "#account-info",
    )
    .join(" ");
    assert!(zh.contains("林美"), "{zh}");
}

#[tokio::test]
async fn a_new_customer_over_the_resellers_credit_is_created_and_its_subscriptions_wait_for_approval()
 {
    let app = spawn_app().await;
    let w = world(&app).await;
    // 10 × 6.00 + 25 × 36.00 = 960.00 first charges, over a 500.00 limit.
    let res = app
        .post_form(
            &format!("/indirect-resellers/{}/credit", w.reseller),
            &[("credit_limit", "500.00")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let draft = to_review(&app, &w, "wingtiptoys").await;
    let res = app
        .post_form(&format!("/customers/new/{draft}/submit"), &[])
        .await;
    assert_redirect(&res, &format!("/customers/new/{draft}/confirmation"));
    let html = app
        .html(&format!("/customers/new/{draft}/confirmation"))
        .await;
    assert_eq!(texts(&html, "#held-for-review").len(), 1);
    assert_eq!(texts(&html, "#temporary-password").len(), 1);
    assert_eq!(count(&app, "customers"), 1);
    assert_eq!(count(&app, "subscriptions"), 0);
    let order: i64 = app.with_conn(|conn| {
        use diesel::prelude::*;
        use partner_dashboard::db::schema::orders;
        orders::table
            .filter(orders::status.eq("pending_review"))
            .select(orders::id)
            .first(conn)
            .unwrap()
    });
    app.assert_counters_agree(w.provider);
    let res = app
        .post_form(&format!("/orders/{order}/approve"), &[])
        .await;
    assert_redirect(&res, &format!("/orders/{order}"));
    assert_eq!(count(&app, "subscriptions"), 2);
    let html = app.html(&format!("/orders/{order}")).await;
    assert_eq!(texts(&html, "#order-total"), ["USD 960.00"]);
    assert_eq!(texts(&html, "#order-status"), ["Placed"]);
    app.assert_counters_agree(w.provider);
}

#[tokio::test]
async fn without_the_customers_agreement_the_wizard_asks_its_contact_to_approve_the_resellers_grant()
 {
    let app = spawn_app().await;
    let w = world(&app).await;
    let reseller = w.reseller.to_string();
    let res = app
        .post_form(
            "/customers/new",
            &account(&reseller, &[("customer_agreed", ""), ("tenant_owner", "")]),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let draft = draft_of(&res);
    let basic = format!("qty_{}", w.basic);
    let res = app
        .post_form(
            &format!("/customers/new/{draft}/subscriptions"),
            &[(basic.as_str(), "10"), ("nav", "next")],
        )
        .await;
    assert_redirect(&res, &format!("/customers/new/{draft}/review"));
    let html = app
        .get(&format!("/customers/new/{draft}/review"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        texts(&html, "#review-grant"),
        vec!["The customer's contact gets an approval link by email"]
    );
    let res = app
        .post_form(&format!("/customers/new/{draft}/submit"), &[])
        .await;
    assert_redirect(&res, &format!("/customers/new/{draft}/confirmation"));
    let customer: i64 =
        app.with_conn(|conn| customers::table.select(customers::id).first(conn).unwrap());
    // The reseller is associated but administers nothing until the customer approves.
    let grants = app.grants_on(customer);
    assert_eq!(grants.len(), 1);
    assert_eq!(
        grants[0].status,
        partner_dashboard::domain::GrantStatus::Pending
    );
    assert!(!app.administers(w.provider, customer, w.reseller));
    let mail = app.mail.wait_for("mei@wingtiptoys.example").await;
    let link = mail
        .text
        .split_whitespace()
        .find(|w| w.contains("/grants/approve/"))
        .expect("the email holds the approval link")
        .to_owned();
    // The customer's admin (after its first password change) approves it.
    let temporary: String = {
        let html = app
            .get(&format!("/customers/new/{draft}/confirmation"))
            .await
            .text()
            .await
            .unwrap();
        texts(&html, "#temporary-password").pop().unwrap()
    };
    let admin = new_client();
    app.sign_in_with(&admin, "admin@wingtiptoys.onmicrosoft.com", &temporary)
        .await;
    let res = app
        .post_form_with(
            &admin,
            "/account/password",
            &[
                ("current_password", &temporary),
                ("new_password", "a long new passphrase 2027"),
                ("confirm_password", "a long new passphrase 2027"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = app
        .post_form_with(&admin, &app.path_of(&link), &[("decision", "approve")])
        .await;
    assert_redirect(&res, "/my/subscriptions#grants");
    assert!(app.administers(w.provider, customer, w.reseller));
}
