//! The provider's activity log says what changed: the subscription as well as the customer, states in
//! the reader's language, filters by action and by user, and a reversed date range is a message.

use reqwest::StatusCode;

use crate::helpers::*;
use partner_dashboard::db::models::activity::{ACTIONS, action_key, short_id};
use partner_dashboard::db::schema::activity_log;
use partner_dashboard::domain::{EnrollmentStatus, Role};

struct World {
    subscription: i64,
    bob: reqwest::Client,
    bob_id: i64,
}

async fn world(app: &TestApp) -> World {
    let provider = app.create_provider("alice@contoso.example").id;
    let reseller = app
        .create_reseller("wei@northwind.example", EnrollmentStatus::Verified)
        .id;
    app.partner(provider, reseller);
    let offer = app.create_offer("Microsoft 365 E3", 3600, 1, 300);
    let customer = app.seed_customer(provider, Some(reseller), "Wingtip Toys", "wingtiptoys");
    let subscription = app.add_subscription(provider, customer, offer, 10, None);
    app.signed_in("alice@contoso.example").await;
    let bob_id = app.create_user("bob@contoso.example", Role::Provider, Some(provider), false);
    let bob = new_client();
    app.sign_in_with(&bob, "bob@contoso.example", PASSWORD)
        .await;
    let res = app
        .post_form_with(
            &bob,
            &format!("/subscriptions/{subscription}/quantity"),
            &[("quantity", "12"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // Bob, Alice's colleague, changed its licenses; then Alice suspends it.
    let res = app
        .post_form(
            &format!("/subscriptions/{subscription}/status"),
            &[
                ("status", "suspended"),
                ("reason", "Unpaid invoice"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    World {
        subscription,
        bob,
        bob_id,
    }
}

fn rows(html: &str) -> Vec<String> {
    texts(html, "#activity tbody tr")
}

#[tokio::test]
async fn each_entry_names_the_subscription_and_states_read_in_the_readers_language() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let html = app
        .html("/activity-log?action=subscription.status_changed")
        .await;
    let subject = format!("Microsoft 365 E3 {}", short_id(w.subscription));
    assert_eq!(
        texts(&html, "#activity tbody td:nth-child(4)"),
        vec![format!("Wingtip Toys {subject}")]
    );
    assert!(html.contains(&format!("href=\"/subscriptions/{}\"", w.subscription)));
    assert_eq!(
        texts(&html, "#activity td.change"),
        vec!["active → suspended, Unpaid invoice"]
    );
    // In Traditional Chinese, the states are Chinese words, not the stored ones.
    let res = app
        .post_form("/language", &[("locale", "zh-TW"), ("next", "/")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let html = app
        .html("/activity-log?action=subscription.status_changed")
        .await;
    assert_eq!(
        texts(&html, "#activity td.change"),
        vec!["使用中 → 已暫停、Unpaid invoice"]
    );
    // Numbers and names stay as they were.
    let html = app
        .html("/activity-log?action=subscription.quantity_changed")
        .await;
    assert_eq!(texts(&html, "#activity td.change"), vec!["10 → 12"]);
}

#[tokio::test]
async fn the_log_filters_by_action_and_by_user_and_says_when_nothing_matches() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let all = rows(&app.html("/activity-log").await);
    assert!(all.len() >= 3, "{all:?}");
    // By action: the suspension only.
    let html = app
        .html("/activity-log?action=subscription.status_changed")
        .await;
    assert_eq!(rows(&html).len(), 1);
    assert_eq!(
        texts(&html, "#f-action option[selected]"),
        vec!["Status changed"]
    );
    // By user: Bob's license change only, and he is offered in the filter.
    let html = app.html(&format!("/activity-log?user={}", w.bob_id)).await;
    assert_eq!(rows(&html).len(), 1);
    assert!(
        rows(&html)[0].contains("Quantity changed"),
        "{:?}",
        rows(&html)
    );
    assert_eq!(
        attrs(&html, "#f-user option[selected]", "value"),
        vec![w.bob_id.to_string()]
    );
    // Both: nothing; the page says that the filters match nothing, not that nothing was logged.
    let html = app
        .html(&format!(
            "/activity-log?user={}&action=subscription.status_changed",
            w.bob_id
        ))
        .await;
    assert_empty_state(&html, "activity.no_match");
    // An unknown action is a message; another organisation's user does not exist here.
    let res = app.get("/activity-log?action=drop.tables").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let other = app.create_provider("carol@fabrikam.example");
    let res = app
        .get(&format!("/activity-log?user={}", other.user_id))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // Bob reads the same log (his organisation's).
    let res = app.get_with(&w.bob, "/activity-log").await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_reversed_date_range_is_a_message_not_an_empty_log() {
    let app = spawn_app().await;
    world(&app).await;
    let res = app.get("/activity-log?from=2026-12-01&to=2026-11-01").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert_eq!(
        texts(&html, "#f-to-error"),
        vec!["The To date is before the From date. Choose a From date on or before the To date."]
    );
    assert!(!html.contains("Nothing has been logged yet."));
    assert!(texts(&html, ".empty-state").is_empty());
    // The dates typed are kept.
    assert!(html.contains("value=\"2026-12-01\"") && html.contains("value=\"2026-11-01\""));
    let res = app
        .get("/activity-log.csv?from=2026-12-01&to=2026-11-01")
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // One day, from and to the same date, is a range.
    let res = app.get("/activity-log?from=2026-11-01&to=2026-11-01").await;
    assert_eq!(res.status(), StatusCode::OK);
}

/// Every action is named in both languages (the filter lists them all).
#[tokio::test]
async fn every_action_of_the_filter_has_a_name_in_both_languages() {
    partner_dashboard::i18n::init().unwrap();
    for action in ACTIONS {
        assert!(
            partner_dashboard::i18n::has_key(&action_key(action)),
            "{action} has no name"
        );
    }
}

/// The actions a world wrote are all ones the filter offers (called by the route-table matrix, whose
/// world writes nearly every kind of entry).
pub fn assert_actions_known(app: &TestApp) {
    use diesel::prelude::*;
    let written: Vec<String> = app.with_conn(|conn| {
        activity_log::table
            .select(activity_log::action)
            .distinct()
            .load(conn)
            .unwrap()
    });
    assert!(written.len() > 10, "{written:?}");
    for action in written {
        assert!(
            ACTIONS.contains(&action.as_str()),
            "{action} is logged but not in ACTIONS"
        );
    }
}
