//! The team: invitations through the emailed link, roles and their limits, removal, leaving and
//! ownership transfer.

use diesel::prelude::*;
use postmagiq::db::schema::{
    audit_logs, notifications, sessions, users, workspace_events, workspace_memberships as m,
    workspaces as w,
};
use postmagiq::model::{now, InviteStatus, Role};
use reqwest::StatusCode;

use crate::support::{location, Client, TestApp, PASSWORD};
use crate::workspaces::add_member;

/// The token of the invitation link in an email.
fn invite_token_in(email: &str) -> String {
    let start = email.find("/invite/").expect("invitation link in email") + "/invite/".len();
    email[start..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect()
}

/// An owner with the workspace `team`, plus an admin, an editor and a viewer.
async fn team(app: &TestApp) -> (Client, Client, Client, Client) {
    let owner = app.client();
    owner.signup("Olive Owner", "owner@example.com").await;
    let res = owner
        .post("/workspaces", &[("name", "Team Space"), ("slug", "team")])
        .await;
    assert_eq!(location(&res), "/w/team");
    let mut members = Vec::new();
    for (name, email, role) in [
        ("Ada Admin", "admin@example.com", Role::Admin),
        ("Ed Editor", "editor@example.com", Role::Editor),
        ("Vi Viewer", "viewer@example.com", Role::Viewer),
    ] {
        let c = app.client();
        c.signup(name, email).await;
        add_member(app, "team", email, role);
        members.push(c);
    }
    let viewer = members.pop().unwrap();
    let editor = members.pop().unwrap();
    let admin = members.pop().unwrap();
    (owner, admin, editor, viewer)
}

async fn invite(c: &Client, email: &str, role: &str) -> reqwest::Response {
    c.post("/w/team/team/invite", &[("email", email), ("role", role)])
        .await
}

fn membership_id(app: &TestApp, email: &str) -> String {
    m::table
        .inner_join(w::table)
        .filter(w::slug.eq("team"))
        .filter(m::email.eq(email))
        .select(m::id)
        .first(&mut app.conn())
        .unwrap()
}

fn status_of(app: &TestApp, email: &str) -> String {
    m::table
        .inner_join(w::table)
        .filter(w::slug.eq("team"))
        .filter(m::email.eq(email))
        .select(m::invite_status)
        .first(&mut app.conn())
        .unwrap()
}

fn audit_actions(app: &TestApp) -> Vec<String> {
    audit_logs::table
        .select(audit_logs::action)
        .load(&mut app.conn())
        .unwrap()
}

fn notification_kinds_for(app: &TestApp, email: &str) -> Vec<String> {
    notifications::table
        .inner_join(users::table.on(users::id.eq(notifications::user_id)))
        .filter(users::email.eq(email))
        .select(notifications::kind)
        .load(&mut app.conn())
        .unwrap()
}

/// Invites `email` as `role` from the owner and returns the token from the email.
async fn invited(app: &TestApp, owner: &Client, email: &str, role: &str) -> String {
    let res = invite(owner, email, role).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "invite should succeed");
    invite_token_in(&app.wait_for_email(email, "/invite/").await)
}

