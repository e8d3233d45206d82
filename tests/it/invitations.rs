use diesel::prelude::*;

use partner_dashboard::db::schema::{customers, provider_customers, relationship_requests};
use partner_dashboard::domain::{EnrollmentStatus, PartnerKind, Role};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::helpers::*;
use partner_dashboard::domain::RequestKind;

/// A provider (signed in on `app.client`) with a partnered reseller, and an organisation that signed up
/// on its own; returns (provider, reseller, customer id, the admin's client).
async fn setup(app: &TestApp) -> (i64, i64, i64, reqwest::Client) {
    let provider = app.create_provider("alice@contoso.example").id;
    let reseller = app
        .create_reseller("wei@northwind.example", EnrollmentStatus::Verified)
        .id;
    app.partner(provider, reseller);
    app.signed_in("alice@contoso.example").await;
    let admin = new_client();
    let res = app
        .post_form_with(
            &admin,
            "/customers/sign-up",
            &[
                ("company_name", "Wide World Importers"),
                ("domain_prefix", "wideworld"),
                ("country", "TW"),
                ("contact_first_name", "Mei"),
                ("contact_last_name", "Lin"),
                ("email", "it@wideworld.example"),
                ("password", PASSWORD),
                ("confirm_password", PASSWORD),
            ],
        )
        .await;
    assert_redirect(&res, "/my/subscriptions");
    let customer: i64 =
        app.with_conn(|conn| customers::table.select(customers::id).first(conn).unwrap());
    (provider, reseller, customer, admin)
}

/// As the provider: a new invitation; returns its id and link path.
async fn invite(
    app: &TestApp,
    client: &reqwest::Client,
    reseller: Option<i64>,
    delegated: bool,
) -> (i64, String) {
    let r = reseller.map(|r| r.to_string()).unwrap_or_default();
    let mut fields = vec![("reseller", r.as_str())];
    if delegated {
        fields.push(("delegated_admin", "yes"));
    }
    let res = app
        .post_form_with(client, "/customers/invitations", &fields)
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let draft = location(&res);
    let id = draft.rsplit('/').next().unwrap().parse().unwrap();
    let html = app.get_with(client, &draft).await.text().await.unwrap();
    let link = texts(&html, "#personal-link")
        .pop()
        .expect("the draft shows the link");
    (id, app.path_of(&link))
}

/// The relationship: its reseller, whether that reseller (or the provider, without one) holds an
/// administrator grant, and its origin.
fn relation(app: &TestApp, provider: i64, customer: i64) -> Option<(Option<i64>, bool, String)> {
    let row: Option<(Option<i64>, String)> = app.with_conn(|conn| {
        provider_customers::table
            .filter(provider_customers::provider_id.eq(provider))
            .filter(provider_customers::customer_id.eq(customer))
            .select((provider_customers::reseller_id, provider_customers::origin))
            .first(conn)
            .optional()
            .unwrap()
    });
    row.map(|(reseller, origin)| {
        let delegated = app.administers(provider, customer, reseller.unwrap_or(provider));
        (reseller, delegated, origin)
    })
}

