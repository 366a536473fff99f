//! Notifications: the bell, the page, read/open/dismiss, preferences, the live count and the
//! due-date reminders.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use postmagiq::db::schema::{notifications as n, posts, users};
use postmagiq::model::{now, NotificationKind, Role};
use reqwest::{Response, StatusCode};

use crate::finished::new_post;
use crate::support::{location, Client, TestApp};
use crate::workspaces::add_member;

struct Team {
    owner: Client,
    editor: Client,
    slug: String,
    editor_id: String,
}

fn user_id(app: &TestApp, email: &str) -> String {
    users::table
        .filter(users::email.eq(email))
        .select(users::id)
        .first(&mut app.conn())
        .unwrap()
}

/// An owner's workspace "Acme" with Eddie as an editor (who also has a workspace of his own).
async fn team(app: &TestApp) -> Team {
    let owner = app.client();
    let slug = owner.signup("Olive Owner", "olive@example.com").await;
    let res = owner
        .post(
            &format!("/w/{slug}/settings/general"),
            &[("name", "Acme"), ("slug", slug.as_str())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "rename the workspace");
    let editor = app.client();
    editor.signup("Eddie Editor", "eddie@example.com").await;
    add_member(app, &slug, "eddie@example.com", Role::Editor);
    let editor_id = user_id(app, "eddie@example.com");
    Team {
        owner,
        editor,
        slug,
        editor_id,
    }
}

async fn assign(t: &Team, post: &str, to: &str) {
    let res = t
        .owner
        .post(
            &format!("/w/{}/posts/{post}/assign", t.slug),
            &[("assignee_id", to)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "assign");
}

fn notification_ids(app: &TestApp, user: &str, kind: NotificationKind) -> Vec<String> {
    n::table
        .filter(n::user_id.eq(user))
        .filter(n::kind.eq(kind))
        .order(n::created_at.asc())
        .select(n::id)
        .load(&mut app.conn())
        .unwrap()
}

fn id_titled(app: &TestApp, user: &str, title: &str) -> String {
    n::table
        .filter(n::user_id.eq(user))
        .filter(n::title.like(format!("%\u{201c}{title}\u{201d}%")))
        .select(n::id)
        .first(&mut app.conn())
        .unwrap()
}

fn is_read(app: &TestApp, id: &str) -> bool {
    n::table
        .filter(n::id.eq(id))
        .select(n::read_at)
        .first::<Option<chrono::NaiveDateTime>>(&mut app.conn())
        .unwrap()
        .is_some()
}

#[tokio::test]
async fn assigning_a_post_notifies_the_assignee_in_the_list_and_the_bell() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let post = new_post(&app, &t.owner, &t.slug, "Launch story", "Draft").await;
    assign(&t, &post, &t.editor_id).await;

    let (status, page) = t.editor.page("/notifications").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("You were assigned"), "{page}");
    assert!(page.contains("Launch story"));
    assert!(page.contains("Acme"), "the workspace name is shown");
    assert!(page.contains("aria-label=\"Notifications, 1 unread\""));
    assert!(
        page.contains("data-notif-badge>1</span>"),
        "the badge shows 1"
    );

    let (_, menu) = t.editor.page("/notifications/menu").await;
    assert!(menu.contains("Launch story") && menu.contains("Mark all read"));

    let (_, page) = t.owner.page("/notifications").await;
    assert!(!page.contains("You were assigned"), "not the assigner");
    assert!(
        page.contains("data-notif-badge hidden></span>"),
        "no badge at zero"
    );
    assert!(page.contains("You are all caught up"));
}

#[tokio::test]
async fn opening_a_notification_marks_it_read_and_goes_to_the_post() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let post = new_post(&app, &t.owner, &t.slug, "Open me", "Draft").await;
    assign(&t, &post, &t.editor_id).await;
    let id = notification_ids(&app, &t.editor_id, NotificationKind::PostAssigned).remove(0);

    // Following a link never marks anything read.
    let res = t.editor.get(&format!("/notifications/{id}/open")).await;
    assert_ne!(res.status(), StatusCode::SEE_OTHER);
    assert!(!is_read(&app, &id));

    let res = t
        .editor
        .post(&format!("/notifications/{id}/open"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), format!("/w/{}/posts/{post}", t.slug));
    assert!(is_read(&app, &id));
    let (_, page) = t.editor.page("/notifications").await;
    assert!(page.contains("Notifications, none unread"));
}

