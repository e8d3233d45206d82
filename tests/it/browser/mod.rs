//! The browser harness: real headless Chromium driven through Debian's chromedriver (thirtyfour),
//! against the same `spawn_app()` as the rest of the suite. Each test gets its own chromedriver and
//! browser profile; the browser is quit even when the test fails, and a failing test leaves a
//! screenshot and the page's HTML in `target/e2e-artifacts/`.

mod api_access;
mod billing;
mod drafts_and_attention;
mod grants;
mod lifecycle;
mod partnership;
mod profile;
mod screenshots;
mod sign_in;
mod subscriptions;
mod team;
mod usability;
mod wizard;

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use thirtyfour::prelude::*;

use crate::helpers::{TestApp, free_port};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

pub struct Browser {
    pub driver: WebDriver,
    base: String,
}

struct Driver {
    process: tokio::process::Child,
    profile: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.start_kill();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

async fn start_chromedriver() -> (Driver, String) {
    assert!(
        std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists(),
        "browser tests need Debian's chromium and chromium-driver; scripts/test installs them"
    );
    let port = free_port();
    let process = tokio::process::Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("chromedriver starts");
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            let profile =
                std::env::temp_dir().join(format!("pd-chrome-{}", partner_dashboard::db::new_id()));
            return (
                Driver { process, profile },
                format!("http://127.0.0.1:{port}"),
            );
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("chromedriver did not start");
}

/// The browser's preferred language, as its `Accept-Language` says.
#[derive(Clone, Copy)]
pub enum Lang {
    En,
    ZhTw,
}

/// Runs `journey` in a fresh browser. On failure: screenshot and HTML saved, browser quit, panic resumed.
pub async fn journey<F, Fut>(app: &TestApp, name: &str, lang: Lang, journey: F)
where
    F: FnOnce(Arc<Browser>) -> Fut,
    Fut: Future<Output = ()>,
{
    let (driver_process, driver_url) = start_chromedriver().await;
    let mut caps = DesiredCapabilities::chrome();
    caps.set_binary(CHROMIUM).unwrap();
    let lang_code = match lang {
        Lang::En => "en-US",
        Lang::ZhTw => "zh-TW",
    };
    for arg in [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,900",
        &format!("--lang={lang_code}"),
        &format!("--user-data-dir={}", driver_process.profile.display()),
    ] {
        caps.add_arg(arg).unwrap();
    }
    caps.add_experimental_option(
        "prefs",
        serde_json::json!({ "intl.accept_languages": lang_code }),
    )
    .unwrap();
    let driver = WebDriver::new(driver_url, caps)
        .await
        .expect("chromium starts");
    let browser = Arc::new(Browser {
        driver: driver.clone(),
        base: app.address.clone(),
    });

    let outcome = AssertUnwindSafe(journey(browser.clone()))
        .catch_unwind()
        .await;
    if outcome.is_err() {
        save_artifacts(&browser, name).await;
    }
    drop(browser);
    let _ = driver.quit().await;
    drop(driver_process);
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

async fn save_artifacts(browser: &Browser, name: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/e2e-artifacts");
    let _ = std::fs::create_dir_all(&dir);
    if let Ok(png) = browser.driver.screenshot_as_png().await {
        let _ = std::fs::write(dir.join(format!("{name}.png")), png);
    }
    if let Ok(html) = browser.driver.source().await {
        let _ = std::fs::write(dir.join(format!("{name}.html")), html);
    }
    eprintln!(
        "browser artifacts saved to {}/{name}.{{png,html}}",
        dir.display()
    );
}

/// XPath string literal for any text (handles both quote kinds).
fn xpath_literal(text: &str) -> String {
    if !text.contains('\'') {
        format!("'{text}'")
    } else if !text.contains('"') {
        format!("\"{text}\"")
    } else {
        let parts: Vec<String> = text.split('\'').map(|p| format!("'{p}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}

impl Browser {
    pub async fn goto(&self, path: &str) {
        self.driver
            .goto(format!("{}{path}", self.base))
            .await
            .unwrap();
    }

    /// The current path and query.
    pub async fn path(&self) -> String {
        let url = self.driver.current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Clicks the link or button whose visible text is exactly `label`, as a user would.
    pub async fn click(&self, label: &str) {
        let lit = xpath_literal(label);
        let xpath = format!(
            "//a[normalize-space(.)={lit}] | //button[normalize-space(.)={lit}] | //input[@type='submit' and @value={lit}]"
        );
        // A page still settling (an element replaced, or covered for a moment) refuses the click
        // without clicking anything; find the element again and retry, as a user's second try would.
        for attempt in 1..=3 {
            let element = self
                .driver
                .query(By::XPath(xpath.clone()))
                .wait(Duration::from_secs(5), Duration::from_millis(50))
                .first()
                .await
                .unwrap_or_else(|e| panic!("no link or button labelled {label:?}: {e}"));
            let clicked = match element.scroll_into_view().await {
                Ok(()) => element.click().await,
                Err(e) => Err(e),
            };
            match clicked {
                Ok(()) => return,
                Err(e) if attempt < 3 => {
                    eprintln!("click on {label:?} refused ({e}); trying again");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("cannot click {label:?}: {e}"),
            }
        }
    }

    /// Clicks the first element matching a CSS selector (for controls whose label is an icon).
    pub async fn click_css(&self, css: &str) {
        let element = self
            .driver
            .query(By::Css(css))
            .wait(Duration::from_secs(5), Duration::from_millis(50))
            .first()
            .await
            .unwrap_or_else(|e| panic!("nothing matches {css:?}: {e}"));
        element.click().await.unwrap();
    }

    /// Types into the field whose label text is `label`.
    pub async fn fill(&self, label: &str, value: &str) {
        let input = self.field(label).await;
        input.clear().await.unwrap();
        input.send_keys(value).await.unwrap();
    }

    /// Types into the field with this `name` (for helpers that work in any language).
    pub async fn fill_by_name(&self, name: &str, value: &str) {
        let input = self
            .driver
            .find(By::Css(format!("main [name=\"{name}\"]")))
            .await
            .unwrap();
        input.clear().await.unwrap();
        input.send_keys(value).await.unwrap();
    }

    /// Submits the first form of the page's main content by its main button (the primary one, when
    /// the form has others, such as Check availability) and waits for the next page.
    pub async fn submit_first_form_in_main(&self) {
        let button = match self
            .driver
            .find(By::Css("main form button[type=submit].primary"))
            .await
        {
            Ok(primary) => primary,
            Err(_) => self
                .driver
                .find(By::Css("main form button[type=submit]"))
                .await
                .unwrap(),
        };
        self.mark_page().await;
        button.click().await.unwrap();
        self.wait_for_new_page().await;
    }

    /// Marks the document on screen, so `wait_for_new_page` can tell when another one replaced it
    /// (even one with the same path and heading: a form shown again with its errors).
    pub async fn mark_page(&self) {
        self.eval("window.__pdOldPage = true;").await;
    }

    /// Waits until the document marked by `mark_page` is gone and its successor has loaded.
    pub async fn wait_for_new_page(&self) {
        for _ in 0..200 {
            // While the browser is between documents a script may fail to run: try again.
            let state = self
                .driver
                .execute(
                    "return window.__pdOldPage === true ? 'old' : document.readyState;",
                    Vec::new(),
                )
                .await
                .ok()
                .map(|r| r.json().clone());
            if state.as_ref().and_then(|s| s.as_str()) == Some("complete") {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("no new page loaded; still at {:?}", self.path().await);
    }

    /// Clicks a link or button that loads another page (perhaps the same one again), and waits for it.
    pub async fn click_to_navigate(&self, label: &str) {
        self.mark_page().await;
        self.click(label).await;
        self.wait_for_new_page().await;
    }

    /// The browser's Back button, and the page it goes back to.
    pub async fn back(&self) {
        self.mark_page().await;
        self.driver.back().await.unwrap();
        self.wait_for_new_page().await;
    }

    /// Reloads the page and waits for it.
    pub async fn refresh(&self) {
        self.mark_page().await;
        self.driver.refresh().await.unwrap();
        self.wait_for_new_page().await;
    }

    /// Runs a script that navigates (submits a form, clicks a link) and waits for the next page.
    pub async fn eval_to_navigate(&self, script: &str) {
        self.mark_page().await;
        self.eval(script).await;
        self.wait_for_new_page().await;
    }

    /// Texts of all elements matching a CSS selector, read in one go (no stale elements while a page
    /// is being replaced).
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let script = "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.innerText.split(/\\s+/).filter(Boolean).join(' '));";
        let ret = self
            .driver
            .execute(script, vec![serde_json::json!(css)])
            .await
            .unwrap();
        serde_json::from_value(ret.json().clone()).unwrap_or_default()
    }

    pub async fn heading(&self) -> String {
        self.texts("h1")
            .await
            .into_iter()
            .next()
            .unwrap_or_default()
    }

    /// Waits until the page's main heading is `text` (after a click that navigates).
    pub async fn wait_for_heading(&self, text: &str) {
        for _ in 0..100 {
            if self.heading().await == text {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "heading never became {text:?}; it is {:?}",
            self.heading().await
        );
    }

    /// The field element whose label text is `label` (without a required field's "(required)").
    async fn field(&self, label: &str) -> WebElement {
        let lit = xpath_literal(label);
        let label_el = self
            .driver
            .query(By::XPath(format!(
                "//label[normalize-space(.)={lit} or normalize-space(text()[1])={lit}]"
            )))
            .first()
            .await
            .unwrap_or_else(|e| panic!("no field labelled {label:?}: {e}"));
        let id = label_el
            .attr("for")
            .await
            .unwrap()
            .expect("label has a for=");
        self.driver.find(By::Id(id)).await.unwrap()
    }

    /// Chooses the option with value `value` in the select labelled `label`.
    pub async fn choose(&self, label: &str, value: &str) {
        let select = self.field(label).await;
        self.driver
            .execute(
                "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change'));",
                vec![select.to_json().unwrap(), serde_json::json!(value)],
            )
            .await
            .unwrap();
    }

    /// Chooses the option with value `value` in the select named `name` (rows of repeated fields).
    pub async fn choose_by_name(&self, name: &str, value: &str) {
        let select = self
            .driver
            .find(By::Css(format!("main select[name=\"{name}\"]")))
            .await
            .unwrap_or_else(|e| panic!("no select named {name:?}: {e}"));
        self.driver
            .execute(
                "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change'));",
                vec![select.to_json().unwrap(), serde_json::json!(value)],
            )
            .await
            .unwrap();
    }

    /// Ticks the checkbox whose label text is `label` (by clicking the label, as a user would).
    pub async fn tick(&self, label: &str) {
        let lit = xpath_literal(label);
        self.driver
            .find(By::XPath(format!("//label[normalize-space(.)={lit}]")))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }

    /// The current value of the field labelled `label`.
    pub async fn value(&self, label: &str) -> String {
        let field = self.field(label).await;
        let ret = self
            .driver
            .execute("return arguments[0].value;", vec![field.to_json().unwrap()])
            .await
            .unwrap();
        ret.json().as_str().unwrap_or_default().to_owned()
    }

    /// Replaces the value of the field labelled `label` in one go (long texts type slowly).
    pub async fn set_value(&self, label: &str, value: &str) {
        let field = self.field(label).await;
        self.driver
            .execute(
                "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));",
                vec![field.to_json().unwrap(), serde_json::json!(value)],
            )
            .await
            .unwrap();
    }

    /// Runs a script and returns what it returns (promises are awaited).
    pub async fn eval(&self, script: &str) -> serde_json::Value {
        self.driver
            .execute(script, Vec::new())
            .await
            .unwrap()
            .json()
            .clone()
    }

    /// Waits until the page shows `text` somewhere.
    /// Signs in through the form, as a person would, and waits for the redirect that follows to land
    /// (a `goto` issued before it lands would be overtaken by it). A refused sign-in stays on the form.
    pub async fn sign_in_with(&self, labels: (&str, &str, &str), email: &str, password: &str) {
        let (email_label, password_label, button) = labels;
        self.goto("/sign-in").await;
        self.fill(email_label, email).await;
        self.fill(password_label, password).await;
        self.click_to_navigate(button).await;
    }

    /// Waits until the browser is at `path` (with its query), i.e. the navigation a click started is done.
    pub async fn wait_for_path(&self, path: &str) {
        for _ in 0..100 {
            if self.path().await == path {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("never got to {path:?}; at {:?}", self.path().await);
    }

    pub async fn wait_for_text(&self, text: &str) {
        for _ in 0..100 {
            if self.page_text().await.contains(text) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the page never showed {text:?}");
    }

    pub async fn page_text(&self) -> String {
        self.texts("body").await.join(" ")
    }
}
