use diesel::prelude::*;

use partner_dashboard::db::models::grant::Roles;
use partner_dashboard::db::schema::{email_outbox, partnerships, relationship_requests, sessions};
use partner_dashboard::domain::EnrollmentStatus;
use partner_dashboard::domain::token::hash_token;
use reqwest::StatusCode;

use crate::helpers::*;

fn token_of(link: &str) -> String {
    link.rsplit('/').next().unwrap().to_owned()
}

fn draft_fields(html: &str) -> (String, String) {
    let doc = scraper::Html::parse_document(html);
    let subject = doc
        .select(&scraper::Selector::parse("#f-subject").unwrap())
        .next()
        .unwrap()
        .value()
        .attr("value")
        .unwrap()
        .to_owned();
    let body = doc
        .select(&scraper::Selector::parse("#f-body").unwrap())
        .next()
        .unwrap()
        .text()
        .collect::<String>();
    (subject, body)
}

fn mailto_of(html: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    doc.select(&scraper::Selector::parse("#open-in-email").unwrap())
        .next()
        .unwrap()
        .value()
        .attr("href")
        .unwrap()
        .to_owned()
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .unwrap()
        .into_owned()
}

#[tokio::test]
async fn request_a_partnership_shows_a_draft_with_a_personal_link() {
    let app = spawn_app().await;
    app.create_provider("alice@contoso.example");
    app.signed_in("alice@contoso.example").await;

    let (id, link) = app.request_partnership().await;
    assert!(link.starts_with(&format!("{}/partnerships/accept/", app.address)));
    assert!(token_of(&link).len() >= 43, "at least 256 bits, base64");

    let html = app
        .get(&format!("/indirect-resellers/requests/{id}"))
        .await
        .text()
        .await
        .unwrap();
    let (subject, body) = draft_fields(&html);
    assert_eq!(subject, "Partnership request from Contoso Distribution");
    assert!(body.contains(&link));
    assert!(
        body.contains("Add new customers on your behalf")
            || body.contains("add new customers on your behalf")
    );
    for label in ["Open in email", "Copy to clipboard", "Send email", "Done"] {
        assert!(html.contains(label), "{label}");
    }
    // The token is kept only as its hash: not in the request, not in the session store.
    let token = token_of(&link);
    let (hash, states): (String, Vec<String>) = app.with_conn(|conn| {
        (
            relationship_requests::table
                .find(id)
                .select(relationship_requests::token_hash)
                .first(conn)
                .unwrap(),
            sessions::table.select(sessions::state).load(conn).unwrap(),
        )
    });
    assert_eq!(hash, hash_token(&token));
    assert!(
        states.iter().all(|s| !s.contains(&token)),
        "the session store holds the link sealed"
    );
}

#[tokio::test]
async fn the_draft_is_in_the_provider_users_language() {
    let app = spawn_app().await;
    app.create_provider("alice@contoso.example");
    app.signed_in("alice@contoso.example").await;
    app.post_form("/language", &[("locale", "zh-TW")]).await;
    let (id, link) = app.request_partnership().await;
    let html = app
        .get(&format!("/indirect-resellers/requests/{id}"))
        .await
        .text()
        .await
        .unwrap();
    let (subject, body) = draft_fields(&html);
    assert_eq!(subject, "Contoso Distribution 要求建立經銷商關係");
    assert!(body.contains("代表您新增新客戶"));
    assert!(body.contains(&link));
    for label in ["在電子郵件中開啟", "複製到剪貼簿", "傳送電子郵件", "完成"]
    {
        assert!(html.contains(label), "{label}");
    }
    let mailto = mailto_of(&html);
    let (_, query) = mailto.split_once('?').unwrap();
    let subject_part = query
        .split('&')
        .find_map(|p| p.strip_prefix("subject="))
        .unwrap();
    assert_eq!(
        decode(subject_part),
        "Contoso Distribution 要求建立經銷商關係"
    );
}

