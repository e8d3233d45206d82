use partner_dashboard::demo::{DEMO_PASSWORD, load_if_empty};

use crate::helpers::*;

#[tokio::test]
async fn demo_data_loads_once_into_an_empty_database_and_its_sign_ins_work() {
    let app = spawn_app().await;
    let db = app.state.db.clone();
    let sign_ins =
        tokio::task::spawn_blocking(move || load_if_empty(&db, "onmicrosoft.com").unwrap())
            .await
            .unwrap()
            .expect("loaded into an empty database");
    assert!(sign_ins.contains("alice@contoso-distribution.example"));
    assert!(sign_ins.contains(DEMO_PASSWORD));

    assert_redirect(
        &app.sign_in("alice@contoso-distribution.example", DEMO_PASSWORD)
            .await,
        "/",
    );
    let client = new_client();
    assert_redirect(
        &app.sign_in_with(&client, "operator@demo.example", DEMO_PASSWORD)
            .await,
        "/operations",
    );
    // A Chinese-speaking demo user gets Chinese at once.
    let client = new_client();
    app.sign_in_with(
        &client,
        "meihua@contoso-distribution.example",
        DEMO_PASSWORD,
    )
    .await;
    let html = app.get_with(&client, "/").await.text().await.unwrap();
    assert!(html.contains("間接經銷商"));

    let db = app.state.db.clone();
    let again = tokio::task::spawn_blocking(move || load_if_empty(&db, "onmicrosoft.com").unwrap())
        .await
        .unwrap();
    assert!(again.is_none(), "never loaded over existing data");
}
