//! Journey 2: from a reseller's row, Add new customer through the wizard (one wrong field first), read
//! the Setup info, Done, find the customer filtered by that reseller; the customer admin signs in with the
//! temporary password and sets its own. Journey 4: Cancel in the middle leaves nothing, and Back after
//! Submit shows no password.

use diesel::prelude::*;

use partner_dashboard::db::schema::customers;
use partner_dashboard::domain::EnrollmentStatus;

use super::{Browser, Lang, journey};
use crate::helpers::*;

struct Labels {
    sign_in: &'static str,
    email: &'static str,
    password: &'static str,
    sign_out: &'static str,
    indirect_resellers: &'static str,
    add_new_customer: &'static str,
    new_customer: &'static str,
    company: &'static str,
    domain_prefix: &'static str,
    domain_error: &'static str,
    address1: &'static str,
    city: &'static str,
    country: &'static str,
    first_name: &'static str,
    last_name: &'static str,
    next_subscriptions: &'static str,
    new_subscription: &'static str,
    licenses_of_basic: &'static str,
    next_review: &'static str,
    review: &'static str,
    submit: &'static str,
    cancel: &'static str,
    confirmation: &'static str,
    setup_info: &'static str,
    done: &'static str,
    customers: &'static str,
    filter_reseller: &'static str,
    search: &'static str,
    current_password: &'static str,
    new_password: &'static str,
    confirm_password: &'static str,
    change_password: &'static str,
    subscriptions: &'static str,
    password_gone: &'static str,
}

const EN: Labels = Labels {
    sign_in: "Sign in",
    email: "Email",
    password: "Password",
    sign_out: "Sign out",
    indirect_resellers: "Indirect resellers",
    add_new_customer: "Add new customer",
    new_customer: "New customer",
    company: "Company name",
    domain_prefix: "Domain prefix",
    domain_error: "Use 3 to 27 letters a–z, digits and hyphens, not starting or ending with a hyphen.",
    address1: "Address line 1",
    city: "City",
    country: "Country",
    first_name: "First name",
    last_name: "Last name",
    next_subscriptions: "Next: Subscriptions",
    new_subscription: "New subscription",
    licenses_of_basic: "Number of licenses of Microsoft 365 Business Basic",
    next_review: "Next: Review",
    review: "Review",
    submit: "Submit",
    cancel: "Cancel",
    confirmation: "Confirmation",
    setup_info: "Setup info",
    done: "Done",
    customers: "Customers",
    filter_reseller: "Indirect reseller",
    search: "Search",
    current_password: "Current password",
    new_password: "New password",
    confirm_password: "Confirm new password",
    change_password: "Change password",
    subscriptions: "Subscriptions",
    password_gone: "The temporary password was shown once and cannot be shown again.",
};

const ZH: Labels = Labels {
    sign_in: "登入",
    email: "電子郵件",
    password: "密碼",
    sign_out: "登出",
    indirect_resellers: "間接經銷商",
    add_new_customer: "新增新的客戶",
    new_customer: "新客戶",
    company: "公司名稱",
    domain_prefix: "網域前置詞",
    domain_error: "請使用 3 到 27 個英文字母 a–z、數字和連字號,且不可以連字號開頭或結尾。",
    address1: "地址第 1 行",
    city: "城市",
    country: "國家/地區",
    first_name: "名字",
    last_name: "姓氏",
    next_subscriptions: "下一步: 訂閱",
    new_subscription: "新訂閱",
    licenses_of_basic: "Microsoft 365 Business Basic 的授權數量",
    next_review: "下一步：檢閱",
    review: "檢閱",
    submit: "提交",
    cancel: "取消",
    confirmation: "確認",
    setup_info: "安裝資訊",
    done: "完成",
    customers: "客戶",
    filter_reseller: "間接經銷商",
    search: "搜尋",
    current_password: "目前的密碼",
    new_password: "新密碼",
    confirm_password: "確認新密碼",
    change_password: "變更密碼",
    subscriptions: "訂閱",
    password_gone: "暫時密碼只會顯示一次,無法再次顯示。",
};

async fn sign_in(b: &Browser, l: &Labels, email: &str, password: &str) {
    b.sign_in_with((l.email, l.password, l.sign_in), email, password)
        .await;
}

/// Fills the New customer form (everything but the domain prefix).
async fn fill_account(b: &Browser, l: &Labels, company: &str) {
    b.fill(l.company, company).await;
    b.fill(l.address1, "1 Harbour Road").await;
    b.fill(l.city, "Taipei").await;
    b.choose(l.country, "TW").await;
    b.fill(l.first_name, "Mei").await;
    b.fill(l.last_name, "Lin").await;
    b.fill(l.email, "mei@wingtiptoys.example").await;
}

async fn setup(app: &TestApp) {
    let provider = app.create_provider("alice@contoso.example").id;
    let reseller = app
        .create_reseller("wei@northwind.example", EnrollmentStatus::Verified)
        .id;
    app.partner(provider, reseller);
    app.create_offer("Microsoft 365 Business Basic", 600, 1, 300);
    app.create_offer("Microsoft 365 E3", 3600, 1, 1000);
}