#[tokio::test]
async fn open_in_email_decodes_back_to_the_exact_subject_and_body() {
    let app = spawn_app().await;
    app.create_provider("alice@contoso.example");
    app.signed_in("alice@contoso.example").await;
    let (id, _) = app.request_partnership().await;
    let html = app
        .get(&format!("/indirect-resellers/requests/{id}"))
        .await
        .text()
        .await
        .unwrap();
    let (subject, body) = draft_fields(&html);
    let mailto = mailto_of(&html).replace("&amp;", "&");
    let (to, query) = mailto
        .strip_prefix("mailto:")
        .unwrap()
        .split_once('?')
        .unwrap();
    assert_eq!(to, "");
    let mut decoded_subject = None;
    let mut decoded_body = None;
    for part in query.split('&') {
        let (k, v) = part.split_once('=').unwrap();
        // No raw space, line break or ampersand may survive in a URI.
        assert!(!v.contains([' ', '\n', '\r']));
        match k {
            "subject" => decoded_subject = Some(decode(v)),
            "body" => decoded_body = Some(decode(v)),
            _ => panic!("unexpected {k}"),
        }
    }
    assert_eq!(decoded_subject.unwrap(), subject);
    assert_eq!(decoded_body.unwrap(), body.replace('\n', "\r\n"));
}

