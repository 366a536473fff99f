//! Multi-stage approvals: stage settings, submit, decide across stages, comments and the rule
//! that a workspace with stages approves only through them.

use diesel::prelude::*;
use postmagiq::db::schema::{
    approval_comments, approval_requests as r, approval_stages as s, audit_logs, notifications,
    posts, users,
};
use postmagiq::model::Role;
use reqwest::StatusCode;

use crate::finished::new_post;
use crate::support::{Client, TestApp};
use crate::workspaces::add_member;

struct Team {
    slug: String,
    owner: Client,
    admin: Client,
    editor: Client,
    viewer: Client,
}

/// Olive owns the workspace; Ada is admin, Ed editor, Vi viewer.
async fn team(app: &TestApp) -> Team {
    let owner = app.client();
    let slug = owner.signup("Olive Owner", "owner@example.com").await;
    let mut members = Vec::new();
    for (name, email, role) in [
        ("Ada Admin", "admin@example.com", Role::Admin),
        ("Ed Editor", "editor@example.com", Role::Editor),
        ("Vi Viewer", "viewer@example.com", Role::Viewer),
    ] {
        let c = app.client();
        c.signup(name, email).await;
        add_member(app, &slug, email, role);
        members.push(c);
    }
    let viewer = members.pop().unwrap();
    let editor = members.pop().unwrap();
    let admin = members.pop().unwrap();
    Team {
        slug,
        owner,
        admin,
        editor,
        viewer,
    }
}

/// (id, name, position, required, active) in order.
fn stages(app: &TestApp) -> Vec<(String, String, i32, bool, bool)> {
    s::table
        .order(s::position.asc())
        .select((s::id, s::name, s::position, s::is_required, s::is_active))
        .load(&mut app.conn())
        .unwrap()
}

fn pending(app: &TestApp, post: &str) -> Option<(String, String, i32)> {
    r::table
        .filter(r::post_id.eq(post))
        .filter(r::status.eq("pending"))
        .select((r::id, r::stage_name, r::content_version))
        .first(&mut app.conn())
        .optional()
        .unwrap()
}

fn status_of(app: &TestApp, post: &str) -> String {
    posts::table
        .find(post)
        .select(posts::status)
        .first(&mut app.conn())
        .unwrap()
}

