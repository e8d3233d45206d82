use diesel::prelude::*;

use partner_dashboard::db::schema::{activity_log, partnerships, relationship_requests};
use partner_dashboard::domain::{EnrollmentStatus, Role};
use reqwest::StatusCode;

use crate::helpers::*;

/// A provider with a request made (signed in on `app.client`); returns (provider, request id, link path).
async fn provider_with_request(app: &TestApp) -> (i64, i64, String) {
    let provider = app.create_provider("alice@contoso.example").id;
    app.signed_in("alice@contoso.example").await;
    let (id, link) = app.request_partnership().await;
    (provider, id, app.path_of(&link))
}

fn partnerships_of(app: &TestApp, provider: i64) -> i64 {
    app.with_conn(|conn| {
        partnerships::table
            .filter(partnerships::provider_id.eq(provider))
            .filter(partnerships::status.eq("active"))
            .count()
            .get_result(conn)
            .unwrap()
    })
}

fn status_of(app: &TestApp, id: i64) -> String {
    app.with_conn(|conn| {
        relationship_requests::table
            .find(id)
            .select(relationship_requests::status)
            .first(conn)
            .unwrap()
    })
}

async fn reseller_client(
    app: &TestApp,
    email: &str,
    status: EnrollmentStatus,
) -> (i64, reqwest::Client) {
    let reseller = app.create_reseller(email, status).id;
    let client = new_client();
    app.sign_in_with(&client, email, PASSWORD).await;
    (reseller, client)
}

#[tokio::test]
async fn a_signed_out_visitor_is_asked_to_sign_in_or_enroll_and_comes_back() {
    let app = spawn_app().await;
    let (_, _, path) = provider_with_request(&app).await;
    app.create_reseller("wei@northwind.example", EnrollmentStatus::Verified);

    let visitor = new_client();
    let res = app.get_with(&visitor, &path).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("Contoso Distribution asks you to partner with them"));
    assert_eq!(
        texts(&html, "ul.permissions li"),
        vec![
            "Add new customers on your behalf",
            "Submit orders on behalf of your customers",
            "Associate you with subscriptions, so you can manage them on behalf of the customers who purchased them",
            "Designate you as the customer's support contact for specific subscriptions",
        ]
    );
    assert!(html.contains(&format!("/sign-in?next={path}")));
    assert!(html.contains(&format!("/enroll?next={path}")));

    let res = app
        .post_form_with(
            &visitor,
            "/sign-in",
            &[
                ("email", "wei@northwind.example"),
                ("password", PASSWORD),
                ("next", &path),
            ],
        )
        .await;
    assert_redirect(&res, &path);
    let html = app.get_with(&visitor, &path).await.text().await.unwrap();
    assert!(html.contains("Authorize indirect provider"));
}

