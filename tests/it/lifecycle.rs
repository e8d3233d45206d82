//! The commercial life of a subscription (issue 14): the 168-hour window on both sides, an added
//! quantity's own window, cancelling, scheduled changes applied once at renewal, expiry, reminders,
//! co-terming and month ends, upgrades — every rule read from the app's injected clock.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use partner_dashboard::db::models::subscription::Subscription;
use partner_dashboard::db::schema::{email_outbox, order_lines, orders, scheduled_changes};
use partner_dashboard::domain::lifecycle::prorate;
use partner_dashboard::domain::{EnrollmentStatus, SubscriptionStatus, Term};
use partner_dashboard::services::renewals;
use reqwest::StatusCode;

use crate::helpers::*;

fn t(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
}

fn hours(h: i64) -> chrono::Duration {
    chrono::Duration::hours(h)
}

struct World {
    provider: i64,
    reseller: i64,
    customer: i64,
    /// Sold a month at 6.00 and a year at 72.00 (or 6.00 a month).
    offer: i64,
}

async fn world(app: &TestApp, at: NaiveDateTime) -> World {
    app.state.clock.set(at);
    let provider = app.create_provider("alice@contoso.example").id;
    let reseller = app
        .create_named_reseller(
            "Northwind",
            "ra@northwind.example",
            EnrollmentStatus::Verified,
        )
        .id;
    app.partner(provider, reseller);
    let customer = app.seed_customer(provider, Some(reseller), "Wingtip Toys", "wingtiptoys");
    let offer = app.create_offer("Microsoft 365 Business Basic", 600, 1, 300);
    app.signed_in("alice@contoso.example").await;
    World {
        provider,
        reseller,
        customer,
        offer,
    }
}

fn sub(app: &TestApp, id: i64) -> Subscription {
    app.with_conn(|conn| Subscription::find(conn, id).unwrap())
}

/// (kind, total) of the subscription's orders, oldest first.
fn orders_of(app: &TestApp, id: i64) -> Vec<(String, i64)> {
    app.with_conn(|conn| {
        orders::table
            .inner_join(order_lines::table)
            .filter(order_lines::subscription_id.eq(id))
            .order(orders::id.asc())
            .select((orders::id, orders::kind, orders::total_minor))
            .distinct()
            .load::<(i64, String, i64)>(conn)
            .unwrap()
            .into_iter()
            .map(|(_, kind, total)| (kind, total))
            .collect()
    })
}

/// How many renewal emails (reminders and applied changes) are queued.
fn renewal_notices(app: &TestApp) -> i64 {
    app.with_conn(|conn| {
        email_outbox::table
            .filter(email_outbox::template.eq("renewal_notice"))
            .count()
            .get_result(conn)
            .unwrap()
    })
}

async fn change_licenses(app: &TestApp, id: i64, n: &str) -> reqwest::Response {
    app.post_form(
        &format!("/subscriptions/{id}/quantity"),
        &[("quantity", n), ("confirm", "yes")],
    )
    .await
}

async fn lifecycle(app: &TestApp, id: i64, fields: &[(&str, &str)]) -> reqwest::Response {
    app.post_form(&format!("/subscriptions/{id}/lifecycle"), fields)
        .await
}

