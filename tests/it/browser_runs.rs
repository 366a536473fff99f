//! A workflow run in a real headless Chromium: sign up, open New run, type a story (the counter
//! follows), pick the demo workflow, start, watch the graph's active state move, approve in the
//! waiting panel and see the final post arrive on the same page, without a reload. Skipped
//! without chromium and chromedriver, as in `browser.rs`.

use std::time::{Duration, Instant};

use fantoccini::Client;
use serde_json::{json, Value};

use crate::browser::{
    browser_log, browser_tools_or_skip, click_and_load, connect, describe, element, fill,
    mark_page, screenshot, wait_for_url, Chromedriver,
};
use crate::support::{TestApp, PASSWORD};

/// The demo run is quick, but a loaded machine may be slow.
const RUN_WAIT: Duration = Duration::from_secs(45);
const STORY: &str = "Our release train stopped for a week in March. A flaky test failed one run \
    in five. I paired with Priya to record every failure for three days. The cause was a shared \
    temp directory. We gave each job its own directory and the failures stopped.";

async fn js(c: &Client, script: &str, args: Vec<Value>) -> Value {
    c.execute(script, args)
        .await
        .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
}

/// Waits until `script` returns true.
async fn wait_until(c: &Client, what: &str, script: &str) {
    let deadline = Instant::now() + RUN_WAIT;
    loop {
        if js(c, script, vec![]).await == Value::Bool(true) {
            return;
        }
        if Instant::now() >= deadline {
            panic!("{what} did not happen; {}", describe(c).await);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_demo_run_started_watched_and_approved_in_the_browser() {
    let Some(tools) = browser_tools_or_skip() else {
        return;
    };
    let profile = tempfile::tempdir().expect("browser profile dir");
    let driver = Chromedriver::start(&tools.chromedriver).await;
    // Each demo call takes a moment, as a model would, so the graph can be seen moving.
    let app = TestApp::spawn_with(|c| {
        c.providers.demo_delay = std::time::Duration::from_millis(300);
    })
    .await;
    let c = connect(&driver, &tools.chromium, profile.path()).await;

    c.goto(&app.url("/auth/register"))
        .await
        .expect("open sign-up");
    fill(&c, "input[name=name]", "Rita Runner").await;
    fill(&c, "input[name=email]", "rita@example.test").await;
    fill(&c, "input[name=password]", PASSWORD).await;
    fill(&c, "input[name=password_confirm]", PASSWORD).await;
    click_and_load(&c, r#"form[action="/auth/register"] button[type=submit]"#).await;
    let home = wait_for_url(&c, "the workspace", |u| u.path().starts_with("/w/")).await;
    let slug = home.path().trim_start_matches("/w/").to_string();

    // Runs, from the navigation, then the empty history's way in.
    click_and_load(&c, &format!(r#"nav.sidebar a[href="/w/{slug}/runs"]"#)).await;
    click_and_load(&c, &format!(r#"a[href="/w/{slug}/runs/new"]"#)).await;

    // The counter follows the typing.
    fill(&c, "#run-story", STORY).await;
    let shown = js(
        &c,
        "return document.querySelector('[data-story-count]').textContent;",
        vec![],
    )
    .await;
    assert_eq!(
        shown,
        json!(STORY.chars().count().to_string()),
        "the counter shows the story's length"
    );
    element(&c, "#run-config option[value=demo]")
        .await
        .click()
        .await
        .expect("pick the demo workflow");
    click_and_load(&c, r#"#run-new-form button[type=submit]"#).await;
    let run_url = wait_for_url(&c, "the run page", |u| {
        u.path().starts_with(&format!("/w/{slug}/runs/")) && !u.path().ends_with("/new")
    })
    .await;

    // The graph follows the run live, without a reload: the active state changes several
    // times before the run waits for approval.
    let mut seen: Vec<String> = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let state = js(
            &c,
            "const a = document.querySelector('.run-node.active'); \
             return a ? a.dataset.state : '';",
            vec![],
        )
        .await;
        let state = state.as_str().unwrap_or_default().to_string();
        if !state.is_empty() && seen.last() != Some(&state) {
            seen.push(state.clone());
        }
        if state == "human-approval" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the graph never reached the approval; it showed {seen:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        seen.len() >= 4,
        "the active state moved live through the workflow: {seen:?}"
    );
    wait_until(
        &c,
        "the approval panel",
        "return !!document.querySelector('#run-pending button[name=decision][value=approved]');",
    )
    .await;
    let active = js(
        &c,
        "return document.querySelector('.run-node.active').dataset.state;",
        vec![],
    )
    .await;
    assert_eq!(active, json!("human-approval"));
    screenshot(&c, (1280, 900), "postmagiq-run-waiting-desktop.png").await;
    screenshot(&c, (390, 844), "postmagiq-run-waiting-mobile.png").await;
    c.set_window_size(1280, 900).await.expect("resize back");

    // Approve: htmx posts the answer; the stream and the panel refreshes do the rest.
    mark_page(&c).await;
    // Clicked from inside the page: a live panel refresh may replace the button between a
    // WebDriver lookup and its click.
    wait_until(
        &c,
        "clicking Approve",
        "const b = document.querySelector('#run-pending button[name=decision][value=approved]'); \
         if (!b) return false; b.click(); return true;",
    )
    .await;
    wait_until(
        &c,
        "the final post",
        "const t = document.getElementById('run-final-text'); \
         return !!t && t.textContent.trim().length > 0;",
    )
    .await;
    wait_until(
        &c,
        "the graph's move to the complete state",
        "const a = document.querySelector('.run-node.active'); \
         return !!a && a.dataset.state === 'complete';",
    )
    .await;
    wait_until(
        &c,
        "the finished line in the event log",
        "return !!document.querySelector('#run-log li[data-kind=run_finished]');",
    )
    .await;
    let same_page = js(&c, "return window.__postmagiqOldPage === true;", vec![]).await;
    assert_eq!(same_page, json!(true), "it all arrived without a reload");
    let status = js(
        &c,
        "return document.getElementById('run-status').textContent.trim();",
        vec![],
    )
    .await;
    assert_eq!(status, json!("Complete"));
    assert_eq!(
        c.current_url().await.expect("url").path(),
        run_url.path(),
        "still on the run page"
    );
    screenshot(&c, (1280, 900), "postmagiq-run-complete-desktop.png").await;
    js(
        &c,
        "document.getElementById('run-graph').scrollIntoView();",
        vec![],
    )
    .await;
    screenshot(&c, (1280, 900), "postmagiq-run-graph-desktop.png").await;

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
