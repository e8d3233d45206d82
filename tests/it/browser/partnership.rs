//! Journey 1: a provider requests a partnership (copy, open in email, send), a reseller enrolls, an
//! operator verifies it, the reseller accepts from the emailed link, and the provider sees it listed.

use super::{Browser, Lang, journey};
use crate::helpers::*;

/// The labels the journey clicks, in one language.
struct Labels {
    sign_in: &'static str,
    email: &'static str,
    password: &'static str,
    sign_out: &'static str,
    indirect_resellers: &'static str,
    request: &'static str,
    open_in_email: &'static str,
    copy: &'static str,
    copied: &'static str,
    copy_fallback: &'static str,
    message: &'static str,
    subject: &'static str,
    reseller_email: &'static str,
    send: &'static str,
    done: &'static str,
    enroll_title: &'static str,
    company: &'static str,
    partner_id: &'static str,
    country: &'static str,
    contact: &'static str,
    confirm: &'static str,
    enroll: &'static str,
    operations: &'static str,
    review: &'static str,
    verify: &'static str,
    authorize: &'static str,
    checkbox: &'static str,
    indirect_providers: &'static str,
}

const EN: Labels = Labels {
    sign_in: "Sign in",
    email: "Email",
    password: "Password",
    sign_out: "Sign out",
    indirect_resellers: "Indirect resellers",
    request: "Request a partnership",
    open_in_email: "Open in email",
    copy: "Copy to clipboard",
    copied: "Copied to the clipboard.",
    copy_fallback: "The text is selected.",
    message: "Message",
    subject: "Subject",
    reseller_email: "Reseller's email address",
    send: "Send email",
    done: "Done",
    enroll_title: "Enroll as an indirect reseller",
    company: "Company name",
    partner_id: "Partner ID",
    country: "Country",
    contact: "Contact name",
    confirm: "Confirm new password",
    enroll: "Enroll",
    operations: "Operations",
    review: "Review enrollments",
    verify: "Verify",
    authorize: "Authorize indirect provider",
    checkbox: "I authorize Contoso Distribution to do these things as my indirect provider.",
    indirect_providers: "Indirect providers",
};

const ZH: Labels = Labels {
    sign_in: "登入",
    email: "電子郵件",
    password: "密碼",
    sign_out: "登出",
    indirect_resellers: "間接經銷商",
    request: "要求建立經銷商關係",
    open_in_email: "在電子郵件中開啟",
    copy: "複製到剪貼簿",
    copied: "已複製到剪貼簿。",
    copy_fallback: "已選取文字。",
    message: "訊息",
    subject: "主旨",
    reseller_email: "經銷商的電子郵件地址",
    send: "傳送電子郵件",
    done: "完成",
    enroll_title: "註冊為間接經銷商",
    company: "公司名稱",
    partner_id: "合作夥伴識別碼",
    country: "國家/地區",
    contact: "連絡人姓名",
    confirm: "確認新密碼",
    enroll: "註冊",
    operations: "營運主控台",
    review: "審核註冊",
    verify: "驗證",
    authorize: "授權間接提供者",
    checkbox: "我授權 Contoso Distribution 以我的間接提供者身分執行上述動作。",
    indirect_providers: "間接提供者",
};

async fn sign_in(b: &Browser, l: &Labels, email: &str) {
    b.sign_in_with((l.email, l.password, l.sign_in), email, PASSWORD)
        .await;
}

async fn sign_out(b: &Browser, l: &Labels) {
    b.click(l.sign_out).await;
    b.wait_for_heading(l.sign_in).await;
}

/// Keeps Open in email from leaving the page, so the test can read where it points.
async fn hold_mailto(b: &Browser) {
    b.eval(
        "document.addEventListener('click', e => { if (e.target.closest && e.target.closest('#open-in-email')) e.preventDefault(); });",
    )
    .await;
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .unwrap()
        .into_owned()
}

