//! What new users tripped over (issue 22), tried in Chromium: a failed form puts the keyboard on its
//! error summary and each link there on its field; fields with errors have the red border; nothing
//! overlaps; on a phone-sized window the menu folds behind a Menu button that opens all of it, and
//! wide tables scroll inside their card instead of the page.

use super::{Browser, Lang, journey};
use crate::helpers::*;

async fn sign_in(b: &Browser, email: &str) {
    b.sign_in_with(("Email", "Password", "Sign in"), email, PASSWORD)
        .await;
}

/// The bounding boxes of two elements overlap.
async fn overlap(b: &Browser, first: &str, second: &str) -> bool {
    let script = format!(
        "var a = document.querySelector({first:?}).getBoundingClientRect();
         var b = document.querySelector({second:?}).getBoundingClientRect();
         return !(a.bottom <= b.top || b.bottom <= a.top || a.right <= b.left || b.right <= a.left);"
    );
    b.eval(&script).await.as_bool().unwrap()
}

#[tokio::test]
async fn a_failed_form_focuses_its_summary_links_to_each_field_and_marks_it_red() {
    let app = spawn_app().await;
    journey(&app, "usability-form-errors", Lang::En, |b| async move {
        b.goto("/enroll").await;
        b.wait_for_heading("Enroll as an indirect reseller").await;
        // The Enroll button and "Already have an account?" do not overlap (the hint's old negative margin).
        assert!(!overlap(&b, "main form button[type=submit]", "main section > p.hint").await);
        b.fill("Company name", " ").await;
        b.fill("Partner ID", "12a4").await;
        b.fill("Contact name", "Lin Mei").await;
        b.submit_first_form_in_main().await;
        assert_eq!(
            b.eval("return document.activeElement.className;")
                .await
                .as_str(),
            Some("flash flash-error error-summary"),
            "focus starts on the summary"
        );
        let links = b.texts(".error-summary a").await;
        assert!(links[0].starts_with("Company name: "), "{links:?}");
        b.click(&links[1]).await;
        assert_eq!(
            b.eval("return document.activeElement.id;").await.as_str(),
            Some("f-partner_number"),
            "the link puts the cursor in its field"
        );
        // The red border wins over the text field's grey one (the specificity bug).
        let colours = b
            .eval(
                "return [getComputedStyle(document.getElementById('f-company_name')).borderTopColor,
                         getComputedStyle(document.getElementById('f-company_name-error')).color,
                         getComputedStyle(document.getElementById('f-contact_name')).borderTopColor];",
            )
            .await;
        assert_eq!(colours[0], colours[1], "{colours}");
        assert_ne!(colours[0], colours[2], "{colours}");
    })
    .await;
}

#[tokio::test]
async fn on_a_phone_the_menu_opens_from_its_button_and_tables_scroll_inside_their_card() {
    let app = spawn_app().await;
    let provider = app.create_provider("alice@contoso.example").id;
    app.seed_customer(
        provider,
        None,
        "Wingtip Toys with a rather long name",
        "wingtiptoys",
    );
    journey(&app, "usability-phone", Lang::En, |b| async move {
        b.driver.set_window_rect(0, 0, 390, 844).await.unwrap();
        sign_in(&b, "alice@contoso.example").await;
        let visible = "return Array.from(document.querySelectorAll('.menu ul a'))
            .filter(function (a) { return a.getClientRects().length > 0; })
            .map(function (a) { return a.textContent.trim(); });";
        assert_eq!(b.eval(visible).await, serde_json::json!([]), "folded");
        b.click("Menu").await;
        assert_eq!(
            b.eval(visible).await,
            serde_json::json!([
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
            ]),
            "the whole menu"
        );
        let widest = "return Math.max.apply(null, Array.from(document.querySelectorAll('.menu ul a'))
            .map(function (a) { return a.getBoundingClientRect().right; }));";
        assert!(b.eval(widest).await.as_f64().unwrap() <= 390.0, "no sideways strip");
        b.click("Customers").await;
        b.wait_for_heading("Customers").await;
        // The page itself does not scroll sideways; the table's card does.
        let page = b
            .eval("return document.documentElement.scrollWidth <= window.innerWidth;")
            .await;
        assert_eq!(page, serde_json::json!(true));
        let wrap = b
            .eval("var w = document.querySelector('.table-wrap'); return w.scrollWidth > w.clientWidth;")
            .await;
        assert_eq!(wrap, serde_json::json!(true), "the table scrolls in its card");
    })
    .await;
}