#[tokio::test]
async fn the_box_must_be_ticked_to_authorize() {
    let app = spawn_app().await;
    let (provider, id, path) = provider_with_request(&app).await;
    let (_, wei) = reseller_client(&app, "wei@northwind.example", EnrollmentStatus::Verified).await;
    let res = app
        .post_form_with(&wei, &path, &[("decision", "accept")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert_eq!(
        texts(&html, "#f-authorize-error"),
        vec!["Tick the box to authorize the provider, or select Decline."]
    );
    assert_eq!(partnerships_of(&app, provider), 0);
    assert_eq!(status_of(&app, id), "pending");
}

#[tokio::test]
async fn a_link_works_once() {
    let app = spawn_app().await;
    let (provider, id, path) = provider_with_request(&app).await;
    let (reseller, wei) =
        reseller_client(&app, "wei@northwind.example", EnrollmentStatus::Verified).await;
    let res = app
        .post_form_with(&wei, &path, &[("decision", "accept"), ("authorize", "yes")])
        .await;
    assert_redirect(&res, "/indirect-providers");
    assert_eq!(status_of(&app, id), "accepted");
    assert_eq!(partnerships_of(&app, provider), 1);
    let logged: Vec<(String, Option<i64>, Option<i64>)> = app.with_conn(|conn| {
        activity_log::table
            .filter(activity_log::action.eq("partnership.accepted"))
            .select((
                activity_log::action,
                activity_log::provider_id,
                activity_log::reseller_id,
            ))
            .load(conn)
            .unwrap()
    });
    assert_eq!(
        logged,
        vec![(
            "partnership.accepted".to_owned(),
            Some(provider),
            Some(reseller)
        )]
    );

    // Used: another reseller, or the same one again, gets 410 and nothing changes.
    let (_, tom) = reseller_client(&app, "tom@tailspin.example", EnrollmentStatus::Verified).await;
    for client in [&wei, &tom] {
        let res = app.get_with(client, &path).await;
        assert_eq!(res.status(), StatusCode::GONE);
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("This link has already been used.")
        );
        let res = app
            .post_form_with(
                client,
                &path,
                &[("decision", "accept"), ("authorize", "yes")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::GONE);
    }
    assert_eq!(partnerships_of(&app, provider), 1);
}

#[tokio::test]
async fn expired_revoked_and_replaced_links_each_say_why() {
    let app = spawn_app().await;
    let (_, first, first_path) = provider_with_request(&app).await;
    let (_, wei) = reseller_client(&app, "wei@northwind.example", EnrollmentStatus::Verified).await;

    // Expired (a request that was shared: a draft never shared is not listed once its day is over).
    app.with_conn(|conn| {
        diesel::update(relationship_requests::table.find(first))
            .set((
                relationship_requests::expires_at
                    .eq(partner_dashboard::db::now() - chrono::Duration::minutes(1)),
                relationship_requests::shared_at.eq(Some(partner_dashboard::db::now())),
            ))
            .execute(conn)
            .unwrap()
    });
    let res = app.get_with(&wei, &first_path).await;
    assert_eq!(res.status(), StatusCode::GONE);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("This partnership link has expired.")
    );
    let html = app.get("/indirect-resellers").await.text().await.unwrap();
    assert!(texts(&html, "#sent-requests tbody tr")[0].contains("Expired"));

    // Revoked.
    let (second, second_link) = app.request_partnership().await;
    let second_path = app.path_of(&second_link);
    let res = app
        .post_form(
            &format!("/indirect-resellers/requests/{second}/revoke"),
            &[],
        )
        .await;
    assert_redirect(&res, "/indirect-resellers");
    let res = app.get_with(&wei, &second_path).await;
    assert_eq!(res.status(), StatusCode::GONE);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("The provider revoked this request")
    );

    // Resent: the old link is replaced, the new one works.
    let res = app
        .post_form(&format!("/indirect-resellers/requests/{first}/resend"), &[])
        .await;
    let new_draft = location(&res);
    assert_ne!(new_draft, format!("/indirect-resellers/requests/{first}"));
    let html = app.get(&new_draft).await.text().await.unwrap();
    assert!(html.contains("A new link was made; the old link no longer works."));
    let new_link = texts(&html, "#personal-link").pop().unwrap();
    let res = app.get_with(&wei, &first_path).await;
    assert_eq!(res.status(), StatusCode::GONE);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("This link was replaced by a newer one.")
    );
    assert_eq!(
        app.get_with(&wei, &app.path_of(&new_link)).await.status(),
        StatusCode::OK
    );
    assert_eq!(status_of(&app, first), "superseded");

    // An unknown link is simply not found.
    let res = app
        .get_with(
            &wei,
            "/partnerships/accept/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn only_a_verified_reseller_can_accept_and_everyone_else_is_told_why() {
    let app = spawn_app().await;
    let (provider, id, path) = provider_with_request(&app).await;
    // The provider itself, an operator, a customer admin: a reseller account is needed.
    let other_provider = app.create_partner(
        partner_dashboard::domain::PartnerKind::Provider,
        "Fabrikam",
        EnrollmentStatus::Verified,
    );
    app.create_user(
        "bob@fabrikam.example",
        Role::Provider,
        Some(other_provider),
        false,
    );
    app.create_operator("olivia@platform.example");
    app.create_customer_admin("admin@wingtip.example", false);
    for email in [
        "bob@fabrikam.example",
        "olivia@platform.example",
        "admin@wingtip.example",
    ] {
        let client = new_client();
        app.sign_in_with(&client, email, PASSWORD).await;
        let res = app.get_with(&client, &path).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{email}");
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("Only an indirect reseller account can accept a partnership request.")
        );
        let res = app
            .post_form_with(
                &client,
                &path,
                &[("decision", "accept"), ("authorize", "yes")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{email}");
    }
    // The provider's own user is told the same.
    let res = app.get(&path).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let (_, pending) =
        reseller_client(&app, "ken@litware.example", EnrollmentStatus::Pending).await;
    // A reseller still waiting for its verification is told that the request waits for it (and
    // finds it on its home), but cannot answer yet.
    let res = app.get_with(&pending, &path).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert_eq!(texts(&html, "#awaiting-verification").len(), 1);
    let home = app.html_with(&pending, "/indirect-providers").await;
    assert_eq!(texts(&home, "#waiting-requests li").len(), 1);
    let res = app
        .post_form_with(
            &pending,
            &path,
            &[("decision", "accept"), ("authorize", "yes")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("has not been verified yet")
    );

    let (_, rejected) =
        reseller_client(&app, "rex@rejected.example", EnrollmentStatus::Rejected).await;
    let res = app.get_with(&rejected, &path).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.text().await.unwrap().contains("was not approved"));

    assert_eq!(partnerships_of(&app, provider), 0);
    assert_eq!(status_of(&app, id), "pending");
}

#[tokio::test]
async fn an_already_partnered_reseller_is_told_so_and_nothing_changes() {
    let app = spawn_app().await;
    let (provider, id, path) = provider_with_request(&app).await;
    let (reseller, wei) =
        reseller_client(&app, "wei@northwind.example", EnrollmentStatus::Verified).await;
    app.partner(provider, reseller);
    let res = app.get_with(&wei, &path).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("You are already partnered with Contoso Distribution. Nothing was changed.")
    );
    assert!(!html.contains("Authorize indirect provider"));
    let res = app
        .post_form_with(&wei, &path, &[("decision", "accept"), ("authorize", "yes")])
        .await;
    assert_redirect(&res, "/indirect-providers");
    assert_eq!(status_of(&app, id), "pending");
    assert_eq!(partnerships_of(&app, provider), 1);
}