#[tokio::test]
async fn invitation_is_accepted_through_the_emailed_link_and_rotates_the_session() {
    let app = TestApp::spawn().await;
    let (owner, ..) = team(&app).await;
    let res = invite(&owner, "Eve.Writer@Example.com", "editor").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/w/team/team");
    let mail = app
        .wait_for_email("eve.writer@example.com", "/invite/")
        .await;
    assert!(mail.contains("Team Space"), "{mail}");
    assert!(mail.contains("Olive Owner"));
    assert!(mail.contains("Editor"));
    let token = invite_token_in(&mail);
    assert_eq!(token.len(), 64);
    // Only the digest is stored.
    let stored: Option<String> = m::table
        .filter(m::email.eq("eve.writer@example.com"))
        .select(m::invite_token_hash)
        .first(&mut app.conn())
        .unwrap();
    assert_ne!(stored.as_deref(), Some(token.as_str()));
    assert!(stored.is_some());

    let (_, page) = owner.page("/w/team/team").await;
    assert!(page.contains("eve.writer@example.com") && page.contains("Pending"));

    let eve = app.client();
    let (status, body) = eve.page(&format!("/invite/{token}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Join Team Space"));
    assert!(body.contains("Create an account"));
    let (_, form) = eve
        .page(&format!(
            "/auth/register?next=/invite/{token}&email=eve.writer%40example.com"
        ))
        .await;
    assert!(form.contains("value=\"eve.writer@example.com\""));
    let res = eve
        .post(
            "/auth/register",
            &[
                ("name", "Eve Writer"),
                ("email", "EVE.WRITER@example.com"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
                ("next", &format!("/invite/{token}")),
            ],
        )
        .await;
    eve.reset_csrf();
    assert_eq!(location(&res), format!("/invite/{token}"));
    let (_, body) = eve.page(&format!("/invite/{token}")).await;
    assert!(body.contains("Accept invitation"));
    assert_eq!(
        eve.get("/w/team").await.status(),
        StatusCode::NOT_FOUND,
        "a pending invite grants nothing"
    );

    let old_cookie = eve.cookie_header();
    let res = eve.post(&format!("/invite/{token}/accept"), &[]).await;
    eve.reset_csrf();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/w/team");
    assert_ne!(
        eve.cookie_header(),
        old_cookie,
        "the cookie session is renewed"
    );
    let (status, body) = eve.page("/w/team").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Welcome to"));
    // The old cookie's server session is revoked.
    let stale = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/w/team"))
        .header("cookie", old_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::SEE_OTHER);
    assert!(location(&stale).starts_with("/auth/login"));
    let revoked: i64 = sessions::table
        .inner_join(users::table)
        .filter(users::email.eq("eve.writer@example.com"))
        .filter(sessions::revoked_at.is_not_null())
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(revoked, 1);

    assert_eq!(status_of(&app, "eve.writer@example.com"), "accepted");
    let token_left: Option<String> = m::table
        .filter(m::email.eq("eve.writer@example.com"))
        .select(m::invite_token_hash)
        .first(&mut app.conn())
        .unwrap();
    assert!(token_left.is_none());
    assert!(notification_kinds_for(&app, "owner@example.com").contains(&"invite_accepted".into()));
    let kinds: Vec<String> = workspace_events::table
        .select(workspace_events::kind)
        .load(&mut app.conn())
        .unwrap();
    assert!(kinds.contains(&"member.joined".into()));
    let actions = audit_actions(&app);
    assert!(actions.contains(&"member.invited".into()));
    assert!(actions.contains(&"member.joined".into()));

    let (status, body) = eve.page(&format!("/invite/{token}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a used link is dead");
    assert!(body.contains("no longer valid"));
    let (_, team_page) = owner.page("/w/team/team").await;
    assert!(team_page.contains("Eve Writer"));
}

#[tokio::test]
async fn an_existing_account_signs_in_from_the_link_and_accepts() {
    let app = TestApp::spawn().await;
    let (owner, ..) = team(&app).await;
    let sam = app.client();
    sam.signup("Sam", "sam@example.com").await;
    sam.logout().await;
    let token = invited(&app, &owner, "sam@example.com", "viewer").await;
    let (_, body) = sam.page(&format!("/invite/{token}")).await;
    assert!(body.contains("/auth/login?next="));
    let (_, login) = sam
        .page(&format!(
            "/auth/login?next=/invite/{token}&email=sam%40example.com"
        ))
        .await;
    assert!(login.contains("value=\"sam@example.com\""));
    let res = sam
        .post(
            "/auth/login",
            &[
                ("email", "sam@example.com"),
                ("password", PASSWORD),
                ("next", &format!("/invite/{token}")),
            ],
        )
        .await;
    sam.reset_csrf();
    assert_eq!(location(&res), format!("/invite/{token}"));
    let res = sam.post(&format!("/invite/{token}/accept"), &[]).await;
    sam.reset_csrf();
    assert_eq!(location(&res), "/w/team");
    let (_, body) = sam.page("/w/team/team").await;
    assert!(body.contains("Sam"));
    assert!(!body.contains("Send invitation"), "viewers cannot invite");
}

#[tokio::test]
async fn a_different_account_cannot_accept() {
    let app = TestApp::spawn().await;
    let (owner, _admin, editor, _) = team(&app).await;
    let token = invited(&app, &owner, "someone@example.com", "viewer").await;
    let (_, body) = editor.page(&format!("/invite/{token}")).await;
    assert!(body.contains("already a member"));
    let other = app.client();
    other.signup("Other", "other@example.com").await;
    let (status, body) = other.page(&format!("/invite/{token}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("someone@example.com"));
    assert!(body.contains("Sign out"));
    let res = other.post(&format!("/invite/{token}/accept"), &[]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.text().await.unwrap().contains("someone@example.com"));
    assert_eq!(status_of(&app, "someone@example.com"), "pending");
}

#[tokio::test]
async fn expired_and_revoked_invitations_are_refused() {
    let app = TestApp::spawn().await;
    let (owner, ..) = team(&app).await;
    let late = invited(&app, &owner, "late@example.com", "editor").await;
    diesel::update(m::table.filter(m::email.eq("late@example.com")))
        .set(m::invite_expires_at.eq(now() - chrono::Duration::hours(1)))
        .execute(&mut app.conn())
        .unwrap();
    let late_user = app.client();
    late_user.signup("Late", "late@example.com").await;
    let (status, body) = late_user.page(&format!("/invite/{late}")).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(body.contains("has expired"));
    assert_eq!(status_of(&app, "late@example.com"), "expired");
    let res = late_user.post(&format!("/invite/{late}/accept"), &[]).await;
    assert_ne!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&app, "late@example.com"), "expired");

    let gone = invited(&app, &owner, "gone@example.com", "editor").await;
    let id = membership_id(&app, "gone@example.com");
    let res = owner
        .post(&format!("/w/team/team/invites/{id}/revoke"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&app, "gone@example.com"), "revoked");
    let gone_user = app.client();
    gone_user.signup("Gone", "gone@example.com").await;
    let (status, body) = gone_user.page(&format!("/invite/{gone}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("no longer valid"));
    let res = gone_user.post(&format!("/invite/{gone}/accept"), &[]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        gone_user.get("/w/team").await.status(),
        StatusCode::NOT_FOUND
    );

    // A revoked address can be invited afresh.
    let res = invite(&owner, "gone@example.com", "viewer").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&app, "gone@example.com"), "pending");
    assert!(audit_actions(&app).contains(&"member.invite_revoked".into()));
}

#[tokio::test]
async fn resend_replaces_the_link() {
    let app = TestApp::spawn().await;
    let (owner, ..) = team(&app).await;
    let first = invited(&app, &owner, "twice@example.com", "editor").await;
    let id = membership_id(&app, "twice@example.com");
    let res = owner
        .post(&format!("/w/team/team/invites/{id}/resend"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let second = loop {
        let tokens: Vec<String> = app
            .outbox_messages()
            .into_iter()
            .filter(|m| m.contains("twice@example.com") && m.contains("/invite/"))
            .map(|m| invite_token_in(&m))
            .filter(|t| *t != first)
            .collect();
        if let Some(t) = tokens.into_iter().next() {
            break t;
        }
        assert!(std::time::Instant::now() < deadline, "no second email");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let c = app.client();
    assert_eq!(
        c.get(&format!("/invite/{first}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c.get(&format!("/invite/{second}")).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn duplicate_invitations_get_clear_answers() {
    let app = TestApp::spawn().await;
    let (owner, ..) = team(&app).await;
    let res = invite(&owner, "editor@example.com", "viewer").await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("already a member"));
    invited(&app, &owner, "new@example.com", "viewer").await;
    let res = invite(&owner, "NEW@example.com", "viewer").await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("Use Resend"));
    let res = invite(&owner, "not-an-address", "viewer").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("valid email"));
}

#[tokio::test]
async fn roles_cannot_be_escalated() {
    let app = TestApp::spawn().await;
    let (owner, admin, editor, viewer) = team(&app).await;
    // Invitations.
    assert_eq!(
        invite(&admin, "a2@example.com", "admin").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        invite(&owner, "o2@example.com", "owner").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        invite(&editor, "e2@example.com", "viewer").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        invite(&viewer, "v2@example.com", "viewer").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        invite(&admin, "ok@example.com", "editor").await.status(),
        StatusCode::SEE_OTHER
    );
    // Role changes.
    let ed = membership_id(&app, "editor@example.com");
    let ad = membership_id(&app, "admin@example.com");
    let own = membership_id(&app, "owner@example.com");
    for (who, target, role) in [
        (&admin, &ed, "admin"),
        (&admin, &ed, "owner"),
        (&admin, &ad, "viewer"),
        (&admin, &own, "admin"),
        (&owner, &ed, "owner"),
        (&owner, &own, "admin"),
        (&editor, &ed, "admin"),
    ] {
        let res = who
            .post(
                &format!("/w/team/team/members/{target}/role"),
                &[("role", role)],
            )
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{target} -> {role}");
    }
    // Removal.
    for (who, target) in [
        (&admin, &own),
        (&admin, &ad),
        (&owner, &own),
        (&editor, &ed),
    ] {
        let res = who
            .post(&format!("/w/team/team/members/{target}/remove"), &[])
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "remove {target}");
    }
    let roles: Vec<(String, String)> = m::table
        .filter(m::invite_status.eq(InviteStatus::Accepted))
        .select((m::email, m::role))
        .load(&mut app.conn())
        .unwrap();
    assert!(roles.contains(&("editor@example.com".into(), "editor".into())));
    assert!(roles.contains(&("admin@example.com".into(), "admin".into())));
    assert!(roles.contains(&("owner@example.com".into(), "owner".into())));
}

#[tokio::test]
async fn changing_a_role_notifies_the_member() {
    let app = TestApp::spawn().await;
    let (owner, admin, editor, _) = team(&app).await;
    let ed = membership_id(&app, "editor@example.com");
    let res = admin
        .post(
            &format!("/w/team/team/members/{ed}/role"),
            &[("role", "viewer")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        editor
            .post("/w/team/posts", &[("title", "Nope")])
            .await
            .status(),
        StatusCode::FORBIDDEN,
        "the new role applies at once"
    );
    let res = owner
        .post(
            &format!("/w/team/team/members/{ed}/role"),
            &[("role", "admin")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let role: String = m::table
        .find(&ed)
        .select(m::role)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(role, "admin");
    let kinds = notification_kinds_for(&app, "editor@example.com");
    assert_eq!(kinds.iter().filter(|k| *k == "role_changed").count(), 2);
    assert!(audit_actions(&app).contains(&"member.role_changed".into()));
    let events: i64 = workspace_events::table
        .filter(workspace_events::kind.eq("member.role_changed"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(events, 2);
}

#[tokio::test]
async fn removed_members_lose_access_and_are_told() {
    let app = TestApp::spawn().await;
    let (owner, _admin, editor, viewer) = team(&app).await;
    let team_id: String = w::table
        .filter(w::slug.eq("team"))
        .select(w::id)
        .first(&mut app.conn())
        .unwrap();
    diesel::update(users::table.filter(users::email.eq("editor@example.com")))
        .set(users::default_workspace_id.eq(&team_id))
        .execute(&mut app.conn())
        .unwrap();
    let ed = membership_id(&app, "editor@example.com");
    let res = owner
        .post(&format!("/w/team/team/members/{ed}/remove"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(editor.get("/w/team").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        editor.get("/w/team/team").await.status(),
        StatusCode::NOT_FOUND
    );
    assert!(notification_kinds_for(&app, "editor@example.com")
        .contains(&"removed_from_workspace".into()));
    let default: Option<String> = users::table
        .filter(users::email.eq("editor@example.com"))
        .select(users::default_workspace_id)
        .first(&mut app.conn())
        .unwrap();
    assert!(default.is_none());
    assert!(audit_actions(&app).contains(&"member.removed".into()));

    // A member may leave on their own; the owner may not.
    let res = viewer.post("/w/team/team/leave", &[]).await;
    assert_eq!(location(&res), "/workspaces");
    assert_eq!(viewer.get("/w/team").await.status(), StatusCode::NOT_FOUND);
    let res = owner.post("/w/team/team/leave", &[]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn ownership_transfer_needs_the_password_and_swaps_roles() {
    let app = TestApp::spawn().await;
    let (owner, admin, ..) = team(&app).await;
    let ad = membership_id(&app, "admin@example.com");
    let res = admin
        .post(
            "/w/team/team/transfer",
            &[("member_id", &ad), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "admins cannot transfer"
    );
    let res = owner
        .post(
            "/w/team/team/transfer",
            &[("member_id", &ad), ("password", "wrong password here")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("password is not correct"));
    let res = owner
        .post(
            "/w/team/team/transfer",
            &[("member_id", &ad), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let owners: Vec<String> = m::table
        .inner_join(w::table)
        .filter(w::slug.eq("team"))
        .filter(m::role.eq("owner"))
        .select(m::email)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(owners, vec!["admin@example.com".to_string()]);
    let (owner_id, admin_id): (String, String) = (
        w::table
            .filter(w::slug.eq("team"))
            .select(w::owner_id)
            .first(&mut app.conn())
            .unwrap(),
        users::table
            .filter(users::email.eq("admin@example.com"))
            .select(users::id)
            .first(&mut app.conn())
            .unwrap(),
    );
    assert_eq!(owner_id, admin_id);
    let old: String = m::table
        .find(membership_id(&app, "owner@example.com"))
        .select(m::role)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(old, "admin");
    assert!(notification_kinds_for(&app, "admin@example.com").contains(&"role_changed".into()));
    assert!(notification_kinds_for(&app, "owner@example.com").contains(&"role_changed".into()));
    assert!(audit_actions(&app).contains(&"workspace.ownership_transferred".into()));
    // The new owner holds the owner-only scope; the old one no longer does.
    let (_, page) = admin.page("/w/team/team").await;
    assert!(page.contains("Transfer ownership"));
    assert_eq!(
        owner
            .post("/w/team/settings/delete", &[("confirm", "team")])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn team_page_lists_members_and_is_readable_by_every_role() {
    let app = TestApp::spawn().await;
    let (owner, _admin, editor, viewer) = team(&app).await;
    let (status, body) = viewer.page("/w/team/team").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Ada Admin") && body.contains("Ed Editor"));
    assert!(body.contains("No open invitations"));
    assert!(!body.contains("Change role"));
    let (_, body) = editor.page("/w/team").await;
    assert!(body.contains("href=\"/w/team/team\""), "Team is in the nav");
    let (_, body) = owner.page("/w/team/team").await;
    assert!(body.contains("Change role") && body.contains("Send invitation"));
}

#[tokio::test]
async fn the_member_limit_counts_members_and_open_invitations() {
    let app = TestApp::spawn().await;
    let (owner, ..) = team(&app).await;
    let ws: String = w::table
        .filter(w::slug.eq("team"))
        .select(w::id)
        .first(&mut app.conn())
        .unwrap();
    // Four members are in; fill every other seat with open invitations.
    let mut conn = app.conn();
    let at = now();
    for i in 0..(postmagiq::service::team::MEMBER_LIMIT - 4) {
        diesel::insert_into(m::table)
            .values((
                m::id.eq(postmagiq::model::MembershipId::new()),
                m::workspace_id.eq(&ws),
                m::email.eq(format!("seat{i}@example.com")),
                m::role.eq(Role::Viewer),
                m::invite_status.eq(InviteStatus::Pending),
                m::invite_token_hash.eq(format!("hash-{i}")),
                m::invite_expires_at.eq(at + chrono::Duration::days(1)),
                m::created_at.eq(at),
                m::updated_at.eq(at),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    let res = invite(&owner, "one-too-many@example.com", "viewer").await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("limit of 250"));
    let rows: i64 = m::table
        .filter(m::email.eq("one-too-many@example.com"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(rows, 0, "the refused invitation is rolled back");
    // Revoking one frees a seat.
    let id = membership_id(&app, "seat0@example.com");
    owner
        .post(&format!("/w/team/team/invites/{id}/revoke"), &[])
        .await;
    let res = invite(&owner, "one-too-many@example.com", "viewer").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn accepting_needs_the_csrf_token() {
    let app = TestApp::spawn().await;
    let (owner, ..) = team(&app).await;
    let token = invited(&app, &owner, "zed@example.com", "viewer").await;
    let zed = app.client();
    zed.signup("Zed", "zed@example.com").await;
    let res = zed
        .post_without_csrf(&format!("/invite/{token}/accept"), &[])
        .await;
    assert_ne!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&app, "zed@example.com"), "pending");
}
