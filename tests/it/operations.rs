use partner_dashboard::db::models::activity::Activity;
use partner_dashboard::db::models::partner::{EnrollmentStatus, Partner};
use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn an_operator_verifies_a_pending_enrollment_and_the_reseller_is_told() {
    let app = spawn_app().await;
    let (reseller, _) = app.create_reseller("wei@northwind.example", EnrollmentStatus::Pending);
    let operator = app.create_operator("olivia@platform.example");
    app.signed_in("olivia@platform.example").await;

    let html = app.get("/operations").await.text().await.unwrap();
    assert!(html.contains("Enrollments waiting for review: 1"));
    let html = app
        .get("/operations/enrollments")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        texts(&html, "#enrollments tbody tr td:first-child"),
        vec!["Northwind Traders"]
    );

    let res = app
        .post_form(&format!("/operations/enrollments/{reseller}/verify"), &[])
        .await;
    assert_redirect(&res, "/operations/enrollments");
    let partner = app.with_conn(|conn| Partner::find(conn, reseller).unwrap());
    assert_eq!(partner.enrollment_status(), EnrollmentStatus::Verified);
    assert_eq!(partner.reviewed_by, Some(operator));
    let email = app.mail.wait_for("wei@northwind.example").await;
    assert_eq!(
        email.subject,
        "Your indirect reseller enrollment was verified"
    );
    let log = app.with_conn(|conn| Activity::for_entity(conn, "partner", reseller).unwrap());
    assert_eq!(log[0].action, "reseller.verified");
    assert_eq!(log[0].actor_user_id, Some(operator));

    // A decision is made once.
    let res = app
        .post_form(&format!("/operations/enrollments/{reseller}/verify"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn an_operator_rejects_with_a_reason_which_the_reseller_receives() {
    let app = spawn_app().await;
    let (reseller, _) = app.create_reseller("wei@northwind.example", EnrollmentStatus::Pending);
    app.create_operator("olivia@platform.example");
    app.signed_in("olivia@platform.example").await;

    let path = format!("/operations/enrollments/{reseller}/reject");
    let res = app.post_form(&path, &[("reason", "  ")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert_eq!(
        texts(&html, "#f-reason-error"),
        vec!["This field is required."]
    );

    let res = app
        .post_form(
            &path,
            &[("reason", "Partner ID does not match our records.")],
        )
        .await;
    assert_redirect(&res, "/operations/enrollments");
    let partner = app.with_conn(|conn| Partner::find(conn, reseller).unwrap());
    assert_eq!(partner.enrollment_status(), EnrollmentStatus::Rejected);
    let email = app.mail.wait_for("wei@northwind.example").await;
    assert!(
        email
            .text
            .contains("Partner ID does not match our records.")
    );
    let html = app
        .get("/operations/enrollments?status=rejected")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Partner ID does not match our records."));
}

#[tokio::test]
async fn the_console_does_not_exist_for_anyone_but_operators() {
    let app = spawn_app().await;
    let (reseller, _) = app.create_reseller("wei@northwind.example", EnrollmentStatus::Pending);
    app.create_provider("alice@contoso.example");
    let gets = [
        "/operations",
        "/operations/enrollments",
        &format!("/operations/enrollments/{reseller}/reject"),
    ];

    // Signed out: sent to sign in.
    for path in gets {
        assert_eq!(
            app.get(path).await.status(),
            StatusCode::SEE_OTHER,
            "{path}"
        );
    }
    for email in ["alice@contoso.example", "wei@northwind.example"] {
        let client = new_client();
        app.sign_in_with(&client, email, PASSWORD).await;
        for path in gets {
            assert_eq!(
                app.get_with(&client, path).await.status(),
                StatusCode::NOT_FOUND,
                "{email} {path}"
            );
        }
        let res = app
            .post_form_with(
                &client,
                &format!("/operations/enrollments/{reseller}/verify"),
                &[],
            )
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
    let partner = app.with_conn(|conn| Partner::find(conn, reseller).unwrap());
    assert_eq!(partner.enrollment_status(), EnrollmentStatus::Pending);
}
