//! Prices, recurring charges and statements (issue 15): the price list's precedence and effective
//! dates at their boundaries, three prices on every line, a month's statements equal to its orders
//! exactly (a purchase, an addition, an in-window reduction, a renewal, a recurring period, an
//! upgrade), issued once by two instances, Mark as paid, and a reseller who never sees the cost.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use partner_dashboard::db::DbConnection;
use partner_dashboard::db::models::price::{self, NewRule};
use partner_dashboard::db::models::statement::{self, Statement};
use partner_dashboard::db::schema::{order_lines, orders, statements};
use partner_dashboard::domain::lifecycle::prorate;
use partner_dashboard::domain::pricing::{Markup, RuleValue};
use partner_dashboard::domain::{Audience, Billing, EnrollmentStatus, StatementKind, Term};
use partner_dashboard::i18n::Tr;
use partner_dashboard::services::jobs;
use reqwest::StatusCode;

use crate::helpers::*;

fn t(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
}

struct World {
    provider: i64,
    provider_user: i64,
    reseller: i64,
    other_reseller: i64,
    /// The reseller's customer.
    customer: i64,
    other_customer: i64,
    /// A direct customer of the provider's.
    direct: i64,
    /// Sold a month at 6.13 (cost), a year at 73.56 or 6.13 a month.
    offer: i64,
}

const COST: i64 = 613;

async fn world(app: &TestApp, at: NaiveDateTime) -> World {
    app.state.clock.set(at);
    let provider = app.create_provider("alice@contoso.example");
    let reseller = app
        .create_named_reseller(
            "Northwind",
            "ra@northwind.example",
            EnrollmentStatus::Verified,
        )
        .id;
    let other_reseller = app
        .create_named_reseller("Litware", "rb@litware.example", EnrollmentStatus::Verified)
        .id;
    app.partner(provider.id, reseller);
    app.partner(provider.id, other_reseller);
    let customer = app.seed_customer(provider.id, Some(reseller), "Wingtip Toys", "wingtiptoys");
    let other_customer = app.seed_customer(
        provider.id,
        Some(other_reseller),
        "Fourth Coffee",
        "fourthcoffee",
    );
    let direct = app.seed_customer(provider.id, None, "Coho Winery", "cohowinery");
    let offer = app.create_offer("Microsoft 365 Business Basic", COST, 1, 300);
    app.signed_in("alice@contoso.example").await;
    World {
        provider: provider.id,
        provider_user: provider.user_id,
        reseller,
        other_reseller,
        customer,
        other_customer,
        direct,
        offer,
    }
}

fn rule(
    w: &World,
    audience: Audience,
    reseller: Option<i64>,
    offer: Option<(i64, Term, Billing)>,
    value: RuleValue,
    from: NaiveDateTime,
) -> NewRule {
    NewRule {
        provider_id: w.provider,
        audience,
        reseller_id: reseller,
        offer,
        value,
        effective_from: from,
        created_by: w.provider_user,
        at: from,
    }
}

/// A markup for the audience from 1 January 2027 on.
fn since_january(conn: &mut DbConnection, w: &World, audience: Audience, percent: &str) {
    price::add(
        conn,
        &rule(
            w,
            audience,
            None,
            None,
            markup(percent),
            t("2027-01-01 00:00:00"),
        ),
    )
    .unwrap();
}

/// The reseller's sale price for the offer by the month, for every customer.
fn monthly_sale_price(conn: &mut DbConnection, w: &World, price: i64) {
    price::set_sale_price(
        conn,
        (w.reseller, w.provider),
        (w.offer, Term::Month, Billing::Monthly),
        0,
        Some(price),
        t("2027-01-01 00:00:00"),
    )
    .unwrap();
}

fn markup(percent: &str) -> RuleValue {
    RuleValue::Markup(Markup::parse(percent).unwrap())
}

/// (unit cost, unit price, unit sale) of the subscription's first order line.
fn first_line(app: &TestApp, subscription: i64) -> (i64, i64, Option<i64>) {
    app.with_conn(|conn| {
        order_lines::table
            .filter(order_lines::subscription_id.eq(subscription))
            .order(order_lines::id.asc())
            .select((
                order_lines::unit_cost_minor,
                order_lines::unit_price_minor,
                order_lines::unit_sale_minor,
            ))
            .first(conn)
            .unwrap()
    })
}

#[tokio::test]
async fn prices_follow_override_then_resellers_markup_then_default_from_each_effective_date() {
    let app = spawn_app().await;
    let t0 = t("2027-03-01 00:00:00");
    let w = world(&app, t0).await;
    let switch = t("2027-03-05 00:00:00");
    let monthly = Some((w.offer, Term::Month, Billing::Monthly));
    app.with_conn(|conn| {
        price::add(
            conn,
            &rule(&w, Audience::Reseller, None, None, markup("10"), t0),
        )
        .unwrap();
        price::add(
            conn,
            &rule(
                &w,
                Audience::Reseller,
                Some(w.reseller),
                None,
                markup("20"),
                t0,
            ),
        )
        .unwrap();
        price::add(
            conn,
            &rule(
                &w,
                Audience::Reseller,
                Some(w.reseller),
                monthly,
                RuleValue::Fixed(555),
                switch,
            ),
        )
        .unwrap();
        price::add(
            conn,
            &rule(&w, Audience::Customer, None, None, markup("25"), switch),
        )
        .unwrap();
    });
    // One second before the override: the reseller's markup (613 × 1.2 = 735.6 → 736); the other
    // reseller the default (674.3 → 674); a direct customer the cost (its markup starts later).
    app.state.clock.set(switch - chrono::Duration::seconds(1));
    let a = app.buy(
        w.provider,
        w.customer,
        w.offer,
        1,
        Some(w.reseller),
        "P1M:monthly",
    );
    let b = app.buy(
        w.provider,
        w.other_customer,
        w.offer,
        1,
        Some(w.other_reseller),
        "P1M:monthly",
    );
    let c = app.buy(w.provider, w.direct, w.offer, 1, None, "P1M:monthly");
    assert_eq!(first_line(&app, a), (COST, 736, None));
    assert_eq!(first_line(&app, b), (COST, 674, None));
    assert_eq!(first_line(&app, c), (COST, COST, None));
    // At the instant: the override, and the customer markup (766.25 → 766).
    app.state.clock.set(switch);
    let a = app.buy(
        w.provider,
        w.customer,
        w.offer,
        1,
        Some(w.reseller),
        "P1M:monthly",
    );
    let c = app.buy(w.provider, w.direct, w.offer, 1, None, "P1M:monthly");
    assert_eq!(first_line(&app, a), (COST, 555, None));
    assert_eq!(first_line(&app, c), (COST, 766, None));
    // The override is for the monthly plan only: the annual one keeps the markup (7,356 × 1.2).
    let d = app.buy(
        w.provider,
        w.customer,
        w.offer,
        1,
        Some(w.reseller),
        "P1Y:annual",
    );
    assert_eq!(first_line(&app, d), (COST * 12, 8_827, None));
    // Prices never change after the fact: a new rule leaves the orders as they were.
    app.with_conn(|conn| {
        price::add(
            conn,
            &rule(&w, Audience::Reseller, None, None, markup("50"), switch),
        )
        .unwrap();
    });
    assert_eq!(first_line(&app, d), (COST * 12, 8_827, None));
}

