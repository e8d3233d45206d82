//! Journey (issue 22, points 9 and 14, and offers in Traditional Chinese), in a zh-TW browser: a
//! provider opens Request a partnership, leaves the draft (listed apart as a draft), opens a second,
//! labels it and selects Done (listed as pending, with its label); the Dashboard's Needs attention
//! names a suspended subscription and leads to the list, where the offer has its Chinese name.

use diesel::prelude::*;

use super::{Lang, journey};
use crate::helpers::*;

#[tokio::test]
async fn a_provider_leaves_one_draft_labels_and_shares_another_and_follows_needs_attention() {
    let app = spawn_app().await;
    let provider = app.create_provider("alice@contoso.example");
    let offer = app.create_offer("Microsoft 365 Business Premium", 2_200, 1, 300);
    let customer = app.seed_customer(provider.id, None, "Wingtip Toys", "wingtiptoys");
    let sub = app.add_subscription(provider.id, customer, offer, 7, None);
    app.with_conn(|conn| {
        use partner_dashboard::db::schema::subscriptions;
        partner_dashboard::db::models::offer::Offer::set_translation(
            conn,
            offer,
            ("Microsoft 365 商務進階版", "生產力與安全性。"),
        )
        .unwrap();
        diesel::update(subscriptions::table.find(sub))
            .set(subscriptions::status.eq("suspended"))
            .execute(conn)
            .unwrap();
    });
    let app = std::sync::Arc::new(app);
    journey(&app, "drafts_and_attention", Lang::ZhTw, |b| async move {
        b.sign_in_with(
            ("電子郵件", "密碼", "登入"),
            "alice@contoso.example",
            PASSWORD,
        )
        .await;
        // Needs attention on the Dashboard: the suspended subscription.
        b.goto("/").await;
        let items = b.texts("#needs-attention li").await;
        assert!(
            items.iter().any(|i| i.contains("已暫停的訂閱")),
            "{items:?}"
        );
        b.click_css("#suspended").await;
        b.wait_for_heading("已暫停的訂閱").await;
        let rows = b.texts("#suspended-subscriptions tbody tr").await;
        assert_eq!(rows.len(), 1);
        assert!(
            rows[0].contains("Microsoft 365 商務進階版") && rows[0].contains("Wingtip Toys"),
            "{rows:?}"
        );

        // A draft left behind is listed apart.
        b.goto("/indirect-resellers").await;
        b.click("要求建立經銷商關係").await;
        b.wait_for_heading("要求建立經銷商關係").await;
        assert!(!b.texts("#draft-state").await.is_empty());
        b.goto("/indirect-resellers").await;
        b.wait_for_heading("間接經銷商").await;
        let drafts = b.texts("#draft-requests tbody tr").await;
        assert_eq!(drafts.len(), 1, "{drafts:?}");
        assert!(drafts[0].contains("無標籤"), "{drafts:?}");
        assert!(b.texts("#sent-requests tbody tr").await.is_empty());

        // A second one, labelled and shared with Done: pending, with its label.
        b.click("要求建立經銷商關係").await;
        b.wait_for_heading("要求建立經銷商關係").await;
        b.fill("標籤 (選用)", "Northwind (王偉)").await;
        b.click("完成").await;
        b.wait_for_heading("間接經銷商").await;
        let sent = b.texts("#sent-requests tbody tr").await;
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert!(
            sent[0].contains("Northwind (王偉)") && sent[0].contains("待處理"),
            "{sent:?}"
        );
        assert_eq!(b.texts("#draft-requests tbody tr").await.len(), 1);
    })
    .await;
}
