//! The strategy area in a real headless Chromium: sign up, answer the builder's questions,
//! create the proposed strategy, open a chapter and rename a post in place (Enter saves,
//! Escape cancels). Skips like `browser.rs` when no browser is installed.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use fantoccini::Client;
use postmagiq::db::schema::posts;
use serde_json::{json, Value};

use crate::browser::{
    browser_log, browser_tools_or_skip, click_and_load, connect, current_path, describe, element,
    fill, screenshot, text, wait_for_url, Chromedriver,
};
use crate::support::{TestApp, PASSWORD};

const WAIT: Duration = Duration::from_secs(10);
const ENTER: &str = "\u{e007}";
const ESCAPE: &str = "\u{e00c}";

/// Polls a script until it returns true.
async fn wait_until(c: &Client, what: &str, script: &str, args: Vec<Value>) {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(Value::Bool(true)) = c.execute(script, args.clone()).await {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "never saw {what}; {}",
            describe(c).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn answer_and_next(c: &Client, value: &str, expect_next: &str) {
    let input = element(c, "#sb-answer").await;
    input.clear().await.expect("clear the answer");
    input.send_keys(value).await.expect("type the answer");
    click_and_load(c, "button[name=go][value=next]").await;
    let progress = text(c, "#sb-count").await;
    assert_eq!(progress, expect_next, "{}", describe(c).await);
}

#[tokio::test]
async fn build_a_strategy_then_rename_a_post_in_place() {
    let Some(tools) = browser_tools_or_skip() else {
        return;
    };
    let profile = tempfile::tempdir().expect("browser profile dir");
    let driver = Chromedriver::start(&tools.chromedriver).await;
    let app = TestApp::spawn().await;
    let c = connect(&driver, &tools.chromium, profile.path()).await;

    c.goto(&app.url("/auth/register"))
        .await
        .expect("open /auth/register");
    fill(&c, "input[name=name]", "Sam Strategist").await;
    fill(&c, "input[name=email]", "sam@example.test").await;
    fill(&c, "input[name=password]", PASSWORD).await;
    fill(&c, "input[name=password_confirm]", PASSWORD).await;
    click_and_load(&c, r#"form[action="/auth/register"] button[type=submit]"#).await;
    let home = wait_for_url(&c, "the personal workspace", |u| {
        u.path().starts_with("/w/")
    })
    .await;
    let base = home.path().to_string();

    // The navigation leads to the empty strategy page, which offers the builder.
    click_and_load(&c, &format!(".sidebar a[href=\"{base}/strategy\"]")).await;
    assert!(text(&c, ".empty-state").await.contains("No strategy yet"));
    click_and_load(&c, ".sp-empty a.btn-primary").await;
    assert_eq!(text(&c, "#sb-count").await, "Question 1 of 6");

    // An empty answer keeps us on the question with a message.
    click_and_load(&c, "button[name=go][value=next]").await;
    assert_eq!(text(&c, "#sb-count").await, "Question 1 of 6");
    assert!(text(&c, ".field-error")
        .await
        .contains("Tell us what you do"));

    answer_and_next(
        &c,
        "product designer at a fintech start-up",
        "Question 2 of 6",
    )
    .await;
    answer_and_next(&c, "making onboarding painless", "Question 3 of 6").await;
    answer_and_next(&c, "founders of early-stage start-ups", "Question 4 of 6").await;
    element(&c, "input[name=style][value=how-to]")
        .await
        .click()
        .await
        .expect("choose how-to");
    click_and_load(&c, "button[name=go][value=next]").await;
    assert_eq!(text(&c, "#sb-count").await, "Question 5 of 6");
    answer_and_next(&c, "3", "Question 6 of 6").await;
    screenshot(&c, (1280, 900), "postmagiq-strategy-builder-desktop.png").await;
    screenshot(&c, (360, 780), "postmagiq-strategy-builder-mobile.png").await;
    c.set_window_size(1280, 900).await.expect("resize back");
    click_and_load(&c, "button[name=go][value=next]").await;

    // The proposal says how it was made and uses our words.
    let note = text(&c, ".sb-source").await;
    assert!(
        note.contains("Built-in plan \u{2014} no AI was used; edit anything"),
        "{note}"
    );
    screenshot(&c, (1280, 900), "postmagiq-strategy-proposal-desktop.png").await;
    let title = element(&c, "#ch1_title").await;
    title.clear().await.expect("clear chapter 1 title");
    title
        .send_keys("First principles")
        .await
        .expect("retitle chapter 1");
    click_and_load(&c, ".sb-plan button.btn-primary").await;
    wait_for_url(&c, "the new strategy", |u| {
        u.path().ends_with("/strategy") && u.query().is_some_and(|q| q.starts_with("goal="))
    })
    .await;
    let flash = text(&c, ".flash").await;
    assert!(
        flash.contains("with 5 chapters and 15 post ideas"),
        "{flash}"
    );
    assert!(text(&c, "#sp-name")
        .await
        .contains("Making onboarding painless"));
    assert!(text(&c, ".sp-chapters").await.contains("First principles"));

    // Open chapter 2 and rename its first post with Enter.
    let chapter = "details.sp-chapter:nth-of-type(2)";
    element(&c, &format!("{chapter} > summary"))
        .await
        .click()
        .await
        .expect("open chapter 2");
    wait_until(
        &c,
        "chapter 2 open",
        "return document.querySelector(arguments[0]).open;",
        vec![json!(chapter)],
    )
    .await;
    let first_post = format!("{chapter} .sp-post:first-child");
    let old_title = text(&c, &format!("{first_post} .sp-title-link")).await;
    element(&c, &format!("{first_post} .sp-title-edit"))
        .await
        .click()
        .await
        .expect("edit the title");
    let input = element(
        &c,
        &format!("{first_post} .sp-title-form input[name=title]"),
    )
    .await;
    wait_until(
        &c,
        "focus in the title input",
        "return document.activeElement === document.querySelector(arguments[0]);",
        vec![json!(format!(
            "{first_post} .sp-title-form input[name=title]"
        ))],
    )
    .await;
    c.execute(
        "document.querySelector(arguments[0]).scrollIntoView({block: 'center'});",
        vec![json!(chapter)],
    )
    .await
    .expect("scroll to the chapter");
    screenshot(&c, (1280, 900), "postmagiq-strategy-title-edit.png").await;
    input.clear().await.expect("clear the title");
    input
        .send_keys(&format!("Onboarding in five steps{ENTER}"))
        .await
        .expect("type and press Enter");
    wait_until(
        &c,
        "the saved title",
        "const link = document.querySelector(arguments[0]); \
         return !!link && link.textContent.trim() === 'Onboarding in five steps' \
           && !document.querySelector('.sp-title-form');",
        vec![json!(format!("{first_post} .sp-title-link"))],
    )
    .await;
    let stored: Vec<String> = posts::table
        .filter(posts::title.eq("Onboarding in five steps"))
        .select(posts::title)
        .load(&mut app.conn())
        .expect("query titles");
    assert_eq!(stored.len(), 1, "saved to the database (was {old_title:?})");

    // Edit again, then Escape: nothing is saved and the title comes back.
    element(&c, &format!("{first_post} .sp-title-edit"))
        .await
        .click()
        .await
        .expect("edit the title again");
    let input = element(
        &c,
        &format!("{first_post} .sp-title-form input[name=title]"),
    )
    .await;
    input.clear().await.expect("clear the title");
    input
        .send_keys("Typed but abandoned")
        .await
        .expect("type a title");
    input.send_keys(ESCAPE).await.expect("press Escape");
    wait_until(
        &c,
        "the title restored",
        "const link = document.querySelector(arguments[0]); \
         return !!link && link.textContent.trim() === 'Onboarding in five steps' \
           && !document.querySelector('.sp-title-form');",
        vec![json!(format!("{first_post} .sp-title-link"))],
    )
    .await;
    let abandoned: i64 = posts::table
        .filter(posts::title.eq("Typed but abandoned"))
        .count()
        .get_result(&mut app.conn())
        .expect("count");
    assert_eq!(abandoned, 0, "Escape saves nothing");

    // A reload shows the saved title.
    let here = c.current_url().await.expect("url");
    c.goto(here.as_str()).await.expect("reload");
    // Closed chapters render no text, so read the markup's text instead.
    wait_until(
        &c,
        "the saved title after a reload",
        "return document.querySelector('.sp-chapters').textContent.includes(arguments[0]);",
        vec![json!("Onboarding in five steps")],
    )
    .await;
    assert!(current_path(&c).await.ends_with("/strategy"));
    screenshot(&c, (1280, 900), "postmagiq-strategy-desktop.png").await;
    screenshot(&c, (360, 780), "postmagiq-strategy-mobile.png").await;
    c.execute(
        "document.querySelector('details.sp-chapter').scrollIntoView();",
        vec![],
    )
    .await
    .expect("scroll to the chapters");
    screenshot(&c, (360, 780), "postmagiq-strategy-chapters-mobile.png").await;

    let logs = browser_log(&c).await;
    for line in &logs {
        eprintln!("browser console: {line}");
    }
    // The empty answer above was refused with 422 on purpose; anything else is a fault.
    let errors: Vec<&String> = logs
        .iter()
        .filter(|l| l.starts_with("SEVERE") && !l.contains("/favicon.ico"))
        .filter(|l| !(l.contains("/strategy/builder ") && l.contains("status of 422")))
        .collect();
    assert!(errors.is_empty(), "browser console errors: {errors:#?}");

    c.close().await.expect("close the browser session");
    drop(driver);
}