/// Runs the jobs as of `at` on this app.
async fn jobs_at(app: &TestApp, at: NaiveDateTime) -> jobs::Report {
    app.state.clock.set(at);
    jobs::run(&app.state.db, at, &app.state.base_url)
        .await
        .unwrap()
}

/// The month's statements of this provider.
fn statements_of(app: &TestApp, provider: i64, month: &str) -> Vec<Statement> {
    app.with_conn(|conn| {
        statements::table
            .filter(statements::provider_id.eq(provider))
            .filter(statements::month.eq(month))
            .order(statements::id.asc())
            .select(Statement::as_select())
            .load(conn)
            .unwrap()
    })
}

/// The sum of the lines of the placed orders of `[from, to)` billed to `who`, at the provider's
/// price (or, `resale`, the reseller's sale price where it set one): counted apart from the job.
fn month_sum(app: &TestApp, who: (Option<i64>, i64), from: &str, to: &str, resale: bool) -> i64 {
    app.with_conn(|conn| {
        let mut q = order_lines::table
            .inner_join(orders::table)
            .filter(orders::created_at.ge(t(from)))
            .filter(orders::created_at.lt(t(to)))
            .filter(orders::status.eq("placed"))
            .select((order_lines::line_total_minor, order_lines::sale_total_minor))
            .into_boxed();
        q = match who {
            (Some(r), 0) => q.filter(orders::reseller_id.eq(r)),
            (Some(r), c) => q
                .filter(orders::reseller_id.eq(r))
                .filter(orders::customer_id.eq(c)),
            (None, c) => q
                .filter(orders::reseller_id.is_null())
                .filter(orders::customer_id.eq(c)),
        };
        q.load::<(i64, Option<i64>)>(conn)
            .unwrap()
            .into_iter()
            .map(|(price, sale)| if resale { sale.unwrap_or(price) } else { price })
            .sum()
    })
}