#[tokio::test]
async fn send_email_delivers_a_working_link_that_brings_the_reseller_into_the_list() {
    let app = spawn_app().await;
    let provider = app.create_provider("alice@contoso.example").id;
    let reseller = app
        .create_reseller("wei@northwind.example", EnrollmentStatus::Verified)
        .id;
    app.signed_in("alice@contoso.example").await;
    let (id, link) = app.request_partnership().await;
    let html = app
        .get(&format!("/indirect-resellers/requests/{id}"))
        .await
        .text()
        .await
        .unwrap();
    let (subject, body) = draft_fields(&html);
    let edited = format!("Hi Wei — a personal note.\n\n{body}");
    assert!(html.contains(">Send email</button>") && texts(&html, "#sent-state").is_empty());

    let res = app
        .post_form(
            &format!("/indirect-resellers/requests/{id}/send"),
            &[
                ("subject", &subject),
                ("body", &edited),
                ("email", "wei@northwind.example"),
            ],
        )
        .await;
    assert_redirect(&res, &format!("/indirect-resellers/requests/{id}"));
    let html = app
        .get(&format!("/indirect-resellers/requests/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("The partnership request was sent to wei@northwind.example."));
    // The page now says it was sent; Send becomes Send again (no second send by accident).
    let sent = texts(&html, "#sent-state");
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0].starts_with("Sent by email to wei@northwind.example on "),
        "{sent:?}"
    );
    assert_eq!(texts(&html, "#send-again"), vec!["Send again"]);
    assert!(!html.contains(">Send email</button>"));

    let email = app.mail.wait_for("wei@northwind.example").await;
    assert_eq!(email.subject, subject);
    // Replies go to the provider user who sent it, not to the platform's address.
    assert!(
        email.reply_to.contains("alice@contoso.example"),
        "{:?}",
        email.reply_to
    );
    assert!(email.text.starts_with("Hi Wei — a personal note."));
    assert!(email.text.contains(&link));
    assert!(email.html.contains(&format!(r#"<a href="{link}""#)));

    // The reseller opens the link from the email and authorizes the provider.
    let start = email.text.find(&app.address).unwrap();
    let from_email: String = email.text[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(from_email, link);
    let reseller_client = new_client();
    app.sign_in_with(&reseller_client, "wei@northwind.example", PASSWORD)
        .await;
    let page = app.get_with(&reseller_client, &app.path_of(&link)).await;
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    assert!(page.contains("Contoso Distribution asks you to partner with them"));
    let res = app
        .post_form_with(
            &reseller_client,
            &app.path_of(&link),
            &[("decision", "accept"), ("authorize", "yes")],
        )
        .await;
    assert_redirect(&res, "/indirect-providers");
    let html = app
        .get_with(&reseller_client, "/indirect-providers")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("You are now partnered with Contoso Distribution."));
    assert_eq!(
        texts(&html, "#providers tbody td:first-child"),
        vec!["Contoso Distribution"]
    );

    // The provider sees the reseller in its list, and was told by email.
    let html = app.get("/indirect-resellers").await.text().await.unwrap();
    assert_eq!(
        texts(&html, "#resellers tbody td:first-child"),
        vec!["Northwind Traders"]
    );
    assert!(
        texts(&html, "#sent-requests tbody tr")
            .iter()
            .any(|r| r.contains("wei@northwind.example") && r.contains("Accepted"))
    );
    let told = app.mail.wait_for("alice@contoso.example").await;
    assert_eq!(
        told.subject,
        "Northwind Traders accepted your partnership request"
    );
    let active: i64 = app.with_conn(|conn| {
        partnerships::table
            .filter(partnerships::provider_id.eq(provider))
            .filter(partnerships::reseller_id.eq(reseller))
            .filter(partnerships::status.eq("active"))
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(active, 1);

    // Once delivered, the message with the link is gone from the outbox.
    eventually("the outbox row is sent", || {
        app.with_conn(|conn| {
            email_outbox::table
                .filter(email_outbox::template.eq("partnership_request"))
                .select(email_outbox::status)
                .first::<String>(conn)
                .unwrap()
                == "sent"
        })
    })
    .await;
    let bodies: Vec<(String, String)> = app.with_conn(|conn| {
        email_outbox::table
            .select((email_outbox::body_text, email_outbox::body_html))
            .load(conn)
            .unwrap()
    });
    assert!(
        bodies
            .iter()
            .all(|(t, h)| !t.contains(&token_of(&link)) && !h.contains(&token_of(&link)))
    );
}

#[tokio::test]
async fn a_message_without_its_link_or_with_an_altered_link_is_not_sent() {
    let app = spawn_app().await;
    app.create_provider("alice@contoso.example");
    app.signed_in("alice@contoso.example").await;
    let (id, link) = app.request_partnership().await;
    let html = app
        .get(&format!("/indirect-resellers/requests/{id}"))
        .await
        .text()
        .await
        .unwrap();
    let (subject, body) = draft_fields(&html);
    let without = body.replace(&link, "");
    let mut altered_link = link.clone();
    altered_link.pop();
    altered_link.push('Z');
    let altered = body.replace(&link, &altered_link);

    for (text, why) in [(without, "removed"), (altered, "altered")] {
        let res = app
            .post_form(
                &format!("/indirect-resellers/requests/{id}/send"),
                &[
                    ("subject", &subject),
                    ("body", &text),
                    ("email", "wei@northwind.example"),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{why}");
        let html = res.text().await.unwrap();
        assert_eq!(
            texts(&html, "#f-body-error"),
            vec![
                "The message must contain this request's personal link exactly as shown above. Put it back and try again."
            ]
        );
        // What was typed is kept.
        assert!(html.contains(r#"value="wei@northwind.example""#));
        assert_eq!(draft_fields(&html).1.trim_end(), text.trim_end());
    }
    // Send needs the reseller's address.
    let res = app
        .post_form(
            &format!("/indirect-resellers/requests/{id}/send"),
            &[("subject", &subject), ("body", &body), ("email", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert_eq!(
        texts(&html, "#f-email-error"),
        vec!["This field is required."]
    );

    let queued: i64 = app.with_conn(|conn| email_outbox::table.count().get_result(conn).unwrap());
    assert_eq!(queued, 0);
}

#[tokio::test]
async fn done_closes_the_draft_and_the_link_is_not_shown_again() {
    let app = spawn_app().await;
    app.create_provider("alice@contoso.example");
    app.signed_in("alice@contoso.example").await;
    let (id, link) = app.request_partnership().await;
    let res = app
        .post_form(&format!("/indirect-resellers/requests/{id}/done"), &[])
        .await;
    assert_redirect(&res, "/indirect-resellers");
    let html = app
        .get(&format!("/indirect-resellers/requests/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains(&link));
    assert!(html.contains("Resend the request to make a new link."));
    // The request is in the list as pending, shared by the provider itself.
    let html = app.get("/indirect-resellers").await.text().await.unwrap();
    let rows = texts(&html, "#sent-requests tbody tr");
    assert_eq!(rows.len(), 1);
    assert!(rows[0].contains("Link shared by you") && rows[0].contains("Pending"));
}

#[tokio::test]
async fn another_provider_cannot_see_resend_or_revoke_these_requests() {
    let app = spawn_app().await;
    let alice_provider = app.create_provider("alice@contoso.example").id;
    let other = app.create_partner(
        partner_dashboard::domain::PartnerKind::Provider,
        "Fabrikam",
        EnrollmentStatus::Verified,
    );
    app.create_user(
        "bob@fabrikam.example",
        partner_dashboard::domain::Role::Provider,
        Some(other),
        false,
    );
    let reseller = app
        .create_reseller("wei@northwind.example", EnrollmentStatus::Verified)
        .id;
    app.signed_in("alice@contoso.example").await;
    let (id, _) = app.request_partnership().await;
    app.partner(alice_provider, reseller);

    let bob = new_client();
    app.sign_in_with(&bob, "bob@fabrikam.example", PASSWORD)
        .await;
    assert_eq!(
        app.get_with(&bob, &format!("/indirect-resellers/requests/{id}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    for action in ["send", "resend", "revoke", "done"] {
        let res = app
            .post_form_with(
                &bob,
                &format!("/indirect-resellers/requests/{id}/{action}"),
                &[("subject", "x"), ("body", "x"), ("email", "x@example.com")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{action}");
    }
    assert_eq!(
        app.get_with(&bob, &format!("/indirect-resellers/{reseller}/remove"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post_form_with(&bob, &format!("/indirect-resellers/{reseller}/remove"), &[])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let html = app
        .get_with(&bob, "/indirect-resellers")
        .await
        .text()
        .await
        .unwrap();
    assert_empty_state(&html, "indirect_resellers.empty");
    assert_empty_state(&html, "indirect_resellers.requests_empty");
    assert!(texts(&html, "#resellers tbody tr").is_empty());
    assert!(texts(&html, "#sent-requests tbody tr").is_empty());
    // Alice's request is untouched.
    let status: String = app.with_conn(|conn| {
        relationship_requests::table
            .find(id)
            .select(relationship_requests::status)
            .first(conn)
            .unwrap()
    });
    assert_eq!(status, "pending");
}

#[tokio::test]
async fn removing_a_partnership_keeps_its_customers_and_tells_the_reseller() {
    use partner_dashboard::db::schema::{customers, provider_customers};
    let app = spawn_app().await;
    let provider = app.create_provider("alice@contoso.example").id;
    let reseller = app
        .create_reseller("wei@northwind.example", EnrollmentStatus::Verified)
        .id;
    app.partner(provider, reseller);
    let customer = app.create_customer_admin("admin@wingtip.example", false).id;
    app.with_conn(|conn| {
        diesel::insert_into(provider_customers::table)
            .values((
                provider_customers::id.eq(partner_dashboard::db::new_id()),
                provider_customers::provider_id.eq(provider),
                provider_customers::customer_id.eq(customer),
                provider_customers::reseller_id.eq(Some(reseller)),
                provider_customers::origin.eq("created"),
                provider_customers::company_name.eq("Wingtip Toys"),
                provider_customers::domain_prefix.eq("wingtip"),
                provider_customers::created_at.eq(partner_dashboard::db::now()),
            ))
            .execute(conn)
            .unwrap();
    });
    app.grant(provider, customer, reseller, Roles::DELEGATED, 730);
    app.signed_in("alice@contoso.example").await;

    let html = app
        .get(&format!("/indirect-resellers/{reseller}/remove"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(
        "Existing customers and subscriptions associated with Northwind Traders stay as they are."
    ));
    let res = app
        .post_form(&format!("/indirect-resellers/{reseller}/remove"), &[])
        .await;
    assert_redirect(&res, "/indirect-resellers");
    let html = app.get("/indirect-resellers").await.text().await.unwrap();
    assert!(html.contains("The partnership with Northwind Traders was removed."));
    assert_empty_state(&html, "indirect_resellers.empty");
    assert!(texts(&html, "#resellers tbody tr").is_empty());

    let (customers, associated): (i64, Option<i64>) = app.with_conn(|conn| {
        (
            customers::table.count().get_result(conn).unwrap(),
            provider_customers::table
                .filter(provider_customers::customer_id.eq(customer))
                .select(provider_customers::reseller_id)
                .first(conn)
                .unwrap(),
        )
    });
    assert_eq!(customers, 1);
    assert_eq!(associated, Some(reseller));
    let email = app.mail.wait_for("wei@northwind.example").await;
    assert_eq!(
        email.subject,
        "Contoso Distribution ended its partnership with you"
    );
    // Removing twice finds nothing to remove.
    assert_eq!(
        app.post_form(&format!("/indirect-resellers/{reseller}/remove"), &[])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_list_is_searchable_and_pages_through_every_reseller_once() {
    let app = spawn_app().await;
    let provider = app.create_provider("alice@contoso.example").id;
    let mut names = Vec::new();
    for i in 0..57 {
        let name = format!("Reseller {i:02}");
        let reseller = app
            .create_named_reseller(
                &name,
                &format!("r{i}@resellers.example"),
                EnrollmentStatus::Verified,
            )
            .id;
        app.partner(provider, reseller);
        names.push(name);
    }
    // Another provider's partner never shows up.
    let other = app.create_partner(
        partner_dashboard::domain::PartnerKind::Provider,
        "Fabrikam",
        EnrollmentStatus::Verified,
    );
    let theirs = app
        .create_named_reseller(
            "Reseller 00 of Fabrikam",
            "x@fabrikam.example",
            EnrollmentStatus::Verified,
        )
        .id;
    app.partner(other, theirs);
    app.signed_in("alice@contoso.example").await;

    let mut seen = Vec::new();
    let mut path = "/indirect-resellers".to_owned();
    let mut pages = 0;
    loop {
        let html = app.get(&path).await.text().await.unwrap();
        seen.extend(texts(&html, "#resellers tbody td:first-child"));
        pages += 1;
        let doc = scraper::Html::parse_document(&html);
        // The resellers' pager (the sent requests below have one of their own).
        let next = doc
            .select(&scraper::Selector::parse(".pager").unwrap())
            .next()
            .and_then(|pager| {
                pager
                    .select(&scraper::Selector::parse("a").unwrap())
                    .find(|a| a.text().collect::<String>() == "Next")
                    .map(|a| a.value().attr("href").unwrap().to_owned())
            });
        match next {
            Some(href) => path = href,
            None => break,
        }
    }
    assert_eq!(pages, 2);
    assert_eq!(seen, names);

    // Back from the second page.
    let html = app.get(&path).await.text().await.unwrap();
    let doc = scraper::Html::parse_document(&html);
    let prev = doc
        .select(&scraper::Selector::parse(".pager").unwrap())
        .next()
        .unwrap()
        .select(&scraper::Selector::parse("a").unwrap())
        .find(|a| a.text().collect::<String>() == "Previous")
        .map(|a| a.value().attr("href").unwrap().to_owned())
        .unwrap();
    let html = app.get(&prev).await.text().await.unwrap();
    assert_eq!(
        texts(&html, "#resellers tbody td:first-child"),
        names[..50].to_vec()
    );

    let html = app
        .get("/indirect-resellers?q=reseller+4")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        texts(&html, "#resellers tbody td:first-child"),
        (40..50)
            .map(|i| format!("Reseller {i}"))
            .collect::<Vec<_>>()
    );
    let html = app
        .get("/indirect-resellers?q=50%25")
        .await
        .text()
        .await
        .unwrap();
    assert_empty_state(&html, "indirect_resellers.no_match");
    assert!(
        texts(&html, "#resellers tbody tr").is_empty(),
        "a % in the search is literal"
    );
}

/// A reseller's own page for its provider, linked from the list: contact, partnership, customers.
#[tokio::test]
async fn each_partnered_reseller_has_a_page_with_its_contact_partnership_and_customers() {
    let app = spawn_app().await;
    let provider = app.create_provider("alice@contoso.example").id;
    let wei = app
        .create_named_reseller(
            "Northwind Traders",
            "wei@northwind.example",
            EnrollmentStatus::Verified,
        )
        .id;
    let stranger = app
        .create_named_reseller("Adatum", "ann@adatum.example", EnrollmentStatus::Verified)
        .id;
    app.partner(provider, wei);
    app.seed_customer(provider, Some(wei), "Wingtip Toys", "wingtiptoys");
    app.signed_in("alice@contoso.example").await;
    let list = app.html("/indirect-resellers").await;
    assert!(list.contains(&format!("href=\"/indirect-resellers/{wei}\"")));
    let html = app.html(&format!("/indirect-resellers/{wei}")).await;
    assert_eq!(texts(&html, "h1"), vec!["Northwind Traders"]);
    let contact = texts(&html, "#reseller-contact").join(" ");
    assert!(contact.contains("wei@northwind.example"), "{contact}");
    assert_eq!(texts(&html, "#reseller-customers"), vec!["1"]);
    assert_eq!(
        texts(&html, "#reseller-customer-list td:first-child"),
        vec!["Wingtip Toys"]
    );
    // Not a partner of this provider: no page.
    let res = app.get(&format!("/indirect-resellers/{stranger}")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