async fn add_customer(lang: Lang, l: &'static Labels, name: &str) {
    let app = spawn_app().await;
    setup(&app).await;
    journey(&app, name, lang, |b| async move {
        sign_in(&b, l, "alice@contoso.example", PASSWORD).await;
        b.click(l.indirect_resellers).await;
        b.wait_for_heading(l.indirect_resellers).await;
        b.click(l.add_new_customer).await;
        b.wait_for_heading(l.new_customer).await;
        let preselected = b.eval("const s = document.getElementById('f-reseller'); return s.options[s.selectedIndex].text;").await;
        assert_eq!(preselected.as_str(), Some("Northwind Traders"));

        // One wrong field first: the form comes back with the message and everything typed.
        fill_account(&b, l, "Wingtip Toys").await;
        b.fill(l.domain_prefix, "ab").await;
        b.click(l.next_subscriptions).await;
        b.wait_for_text(l.domain_error).await;
        assert_eq!(b.value(l.company).await, "Wingtip Toys");
        b.fill(l.domain_prefix, "wingtiptoys").await;
        b.click(l.next_subscriptions).await;

        b.wait_for_heading(l.new_subscription).await;
        b.fill(l.licenses_of_basic, "12").await;
        b.click(l.next_review).await;
        b.wait_for_heading(l.review).await;
        assert!(b.page_text().await.contains("admin@wingtiptoys.onmicrosoft.com"));
        assert_eq!(
            b.texts("#review-totals td.num").await,
            vec!["USD 72.00", "USD 72.00"],
            "the monthly total, and what Submit charges"
        );
        b.click(l.submit).await;

        b.wait_for_heading(l.confirmation).await;
        assert!(b.page_text().await.contains(l.setup_info));
        let admin = b.texts("#admin-user").await.pop().unwrap();
        let temporary = b.texts("#temporary-password").await.pop().expect("the temporary password is shown");
        assert_eq!(admin, "admin@wingtiptoys.onmicrosoft.com");
        b.click(l.done).await;

        // The customer list, filtered by the reseller.
        b.wait_for_heading(l.customers).await;
        let northwind = b
            .eval("return Array.from(document.getElementById('f-reseller').options).find(o => o.text === 'Northwind Traders').value;")
            .await;
        b.choose(l.filter_reseller, northwind.as_str().unwrap()).await;
        b.click(l.search).await;
        b.wait_for_text("Wingtip Toys").await;
        assert_eq!(b.texts("#customers tr.main-row td:nth-child(4)").await, vec!["Northwind Traders"]);
        b.click(l.sign_out).await;
        b.wait_for_heading(l.sign_in).await;

        // The customer admin signs in with the temporary password and must choose its own.
        sign_in(&b, l, &admin, &temporary).await;
        b.wait_for_heading(l.change_password).await;
        b.fill(l.current_password, &temporary).await;
        b.fill(l.new_password, "wingtip's own passphrase").await;
        b.fill(l.confirm_password, "wingtip's own passphrase").await;
        b.click(l.change_password).await;
        b.wait_for_heading(l.subscriptions).await;
    })
    .await;
}

#[tokio::test]
async fn a_provider_adds_a_customer_for_a_reseller_and_its_admin_signs_in() {
    add_customer(Lang::En, &EN, "wizard_en").await;
}

#[tokio::test]
async fn the_same_journey_in_traditional_chinese() {
    add_customer(Lang::ZhTw, &ZH, "wizard_zh").await;
}

#[tokio::test]
async fn cancel_leaves_nothing_and_back_after_submit_shows_no_password() {
    let app = spawn_app().await;
    setup(&app).await;
    let db = &app;
    journey(&app, "wizard_cancel_and_back", Lang::En, |b| async move {
        let l = &EN;
        sign_in(&b, l, "alice@contoso.example", PASSWORD).await;
        b.goto("/customers/new").await;
        fill_account(&b, l, "Cancelled Co").await;
        b.fill(l.domain_prefix, "cancelledco").await;
        b.click(l.next_subscriptions).await;
        b.wait_for_heading(l.new_subscription).await;
        b.fill(l.licenses_of_basic, "3").await;
        b.click(l.next_review).await;
        b.wait_for_heading(l.review).await;
        b.click(l.cancel).await;
        b.wait_for_heading("Cancel this new customer?").await;
        b.click("Yes, cancel").await;
        b.wait_for_heading("Customers").await;
        b.goto("/customers/new").await;
        b.wait_for_heading(l.new_customer).await;
        assert_eq!(b.value(l.company).await, "", "starting over");
        let n: i64 = db.with_conn(|conn| customers::table.count().get_result(conn).unwrap());
        assert_eq!(n, 0);

        fill_account(&b, l, "Wingtip Toys").await;
        b.fill(l.domain_prefix, "wingtiptoys").await;
        b.click(l.next_subscriptions).await;
        b.wait_for_heading(l.new_subscription).await;
        b.fill(l.licenses_of_basic, "3").await;
        b.click(l.next_review).await;
        b.wait_for_heading(l.review).await;
        b.click(l.submit).await;
        b.wait_for_heading(l.confirmation).await;
        let temporary = b.texts("#temporary-password").await.pop().unwrap();
        b.back().await;
        b.wait_for_heading(l.confirmation).await;
        let text = b.page_text().await;
        assert!(!text.contains(&temporary));
        assert!(text.contains(l.password_gone));
        b.refresh().await;
        b.wait_for_heading(l.confirmation).await;
        assert!(!b.page_text().await.contains(&temporary));
    })
    .await;
}