#[tokio::test]
async fn a_months_statements_equal_its_orders_exactly_and_are_issued_once_by_two_instances() {
    let app = spawn_app().await;
    let w = world(&app, t("2027-02-10 09:00:00")).await;
    let premium = app.create_offer("Microsoft 365 Business Premium", 2_207, 1, 300);
    app.with_conn(|conn| {
        since_january(conn, &w, Audience::Reseller, "10");
        since_january(conn, &w, Audience::Customer, "25");
        partner_dashboard::db::models::offer::Offer::set_upgrades(conn, w.offer, &[premium])
            .unwrap();
        // The reseller bills its customers 8.00 a month.
        monthly_sale_price(conn, &w, 800);
    });
    // February: a month-to-month term (renews 10 March) and a year billed monthly (charged again on
    // 10 March).
    let monthly = app.buy(
        w.provider,
        w.customer,
        w.offer,
        3,
        Some(w.reseller),
        "P1M:monthly",
    );
    let yearly = app.buy(
        w.provider,
        w.customer,
        w.offer,
        2,
        Some(w.reseller),
        "P1Y:monthly",
    );
    // 1 March: February's statements.
    let r = jobs_at(&app, t("2027-03-01 00:00:00")).await;
    // The reseller's, and its one customer's resale statement.
    assert_eq!(r.statements, 2, "{r:?}");
    let feb = statements_of(&app, w.provider, "2027-02");
    assert_eq!(
        feb[0].total_minor,
        month_sum(
            &app,
            (Some(w.reseller), 0),
            "2027-02-01 00:00:00",
            "2027-03-01 00:00:00",
            false
        )
    );
    // March: a purchase, a reduction within its window, an addition after it, the renewal and the
    // recurring period on the 10th, an upgrade, and a direct customer's purchase.
    app.state.clock.set(t("2027-03-02 10:00:00"));
    let annual = app.buy(
        w.provider,
        w.customer,
        w.offer,
        5,
        Some(w.reseller),
        "P1Y:annual",
    );
    let direct = app.buy(w.provider, w.direct, w.offer, 2, None, "P1M:monthly");
    app.state.clock.set(t("2027-03-03 10:00:00"));
    let res = app
        .post_form(
            &format!("/subscriptions/{annual}/quantity"),
            &[("quantity", "4"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let r = jobs_at(&app, t("2027-03-10 09:00:00")).await;
    assert_eq!((r.renewals.renewed, r.charged), (1, 1), "{r:?}");
    app.state.clock.set(t("2027-03-12 10:00:00"));
    let res = app
        .post_form(
            &format!("/subscriptions/{annual}/quantity"),
            &[("quantity", "7"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = app
        .post_form(
            &format!("/subscriptions/{yearly}/lifecycle"),
            &[
                ("action", "upgrade"),
                ("offer", &premium.to_string()),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // 1 April, on two instances at once: March's statements, once.
    let other = app.second_instance().await;
    let april = t("2027-04-01 00:00:00");
    app.state.clock.set(april);
    other.clock.set(april);
    let (a, b) = tokio::join!(
        jobs::run(&app.state.db, april, &app.state.base_url),
        jobs::run(&other.db, april, &other.base_url)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    // The reseller's, its customer's resale statement, and the direct customer's.
    assert_eq!(a.statements + b.statements, 3, "{a:?} {b:?}");
    let march = statements_of(&app, w.provider, "2027-03");
    assert_eq!(march.len(), 3);
    let of = |kind: StatementKind| march.iter().find(|s| s.kind == kind).unwrap().clone();
    let (reseller_st, resale, customer_st) = (
        of(StatementKind::Reseller),
        of(StatementKind::Resale),
        of(StatementKind::Customer),
    );
    let (from, to) = ("2027-03-01 00:00:00", "2027-04-01 00:00:00");
    assert_eq!(
        reseller_st.total_minor,
        month_sum(&app, (Some(w.reseller), 0), from, to, false)
    );
    assert_eq!(
        resale.total_minor,
        month_sum(&app, (Some(w.reseller), w.customer), from, to, true)
    );
    assert_eq!(
        customer_st.total_minor,
        month_sum(&app, (None, w.direct), from, to, false)
    );
    // 2 × 766 (613 + 25 %) for the direct customer's month.
    assert_eq!(customer_st.total_minor, 2 * 766);
    // The resale statement bills the month-to-month licenses at the sale price, the rest at cost + 10 %.
    assert!(resale.total_minor > reseller_st.total_minor);
    // Every kind of event is on the reseller's statement, each line with its period.
    let lines = app.with_conn(|conn| statement::lines(conn, &reseller_st).unwrap());
    let mut kinds: Vec<&str> = lines.iter().map(|l| l.order_kind.as_str()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    assert_eq!(
        kinds,
        [
            "change_quantity",
            "new_subscription",
            "recurring",
            "reduction",
            "renewal",
            "upgrade"
        ]
    );
    assert!(
        lines
            .iter()
            .all(|l| l.period_start.is_some() && l.period_end.is_some())
    );
    assert_eq!(
        lines.iter().map(|l| l.amount_minor).sum::<i64>(),
        reseller_st.total_minor
    );
    assert_eq!(reseller_st.line_count, i64::try_from(lines.len()).unwrap());
    // Again, on either instance: nothing more.
    assert_eq!(jobs_at(&app, april).await.statements, 0);
    assert_eq!(
        jobs::run(&other.db, april, &other.base_url)
            .await
            .unwrap()
            .statements,
        0
    );
    // The statement's page shows the same total, the CSV the same lines.
    let html = app.html(&format!("/statements/{}", reseller_st.id)).await;
    let tr = Tr::default();
    assert_eq!(
        texts(&html, "#statement-total"),
        [tr.money(reseller_st.total_minor, "USD")]
    );
    let csv = app
        .get(&format!("/statements/{}.csv", reseller_st.id))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), lines.len() + 1, "{csv}");
    // The reseller was emailed, the direct customer's admins have none (it has no users here).
    app.with_conn(|conn| {
        use partner_dashboard::db::schema::email_outbox;
        let n: i64 = email_outbox::table
            .filter(email_outbox::template.eq("statement_issued"))
            .count()
            .get_result(conn)
            .unwrap();
        assert_eq!(n, 2, "February's and March's, to the reseller's one user");
    });
    let _ = (monthly, direct, w.other_customer);
}

#[tokio::test]
async fn mark_as_paid_lowers_the_open_balance_once_and_only_for_the_providers_own() {
    let app = spawn_app().await;
    let w = world(&app, t("2027-02-10 09:00:00")).await;
    app.buy(
        w.provider,
        w.customer,
        w.offer,
        3,
        Some(w.reseller),
        "P1M:monthly",
    );
    jobs_at(&app, t("2027-03-01 00:00:00")).await;
    let st = statements_of(&app, w.provider, "2027-02")
        .into_iter()
        .find(|s| s.kind == StatementKind::Reseller)
        .unwrap();
    let balance = |app: &TestApp| {
        app.with_conn(|conn| statement::open_balance(conn, w.provider, w.reseller).unwrap())
    };
    // Renewed on 10 March: unbilled, on top of the unpaid statement.
    jobs_at(&app, t("2027-03-10 09:00:00")).await;
    let before = balance(&app);
    assert_eq!(before, st.total_minor * 2);
    // Another provider cannot see or pay it.
    let other = new_client();
    app.create_provider("mallory@fabrikam.example");
    app.sign_in_with(
        &other,
        "mallory@fabrikam.example",
        "correct horse battery staple",
    )
    .await;
    let res = app
        .get_with(&other, &format!("/statements/{}", st.id))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let token = app.csrf_token_with(&other).await;
    let res = app
        .post_form_with(
            &other,
            &format!("/statements/{}/paid", st.id),
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(balance(&app), before);
    // The provider: paid once; the second submit says it already was.
    let res = app
        .post_form(&format!("/statements/{}/paid", st.id), &[])
        .await;
    assert_redirect(&res, &format!("/statements/{}", st.id));
    assert_eq!(balance(&app), before - st.total_minor);
    app.post_form(&format!("/statements/{}/paid", st.id), &[])
        .await;
    let html = app.html(&format!("/statements/{}", st.id)).await;
    assert!(html.contains("already marked as paid"), "{html}");
    assert_eq!(balance(&app), before - st.total_minor);
    assert!(texts(&html, "#mark-paid").is_empty());
}

#[tokio::test]
async fn a_reseller_sees_its_price_and_sale_price_never_the_providers_cost() {
    let app = spawn_app().await;
    let w = world(&app, t("2027-02-10 09:00:00")).await;
    app.with_conn(|conn| {
        since_january(conn, &w, Audience::Reseller, "10");
    });
    let id = app.buy(
        w.provider,
        w.customer,
        w.offer,
        3,
        Some(w.reseller),
        "P1M:monthly",
    );
    jobs_at(&app, t("2027-03-01 00:00:00")).await;
    let tr = Tr::default();
    let cost = tr.money(COST, "USD");
    let cost_csv = partner_dashboard::domain::decimal(COST);
    let reseller = new_client();
    app.sign_in_with(
        &reseller,
        "ra@northwind.example",
        "correct horse battery staple",
    )
    .await;
    // Its Prices page: its price (674) and a sale price it records.
    let html = app.html_with(&reseller, "/reseller/prices").await;
    assert!(html.contains(&tr.money(674, "USD")), "{html}");
    assert!(
        !html.contains(&cost),
        "the cost shows on the reseller's Prices page"
    );
    let field = format!("sale_{}_P1M:monthly", w.offer);
    let token = app.csrf_token_with(&reseller).await;
    let path = format!("/reseller/prices/{}", w.provider);
    // A bad value: the message, and what was typed kept.
    let res = app
        .post_form_with(
            &reseller,
            &path,
            &[("csrf_token", &token), (&field, "eight")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("value=\"eight\""), "{html}");
    let res = app
        .post_form_with(
            &reseller,
            &path,
            &[("csrf_token", &token), (&field, "8.00")],
        )
        .await;
    assert_redirect(&res, "/reseller/prices");
    let (_, _, sale) = app.with_conn(|conn| {
        price::sale_prices_of(conn, w.reseller, w.provider)
            .unwrap()
            .into_iter()
            .map(|s| (s.offer_id, s.customer_id, Some(s.price_minor)))
            .next()
            .unwrap()
    });
    assert_eq!(sale, Some(800));
    // Its statements, their CSV, its subscription and orders: never the cost.
    let st = statements_of(&app, w.provider, "2027-02")
        .into_iter()
        .find(|s| s.kind == StatementKind::Reseller)
        .unwrap();
    for path in [
        "/reseller/statements".to_owned(),
        format!("/reseller/statements/{}", st.id),
        format!("/reseller/subscriptions/{id}"),
        "/reseller/orders".to_owned(),
    ] {
        let (status, html) = {
            let res = app.get_with(&reseller, &path).await;
            (res.status(), res.text().await.unwrap())
        };
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(!html.contains(&cost), "the cost shows on {path}");
    }
    let csv = app
        .get_with(&reseller, &format!("/reseller/statements/{}.csv", st.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        csv.contains(&partner_dashboard::domain::decimal(3 * 674)),
        "{csv}"
    );
    assert!(!csv.contains(&cost_csv), "{csv}");
    // Another reseller's statement is not found.
    let res = app
        .get_with(
            &reseller,
            &format!("/reseller/statements/{}", st.id + 1_000_000),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // The provider's order page shows all three.
    let order: i64 = app.with_conn(|conn| {
        order_lines::table
            .filter(order_lines::subscription_id.eq(id))
            .select(order_lines::order_id)
            .first(conn)
            .unwrap()
    });
    let html = app.html(&format!("/orders/{order}")).await;
    assert_eq!(
        texts(&html, "#order-lines td.cost"),
        [tr.money(3 * COST, "USD")]
    );
    assert_eq!(
        texts(&html, "#order-margin"),
        [tr.money(3 * (674 - COST), "USD")]
    );
}

#[tokio::test]
async fn the_price_list_form_refuses_what_it_cannot_apply_and_keeps_what_was_typed() {
    let app = spawn_app().await;
    let w = world(&app, t("2027-03-10 09:00:00")).await;
    let post = |fields: Vec<(&'static str, String)>| {
        let app = &app;
        async move {
            let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.post_form("/price-list/rules", &refs).await
        }
    };
    // Not a percentage.
    let res = post(vec![("kind", "markup".into()), ("value", "fifteen".into())]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("value=\"fifteen\""));
    assert!(html.contains("Enter a percentage"));
    // An override for every reseller.
    let plan = format!("{}:P1M:monthly", w.offer);
    let res = post(vec![
        ("offer_plan", plan.clone()),
        ("kind", "price".into()),
        ("value", "5.00".into()),
    ])
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A day in the past.
    let res = post(vec![
        ("value", "10".into()),
        ("effective_from", "2027-03-01".into()),
    ])
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A reseller that is not a partner.
    let res = post(vec![
        ("applies_to", "999999".into()),
        ("value", "10".into()),
    ])
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    app.with_conn(|conn| assert!(price::list(conn, w.provider, 10).unwrap().is_empty()));
    // Right: an override for the reseller from next month, listed as scheduled; a default markup now.
    let res = post(vec![
        ("applies_to", w.reseller.to_string()),
        ("offer_plan", plan),
        ("kind", "price".into()),
        ("value", "5.00".into()),
        ("effective_from", "2027-04-01".into()),
    ])
    .await;
    assert_redirect(&res, "/price-list");
    let res = post(vec![("kind", "markup".into()), ("value", "12.5".into())]).await;
    assert_redirect(&res, "/price-list");
    let html = app.html("/price-list").await;
    let rows = texts(&html, "#price-rules tbody tr");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(
        rows[0].contains("Northwind") && rows[0].contains("Scheduled"),
        "{rows:?}"
    );
    assert!(
        rows[1].contains("12.5 %") && rows[1].contains("In force"),
        "{rows:?}"
    );
    // Prices now: 613 × 1.125 = 689.625 → 690 for resellers.
    assert!(texts(&html, "#current-prices tbody tr")[0].contains(&Tr::default().money(690, "USD")));
    let _ = (w.other_reseller, w.direct);
}

#[tokio::test]
async fn the_margin_report_reconciles_with_the_months_order_lines_for_provider_and_reseller() {
    let app = spawn_app().await;
    let w = world(&app, t("2027-03-02 09:00:00")).await;
    app.with_conn(|conn| {
        since_january(conn, &w, Audience::Reseller, "10");
        since_january(conn, &w, Audience::Customer, "25");
        // The reseller bills its customers 8.00 a month.
        monthly_sale_price(conn, &w, 800);
    });
    let a = app.buy(
        w.provider,
        w.customer,
        w.offer,
        3,
        Some(w.reseller),
        "P1M:monthly",
    );
    app.buy(
        w.provider,
        w.customer,
        w.offer,
        2,
        Some(w.reseller),
        "P1Y:annual",
    );
    app.buy(w.provider, w.direct, w.offer, 4, None, "P1M:monthly");
    app.state.clock.set(t("2027-03-03 09:00:00"));
    let res = app
        .post_form(
            &format!("/subscriptions/{a}/quantity"),
            &[("quantity", "1"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // Counted apart from the rollup: every line of the month.
    let (revenue, cost): (i64, i64) = app.with_conn(|conn| {
        order_lines::table
            .inner_join(orders::table)
            .filter(orders::provider_id.eq(w.provider))
            .select((order_lines::line_total_minor, order_lines::cost_total_minor))
            .load::<(i64, i64)>(conn)
            .unwrap()
            .into_iter()
            .fold((0, 0), |(r, c), (lr, lc)| (r + lr, c + lc))
    });
    // 3 × 674 + 2 × 8,092 + 4 × 766, less the reduction's credit for 30 of its 31 days, against
    // their cost.
    let credit = |unit: i64| prorate(2 * unit, 30, 31);
    assert_eq!(revenue, 3 * 674 + 2 * 8_092 + 4 * 766 - credit(674));
    assert_eq!(cost, 3 * COST + 2 * 12 * COST + 4 * COST - credit(COST));
    let tr = Tr::default();
    let html = app.html("/margins?month=2027-03").await;
    let march = texts(&html, "#margin-months tbody tr")[0].clone();
    assert!(march.contains(&tr.money(revenue, "USD")), "{march}");
    assert!(march.contains(&tr.money(revenue - cost, "USD")), "{march}");
    // By reseller and offer: the reseller's row and the direct customers' row add up to the month.
    let rows = texts(&html, "#margin-rows tbody tr");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows.iter().any(|r| r.starts_with("Northwind")));
    assert!(rows.iter().any(|r| r.starts_with("Direct customers")));
    // The chart on the Dashboard and here: a bar per month.
    assert_eq!(texts(&html, "#margin-chart g").len(), 12);
    let home = app.html("/").await;
    assert_eq!(texts(&home, "#margin-chart g").len(), 12);
    // The CSV: every row, the same figures.
    let csv = app.get("/margins.csv").await.text().await.unwrap();
    let total: i64 = csv
        .lines()
        .skip(1)
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            let revenue = cells[3].replace('.', "");
            revenue.parse::<i64>().unwrap()
        })
        .sum();
    assert_eq!(total, revenue, "{csv}");
    // The reseller's own: its sale prices (8.00 a month, else its price) against what it pays.
    let reseller = new_client();
    app.sign_in_with(&reseller, "ra@northwind.example", PASSWORD)
        .await;
    let html = app.html_with(&reseller, "/reseller/margins").await;
    let rows = texts(&html, "#margin-rows tbody tr");
    assert_eq!(rows.len(), 1, "{rows:?}");
    let pays = 3 * 674 + 2 * 8_092 - credit(674);
    let bills = 3 * 800 + 2 * 8_092 - credit(800);
    assert!(rows[0].contains(&tr.money(bills, "USD")), "{rows:?}");
    assert!(rows[0].contains(&tr.money(bills - pays, "USD")), "{rows:?}");
    assert!(!html.contains(&tr.money(cost, "USD")));
}

/// The orders of the provider in review (pending), newest first.
fn pending_orders(app: &TestApp, provider: i64) -> Vec<i64> {
    app.with_conn(|conn| {
        orders::table
            .filter(orders::provider_id.eq(provider))
            .filter(orders::status.eq("pending_review"))
            .order(orders::id.desc())
            .select(orders::id)
            .load(conn)
            .unwrap()
    })
}

fn order_status(app: &TestApp, id: i64) -> String {
    app.with_conn(|conn| {
        orders::table
            .find(id)
            .select(orders::status)
            .first(conn)
            .unwrap()
    })
}

fn subscriptions_of(app: &TestApp, customer: i64) -> i64 {
    use partner_dashboard::db::schema::subscriptions;
    app.with_conn(|conn| {
        subscriptions::table
            .filter(subscriptions::customer_id.eq(customer))
            .count()
            .get_result(conn)
            .unwrap()
    })
}

fn review_emails(app: &TestApp) -> i64 {
    use partner_dashboard::db::schema::email_outbox;
    app.with_conn(|conn| {
        email_outbox::table
            .filter(email_outbox::template.eq("order_review"))
            .count()
            .get_result(conn)
            .unwrap()
    })
}

#[tokio::test]
async fn an_order_at_the_credit_limit_is_placed_and_one_minor_unit_over_it_waits_for_review() {
    use partner_dashboard::services::new_subscription::Added;
    let app = spawn_app().await;
    let w = world(&app, t("2027-03-02 09:00:00")).await;
    let credit = |limit: &str| {
        let app = &app;
        let path = format!("/indirect-resellers/{}/credit", w.reseller);
        let limit = limit.to_owned();
        async move { app.post_form(&path, &[("credit_limit", &limit)]).await }
    };
    // Not an amount: the message, the value kept, nothing changed.
    let res = credit("lots").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("value=\"lots\""));
    // Three licenses at 6.13 take the balance to 18.39: exactly the limit.
    assert_redirect(
        &credit("18.39").await,
        &format!("/indirect-resellers/{}", w.reseller),
    );
    let first = app.try_buy(
        w.provider,
        w.customer,
        w.offer,
        3,
        Some(w.reseller),
        "P1M:monthly",
    );
    assert!(matches!(first, Added::Subscription(_)), "{first:?}");
    // One more license with a limit one minor unit short of it: waits, nothing provisioned.
    credit("24.51").await;
    let held = app.try_buy(
        w.provider,
        w.customer,
        w.offer,
        1,
        Some(w.reseller),
        "P1M:monthly",
    );
    let Added::PendingReview(order) = held else {
        panic!("{held:?}")
    };
    assert_eq!(subscriptions_of(&app, w.customer), 1);
    assert_eq!(order_status(&app, order), "pending_review");
    let balance =
        || app.with_conn(|conn| statement::open_balance(conn, w.provider, w.reseller).unwrap());
    assert_eq!(balance(), 3 * COST, "a held order is no charge yet");
    let html = app
        .html(&format!("/indirect-resellers/{}", w.reseller))
        .await;
    assert_eq!(
        texts(&html, "#open-balance"),
        [Tr::default().money(3 * COST, "USD")]
    );
    // The Needs review tab and the Dashboard list it.
    let html = app.html("/orders?status=pending_review").await;
    assert_eq!(texts(&html, "table.orders tbody tr").len(), 1);
    let home = app.html("/").await;
    assert_eq!(texts(&home, "#orders-to-review").len(), 1);
    // A direct customer's order never waits.
    let direct = app.try_buy(w.provider, w.direct, w.offer, 50, None, "P1M:monthly");
    assert!(matches!(direct, Added::Subscription(_)));
    // Approve every order: even a small order with room left waits.
    credit("").await;
    let res = app
        .post_form(
            &format!("/indirect-resellers/{}/credit", w.reseller),
            &[("credit_limit", ""), ("review_every_order", "on")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let every = app.try_buy(
        w.provider,
        w.other_customer,
        w.offer,
        1,
        Some(w.other_reseller),
        "P1M:monthly",
    );
    assert!(
        matches!(every, Added::Subscription(_)),
        "another reseller is not affected"
    );
    let every = app.try_buy(
        w.provider,
        w.customer,
        w.offer,
        1,
        Some(w.reseller),
        "P1M:monthly",
    );
    assert!(matches!(every, Added::PendingReview(_)), "{every:?}");
}

#[tokio::test]
async fn approving_provisions_once_rejecting_changes_nothing_and_neither_crosses_tenants() {
    use partner_dashboard::services::new_subscription::Added;
    let app = spawn_app().await;
    let w = world(&app, t("2027-03-02 09:00:00")).await;
    app.post_form(
        &format!("/indirect-resellers/{}/credit", w.reseller),
        &[("credit_limit", "0")],
    )
    .await;
    let Added::PendingReview(first) = app.try_buy(
        w.provider,
        w.customer,
        w.offer,
        2,
        Some(w.reseller),
        "P1M:monthly",
    ) else {
        panic!("the order waits")
    };
    let Added::PendingReview(second) = app.try_buy(
        w.provider,
        w.customer,
        w.offer,
        5,
        Some(w.reseller),
        "P1Y:annual",
    ) else {
        panic!("the order waits")
    };
    // Another provider: not found, nothing decided.
    let other = new_client();
    app.create_provider("mallory@fabrikam.example");
    app.sign_in_with(&other, "mallory@fabrikam.example", PASSWORD)
        .await;
    let token = app.csrf_token_with(&other).await;
    for action in ["approve", "reject"] {
        let res = app
            .post_form_with(
                &other,
                &format!("/orders/{first}/{action}"),
                &[("csrf_token", &token), ("reason", "no")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
    assert_eq!(order_status(&app, first), "pending_review");
    // Approved a day later, twice at once: one subscription, its term from the approval.
    app.state.clock.set(t("2027-03-03 12:00:00"));
    let path = format!("/orders/{first}/approve");
    let (a, b) = tokio::join!(app.post_form(&path, &[]), app.post_form(&path, &[]));
    assert_eq!(
        (a.status(), b.status()),
        (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER)
    );
    assert_eq!(order_status(&app, first), "placed");
    assert_eq!(subscriptions_of(&app, w.customer), 1);
    let (sub_id, created): (i64, NaiveDateTime) = app.with_conn(|conn| {
        use partner_dashboard::db::schema::subscriptions;
        subscriptions::table
            .filter(subscriptions::customer_id.eq(w.customer))
            .select((subscriptions::id, subscriptions::term_start))
            .first(conn)
            .unwrap()
    });
    assert_eq!(created, t("2027-03-03 12:00:00"));
    assert_eq!(first_line(&app, sub_id), (COST, COST, None));
    let balance =
        app.with_conn(|conn| statement::open_balance(conn, w.provider, w.reseller).unwrap());
    assert_eq!(balance, 2 * COST);
    let html = app.html(&format!("/orders/{first}")).await;
    assert_eq!(texts(&html, "#order-status"), ["Placed"]);
    assert!(texts(&html, "#approve").is_empty());
    // Rejecting needs a reason; then nothing is provisioned, and it cannot be approved after.
    let res = app
        .post_form(&format!("/orders/{second}/reject"), &[("reason", " ")])
        .await;
    assert_redirect(&res, &format!("/orders/{second}"));
    assert_eq!(order_status(&app, second), "pending_review");
    let res = app
        .post_form(
            &format!("/orders/{second}/reject"),
            &[("reason", "Over credit; pay March first")],
        )
        .await;
    assert_redirect(&res, &format!("/orders/{second}"));
    assert_eq!(order_status(&app, second), "rejected");
    app.post_form(&format!("/orders/{second}/approve"), &[])
        .await;
    assert_eq!(order_status(&app, second), "rejected");
    assert_eq!(subscriptions_of(&app, w.customer), 1);
    let html = app.html(&format!("/orders/{second}")).await;
    assert!(texts(&html, "#order-status")[0].contains("Over credit"));
    // Approved and rejected: two emails each (the provider's user, the reseller's; the fixture
    // placing the orders sends none).
    assert_eq!(review_emails(&app), 4);
    // Rejected and pending orders are never billed.
    jobs_at(&app, t("2027-04-01 00:00:00")).await;
    let st = statements_of(&app, w.provider, "2027-03");
    let reseller_st = st
        .iter()
        .find(|s| s.kind == StatementKind::Reseller)
        .unwrap();
    assert_eq!(reseller_st.total_minor, 2 * COST);
    app.assert_counters_agree(w.provider);
}

#[tokio::test]
async fn licenses_added_over_the_credit_limit_wait_and_approval_adds_them_from_then() {
    let app = spawn_app().await;
    let w = world(&app, t("2027-03-02 09:00:00")).await;
    let id = app.buy(
        w.provider,
        w.customer,
        w.offer,
        2,
        Some(w.reseller),
        "P1Y:annual",
    );
    app.post_form(
        &format!("/indirect-resellers/{}/credit", w.reseller),
        &[("credit_limit", "150.00")],
    )
    .await;
    // After the window: 3 more licenses for the rest of the year would go over 150.00.
    app.state.clock.set(t("2027-03-20 09:00:00"));
    let res = app
        .post_form(
            &format!("/subscriptions/{id}/quantity"),
            &[("quantity", "5"), ("confirm", "yes")],
        )
        .await;
    assert_redirect(&res, &format!("/subscriptions/{id}"));
    let html = app.html(&format!("/subscriptions/{id}")).await;
    assert!(html.contains("waits for the provider"), "{html}");
    let quantity = || {
        app.with_conn(|conn| {
            partner_dashboard::db::models::subscription::Subscription::find(conn, id)
                .unwrap()
                .quantity
        })
    };
    assert_eq!(quantity(), 2);
    // Both sides are told: the provider's user and the reseller's.
    assert_eq!(review_emails(&app), 2);
    let order = pending_orders(&app, w.provider)[0];
    app.state.clock.set(t("2027-03-21 09:00:00"));
    let res = app
        .post_form(&format!("/orders/{order}/approve"), &[])
        .await;
    assert_redirect(&res, &format!("/orders/{order}"));
    assert_eq!(quantity(), 5);
    assert_eq!(order_status(&app, order), "placed");
    assert_eq!(review_emails(&app), 4);
    // The charge runs from the approval to the end of the billing period (the year).
    let total: i64 = app.with_conn(|conn| {
        orders::table
            .find(order)
            .select(orders::total_minor)
            .first(conn)
            .unwrap()
    });
    let days = (t("2028-03-02 00:00:00").date() - t("2027-03-21 00:00:00").date()).num_days();
    let year = (t("2028-03-02 00:00:00").date() - t("2027-03-02 00:00:00").date()).num_days();
    assert_eq!(total, prorate(3 * 12 * COST, days, year));
    // The added licenses have their own window from the approval.
    app.state.clock.set(t("2027-03-25 09:00:00"));
    let res = app
        .post_form(
            &format!("/subscriptions/{id}/quantity"),
            &[("quantity", "2"), ("confirm", "yes")],
        )
        .await;
    assert_redirect(&res, &format!("/subscriptions/{id}"));
    assert_eq!(quantity(), 2);
    app.assert_counters_agree(w.provider);
}

#[tokio::test]
async fn a_direct_customers_admin_gets_its_statement_by_email_and_sees_it_without_costs() {
    let app = spawn_app().await;
    let w = world(&app, t("2027-02-10 09:00:00")).await;
    app.with_conn(|conn| {
        use partner_dashboard::db::models::user::{NewUser, User};
        since_january(conn, &w, Audience::Customer, "25");
        User::create(
            conn,
            NewUser {
                email: &partner_dashboard::domain::Email::parse("admin@coho.example").unwrap(),
                password_hash: &test_hash(),
                role: partner_dashboard::domain::Role::Customer,
                partner_id: None,
                customer_id: Some(w.direct),
                display_name: "Coho Admin",
                locale: None,
                must_change_password: false,
            },
        )
        .unwrap();
    });
    app.buy(w.provider, w.direct, w.offer, 4, None, "P1M:monthly");
    // Another direct customer's statement, which this admin must not reach.
    let other = app.seed_customer(w.provider, None, "Alpine Ski House", "alpineskihouse");
    app.buy(w.provider, other, w.offer, 1, None, "P1M:monthly");
    jobs_at(&app, t("2027-03-01 00:00:00")).await;
    let feb = statements_of(&app, w.provider, "2027-02");
    assert_eq!(feb.len(), 2);
    let mine = feb.iter().find(|s| s.customer_id == w.direct).unwrap();
    let theirs = feb.iter().find(|s| s.customer_id == other).unwrap();
    assert_eq!(mine.total_minor, 4 * 766);
    let emailed: i64 = app.with_conn(|conn| {
        use partner_dashboard::db::schema::email_outbox;
        email_outbox::table
            .filter(email_outbox::template.eq("statement_issued"))
            .filter(email_outbox::to_address.eq("admin@coho.example"))
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(emailed, 1);
    let admin = new_client();
    app.sign_in_with(&admin, "admin@coho.example", PASSWORD)
        .await;
    let html = app.html_with(&admin, "/my/statements").await;
    assert_eq!(texts(&html, "#statements tbody tr").len(), 1);
    let html = app
        .html_with(&admin, &format!("/my/statements/{}", mine.id))
        .await;
    let tr = Tr::default();
    assert_eq!(texts(&html, "#statement-total"), [tr.money(4 * 766, "USD")]);
    assert!(
        !html.contains(&tr.money(COST, "USD")),
        "a customer admin sees no costs"
    );
    assert!(texts(&html, "#mark-paid").is_empty());
    let res = app
        .get_with(&admin, &format!("/my/statements/{}", theirs.id))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .get_with(&admin, &format!("/my/statements/{}.csv", theirs.id))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

/// An order that waits is told to the members whose role sees orders, on both sides; not to a
/// helpdesk agent (issue 16).
#[tokio::test]
async fn a_held_order_is_told_to_the_members_who_see_orders() {
    let app = spawn_app().await;
    let w = world(&app, t("2027-03-02 09:00:00")).await;
    use partner_dashboard::domain::MemberRole;
    app.create_member(
        Some(w.provider),
        "hana@contoso.example",
        MemberRole::Helpdesk,
    );
    app.create_member(
        Some(w.provider),
        "bill@contoso.example",
        MemberRole::Billing,
    );
    app.create_member(Some(w.reseller), "sam@northwind.example", MemberRole::Sales);
    let res = app
        .post_form(
            &format!("/indirect-resellers/{}/credit", w.reseller),
            &[("credit_limit", ""), ("review_every_order", "on")],
        )
        .await;
    assert_redirect(&res, &format!("/indirect-resellers/{}", w.reseller));
    let res = app
        .post_form(
            &format!("/customers/{}/subscriptions/new", w.customer),
            &[
                ("offer", &w.offer.to_string()),
                ("quantity", "2"),
                ("reseller", &w.reseller.to_string()),
                ("plan", "P1M:monthly"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let mut told: Vec<String> = app.with_conn(|conn| {
        use diesel::prelude::*;
        use partner_dashboard::db::schema::email_outbox;
        email_outbox::table
            .filter(email_outbox::template.eq("order_review"))
            .select(email_outbox::to_address)
            .load(conn)
            .unwrap()
    });
    told.sort();
    assert_eq!(
        told,
        [
            "alice@contoso.example",
            "bill@contoso.example",
            "ra@northwind.example",
            "sam@northwind.example"
        ]
    );
}

/// An upgrade over the reseller's credit waits for review like any other charge: nothing changes
/// until it is approved; approving carries it out once, prorated from then; one that got stale (the
/// subscription changed meanwhile) is refused, not half done.
#[tokio::test]
async fn an_upgrade_over_the_credit_limit_waits_for_review_and_approving_carries_it_out_once() {
    use partner_dashboard::db::schema::{order_lines, subscriptions};
    let app = spawn_app().await;
    let w = world(&app, t("2027-03-02 09:00:00")).await;
    let premium = app.create_offer("Microsoft 365 Business Premium", 2_207, 1, 300);
    app.with_conn(|conn| {
        partner_dashboard::db::models::offer::Offer::set_upgrades(conn, w.offer, &[premium])
            .unwrap();
    });
    let sub = app.buy(
        w.provider,
        w.customer,
        w.offer,
        3,
        Some(w.reseller),
        "P1Y:annual",
    );
    let ends: NaiveDateTime = app.with_conn(|conn| {
        subscriptions::table
            .find(sub)
            .select(subscriptions::ends_at)
            .first(conn)
            .unwrap()
    });
    // The balance is at the limit: the upgrade, which costs more than it credits, waits.
    let limit =
        app.with_conn(|conn| statement::open_balance(conn, w.provider, w.reseller).unwrap());
    app.post_form(
        &format!("/indirect-resellers/{}/credit", w.reseller),
        &[(
            "credit_limit",
            &format!("{}.{:02}", limit / 100, limit % 100),
        )],
    )
    .await;
    let res = app
        .post_form(
            &format!("/subscriptions/{sub}/lifecycle"),
            &[
                ("action", "upgrade"),
                ("offer", &premium.to_string()),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let html = app.html(&location(&res)).await;
    let flashes = texts(&html, ".flash");
    assert!(
        flashes
            .iter()
            .any(|f| f.contains("waits for the provider's review")),
        "the page says so: {} {flashes:?}",
        location(&res)
    );
    assert_eq!(subscriptions_of(&app, w.customer), 1, "nothing provisioned");
    let (order, total): (i64, i64) = app.with_conn(|conn| {
        orders::table
            .filter(orders::status.eq("pending_review"))
            .select((orders::id, orders::total_minor))
            .first(conn)
            .unwrap()
    });
    assert!(total > 0, "it charges more than it credits");
    assert_eq!(order_status(&app, order), "pending_review");
    // Approved a week later, twice at once: the upgrade is carried out once, prorated from then.
    app.state.clock.set(t("2027-03-09 09:00:00"));
    let path = format!("/orders/{order}/approve");
    let (a, b) = tokio::join!(app.post_form(&path, &[]), app.post_form(&path, &[]));
    assert_eq!(
        (a.status(), b.status()),
        (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER)
    );
    assert_eq!(order_status(&app, order), "placed");
    let subs: Vec<(i64, i64, String, i32, NaiveDateTime)> = app.with_conn(|conn| {
        subscriptions::table
            .filter(subscriptions::customer_id.eq(w.customer))
            .select((
                subscriptions::id,
                subscriptions::offer_id,
                subscriptions::status,
                subscriptions::quantity,
                subscriptions::ends_at,
            ))
            .load(conn)
            .unwrap()
    });
    assert_eq!(subs.len(), 2, "{subs:?}");
    let old = subs.iter().find(|s| s.0 == sub).unwrap();
    let new = subs.iter().find(|s| s.0 != sub).unwrap();
    assert_eq!(old.2, "cancelled");
    assert_eq!(
        (new.1, new.2.as_str(), new.3, new.4),
        (premium, "active", 3, ends)
    );
    let (total, lines): (i64, Vec<(Option<i64>, i64)>) = app.with_conn(|conn| {
        let total = orders::table
            .find(order)
            .select(orders::total_minor)
            .first(conn)
            .unwrap();
        let lines = order_lines::table
            .filter(order_lines::order_id.eq(order))
            .select((order_lines::subscription_id, order_lines::line_total_minor))
            .load(conn)
            .unwrap();
        (total, lines)
    });
    assert_eq!(lines.len(), 2);
    assert_eq!(
        lines.iter().map(|l| l.1).sum::<i64>(),
        total,
        "total = lines"
    );
    assert!(
        lines.iter().any(|l| l.0 == Some(sub) && l.1 < 0),
        "the old period credited"
    );
    assert!(
        lines.iter().any(|l| l.0 == Some(new.0) && l.1 > 0),
        "the new one charged"
    );
    app.assert_counters_agree(w.provider);

    // Another upgrade waits; meanwhile the subscription is suspended: approving it is refused as
    // stale and changes nothing.
    let ultimate = app.create_offer("Microsoft 365 E5", 5_700, 1, 300);
    app.with_conn(|conn| {
        partner_dashboard::db::models::offer::Offer::set_upgrades(conn, premium, &[ultimate])
            .unwrap();
    });
    let again = app
        .post_form(
            &format!("/subscriptions/{}/lifecycle", new.0),
            &[
                ("action", "upgrade"),
                ("offer", &ultimate.to_string()),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    let waiting: i64 = app.with_conn(|conn| {
        orders::table
            .filter(orders::status.eq("pending_review"))
            .select(orders::id)
            .first(conn)
            .unwrap()
    });
    app.with_conn(|conn| {
        diesel::update(subscriptions::table.find(new.0))
            .set(subscriptions::status.eq("suspended"))
            .execute(conn)
            .unwrap()
    });
    app.post_form(&format!("/orders/{waiting}/approve"), &[])
        .await;
    assert_eq!(order_status(&app, waiting), "pending_review");
    assert_eq!(subscriptions_of(&app, w.customer), 2);
}

/// (provider, reseller, offer) → (revenue, cost, resale) of a month in the margin rollup, each
/// offer's and the month's total row.
fn margin_rows(app: &TestApp, provider: i64, month: &str) -> Vec<(i64, i64, i64, i64, i64)> {
    use partner_dashboard::db::schema::margin_months as m;
    app.with_conn(|conn| {
        m::table
            .filter(m::provider_id.eq(provider))
            .filter(m::month.eq(month))
            .order((m::reseller_id, m::offer_id))
            .select((
                m::reseller_id,
                m::offer_id,
                m::revenue_minor,
                m::cost_minor,
                m::sale_minor,
            ))
            .load(conn)
            .unwrap()
    })
}

#[tokio::test]
async fn a_days_renewals_done_set_wise_price_number_and_count_each_as_one_at_a_time_would() {
    use partner_dashboard::db::models::subscription::Subscription;
    use partner_dashboard::services::pricing::PriceBook;
    let app = spawn_app().await;
    let bought = t("2027-03-10 09:00:00");
    let w = world(&app, bought).await;
    let fourth = app.seed_customer(w.provider, Some(w.reseller), "Fabrikam", "fabrikam");
    app.with_conn(|conn| {
        since_january(conn, &w, Audience::Reseller, "10");
        since_january(conn, &w, Audience::Customer, "25");
        // The other reseller's own price for the monthly plan, from the day before the renewals.
        price::add(
            conn,
            &rule(
                &w,
                Audience::Reseller,
                Some(w.other_reseller),
                Some((w.offer, Term::Month, Billing::Monthly)),
                RuleValue::Fixed(700),
                t("2027-04-09 00:00:00"),
            ),
        )
        .unwrap();
        // The reseller bills every customer 8.00 a month, Wingtip Toys 7.50.
        monthly_sale_price(conn, &w, 800);
        price::set_sale_price(
            conn,
            (w.reseller, w.provider),
            (w.offer, Term::Month, Billing::Monthly),
            w.customer,
            Some(750),
            t("2027-01-01 00:00:00"),
        )
        .unwrap();
    });
    // More than one batch of renewals (200 a transaction), all ending at the same instant, across
    // both resellers' customers and a direct one.
    let owners = [
        (w.customer, Some(w.reseller)),
        (fourth, Some(w.reseller)),
        (w.other_customer, Some(w.other_reseller)),
        (w.direct, None),
    ];
    let mut subs = Vec::new();
    for i in 0..230_i64 {
        let (customer, reseller) = owners[usize::try_from(i % 4).unwrap()];
        subs.push(app.buy(
            w.provider,
            customer,
            w.offer,
            1 + i % 3,
            reseller,
            "P1M:monthly",
        ));
    }
    let renewal = t("2027-04-10 09:00:00");
    // What one renewal at a time priced: the price book and quote of each.
    let expected: Vec<(i64, i64, Option<i64>)> = app.with_conn(|conn| {
        subs.iter()
            .map(|id| {
                let s = Subscription::find(conn, *id).unwrap();
                assert_eq!(s.ends_at, renewal);
                let book = PriceBook::load(conn, s.provider_id, s.reseller_of_record_id).unwrap();
                let p = book
                    .quote(
                        conn,
                        (s.offer_id, s.term, s.billing),
                        s.customer_id,
                        s.ends_at,
                    )
                    .unwrap()
                    .unwrap();
                (p.cost, p.price, p.sale)
            })
            .collect()
    });
    assert!(expected.contains(&(COST, 700, None)), "the override");
    assert!(
        expected.contains(&(COST, 674, Some(750))),
        "the customer's sale price"
    );
    assert!(
        expected.contains(&(COST, 674, Some(800))),
        "every customer's"
    );
    assert!(expected.contains(&(COST, 766, None)), "a direct customer's");
    let numbers_before: i64 = app.with_conn(|conn| {
        orders::table
            .filter(orders::provider_id.eq(w.provider))
            .count()
            .get_result(conn)
            .unwrap()
    });
    // The other reseller's endpoint hears of its customers' renewals, the provider's of all, the
    // reseller's, asking for something else, of none.
    let endpoint = |partner: i64, events: &[&str]| {
        app.with_conn(|conn| {
            use partner_dashboard::db::models::webhook::{Endpoint, NewEndpoint};
            Endpoint::create(
                conn,
                &NewEndpoint {
                    id: partner_dashboard::db::new_id(),
                    partner_id: partner,
                    url: "https://hooks.example/renewals",
                    events,
                    secret_sealed: "sealed",
                    created_by: w.provider_user,
                },
            )
            .unwrap()
        })
    };
    let others = endpoint(w.other_reseller, &["subscription.renewed"]);
    let providers = endpoint(w.provider, &["subscription.renewed"]);
    let resellers = endpoint(w.reseller, &["grant.expiring"]);
    let r = jobs_at(&app, renewal).await;
    assert_eq!(r.renewals.renewed, 230, "{r:?}");
    let deliveries = |endpoint: i64| -> Vec<String> {
        app.with_conn(|conn| {
            use partner_dashboard::db::schema::webhook_deliveries as d;
            d::table
                .filter(d::endpoint_id.eq(endpoint))
                .select(d::event_type)
                .load(conn)
                .unwrap()
        })
    };
    let theirs = subs.iter().skip(2).step_by(4).count();
    assert_eq!(deliveries(others), vec!["subscription.renewed"; theirs]);
    assert_eq!(deliveries(providers).len(), 230);
    assert!(deliveries(resellers).is_empty());
    for (id, want) in subs.iter().zip(&expected) {
        let lines: Vec<(String, i64, i64, Option<i64>, i64)> = app.with_conn(|conn| {
            order_lines::table
                .inner_join(orders::table)
                .filter(order_lines::subscription_id.eq(*id))
                .filter(orders::kind.eq("renewal"))
                .select((
                    orders::kind,
                    order_lines::unit_cost_minor,
                    order_lines::unit_price_minor,
                    order_lines::unit_sale_minor,
                    orders::total_minor,
                ))
                .load(conn)
                .unwrap()
        });
        assert_eq!(lines.len(), 1, "one renewal order for {id}");
        let (_, cost, price, sale, total) = lines[0].clone();
        assert_eq!((cost, price, sale), *want, "subscription {id}");
        let s = app.with_conn(|conn| Subscription::find(conn, *id).unwrap());
        assert_eq!((s.term_start, s.unit_price_minor), (renewal, price));
        assert_eq!(total, i64::from(s.quantity) * price);
    }
    // Every order number once, none skipped: the purchases' and then the renewals'.
    let numbers: Vec<i64> = app.with_conn(|conn| {
        orders::table
            .filter(orders::provider_id.eq(w.provider))
            .order(orders::number.asc())
            .select(orders::number)
            .load(conn)
            .unwrap()
    });
    let all: Vec<i64> = (1..=numbers_before + 230).collect();
    assert_eq!(numbers, all);
    // April's margins, each offer's row and the month's, equal April's order lines exactly.
    // (reseller, line total, cost total, offer, sale total) of every April line.
    type Line = (Option<i64>, i64, i64, i64, Option<i64>);
    let lines: Vec<Line> = app.with_conn(|conn| {
        order_lines::table
            .inner_join(orders::table)
            .filter(orders::provider_id.eq(w.provider))
            .filter(orders::created_at.ge(t("2027-04-01 00:00:00")))
            .select((
                orders::reseller_id,
                order_lines::line_total_minor,
                order_lines::cost_total_minor,
                order_lines::offer_id,
                order_lines::sale_total_minor,
            ))
            .load(conn)
            .unwrap()
    });
    assert_eq!(lines.len(), 230);
    let mut want = std::collections::BTreeMap::<(i64, i64), (i64, i64, i64)>::new();
    for (reseller, price, cost, offer, sale) in lines {
        for key in [(reseller.unwrap_or(0), offer), (-1, 0)] {
            let e = want.entry(key).or_default();
            *e = (e.0 + price, e.1 + cost, e.2 + sale.unwrap_or(price));
        }
    }
    let got: std::collections::BTreeMap<(i64, i64), (i64, i64, i64)> =
        margin_rows(&app, w.provider, "2027-04")
            .into_iter()
            .map(|(r, o, rev, cost, sale)| ((r, o), (rev, cost, sale)))
            .collect();
    assert_eq!(got, want);
    // One activity entry per renewal.
    let entries: i64 = app.with_conn(|conn| {
        use partner_dashboard::db::schema::activity_log as a;
        a::table
            .filter(a::action.eq("subscription.renewed"))
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(entries, 230);
    app.assert_counters_agree(w.provider);
}