#[tokio::test]
async fn mark_all_read_and_dismiss_clear_the_list() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    for title in ["First", "Second", "Third"] {
        let post = new_post(&app, &t.owner, &t.slug, title, "Draft").await;
        assign(&t, &post, &t.editor_id).await;
    }
    let ids = notification_ids(&app, &t.editor_id, NotificationKind::PostAssigned);
    assert_eq!(ids.len(), 3);

    let res = t
        .editor
        .post(
            &format!(
                "/notifications/{}/read",
                id_titled(&app, &t.editor_id, "First")
            ),
            &[],
        )
        .await;
    assert_eq!(location(&res), "/notifications");
    let (_, page) = t.editor.page("/notifications?unread=1").await;
    assert!(page.contains("Notifications, 2 unread"));
    assert!(!page.contains("\u{201c}First\u{201d}") && page.contains("Second"));

    // Marking all read with the page's workspace filter covers everything of Acme's.
    let (_, own) = t.editor.page("/notifications").await;
    assert!(
        own.contains("Eddie"),
        "the workspace select lists his own workspace"
    );
    let res = t
        .editor
        .post("/notifications/read-all", &[("ws", t.slug.as_str())])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(ids.iter().all(|id| is_read(&app, id)));
    let (_, page) = t.editor.page("/notifications").await;
    assert!(page.contains("data-notif-badge hidden"));

    let res = t
        .editor
        .post(
            &format!(
                "/notifications/{}/dismiss",
                id_titled(&app, &t.editor_id, "Second")
            ),
            &[("back", "/notifications?page=1")],
        )
        .await;
    assert_eq!(location(&res), "/notifications?page=1");
    let (_, page) = t.editor.page("/notifications").await;
    assert!(
        !page.contains("\u{201c}Second\u{201d}"),
        "dismissed is hidden"
    );
    assert!(page.contains("\u{201c}Third\u{201d}"));
}

#[tokio::test]
async fn another_users_notification_answers_404() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let post = new_post(&app, &t.owner, &t.slug, "Private", "Draft").await;
    assign(&t, &post, &t.editor_id).await;
    let id = notification_ids(&app, &t.editor_id, NotificationKind::PostAssigned).remove(0);

    for action in ["open", "read", "dismiss"] {
        let res = t
            .owner
            .post(&format!("/notifications/{id}/{action}"), &[])
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{action}");
    }
    let res = t.owner.post("/notifications/not-an-id/read", &[]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(!is_read(&app, &id));
    let (_, page) = t.editor.page("/notifications").await;
    assert!(page.contains("Private"), "still there for its owner");
}

