use std::time::Duration;

use partner_dashboard::db::models::outbox::{NewEmail, OutboxEmail};
use partner_dashboard::db::transaction;
use partner_dashboard::email::mailer::Mailer;
use partner_dashboard::email::messages::PasswordChanged;
use partner_dashboard::email::worker::OutboxWorker;
use partner_dashboard::email::{self};
use partner_dashboard::i18n::{Locale, Tr};

use crate::helpers::*;

fn queue_plain(app: &TestApp, to: &str, sensitive: bool) -> i64 {
    let id = queue_unannounced(app, to, sensitive);
    app.state.wake_outbox();
    id
}

/// Queues a message without waking the app's outbox worker.
fn queue_unannounced(app: &TestApp, to: &str, sensitive: bool) -> i64 {
    app.with_conn(|conn| {
        transaction(conn, |conn| {
            OutboxEmail::enqueue(
                conn,
                NewEmail {
                    to: to.to_owned(),
                    template: "test",
                    locale: "en",
                    subject: format!("Hello {to}"),
                    text: "secret link https://example.test/x".into(),
                    html: "<p>secret link</p>".into(),
                    sensitive,
                    reply_to: None,
                },
            )
            .map_err(partner_dashboard::db::DbError::from)
        })
        .unwrap()
    })
}

fn row(app: &TestApp, id: i64) -> OutboxEmail {
    app.with_conn(|conn| OutboxEmail::find(conn, id).unwrap())
}