async fn run(lang: Lang, l: &'static Labels, name: &str) {
    let app = spawn_app().await;
    app.create_provider("alice@contoso.example");
    app.create_operator("olivia@platform.example");
    let mail_app = &app;
    journey(&app, name, lang, |b| async move {
        // The provider opens Indirect resellers from the Dashboard menu and requests a partnership.
        sign_in(&b, l, "alice@contoso.example").await;
        b.click(l.indirect_resellers).await;
        b.wait_for_heading(l.indirect_resellers).await;
        b.click(l.request).await;
        b.wait_for_heading(l.request).await;
        let body = b.value(l.message).await;
        let link = b.texts("#personal-link").await.pop().unwrap();
        assert!(body.contains(&link));

        // Copy to clipboard: the clipboard holds the message, or (where the browser refuses) the message
        // is selected for the user to copy.
        let origin = serde_json::json!({ "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"], "origin": mail_app.address });
        let granted = b.driver.cdp().send_raw("Browser.grantPermissions", origin).await.is_ok();
        b.click(l.copy).await;
        b.wait_for_text(if granted { l.copied } else { l.copy_fallback }).await;
        let status = b.texts("#copy-status").await.join("");
        if status.starts_with(l.copied) {
            let copied = b.eval("return navigator.clipboard.readText();").await;
            assert_eq!(copied.as_str().unwrap(), body);
        } else {
            assert!(status.starts_with(l.copy_fallback), "{status}");
            let selected = b
                .eval("const t = document.activeElement; return t.value.substring(t.selectionStart, t.selectionEnd);")
                .await;
            assert_eq!(selected.as_str().unwrap(), body);
        }

        // A message whose link was removed makes Copy ask first; saying no copies nothing.
        b.set_value(l.message, &body.replace(&link, "")).await;
        b.eval("document.getElementById('copy-status').textContent = '';").await;
        b.click(l.copy).await;
        let warning = b.driver.get_alert_text().await.expect("a warning before copying without the link");
        assert!(!warning.is_empty());
        b.driver.dismiss_alert().await.unwrap();
        assert_eq!(b.texts("#copy-status").await.join(""), "");
        b.set_value(l.message, &body).await;

        // Open in email points at the edited message.
        b.set_value(l.subject, "Let's work together / 一起合作").await;
        b.fill(l.reseller_email, "wei@northwind.example").await;
        hold_mailto(&b).await;
        b.click(l.open_in_email).await;
        let href = b.eval("return document.getElementById('open-in-email').href;").await;
        let href = href.as_str().unwrap().to_owned();
        let (to, query) = href.strip_prefix("mailto:").unwrap().split_once('?').unwrap();
        assert_eq!(decode(to), "wei@northwind.example");
        let params: Vec<(String, String)> = query
            .split('&')
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap();
                (k.to_owned(), decode(v))
            })
            .collect();
        assert_eq!(params[0], ("subject".to_owned(), "Let's work together / 一起合作".to_owned()));
        assert_eq!(params[1], ("body".to_owned(), body.replace('\n', "\r\n")));

        // Send email, then Done.
        b.click(l.send).await;
        b.wait_for_text("wei@northwind.example").await;
        b.click(l.done).await;
        b.wait_for_heading(l.indirect_resellers).await;
        sign_out(&b, l).await;

        // The reseller enrolls.
        b.goto("/enroll").await;
        b.wait_for_heading(l.enroll_title).await;
        b.fill(l.company, "Northwind Traders").await;
        b.fill(l.partner_id, "4812345").await;
        b.choose(l.country, "TW").await;
        b.fill(l.contact, "Wang Wei").await;
        b.fill(l.email, "wei@northwind.example").await;
        b.fill(l.password, PASSWORD).await;
        b.fill(l.confirm, PASSWORD).await;
        b.click(l.enroll).await;
        b.wait_for_heading(l.indirect_providers).await;
        sign_out(&b, l).await;

        // An operator verifies the enrollment.
        sign_in(&b, l, "olivia@platform.example").await;
        b.wait_for_heading(l.operations).await;
        b.click(l.review).await;
        b.click(l.verify).await;
        b.wait_for_text(match lang {
            Lang::En => "The enrollment was verified",
            Lang::ZhTw => "註冊已通過驗證",
        })
        .await;
        sign_out(&b, l).await;

        // The reseller opens the link from the email it received, signs in and authorizes.
        let email = mail_app
            .mail
            .received_by("wei@northwind.example")
            .into_iter()
            .find(|m| m.text.contains("/partnerships/accept/"))
            .expect("the partnership request arrived");
        let start = email.text.find(&mail_app.address).unwrap();
        let emailed: String = email.text[start..].split_whitespace().next().unwrap().to_owned();
        assert_eq!(emailed, link);
        b.driver.goto(&emailed).await.unwrap();
        b.click_to_navigate(l.sign_in).await;
        assert!(b.path().await.starts_with("/sign-in?next="), "{}", b.path().await);
        b.fill(l.email, "wei@northwind.example").await;
        b.fill(l.password, PASSWORD).await;
        b.click(l.sign_in).await;
        b.wait_for_text(l.authorize).await;
        b.tick(l.checkbox).await;
        b.click(l.authorize).await;
        b.wait_for_heading(l.indirect_providers).await;
        assert_eq!(b.texts("#providers tbody td:first-child").await, vec!["Contoso Distribution"]);
        sign_out(&b, l).await;

        // The provider sees the reseller in its list.
        sign_in(&b, l, "alice@contoso.example").await;
        b.click(l.indirect_resellers).await;
        b.wait_for_heading(l.indirect_resellers).await;
        assert_eq!(b.texts("#resellers tbody td:first-child").await, vec!["Northwind Traders"]);
    })
    .await;
}

#[tokio::test]
async fn provider_partners_with_a_reseller_that_enrolls_and_accepts_the_emailed_link() {
    run(Lang::En, &EN, "partnership_en").await;
}

#[tokio::test]
async fn the_same_journey_in_traditional_chinese() {
    run(Lang::ZhTw, &ZH, "partnership_zh").await;
}