#[tokio::test]
async fn preferences_turn_in_app_off_and_email_on() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let (status, page) = t
        .editor
        .page(&format!("/notifications/preferences?ws={}", t.slug))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("A post is assigned to me"));
    assert!(page.contains("name=\"post_assigned.in_app\" value=\"on\" checked"));

    // Every kind stays on except in-app assignment news; email for it is on.
    let mut fields: Vec<(String, String)> = Vec::new();
    for kind in NotificationKind::ALL {
        for channel in ["in_app", "email"] {
            let name = format!("{}.{channel}", kind.as_str());
            if name != "post_assigned.in_app" {
                fields.push((name, "on".into()));
            }
        }
    }
    fields.push(("ws".into(), t.slug.clone()));
    let form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let res = t.editor.post("/notifications/preferences", &form).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&res),
        format!("/notifications/preferences?ws={}", t.slug)
    );
    let (_, page) = t.editor.page(&location(&res)).await;
    assert!(page.contains("Notification settings saved"));
    assert!(page.contains("name=\"post_assigned.in_app\" value=\"on\">"));

    let post = new_post(&app, &t.owner, &t.slug, "Quiet one", "Draft").await;
    assign(&t, &post, &t.editor_id).await;
    assert!(notification_ids(&app, &t.editor_id, NotificationKind::PostAssigned).is_empty());
    let link = app.url(&format!("/w/{}/posts/{post}", t.slug));
    let text = app.wait_for_email("eddie@example.com", &link).await;
    assert!(text.contains("Quiet one"));
    let html = std::fs::read_dir(&app.outbox)
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read(e.path()).ok())
        .filter_map(|raw| {
            mail_parser::MessageParser::default()
                .parse(&raw)
                .and_then(|m| m.body_html(0).map(|h| h.into_owned()))
        })
        .find(|h| h.contains("Quiet one"))
        .expect("an HTML part");
    assert!(html.contains(&format!("href=\"{link}\"")), "{html}");

    // Someone else's workspace is invisible here too.
    let stranger = app.client();
    let theirs = stranger.signup("Sam Stranger", "sam@example.com").await;
    let (status, _) = t
        .editor
        .page(&format!("/notifications/preferences?ws={theirs}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let res = t
        .editor
        .post("/notifications/preferences", &[("ws", theirs.as_str())])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

async fn read_until(res: &mut Response, seen: &mut String, wanted: &str, within: Duration) {
    let deadline = Instant::now() + within;
    while !seen.contains(wanted) {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, res.chunk()).await {
            Ok(Ok(Some(bytes))) => seen.push_str(&String::from_utf8_lossy(&bytes)),
            Ok(Ok(None)) => panic!("stream ended before {wanted:?}; got {seen:?}"),
            Ok(Err(e)) => panic!("stream failed: {e}; got {seen:?}"),
            Err(_) => panic!("no {wanted:?} within {within:?}; got {seen:?}"),
        }
    }
}

#[tokio::test]
async fn the_event_stream_sends_the_unread_count_when_a_notification_arrives() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let mut res = t
        .editor
        .http
        .get(t.editor.url("/notifications/events"))
        .header("Accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    assert!(header("content-type").starts_with("text/event-stream"));
    assert_eq!(header("cache-control"), "no-store");
    let mut seen = String::new();
    read_until(
        &mut res,
        &mut seen,
        "event: unread\ndata: 0\n",
        Duration::from_secs(10),
    )
    .await;

    let post = new_post(&app, &t.owner, &t.slug, "Live one", "Draft").await;
    assign(&t, &post, &t.editor_id).await;
    read_until(
        &mut res,
        &mut seen,
        "event: unread\ndata: 1\n",
        Duration::from_secs(10),
    )
    .await;

    let signed_out = app.client();
    let res = signed_out.get("/notifications/events").await;
    assert_ne!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn due_reminders_notify_the_assignee_once_a_day() {
    // No background worker run in between: the test drives the check itself.
    let app = TestApp::spawn_with(|c| c.job_poll_ms = 3_600_000).await;
    let t = team(&app).await;
    let soon = new_post(&app, &t.owner, &t.slug, "Due soon", "Draft").await;
    let late = new_post(&app, &t.owner, &t.slug, "Running late", "Draft").await;
    let far = new_post(&app, &t.owner, &t.slug, "Next month", "Draft").await;
    for (id, due) in [
        (&soon, now() + chrono::Duration::hours(3)),
        (&late, now() - chrono::Duration::hours(5)),
        (&far, now() + chrono::Duration::days(30)),
    ] {
        assign(&t, id, &t.editor_id).await;
        diesel::update(posts::table.filter(posts::id.eq(id)))
            .set(posts::due_date.eq(Some(due)))
            .execute(&mut app.conn())
            .unwrap();
    }

    let sent = postmagiq::jobs::reminders::run(&mut app.conn()).unwrap();
    assert_eq!(sent, 2);
    let due_soon = notification_ids(&app, &t.editor_id, NotificationKind::PostDueSoon);
    assert_eq!(due_soon.len(), 1);
    let overdue = notification_ids(&app, &t.editor_id, NotificationKind::PostOverdue);
    assert_eq!(overdue.len(), 1);
    let link: String = n::table
        .find(&due_soon[0])
        .select(n::link)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(link, format!("/w/{}/posts/{soon}", t.slug));

    // A second run the same day says nothing new, even after the first was dismissed.
    t.editor
        .post(&format!("/notifications/{}/dismiss", due_soon[0]), &[])
        .await;
    assert_eq!(postmagiq::jobs::reminders::run(&mut app.conn()).unwrap(), 0);
    assert_eq!(
        notification_ids(&app, &t.editor_id, NotificationKind::PostDueSoon).len(),
        1
    );
    // The owner (not the assignee) is never reminded.
    let owner_id = user_id(&app, "olive@example.com");
    assert!(notification_ids(&app, &owner_id, NotificationKind::PostDueSoon).is_empty());

    // The hourly enqueue never stacks up checks.
    let mut conn = app.conn();
    assert!(postmagiq::jobs::reminders::enqueue_check(&mut conn).unwrap());
    assert!(
        !postmagiq::jobs::reminders::enqueue_check(&mut conn).unwrap(),
        "a check is already waiting"
    );
}