fn notified(app: &TestApp, email: &str, kind: &str) -> i64 {
    notifications::table
        .inner_join(users::table.on(users::id.eq(notifications::user_id)))
        .filter(users::email.eq(email))
        .filter(notifications::kind.eq(kind))
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

async fn decide(c: &Client, slug: &str, request: &str, decision: &str, note: &str) -> StatusCode {
    c.post(
        &format!("/w/{slug}/approvals/{request}/decide"),
        &[("decision", decision), ("note", note)],
    )
    .await
    .status()
}

/// A post by the editor, moved to drafting and submitted; returns (post, request).
async fn submitted(app: &TestApp, t: &Team, title: &str) -> (String, String) {
    let post = new_post(app, &t.editor, &t.slug, title, "First text.").await;
    let res = t
        .editor
        .post(&format!("/w/{}/posts/{post}/submit", t.slug), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "submit {title}");
    let (request, _, _) = pending(app, &post).expect("a pending request");
    (post, request)
}

#[tokio::test]
async fn default_stages_appear_the_first_time_the_settings_are_opened() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    assert!(stages(&app).is_empty());
    let (status, body) = t
        .owner
        .page(&format!("/w/{}/settings/approvals", t.slug))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Draft review") && body.contains("Final approval"));
    let list = stages(&app);
    assert_eq!(list.len(), 2);
    assert_eq!((list[0].1.as_str(), list[0].3), ("Draft review", true));
    assert_eq!((list[1].1.as_str(), list[1].3), ("Final approval", true));
    // Opening it again creates nothing more.
    t.owner
        .page(&format!("/w/{}/settings/approvals", t.slug))
        .await;
    assert_eq!(stages(&app).len(), 2);
    let audited: i64 = audit_logs::table
        .filter(audit_logs::action.eq("approval_stage.created"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(audited, 2);
    // Editors cannot configure stages.
    let (status, _) = t
        .editor
        .page(&format!("/w/{}/settings/approvals", t.slug))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn stages_can_be_added_edited_reordered_and_deleted() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let base = format!("/w/{}/settings/approvals", t.slug);
    let res = t.owner.post(&base, &[("name", "  ")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let long = "x".repeat(101);
    let res = t.owner.post(&base, &[("name", &long)]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = t.owner.post(&base, &[("name", "Client sign-off")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let list = stages(&app);
    assert_eq!(
        list.iter().map(|s| s.1.as_str()).collect::<Vec<_>>(),
        ["Draft review", "Final approval", "Client sign-off"]
    );

    // Move the new stage up: it swaps with Final approval.
    let client = list[2].0.clone();
    let res = t
        .owner
        .post(&format!("{base}/{client}/move"), &[("direction", "up")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let names: Vec<String> = stages(&app).into_iter().map(|s| s.1).collect();
    assert_eq!(names, ["Draft review", "Client sign-off", "Final approval"]);
    // Moving the first stage up changes nothing.
    let first = stages(&app)[0].0.clone();
    t.owner
        .post(&format!("{base}/{first}/move"), &[("direction", "up")])
        .await;
    assert_eq!(stages(&app)[0].1, "Draft review");

    // Rename, make optional, disable, set the role.
    let res = t
        .owner
        .post(
            &format!("{base}/{client}"),
            &[("name", "Client OK"), ("approver_role", "admin")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let row: (String, bool, bool, String) = s::table
        .find(&client)
        .select((s::name, s::is_required, s::is_active, s::approver_role))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(row, ("Client OK".into(), false, false, "admin".into()));
    let res = t
        .owner
        .post(
            &format!("{base}/{client}"),
            &[("name", ""), ("approver_role", "editor")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // A stage with a pending request cannot be deleted.
    let (_, request) = submitted(&app, &t, "Blocker").await;
    let res = t.owner.post(&format!("{base}/{first}/delete"), &[]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("pending request"));
    t.editor
        .post(&format!("/w/{}/approvals/{request}/withdraw", t.slug), &[])
        .await;
    let res = t.owner.post(&format!("{base}/{first}/delete"), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(stages(&app).len(), 2);
    // The withdrawn request keeps the stage's name.
    let name: String = r::table
        .find(&request)
        .select(r::stage_name)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(name, "Draft review");
}

#[tokio::test]
async fn a_post_passes_both_stages_and_ends_approved() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let (post, first) = submitted(&app, &t, "Two stages").await;
    assert_eq!(status_of(&app, &post), "in_review");
    assert_eq!(pending(&app, &post).unwrap().1, "Draft review");
    // Everyone who may approve at the first stage is told, but not the submitter or viewer.
    assert_eq!(notified(&app, "owner@example.com", "approval_requested"), 1);
    assert_eq!(notified(&app, "admin@example.com", "approval_requested"), 1);
    assert_eq!(
        notified(&app, "editor@example.com", "approval_requested"),
        0
    );
    assert_eq!(
        notified(&app, "viewer@example.com", "approval_requested"),
        0
    );
    // A second submit while pending is refused.
    let res = t
        .editor
        .post(&format!("/w/{}/posts/{post}/submit", t.slug), &[])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("already waits"));

    assert_eq!(
        decide(&t.owner, &t.slug, &first, "approve", "").await,
        StatusCode::SEE_OTHER
    );
    let (second, stage, _) = pending(&app, &post).expect("pending at stage 2");
    assert_eq!(stage, "Final approval");
    assert_eq!(status_of(&app, &post), "in_review");
    assert_eq!(notified(&app, "admin@example.com", "approval_requested"), 2);
    assert_eq!(notified(&app, "editor@example.com", "post_approved"), 1);
    // Deciding the first request again is a conflict.
    assert_eq!(
        decide(&t.owner, &t.slug, &first, "approve", "").await,
        StatusCode::CONFLICT
    );

    // The review page shows the text, the stage and the history.
    let (status, body) = t
        .admin
        .page(&format!("/w/{}/approvals/{second}", t.slug))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("First text.") && body.contains("Draft review"));

    assert_eq!(
        decide(&t.admin, &t.slug, &second, "approve", "Ship it").await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(status_of(&app, &post), "approved");
    assert!(pending(&app, &post).is_none());
    assert_eq!(notified(&app, "editor@example.com", "post_approved"), 2);
    let decided: i64 = audit_logs::table
        .filter(audit_logs::action.eq("approval.decided"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(decided, 2);
}

#[tokio::test]
async fn the_queue_separates_my_requests_from_all_pending() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    submitted(&app, &t, "Queue item").await;
    let (_, mine) = t.owner.page(&format!("/w/{}/approvals", t.slug)).await;
    assert!(mine.contains("Queue item") && mine.contains("Ed Editor"));
    // The submitter may not approve their own post, so it does not wait for them.
    let (_, editor_mine) = t.editor.page(&format!("/w/{}/approvals", t.slug)).await;
    assert!(!editor_mine.contains("Queue item"));
    let (_, editor_all) = t
        .editor
        .page(&format!("/w/{}/approvals?tab=all", t.slug))
        .await;
    assert!(editor_all.contains("Queue item"));
    let (status, viewer_all) = t
        .viewer
        .page(&format!("/w/{}/approvals?tab=all", t.slug))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(viewer_all.contains("Queue item"));
}

#[tokio::test]
async fn authors_cannot_approve_their_own_post_unless_the_stage_allows_it() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let (_, request) = submitted(&app, &t, "Mine").await;
    let res = t
        .editor
        .post(
            &format!("/w/{}/approvals/{request}/decide", t.slug),
            &[("decision", "approve")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.text().await.unwrap().contains("your own work"));
    let first = stages(&app)[0].0.clone();
    let res = t
        .owner
        .post(
            &format!("/w/{}/settings/approvals/{first}", t.slug),
            &[
                ("name", "Draft review"),
                ("approver_role", "editor"),
                ("is_required", "1"),
                ("is_active", "1"),
                ("allow_self_approval", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        decide(&t.editor, &t.slug, &request, "approve", "").await,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn request_changes_and_reject_need_a_note() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let (post, request) = submitted(&app, &t, "Needs work").await;
    assert_eq!(
        decide(&t.owner, &t.slug, &request, "request-changes", " ").await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        decide(&t.owner, &t.slug, &request, "reject", "").await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(status_of(&app, &post), "in_review");
    assert_eq!(
        decide(
            &t.owner,
            &t.slug,
            &request,
            "request-changes",
            "Shorter intro"
        )
        .await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(status_of(&app, &post), "changes_requested");
    assert_eq!(notified(&app, "editor@example.com", "changes_requested"), 1);

    // Resubmitted, then rejected: back to drafting.
    let res = t
        .editor
        .post(&format!("/w/{}/posts/{post}/submit", t.slug), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (again, _, _) = pending(&app, &post).unwrap();
    assert_eq!(
        decide(&t.admin, &t.slug, &again, "reject", "Off topic").await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(status_of(&app, &post), "drafting");
    assert_eq!(notified(&app, "editor@example.com", "post_rejected"), 1);
    let (_, body) = t
        .editor
        .page(&format!("/w/{}/approvals/{again}", t.slug))
        .await;
    assert!(body.contains("Off topic") && body.contains("Shorter intro"));
}

#[tokio::test]
async fn only_the_submitter_can_withdraw() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let (post, request) = submitted(&app, &t, "Withdrawn").await;
    let path = format!("/w/{}/approvals/{request}/withdraw", t.slug);
    assert_eq!(
        t.owner.post(&path, &[]).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.editor.post(&path, &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(status_of(&app, &post), "drafting");
    assert_eq!(
        t.editor.post(&path, &[]).await.status(),
        StatusCode::CONFLICT
    );
}

#[tokio::test]
async fn viewers_and_editors_below_the_stage_role_cannot_decide() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    // A second editor, for an admin-only stage.
    let other = app.client();
    other.signup("Eve Editor", "eve@example.com").await;
    add_member(&app, &t.slug, "eve@example.com", Role::Editor);
    let (post, request) = submitted(&app, &t, "Guarded").await;
    assert_eq!(
        decide(&t.viewer, &t.slug, &request, "approve", "").await,
        StatusCode::FORBIDDEN
    );
    diesel::update(s::table)
        .set(s::approver_role.eq("admin"))
        .execute(&mut app.conn())
        .unwrap();
    let res = other
        .post(
            &format!("/w/{}/approvals/{request}/decide", t.slug),
            &[("decision", "approve")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.text().await.unwrap().contains("admin role or above"));
    assert_eq!(status_of(&app, &post), "in_review");
    assert_eq!(
        decide(&t.admin, &t.slug, &request, "approve", "").await,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn moving_to_approved_by_hand_is_refused_once_stages_exist() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let post = new_post(&app, &t.owner, &t.slug, "By hand", "Text").await;
    for status in ["drafting", "in_review"] {
        let res = t
            .owner
            .post(
                &format!("/w/{}/posts/{post}/move", t.slug),
                &[("status", status)],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
    t.owner
        .page(&format!("/w/{}/settings/approvals", t.slug))
        .await;
    let res = t
        .owner
        .post(
            &format!("/w/{}/posts/{post}/move", t.slug),
            &[("status", "approved")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("submit it for approval"));
    assert_eq!(status_of(&app, &post), "in_review");
    // With every stage disabled the board decides again.
    diesel::update(s::table)
        .set(s::is_active.eq(false))
        .execute(&mut app.conn())
        .unwrap();
    let res = t
        .owner
        .post(
            &format!("/w/{}/posts/{post}/move", t.slug),
            &[("status", "approved")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&app, &post), "approved");
}

#[tokio::test]
async fn comments_are_escaped_flagged_and_notify_mentions_and_the_submitter() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let (_, request) = submitted(&app, &t, "Discussed").await;
    let path = format!("/w/{}/approvals/{request}/comments", t.slug);
    let res = t.owner.post(&path, &[("body", "  ")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = t
        .owner
        .post(
            &path,
            &[
                ("body", "@ada and @vi@example.com: look <b>here</b>"),
                ("internal", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(notified(&app, "admin@example.com", "mentioned"), 1);
    assert_eq!(notified(&app, "viewer@example.com", "mentioned"), 1);
    assert_eq!(notified(&app, "editor@example.com", "comment_added"), 1);
    assert_eq!(notified(&app, "owner@example.com", "mentioned"), 0);
    let internal: bool = approval_comments::table
        .select(approval_comments::is_internal)
        .first(&mut app.conn())
        .unwrap();
    assert!(internal);
    let (_, body) = t
        .editor
        .page(&format!("/w/{}/approvals/{request}", t.slug))
        .await;
    assert!(!body.contains("<b>here</b>"));
    assert!(body.contains("&#60;b&#62;here"), "escaped comment");
    assert!(body.contains("Internal"));
    // Viewers cannot comment.
    let res = t.viewer.post(&path, &[("body", "hi")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn requests_of_another_workspace_are_not_found() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let stranger = app.client();
    let own = stranger.signup("Sam Stranger", "sam@example.com").await;
    let (post, request) = submitted(&app, &t, "Private").await;
    for path in [
        format!("/w/{own}/approvals/{request}"),
        format!("/w/{}/approvals/{request}", t.slug),
    ] {
        let (status, _) = stranger.page(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let res = stranger
        .post(
            &format!("/w/{own}/approvals/{request}/decide"),
            &[("decision", "approve")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = stranger
        .post(&format!("/w/{own}/posts/{post}/submit"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(status_of(&app, &post), "in_review");
}

#[tokio::test]
async fn approvers_are_reminded_once_after_the_workspace_delay() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let base = format!("/w/{}/settings/approvals/reminders", t.slug);
    let res = t.owner.post(&base, &[("hours", "0")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = t.owner.post(&base, &[("hours", "2")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = t
        .owner
        .page(&format!("/w/{}/settings/approvals", t.slug))
        .await;
    assert!(page.contains("value=\"2\""));

    let (_, request) = submitted(&app, &t, "Slow review").await;
    let run = || postmagiq::service::approvals::reminders::run(&mut app.conn()).unwrap();
    assert_eq!(run(), 0, "not yet due");
    let earlier = postmagiq::model::now() - chrono::Duration::hours(3);
    diesel::update(r::table.find(&request))
        .set(r::submitted_at.eq(earlier))
        .execute(&mut app.conn())
        .unwrap();
    assert_eq!(run(), 1);
    assert_eq!(run(), 0, "only once");
    assert_eq!(notified(&app, "owner@example.com", "approval_waiting"), 1);
    assert_eq!(notified(&app, "admin@example.com", "approval_waiting"), 1);
    assert_eq!(notified(&app, "editor@example.com", "approval_waiting"), 0);
}

#[tokio::test]
async fn a_post_moved_off_review_by_hand_cannot_be_decided() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let (post, request) = submitted(&app, &t, "Moved away").await;
    let res = t
        .editor
        .post(
            &format!("/w/{}/posts/{post}/move", t.slug),
            &[("status", "drafting")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        decide(&t.owner, &t.slug, &request, "approve", "").await,
        StatusCode::CONFLICT
    );
    assert_eq!(status_of(&app, &post), "drafting");
    let res = t
        .editor
        .post(&format!("/w/{}/approvals/{request}/withdraw", t.slug), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = t
        .editor
        .post(&format!("/w/{}/posts/{post}/submit", t.slug), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&app, &post), "in_review");
}
