//! The post page in a real headless Chromium: edit the text, watch autosave store a version,
//! compare versions, restore the first one. Skipped like `browser.rs` without the browser.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use fantoccini::Client;
use postmagiq::db::schema::posts;
use serde_json::json;

use crate::browser::{
    browser_log, browser_tools_or_skip, click_and_load, connect, describe, element, fill,
    screenshot, text, wait_for_url, Chromedriver,
};
use crate::support::{TestApp, PASSWORD};

/// Autosave waits 1.5 s after the last keystroke; allow for a slow machine on top.
const SAVE_WAIT: Duration = Duration::from_secs(15);

const ORIGINAL: &str = "Our first customer found us through a typo.";
const EDITED: &str = "Our first paying customer found us through a lucky misspelling.";

#[tokio::test]
async fn edit_autosave_compare_and_restore_in_the_browser() {
    let Some(tools) = browser_tools_or_skip() else {
        return;
    };
    let profile = tempfile::tempdir().expect("browser profile dir");
    let driver = Chromedriver::start(&tools.chromedriver).await;
    let app = TestApp::spawn().await;
    let c = connect(&driver, &tools.chromium, profile.path()).await;

    // Sign up.
    c.goto(&app.url("/auth/register"))
        .await
        .expect("open /auth/register");
    fill(&c, "input[name=name]", "Grace Hopper").await;
    fill(&c, "input[name=email]", "grace@example.test").await;
    fill(&c, "input[name=password]", PASSWORD).await;
    fill(&c, "input[name=password_confirm]", PASSWORD).await;
    click_and_load(&c, r#"form[action="/auth/register"] button[type=submit]"#).await;
    let home = wait_for_url(&c, "the personal workspace", |u| {
        u.path().starts_with("/w/")
    })
    .await;
    let slug = home.path().trim_start_matches("/w/").to_string();

    // A post idea through the create endpoint, posted by the page with the session's token.
    let status = c
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             const token = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token']; \
             const body = new URLSearchParams({title: arguments[1], body: arguments[2], csrf_token: token}); \
             fetch(arguments[0], {method: 'POST', body, redirect: 'manual'}) \
               .then((r) => done(r.type === 'opaqueredirect' ? 303 : r.status), (e) => done(String(e)));",
            vec![
                json!(format!("/w/{slug}/posts")),
                json!("A lucky typo"),
                json!(ORIGINAL),
            ],
        )
        .await
        .expect("create the post");
    assert_eq!(status, json!(303), "create answered {status}");
    let id: String = posts::table
        .filter(posts::title.eq("A lucky typo"))
        .select(posts::id)
        .first(&mut app.conn())
        .expect("the post in the database");

    // The post page; the editor holds the text.
    let page = app.url(&format!("/w/{slug}/posts/{id}"));
    c.goto(&page).await.expect("open the post page");
    assert_eq!(editor_text(&c).await, ORIGINAL);
    assert_eq!(text(&c, "#post-version").await, "1");

    // Edit: autosave stores version 2 and says so; the header and version list follow.
    let body = element(&c, "#post-body").await;
    body.clear().await.expect("clear the editor");
    body.send_keys(EDITED).await.expect("type into the editor");
    let saved = wait_for_text(&c, "#autosave-result", "Saved version 2").await;
    assert!(saved.contains("UTC"), "indicator reads {saved:?}");
    assert_eq!(text(&c, "#post-version").await, "2");
    element(&c, r#"#post-versions form[action$="/versions/1/restore"]"#).await;
    let (_, saved_body, version) = stored(&app, &id);
    assert_eq!((saved_body.as_str(), version), (EDITED, 2));

    // Compare version 1 with version 2 under the form.
    element(&c, ".post-compare button[type=submit]")
        .await
        .click()
        .await
        .expect("compare");
    let added = text(&c, "#diff-result .diff-body ins.diff-ins").await;
    assert!(added.contains("paying"), "added words: {added:?}");
    let removed = text(&c, "#diff-result .diff-body del.diff-del").await;
    assert!(removed.contains("typo."), "removed words: {removed:?}");
    // For a human to look at: the page's top at desktop and phone widths, and the diff.
    scroll_to(&c, "body").await;
    screenshot(&c, (1280, 900), "postmagiq-post-desktop.png").await;
    scroll_to(&c, "#diff-result").await;
    screenshot(&c, (1280, 900), "postmagiq-post-diff-desktop.png").await;
    scroll_to(&c, "body").await;
    screenshot(&c, (390, 844), "postmagiq-post-mobile.png").await;
    scroll_to(&c, "#diff-result").await;
    screenshot(&c, (390, 844), "postmagiq-post-diff-mobile.png").await;
    c.set_window_size(1280, 900)
        .await
        .expect("resize back to desktop");

    // Restore version 1 (accepting the confirmation): its text is back in the editor.
    c.execute("window.confirm = () => true;", vec![])
        .await
        .expect("accept confirmations");
    click_and_load(
        &c,
        r#"#post-versions form[action$="/versions/1/restore"] button"#,
    )
    .await;
    let flash = text(&c, ".flash").await;
    assert!(
        flash.contains("Restored version 1 as version 3."),
        "flash reads {flash:?}"
    );
    assert_eq!(editor_text(&c).await, ORIGINAL);
    assert_eq!(text(&c, "#post-version").await, "3");
    assert_eq!(stored(&app, &id).2, 3);

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

fn stored(app: &TestApp, id: &str) -> (String, String, i32) {
    posts::table
        .filter(posts::id.eq(id))
        .select((posts::title, posts::body, posts::current_version))
        .first(&mut app.conn())
        .expect("the post")
}

async fn editor_text(c: &Client) -> String {
    element(c, "#post-body")
        .await
        .prop("value")
        .await
        .expect("editor value")
        .unwrap_or_default()
}

/// Waits until the element's text contains `wanted`, and returns the text.
async fn wait_for_text(c: &Client, css: &str, wanted: &str) -> String {
    let deadline = Instant::now() + SAVE_WAIT;
    loop {
        let now = element(c, css).await.text().await.unwrap_or_default();
        if now.contains(wanted) {
            return now;
        }
        assert!(
            Instant::now() < deadline,
            "{css} never read {wanted:?} (last {now:?}); {}",
            describe(c).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn scroll_to(c: &Client, css: &str) {
    c.execute(
        "document.querySelector(arguments[0]).scrollIntoView({block: 'start'});",
        vec![json!(css)],
    )
    .await
    .unwrap_or_else(|e| panic!("scroll to {css}: {e}"));
}
