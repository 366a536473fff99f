//! Two people, two browsers, the whole review loop: the owner invites an editor, the editor
//! accepts, writes a post and submits it; the owner's bell lights up without a reload; the owner
//! approves it through both default stages; the editor's board shows the card approved.

use std::time::{Duration, Instant};

use fantoccini::Client;
use serde_json::json;

use crate::browser::{
    assert_h1_contains, browser_log, browser_tools_or_skip, click_and_load, connect, describe,
    fill, text, wait_for_url, Chromedriver,
};
use crate::support::{location, TestApp, PASSWORD};

/// The unread count the bell shows, or 0 while its badge is hidden.
async fn bell_count(c: &Client) -> u64 {
    let v = c
        .execute(
            "const b = document.querySelector('[data-notif-badge]'); \
             return (!b || b.hidden) ? '0' : b.textContent.trim();",
            vec![],
        )
        .await
        .expect("read the bell");
    v.as_str()
        .and_then(|s| s.trim_end_matches('+').parse().ok())
        .unwrap_or(0)
}

async fn sign_in(c: &Client, app: &TestApp, email: &str) {
    c.goto(&app.url("/auth/login")).await.expect("open sign-in");
    fill(c, "input[name=email]", email).await;
    fill(c, "input[name=password]", PASSWORD).await;
    click_and_load(c, r#"form[action="/auth/login"] button[type=submit]"#).await;
    wait_for_url(c, "a workspace", |u| u.path().starts_with("/w/")).await;
}

/// Opens the first request waiting in the owner's queue and approves it.
async fn approve_next(owner: &Client, app: &TestApp, stage: &str) {
    owner
        .goto(&app.url("/w/team/approvals"))
        .await
        .expect("open the queue");
    let queue = text(owner, "main").await;
    assert!(
        queue.contains(stage),
        "queue shows the {stage} stage: {queue}"
    );
    click_and_load(owner, ".approvals-item-title").await;
    click_and_load(owner, r#"button[name=decision][value=approve]"#).await;
}

#[tokio::test]
async fn an_editor_submits_and_the_owner_approves_through_both_stages() {
    let Some(tools) = browser_tools_or_skip() else {
        return;
    };
    let owner_profile = tempfile::tempdir().expect("owner profile dir");
    let editor_profile = tempfile::tempdir().expect("editor profile dir");
    let driver = Chromedriver::start(&tools.chromedriver).await;
    let app = TestApp::spawn().await;
    let setup = app.client();
    setup.signup("Olive Owner", "owner@example.test").await;
    let res = setup
        .post("/workspaces", &[("name", "Team Space"), ("slug", "team")])
        .await;
    assert_eq!(location(&res), "/w/team");

    // The owner invites the editor from the team page.
    let owner = connect(&driver, &tools.chromium, owner_profile.path()).await;
    sign_in(&owner, &app, "owner@example.test").await;
    owner
        .goto(&app.url("/w/team/team"))
        .await
        .expect("team page");
    fill(&owner, "#invite-email", "erin@example.test").await;
    click_and_load(
        &owner,
        r#"form[action="/w/team/team/invite"] button[type=submit]"#,
    )
    .await;
    let mail = app.wait_for_email("erin@example.test", "/invite/").await;
    let start = mail.find("/invite/").expect("link") + "/invite/".len();
    let token: String = mail[start..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();

    // The editor signs up from the link, accepts, and writes a post.
    let editor = connect(&driver, &tools.chromium, editor_profile.path()).await;
    editor
        .goto(&app.url(&format!(
            "/auth/register?email=erin@example.test&next=/invite/{token}"
        )))
        .await
        .expect("open sign-up");
    fill(&editor, "input[name=name]", "Erin Editor").await;
    fill(&editor, "input[name=password]", PASSWORD).await;
    fill(&editor, "input[name=password_confirm]", PASSWORD).await;
    click_and_load(
        &editor,
        r#"form[action="/auth/register"] button[type=submit]"#,
    )
    .await;
    wait_for_url(&editor, "the invitation", |u| {
        u.path().starts_with("/invite/")
    })
    .await;
    click_and_load(
        &editor,
        &format!(r#"form[action="/invite/{token}/accept"] button[type=submit]"#),
    )
    .await;
    wait_for_url(&editor, "/w/team", |u| u.path() == "/w/team").await;
    editor.goto(&app.url("/w/team/board")).await.expect("board");
    fill(
        &editor,
        r#"form[action="/w/team/posts"] input[name=title]"#,
        "What our first customer taught us",
    )
    .await;
    click_and_load(
        &editor,
        r#"form[action="/w/team/posts"] button[type=submit]"#,
    )
    .await;
    click_and_load(&editor, r#"a[href^="/w/team/posts/"]"#).await;
    assert_h1_contains(&editor, "What our first customer taught us").await;

    // The owner waits on the dashboard; the bell must light up without a reload.
    owner.goto(&app.url("/w/team")).await.expect("dashboard");
    // One unread already: the editor accepted the invitation.
    let before = bell_count(&owner).await;
    assert_eq!(before, 1, "the accepted invitation is unread");
    let page_marker = json!("still-the-same-page");
    owner
        .execute("window.__marker = arguments[0];", vec![page_marker.clone()])
        .await
        .expect("mark the page");
    click_and_load(&editor, "form.approvals-submit button[type=submit]").await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while bell_count(&owner).await <= before {
        assert!(
            Instant::now() < deadline,
            "the bell never lit up; {}",
            describe(&owner).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let same = owner
        .execute("return window.__marker;", vec![])
        .await
        .expect("marker");
    assert_eq!(
        same, page_marker,
        "the badge changed live, without a reload"
    );

    // Two stages, two approvals.
    approve_next(&owner, &app, "Draft review").await;
    approve_next(&owner, &app, "Final approval").await;

    // The editor's board shows the card approved.
    editor.goto(&app.url("/w/team/board")).await.expect("board");
    let approved = text(&editor, r#"section.board-col[data-status="approved"]"#).await;
    assert!(
        approved.contains("What our first customer taught us"),
        "approved column: {approved}"
    );

    for c in [&owner, &editor] {
        let errors: Vec<String> = browser_log(c)
            .await
            .into_iter()
            .filter(|l| l.starts_with("SEVERE") && !l.contains("/favicon.ico"))
            .collect();
        assert!(errors.is_empty(), "browser console errors: {errors:#?}");
    }
    owner.close().await.expect("close owner browser");
    editor.close().await.expect("close editor browser");
    drop(driver);
}
