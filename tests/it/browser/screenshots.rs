//! Every main page, in both languages, opened in the browser: each must render its heading with no
//! missing translation. A PNG of each is saved to `target/screenshots/` (`scripts/screenshots` copies
//! them for the README).

use std::path::PathBuf;

use partner_dashboard::demo::DEMO_PASSWORD;
use partner_dashboard::i18n::{self, Locale};

use super::{Browser, Lang, journey};
use crate::helpers::*;

/// Photographs the page on screen, once it is the page expected: its heading is `heading`.
async fn shoot(b: &Browser, lang: &str, name: &str, heading: &str) {
    b.wait_for_heading(heading).await;
    let text = b.page_text().await;
    assert!(
        !text.contains("??"),
        "{name} ({lang}) shows a missing translation"
    );
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = b.driver.screenshot_as_png().await.unwrap();
    std::fs::write(dir.join(format!("{lang}-{name}.png")), png).unwrap();
}

/// Signs in through the form; the sign-in worked when the browser left the form for `lands_on`. A
/// demo user whose saved language is not the one photographed switches to it, as a person would.
async fn sign_in(b: &Browser, email: &str, lands_on: &str, lang: &str) {
    b.goto("/sign-in").await;
    b.fill_by_name("email", email).await;
    b.fill_by_name("password", DEMO_PASSWORD).await;
    b.submit_first_form_in_main().await;
    assert_eq!(b.path().await, lands_on, "{email} signed in");
    let shown = b.eval("return document.documentElement.lang;").await;
    if shown.as_str() != Some(lang) {
        b.eval_to_navigate(&format!(
            "document.querySelector('.lang-switch button[value=\"{lang}\"]').click();"
        ))
        .await;
        assert_eq!(b.path().await, lands_on, "{email} switched to {lang}");
    }
}

async fn sign_out(b: &Browser) {
    b.eval_to_navigate("document.querySelector('form.sign-out').submit();")
        .await;
    assert!(b.path().await.starts_with("/sign-in"), "signed out");
    // The next demo user is another person: no language carried over from this one's session.
    b.driver.delete_all_cookies().await.unwrap();
}

