use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn switching_language_changes_the_menu_and_is_kept_for_the_user() {
    let app = spawn_app().await;
    app.create_provider("alice@contoso.example");
    app.signed_in("alice@contoso.example").await;
    let html = app.get("/").await.text().await.unwrap();
    assert!(texts(&html, "nav.menu a").contains(&"Indirect resellers".to_owned()));
    assert!(html.contains(r#"<html lang="en">"#));

    let res = app
        .post_form("/language", &[("locale", "zh-TW"), ("next", "/")])
        .await;
    assert_redirect(&res, "/");
    let html = app.get("/").await.text().await.unwrap();
    assert!(html.contains(r#"<html lang="zh-TW">"#));
    assert_eq!(
        texts(&html, "nav.menu a"),
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

    // Kept on the account: a new browser signing in gets Chinese at once.
    let other = new_client();
    app.sign_in_with(&other, "alice@contoso.example", PASSWORD)
        .await;
    let html = app.get_with(&other, "/").await.text().await.unwrap();
    assert!(html.contains("間接經銷商"));
}

#[tokio::test]
async fn signed_out_visitors_get_the_language_their_browser_asks_for() {
    let app = spawn_app().await;
    let html = app
        .client
        .get(app.url("/sign-in"))
        .header("Accept-Language", "zh-TW,zh;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(texts(&html, "h1"), vec!["登入"]);
    let html = app
        .client
        .get(app.url("/sign-in"))
        .header("Accept-Language", "fr-FR,en;q=0.5")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(texts(&html, "h1"), vec!["Sign in"]);
}

#[tokio::test]
async fn the_choice_beats_the_browser_and_returns_to_the_same_page() {
    let app = spawn_app().await;
    let res = app
        .post_form("/language", &[("locale", "zh-TW"), ("next", "/sign-in")])
        .await;
    assert_redirect(&res, "/sign-in");
    let html = app
        .client
        .get(app.url("/sign-in"))
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(texts(&html, "h1"), vec!["登入"]);
    // An unknown language or a foreign return address changes nothing dangerous.
    let res = app
        .post_form(
            "/language",
            &[("locale", "xx"), ("next", "https://evil.example")],
        )
        .await;
    assert_redirect(&res, "/");
}

#[tokio::test]
async fn error_pages_speak_the_users_language() {
    let app = spawn_app().await;
    app.post_form("/language", &[("locale", "zh-TW")]).await;
    let res = app.get("/no-such-page").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let html = res.text().await.unwrap();
    assert_eq!(texts(&html, "h1"), vec!["找不到頁面"]);
    assert!(html.contains(r#"<html lang="zh-TW">"#));
}
