use reqwest::StatusCode;

use crate::helpers::*;
use partner_dashboard::db::models::partner::Partner;
use partner_dashboard::db::models::user::User;
use partner_dashboard::domain::Email;
use partner_dashboard::domain::EnrollmentStatus;

fn fields<'a>(overrides: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut base = vec![
        ("company_name", "Wide World Importers"),
        ("partner_number", "5123456"),
        ("country", "TW"),
        ("contact_name", "Lin Mei"),
        ("email", "mei@wwi.example"),
        ("password", PASSWORD),
        ("confirm_password", PASSWORD),
    ];
    for (k, v) in overrides {
        base.retain(|(bk, _)| bk != k);
        base.push((k, v));
    }
    base
}

#[tokio::test]
async fn enrolling_makes_a_pending_reseller_signs_it_in_and_emails_it() {
    let app = spawn_app().await;
    let res = app.post_form("/enroll", &fields(&[])).await;
    assert_redirect(&res, "/indirect-providers");

    let html = app.get("/indirect-providers").await.text().await.unwrap();
    assert!(html.contains("Thank you for enrolling."));
    assert!(html.contains("Your enrollment is awaiting verification by an operator."));

    let user = app
        .with_conn(|conn| {
            User::find_by_email(conn, &Email::parse("mei@wwi.example").unwrap()).unwrap()
        })
        .unwrap();
    assert_eq!(user.role.as_str(), "reseller");
    let partner = app.with_conn(|conn| Partner::find(conn, user.partner_id.unwrap()).unwrap());
    assert_eq!(partner.enrollment_status, EnrollmentStatus::Pending);
    assert_eq!(partner.partner_number.as_deref(), Some("5123456"));
    assert_eq!(partner.country, "TW");

    let email = app.mail.wait_for("mei@wwi.example").await;
    assert_eq!(
        email.subject,
        "Your indirect reseller enrollment was received"
    );
}

