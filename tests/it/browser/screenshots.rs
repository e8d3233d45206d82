//! Every main page, in both languages, opened in the browser: each must render its heading with no
//! missing translation. A PNG of each is saved to `target/screenshots/` (`scripts/screenshots` copies
//! them for the README).

use std::path::PathBuf;

use partner_dashboard::demo::DEMO_PASSWORD;

use super::{Browser, Lang, journey};
use crate::helpers::*;

async fn shoot(b: &Browser, lang: &str, name: &str) {
    let text = b.page_text().await;
    assert!(
        !text.contains("??"),
        "{name} ({lang}) shows a missing translation"
    );
    assert!(
        !b.heading().await.is_empty(),
        "{name} ({lang}) has no heading"
    );
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = b.driver.screenshot_as_png().await.unwrap();
    std::fs::write(dir.join(format!("{lang}-{name}.png")), png).unwrap();
}

async fn sign_in(b: &Browser, email: &str) {
    b.goto("/sign-in").await;
    b.fill_by_name("email", email).await;
    b.fill_by_name("password", DEMO_PASSWORD).await;
    b.submit_first_form_in_main().await;
}

async fn sign_out(b: &Browser) {
    b.eval("document.querySelector('form.sign-out').submit();")
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
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
        partner_dashboard::demo::load_if_empty(&db, "onmicrosoft.com").unwrap()
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
    journey(&app, &format!("screenshots_{code}"), lang, |b| async move {
        b.goto("/sign-in").await;
        shoot(&b, code, "sign-in").await;
        b.goto("/enroll").await;
        shoot(&b, code, "enroll").await;
        b.goto("/customers/sign-up").await;
        shoot(&b, code, "customer-sign-up").await;
        b.goto("/providers").await;
        shoot(&b, code, "official-providers-list").await;

        sign_in(&b, provider_user).await;
        b.goto("/").await;
        shoot(&b, code, "dashboard").await;
        b.goto("/customers").await;
        b.eval("document.querySelector('.expand').click();").await;
        shoot(&b, code, "customers").await;
        b.goto(&format!("/customers/{wingtip}")).await;
        shoot(&b, code, "customer").await;
        b.goto("/orders").await;
        shoot(&b, code, "orders").await;
        b.goto(&format!("/orders/{order}")).await;
        shoot(&b, code, "order").await;
        b.goto(&format!("/subscriptions/{subscription}")).await;
        shoot(&b, code, "subscription").await;
        b.goto("/activity-log").await;
        shoot(&b, code, "activity-log").await;
        b.goto("/profile").await;
        shoot(&b, code, "profile").await;
        b.goto("/profile/change-request").await;
        shoot(&b, code, "profile-change-request").await;
        b.goto("/customers/invitations").await;
        shoot(&b, code, "invitations").await;
        b.submit_first_form_in_main().await;
        shoot(&b, code, "invitation-draft").await;
        b.goto(&format!("/customers/new?reseller={northwind}"))
            .await;
        shoot(&b, code, "wizard-1-new-customer").await;
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
        shoot(&b, code, "wizard-2-new-subscription").await;
        b.eval("document.querySelector('input.qty').value = '10';")
            .await;
        b.submit_first_form_in_main().await;
        shoot(&b, code, "wizard-3-review").await;
        b.submit_first_form_in_main().await;
        shoot(&b, code, "wizard-4-confirmation").await;
        b.goto("/indirect-resellers").await;
        b.eval("document.querySelector('form[action=\"/indirect-resellers/requests\"]').submit();")
            .await;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        shoot(&b, code, "request-a-partnership").await;
        let link = b.texts("#personal-link").await.pop().unwrap();
        b.goto("/indirect-resellers").await;
        shoot(&b, code, "indirect-resellers").await;
        sign_out(&b).await;

        b.driver.goto(&link).await.unwrap();
        shoot(&b, code, "accept-signed-out").await;
        sign_in(&b, reseller_user).await;
        b.driver.goto(&link).await.unwrap();
        shoot(&b, code, "accept").await;
        b.goto("/indirect-providers").await;
        shoot(&b, code, "indirect-providers").await;
        b.goto("/reseller/customers").await;
        shoot(&b, code, "reseller-customers").await;
        b.goto("/reseller/subscriptions").await;
        shoot(&b, code, "reseller-subscriptions").await;
        sign_out(&b).await;

        sign_in(&b, "admin@wingtiptoys.onmicrosoft.com").await;
        shoot(&b, code, "change-password").await;
        b.fill_by_name("current_password", DEMO_PASSWORD).await;
        b.fill_by_name("new_password", "wingtip's own passphrase")
            .await;
        b.fill_by_name("confirm_password", "wingtip's own passphrase")
            .await;
        b.submit_first_form_in_main().await;
        b.goto("/my/subscriptions").await;
        shoot(&b, code, "customer-subscriptions").await;
        sign_out(&b).await;

        sign_in(&b, "operator@demo.example").await;
        b.goto("/operations").await;
        shoot(&b, code, "operations").await;
        b.goto("/operations/enrollments").await;
        shoot(&b, code, "enrollment-reviews").await;
        b.goto("/operations/profile-requests").await;
        shoot(&b, code, "profile-requests").await;
        b.eval("document.querySelector('#profile-requests tbody a').click();")
            .await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        shoot(&b, code, "profile-request").await;
        b.goto("/operations/orders").await;
        shoot(&b, code, "console-orders").await;
        b.goto("/operations/offers").await;
        shoot(&b, code, "offers").await;
        b.goto("/operations/offers/new").await;
        shoot(&b, code, "offer-new").await;
        b.goto("/operations/outbox?status=sent").await;
        shoot(&b, code, "outbox").await;
        b.goto("/operations/providers").await;
        shoot(&b, code, "providers").await;
        b.goto("/operations/providers/new").await;
        shoot(&b, code, "provider-new").await;
        b.goto("/operations/activity-log").await;
        shoot(&b, code, "console-activity-log").await;
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