#[tokio::test]
async fn declining_closes_the_link_and_tells_the_provider() {
    let app = spawn_app().await;
    let (provider, id, path) = provider_with_request(&app).await;
    let (_, wei) = reseller_client(&app, "wei@northwind.example", EnrollmentStatus::Verified).await;
    let res = app
        .post_form_with(&wei, &path, &[("decision", "decline")])
        .await;
    assert_redirect(&res, "/indirect-providers");
    assert_eq!(status_of(&app, id), "declined");
    assert_eq!(partnerships_of(&app, provider), 0);
    let email = app.mail.wait_for("alice@contoso.example").await;
    assert_eq!(
        email.subject,
        "Northwind Traders declined your partnership request"
    );
    assert_eq!(app.get_with(&wei, &path).await.status(), StatusCode::GONE);
}

#[tokio::test]
async fn accepting_twice_at_once_makes_one_partnership() {
    let app = spawn_app().await;
    let (provider, _, path) = provider_with_request(&app).await;
    let (_, wei) = reseller_client(&app, "wei@northwind.example", EnrollmentStatus::Verified).await;
    let token = app.csrf_token_with(&wei).await;
    let post = || {
        wei.post(app.url(&path))
            .form(&[
                ("csrf_token", token.as_str()),
                ("decision", "accept"),
                ("authorize", "yes"),
            ])
            .send()
    };
    let (a, b, c) = tokio::join!(post(), post(), post());
    // Each answer is a redirect (accepted, or "already partnered") or 410 (the link was just used);
    // whatever the interleaving, there is one partnership and one acceptance in the log.
    for r in [a, b, c] {
        let status = r.unwrap().status().as_u16();
        assert!(status == 303 || status == 410, "{status}");
    }
    assert_eq!(partnerships_of(&app, provider), 1);
    let accepted: i64 = app.with_conn(|conn| {
        activity_log::table
            .filter(activity_log::action.eq("partnership.accepted"))
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(accepted, 1);
}

#[tokio::test]
async fn a_removed_partnership_can_be_made_again_with_a_new_request() {
    let app = spawn_app().await;
    let (provider, _, path) = provider_with_request(&app).await;
    let (reseller, wei) =
        reseller_client(&app, "wei@northwind.example", EnrollmentStatus::Verified).await;
    let res = app
        .post_form_with(&wei, &path, &[("decision", "accept"), ("authorize", "yes")])
        .await;
    assert_redirect(&res, "/indirect-providers");
    assert_eq!(partnerships_of(&app, provider), 1, "the first acceptance");
    let res = app
        .post_form(&format!("/indirect-resellers/{reseller}/remove"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(partnerships_of(&app, provider), 0);
    let (_, link) = app.request_partnership().await;
    let res = app
        .post_form_with(
            &wei,
            &app.path_of(&link),
            &[("decision", "accept"), ("authorize", "yes")],
        )
        .await;
    assert_redirect(&res, "/indirect-providers");
    assert_eq!(partnerships_of(&app, provider), 1);
    let rows: i64 = app.with_conn(|conn| partnerships::table.count().get_result(conn).unwrap());
    assert_eq!(
        rows, 1,
        "the old partnership is active again, not duplicated"
    );
}

#[tokio::test]
async fn a_reseller_sees_only_its_own_providers() {
    let app = spawn_app().await;
    let contoso = app.create_provider("alice@contoso.example").id;
    let fabrikam = app.create_partner(
        partner_dashboard::domain::PartnerKind::Provider,
        "Fabrikam Cloud Supply",
        EnrollmentStatus::Verified,
    );
    let (northwind, wei) =
        reseller_client(&app, "wei@northwind.example", EnrollmentStatus::Verified).await;
    let (tailspin, tom) =
        reseller_client(&app, "tom@tailspin.example", EnrollmentStatus::Verified).await;
    app.partner(contoso, northwind);
    app.partner(fabrikam, tailspin);

    let html = app
        .get_with(&wei, "/indirect-providers")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        texts(&html, "#providers tbody td:first-child"),
        vec!["Contoso Distribution"]
    );
    let html = app
        .get_with(&tom, "/indirect-providers")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        texts(&html, "#providers tbody td:first-child"),
        vec!["Fabrikam Cloud Supply"]
    );
    // Provider pages do not exist for a reseller.
    assert_eq!(
        app.get_with(&tom, "/indirect-resellers").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn an_emailed_request_shows_on_the_resellers_page_until_answered() {
    let app = spawn_app().await;
    let (_, id, _) = provider_with_request(&app).await;
    let (_, wei) = reseller_client(&app, "wei@northwind.example", EnrollmentStatus::Verified).await;
    let html = app
        .get(&format!("/indirect-resellers/requests/{id}"))
        .await
        .text()
        .await
        .unwrap();
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
    app.post_form(
        &format!("/indirect-resellers/requests/{id}/send"),
        &[
            ("subject", &subject),
            ("body", &body),
            ("email", "WEI@northwind.example"),
        ],
    )
    .await;
    let html = app
        .get_with(&wei, "/indirect-providers")
        .await
        .text()
        .await
        .unwrap();
    let rows = texts(&html, "#pending-requests tbody tr");
    assert_eq!(rows.len(), 1);
    assert!(rows[0].contains("Contoso Distribution"));
}

#[tokio::test]
async fn every_post_of_this_flow_needs_the_csrf_token() {
    use reqwest::header::HeaderMap;
    let app = spawn_app().await;
    let (provider, id, path) = provider_with_request(&app).await;
    let reseller = app
        .create_reseller("wei@northwind.example", EnrollmentStatus::Verified)
        .id;
    app.partner(provider, reseller);
    let count_requests = || -> i64 {
        app.with_conn(|conn| {
            relationship_requests::table
                .count()
                .get_result(conn)
                .unwrap()
        })
    };
    let requests_before = count_requests();
    for action in [
        "/indirect-resellers/requests".to_owned(),
        format!("/indirect-resellers/requests/{id}/send"),
        format!("/indirect-resellers/requests/{id}/done"),
        format!("/indirect-resellers/requests/{id}/resend"),
        format!("/indirect-resellers/requests/{id}/revoke"),
        format!("/indirect-resellers/{reseller}/remove"),
        path.clone(),
        "/enroll".to_owned(),
    ] {
        let res = app
            .post_raw(
                &action,
                &[("decision", "accept"), ("authorize", "yes")],
                HeaderMap::new(),
            )
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{action}");
    }
    assert_eq!(status_of(&app, id), "pending");
    assert_eq!(partnerships_of(&app, provider), 1);
    assert_eq!(count_requests(), requests_before, "no request was made");
}

fn made_ago(app: &TestApp, id: i64, ago: chrono::Duration) {
    app.with_conn(|conn| {
        diesel::update(relationship_requests::table.find(id))
            .set(relationship_requests::created_at.eq(partner_dashboard::db::now() - ago))
            .execute(conn)
            .unwrap()
    });
}

/// A request opened with Request a partnership is a draft: listed apart, working for a day, gone
/// after it unless shared — by Done (with a label) or Send email.
#[tokio::test]
async fn a_draft_is_listed_apart_until_shared_and_stops_working_a_day_after_it_was_made() {
    let app = spawn_app().await;
    let (_, draft, draft_path) = provider_with_request(&app).await;
    let (_, wei) = reseller_client(&app, "wei@northwind.example", EnrollmentStatus::Verified).await;
    let page = app
        .get(&format!("/indirect-resellers/requests/{draft}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(texts(&page, "#draft-state")[0].contains("24 hours"));
    let html = app.get("/indirect-resellers").await.text().await.unwrap();
    let rows = texts(&html, "#draft-requests tbody tr");
    assert_eq!(rows.len(), 1);
    assert!(rows[0].contains("No label"), "{rows:?}");
    assert!(
        texts(&html, "#sent-requests tbody tr").is_empty(),
        "not among the sent"
    );

    // It works for its day: a second before the end, and not at it.
    made_ago(
        &app,
        draft,
        chrono::Duration::hours(24) - chrono::Duration::seconds(5),
    );
    assert_eq!(
        app.get_with(&wei, &draft_path).await.status(),
        StatusCode::OK
    );
    made_ago(&app, draft, chrono::Duration::hours(24));
    let res = app.get_with(&wei, &draft_path).await;
    assert_eq!(res.status(), StatusCode::GONE);
    assert!(res.text().await.unwrap().contains("expired"));
    let html = app.get("/indirect-resellers").await.text().await.unwrap();
    assert!(texts(&html, "#draft-requests tbody tr").is_empty());
    assert!(texts(&html, "#sent-requests tbody tr").is_empty());

    // Done with a label: shared, listed with it, and working past the draft's day.
    let (shared, link) = app.request_partnership().await;
    let too_long = "x".repeat(101);
    let res = app
        .post_form(
            &format!("/indirect-resellers/requests/{shared}/done"),
            &[("label", too_long.as_str()), ("subject", "Kept subject")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert_eq!(
        attrs(&html, "#f-label", "value"),
        vec![too_long.clone()],
        "the label as typed"
    );
    let res = app
        .post_form(
            &format!("/indirect-resellers/requests/{shared}/done"),
            &[("label", "  Northwind (Wei)  ")],
        )
        .await;
    assert_redirect(&res, "/indirect-resellers");
    made_ago(&app, shared, chrono::Duration::hours(30));
    assert_eq!(
        app.get_with(&wei, &app.path_of(&link)).await.status(),
        StatusCode::OK
    );
    let html = app.get("/indirect-resellers").await.text().await.unwrap();
    let rows = texts(&html, "#sent-requests tbody tr");
    assert_eq!(rows.len(), 1);
    assert!(
        rows[0].contains("Northwind (Wei)") && rows[0].contains("Pending"),
        "{rows:?}"
    );

    // Send email shares it too, with its label.
    let (sent, link) = app.request_partnership().await;
    let body = format!("Please accept: {link}");
    let res = app
        .post_form(
            &format!("/indirect-resellers/requests/{sent}/send"),
            &[
                ("subject", "Partnership"),
                ("body", body.as_str()),
                ("email", "wei@northwind.example"),
                ("label", "Wei by email"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    made_ago(&app, sent, chrono::Duration::hours(30));
    let html = app.get("/indirect-resellers").await.text().await.unwrap();
    let rows = texts(&html, "#sent-requests tbody tr");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows[0].contains("Wei by email") && rows[0].contains("wei@northwind.example"));
}
