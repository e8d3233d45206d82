//! Journey 6 (issue 16): an admin invites a sales agent from Team; the agent opens the emailed link,
//! sets a name and a password, lands signed in with a sales agent's menu; later, signed out, the agent
//! uses Forgot your password?, sets a new one from the emailed link and finds this browser among the
//! signed-in devices, sets up multi-factor sign-in from the QR code's key and signs in with a code.

use super::{Lang, journey};
use crate::helpers::*;

fn path_in(text: &str, prefix: &str) -> String {
    let start = text.find(prefix).expect("a link");
    text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect()
}

#[tokio::test]
async fn an_invited_sales_agent_joins_signs_in_and_resets_a_forgotten_password() {
    let app = spawn_app().await;
    app.create_provider("alice@contoso.example");
    let app = std::sync::Arc::new(app);
    let a = app.clone();
    journey(&app, "team", Lang::En, |b| async move {
        b.sign_in_with(
            ("Email", "Password", "Sign in"),
            "alice@contoso.example",
            PASSWORD,
        )
        .await;
        b.click("Team").await;
        b.wait_for_heading("Team").await;
        b.fill_by_name("email", "sam@contoso.example").await;
        b.choose("Role", "sales").await;
        b.click("Send invitation").await;
        b.wait_for_text("Invitation sent to sam@contoso.example.")
            .await;
        assert_eq!(
            b.texts("#team-invitations td.mono").await,
            vec!["sam@contoso.example"]
        );
        b.click("Sign out").await;
        b.wait_for_heading("Sign in").await;

        let email = a.mail.wait_for("sam@contoso.example").await;
        b.goto(&path_in(&email.text, "/team/join/")).await;
        b.wait_for_heading("Join your team on Partner Dashboard")
            .await;
        b.wait_for_text("as Sales agent").await;
        b.fill_by_name("display_name", "Sam Lee").await;
        b.fill_by_name("new_password", "sam's long password").await;
        b.fill_by_name("confirm_password", "sam's long password")
            .await;
        b.click("Join and sign in").await;
        b.wait_for_text("Welcome to your team on Partner Dashboard.")
            .await;
        let menu = b.texts("#menu-list a").await;
        assert!(menu.iter().any(|m| m == "Orders"), "{menu:?}");
        assert!(
            !menu.iter().any(|m| m == "Team" || m == "Statements"),
            "{menu:?}"
        );
        b.click("Sign out").await;
        b.wait_for_heading("Sign in").await;

        // Forgotten: a link by email sets a new password.
        b.goto("/sign-in").await;
        b.click("Forgot your password?").await;
        b.wait_for_heading("Reset your password").await;
        b.fill_by_name("email", "sam@contoso.example").await;
        b.click("Email me a link").await;
        b.wait_for_text("If an account uses that address").await;
        let mut link = None;
        for _ in 0..100 {
            if let Some(m) = a
                .mail
                .received_by("sam@contoso.example")
                .into_iter()
                .find(|m| m.text.contains("/password-reset/"))
            {
                link = Some(path_in(&m.text, "/password-reset/"));
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        b.goto(&link.expect("a reset email")).await;
        b.wait_for_heading("Set a new password").await;
        b.fill_by_name("new_password", "a second long password")
            .await;
        b.fill_by_name("confirm_password", "a second long password")
            .await;
        b.click("Set password").await;
        b.wait_for_text("Your password was set. Sign in with it.")
            .await;
        b.sign_in_with(
            ("Email", "Password", "Sign in"),
            "sam@contoso.example",
            "a second long password",
        )
        .await;
        b.goto("/account/password").await;
        b.wait_for_text("Signed-in devices").await;
        let devices = b.texts("#device-list tbody td:first-child").await;
        assert_eq!(devices.len(), 1, "{devices:?}");
        assert!(
            devices[0].contains("Chrome") && devices[0].contains("This device"),
            "{devices:?}"
        );

        // Multi-factor sign-in: the QR code and the key; the app's code turns it on; the next
        // sign-in asks for a code.
        b.click("Set up multi-factor sign-in").await;
        b.wait_for_heading("Multi-factor sign-in").await;
        let qr = b
            .eval("return document.querySelectorAll('#mfa-qr svg rect, #mfa-qr svg path').length;")
            .await;
        assert!(qr.as_u64().unwrap_or(0) > 0, "a QR code: {qr}");
        let key = base32_decode(&b.texts("#mfa-key").await[0]);
        let step = partner_dashboard::domain::totp::step_at(a.state.now().and_utc().timestamp());
        let code = partner_dashboard::domain::totp::code(&key, step);
        b.fill_by_name("code", &code).await;
        b.click("Turn on").await;
        b.wait_for_text("Multi-factor sign-in is on.").await;
        assert_eq!(b.texts("#recovery-codes li").await.len(), 10);
        b.click("I have saved them").await;
        b.wait_for_heading("Dashboard").await;
        b.click("Sign out").await;
        b.wait_for_heading("Sign in").await;
        b.sign_in_with(
            ("Email", "Password", "Sign in"),
            "sam@contoso.example",
            "a second long password",
        )
        .await;
        b.wait_for_heading("Enter your code").await;
        // The next step's code (the one that turned it on was taken).
        let next = partner_dashboard::domain::totp::code(&key, step + 1);
        b.fill_by_name("code", &next).await;
        b.click("Verify").await;
        b.wait_for_heading("Dashboard").await;
    })
    .await;
}
