//! The provider's Profile, Request a profile change (with the logo upload), the operator's review, and
//! the public official indirect providers list.

use diesel::prelude::*;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

use crate::helpers::*;
use partner_dashboard::db::models::activity::Activity;
use partner_dashboard::db::models::profile::{ProfileChangeRequest, ProviderProfile};
use partner_dashboard::db::schema::{logos, profile_change_requests};

pub const LOGO_PNG: &[u8] = include_bytes!("../fixtures/logo.png");

/// The change request form, with a logo file of this name and type.
pub fn change_form(
    company: &str,
    logo: Option<(&[u8], &str, &str)>,
    locations: &[(&str, &str)],
) -> Form {
    let mut form = Form::new().text("company_name", company.to_owned());
    if let Some((bytes, file_name, mime)) = logo {
        form = form.part(
            "logo",
            Part::bytes(bytes.to_vec())
                .file_name(file_name.to_owned())
                .mime_str(mime)
                .unwrap(),
        );
    }
    for (i, (country, url)) in locations.iter().enumerate() {
        form = form
            .text(format!("country_{i}"), (*country).to_owned())
            .text(format!("url_{i}"), (*url).to_owned());
    }
    form
}

fn count_requests(app: &TestApp) -> i64 {
    app.with_conn(|conn| {
        profile_change_requests::table
            .count()
            .get_result(conn)
            .unwrap()
    })
}

fn count_logos(app: &TestApp) -> i64 {
    app.with_conn(|conn| logos::table.count().get_result(conn).unwrap())
}

fn latest(app: &TestApp, provider: i64) -> ProfileChangeRequest {
    app.with_conn(|conn| {
        ProfileChangeRequest::latest(
            conn,
            partner_dashboard::domain::ProviderId::established(provider),
        )
        .unwrap()
        .expect("a request")
    })
}

/// Submits a request for the signed-in provider: company, the PNG logo, Taiwan and the United States.
pub async fn submit_request(app: &TestApp, company: &str) -> reqwest::Response {
    app.post_multipart(
        "/profile/change-request",
        change_form(
            company,
            Some((LOGO_PNG, "logo.png", "image/png")),
            &[
                ("TW", "https://contoso.example/tw"),
                ("US", "https://contoso.example/us"),
            ],
        ),
    )
    .await
}