#[tokio::test]
async fn licenses_are_reduced_and_cancelled_only_within_168_hours_each_addition_with_its_own() {
    let app = spawn_app().await;
    let t0 = t("2027-01-01 00:00:00");
    let w = world(&app, t0).await;
    let id = app.buy(
        w.provider,
        w.customer,
        w.offer,
        10,
        Some(w.reseller),
        "P1Y:annual",
    );
    let s = sub(&app, id);
    assert_eq!((s.term, s.unit_price_minor), (Term::Year, 7200));
    assert_eq!(s.ends_at, t("2028-01-01 00:00:00"));
    let html = app.html(&format!("/subscriptions/{id}")).await;
    assert_eq!(
        texts(&html, "#window"),
        vec!["You can cancel or reduce licenses until 8 Jan 2027, 08:00 UTC+08:00."],
        "in the viewer's zone: the provider is in Taiwan"
    );
    assert_eq!(texts(&html, "#ends-on"), vec!["1 Jan 2028"]);

    // One second before the window closes: reduced, credited for the rest of the year.
    app.state
        .clock
        .set(t0 + hours(168) - chrono::Duration::seconds(1));
    let res = change_licenses(&app, id, "8").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // 7 Jan 2027 to 1 Jan 2028: 359 of the year's 365 days.
    let credit = -prorate(2 * 7200, 359, 365);
    assert_eq!(
        orders_of(&app, id).last().unwrap(),
        &("reduction".to_owned(), credit)
    );
    assert_eq!(credit, -14163);

    // At 168 hours: refused with the rule, the value kept, nothing written.
    app.state.clock.set(t0 + hours(168));
    let before = app.row_counts();
    let res = change_licenses(&app, id, "7").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(texts(&html, "#f-quantity-error")[0].contains("within 7 days (168 hours)"));
    assert_eq!(attrs(&html, "#f-quantity", "value"), vec!["7"]);
    let res = lifecycle(&app, id, &[("action", "cancel"), ("confirm", "yes")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("can be cancelled only within 7 days")
    );
    assert_eq!(app.row_counts(), before);
    assert_eq!(sub(&app, id).quantity, 8);

    // Licenses added on day 10 pay for the rest of the year and have a window of their own.
    let day10 = t0 + chrono::Duration::days(10);
    app.state.clock.set(day10);
    assert_eq!(
        change_licenses(&app, id, "12").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        orders_of(&app, id).last().unwrap(),
        &("change_quantity".to_owned(), prorate(4 * 7200, 355, 365))
    );
    app.state.clock.set(day10 + hours(167));
    let res = change_licenses(&app, id, "7").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Only the licenses bought or renewed within the last 7 days")
    );
    assert_eq!(
        change_licenses(&app, id, "9").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(sub(&app, id).quantity, 9);
    app.state.clock.set(day10 + hours(168));
    assert_eq!(
        change_licenses(&app, id, "8").await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // Another subscription cancelled 1 s before its window closes: refunded, no longer counted.
    app.state.clock.set(t0);
    let other = app.buy(
        w.provider,
        w.customer,
        w.offer,
        3,
        Some(w.reseller),
        "P1M:monthly",
    );
    app.state
        .clock
        .set(t0 + hours(168) - chrono::Duration::seconds(1));
    let res = lifecycle(&app, other, &[("action", "cancel")]).await;
    assert_eq!(res.status(), StatusCode::OK, "asked to confirm first");
    assert_eq!(sub(&app, other).status, SubscriptionStatus::Active);
    let res = lifecycle(&app, other, &[("action", "cancel"), ("confirm", "yes")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let s = sub(&app, other);
    assert_eq!(s.status, SubscriptionStatus::Cancelled);
    // 7 Jan to 1 Feb: 25 of January's 31 days.
    assert_eq!(
        orders_of(&app, other).last().unwrap(),
        &("cancellation".to_owned(), -prorate(3 * 600, 25, 31))
    );
    app.assert_counters_agree(w.provider);
}

#[tokio::test]
async fn a_scheduled_change_applies_once_at_renewal_and_a_term_without_auto_renew_expires() {
    let app = spawn_app().await;
    let t0 = t("2027-01-31 10:00:00");
    let w = world(&app, t0).await;
    let id = app.buy(
        w.provider,
        w.customer,
        w.offer,
        5,
        Some(w.reseller),
        "P1M:monthly",
    );
    let ending = app.buy(w.provider, w.customer, w.offer, 2, None, "P1M:monthly");
    // 31 January + 1 month: the last day of February.
    assert_eq!(sub(&app, id).ends_at, t("2027-02-28 10:00:00"));

    app.state.clock.set(t0 + chrono::Duration::days(8));
    let res = lifecycle(&app, id, &[("action", "schedule"), ("quantity", "3")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let html = app.html(&format!("/subscriptions/{id}")).await;
    assert_eq!(
        texts(&html, "#scheduled-change"),
        vec!["At the renewal on 28 Feb 2027: 3 licenses"]
    );
    let res = lifecycle(&app, id, &[("action", "schedule")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        lifecycle(&app, ending, &[("action", "auto_renew_off")])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );

    let base = app.state.base_url.clone();
    let end = t("2027-02-28 10:00:00");
    let run = |at: NaiveDateTime| {
        let db = app.state.db.clone();
        let base = base.clone();
        async move { renewals::run(&db, at, &base).await.unwrap() }
    };
    let report = run(end - chrono::Duration::seconds(1)).await;
    assert_eq!((report.renewed, report.expired), (0, 0));
    let report = run(end).await;
    assert_eq!(
        (report.renewed, report.expired, report.changes_applied),
        (1, 1, 1)
    );
    let again = run(end + hours(1)).await;
    assert_eq!(
        (again.renewed, again.expired, again.changes_applied),
        (0, 0, 0)
    );

    let s = sub(&app, id);
    assert_eq!(
        (s.quantity, s.term_start, s.ends_at),
        (3, end, t("2027-03-28 10:00:00"))
    );
    assert_eq!(
        orders_of(&app, id),
        vec![
            ("new_subscription".to_owned(), 5 * 600),
            ("renewal".to_owned(), 3 * 600)
        ]
    );
    let statuses: Vec<String> = app.with_conn(|conn| {
        scheduled_changes::table
            .select(scheduled_changes::status)
            .load(conn)
            .unwrap()
    });
    assert_eq!(statuses, vec!["applied"]);
    assert_eq!(sub(&app, ending).status, SubscriptionStatus::Expired);
    // The renewal opened a window: the renewed licenses can be reduced for 168 hours.
    app.state.clock.set(end + hours(167));
    assert_eq!(
        change_licenses(&app, id, "2").await.status(),
        StatusCode::SEE_OTHER
    );
    let notices = renewal_notices(&app);
    // The applied change, to the provider's user and the reseller of record's.
    assert_eq!(notices, 2);
    app.assert_counters_agree(w.provider);
}

#[tokio::test]
async fn annual_terms_are_reminded_30_and_7_days_before_once_and_two_runs_at_once_renew_once() {
    let app = spawn_app().await;
    let t0 = t("2028-02-29 12:00:00");
    let w = world(&app, t0).await;
    let id = app.buy(
        w.provider,
        w.customer,
        w.offer,
        4,
        Some(w.reseller),
        "P1Y:annual",
    );
    let monthly = app.buy(w.provider, w.customer, w.offer, 4, None, "P1M:monthly");
    let end = sub(&app, id).ends_at;
    assert_eq!(end, t("2029-02-28 12:00:00"));
    let base = app.state.base_url.clone();
    let db = app.state.db.clone();
    let at = |d: i64| end - chrono::Duration::days(d);
    let r = renewals::run(&db, at(31), &base).await.unwrap();
    assert_eq!(r.reminders, 0);
    let r = renewals::run(&db, at(30), &base).await.unwrap();
    // 30 days before: the provider's user and the reseller's; the monthly term gets none.
    assert_eq!(r.reminders, 2);
    assert_eq!(
        renewals::run(&db, at(29), &base).await.unwrap().reminders,
        0
    );
    assert_eq!(renewals::run(&db, at(7), &base).await.unwrap().reminders, 2);
    assert_eq!(renewals::run(&db, at(6), &base).await.unwrap().reminders, 0);
    let _ = monthly;

    // Two runs at the same moment (two instances): one renewal, one order.
    let (a, b) = tokio::join!(
        renewals::run(&db, end, &base),
        renewals::run(&db, end, &base)
    );
    let renewed_ids: u64 = a.unwrap().renewed + b.unwrap().renewed;
    let annual_renewals = orders_of(&app, id)
        .iter()
        .filter(|(k, _)| k == "renewal")
        .count();
    assert_eq!(annual_renewals, 1);
    assert!(renewed_ids >= 1);
    assert_eq!(sub(&app, id).ends_at, t("2030-02-28 12:00:00"));
}

#[tokio::test]
async fn a_new_subscription_aligned_with_a_month_end_is_prorated_and_bad_plans_keep_the_form() {
    let app = spawn_app().await;
    let t0 = t("2027-01-15 09:00:00");
    let w = world(&app, t0).await;
    let path = format!("/customers/{}/subscriptions/new", w.customer);
    let offer = w.offer.to_string();
    let form = |plan: &'static str, align: &'static str, confirm: bool| {
        let mut f = vec![
            ("offer", offer.clone()),
            ("quantity", "2".to_owned()),
            ("plan", plan.to_owned()),
            ("align", align.to_owned()),
            ("auto_renew", "on".to_owned()),
            ("form_key", "k".repeat(43)),
        ];
        if confirm {
            f.push(("confirm", "yes".to_owned()));
        }
        f
    };
    let post = |f: Vec<(&'static str, String)>| {
        let path = path.clone();
        let app = &app;
        async move {
            let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.post_form(&path, &refs).await
        }
    };
    let res = post(form("P3Y:one_time", "", false)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert_eq!(
        texts(&html, "#f-plan-error"),
        vec!["This offer is not sold with that term and billing frequency."]
    );
    assert_eq!(attrs(&html, "#f-quantity", "value"), vec!["2"]);

    let res = post(form("P1M:monthly", "month_end", false)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert_eq!(texts(&html, "#review-end"), vec!["1 Feb 2027"]);
    // 15 to 31 January: 17 of 31 days of 2 × 6.00.
    let first = prorate(1200, 17, 31);
    assert_eq!(first, 658);
    let shown = texts(&html, "#review-first");
    assert!(shown[0].starts_with("USD 6.58"), "{shown:?}");
    let res = post(form("P1M:monthly", "month_end", true)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let id: i64 = app.with_conn(|conn| {
        order_lines::table
            .order(order_lines::id.desc())
            .select(order_lines::subscription_id)
            .first::<Option<i64>>(conn)
            .unwrap()
            .unwrap()
    });
    assert_eq!(sub(&app, id).ends_at, t("2027-02-01 00:00:00"));
    assert_eq!(
        orders_of(&app, id),
        vec![("new_subscription".to_owned(), first)]
    );

    // Co-terming with it: an annual term may not end after… it ends first, so it is allowed; a
    // monthly one bought later than its end is refused.
    let with = id.to_string();
    let mut f = form("P1Y:annual", "", false);
    f[3].1 = with.clone();
    let res = post(f).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        texts(&res.text().await.unwrap(), "#review-end"),
        vec!["1 Feb 2027"]
    );
    app.state.clock.set(t("2027-02-02 00:00:00"));
    let mut f = form("P1M:monthly", "", false);
    f[3].1 = with;
    let res = post(f).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn an_upgrade_keeps_the_end_date_and_licenses_and_ends_the_old_subscription() {
    let app = spawn_app().await;
    let t0 = t("2027-03-01 00:00:00");
    let w = world(&app, t0).await;
    let premium = app.create_offer("Microsoft 365 Business Premium", 2200, 1, 300);
    app.with_conn(|conn| {
        partner_dashboard::db::models::offer::Offer::set_upgrades(conn, w.offer, &[premium])
            .unwrap()
    });
    let id = app.buy(
        w.provider,
        w.customer,
        w.offer,
        6,
        Some(w.reseller),
        "P1Y:annual",
    );
    app.state.clock.set(t0 + chrono::Duration::days(30));
    let res = lifecycle(
        &app,
        id,
        &[("action", "upgrade"), ("offer", &premium.to_string())],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(texts(&res.text().await.unwrap(), "#confirm-upgrade")[0].contains("Premium"));
    let res = lifecycle(
        &app,
        id,
        &[
            ("action", "upgrade"),
            ("offer", &premium.to_string()),
            ("confirm", "yes"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let old = sub(&app, id);
    assert_eq!(old.status, SubscriptionStatus::Cancelled);
    let new = sub(&app, old.upgraded_to.unwrap());
    assert_eq!(
        (new.offer_id, new.quantity, new.ends_at, new.term),
        (premium, 6, old.ends_at, Term::Year)
    );
    // Credit for the old offer's rest of the year, charge for the new one's: 336 of 366 days
    // (2027-03-31 to 2028-03-01 crosses 29 February 2028).
    let days = (t("2028-03-01 00:00:00").date() - t("2027-03-31 00:00:00").date()).num_days();
    let year = (t("2028-03-01 00:00:00").date() - t("2027-03-01 00:00:00").date()).num_days();
    let net = prorate(6 * 26400, days, year) - prorate(6 * 7200, days, year);
    assert_eq!(orders_of(&app, new.id), vec![("upgrade".to_owned(), net)]);
    // Not on the path: refused.
    let res = lifecycle(
        &app,
        new.id,
        &[
            ("action", "upgrade"),
            ("offer", &w.offer.to_string()),
            ("confirm", "yes"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // One subscription ended, one began: the counters still agree with the rows.
    app.assert_counters_agree(w.provider);
}

#[tokio::test]
async fn times_show_in_the_users_zone_chosen_on_account_or_their_countrys() {
    let app = spawn_app().await;
    let t0 = t("2027-01-01 00:00:00");
    let w = world(&app, t0).await;
    let id = app.buy(w.provider, w.customer, w.offer, 2, None, "P1M:monthly");
    let window = || async { texts(&app.html(&format!("/subscriptions/{id}")).await, "#window") };
    // A provider in Taiwan: Asia/Taipei.
    assert_eq!(
        window().await,
        vec!["You can cancel or reduce licenses until 8 Jan 2027, 08:00 UTC+08:00."]
    );
    let html = app.html("/account/password").await;
    assert_eq!(
        attrs(&html, "#f-time_zone", "placeholder"),
        vec!["Asia/Taipei"]
    );

    // An unknown zone: a message, the value kept, nothing saved.
    let res = app
        .post_form("/account/time-zone", &[("time_zone", "Mars/Olympus")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert_eq!(
        texts(&html, "#f-time_zone-error"),
        vec!["Choose a time zone from the list, for example Asia/Taipei."]
    );
    assert_eq!(attrs(&html, "#f-time_zone", "value"), vec!["Mars/Olympus"]);
    assert_eq!(window().await.len(), 1);

    let res = app
        .post_form("/account/time-zone", &[("time_zone", "America/New_York")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        window().await,
        vec!["You can cancel or reduce licenses until 7 Jan 2027, 19:00 UTC−05:00."]
    );
    // Empty: back to the organisation's country's zone.
    app.post_form("/account/time-zone", &[("time_zone", "")])
        .await;
    assert!(window().await[0].ends_with("08:00 UTC+08:00."));

    // In Traditional Chinese, the same instant in the same zone.
    app.post_form("/language", &[("locale", "zh-TW"), ("next", "/")])
        .await;
    assert_eq!(
        window().await,
        vec!["您可以在 2027年1月8日 08:00 (UTC+08:00) 前取消訂閱或減少授權。"]
    );
}

#[tokio::test]
async fn two_instances_on_one_database_renew_once_and_email_once() {
    let app = spawn_app().await;
    let t0 = t("2027-05-01 00:00:00");
    let w = world(&app, t0).await;
    let id = app.buy(
        w.provider,
        w.customer,
        w.offer,
        7,
        Some(w.reseller),
        "P1Y:annual",
    );
    app.state.clock.set(t0 + chrono::Duration::days(30));
    let res = lifecycle(&app, id, &[("action", "schedule"), ("quantity", "5")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let other = app.second_instance().await;
    let end = sub(&app, id).ends_at;
    for state in [&app.state, &other] {
        state.clock.set(end);
    }
    let (a, b) = tokio::join!(
        renewals::run(&app.state.db, app.state.now(), &app.state.base_url),
        renewals::run(&other.db, other.now(), &other.base_url)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.renewed + b.renewed, 1, "{a:?} {b:?}");
    assert_eq!(a.changes_applied + b.changes_applied, 1);
    assert_eq!(
        orders_of(&app, id)
            .iter()
            .filter(|(k, _)| k == "renewal")
            .count(),
        1
    );
    assert_eq!(sub(&app, id).quantity, 5);
    let notices = renewal_notices(&app);
    // One to the provider's user, one to the reseller of record's, from whichever instance renewed.
    assert_eq!(notices, 2);
    // The 30-day reminder of the next term, from both at once: sent once.
    let next_end = sub(&app, id).ends_at;
    let at = next_end - chrono::Duration::days(30);
    let (a, b) = tokio::join!(
        renewals::run(&app.state.db, at, &app.state.base_url),
        renewals::run(&other.db, at, &other.base_url)
    );
    assert_eq!(a.unwrap().reminders + b.unwrap().reminders, 2);
}

#[tokio::test]
async fn the_customer_admin_sees_each_subscriptions_state_term_and_end() {
    let app = spawn_app().await;
    let t0 = t("2027-01-01 00:00:00");
    let w = world(&app, t0).await;
    let kept = app.buy(w.provider, w.customer, w.offer, 4, None, "P1Y:annual");
    let cancelled = app.buy(w.provider, w.customer, w.offer, 2, None, "P1M:monthly");
    assert_eq!(
        lifecycle(&app, cancelled, &[("action", "cancel"), ("confirm", "yes")])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let _ = kept;
    let hash = partner_dashboard::auth::password::hash(PASSWORD).unwrap();
    app.with_conn(|conn| {
        partner_dashboard::db::models::user::User::create(
            conn,
            partner_dashboard::db::models::user::NewUser {
                email: &partner_dashboard::domain::Email::parse(
                    "admin@wingtiptoys.onmicrosoft.com",
                )
                .unwrap(),
                password_hash: &hash,
                role: partner_dashboard::domain::Role::Customer,
                partner_id: None,
                customer_id: Some(w.customer),
                display_name: "Wingtip Toys",
                locale: None,
                must_change_password: false,
            },
        )
        .unwrap()
    });
    let client = new_client();
    app.sign_in_with(&client, "admin@wingtiptoys.onmicrosoft.com", PASSWORD)
        .await;
    let html = app.html_with(&client, "/my/subscriptions").await;
    let rows = texts(&html, "#subscriptions tbody tr");
    // A customer in Taiwan (the seeded customer's country): its own zone.
    assert!(
        rows.iter().any(|r| r.contains("Active")
            && r.contains("1 year · Annual")
            && r.contains("Renews on 1 Jan 2028")),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .any(|r| r.contains("Cancelled") && r.contains("Ended on 1 Jan 2027")),
        "{rows:?}"
    );
}
