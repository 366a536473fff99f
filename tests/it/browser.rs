//! A walk through the app in a real headless Chromium, driven over WebDriver (chromedriver)
//! with fantoccini: sign up, switch theme, add a workspace, switch back, sign out.
//!
//! Without chromium and chromedriver installed the test prints a notice and passes, unless
//! `REQUIRE_BROWSER=1`, which turns the missing browser into a failure.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

use crate::support::{TestApp, PASSWORD};

/// The longest any single wait (driver start, element, navigation) may take.
const WAIT: Duration = Duration::from_secs(10);
const DESKTOP: (u32, u32) = (1280, 900);
const PHONE: (u32, u32) = (390, 844);

#[tokio::test]
async fn sign_up_theme_second_workspace_switch_and_sign_out() {
    let Some(tools) = browser_tools_or_skip() else {
        return;
    };
    // Declared before the driver, so the profile is removed only after the browser is gone.
    let profile = tempfile::tempdir().expect("browser profile dir");
    let driver = Chromedriver::start(&tools.chromedriver).await;
    let app = TestApp::spawn().await;
    let c = connect(&driver, &tools.chromium, profile.path()).await;

    // 1. Sign up.
    c.goto(&app.url("/auth/register"))
        .await
        .expect("open /auth/register");
    fill(&c, "input[name=name]", "Ada Lovelace").await;
    fill(&c, "input[name=email]", "ada@example.test").await;
    fill(&c, "input[name=password]", PASSWORD).await;
    fill(&c, "input[name=password_confirm]", PASSWORD).await;
    click_and_load(&c, r#"form[action="/auth/register"] button[type=submit]"#).await;

    // 2. The personal workspace's dashboard.
    let personal = wait_for_url(&c, "the personal workspace", |u| {
        u.path().starts_with("/w/")
    })
    .await;
    let first_ws = "Ada\u{2019}s Workspace";
    assert_h1_contains(&c, first_ws).await;

    // 3. Theme: system -> dark -> light, each stored by the server and rendered after the redirect.
    assert_eq!(
        theme(&c).await,
        "system",
        "a new account follows the system theme"
    );
    click_and_load(&c, "button.theme-toggle").await;
    assert_eq!(
        current_path(&c).await,
        personal.path(),
        "theme switch returns to the page"
    );
    assert_eq!(theme(&c).await, "dark", "first toggle switches to dark");
    click_and_load(&c, "button.theme-toggle").await;
    assert_eq!(theme(&c).await, "light", "second toggle switches to light");
    c.goto(personal.as_str()).await.expect("reload dashboard");
    assert_eq!(
        theme(&c).await,
        "light",
        "the theme is remembered for the user"
    );

    // 4. A second workspace; the address is suggested from the name by our script.
    c.goto(&app.url("/workspaces"))
        .await
        .expect("open /workspaces");
    fill(&c, "#ws-name", "Acme Agency").await;
    let slug = element(&c, "#ws-slug")
        .await
        .prop("value")
        .await
        .expect("slug value");
    assert_eq!(
        slug.as_deref(),
        Some("acme-agency"),
        "slug derived from the name"
    );
    click_and_load(&c, r#"form[action="/workspaces"] button[type=submit]"#).await;
    wait_for_url(&c, "/w/acme-agency", |u| u.path() == "/w/acme-agency").await;
    assert_h1_contains(&c, "Acme Agency").await;

    // 5. Back to the personal workspace through the header switcher.
    element(&c, ".ws-switcher summary.menu-button")
        .await
        .click()
        .await
        .expect("open the workspace switcher");
    element(&c, ".ws-switcher details[open]").await;
    wait_until_opaque(&c, ".ws-switcher .menu-list").await;
    let item_css = format!(".ws-switcher a.menu-item[href=\"{}\"]", personal.path());
    let target = element(&c, &item_css).await;
    let label = target.text().await.expect("item text");
    assert!(
        label.contains(first_ws),
        "switcher item reads {label:?}, wanted {first_ws:?}; {}",
        describe(&c).await
    );
    mark_page(&c).await;
    target.click().await.expect("click the switcher item");
    wait_for_new_page(&c).await;
    assert_eq!(current_path(&c).await, personal.path(), "switched back");
    assert_h1_contains(&c, first_ws).await;

    // The dashboard at desktop and phone widths, for a human to look at.
    screenshot(&c, DESKTOP, "postmagiq-dashboard-desktop.png").await;
    screenshot(&c, PHONE, "postmagiq-dashboard-mobile.png").await;
    c.set_window_size(DESKTOP.0, DESKTOP.1)
        .await
        .expect("resize back to desktop");

    // 6. Sign out through the user menu.
    element(&c, "details.user-menu summary")
        .await
        .click()
        .await
        .expect("open the user menu");
    wait_until_opaque(&c, "details.user-menu .menu-list").await;
    click_and_load(
        &c,
        r#"details.user-menu form[action="/auth/logout"] button"#,
    )
    .await;
    let login = wait_for_url(&c, "/auth/login?signed_out=1", |u| {
        u.path() == "/auth/login" && u.query() == Some("signed_out=1")
    })
    .await;
    let body = text(&c, "body").await;
    assert!(
        body.contains("You have been signed out."),
        "sign-out notice missing on {login}: {body}"
    );

    // Signed out, the dashboard sends the browser to sign in.
    c.goto(personal.as_str()).await.expect("open the dashboard");
    wait_for_url(&c, "/auth/login", |u| u.path() == "/auth/login").await;

    // No script errors, CSP violations or failed loads along the way (the browser's own
    // favicon.ico probe aside).
    let logs = browser_log(&c).await;
    for line in &logs {
        eprintln!("browser console: {line}");
    }
    let errors: Vec<&String> = logs
        .iter()
        .filter(|l| l.starts_with("SEVERE") && !l.contains("/favicon.ico"))
        .collect();
    assert!(errors.is_empty(), "browser console errors: {errors:#?}");

    c.close().await.expect("close the browser session");
    drop(driver);
}

// ---------------------------------------------------------------------------------------------
// Finding and starting the browser.
// ---------------------------------------------------------------------------------------------

pub(crate) struct BrowserTools {
    pub(crate) chromedriver: PathBuf,
    pub(crate) chromium: PathBuf,
}

/// The browser and its driver, or `None` after printing why the test is skipped. Panics
/// instead when `REQUIRE_BROWSER=1`.
pub(crate) fn browser_tools_or_skip() -> Option<BrowserTools> {
    let chromedriver = find_program("/usr/bin/chromedriver", &["chromedriver"]);
    let chromium = find_program("/usr/bin/chromium", &["chromium", "chromium-browser"]);
    let mut missing = Vec::new();
    if chromedriver.is_none() {
        missing.push("chromedriver (Debian package chromium-driver)");
    }
    if chromium.is_none() {
        missing.push("chromium (Debian package chromium)");
    }
    if let (Some(chromedriver), Some(chromium)) = (chromedriver, chromium) {
        return Some(BrowserTools {
            chromedriver,
            chromium,
        });
    }
    let missing = missing.join(" and ");
    if std::env::var("REQUIRE_BROWSER").as_deref() == Ok("1") {
        panic!("REQUIRE_BROWSER=1 but {missing} not found");
    }
    eprintln!("skipping browser test: {missing} not found (set REQUIRE_BROWSER=1 to fail instead)");
    None
}

/// `preferred` if it exists, otherwise the first of `names` found on PATH.
pub(crate) fn find_program(preferred: &str, names: &[&str]) -> Option<PathBuf> {
    let preferred = Path::new(preferred);
    if preferred.is_file() {
        return Some(preferred.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// A running chromedriver; dropping it kills the driver and the browser it started, also when
/// the test panics half-way.
pub(crate) struct Chromedriver {
    child: Child,
    port: u16,
}

impl Chromedriver {
    pub(crate) async fn start(program: &Path) -> Chromedriver {
        let port = free_port();
        let mut command = Command::new(program);
        command
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // Its own process group, so that Drop can stop the browser together with the driver.
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", program.display()));
        let mut driver = Chromedriver { child, port };
        let deadline = Instant::now() + WAIT;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = driver.child.try_wait() {
                panic!("chromedriver exited before listening: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on port {port} within {WAIT:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        driver
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        #[cfg(unix)]
        {
            let group = format!("-{}", self.child.id());
            let _ = Command::new("kill")
                .args(["-KILL", "--", group.as_str()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

pub(crate) async fn connect(driver: &Chromedriver, chromium: &Path, profile: &Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
                "--force-prefers-reduced-motion",
                format!("--user-data-dir={}", profile.display()),
                format!("--window-size={},{}", DESKTOP.0, DESKTOP.1),
            ],
        }),
    );
    caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
    ClientBuilder::new(HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url())
        .await
        .unwrap_or_else(|e| panic!("start a Chromium session through chromedriver: {e}"))
}

// ---------------------------------------------------------------------------------------------
// Page helpers.
// ---------------------------------------------------------------------------------------------

/// Waits (up to 10 s) until an element's opening animation has finished: WebDriver reads no
/// text from, and may not click, an element that is still fading in.
pub(crate) async fn wait_until_opaque(c: &Client, css: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        let opacity = c
            .execute(
                "const e = document.querySelector(arguments[0]); \
                 return e ? getComputedStyle(e).opacity : null;",
                vec![json!(css)],
            )
            .await
            .expect("read opacity");
        if opacity.as_str() == Some("1") {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{css} never became opaque (opacity {opacity}); {}",
            describe(c).await
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

pub(crate) async fn element(c: &Client, css: &str) -> fantoccini::elements::Element {
    match c.wait().at_most(WAIT).for_element(Locator::Css(css)).await {
        Ok(e) => e,
        Err(e) => panic!("no element {css:?} ({e}); {}", describe(c).await),
    }
}

pub(crate) async fn fill(c: &Client, css: &str, value: &str) {
    element(c, css)
        .await
        .send_keys(value)
        .await
        .unwrap_or_else(|e| panic!("type into {css:?}: {e}"));
}

pub(crate) async fn text(c: &Client, css: &str) -> String {
    element(c, css)
        .await
        .text()
        .await
        .unwrap_or_else(|e| panic!("text of {css:?}: {e}"))
}

pub(crate) async fn assert_h1_contains(c: &Client, expected: &str) {
    let h1 = text(c, "h1").await;
    assert!(
        h1.contains(expected),
        "h1 {h1:?} should contain {expected:?} on {}",
        current_url(c).await
    );
}

pub(crate) async fn theme(c: &Client) -> String {
    let value = c
        .execute(
            "return document.documentElement.getAttribute('data-theme');",
            vec![],
        )
        .await
        .expect("read data-theme");
    value.as_str().unwrap_or_default().to_string()
}

pub(crate) async fn current_url(c: &Client) -> url::Url {
    c.current_url().await.expect("current url")
}

pub(crate) async fn current_path(c: &Client) -> String {
    current_url(c).await.path().to_string()
}

/// Clicks `css` and waits until the browser has loaded the next page.
pub(crate) async fn click_and_load(c: &Client, css: &str) {
    let target = element(c, css).await;
    mark_page(c).await;
    target
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css:?}: {e}"));
    wait_for_new_page(c).await;
}

/// Tags the current document, so `wait_for_new_page` can tell when it has been replaced.
pub(crate) async fn mark_page(c: &Client) {
    c.execute("window.__postmagiqOldPage = true;", vec![])
        .await
        .expect("mark the page");
}

pub(crate) async fn wait_for_new_page(c: &Client) {
    let deadline = Instant::now() + WAIT;
    loop {
        let fresh = c
            .execute(
                "return window.__postmagiqOldPage === undefined \
                 && document.readyState === 'complete';",
                vec![],
            )
            .await;
        if matches!(fresh, Ok(Value::Bool(true))) {
            return;
        }
        if Instant::now() >= deadline {
            panic!("no new page loaded within {WAIT:?}; {}", describe(c).await);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) async fn wait_for_url(
    c: &Client,
    what: &str,
    wanted: impl Fn(&url::Url) -> bool,
) -> url::Url {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(url) = c.current_url().await {
            if wanted(&url) {
                return url;
            }
        }
        if Instant::now() >= deadline {
            panic!("never reached {what}; {}", describe(c).await);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Where the browser is and what it shows, for failure messages.
pub(crate) async fn describe(c: &Client) -> String {
    let url = c
        .current_url()
        .await
        .map(|u| u.to_string())
        .unwrap_or_else(|e| format!("<no url: {e}>"));
    let body = match c.find(Locator::Css("body")).await {
        Ok(body) => body.text().await.unwrap_or_default(),
        Err(e) => format!("<no body: {e}>"),
    };
    let body: String = body.chars().take(2000).collect();
    format!("browser at {url} showing:\n{body}")
}

/// Resizes the window and saves a screenshot to the temp dir; a failed write only warns.
pub(crate) async fn screenshot(c: &Client, (width, height): (u32, u32), file: &str) {
    c.set_window_size(width, height)
        .await
        .unwrap_or_else(|e| panic!("resize to {width}x{height}: {e}"));
    let viewport = c
        .execute("return [window.innerWidth, window.innerHeight];", vec![])
        .await
        .unwrap_or_default();
    let png = c.screenshot().await.expect("screenshot");
    let path = std::env::temp_dir().join(file);
    match std::fs::write(&path, png) {
        Ok(()) => eprintln!("screenshot (viewport {viewport}): {}", path.display()),
        Err(e) => eprintln!("could not write screenshot {}: {e}", path.display()),
    }
}

/// Chromedriver's console log for the session (levels and messages), emptied by reading.
pub(crate) async fn browser_log(c: &Client) -> Vec<String> {
    let entries = match c.issue_cmd(BrowserLog).await {
        Ok(entries) => entries,
        Err(e) => return vec![format!("<browser log unavailable: {e}>")],
    };
    entries
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .map(|e| {
                    format!(
                        "{} {}",
                        e["level"].as_str().unwrap_or("?"),
                        e["message"].as_str().unwrap_or_default()
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Chromedriver's (non-W3C) endpoint for reading the browser console.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (reqwest::Method, Option<String>) {
        (
            reqwest::Method::POST,
            Some(json!({ "type": "browser" }).to_string()),
        )
    }
}