#[tokio::test]
async fn a_provider_requests_a_profile_change_and_sees_it_submitted_with_its_expected_date() {
    let app = spawn_app().await;
    let TestOrg {
        id: provider,
        user_id: user,
    } = app.create_provider("alice@contoso.example");
    app.signed_in("alice@contoso.example").await;

    let html = app.html("/profile").await;
    assert!(
        html.contains("Contoso Distribution is not on the official indirect providers list yet.")
    );
    assert!(html.contains("You have not requested a profile change."));
    let html = app.html("/profile/change-request").await;
    assert_eq!(
        texts(&html, "#f-company_name").len(),
        1,
        "the form starts from the provider's name"
    );
    assert!(html.contains(r#"value="Contoso Distribution""#));
    assert!(html.contains(r#"enctype="multipart/form-data""#));

    let res = submit_request(&app, "Contoso Cloud Distribution").await;
    assert_redirect(&res, "/profile");

    let request = latest(&app, provider);
    assert_eq!(request.status.as_str(), "submitted");
    assert_eq!(request.company_name, "Contoso Cloud Distribution");
    assert_eq!(
        request.expected_by - request.submitted_at,
        chrono::Duration::days(21)
    );
    assert_eq!(request.locations().len(), 2);

    let html = app.html("/profile").await;
    assert!(html.contains("Your profile change request was submitted."));
    assert_eq!(texts(&html, "#request-status"), vec!["Submitted"]);
    // Shown in the viewer's time zone (the organisation's country's: Taiwan), which is a day ahead
    // of UTC from 16:00 UTC on.
    let expected = request
        .expected_by
        .and_utc()
        .with_timezone(&chrono_tz::Asia::Taipei)
        .format("%-d %b %Y")
        .to_string();
    assert_eq!(texts(&html, "#expected-by"), vec![expected]);
    assert!(html.contains("https://contoso.example/tw"));
    assert!(
        !html.contains(r#"href="/profile/change-request""#),
        "no second request while one is open"
    );

    let log = app.with_conn(|conn| {
        Activity::for_entity(conn, "profile_change_request", request.id).unwrap()
    });
    assert_eq!(log[0].action, "profile_request.submitted");
    assert_eq!(log[0].actor_user_id, Some(user));
    assert_eq!(log[0].provider_id, Some(provider));

    // The provider sees its own logo under review; nobody else does yet.
    let logo = request.logo_id.unwrap();
    let res = app.get(&format!("/logos/{logo}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.bytes().await.unwrap().as_ref(), LOGO_PNG);
    let stranger = new_client();
    let res = app.get_with(&stranger, &format!("/logos/{logo}")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    app.create_named_provider("Fabrikam", "fabian@fabrikam.example");
    let other = new_client();
    app.sign_in_with(&other, "fabian@fabrikam.example", PASSWORD)
        .await;
    let res = app.get_with(&other, &format!("/logos/{logo}")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn one_open_request_at_a_time() {
    let app = spawn_app().await;
    let provider = app.create_provider("alice@contoso.example").id;
    app.signed_in("alice@contoso.example").await;
    assert_redirect(&submit_request(&app, "Contoso").await, "/profile");

    let html = app.html("/profile/change-request").await;
    assert_eq!(texts(&html, "#already-open").len(), 1);
    assert!(texts(&html, "form[enctype]").is_empty());

    let res = submit_request(&app, "Contoso again").await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("You already have a profile change request open.")
    );
    assert_eq!(count_requests(&app), 1);
    assert_eq!(latest(&app, provider).company_name, "Contoso");
    assert_eq!(
        count_logos(&app),
        1,
        "the refused request's logo is not kept"
    );
}

#[tokio::test]
async fn a_png_named_jpg_is_kept_and_served_as_png() {
    let app = spawn_app().await;
    let provider = app.create_provider("alice@contoso.example").id;
    app.signed_in("alice@contoso.example").await;
    let res = app
        .post_multipart(
            "/profile/change-request",
            change_form(
                "Contoso",
                Some((LOGO_PNG, "logo.jpg", "image/jpeg")),
                &[("TW", "https://contoso.example/tw")],
            ),
        )
        .await;
    assert_redirect(&res, "/profile");
    let logo = latest(&app, provider).logo_id.unwrap();
    let res = app.get(&format!("/logos/{logo}")).await;
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("sandbox") && csp.contains("default-src 'none'"),
        "{csp}"
    );
}

#[tokio::test]
async fn html_svg_and_oversized_files_are_refused_and_the_form_keeps_what_was_typed() {
    let app = spawn_app().await;
    app.create_provider("alice@contoso.example");
    app.signed_in("alice@contoso.example").await;
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="1" height="1"/></svg>"#;
    let html = b"<!doctype html><html><script>alert(document.cookie)</script></html>";
    let mut too_big = LOGO_PNG.to_vec();
    too_big.resize(256 * 1024 + 1, 0);
    let cases: [(&[u8], &str, &str, &str); 4] = [
        (
            html,
            "logo.png",
            "image/png",
            "The logo must be a PNG or JPEG image.",
        ),
        (
            svg,
            "logo.svg",
            "image/svg+xml",
            "The logo must be a PNG or JPEG image.",
        ),
        (
            svg,
            "logo.jpg",
            "image/jpeg",
            "The logo must be a PNG or JPEG image.",
        ),
        (
            &too_big,
            "logo.png",
            "image/png",
            "The logo is larger than 256 KiB. Choose a smaller file.",
        ),
    ];
    for (bytes, name, mime, message) in cases {
        let res = app
            .post_multipart(
                "/profile/change-request",
                change_form(
                    "Contoso Cloud",
                    Some((bytes, name, mime)),
                    &[("TW", "https://contoso.example/tw")],
                ),
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name} {mime}"
        );
        let page = res.text().await.unwrap();
        assert_eq!(texts(&page, "#f-logo-error"), vec![message], "{name}");
        assert!(page.contains(r#"value="Contoso Cloud""#));
        assert!(page.contains(r#"value="https://contoso.example/tw""#));
    }
    // Exactly the limit is fine.
    let mut at_limit = LOGO_PNG.to_vec();
    at_limit.resize(256 * 1024, 0);
    let res = app
        .post_multipart(
            "/profile/change-request",
            change_form(
                "Contoso Cloud",
                Some((&at_limit, "logo.png", "image/png")),
                &[("TW", "https://contoso.example/tw")],
            ),
        )
        .await;
    assert_redirect(&res, "/profile");
    assert_eq!(count_requests(&app), 1);
    assert_eq!(count_logos(&app), 1);
}

/// Locations typed, the field whose message shows, the message.
type LocationCase = (
    &'static [(&'static str, &'static str)],
    &'static str,
    &'static str,
);

#[tokio::test]
async fn locations_need_a_country_and_an_https_url() {
    let app = spawn_app().await;
    app.create_provider("alice@contoso.example");
    app.signed_in("alice@contoso.example").await;
    let cases: [LocationCase; 5] = [
        (
            &[("TW", "http://contoso.example/tw")],
            "#f-url_0-error",
            "Enter a web address that starts with https://.",
        ),
        (
            &[("TW", "javascript:alert(1)")],
            "#f-url_0-error",
            "Enter a web address that starts with https://.",
        ),
        (
            &[("", "https://contoso.example/tw")],
            "#f-country_0-error",
            "This field is required.",
        ),
        (
            &[
                ("TW", "https://contoso.example/tw"),
                ("TW", "https://contoso.example/tw2"),
            ],
            "#f-country_1-error",
            "This country is listed twice; give one URL per country.",
        ),
        (
            &[],
            "#f-locations-error",
            "Add at least one location with its target URL.",
        ),
    ];
    for (locations, selector, message) in cases {
        let res = app
            .post_multipart(
                "/profile/change-request",
                change_form(
                    "Contoso",
                    Some((LOGO_PNG, "logo.png", "image/png")),
                    locations,
                ),
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{locations:?}"
        );
        let page = res.text().await.unwrap();
        assert_eq!(texts(&page, selector), vec![message], "{locations:?}");
    }
    let res = app
        .post_multipart(
            "/profile/change-request",
            change_form("", None, &[("TW", "https://contoso.example/tw")]),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        texts(&res.text().await.unwrap(), "#f-company_name-error"),
        vec!["This field is required."]
    );
    assert_eq!(count_requests(&app), 0, "nothing half-written");
    assert_eq!(count_logos(&app), 0);
}

#[tokio::test]
async fn an_upload_without_the_csrf_token_is_refused() {
    let app = spawn_app().await;
    app.create_provider("alice@contoso.example");
    app.signed_in("alice@contoso.example").await;
    let res = app
        .client
        .post(app.url("/profile/change-request"))
        .header("Origin", &app.address)
        .multipart(change_form(
            "Contoso",
            None,
            &[("TW", "https://contoso.example/tw")],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(count_requests(&app), 0);
}

/// An operator's session on its own client.
async fn operator(app: &TestApp) -> reqwest::Client {
    app.create_operator("olivia@platform.example");
    let client = new_client();
    app.sign_in_with(&client, "olivia@platform.example", PASSWORD)
        .await;
    client
}

#[tokio::test]
async fn approval_updates_the_public_list_and_rejection_does_not() {
    let app = spawn_app().await;
    let contoso = app.create_provider("alice@contoso.example").id;
    let fabrikam = app
        .create_named_provider("Fabrikam", "fabian@fabrikam.example")
        .id;
    let ops = operator(&app).await;
    let operator_id = app.with_conn(|conn| {
        partner_dashboard::db::models::user::User::find_by_email(
            conn,
            &partner_dashboard::domain::Email::parse("olivia@platform.example").unwrap(),
        )
        .unwrap()
        .unwrap()
        .id
    });

    app.signed_in("alice@contoso.example").await;
    assert_redirect(
        &submit_request(&app, "Contoso Cloud Distribution").await,
        "/profile",
    );
    let fabrikam_client = new_client();
    app.sign_in_with(&fabrikam_client, "fabian@fabrikam.example", PASSWORD)
        .await;
    let token = app.csrf_token_with(&fabrikam_client).await;
    let res = fabrikam_client
        .post(app.url(&format!("/profile/change-request?csrf_token={token}")))
        .header("Origin", &app.address)
        .multipart(change_form(
            "Fabrikam Cloud",
            None,
            &[("JP", "https://fabrikam.example/jp")],
        ))
        .send()
        .await
        .unwrap();
    assert_redirect(&res, "/profile");
    let contoso_request = latest(&app, contoso);
    let fabrikam_request = latest(&app, fabrikam);

    // The queue, oldest first, and the console's home count.
    let html = app.html_with(&ops, "/operations").await;
    assert!(html.contains("Requests waiting: 2"));
    let html = app.html_with(&ops, "/operations/profile-requests").await;
    assert_eq!(
        texts(&html, "#profile-requests tbody tr td:first-child"),
        vec!["Contoso Distribution", "Fabrikam"]
    );

    // Side by side: nothing listed yet, and the proposal with its logo and URLs.
    let detail = format!("/operations/profile-requests/{}", contoso_request.id);
    let html = app.html_with(&ops, &detail).await;
    assert!(
        texts(&html, "#current-listing")[0]
            .contains("This provider is not on the official list yet.")
    );
    let proposed = texts(&html, "#proposed-listing")[0].clone();
    assert!(
        proposed.contains("Contoso Cloud Distribution")
            && proposed.contains("https://contoso.example/us")
    );
    assert!(html.contains(&format!(
        r#"src="/logos/{}""#,
        contoso_request.logo_id.unwrap()
    )));
    let res = app
        .get_with(
            &ops,
            &format!("/logos/{}", contoso_request.logo_id.unwrap()),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "operators see the proposed logo"
    );

    // Start the review: the provider sees In review.
    let res = app
        .post_form_with(&ops, &format!("{detail}/start-review"), &[])
        .await;
    assert_redirect(&res, &detail);
    let html = app.html("/profile").await;
    assert_eq!(texts(&html, "#request-status"), vec!["In review"]);

    // Approve: the public list shows it, signed out, with the URL for the chosen country.
    let res = app
        .post_form_with(&ops, &format!("{detail}/approve"), &[])
        .await;
    assert_redirect(&res, "/operations/profile-requests");
    let public = new_client();
    let html = app.html_with(&public, "/providers").await;
    assert_eq!(
        texts(&html, "#providers .listing-name"),
        vec!["Contoso Cloud Distribution"]
    );
    let logo = contoso_request.logo_id.unwrap();
    assert!(html.contains(&format!(r#"src="/logos/{logo}""#)));
    let res = app.get_with(&public, &format!("/logos/{logo}")).await;
    assert_eq!(res.status(), StatusCode::OK, "a published logo is public");
    assert_eq!(res.headers()["content-type"], "image/png");
    let html = app.html_with(&public, "/providers?country=US").await;
    let listing = texts(&html, "#providers li")[0].clone();
    assert!(listing.contains("https://contoso.example/us"));
    assert!(
        !listing.contains("https://contoso.example/tw"),
        "only the chosen country's URL"
    );
    let html = app.html_with(&public, "/providers?country=JP").await;
    assert!(texts(&html, "#providers .listing-name").is_empty());
    assert!(html.contains("No listed provider serves this country yet."));

    let profile = app.with_conn(|conn| ProviderProfile::of(conn, contoso).unwrap().unwrap());
    assert!(profile.published);
    assert_eq!(profile.company_name, "Contoso Cloud Distribution");
    let email = app.mail.wait_for("alice@contoso.example").await;
    assert_eq!(
        email.subject,
        "Your profile on the official indirect providers list was updated"
    );
    let html = app.html("/profile").await;
    assert_eq!(texts(&html, "#request-status"), vec!["Completed"]);
    assert!(texts(&html, "#listing")[0].contains("https://contoso.example/tw"));
    assert!(
        html.contains(r#"href="/profile/change-request""#),
        "a new request can be made"
    );

    // Reject Fabrikam's with a reason: the list is unchanged, the provider is told why.
    let detail = format!("/operations/profile-requests/{}", fabrikam_request.id);
    let res = app
        .post_form_with(&ops, &format!("{detail}/reject"), &[("reason", " ")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        texts(&res.text().await.unwrap(), "#f-reason-error"),
        vec!["This field is required."]
    );
    let res = app
        .post_form_with(
            &ops,
            &format!("{detail}/reject"),
            &[("reason", "The Japan URL does not load.")],
        )
        .await;
    assert_redirect(&res, "/operations/profile-requests");
    let html = app.html_with(&public, "/providers").await;
    assert_eq!(
        texts(&html, "#providers .listing-name"),
        vec!["Contoso Cloud Distribution"]
    );
    assert!(
        app.with_conn(|conn| ProviderProfile::of(conn, fabrikam).unwrap())
            .is_none()
    );
    let html = app.html_with(&fabrikam_client, "/profile").await;
    assert_eq!(texts(&html, "#request-status"), vec!["Rejected"]);
    assert_eq!(
        texts(&html, "#rejection-reason"),
        vec!["The Japan URL does not load."]
    );
    let email = app.mail.wait_for("fabian@fabrikam.example").await;
    assert!(email.text.contains("The Japan URL does not load."));

    // A decision is made once; each step is in the log, on the provider's own activity log too.
    let res = app
        .post_form_with(&ops, &format!("{detail}/approve"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let log = app.with_conn(|conn| {
        Activity::for_entity(conn, "profile_change_request", contoso_request.id).unwrap()
    });
    let actions: Vec<&str> = log.iter().map(|a| a.action.as_str()).collect();
    for action in [
        "profile_request.submitted",
        "profile_request.review_started",
        "profile_request.approved",
    ] {
        assert!(actions.contains(&action), "{actions:?}");
    }
    assert!(
        log.iter()
            .filter(|a| a.action != "profile_request.submitted")
            .all(|a| a.actor_user_id == Some(operator_id))
    );
    let html = app.html("/activity-log").await;
    assert!(html.contains("Profile change approved"));
}

#[tokio::test]
async fn the_public_list_needs_no_sign_in_and_speaks_both_languages() {
    let app = spawn_app().await;
    let TestOrg {
        id: provider,
        user_id: user,
    } = app.create_provider("alice@contoso.example");
    app.with_conn(|conn| {
        let id = ProfileChangeRequest::create(
            conn,
            partner_dashboard::domain::ProviderId::established(provider),
            user,
            "Contoso Distribution",
            None,
            &[partner_dashboard::db::models::profile::Location {
                country: "TW".into(),
                url: "https://contoso.example/tw".into(),
            }],
        )
        .unwrap();
        let request = ProfileChangeRequest::find(conn, id).unwrap();
        ProviderProfile::apply(conn, &request).unwrap();
    });
    let (status, html) = app.get_html("/providers").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Official indirect providers list"));
    assert!(texts(&html, "#providers li")[0].contains("Taiwan"));

    let zh = new_client();
    let html = zh
        .get(app.url("/providers?country=TW"))
        .header("Accept-Language", "zh-TW,zh;q=0.9")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("官方間接提供者清單"));
    assert!(texts(&html, "#providers li")[0].contains("臺灣"));
    assert_eq!(
        texts(&html, "#providers .listing-name"),
        vec!["Contoso Distribution"]
    );

    // Paging walks the list by name.
    for i in 0..55 {
        let TestOrg { id: p, user_id: u } =
            app.create_named_provider(&format!("Provider {i:02}"), &format!("p{i}@example.com"));
        app.with_conn(|conn| {
            let id = ProfileChangeRequest::create(
                conn,
                partner_dashboard::domain::ProviderId::established(p),
                u,
                &format!("Provider {i:02}"),
                None,
                &[partner_dashboard::db::models::profile::Location {
                    country: "US".into(),
                    url: format!("https://p{i}.example"),
                }],
            )
            .unwrap();
            let request = ProfileChangeRequest::find(conn, id).unwrap();
            ProviderProfile::apply(conn, &request).unwrap();
        });
    }
    let html = app.html("/providers").await;
    let names = texts(&html, "#providers .listing-name");
    assert_eq!(names.len(), 50);
    assert_eq!(names[0], "Contoso Distribution");
    let next = scraper::Html::parse_document(&html)
        .select(&scraper::Selector::parse(".pager a").unwrap())
        .next_back()
        .unwrap()
        .value()
        .attr("href")
        .unwrap()
        .to_owned();
    let html = app.html(&next).await;
    let rest = texts(&html, "#providers .listing-name");
    assert_eq!(rest.len(), 6);
    assert_eq!(rest.last().unwrap(), "Provider 54");
}