async fn run(lang: Lang, code: &'static str) {
    // Demo users whose saved language is the one photographed.
    let (provider_user, reseller_user) = match lang {
        Lang::En => ("alice@contoso-distribution.example", "tom@tailspin.example"),
        Lang::ZhTw => (
            "meihua@contoso-distribution.example",
            "wei@northwind.example",
        ),
    };
    let app = spawn_app().await;
    let db = app.state.db.clone();
    tokio::task::spawn_blocking(move || {
        partner_dashboard::demo::load_if_empty(&db, "onmicrosoft.com", partner_dashboard::db::now())
            .unwrap()
    })
    .await
    .unwrap();
    // Give the demo provider a partner and an open request, so the lists have rows.
    let provider = app.with_conn(|conn| {
        use diesel::prelude::*;
        use partner_dashboard::db::schema::partners;
        partners::table
            .filter(partners::name.eq("Contoso Distribution"))
            .select(partners::id)
            .first::<i64>(conn)
            .unwrap()
    });
    let reseller = app.with_conn(|conn| {
        use diesel::prelude::*;
        use partner_dashboard::db::schema::partners;
        partners::table
            .filter(partners::name.eq("Adatum Solutions"))
            .select(partners::id)
            .first::<i64>(conn)
            .unwrap()
    });
    app.partner(provider, reseller);

    let locale = match lang {
        Lang::En => Locale::En,
        Lang::ZhTw => Locale::ZhTw,
    };
    let t = |key: &str| -> String { i18n::t(locale, key).to_owned() };
    let t1 = |key: &str, name: &str, value: &str| i18n::t_args(locale, key, &[(name, value)]);
    let (wingtip, order, northwind, subscription) = app.with_conn(|conn| {
        use diesel::prelude::*;
        use partner_dashboard::db::schema::{customers, orders, partners, subscriptions};
        let wingtip: i64 = customers::table
            .filter(customers::domain_prefix.eq("wingtiptoys"))
            .select(customers::id)
            .first(conn)
            .unwrap();
        let order: i64 = orders::table
            .filter(orders::customer_id.eq(wingtip))
            .select(orders::id)
            .first(conn)
            .unwrap();
        let subscription: i64 = subscriptions::table
            .filter(subscriptions::customer_id.eq(wingtip))
            .select(subscriptions::id)
            .first(conn)
            .unwrap();
        let northwind: i64 = partners::table
            .filter(partners::name.eq("Northwind Traders"))
            .select(partners::id)
            .first(conn)
            .unwrap();
        (wingtip, order, northwind, subscription)
    });
    let (order_reference, offer_name) = app.with_conn(|conn| {
        use diesel::prelude::*;
        use partner_dashboard::db::schema::{offers, orders, subscriptions};
        let number: i64 = orders::table
            .find(order)
            .select(orders::number)
            .first(conn)
            .unwrap();
        let offer: String = subscriptions::table
            .inner_join(offers::table)
            .filter(subscriptions::id.eq(subscription))
            .select(offers::name)
            .first(conn)
            .unwrap();
        (format!("PO-{number:06}"), offer)
    });
    let db = &app;
    journey(&app, &format!("screenshots_{code}"), lang, |b| async move {
        b.goto("/sign-in").await;
        shoot(&b, code, "sign-in", &t("sign_in.title")).await;
        b.goto("/enroll").await;
        shoot(&b, code, "enroll", &t("enroll.title")).await;
        b.goto("/customers/sign-up").await;
        shoot(&b, code, "customer-sign-up", &t("sign_up.title")).await;
        b.goto("/providers").await;
        shoot(&b, code, "official-providers-list", &t("providers.title")).await;
        b.goto("/sign-in/forgot").await;
        shoot(&b, code, "forgot-password", &t("password_reset.title")).await;

        sign_in(&b, provider_user, "/", code).await;
        shoot(&b, code, "dashboard", &t("menu.dashboard")).await;
        b.goto("/customers").await;
        b.eval("document.querySelector('.expand').click();").await;
        shoot(&b, code, "customers", &t("menu.customers")).await;
        b.goto(&format!("/customers/{wingtip}")).await;
        shoot(&b, code, "customer", "Wingtip Toys").await;
        b.goto("/customers/grants").await;
        shoot(&b, code, "grants", &t("grants.title")).await;
        b.goto("/customers/relationship-check").await;
        shoot(&b, code, "relationship-check", &t("check.title")).await;
        b.goto("/orders").await;
        shoot(&b, code, "orders", &t("menu.orders")).await;
        b.goto(&format!("/orders/{order}")).await;
        shoot(
            &b,
            code,
            "order",
            &t1("orders.title", "number", &order_reference),
        )
        .await;
        b.goto(&format!("/subscriptions/{subscription}")).await;
        shoot(&b, code, "subscription", &offer_name).await;
        b.goto("/renewals?days=90").await;
        shoot(&b, code, "renewals", &t("renewals.title")).await;
        b.goto("/activity-log").await;
        shoot(&b, code, "activity-log", &t("menu.activity_log")).await;
        b.goto("/profile").await;
        shoot(&b, code, "profile", &t("menu.profile")).await;
        b.goto("/team").await;
        shoot(&b, code, "team", &t("team.title")).await;
        b.goto("/account/mfa").await;
        shoot(&b, code, "mfa-setup", &t("mfa.title")).await;
        b.goto("/account/password").await;
        shoot(&b, code, "account", &t("account.password.title")).await;
        b.goto("/profile/change-request").await;
        shoot(
            &b,
            code,
            "profile-change-request",
            &t("profile.request_change"),
        )
        .await;
        b.goto("/customers/invitations").await;
        shoot(&b, code, "invitations", &t("invitations.title")).await;
        b.submit_first_form_in_main().await;
        assert!(
            b.path().await.starts_with("/customers/invitations/"),
            "{}",
            b.path().await
        );
        shoot(&b, code, "invitation-draft", &t("invitations.title")).await;
        b.goto(&format!("/customers/new?reseller={northwind}"))
            .await;
        shoot(
            &b,
            code,
            "wizard-1-new-customer",
            &t("wizard.account.title"),
        )
        .await;
        for (name, value) in [
            ("company_name", "Proseware"),
            (
                "domain_prefix",
                &format!("proseware{code}").to_lowercase().replace('-', ""),
            ),
            ("address_line1", "9 Market Street"),
            ("city", "Taipei"),
            ("contact_first_name", "Lee"),
            ("contact_last_name", "Wu"),
            ("contact_email", "lee@proseware.example"),
        ] {
            b.fill_by_name(name, value).await;
        }
        b.eval("document.getElementById('f-country').value = 'TW';")
            .await;
        b.submit_first_form_in_main().await;
        shoot(
            &b,
            code,
            "wizard-2-new-subscription",
            &t("wizard.subscriptions.title"),
        )
        .await;
        b.eval("document.querySelector('input.qty').value = '10';")
            .await;
        b.submit_first_form_in_main().await;
        shoot(&b, code, "wizard-3-review", &t("wizard.review.title")).await;
        b.submit_first_form_in_main().await;
        shoot(
            &b,
            code,
            "wizard-4-confirmation",
            &t("wizard.confirmation.title"),
        )
        .await;
        b.goto("/indirect-resellers").await;
        b.eval_to_navigate(
            "document.querySelector('form[action=\"/indirect-resellers/requests\"]').submit();",
        )
        .await;
        shoot(
            &b,
            code,
            "request-a-partnership",
            &t("indirect_resellers.request_partnership"),
        )
        .await;
        let link = b.texts("#personal-link").await.pop().unwrap();
        b.goto("/indirect-resellers").await;
        shoot(
            &b,
            code,
            "indirect-resellers",
            &t("menu.indirect_resellers"),
        )
        .await;
        sign_out(&b).await;

        let accept_heading = t1(
            "partnership.accept.heading",
            "provider",
            "Contoso Distribution",
        );
        b.driver.goto(&link).await.unwrap();
        shoot(&b, code, "accept-signed-out", &accept_heading).await;
        sign_in(&b, reseller_user, "/indirect-providers", code).await;
        b.driver.goto(&link).await.unwrap();
        shoot(&b, code, "accept", &accept_heading).await;
        b.goto("/indirect-providers").await;
        shoot(
            &b,
            code,
            "indirect-providers",
            &t("menu.indirect_providers"),
        )
        .await;
        b.goto("/reseller/customers").await;
        shoot(&b, code, "reseller-customers", &t("menu.customers")).await;
        b.goto("/reseller/subscriptions").await;
        shoot(&b, code, "reseller-subscriptions", &t("menu.subscriptions")).await;
        b.goto("/reseller/grants").await;
        shoot(&b, code, "reseller-grants", &t("grants.title")).await;
        sign_out(&b).await;

        sign_in(
            &b,
            "admin@wingtiptoys.onmicrosoft.com",
            "/account/password",
            code,
        )
        .await;
        shoot(&b, code, "change-password", &t("account.password.title")).await;
        b.fill_by_name("current_password", DEMO_PASSWORD).await;
        b.fill_by_name("new_password", "wingtip's own passphrase")
            .await;
        b.fill_by_name("confirm_password", "wingtip's own passphrase")
            .await;
        b.submit_first_form_in_main().await;
        b.goto("/my/subscriptions").await;
        shoot(&b, code, "customer-subscriptions", &t("menu.subscriptions")).await;
        sign_out(&b).await;

        sign_in(&b, "operator@demo.example", "/operations", code).await;
        shoot(&b, code, "operations", &t("menu.operations")).await;
        b.goto("/operations/enrollments").await;
        shoot(
            &b,
            code,
            "enrollment-reviews",
            &t("operations.enrollments.title"),
        )
        .await;
        b.goto("/operations/profile-requests").await;
        shoot(
            &b,
            code,
            "profile-requests",
            &t("operations.profile_requests.title"),
        )
        .await;
        b.eval_to_navigate("document.querySelector('#profile-requests tbody a').click();")
            .await;
        assert!(
            b.path().await.starts_with("/operations/profile-requests/"),
            "{}",
            b.path().await
        );
        let request: i64 = b.path().await.rsplit('/').next().unwrap().parse().unwrap();
        let requester: String = db.with_conn(|conn| {
            use diesel::prelude::*;
            use partner_dashboard::db::schema::{partners, profile_change_requests};
            let provider: i64 = profile_change_requests::table
                .find(request)
                .select(profile_change_requests::provider_id)
                .first(conn)
                .unwrap();
            partners::table
                .find(provider)
                .select(partners::name)
                .first(conn)
                .unwrap()
        });
        shoot(
            &b,
            code,
            "profile-request",
            &t1(
                "operations.profile_requests.request_of",
                "company",
                &requester,
            ),
        )
        .await;
        b.goto("/operations/orders").await;
        shoot(&b, code, "console-orders", &t("operations.orders.title")).await;
        b.goto("/operations/offers").await;
        shoot(&b, code, "offers", &t("operations.offers.title")).await;
        b.goto("/operations/offers/new").await;
        shoot(&b, code, "offer-new", &t("operations.offers.add")).await;
        b.goto("/operations/outbox?status=sent").await;
        shoot(&b, code, "outbox", &t("operations.outbox.title")).await;
        b.goto("/operations/providers").await;
        shoot(&b, code, "providers", &t("operations.providers.title")).await;
        b.goto("/operations/providers/new").await;
        shoot(&b, code, "provider-new", &t("operations.providers.add")).await;
        b.goto("/operations/activity-log").await;
        shoot(&b, code, "console-activity-log", &t("menu.activity_log")).await;
    })
    .await;
}

#[tokio::test]
async fn main_pages_render_in_english() {
    run(Lang::En, "en").await;
}

#[tokio::test]
async fn main_pages_render_in_traditional_chinese() {
    run(Lang::ZhTw, "zh-TW").await;
}
