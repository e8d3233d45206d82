//! Team (issue 16): invitations by email and their link (once, 7 days, revocable, Resend makes a new
//! one), roles that decide the menu and the page's actions, the last admin kept, and deactivation
//! ending a member's sessions at once.

use reqwest::StatusCode;

use crate::helpers::*;
use partner_dashboard::domain::{EnrollmentStatus, MemberRole};

/// The link in an invitation email.
fn link_in(text: &str) -> String {
    let start = text.find("http").expect("a link");
    let link: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    assert!(link.contains("/team/join/"), "{link}");
    link
}

async fn invite(app: &TestApp, email: &str, role: &str) -> String {
    let res = app
        .post_form("/team/invitations", &[("email", email), ("role", role)])
        .await;
    assert_redirect(&res, "/team");
    let message = app.mail.wait_for(email).await;
    app.path_of(&link_in(&message.text))
}

async fn join(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    name: &str,
) -> reqwest::Response {
    let token = {
        let html = app.html_with(client, path).await;
        csrf_in(&html).expect("a form")
    };
    client
        .post(app.url(path))
        .header("Origin", &app.address)
        .form(&[
            ("csrf_token", token.as_str()),
            ("display_name", name),
            ("new_password", "a new long password"),
            ("confirm_password", "a new long password"),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_invited_member_joins_once_with_the_role_invited_and_sees_what_it_allows() {
    let app = spawn_app().await;
    let provider = app.create_provider("alice@contoso.example");
    app.signed_in("alice@contoso.example").await;
    let path = invite(&app, "hana@contoso.example", "helpdesk").await;
    let html = app.html("/team").await;
    assert_eq!(
        texts(&html, "#team-invitations td.mono"),
        ["hana@contoso.example"]
    );

    // Signed out, the link shows who invites and to what.
    let hana = new_client();
    let html = app.html_with(&hana, &path).await;
    assert!(html.contains("Contoso Distribution"), "{html}");
    assert!(html.contains("Helpdesk agent"), "{html}");
    let res = join(&app, &hana, &path, "Hana Lin").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let home = app.html_with(&hana, "/").await;
    assert!(home.contains("Hana Lin"), "signed in");
    // The helpdesk agent's menu: customers, not orders, money or Team.
    let menu = texts(&home, "#menu-list a");
    assert!(menu.iter().any(|m| m == "Customers"), "{menu:?}");
    for hidden in ["Orders", "Statements", "Price list", "Margins", "Team"] {
        assert!(!menu.iter().any(|m| m == hidden), "{hidden} in {menu:?}");
    }
    assert_eq!(
        app.get_with(&hana, "/orders").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get_with(&hana, "/team").await.status(),
        StatusCode::NOT_FOUND
    );
    let member = app.with_conn(|conn| {
        partner_dashboard::db::models::user::User::find_by_email(
            conn,
            &partner_dashboard::domain::Email::parse("hana@contoso.example").unwrap(),
        )
        .unwrap()
        .unwrap()
    });
    assert_eq!(member.team_role, MemberRole::Helpdesk);
    assert_eq!(member.partner_id, Some(provider.id));

    // The link worked once.
    let again = new_client();
    let (status, html) = {
        let res = app.get_with(&again, &path).await;
        (res.status(), res.text().await.unwrap())
    };
    assert_eq!(status, StatusCode::GONE);
    assert!(html.contains("no longer valid"), "{html}");
    // The Team page lists the member, and no pending invitation.
    let html = app.html("/team").await;
    assert!(texts(&html, "#team-members td.mono").contains(&"hana@contoso.example".to_owned()));
    assert!(texts(&html, "#team-invitations td").is_empty());
}

#[tokio::test]
async fn an_invitation_works_for_seven_days_and_not_after_revoke_or_resend() {
    let app = spawn_app().await;
    app.create_provider("alice@contoso.example");
    app.signed_in("alice@contoso.example").await;
    let start = app.state.now();
    let path = invite(&app, "sam@contoso.example", "sales").await;
    app.state
        .clock
        .set(start + chrono::Duration::days(7) - chrono::Duration::minutes(1));
    assert_eq!(
        app.get_with(&new_client(), &path).await.status(),
        StatusCode::OK
    );
    app.state
        .clock
        .set(start + chrono::Duration::days(7) + chrono::Duration::minutes(1));
    assert_eq!(
        app.get_with(&new_client(), &path).await.status(),
        StatusCode::GONE
    );

    // Resend: a new link, 7 more days; the old one stays dead.
    let id = app.with_conn(|conn| {
        use diesel::prelude::*;
        use partner_dashboard::db::schema::team_invitations;
        team_invitations::table
            .select(team_invitations::id)
            .first::<i64>(conn)
            .unwrap()
    });
    let res = app
        .post_form(&format!("/team/invitations/{id}/resend"), &[])
        .await;
    assert_redirect(&res, "/team");
    eventually("a second email", || {
        app.mail.received_by("sam@contoso.example").len() == 2
    })
    .await;
    let fresh = app.path_of(&link_in(
        &app.mail.received_by("sam@contoso.example")[1].text,
    ));
    assert_ne!(fresh, path);
    assert_eq!(
        app.get_with(&new_client(), &path).await.status(),
        StatusCode::GONE
    );
    assert_eq!(
        app.get_with(&new_client(), &fresh).await.status(),
        StatusCode::OK
    );

    // Revoke: the new link dies too.
    let res = app
        .post_form(&format!("/team/invitations/{id}/revoke"), &[])
        .await;
    assert_redirect(&res, "/team");
    assert_eq!(
        app.get_with(&new_client(), &fresh).await.status(),
        StatusCode::GONE
    );
    let res = join(&app, &new_client(), &path, "Sam").await;
    assert_eq!(res.status(), StatusCode::GONE);
    let users = app.with_conn(|conn| {
        use diesel::prelude::*;
        partner_dashboard::db::schema::users::table
            .count()
            .get_result::<i64>(conn)
            .unwrap()
    });
    assert_eq!(users, 1, "nobody joined");
}

#[tokio::test]
async fn an_address_with_an_account_or_an_open_invitation_is_refused() {
    let app = spawn_app().await;
    app.create_provider("alice@contoso.example");
    app.create_reseller("wei@northwind.example", EnrollmentStatus::Verified);
    app.signed_in("alice@contoso.example").await;
    let res = app
        .post_form(
            "/team/invitations",
            &[("email", "wei@northwind.example"), ("role", "sales")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("already has a Partner Dashboard account")
    );
    invite(&app, "sam@contoso.example", "sales").await;
    let res = app
        .post_form(
            "/team/invitations",
            &[("email", "sam@contoso.example"), ("role", "billing")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app
        .post_form(
            "/team/invitations",
            &[("email", "kim@contoso.example"), ("role", "support")],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "an operator's role"
    );
    let invitations = app.with_conn(|conn| {
        use diesel::prelude::*;
        partner_dashboard::db::schema::team_invitations::table
            .count()
            .get_result::<i64>(conn)
            .unwrap()
    });
    assert_eq!(invitations, 1);
}

#[tokio::test]
async fn the_last_admin_stays_and_a_deactivated_member_is_signed_out_at_once() {
    let app = spawn_app().await;
    let provider = app.create_provider("alice@contoso.example");
    let alice = provider.user_id;
    let sam = app.create_member(Some(provider.id), "sam@contoso.example", MemberRole::Sales);
    app.signed_in("alice@contoso.example").await;

    // Alice is the only admin: she can be neither demoted nor deactivated.
    let res = app
        .post_form(&format!("/team/members/{alice}/role"), &[("role", "sales")])
        .await;
    assert_redirect(&res, "/team");
    let html = app.html("/team").await;
    assert!(html.contains("at least one admin agent"), "{html}");
    assert_eq!(app.user(alice).team_role, MemberRole::Admin);
    let res = app
        .post_form(&format!("/team/members/{alice}/deactivate"), &[])
        .await;
    assert_redirect(&res, "/team");
    assert!(!app.user(alice).disabled);

    // Sam, made an admin, gets an email; then Alice may step down.
    let res = app
        .post_form(&format!("/team/members/{sam}/role"), &[("role", "admin")])
        .await;
    assert_redirect(&res, "/team");
    let email = app.mail.wait_for("sam@contoso.example").await;
    assert!(email.text.contains("Admin agent"), "{}", email.text);
    assert_eq!(app.user(sam).team_role, MemberRole::Admin);

    // Sam signed in, deactivated by Alice: his very next request is signed out.
    let sam_client = new_client();
    app.sign_in_with(&sam_client, "sam@contoso.example", PASSWORD)
        .await;
    assert_eq!(
        app.get_with(&sam_client, "/team").await.status(),
        StatusCode::OK
    );
    let res = app
        .post_form(&format!("/team/members/{sam}/deactivate"), &[])
        .await;
    assert_redirect(&res, "/team");
    let res = app.get_with(&sam_client, "/team").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(location(&res).starts_with("/sign-in"), "{}", location(&res));
    let res = app
        .sign_in_with(&new_client(), "sam@contoso.example", PASSWORD)
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "no sign-in");
    // Sam's history keeps his name; the log says who did what.
    let html = app.html("/activity-log").await;
    assert!(html.contains("Member deactivated"), "{html}");
    assert!(html.contains("Member role changed"), "{html}");
    // Another organisation's member is not found.
    let other = app.create_named_provider("Fabrikam", "bob@fabrikam.example");
    let res = app
        .post_form(&format!("/team/members/{}/deactivate", other.user_id), &[])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // Reactivated, Sam signs in again.
    let res = app
        .post_form(&format!("/team/members/{sam}/reactivate"), &[])
        .await;
    assert_redirect(&res, "/team");
    let res = app
        .sign_in_with(&new_client(), "sam@contoso.example", PASSWORD)
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_helpdesk_agent_sets_the_support_contact_but_changes_no_licenses() {
    let app = spawn_app().await;
    let provider = app.create_provider("alice@contoso.example");
    let offer = app.create_offer("Microsoft 365 Business Basic", 600, 1, 300);
    let customer = app.seed_customer(provider.id, None, "Wingtip Toys", "wingtiptoys");
    let subscription = app.add_subscription(provider.id, customer, offer, 5, None);
    app.create_member(
        Some(provider.id),
        "hana@contoso.example",
        MemberRole::Helpdesk,
    );
    app.signed_in("hana@contoso.example").await;
    let html = app.html(&format!("/subscriptions/{subscription}")).await;
    assert!(
        html.contains("/support-contact"),
        "the support contact form"
    );
    assert!(!html.contains("/quantity\""), "no license change form");
    let html = app.html(&format!("/customers/{customer}")).await;
    assert!(!html.contains("/subscriptions/new"), "no Add subscription");
    let res = app
        .post_form(
            &format!("/subscriptions/{subscription}/quantity"),
            &[("quantity", "50")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

/// Two instances on one database: a member deactivated on one is signed out on the other at once,
/// and their API tokens stop on both.
#[tokio::test]
async fn a_deactivated_members_cookie_dies_on_both_instances() {
    let app = spawn_app().await;
    let provider = app.create_provider("alice@contoso.example");
    let sam = app.create_member(Some(provider.id), "sam@contoso.example", MemberRole::Sales);
    let other = app.second_instance().await;
    let sam_client = new_client();
    app.sign_in_with(&sam_client, "sam@contoso.example", PASSWORD)
        .await;
    let on_other = |path: &str| sam_client.get(format!("{}{path}", other.base_url)).send();
    assert_eq!(
        on_other("/customers").await.unwrap().status(),
        StatusCode::OK,
        "one session, both instances"
    );
    // And an API token of his, on both instances.
    let token = app
        .api_token(
            sam,
            provider.id,
            partner_dashboard::db::models::api_token::Access::Read,
        )
        .await;
    let api = |base: &str| {
        reqwest::Client::new()
            .get(format!("{base}/api/v1/me"))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(api(&other.base_url).await.unwrap().status(), StatusCode::OK);
    app.signed_in("alice@contoso.example").await;
    let res = app
        .post_form(&format!("/team/members/{sam}/deactivate"), &[])
        .await;
    assert_redirect(&res, "/team");
    for base in [other.base_url.as_str(), app.address.as_str()] {
        assert_eq!(
            api(base).await.unwrap().status(),
            StatusCode::UNAUTHORIZED,
            "{base}"
        );
    }
    for res in [
        on_other("/customers").await.unwrap(),
        app.get_with(&sam_client, "/customers").await,
    ] {
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert!(location(&res).starts_with("/sign-in"), "{}", location(&res));
    }
}

/// The addresses notices of one subject went to.
fn notified(app: &TestApp, subject_starts: &str) -> Vec<String> {
    use diesel::prelude::*;
    use partner_dashboard::db::schema::email_outbox;
    let mut to: Vec<String> = app.with_conn(|conn| {
        email_outbox::table
            .filter(email_outbox::subject.like(format!("{subject_starts}%")))
            .select(email_outbox::to_address)
            .load(conn)
            .unwrap()
    });
    to.sort();
    to.dedup();
    to
}

#[tokio::test]
async fn statements_and_renewal_reminders_go_to_the_members_whose_role_sees_them() {
    use partner_dashboard::services::jobs;
    let at = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
    let app = spawn_app().await;
    app.state.clock.set(at("2027-01-10 01:00:00"));
    let provider = app.create_provider("alice@contoso.example").id;
    let reseller = app
        .create_reseller("wei@northwind.example", EnrollmentStatus::Verified)
        .id;
    app.partner(provider, reseller);
    for (partner, prefix) in [(provider, "contoso"), (reseller, "northwind")] {
        for role in [MemberRole::Sales, MemberRole::Helpdesk, MemberRole::Billing] {
            app.create_member(
                Some(partner),
                &format!("{}@{prefix}.example", role.as_str()),
                role,
            );
        }
    }
    let offer = app.create_offer("Microsoft 365 E3", 3600, 1, 300);
    let customer = app.seed_customer(provider, Some(reseller), "Wingtip Toys", "wingtiptoys");
    app.buy(provider, customer, offer, 10, Some(reseller), "P1Y:annual");

    // January's statement for the reseller: its admin and its billing admin.
    let february = at("2027-02-01 00:00:00");
    app.state.clock.set(february);
    jobs::run(&app.state.db, february, &app.state.base_url)
        .await
        .unwrap();
    let statement = notified(&app, "Statement ");
    let northwind: Vec<&String> = statement
        .iter()
        .filter(|a| a.ends_with("@northwind.example"))
        .collect();
    assert_eq!(
        northwind,
        vec!["billing@northwind.example", "wei@northwind.example"],
        "{statement:?}"
    );

    // Thirty days before the annual term ends: the members who see orders, of both, not the helpdesk.
    let reminder_day = at("2027-12-11 01:00:00");
    app.state.clock.set(reminder_day);
    jobs::run(&app.state.db, reminder_day, &app.state.base_url)
        .await
        .unwrap();
    let renewal = notified(
        &app,
        "Microsoft 365 E3 for Wingtip Toys reaches its term end",
    );
    assert!(!renewal.is_empty(), "a reminder was sent");
    assert!(
        renewal.iter().all(|a| !a.starts_with("helpdesk@")),
        "{renewal:?}"
    );
    for who in [
        "alice@contoso.example",
        "sales@contoso.example",
        "billing@contoso.example",
        "wei@northwind.example",
        "sales@northwind.example",
        "billing@northwind.example",
    ] {
        assert!(renewal.iter().any(|a| a == who), "{who}: {renewal:?}");
    }
}

#[tokio::test]
async fn customers_see_their_support_contacts_support_address_and_phone_set_on_team() {
    let app = spawn_app().await;
    let provider = app.create_provider("alice@contoso.example").id;
    let reseller = app
        .create_reseller("wei@northwind.example", EnrollmentStatus::Verified)
        .id;
    app.partner(provider, reseller);
    let offer = app.create_offer("Microsoft 365 E3", 3600, 1, 300);
    let customer = app.seed_customer(provider, Some(reseller), "Wingtip Toys", "wingtiptoys");
    app.add_subscription(provider, customer, offer, 10, Some(reseller));
    app.create_admin_of(customer, "admin@wingtiptoys.onmicrosoft.com");
    let admin = new_client();
    app.sign_in_with(&admin, "admin@wingtiptoys.onmicrosoft.com", PASSWORD)
        .await;
    let shown = |app: &TestApp| {
        let (admin, url) = (admin.clone(), app.url("/my/subscriptions"));
        async move {
            let html = admin.get(url).send().await.unwrap().text().await.unwrap();
            texts(&html, "td.support-contact")
        }
    };
    // Before: the reseller's contact email.
    let before = shown(&app).await;
    assert_eq!(before.len(), 1);
    assert!(!before[0].contains("support@contoso.example"), "{before:?}");

    // The subscription's support contact is its provider: its admin sets the support address.
    let alice = new_client();
    app.sign_in_with(&alice, "alice@contoso.example", PASSWORD)
        .await;
    // A bad address or phone: a message on its field, what was typed kept, nothing saved.
    let res = app
        .post_form_with(
            &alice,
            "/team/support-contact",
            &[
                ("support_email", "support.northwind"),
                ("support_phone", "+886 2 5555 0100"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert_eq!(texts(&html, "#f-support_email-error").len(), 1);
    assert!(html.contains("+886 2 5555 0100"));
    assert_eq!(shown(&app).await, before);
    let res = app
        .post_form_with(
            &alice,
            "/team/support-contact",
            &[
                ("support_email", "support@contoso.example"),
                ("support_phone", "+886 2 5555 0100"),
            ],
        )
        .await;
    assert_redirect(&res, "/team");
    let stored: (Option<String>, Option<String>) = app.with_conn(|conn| {
        use diesel::prelude::*;
        use partner_dashboard::db::schema::partners;
        partners::table
            .find(provider)
            .select((partners::support_email, partners::support_phone))
            .first(conn)
            .unwrap()
    });
    assert_eq!(
        stored,
        (
            Some("support@contoso.example".to_owned()),
            Some("+886 2 5555 0100".to_owned())
        )
    );
    assert_eq!(
        shown(&app).await,
        vec!["Contoso Distribution (support@contoso.example · +886 2 5555 0100)"]
    );
    // A member who is not an admin cannot change it.
    app.create_member(Some(provider), "sales@contoso.example", MemberRole::Sales);
    let sales = new_client();
    app.sign_in_with(&sales, "sales@contoso.example", PASSWORD)
        .await;
    let res = app
        .post_form_with(
            &sales,
            "/team/support-contact",
            &[("support_email", "x@y.example")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
