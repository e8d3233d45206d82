use super::{Lang, journey};
use crate::helpers::*;
use partner_dashboard::domain::EnrollmentStatus;

#[tokio::test]
async fn provider_signs_in_sees_the_menu_switches_to_chinese_and_signs_out() {
    let app = spawn_app().await;
    app.create_provider("alice@contoso.example");
    journey(
        &app,
        "provider_sign_in_and_language",
        Lang::En,
        |b| async move {
            b.goto("/").await;
            b.wait_for_heading("Sign in").await;
            b.fill("Email", "alice@contoso.example").await;
            b.fill("Password", "wrong password").await;
            // The form comes back: a new page with the same heading.
            b.click_to_navigate("Sign in").await;
            b.wait_for_heading("Sign in").await;
            assert!(
                b.page_text()
                    .await
                    .contains("The email or password is not correct.")
            );

            b.fill("Password", PASSWORD).await;
            b.click("Sign in").await;
            b.wait_for_heading("Dashboard").await;
            assert_eq!(
                b.texts("nav.menu a").await,
                vec![
                    "Dashboard",
                    "Indirect resellers",
                    "Customers",
                    "Orders",
                    "Renewals",
                    "Statements",
                    "Price list",
                    "Margins",
                    "Team",
                    "Profile",
                    "Activity log",
                    "Account"
                ]
            );

            b.click("繁體中文").await;
            b.wait_for_heading("儀表板").await;
            assert_eq!(b.path().await, "/");
            assert_eq!(
                b.texts("nav.menu a").await,
                vec![
                    "儀表板",
                    "間接經銷商",
                    "客戶",
                    "訂單",
                    "續約",
                    "對帳單",
                    "價目表",
                    "毛利",
                    "小組",
                    "設定檔",
                    "活動記錄",
                    "帳戶"
                ]
            );

            b.click("登出").await;
            b.wait_for_heading("登入").await;
            assert!(b.page_text().await.contains("您已登出。"));
        },
    )
    .await;
}

#[tokio::test]
async fn a_chinese_browser_gets_chinese_and_a_reseller_lands_on_its_own_menu() {
    let app = spawn_app().await;
    app.create_reseller("wei@northwind.example", EnrollmentStatus::Verified);
    journey(&app, "reseller_sign_in_zh", Lang::ZhTw, |b| async move {
        b.goto("/sign-in").await;
        b.wait_for_heading("登入").await;
        b.fill("電子郵件", "wei@northwind.example").await;
        b.fill("密碼", PASSWORD).await;
        b.click("登入").await;
        b.wait_for_heading("間接提供者").await;
        assert_eq!(
            b.texts("nav.menu a").await,
            vec![
                "間接提供者",
                "客戶",
                "訂閱",
                "訂單",
                "續約",
                "對帳單",
                "價格",
                "毛利",
                "小組",
                "活動記錄",
                "帳戶"
            ]
        );
    })
    .await;
}