#[tokio::test]
async fn queued_mail_reaches_the_smtp_listener_as_text_and_html_in_the_recipients_language() {
    let app = spawn_app().await;
    let message = PasswordChanged {
        tr: Tr(Locale::ZhTw),
        name: "林美華".into(),
        when: "2026年11月23日 10:00 (UTC)".into(),
        sign_in_url: app.url("/sign-in"),
    };
    let id = app.with_conn(|conn| {
        transaction(conn, |conn| {
            email::queue(conn, "meihua@contoso.example", &message)
        })
        .unwrap()
    });
    app.state.wake_outbox();

    let received = app.mail.wait_for("meihua@contoso.example").await;
    assert_eq!(received.subject, "您的合作夥伴儀表板密碼已變更");
    assert!(received.text.contains("林美華 您好"));
    assert!(received.html.contains(r#"<html lang="zh-TW">"#));
    eventually("the row is marked sent", || {
        row(&app, id).status.as_str() == "sent"
    })
    .await;
    assert_eq!(row(&app, id).attempts, 1);
}

#[tokio::test]
async fn mail_waits_while_the_smtp_server_is_down_and_goes_out_once_when_it_is_back() {
    let app = spawn_app_with(AppOptions {
        smtp_up: false,
        ..AppOptions::default()
    })
    .await;
    let id = queue_plain(&app, "waiting@example.com", false);

    eventually("a failed attempt is recorded", || {
        let r = row(&app, id);
        r.status.as_str() == "pending" && r.attempts >= 2 && r.last_error.is_some()
    })
    .await;
    assert!(app.mail.received().is_empty());

    app.mail.start().await;
    app.mail.wait_for("waiting@example.com").await;
    eventually("the row is marked sent", || {
        row(&app, id).status.as_str() == "sent"
    })
    .await;
    // Give any duplicate a chance to show up: there must be none.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(app.mail.received_by("waiting@example.com").len(), 1);
    assert!(row(&app, id).last_error.is_none());

    // Down again: the next message waits, then goes out when the server returns.
    app.mail.stop().await;
    let id = queue_plain(&app, "second@example.com", false);
    eventually("a failed attempt is recorded", || {
        row(&app, id).attempts >= 1
    })
    .await;
    assert_eq!(row(&app, id).status.as_str(), "pending");
    app.mail.start().await;
    app.mail.wait_for("second@example.com").await;
    eventually("the row is marked sent", || {
        row(&app, id).status.as_str() == "sent"
    })
    .await;
    assert_eq!(app.mail.received_by("second@example.com").len(), 1);
}

#[tokio::test]
async fn several_workers_at_once_never_send_a_message_twice() {
    // The app's own worker is off (OUTBOX_WORKER=off), so the four below are the only senders and what
    // each sent can be added up.
    let mut options = AppOptions::default();
    options.outbox.deliver = false;
    let app = spawn_app_with(options).await;
    let ids: Vec<i64> = (0..20)
        .map(|i| queue_unannounced(&app, &format!("racer{i}@example.com"), false))
        .collect();
    // Four workers, as if four instances shared the database, all draining at once.
    let mut handles = Vec::new();
    for _ in 0..4 {
        let worker = OutboxWorker::new(
            app.state.db.clone(),
            Mailer::from_config(&app.state.config.mail, Duration::from_secs(5)).unwrap(),
            app.state.config.mail_from.clone(),
            app.state.config.outbox.clone(),
            Default::default(),
        );
        handles.push(tokio::task::spawn_blocking(move || {
            worker.deliver_due().unwrap()
        }));
    }
    let mut sent = 0;
    for h in handles {
        let pass = h.await.unwrap();
        assert_eq!((pass.retrying, pass.failed), (0, 0));
        sent += pass.sent;
    }
    assert_eq!(
        sent,
        ids.len(),
        "exactly one send per message over all workers"
    );
    assert!(
        ids.iter()
            .all(|id| row(&app, *id).status.as_str() == "sent")
    );
    for i in 0..20 {
        app.mail.wait_for(&format!("racer{i}@example.com")).await;
    }
    for i in 0..20 {
        assert_eq!(
            app.mail.received_by(&format!("racer{i}@example.com")).len(),
            1,
            "racer{i}"
        );
    }
    assert!(ids.iter().all(|id| row(&app, *id).attempts == 1));
}

#[tokio::test]
async fn a_message_that_can_never_be_delivered_is_marked_failed() {
    let app = spawn_app().await;
    let id = queue_plain(&app, "not an address", false);
    eventually("the row is marked failed", || {
        row(&app, id).status.as_str() == "failed"
    })
    .await;
    let r = row(&app, id);
    assert_eq!(r.attempts, 1);
    assert!(r.last_error.unwrap().contains("recipient"));
}

#[tokio::test]
async fn a_retried_failed_message_goes_out_once() {
    let app = spawn_app().await;
    let id = queue_plain(&app, "retry@example.com", false);
    app.mail.wait_for("retry@example.com").await;
    eventually("sent", || row(&app, id).status.as_str() == "sent").await;
    // Retrying a sent message does nothing: it is never sent again.
    assert!(!app.with_conn(|conn| OutboxEmail::retry(conn, id).unwrap()));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.mail.received_by("retry@example.com").len(), 1);
}

#[tokio::test]
async fn a_message_carrying_a_secret_is_blanked_once_delivered() {
    let app = spawn_app().await;
    let id = queue_plain(&app, "secret@example.com", true);
    let received = app.mail.wait_for("secret@example.com").await;
    assert!(received.text.contains("https://example.test/x"));
    eventually("sent", || row(&app, id).status.as_str() == "sent").await;
    let r = row(&app, id);
    assert_eq!(r.body_text, "");
    assert_eq!(r.body_html, "");
    assert_eq!(r.subject, "Hello secret@example.com");
}

#[tokio::test]
async fn a_message_carrying_a_secret_is_blanked_when_given_up_on_and_cannot_be_retried() {
    let app = spawn_app().await;
    let id = queue_plain(&app, "not an address", true);
    eventually("failed for good", || {
        row(&app, id).status.as_str() == "failed"
    })
    .await;
    let r = row(&app, id);
    assert_eq!((r.body_text.as_str(), r.body_html.as_str()), ("", ""));
    assert!(!r.can_retry());
    assert!(!app.with_conn(|conn| OutboxEmail::retry(conn, id).unwrap()));
    // A plain message that failed keeps its body, so an operator can retry it.
    let plain = queue_plain(&app, "also not an address", false);
    eventually("failed for good", || {
        row(&app, plain).status.as_str() == "failed"
    })
    .await;
    assert!(row(&app, plain).body_text.contains("secret link"));
    assert!(row(&app, plain).can_retry());
}

#[tokio::test]
async fn housekeeping_gives_up_on_undelivered_secrets_once_their_links_expired_and_drops_expired_drafts()
 {
    use diesel::prelude::*;
    use partner_dashboard::db::schema::{drafts, email_outbox};
    let app = spawn_app_with(AppOptions {
        smtp_up: false,
        ..AppOptions::default()
    })
    .await;
    let TestOrg {
        id: provider,
        user_id: user,
    } = app.create_provider("alice@contoso.example");
    let old = queue_plain(&app, "old@example.com", true);
    let recent = queue_plain(&app, "recent@example.com", true);
    let plain = queue_plain(&app, "plain@example.com", false);
    let ttl = app.state.config.link_ttl;
    let long_ago = partner_dashboard::db::now() - ttl - chrono::Duration::minutes(1);
    // An expired draft that still holds a sealed temporary password, and a live one.
    let (expired_draft, live_draft) = app.with_conn(|conn| {
        use partner_dashboard::db::models::draft::Draft;
        let expired = Draft::create(
            conn,
            partner_dashboard::domain::DraftKind::NewCustomer,
            user,
            provider,
            "{}",
            chrono::Duration::hours(24),
        )
        .unwrap();
        Draft::set_result(conn, expired, 1, Some("sealed-secret")).unwrap();
        let live = Draft::create(
            conn,
            partner_dashboard::domain::DraftKind::NewCustomer,
            user,
            provider,
            "{}",
            chrono::Duration::hours(24),
        )
        .unwrap();
        diesel::update(drafts::table.find(expired))
            .set(drafts::expires_at.eq(partner_dashboard::db::now() - chrono::Duration::seconds(1)))
            .execute(conn)
            .unwrap();
        diesel::update(email_outbox::table.filter(email_outbox::id.eq_any([old, plain])))
            .set(email_outbox::created_at.eq(long_ago))
            .execute(conn)
            .unwrap();
        // Out of the (failing) worker's way while housekeeping looks at them.
        diesel::update(email_outbox::table.filter(email_outbox::id.eq_any([old, recent, plain])))
            .set(
                email_outbox::next_attempt_at
                    .eq(partner_dashboard::db::now() + chrono::Duration::hours(1)),
            )
            .execute(conn)
            .unwrap();
        (expired, live)
    });
    let db = app.state.db.clone();
    let removed = tokio::task::spawn_blocking(move || {
        partner_dashboard::services::housekeeping::run(&db, ttl).unwrap()
    })
    .await
    .unwrap();
    assert_eq!((removed.drafts, removed.expired_messages), (1, 1));
    let r = row(&app, old);
    assert_eq!(
        (
            r.status.as_str(),
            r.body_text.as_str(),
            r.body_html.as_str()
        ),
        ("failed", "", "")
    );
    assert_eq!(
        r.last_error.as_deref(),
        Some(partner_dashboard::db::models::outbox::EXPIRED_ERROR)
    );
    assert_eq!(row(&app, recent).status.as_str(), "pending");
    assert!(row(&app, recent).body_text.contains("secret link"));
    // A message without a secret keeps waiting for the mail server, however old.
    assert_eq!(row(&app, plain).status.as_str(), "pending");
    let left: Vec<i64> = app.with_conn(|conn| drafts::table.select(drafts::id).load(conn).unwrap());
    assert_eq!(left, vec![live_draft]);
    assert!(!left.contains(&expired_draft));
}

// ---------------------------------------------------------------------------------------------
// A real SMTP conversation that fails on purpose (`faulty_smtp`).

use crate::faulty_smtp::{FaultySmtp, Reply};

/// An app whose SMTP server answers the messages as `script` says.
async fn app_with_faulty_smtp(script: &[Reply], max_attempts: i32) -> (TestApp, FaultySmtp) {
    let mut options = AppOptions {
        smtp_up: false,
        ..AppOptions::default()
    };
    options.outbox.max_attempts = max_attempts;
    let app = spawn_app_with(options).await;
    let smtp = FaultySmtp::start(app.mail.port, script).await;
    (app, smtp)
}

#[tokio::test]
async fn a_temporary_smtp_failure_is_retried_with_growing_delays_and_delivered_once() {
    let (app, smtp) = app_with_faulty_smtp(&[Reply::Transient, Reply::Transient], 10).await;
    let id = queue_plain(&app, "busy@example.com", false);
    eventually("sent", || row(&app, id).status.as_str() == "sent").await;
    let tries = smtp.deliveries();
    assert_eq!(
        tries.iter().map(|d| d.reply).collect::<Vec<_>>(),
        [Reply::Transient, Reply::Transient, Reply::Accept]
    );
    assert_eq!(smtp.accepted().len(), 1);
    assert_eq!(row(&app, id).attempts, 3);
    // first_retry is 200 ms, doubled for the second retry (max 500 ms).
    let first_wait = tries[1].at - tries[0].at;
    let second_wait = tries[2].at - tries[1].at;
    assert!(first_wait >= Duration::from_millis(200), "{first_wait:?}");
    assert!(second_wait >= Duration::from_millis(400), "{second_wait:?}");
    // Nothing more goes out later.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(smtp.deliveries().len(), 3);
}

#[tokio::test]
async fn a_permanent_smtp_refusal_fails_the_message_at_once_shows_it_to_operators_and_blanks_a_secret()
 {
    let (app, smtp) = app_with_faulty_smtp(&[Reply::Permanent], 10).await;
    let id = queue_plain(&app, "gone@example.com", true);
    eventually("failed", || row(&app, id).status.as_str() == "failed").await;
    let r = row(&app, id);
    assert_eq!(r.attempts, 1);
    assert!(
        r.last_error.as_deref().unwrap_or_default().contains("550"),
        "{r:?}"
    );
    assert_eq!((r.body_text.as_str(), r.body_html.as_str()), ("", ""));
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(smtp.deliveries().len(), 1, "a refusal is never retried");
    // The operators' console lists it as failed, with the server's answer.
    app.create_operator("ops@partner-dashboard.test");
    let client = new_client();
    app.sign_in_with(&client, "ops@partner-dashboard.test", PASSWORD)
        .await;
    let html = app
        .get_with(&client, "/operations/outbox?status=failed")
        .await
        .text()
        .await
        .unwrap();
    let rows = texts(&html, "#outbox tbody tr");
    assert!(
        rows.iter()
            .any(|r| r.contains("gone@example.com") && r.contains("550")),
        "{rows:?}"
    );
    // Its body is gone, so there is nothing to retry.
    assert!(!html.contains(&format!("/operations/outbox/{id}/retry")));
}

#[tokio::test]
async fn a_message_that_keeps_failing_for_a_while_is_given_up_after_its_attempts() {
    let (app, smtp) = app_with_faulty_smtp(&[Reply::Transient; 5], 3).await;
    let id = queue_plain(&app, "flaky@example.com", false);
    eventually("failed", || row(&app, id).status.as_str() == "failed").await;
    assert_eq!(row(&app, id).attempts, 3);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(smtp.deliveries().len(), 3);
    assert!(smtp.accepted().is_empty());
}

/// SMTP delivers at least once: when the connection drops after the data but before the server's
/// answer, the sender cannot know the message arrived, so it sends it again. The repeat carries the
/// same Message-ID (the outbox row's), which is how a receiver recognises it; there is never a third.
#[tokio::test]
async fn a_connection_dropped_after_the_data_sends_the_message_again_once_with_the_same_message_id()
{
    let (app, smtp) = app_with_faulty_smtp(&[Reply::DropAfterData], 10).await;
    let id = queue_plain(&app, "dropped@example.com", false);
    eventually("sent", || row(&app, id).status.as_str() == "sent").await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let tries = smtp.deliveries();
    assert_eq!(
        tries.iter().map(|d| d.reply).collect::<Vec<_>>(),
        [Reply::DropAfterData, Reply::Accept]
    );
    let expected = format!("<outbox-{id}@partner-dashboard>");
    assert_eq!(tries[0].message_id(), Some(expected.as_str()));
    assert_eq!(tries[1].message_id(), Some(expected.as_str()));
    assert_eq!(row(&app, id).attempts, 2);
}
