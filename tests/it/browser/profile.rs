//! Journey 6: a provider requests a profile change in the browser — company name, a logo file chosen
//! in the file picker, two locations — and sees it Submitted with its expected date; an operator opens
//! the request beside the current listing and approves it; the public official indirect providers
//! list, signed out, shows the new listing with its logo for the chosen country, in Chinese too.

use std::path::PathBuf;

use thirtyfour::prelude::*;

use super::{Browser, Lang, journey};
use crate::helpers::*;

async fn sign_in(b: &Browser, email: &str) {
    b.sign_in_with(("Email", "Password", "Sign in"), email, PASSWORD)
        .await;
}

async fn sign_out(b: &Browser) {
    b.click("Sign out").await;
    b.wait_for_heading("Sign in").await;
}

#[tokio::test]
async fn a_profile_change_goes_from_the_form_to_the_public_list_through_an_operator() {
    let app = spawn_app().await;
    app.create_provider("alice@contoso.example");
    app.create_operator("olivia@platform.example");
    let logo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/logo.png");
    journey(&app, "profile", Lang::En, |b| async move {
        sign_in(&b, "alice@contoso.example").await;
        b.wait_for_heading("Dashboard").await;
        b.click("Profile").await;
        b.wait_for_heading("Profile").await;
        b.click("Request a profile change").await;
        b.wait_for_heading("Request a profile change").await;

        // A first try with an http:// URL comes back with the message and what was typed.
        b.fill("Company name", "Contoso Cloud Distribution").await;
        b.choose_by_name("country_0", "TW").await;
        b.fill_by_name("url_0", "http://contoso.example/tw").await;
        b.click("Submit request").await;
        b.wait_for_text("Enter a web address that starts with https://.")
            .await;
        assert_eq!(b.value("Company name").await, "Contoso Cloud Distribution");

        // Then properly, with the logo chosen in the file picker.
        b.fill_by_name("url_0", "https://contoso.example/tw").await;
        b.choose_by_name("country_1", "US").await;
        b.fill_by_name("url_1", "https://contoso.example/us").await;
        let picker = b.driver.find(By::Css("input[type=file]")).await.unwrap();
        picker.send_keys(logo.to_str().unwrap()).await.unwrap();
        b.click("Submit request").await;
        b.wait_for_text("Your profile change request was submitted.")
            .await;
        assert_eq!(b.texts("#request-status").await, vec!["Submitted"]);
        assert_eq!(b.texts("#expected-by").await.len(), 1);
        let loaded = "return document.querySelector('#request img.listing-logo').naturalWidth;";
        assert_eq!(
            b.eval(loaded).await.as_i64(),
            Some(64),
            "the uploaded logo shows"
        );
        sign_out(&b).await;

        // The operator reviews it beside the (empty) current listing and approves.
        sign_in(&b, "olivia@platform.example").await;
        b.wait_for_heading("Operations").await;
        b.click("Review profile requests").await;
        b.wait_for_heading("Profile change requests").await;
        b.click("Contoso Distribution").await;
        b.wait_for_text("Proposed listing").await;
        assert!(b.texts("#proposed-listing").await[0].contains("https://contoso.example/us"));
        b.click("Start review").await;
        b.wait_for_text("The request is in review").await;
        b.click("Approve and update the listing").await;
        b.wait_for_text("The listing was updated").await;
        sign_out(&b).await;

        // Anyone sees it on the public list, filtered by country.
        b.goto("/providers").await;
        b.wait_for_heading("Official indirect providers list").await;
        assert_eq!(
            b.texts("#providers .listing-name").await,
            vec!["Contoso Cloud Distribution"]
        );
        let loaded = "return document.querySelector('#providers img.listing-logo').naturalWidth;";
        assert_eq!(b.eval(loaded).await.as_i64(), Some(64));
        b.choose("Country", "US").await;
        b.click("Show").await;
        // The unfiltered list shows the US address too: wait for the filtered page itself.
        b.wait_for_path("/providers?country=US").await;
        b.wait_for_text("https://contoso.example/us").await;
        assert!(!b.page_text().await.contains("https://contoso.example/tw"));
        b.click("繁體中文").await;
        b.wait_for_heading("官方間接提供者清單").await;
        assert!(b.page_text().await.contains("https://contoso.example/us"));
    })
    .await;
}
