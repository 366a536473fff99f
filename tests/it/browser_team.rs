//! The invitation journey in two real browser sessions: the owner invites an editor from the
//! team page; the invitee opens the emailed link, creates an account with the pre-filled address,
//! accepts, and lands in the workspace.

use crate::browser::{
    assert_h1_contains, browser_log, browser_tools_or_skip, click_and_load, connect, element, fill,
    screenshot, text, wait_for_url, Chromedriver,
};
use crate::support::{location, TestApp, PASSWORD};

#[tokio::test]
async fn owner_invites_an_editor_who_signs_up_from_the_link_and_joins() {
    let Some(tools) = browser_tools_or_skip() else {
        return;
    };
    let owner_profile = tempfile::tempdir().expect("owner profile dir");
    let guest_profile = tempfile::tempdir().expect("guest profile dir");
    let driver = Chromedriver::start(&tools.chromedriver).await;
    let app = TestApp::spawn().await;

    let setup = app.client();
    setup.signup("Olive Owner", "owner@example.test").await;
    let res = setup
        .post("/workspaces", &[("name", "Team Space"), ("slug", "team")])
        .await;
    assert_eq!(location(&res), "/w/team");

    // The owner, in the first browser.
    let owner = connect(&driver, &tools.chromium, owner_profile.path()).await;
    owner
        .goto(&app.url("/auth/login"))
        .await
        .expect("open sign-in");
    fill(&owner, "input[name=email]", "owner@example.test").await;
    fill(&owner, "input[name=password]", PASSWORD).await;
    click_and_load(&owner, r#"form[action="/auth/login"] button[type=submit]"#).await;
    wait_for_url(&owner, "a workspace", |u| u.path().starts_with("/w/")).await;
    owner
        .goto(&app.url("/w/team/team"))
        .await
        .expect("open the team page");
    assert_h1_contains(&owner, "Team").await;
    fill(&owner, "#invite-email", "erin@example.test").await;
    click_and_load(
        &owner,
        r#"form[action="/w/team/team/invite"] button[type=submit]"#,
    )
    .await;
    let flash = text(&owner, ".flash").await;
    assert!(flash.contains("Invitation sent"), "flash: {flash}");

    let mail = app.wait_for_email("erin@example.test", "/invite/").await;
    let start = mail.find("/invite/").expect("link") + "/invite/".len();
    let token: String = mail[start..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();

    // The invitee, in a second browser with its own cookies.
    let guest = connect(&driver, &tools.chromium, guest_profile.path()).await;
    guest
        .goto(&app.url(&format!("/invite/{token}")))
        .await
        .expect("open the invitation");
    assert_h1_contains(&guest, "Join Team Space").await;
    screenshot(&guest, (390, 844), "postmagiq-invite-mobile.png").await;
    guest.set_window_size(1280, 900).await.expect("resize back");
    click_and_load(&guest, ".invite-actions a.btn-primary").await;
    wait_for_url(&guest, "/auth/register", |u| u.path() == "/auth/register").await;
    let prefilled = element(&guest, "input[name=email]")
        .await
        .prop("value")
        .await
        .expect("email value");
    assert_eq!(prefilled.as_deref(), Some("erin@example.test"));
    fill(&guest, "input[name=name]", "Erin Editor").await;
    fill(&guest, "input[name=password]", PASSWORD).await;
    fill(&guest, "input[name=password_confirm]", PASSWORD).await;
    click_and_load(
        &guest,
        r#"form[action="/auth/register"] button[type=submit]"#,
    )
    .await;
    wait_for_url(&guest, "back to the invitation", |u| {
        u.path().starts_with("/invite/")
    })
    .await;
    click_and_load(
        &guest,
        &format!(r#"form[action="/invite/{token}/accept"] button[type=submit]"#),
    )
    .await;
    wait_for_url(&guest, "/w/team", |u| u.path() == "/w/team").await;
    let flash = text(&guest, ".flash").await;
    assert!(flash.contains("Welcome to"), "flash: {flash}");

    // The owner sees the new member.
    owner
        .goto(&app.url("/w/team/team"))
        .await
        .expect("reload the team page");
    let list = text(&owner, ".team-list").await;
    assert!(list.contains("Erin Editor"), "members: {list}");
    screenshot(&owner, (1280, 1000), "postmagiq-team-desktop.png").await;
    screenshot(&owner, (360, 900), "postmagiq-team-mobile.png").await;

    for c in [&owner, &guest] {
        let errors: Vec<String> = browser_log(c)
            .await
            .into_iter()
            .filter(|l| l.starts_with("SEVERE") && !l.contains("/favicon.ico"))
            .collect();
        assert!(errors.is_empty(), "browser console errors: {errors:#?}");
    }
    owner.close().await.expect("close owner browser");
    guest.close().await.expect("close guest browser");
    drop(driver);
}