#[tokio::test]
async fn an_emailed_invitation_is_accepted_with_delegated_administration() {
    let app = spawn_app().await;
    let (provider, reseller, customer, admin) = setup(&app).await;
    let html = app.get("/customers").await.text().await.unwrap();
    assert!(html.contains("Request a reseller relationship"));
    let (id, path) = invite(&app, &app.client, Some(reseller), true).await;
    let html = app
        .get(&format!("/customers/invitations/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        texts(&html, "#request-details dd"),
        vec!["Northwind Traders", "Yes"]
    );
    let doc = scraper::Html::parse_document(&html);
    let subject = doc
        .select(&scraper::Selector::parse("#f-subject").unwrap())
        .next()
        .unwrap()
        .value()
        .attr("value")
        .unwrap()
        .to_owned();
    let body: String = doc
        .select(&scraper::Selector::parse("#f-body").unwrap())
        .next()
        .unwrap()
        .text()
        .collect();
    assert!(body.contains("together with its indirect reseller Northwind Traders"));
    assert!(body.contains("delegated administration privileges"));
    let res = app
        .post_form(
            &format!("/customers/invitations/{id}/send"),
            &[
                ("subject", &subject),
                ("body", &body),
                ("email", "it@wideworld.example"),
            ],
        )
        .await;
    assert_redirect(&res, &format!("/customers/invitations/{id}"));

    let email = app.mail.wait_for("it@wideworld.example").await;
    assert_eq!(
        email.subject,
        "Contoso Distribution invites you to a reseller relationship"
    );
    assert!(email.text.contains(&app.url(&path)));

    // The customer's admin opens the link, sees who asks and what for, and gives delegation too.
    let html = app.get_with(&admin, &path).await.text().await.unwrap();
    assert!(html.contains("Contoso Distribution invites you to become its customer"));
    assert!(html.contains("Give Northwind Traders delegated administration privileges"));
    let res = app
        .post_form_with(
            &admin,
            &path,
            &[("decision", "accept"), ("delegation", "yes")],
        )
        .await;
    assert_redirect(&res, "/my/subscriptions");
    assert_eq!(
        relation(&app, provider, customer),
        Some((Some(reseller), true, "invited".into()))
    );
    let html = app
        .get_with(&admin, "/my/subscriptions")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Contoso Distribution is now one of your providers."));
    assert_eq!(
        texts(&html, "#providers tbody td"),
        vec!["Contoso Distribution", "Northwind Traders"]
    );
    // The delegation given in the answer is an active grant, listed with End grant.
    let rows = texts(&html, "#grants-table tbody tr");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(
        rows[0].contains("Northwind Traders") && rows[0].contains("Active"),
        "{rows:?}"
    );

    // The provider has the customer, associated with the reseller; the reseller administers it.
    let html = app
        .get(&format!("/customers?reseller={reseller}"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        texts(&html, "#customers tr.main-row td:nth-child(2)"),
        vec!["Wide World Importers"]
    );
    let wei = new_client();
    app.sign_in_with(&wei, "wei@northwind.example", PASSWORD)
        .await;
    let html = app
        .get_with(&wei, "/reseller/customers")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        texts(&html, "#customers tr.main-row td:nth-child(2)"),
        vec!["Wide World Importers"]
    );
    let told = app.mail.wait_for("alice@contoso.example").await;
    assert_eq!(
        told.subject,
        "Wide World Importers accepted your invitation"
    );
    let html = app
        .get("/customers/invitations")
        .await
        .text()
        .await
        .unwrap();
    assert!(texts(&html, "#sent-requests tbody tr")[0].contains("Accepted"));
    // The link is used now.
    assert_eq!(app.get_with(&admin, &path).await.status(), StatusCode::GONE);
}

#[tokio::test]
async fn a_copied_link_accepted_without_delegation_gives_none() {
    let app = spawn_app().await;
    let (provider, reseller, customer, admin) = setup(&app).await;
    let (_, path) = invite(&app, &app.client, Some(reseller), true).await;
    let res = app
        .post_form_with(&admin, &path, &[("decision", "accept")])
        .await;
    assert_redirect(&res, "/my/subscriptions");
    assert_eq!(
        relation(&app, provider, customer),
        Some((Some(reseller), false, "invited".into()))
    );
    let wei = new_client();
    app.sign_in_with(&wei, "wei@northwind.example", PASSWORD)
        .await;
    let html = app
        .get_with(&wei, "/reseller/customers")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        texts(&html, "#customers tbody").is_empty(),
        "no delegation, no administration"
    );
    let (delegation,): (Option<bool>,) = app.with_conn(|conn| {
        relationship_requests::table
            .filter(relationship_requests::kind.eq(RequestKind::CustomerInvitation))
            .select((relationship_requests::delegation_accepted,))
            .first(conn)
            .unwrap()
    });
    assert_eq!(delegation, Some(false));
}

