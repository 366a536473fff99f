//! The board in a real headless Chromium: an editor drags a card and moves another with the
//! keyboard, while a second browser session on the same board sees both moves arrive without
//! reloading. Skipped without chromium and chromedriver, as in `browser.rs`.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use fantoccini::Client;
use postmagiq::db::schema::posts;
use postmagiq::model::{PostId, PostStatus, Role};
use serde_json::{json, Value};

use crate::browser::{
    browser_log, browser_tools_or_skip, click_and_load, connect, describe, fill, mark_page,
    screenshot, wait_for_new_page, wait_for_url, Chromedriver,
};
use crate::support::{location, TestApp, PASSWORD};
use crate::workspaces::add_member;

const WAIT: Duration = Duration::from_secs(10);
/// WebDriver key codes: Alt, ArrowRight, and Null (releases the held modifier).
const ALT_RIGHT: &str = "\u{E00A}\u{E014}\u{E000}";

async fn sign_in(c: &Client, app: &TestApp, email: &str) {
    c.goto(&app.url("/auth/login")).await.expect("open sign-in");
    fill(c, "input[name=email]", email).await;
    fill(c, "input[name=password]", PASSWORD).await;
    click_and_load(c, r#"form[action="/auth/login"] button[type=submit]"#).await;
    wait_for_url(c, "a workspace after sign-in", |u| {
        u.path().starts_with("/w/")
    })
    .await;
}

async fn js(c: &Client, script: &str, args: Vec<Value>) -> Value {
    c.execute(script, args)
        .await
        .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
}

/// The column a card is shown in, or "" when it is not on the page.
async fn column_of(c: &Client, id: &PostId) -> String {
    js(
        c,
        "const e = document.getElementById('card-' + arguments[0]); \
         return e ? e.closest('.board-col').dataset.status : '';",
        vec![json!(id.as_str())],
    )
    .await
    .as_str()
    .unwrap_or_default()
    .to_string()
}

async fn wait_for_column(c: &Client, id: &PostId, status: &str, what: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        if column_of(c, id).await == status {
            return;
        }
        if Instant::now() >= deadline {
            panic!(
                "{what}: the card is in {:?}, not {status:?}; {}",
                column_of(c, id).await,
                describe(c).await
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn count(c: &Client, status: &str) -> i64 {
    js(
        c,
        "return Number(document.querySelector(\
         '.board-col[data-status=\"' + arguments[0] + '\"] [data-count]').textContent);",
        vec![json!(status)],
    )
    .await
    .as_i64()
    .unwrap_or(-1)
}

/// Drags a card onto a column with the events a real HTML5 drag fires (WebDriver's pointer
/// actions do not start a native drag in Chromium). Returns whether the column accepted it.
async fn drag(c: &Client, id: &PostId, status: &str) -> bool {
    js(
        c,
        "const card = document.getElementById('card-' + arguments[0]); \
         const col = document.querySelector('.board-col[data-status=\"' + arguments[1] + '\"]'); \
         const data = new DataTransfer(); \
         const fire = (el, type) => el.dispatchEvent(new DragEvent(type, \
           {bubbles: true, cancelable: true, dataTransfer: data})); \
         fire(card, 'dragstart'); \
         fire(col, 'dragenter'); \
         const accepted = !fire(col, 'dragover'); \
         if (accepted) fire(col, 'drop'); \
         fire(card, 'dragend'); \
         return accepted;",
        vec![json!(id.as_str()), json!(status)],
    )
    .await
    .as_bool()
    .unwrap_or(false)
}

fn status_in_db(app: &TestApp, id: &PostId) -> PostStatus {
    posts::table
        .find(id)
        .select(posts::status)
        .first(&mut app.conn())
        .unwrap()
}

fn assert_no_console_errors(who: &str, logs: &[String]) {
    for line in logs {
        eprintln!("browser console ({who}): {line}");
    }
    let errors: Vec<&String> = logs
        .iter()
        .filter(|l| l.starts_with("SEVERE") && !l.contains("/favicon.ico"))
        .collect();
    assert!(
        errors.is_empty(),
        "{who}: browser console errors: {errors:#?}"
    );
}

#[tokio::test]
async fn cards_move_by_drag_and_keyboard_and_appear_live_in_another_session() {
    let Some(tools) = browser_tools_or_skip() else {
        return;
    };
    // Declared before the driver, so the profiles are removed only after the browsers are gone.
    let editor_profile = tempfile::tempdir().expect("browser profile dir");
    let owner_profile = tempfile::tempdir().expect("browser profile dir");
    let driver = Chromedriver::start(&tools.chromedriver).await;
    let app = TestApp::spawn().await;

    let owner = app.client();
    owner.signup("Olive Owner", "owner@example.com").await;
    let res = owner
        .post("/workspaces", &[("name", "Team Space"), ("slug", "team")])
        .await;
    assert_eq!(location(&res), "/w/team");
    let editor = app.client();
    editor.signup("Ed Editor", "editor@example.com").await;
    add_member(&app, "team", "editor@example.com", Role::Editor);
    for title in ["Drag me", "Keyboard me", "Stay put"] {
        let res = owner
            .post(
                "/w/team/posts",
                &[("title", title), ("body", ""), ("chapter_id", "")],
            )
            .await;
        assert_eq!(res.status(), reqwest::StatusCode::SEE_OTHER);
    }
    let id_of = |title: &str| -> PostId {
        posts::table
            .filter(posts::title.eq(title))
            .select(posts::id)
            .first(&mut app.conn())
            .unwrap()
    };
    let (dragged, keyed, stays) = (id_of("Drag me"), id_of("Keyboard me"), id_of("Stay put"));

    let ed = connect(&driver, &tools.chromium, editor_profile.path()).await;
    let ol = connect(&driver, &tools.chromium, owner_profile.path()).await;
    sign_in(&ed, &app, "editor@example.com").await;
    sign_in(&ol, &app, "owner@example.com").await;
    let board = app.url("/w/team/board");
    ed.goto(&board).await.expect("editor opens the board");
    ol.goto(&board).await.expect("owner opens the board");
    wait_for_column(&ed, &dragged, "idea", "the editor's board").await;
    wait_for_column(&ol, &dragged, "idea", "the owner's board").await;
    assert_eq!(count(&ed, "idea").await, 3);
    // Any reload of the owner's page would drop this mark.
    mark_page(&ol).await;

    // 1. Drag from Idea to Drafting.
    assert!(
        drag(&ed, &dragged, "drafting").await,
        "Drafting accepts an idea"
    );
    wait_for_column(&ed, &dragged, "drafting", "after the drop").await;
    assert_eq!(count(&ed, "idea").await, 2);
    assert_eq!(count(&ed, "drafting").await, 1);
    assert_eq!(status_in_db(&app, &dragged), PostStatus::Drafting);

    // 2. The owner's board follows without a reload.
    wait_for_column(&ol, &dragged, "drafting", "the owner sees the drag live").await;
    assert_eq!(count(&ol, "drafting").await, 1);

    // 3. It stays there after a reload.
    mark_page(&ed).await;
    ed.refresh().await.expect("reload");
    wait_for_new_page(&ed).await;
    wait_for_column(&ed, &dragged, "drafting", "after a reload").await;

    // 4. Alt+ArrowRight on a focused card moves it to the next column it may go to.
    let card_css = format!("#card-{keyed}");
    let card = ed
        .wait()
        .at_most(WAIT)
        .for_element(fantoccini::Locator::Css(&card_css))
        .await
        .expect("the keyboard card");
    js(
        &ed,
        "document.getElementById('card-' + arguments[0]).focus();",
        vec![json!(keyed.as_str())],
    )
    .await;
    card.send_keys(ALT_RIGHT)
        .await
        .expect("press Alt+ArrowRight");
    wait_for_column(&ed, &keyed, "drafting", "after Alt+ArrowRight").await;
    let focused = js(&ed, "return document.activeElement.id;", vec![]).await;
    assert_eq!(
        focused.as_str(),
        Some(format!("card-{keyed}").as_str()),
        "focus stays on the moved card"
    );
    let deadline = Instant::now() + WAIT;
    loop {
        let said = js(
            &ed,
            "return document.getElementById('board-live').textContent;",
            vec![],
        )
        .await;
        if said.as_str() == Some("Moved \u{201c}Keyboard me\u{201d} to Drafting.") {
            break;
        }
        assert!(Instant::now() < deadline, "nothing announced: {said}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status_in_db(&app, &keyed), PostStatus::Drafting);
    wait_for_column(
        &ol,
        &keyed,
        "drafting",
        "the owner sees the keyboard move live",
    )
    .await;

    // 5. A column the card may not go to refuses it, says why, and nothing moves.
    assert!(
        !drag(&ed, &stays, "published").await,
        "Published refuses an idea"
    );
    let alert = js(
        &ed,
        "return document.getElementById('board-alert').textContent;",
        vec![],
    )
    .await;
    assert_eq!(
        alert.as_str(),
        Some("\u{201c}Stay put\u{201d} cannot go from Idea to Published.")
    );
    assert_eq!(column_of(&ed, &stays).await, "idea");
    assert_eq!(status_in_db(&app, &stays), PostStatus::Idea);

    let untouched = js(&ol, "return window.__postmagiqOldPage === true;", vec![]).await;
    assert_eq!(
        untouched,
        Value::Bool(true),
        "the owner's page was never reloaded"
    );

    screenshot(&ol, (1280, 900), "postmagiq-board-desktop.png").await;
    screenshot(&ol, (390, 844), "postmagiq-board-mobile.png").await;

    assert_no_console_errors("editor", &browser_log(&ed).await);
    assert_no_console_errors("owner", &browser_log(&ol).await);
    ed.close().await.expect("close the editor's session");
    ol.close().await.expect("close the owner's session");
    drop(driver);
}
