//! The notification bell in a real headless Chromium: the badge follows the live count, the
//! dropdown loads when opened, and "Mark all read" clears the badge. Skipped like `browser.rs`
//! without the browser.

use std::time::{Duration, Instant};

use fantoccini::Client;
use postmagiq::model::Role;
use serde_json::{json, Value};

use crate::browser::{
    browser_log, browser_tools_or_skip, click_and_load, connect, describe, element, fill,
    screenshot, wait_for_url, Chromedriver,
};
use crate::finished::new_post;
use crate::support::{TestApp, PASSWORD};
use crate::workspaces::add_member;

const BADGE: &str = "const b = document.querySelector('[data-notif-badge]'); \
     const s = document.querySelector('[data-notif-bell]'); \
     return [b.hidden, b.textContent, s.getAttribute('aria-label')];";

async fn wait_for_badge(c: &Client, hidden: bool, text: &str, label: &str) {
    let wanted = json!([hidden, text, label]);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let got = c.execute(BADGE, vec![]).await.unwrap_or(Value::Null);
        if got == wanted {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "badge is {got}, wanted {wanted}; {}",
            describe(c).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_bell_counts_live_opens_the_latest_and_marks_all_read() {
    let Some(tools) = browser_tools_or_skip() else {
        return;
    };
    let profile = tempfile::tempdir().expect("browser profile dir");
    let driver = Chromedriver::start(&tools.chromedriver).await;
    let app = TestApp::spawn().await;
    let owner = app.client();
    let slug = owner.signup("Olive Owner", "olive@example.com").await;

    let c = connect(&driver, &tools.chromium, profile.path()).await;
    c.goto(&app.url("/auth/register"))
        .await
        .expect("open /auth/register");
    fill(&c, "input[name=name]", "Eddie Editor").await;
    fill(&c, "input[name=email]", "eddie@example.test").await;
    fill(&c, "input[name=password]", PASSWORD).await;
    fill(&c, "input[name=password_confirm]", PASSWORD).await;
    click_and_load(&c, r#"form[action="/auth/register"] button[type=submit]"#).await;
    wait_for_url(&c, "his workspace", |u| u.path().starts_with("/w/")).await;
    add_member(&app, &slug, "eddie@example.test", Role::Editor);

    c.goto(&app.url("/notifications"))
        .await
        .expect("open /notifications");
    wait_for_badge(&c, true, "", "Notifications, none unread").await;

    let post = new_post(&app, &owner, &slug, "Bell ringer", "Draft").await;
    let eddie: String = {
        use diesel::prelude::*;
        use postmagiq::db::schema::users;
        users::table
            .filter(users::email.eq("eddie@example.test"))
            .select(users::id)
            .first(&mut app.conn())
            .unwrap()
    };
    owner
        .post(
            &format!("/w/{slug}/posts/{post}/assign"),
            &[("assignee_id", eddie.as_str())],
        )
        .await;
    // No reload: the event stream brings the count.
    wait_for_badge(&c, false, "1", "Notifications, 1 unread").await;

    element(&c, "[data-notif-bell]")
        .await
        .click()
        .await
        .expect("open the bell");
    let title = element(&c, "[data-notif-body] .notif-title").await;
    assert!(title.text().await.unwrap().contains("Bell ringer"));
    screenshot(&c, (1280, 800), "postmagiq-bell-desktop.png").await;
    screenshot(&c, (360, 800), "postmagiq-bell-mobile.png").await;
    c.set_window_size(1280, 800).await.expect("resize back");

    element(
        &c,
        r#"[data-notif-body] form[action="/notifications/read-all"] button"#,
    )
    .await
    .click()
    .await
    .expect("mark all read");
    wait_for_badge(&c, true, "", "Notifications, none unread").await;

    let log = browser_log(&c).await;
    assert!(
        !log.iter().any(|l| l.contains("Content Security Policy")),
        "CSP violations: {log:?}"
    );
    c.close().await.expect("close the browser");
}