#[tokio::test]
async fn the_provider_cannot_give_a_reseller_the_delegation_the_customer_withheld() {
    let app = spawn_app().await;
    let (provider, reseller, customer, admin) = setup(&app).await;
    let (_, path) = invite(&app, &app.client, Some(reseller), true).await;
    let res = app
        .post_form_with(&admin, &path, &[("decision", "accept")])
        .await;
    assert_redirect(&res, "/my/subscriptions");
    let page = format!("/customers/{customer}");
    // Tenant-owner rights need delegated administration, which the customer withheld.
    let res = app
        .post_form(&format!("{page}/tenant-owner"), &[("tenant_owner", "yes")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert_eq!(
        texts(&html, "#f-tenant_owner-error"),
        vec![
            "Tenant owner permissions for Azure need the reseller to hold an active Subscription administrator grant on this customer."
        ]
    );
    // Removing the reseller and choosing it again does not bring delegation either.
    let res = app
        .post_form(&format!("{page}/reseller"), &[("reseller", "")])
        .await;
    assert_redirect(&res, &page);
    let res = app
        .post_form(
            &format!("{page}/reseller"),
            &[("reseller", &reseller.to_string())],
        )
        .await;
    assert_redirect(&res, &page);
    assert_eq!(
        relation(&app, provider, customer),
        Some((Some(reseller), false, "invited".into()))
    );
    let html = app.html(&page).await;
    assert_eq!(
        texts(&html, "#delegated-admin"),
        vec!["Delegated administration: No"]
    );
    assert_eq!(
        texts(&html, "#delegation-needed"),
        vec![
            "This reseller holds no active Subscription administrator grant on the customer: request one below, or wait for the customer to approve the request."
        ]
    );
    let res = app
        .post_form(&format!("{page}/tenant-owner"), &[("tenant_owner", "yes")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let tenant_owner: bool = app.with_conn(|conn| {
        provider_customers::table
            .filter(provider_customers::customer_id.eq(customer))
            .select(provider_customers::azure_tenant_owner)
            .first(conn)
            .unwrap()
    });
    assert!(!tenant_owner);
}

#[tokio::test]
async fn declining_changes_nothing_and_closes_the_link() {
    let app = spawn_app().await;
    let (provider, _, customer, admin) = setup(&app).await;
    let (_, path) = invite(&app, &app.client, None, false).await;
    let html = app.get_with(&admin, &path).await.text().await.unwrap();
    assert!(
        !html.contains("delegated administration privileges"),
        "nothing asked, nothing offered"
    );
    let res = app
        .post_form_with(&admin, &path, &[("decision", "decline")])
        .await;
    assert_redirect(&res, "/my/subscriptions");
    assert_eq!(relation(&app, provider, customer), None);
    assert_eq!(app.get_with(&admin, &path).await.status(), StatusCode::GONE);
    let told = app.mail.wait_for("alice@contoso.example").await;
    assert_eq!(
        told.subject,
        "Wide World Importers declined your invitation"
    );
}

#[tokio::test]
async fn only_a_customer_admin_may_answer() {
    let app = spawn_app().await;
    let (provider, _, customer, _) = setup(&app).await;
    let (id, path) = invite(&app, &app.client, None, false).await;
    app.create_operator("olivia@platform.example");
    for email in [
        "alice@contoso.example",
        "wei@northwind.example",
        "olivia@platform.example",
    ] {
        let client = new_client();
        app.sign_in_with(&client, email, PASSWORD).await;
        let res = app.get_with(&client, &path).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{email}");
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("administrator account can answer this invitation.")
        );
        let res = app
            .post_form_with(&client, &path, &[("decision", "accept")])
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{email}");
    }
    assert_eq!(relation(&app, provider, customer), None);
    let status: String = app.with_conn(|conn| {
        relationship_requests::table
            .find(id)
            .select(relationship_requests::status)
            .first(conn)
            .unwrap()
    });
    assert_eq!(status, "pending");
    // Signed out: sign in or sign up, and come back.
    let visitor = new_client();
    let html = app.get_with(&visitor, &path).await.text().await.unwrap();
    assert!(html.contains(&format!("/customers/sign-up?next={path}")));
    assert!(html.contains(&format!("/sign-in?next={path}")));
}

#[tokio::test]
async fn signing_up_from_the_link_comes_back_to_it() {
    let app = spawn_app().await;
    let provider = app.create_provider("alice@contoso.example").id;
    app.signed_in("alice@contoso.example").await;
    let (_, path) = invite(&app, &app.client, None, false).await;
    let newcomer = new_client();
    let res = app
        .post_form_with(
            &newcomer,
            "/customers/sign-up",
            &[
                ("company_name", "Proseware"),
                ("domain_prefix", "proseware"),
                ("country", "US"),
                ("contact_first_name", "Lee"),
                ("contact_last_name", "Wu"),
                ("email", "lee@proseware.example"),
                ("password", PASSWORD),
                ("confirm_password", PASSWORD),
                ("next", &path),
            ],
        )
        .await;
    assert_redirect(&res, &path);
    let res = app
        .post_form_with(&newcomer, &path, &[("decision", "accept")])
        .await;
    assert_redirect(&res, "/my/subscriptions");
    let customer: i64 =
        app.with_conn(|conn| customers::table.select(customers::id).first(conn).unwrap());
    assert_eq!(
        relation(&app, provider, customer),
        Some((None, false, "invited".into()))
    );
}

#[tokio::test]
async fn bad_sign_ups_come_back_with_a_message_per_field() {
    let app = spawn_app().await;
    let (_, _, _, _) = setup(&app).await;
    let base = [
        ("company_name", "Proseware"),
        ("domain_prefix", "proseware"),
        ("country", "US"),
        ("contact_first_name", "Lee"),
        ("contact_last_name", "Wu"),
        ("email", "lee@proseware.example"),
        ("password", PASSWORD),
        ("confirm_password", PASSWORD),
    ];
    let with = |k: &'static str, v: &'static str| -> Vec<(&'static str, &'static str)> {
        base.iter()
            .map(|(bk, bv)| if *bk == k { (*bk, v) } else { (*bk, *bv) })
            .collect()
    };
    let cases: Vec<FieldCase> = vec![
        (
            with("company_name", ""),
            "company_name",
            "This field is required.",
        ),
        (
            with("domain_prefix", "wideworld"),
            "domain_prefix",
            "This domain is already taken. Choose another prefix.",
        ),
        (
            with("domain_prefix", "no spaces"),
            "domain_prefix",
            "Use 3 to 27 letters a–z, digits and hyphens, not starting or ending with a hyphen.",
        ),
        (
            with("email", "it@wideworld.example"),
            "email",
            "An account with this email already exists. Sign in instead.",
        ),
        (
            with("password", "short"),
            "password",
            "Use at least 12 characters.",
        ),
        (with("country", ""), "country", "This field is required."),
    ];
    for (form, field, message) in cases {
        let res = app
            .post_form_with(&new_client(), "/customers/sign-up", &form)
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        let html = res.text().await.unwrap();
        assert_eq!(
            texts(&html, &format!("#f-{field}-error")),
            vec![message],
            "{field}"
        );
        assert!(html.contains(r#"value="Lee""#), "values kept");
    }
    let n: i64 = app.with_conn(|conn| customers::table.count().get_result(conn).unwrap());
    assert_eq!(n, 1);
}

#[tokio::test]
async fn a_customer_of_two_providers_shows_each_only_its_own_subscriptions() {
    let app = spawn_app().await;
    let (provider_a, _, customer, admin) = setup(&app).await;
    let offer = app.create_offer("Microsoft 365 E3", 3600, 1, 100);
    let (_, path) = invite(&app, &app.client, None, false).await;
    app.post_form_with(&admin, &path, &[("decision", "accept")])
        .await;
    let sub_a = app.add_subscription(provider_a, customer, offer, 5, None);

    let provider_b = app.create_partner(
        PartnerKind::Provider,
        "Fabrikam Cloud Supply",
        EnrollmentStatus::Verified,
    );
    app.create_user(
        "bob@fabrikam.example",
        Role::Provider,
        Some(provider_b),
        false,
    );
    let bob = new_client();
    app.sign_in_with(&bob, "bob@fabrikam.example", PASSWORD)
        .await;
    let (_, path_b) = invite(&app, &bob, None, false).await;
    let res = app
        .post_form_with(&admin, &path_b, &[("decision", "accept")])
        .await;
    assert_redirect(&res, "/my/subscriptions");
    assert!(relation(&app, provider_b, customer).is_some());

    let html = app
        .get_with(&bob, &format!("/customers/{customer}"))
        .await
        .text()
        .await
        .unwrap();
    assert_empty_state(&html, "customers.no_subscriptions");
    assert!(
        texts(&html, "#subscriptions tbody tr").is_empty(),
        "B sees none of A's subscriptions"
    );
    assert_eq!(
        app.get_with(&bob, &format!("/subscriptions/{sub_a}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let html = app
        .get(&format!("/customers/{customer}"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(texts(&html, "#subscriptions tbody tr").len(), 1);
    let html = app
        .get_with(&admin, "/my/subscriptions")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(texts(&html, "#providers tbody tr").len(), 2);

    // A second invitation from A to its own customer changes nothing.
    let (_, again) = invite(&app, &app.client, None, false).await;
    let html = app.get_with(&admin, &again).await.text().await.unwrap();
    assert!(
        html.contains("You are already a customer of Contoso Distribution. Nothing was changed.")
    );
}

#[tokio::test]
async fn revoked_expired_and_replaced_invitation_links_are_refused() {
    let app = spawn_app().await;
    let (provider, _, customer, admin) = setup(&app).await;
    let (first, first_path) = invite(&app, &app.client, None, false).await;
    app.post_form(&format!("/customers/invitations/{first}/revoke"), &[])
        .await;
    let res = app.get_with(&admin, &first_path).await;
    assert_eq!(res.status(), StatusCode::GONE);
    assert!(res.text().await.unwrap().contains("revoked"));

    let (second, second_path) = invite(&app, &app.client, None, false).await;
    app.with_conn(|conn| {
        diesel::update(relationship_requests::table.find(second))
            .set(
                relationship_requests::expires_at
                    .eq(partner_dashboard::db::now() - chrono::Duration::minutes(1)),
            )
            .execute(conn)
            .unwrap()
    });
    assert_eq!(
        app.get_with(&admin, &second_path).await.status(),
        StatusCode::GONE
    );
    let res = app
        .post_form_with(&admin, &second_path, &[("decision", "accept")])
        .await;
    assert_eq!(res.status(), StatusCode::GONE);

    let (third, third_path) = invite(&app, &app.client, None, false).await;
    let res = app
        .post_form(&format!("/customers/invitations/{third}/resend"), &[])
        .await;
    let html = app.get(&location(&res)).await.text().await.unwrap();
    let new_link = app.path_of(&texts(&html, "#personal-link").pop().unwrap());
    assert_eq!(
        app.get_with(&admin, &third_path).await.status(),
        StatusCode::GONE
    );
    assert_eq!(
        app.get_with(&admin, &new_link).await.status(),
        StatusCode::OK
    );
    assert_eq!(relation(&app, provider, customer), None);
}

#[tokio::test]
async fn every_post_of_the_invitation_flow_needs_the_csrf_token() {
    let app = spawn_app().await;
    let (provider, _, customer, _) = setup(&app).await;
    let (id, path) = invite(&app, &app.client, None, false).await;
    for action in [
        "/customers/invitations".to_owned(),
        format!("/customers/invitations/{id}/send"),
        format!("/customers/invitations/{id}/done"),
        format!("/customers/invitations/{id}/resend"),
        format!("/customers/invitations/{id}/revoke"),
        "/customers/sign-up".to_owned(),
        path.clone(),
    ] {
        let res = app
            .post_raw(&action, &[("decision", "accept")], HeaderMap::new())
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{action}");
    }
    assert_eq!(relation(&app, provider, customer), None);
    let n: i64 = app.with_conn(|conn| {
        relationship_requests::table
            .filter(relationship_requests::kind.eq(RequestKind::CustomerInvitation))
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(n, 1);
}

#[tokio::test]
async fn the_invitation_reads_in_traditional_chinese() {
    let app = spawn_app().await;
    let (_, reseller, _, admin) = setup(&app).await;
    app.post_form("/language", &[("locale", "zh-TW")]).await;
    let html = app.get("/customers").await.text().await.unwrap();
    assert!(html.contains("邀請現有客戶"));
    assert!(
        !html.contains("要求建立經銷商關係"),
        "never the partnership button's words"
    );
    let (id, path) = invite(&app, &app.client, Some(reseller), true).await;
    let html = app
        .get(&format!("/customers/invitations/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Contoso Distribution 邀請您建立經銷商關係"));
    for label in ["在電子郵件中開啟", "複製到剪貼簿", "傳送電子郵件", "完成"]
    {
        assert!(html.contains(label), "{label}");
    }
    app.post_form_with(&admin, "/language", &[("locale", "zh-TW")])
        .await;
    let html = app.get_with(&admin, &path).await.text().await.unwrap();
    assert!(html.contains("Contoso Distribution 邀請您成為其客戶"));
    assert!(html.contains("授予 Northwind Traders 委派的系統管理權限"));
}