#[tokio::test]
async fn bad_enrollments_come_back_with_a_message_per_field_and_the_values_kept() {
    let app = spawn_app().await;
    let cases: Vec<FieldCase> = vec![
        (
            fields(&[("company_name", " ")]),
            "company_name",
            "This field is required.",
        ),
        (
            fields(&[("partner_number", "12a4")]),
            "partner_number",
            "Use digits only.",
        ),
        (
            fields(&[("country", "XX")]),
            "country",
            "Choose a country from the list.",
        ),
        (
            fields(&[("contact_name", "")]),
            "contact_name",
            "This field is required.",
        ),
        (
            fields(&[("email", "mei-at-wwi")]),
            "email",
            "Enter an email address like name@example.com.",
        ),
        (
            fields(&[("password", "short"), ("confirm_password", "short")]),
            "password",
            "Use at least 12 characters.",
        ),
        (
            fields(&[("confirm_password", "something else entirely")]),
            "confirm_password",
            "The two new passwords do not match.",
        ),
    ];
    let long_name = "x".repeat(201);
    let mut cases = cases;
    cases.push((
        fields(&[("company_name", long_name.as_str())]),
        "company_name",
        "This is too long.",
    ));
    for (form, field, message) in cases {
        let res = app.post_form("/enroll", &form).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        let html = res.text().await.unwrap();
        assert_eq!(
            texts(&html, &format!("#f-{field}-error")),
            vec![message],
            "{field}"
        );
        if field != "contact_name" {
            assert!(
                html.contains(r#"value="Lin Mei""#),
                "values are kept ({field})"
            );
        }
        assert!(!html.contains(PASSWORD), "passwords are not echoed");
    }
    let count = app.with_conn(|conn| Partner::count_pending_enrollments(conn).unwrap());
    assert_eq!(count, 0, "nothing was written");
}

#[tokio::test]
async fn an_email_or_partner_id_already_enrolled_is_refused() {
    let app = spawn_app().await;
    assert_redirect(
        &app.post_form("/enroll", &fields(&[])).await,
        "/indirect-providers",
    );

    let other = new_client();
    let res = app
        .post_form_with(&other, "/enroll", &fields(&[("partner_number", "999")]))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert_eq!(
        texts(&html, "#f-email-error"),
        vec!["An account with this email already exists. Sign in instead."]
    );

    let res = app
        .post_form_with(
            &other,
            "/enroll",
            &fields(&[("email", "other@wwi.example")]),
        )
        .await;
    let html = res.text().await.unwrap();
    assert_eq!(
        texts(&html, "#f-partner_number-error"),
        vec!["A company with this Partner ID is already enrolled."]
    );
}

#[tokio::test]
async fn enrolling_from_a_partnership_link_comes_back_to_it() {
    let app = spawn_app().await;
    let next = "/partnerships/accept/abc";
    let html = app
        .get(&format!(
            "/enroll?next={}",
            "%2Fpartnerships%2Faccept%2Fabc"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"name="next" value="/partnerships/accept/abc""#));
    let mut form = fields(&[]);
    form.push(("next", next));
    assert_redirect(&app.post_form("/enroll", &form).await, next);
}

fn sign_up_fields<'a>(overrides: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut base = vec![
        ("company_name", "Proseware"),
        ("domain_prefix", "proseware"),
        ("country", "US"),
        ("contact_first_name", "Lee"),
        ("contact_last_name", "Wu"),
        ("email", "lee@proseware.example"),
        ("password", PASSWORD),
        ("confirm_password", PASSWORD),
    ];
    for (k, v) in overrides {
        base.retain(|(bk, _)| bk != k);
        base.push((k, v));
    }
    base
}

#[tokio::test]
async fn enrollment_and_sign_up_tell_whether_an_address_is_taken_only_as_often_as_the_throttle_allows()
 {
    use partner_dashboard::config::ThrottleSettings;
    use std::time::Duration;
    let app = spawn_app_with(AppOptions {
        throttle: ThrottleSettings {
            sign_up_per_email_burst: 2,
            sign_up_per_email_every: Duration::from_secs(600),
            sign_up_per_address_burst: 5,
            sign_up_per_address_every: Duration::from_secs(600),
            ..ThrottleSettings::default()
        },
        ..AppOptions::default()
    })
    .await;
    // A form with a field wrong spends nothing, and says nothing about the address.
    for _ in 0..4 {
        let res = app
            .post_form_with(
                &new_client(),
                "/enroll",
                &fields(&[("confirm_password", "typo")]),
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(!res.text().await.unwrap().contains("already"));
    }
    // Per email: the first enrollment works, the second learns the address is taken, the third waits.
    let res = app
        .post_form_with(&new_client(), "/enroll", &fields(&[]))
        .await;
    assert_redirect(&res, "/indirect-providers");
    let res = app
        .post_form_with(
            &new_client(),
            "/enroll",
            &fields(&[("partner_number", "5999999")]),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app
        .post_form_with(
            &new_client(),
            "/customers/sign-up",
            &sign_up_fields(&[("email", "mei@wwi.example")]),
        )
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(res.headers()["retry-after"], "600");
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Too many attempts. Try again in 10 minutes."),
        "{html}"
    );

    // Per address: two more attempts with other addresses use up this address's five.
    for i in 0..2 {
        let email = format!("lee{i}@proseware.example");
        let prefix = format!("proseware{i}");
        let res = app
            .post_form_with(
                &new_client(),
                "/customers/sign-up",
                &sign_up_fields(&[("email", &email), ("domain_prefix", &prefix)]),
            )
            .await;
        assert_redirect(&res, "/my/subscriptions");
    }
    let res = app
        .post_form_with(
            &new_client(),
            "/enroll",
            &fields(&[
                ("email", "new@adatum.example"),
                ("partner_number", "5888888"),
            ]),
        )
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let made: i64 = app.with_conn(|conn| {
        use diesel::prelude::*;
        partner_dashboard::db::schema::users::table
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(made, 3, "nothing is written for a throttled attempt");
}

/// The GOV.UK error summary: what went wrong, each message naming its field and linking to it; hints
/// and messages tied to their fields; required fields marked.
#[tokio::test]
async fn a_failed_form_lists_each_bad_field_with_a_link_to_it_and_ties_hints_to_their_fields() {
    let app = spawn_app().await;
    let form = fields(&[("company_name", ""), ("partner_number", "12a4")]);
    let res = app.post_form("/enroll", &form).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert_eq!(
        attrs(&html, ".error-summary a", "href"),
        vec!["#f-company_name", "#f-partner_number"]
    );
    assert_eq!(
        texts(&html, ".error-summary a"),
        vec![
            "Company name: This field is required.",
            format!(
                "{}: Use digits only.",
                texts(&html, "label[for=f-partner_number]")[0].trim_end_matches(" (required)")
            )
            .as_str(),
        ]
    );
    // Focused on load by app.js: it can take focus.
    assert_eq!(attrs(&html, ".error-summary", "tabindex"), vec!["-1"]);
    // The hint and the message are read with the field.
    assert_eq!(
        attrs(&html, "#f-partner_number", "aria-describedby"),
        vec!["f-partner_number-hint f-partner_number-error"]
    );
    assert_eq!(texts(&html, "#f-partner_number-hint").len(), 1);
    assert_eq!(
        attrs(&html, "#f-password", "aria-describedby"),
        vec!["f-password-hint"]
    );
    assert_eq!(
        attrs(&html, "#f-company_name", "aria-invalid"),
        vec!["true"]
    );
    // Required fields say so.
    assert_eq!(
        attrs(&html, "#f-company_name", "aria-required"),
        vec!["true"]
    );
    assert!(
        texts(&html, "label[for=f-company_name] .required") == vec!["(required)"],
        "the label marks it"
    );
}

/// A reseller that enrolls from a partnership link lands on "the request waits for you", finds it on
/// its home, gets it again in the "verified" email, and accepts it once verified.
#[tokio::test]
async fn a_reseller_enrolling_from_a_link_finds_the_request_waiting_and_accepts_it_once_verified() {
    let app = spawn_app().await;
    app.create_named_provider("Contoso Distribution", "alice@contoso.example");
    app.signed_in("alice@contoso.example").await;
    let (_, link) = app.request_partnership().await;
    let path = app.path_of(&link);

    let reseller = new_client();
    let mut form = fields(&[]);
    form.push(("next", &path));
    let res = app.post_form_with(&reseller, "/enroll", &form).await;
    assert_redirect(&res, &path);
    let res = app.get_with(&reseller, &path).await;
    assert_eq!(res.status(), StatusCode::OK, "not a refusal");
    let html = res.text().await.unwrap();
    let waiting = texts(&html, "#awaiting-verification");
    assert_eq!(waiting.len(), 1);
    assert!(waiting[0].contains("Contoso Distribution"), "{waiting:?}");
    // Not yet answerable.
    let res = app
        .post_form_with(
            &reseller,
            &path,
            &[("decision", "accept"), ("authorize", "yes")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // On its home: the request, with its link.
    let home = app.html_with(&reseller, "/indirect-providers").await;
    assert_eq!(
        attrs(&home, "#waiting-requests a", "href"),
        vec![link.clone()]
    );
    // Stored sealed, never in clear.
    let clear: i64 = app.with_conn(|conn| {
        use diesel::prelude::*;
        use partner_dashboard::db::schema::relationship_requests;
        let token = path.rsplit('/').next().unwrap().to_owned();
        relationship_requests::table
            .filter(relationship_requests::waiting_token_sealed.like(format!("%{token}%")))
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(clear, 0);

    // Verified: the email offers the request again; the link now asks for consent, and accepting works.
    let reseller_id = app.with_conn(|conn| {
        User::find_by_email(conn, &Email::parse("mei@wwi.example").unwrap())
            .unwrap()
            .unwrap()
            .partner_id
            .unwrap()
    });
    app.create_operator("olivia@platform.example");
    let operator = new_client();
    app.sign_in_with(&operator, "olivia@platform.example", PASSWORD)
        .await;
    let res = app
        .post_form_with(
            &operator,
            &format!("/operations/enrollments/{reseller_id}/verify"),
            &[],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let email = app.mail.wait_for("mei@wwi.example").await;
    let email = if email.subject.contains("verified") {
        email
    } else {
        let mut found = None;
        eventually("the verified email", || {
            found = app
                .mail
                .received_by("mei@wwi.example")
                .into_iter()
                .find(|m| m.subject.contains("verified"));
            found.is_some()
        })
        .await;
        found.unwrap()
    };
    assert!(email.text.contains(&link), "{}", email.text);
    assert!(email.text.contains("Contoso Distribution"));
    let html = app.html_with(&reseller, &path).await;
    assert!(
        html.contains("name=\"decision\" value=\"accept\""),
        "consent now"
    );
    let res = app
        .post_form_with(
            &reseller,
            &path,
            &[("decision", "accept"), ("authorize", "yes")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // Answered: it no longer waits.
    let home = app.html_with(&reseller, "/indirect-providers").await;
    assert!(texts(&home, "#waiting-requests").is_empty());
}
