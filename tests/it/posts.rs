//! The post page: reading, editing with versions, autosave, differences, restore, planning,
//! assignment history, deleting, and who may do which.

use diesel::prelude::*;
use postmagiq::db::schema::{
    audit_logs, chapters, goals, post_assignment_history as pah, post_versions as pv, posts, users,
    workspace_events, workspaces,
};
use postmagiq::model::{
    now, Chapter, ChapterId, Goal, GoalId, PlanSource, StrategyType, WorkspaceId,
};
use reqwest::StatusCode;

use crate::support::{location, Client, TestApp};

/// Creates a post through the shared endpoint and returns its id.
async fn create_post(app: &TestApp, c: &Client, slug: &str, title: &str, body: &str) -> String {
    let res = c
        .post(
            &format!("/w/{slug}/posts"),
            &[("title", title), ("body", body)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "create {title:?}");
    posts::table
        .filter(posts::title.eq(title))
        .select(posts::id)
        .first::<String>(&mut app.conn())
        .expect("the new post")
}

/// An owner's team workspace with an editor and a viewer; returns (slug, owner, editor, viewer).
async fn team(app: &TestApp) -> (String, Client, Client, Client) {
    let (owner, editor, viewer) = crate::workspaces::team_space(app).await;
    ("team".into(), owner, editor, viewer)
}

fn versions_of(app: &TestApp, id: &str) -> Vec<(i32, String, String, String)> {
    pv::table
        .filter(pv::post_id.eq(id))
        .order(pv::version.asc())
        .select((pv::version, pv::title, pv::body, pv::source))
        .load(&mut app.conn())
        .unwrap()
}

fn post_text(app: &TestApp, id: &str) -> (String, String, i32) {
    posts::table
        .filter(posts::id.eq(id))
        .select((posts::title, posts::body, posts::current_version))
        .first(&mut app.conn())
        .unwrap()
}

fn user_id(app: &TestApp, email: &str) -> String {
    users::table
        .filter(users::email.eq(email))
        .select(users::id)
        .first(&mut app.conn())
        .unwrap()
}

async fn body_of(res: reqwest::Response) -> String {
    res.text().await.expect("body")
}

/// A chapter in a new strategy of the workspace, inserted directly (strategies have their own
/// tests).
fn add_chapter(app: &TestApp, slug: &str, number: i32, title: &str) -> String {
    let mut conn = app.conn();
    let ws: String = workspaces::table
        .filter(workspaces::slug.eq(slug))
        .select(workspaces::id)
        .first(&mut conn)
        .unwrap();
    let ws = WorkspaceId::parse(&ws).unwrap();
    let at = now();
    let goal = Goal {
        id: GoalId::new(),
        workspace_id: ws.clone(),
        created_by_id: None,
        name: "Series".into(),
        signature_thesis: String::new(),
        positioning: String::new(),
        target_audience: String::new(),
        content_style: String::new(),
        strategy_type: StrategyType::Series,
        posts_per_week: 2,
        voice_profile_id: None,
        plan_source: PlanSource::Manual,
        created_at: at,
        updated_at: at,
    };
    diesel::insert_into(goals::table)
        .values(&goal)
        .execute(&mut conn)
        .unwrap();
    let chapter = Chapter {
        id: ChapterId::new(),
        workspace_id: ws,
        goal_id: goal.id,
        chapter_number: number,
        title: title.into(),
        theme: String::new(),
        description: String::new(),
        weeks_start: None,
        weeks_end: None,
        created_at: at,
        updated_at: at,
    };
    diesel::insert_into(chapters::table)
        .values(&chapter)
        .execute(&mut conn)
        .unwrap();
    chapter.id.to_string()
}

/// Every post page route with its method, for the given post id.
fn routes(slug: &str, id: &str) -> Vec<(&'static str, String)> {
    let base = format!("/w/{slug}/posts/{id}");
    vec![
        ("GET", base.clone()),
        ("POST", base.clone()),
        ("POST", format!("{base}/autosave")),
        ("POST", format!("{base}/delete")),
        ("GET", format!("{base}/diff?from=1&to=1")),
        ("POST", format!("{base}/versions/1/restore")),
        ("POST", format!("{base}/assign")),
        ("POST", format!("{base}/planning")),
    ]
}

async fn status_of(c: &Client, method: &str, path: &str, fields: &[(&str, &str)]) -> StatusCode {
    if method == "GET" {
        c.get(path).await.status()
    } else {
        c.post(path, fields).await.status()
    }
}

#[tokio::test]
async fn members_see_the_post_page_with_its_facts() {
    let app = TestApp::spawn().await;
    let (slug, owner, _editor, viewer) = team(&app).await;
    let id = create_post(
        &app,
        &owner,
        &slug,
        "Why we ship on Fridays",
        "First draft.",
    )
    .await;

    let (status, page) = owner.page(&format!("/w/{slug}/posts/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Why we ship on Fridays"));
    assert!(page.contains("post-status-idea"), "status badge");
    assert!(page.contains(r#"<span id="post-version">1</span>"#));
    assert!(page.contains(r#"id="post-editor""#), "owners edit");
    assert!(page.contains(r#"maxlength="20000""#), "the body limit");
    assert!(page.contains(r#"data-char-count="body-count""#));
    assert!(page.contains(&format!(r#"hx-post="/w/{slug}/posts/{id}/autosave""#)));
    assert!(page.contains(r##"data-copy="#post-body""##));
    assert!(
        page.contains(r#"<option value="drafting">Drafting</option>"#),
        "the allowed next status"
    );
    assert!(
        page.contains(&format!(r#"value="/w/{slug}/posts/{id}""#)),
        "move comes back here"
    );
    assert!(page.contains("data-confirm=\"Delete"), "delete asks first");
    assert!(page.contains("Olive Owner"), "the version's author");

    let (status, page) = viewer.page(&format!("/w/{slug}/posts/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("First draft."));
    assert!(!page.contains(r#"id="post-editor""#), "viewers do not edit");
    assert!(!page.contains("/delete"), "nor delete");
    assert!(!page.contains("/restore"), "nor restore");
    assert!(page.contains(r##"data-copy="#post-text""##), "but may copy");
}

#[tokio::test]
async fn every_post_route_is_404_across_workspaces_and_for_bad_ids() {
    let app = TestApp::spawn().await;
    let ann = app.client();
    let ann_slug = ann.signup("Ann", "ann@example.com").await;
    let id = create_post(&app, &ann, &ann_slug, "Ann's secret", "Only for Ann.").await;
    let bob = app.client();
    let bob_slug = bob.signup("Bob", "bob@example.com").await;
    let fields = [
        ("title", "Pwned"),
        ("body", "Pwned"),
        ("assignee_id", ""),
        ("priority", "urgent"),
        ("due_date", "2030-01-01"),
        ("chapter_id", ""),
    ];
    // Bob in Ann's workspace, and Ann's post through Bob's own workspace.
    for slug in [ann_slug.as_str(), bob_slug.as_str()] {
        for (method, path) in routes(slug, &id) {
            assert_eq!(
                status_of(&bob, method, &path, &fields).await,
                StatusCode::NOT_FOUND,
                "{method} {path}"
            );
        }
    }
    // Malformed and unknown ids, for a member.
    for bad in ["not-a-uuid", "00000000-0000-4000-8000-000000000000", "1"] {
        for (method, path) in routes(&ann_slug, bad) {
            assert_eq!(
                status_of(&ann, method, &path, &fields).await,
                StatusCode::NOT_FOUND,
                "{method} {path}"
            );
        }
    }
    // Unknown and malformed version numbers.
    for path in [
        format!("/w/{ann_slug}/posts/{id}/diff?from=1&to=9"),
        format!("/w/{ann_slug}/posts/{id}/diff?from=x&to=1"),
        format!("/w/{ann_slug}/posts/{id}/diff?from=-1&to=1"),
    ] {
        assert_eq!(
            ann.get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    for n in ["9", "0", "x"] {
        let path = format!("/w/{ann_slug}/posts/{id}/versions/{n}/restore");
        assert_eq!(
            ann.post(&path, &[]).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    assert_eq!(
        post_text(&app, &id),
        ("Ann's secret".into(), "Only for Ann.".into(), 1),
        "nothing changed"
    );
}

#[tokio::test]
async fn saving_makes_a_new_version_and_unchanged_text_makes_none() {
    let app = TestApp::spawn().await;
    let (slug, _owner, editor, _viewer) = team(&app).await;
    let id = create_post(&app, &editor, &slug, "Hiring", "We are hiring.").await;
    let path = format!("/w/{slug}/posts/{id}");

    let res = editor
        .post(
            &path,
            &[
                ("title", "Hiring now"),
                ("body", "We are hiring\r\ntwo engineers."),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), path);
    let (_, page) = editor.page(&path).await;
    assert!(page.contains("Saved version 2."), "flash");
    assert_eq!(
        post_text(&app, &id),
        (
            "Hiring now".into(),
            "We are hiring\ntwo engineers.".into(),
            2
        ),
        "line breaks stored as LF"
    );
    let versions = versions_of(&app, &id);
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[1].2, "We are hiring\ntwo engineers.");
    assert_eq!(versions[1].3, "human");

    // The same text again (as the browser sends it) is not a new version.
    let res = editor
        .post(
            &path,
            &[
                ("title", "Hiring now"),
                ("body", "We are hiring\r\ntwo engineers."),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = editor.page(&path).await;
    assert!(page.contains("Nothing changed since version 2."));
    assert_eq!(versions_of(&app, &id).len(), 2);
    assert!(page.contains("Ed Editor"), "author of version 2");
}

#[tokio::test]
async fn invalid_text_is_refused_with_messages_and_nothing_saved() {
    let app = TestApp::spawn().await;
    let (slug, owner, _editor, _viewer) = team(&app).await;
    let id = create_post(&app, &owner, &slug, "Pricing", "Old text.").await;
    let path = format!("/w/{slug}/posts/{id}");

    let res = owner
        .post(
            &path,
            &[("title", "   "), ("body", "Kept <b>typed</b> text")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = body_of(res).await;
    assert!(page.contains("Give the post a title."));
    assert!(
        page.contains("Kept &#60;b&#62;typed&#60;/b&#62; text"),
        "the typed text stays in the editor, escaped"
    );

    let long = "x".repeat(20_001);
    let res = owner
        .post(&path, &[("title", "Pricing"), ("body", long.as_str())])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = body_of(res).await;
    assert!(page.contains("Keep the text to 20000 characters or fewer."));

    let long_title = "t".repeat(201);
    let res = owner
        .post(&path, &[("title", long_title.as_str()), ("body", "ok")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body_of(res)
        .await
        .contains("Keep the title to 200 characters or fewer."));

    assert_eq!(
        post_text(&app, &id),
        ("Pricing".into(), "Old text.".into(), 1)
    );
    assert_eq!(versions_of(&app, &id).len(), 1);
}

#[tokio::test]
async fn autosave_saves_and_answers_the_indicator_fragment() {
    let app = TestApp::spawn().await;
    let (slug, owner, _editor, _viewer) = team(&app).await;
    let id = create_post(&app, &owner, &slug, "Launch", "Draft one.").await;
    let path = format!("/w/{slug}/posts/{id}/autosave");

    let res = owner
        .post(&path, &[("title", "Launch day"), ("body", "Draft two.")])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = body_of(res).await;
    assert!(!html.contains("<html"), "a fragment, not a page");
    assert!(html.contains(r#"data-state="saved""#));
    assert!(html.contains("Saved version 2 \u{b7} "), "{html}");
    assert!(html.contains(" UTC"));
    assert!(
        html.contains(r#"id="post-versions" class="post-versions" hx-swap-oob="true""#),
        "the version list follows"
    );
    assert!(html.contains(r#"<span id="post-version" hx-swap-oob="true">2</span>"#));
    assert!(html.contains(&format!("/w/{slug}/posts/{id}/versions/1/restore")));
    assert_eq!(
        post_text(&app, &id),
        ("Launch day".into(), "Draft two.".into(), 2)
    );

    let res = owner
        .post(&path, &[("title", "Launch day"), ("body", "Draft two.")])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = body_of(res).await;
    assert!(html.contains(r#"data-state="unchanged""#));
    assert!(html.contains("No changes since version 2"));
    assert!(!html.contains("hx-swap-oob"));

    let res = owner
        .post(&path, &[("title", ""), ("body", "Draft three.")])
        .await;
    assert_eq!(res.status(), StatusCode::OK, "htmx swaps 200 answers");
    let html = body_of(res).await;
    assert!(html.contains(r#"data-state="error""#));
    assert!(html.contains(r#"role="alert""#));
    assert!(html.contains("Not saved: Give the post a title."));
    assert_eq!(versions_of(&app, &id).len(), 2);
}

#[tokio::test]
async fn viewers_are_refused_every_change() {
    let app = TestApp::spawn().await;
    let (slug, owner, _editor, viewer) = team(&app).await;
    let id = create_post(&app, &owner, &slug, "Roadmap", "Q1 plans.").await;
    owner
        .post(
            &format!("/w/{slug}/posts/{id}"),
            &[("title", "Roadmap"), ("body", "Q1 and Q2 plans.")],
        )
        .await;
    let fields = [
        ("title", "Hacked"),
        ("body", "Hacked"),
        ("assignee_id", ""),
        ("priority", "urgent"),
        ("due_date", ""),
        ("chapter_id", ""),
    ];
    for (method, path) in routes(&slug, &id).into_iter().filter(|r| r.0 == "POST") {
        let res = viewer.post(&path, &fields).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{method} {path}");
        assert!(
            body_of(res).await.contains("content:write"),
            "{path} names the permission"
        );
    }
    assert_eq!(
        post_text(&app, &id),
        ("Roadmap".into(), "Q1 and Q2 plans.".into(), 2)
    );
    let priority: String = posts::table
        .filter(posts::id.eq(&id))
        .select(posts::priority)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(priority, "medium");
    // Reading the differences is fine.
    let (status, _) = viewer
        .page(&format!("/w/{slug}/posts/{id}/diff?from=1&to=2"))
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn diff_marks_inserted_and_deleted_words_and_escapes_html() {
    let app = TestApp::spawn().await;
    let (slug, owner, _editor, _viewer) = team(&app).await;
    let id = create_post(
        &app,
        &owner,
        &slug,
        "Old <i>title</i>",
        "We sell red apples <script>alert(1)</script> daily.",
    )
    .await;
    owner
        .post(
            &format!("/w/{slug}/posts/{id}"),
            &[
                ("title", "New <i>title</i>"),
                (
                    "body",
                    "We sell green apples <script>alert(1)</script> daily & weekly.",
                ),
            ],
        )
        .await;

    let path = format!("/w/{slug}/posts/{id}/diff?from=1&to=2");
    let (status, page) = owner.page(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<html"), "opened directly: a full page");
    assert!(page.contains(r#"<del class="diff-del">red</del><ins class="diff-ins">green</ins>"#));
    assert!(page.contains(
        r#"<del class="diff-del">daily.</del><ins class="diff-ins">daily &#38; weekly.</ins>"#
    ));
    assert!(page.contains(r#"<del class="diff-del">Old</del><ins class="diff-ins">New</ins>"#));
    assert!(page.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
    assert!(
        !page.contains("<script>alert(1)"),
        "post text is never markup"
    );
    assert!(!page.contains("<i>title</i>"));

    // For htmx: only the fragment, with a link to the full page.
    let res = owner
        .http
        .get(owner.url(&path))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let fragment = body_of(res).await;
    assert!(!fragment.contains("<html"));
    assert!(fragment.contains(r#"class="diff-ins""#));
    assert!(fragment.contains("Open on its own page"));

    // Defaults to the previous version against the current one.
    let (_, page) = owner.page(&format!("/w/{slug}/posts/{id}/diff")).await;
    assert!(page.contains("Version 1 &rarr; version 2"));

    let (status, page) = owner
        .page(&format!("/w/{slug}/posts/{id}/diff?from=2&to=2"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("No differences"));
    assert!(!page.contains("diff-body"), "no text diff shown");
}

#[tokio::test]
async fn restoring_an_old_version_makes_it_current_as_a_new_version() {
    let app = TestApp::spawn().await;
    let (slug, _owner, editor, _viewer) = team(&app).await;
    let id = create_post(&app, &editor, &slug, "Story", "The original text.").await;
    let post = format!("/w/{slug}/posts/{id}");
    editor
        .post(&post, &[("title", "Story v2"), ("body", "A rewrite.")])
        .await;

    let res = editor
        .post(&format!("{post}/versions/1/restore"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), post);
    let (_, page) = editor.page(&post).await;
    assert!(page.contains("Restored version 1 as version 3."));
    assert!(page.contains("The original text.</textarea>"));
    assert_eq!(
        post_text(&app, &id),
        ("Story".into(), "The original text.".into(), 3)
    );
    let versions = versions_of(&app, &id);
    assert_eq!(versions.len(), 3);
    assert_eq!(versions[2].3, "restore");
    assert!(page.contains("Restored version 1"), "the version note");

    // Restoring what is already current adds nothing.
    let res = editor
        .post(&format!("{post}/versions/3/restore"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = editor.page(&post).await;
    assert!(page.contains("nothing to restore"));
    assert_eq!(versions_of(&app, &id).len(), 3);
}

#[tokio::test]
async fn assigning_writes_history_and_audit_and_refuses_non_members() {
    let app = TestApp::spawn().await;
    let (slug, owner, _editor, _viewer) = team(&app).await;
    let outsider = app.client();
    outsider.signup("Out Sider", "outsider@example.com").await;
    let id = create_post(&app, &owner, &slug, "Case study", "").await;
    let path = format!("/w/{slug}/posts/{id}/assign");
    let editor_id = user_id(&app, "editor@example.com");
    let viewer_id = user_id(&app, "viewer@example.com");

    let (_, page) = owner.page(&format!("/w/{slug}/posts/{id}")).await;
    assert!(page.contains(&format!(
        r#"<option value="{editor_id}">Ed Editor</option>"#
    )));
    assert!(page.contains(r#"<option value="" selected>Nobody</option>"#));

    for (who, flash) in [
        (editor_id.as_str(), "Assigned to Ed Editor."),
        (viewer_id.as_str(), "Assigned to Vi Viewer."),
        ("", "Nobody is assigned now."),
    ] {
        let res = owner.post(&path, &[("assignee_id", who)]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let (_, page) = owner.page(&format!("/w/{slug}/posts/{id}")).await;
        assert!(page.contains(flash), "{flash}");
        // Keeps the distinct timestamps that order the history.
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let actions: Vec<String> = pah::table
        .filter(pah::post_id.eq(&id))
        .order(pah::created_at.asc())
        .select(pah::action)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(actions, ["assigned", "reassigned", "unassigned"]);
    let audited: i64 = audit_logs::table
        .filter(audit_logs::action.eq("post.assigned"))
        .filter(audit_logs::resource_id.eq(&id))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(audited, 3);

    let (_, page) = owner.page(&format!("/w/{slug}/posts/{id}")).await;
    let unassigned = page
        .find("Olive Owner unassigned Vi Viewer")
        .expect("unassigned line");
    let reassigned = page
        .find("Olive Owner reassigned this from Ed Editor to Vi Viewer")
        .expect("reassigned line");
    let assigned = page
        .find("Olive Owner assigned this to Ed Editor")
        .expect("assigned line");
    assert!(
        unassigned < reassigned && reassigned < assigned,
        "newest first"
    );

    // Someone outside the workspace, or no user at all: 400 with the reason, nothing written.
    let outsider_id = user_id(&app, "outsider@example.com");
    for who in [outsider_id.as_str(), "not-a-user"] {
        let res = owner.post(&path, &[("assignee_id", who)]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{who}");
        assert!(body_of(res)
            .await
            .contains("Posts can only be assigned to members of this workspace."));
    }
    let rows: i64 = pah::table
        .filter(pah::post_id.eq(&id))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(rows, 3);
}

#[tokio::test]
async fn planning_saves_due_date_priority_and_chapter_and_refuses_bad_values() {
    let app = TestApp::spawn().await;
    let (slug, owner, _editor, _viewer) = team(&app).await;
    let chapter = add_chapter(&app, &slug, 2, "Lessons learned");
    let other = app.client();
    let other_slug = other.signup("Oscar", "oscar@example.com").await;
    let foreign_chapter = add_chapter(&app, &other_slug, 1, "Not yours");
    let id = create_post(&app, &owner, &slug, "Plan me", "").await;
    let path = format!("/w/{slug}/posts/{id}/planning");

    let res = owner
        .post(
            &path,
            &[
                ("due_date", "2031-03-15"),
                ("priority", "urgent"),
                ("chapter_id", chapter.as_str()),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = owner.page(&format!("/w/{slug}/posts/{id}")).await;
    assert!(page.contains("Planning saved."));
    assert!(page.contains(r#"<time datetime="2031-03-15">2031-03-15</time>"#));
    assert!(page.contains("post-priority-urgent"));
    assert!(page.contains("Chapter 2: Lessons learned"));
    assert!(page.contains(&format!(r#"<option value="{chapter}" selected>"#)));
    let (due, priority, chapter_id): (Option<chrono::NaiveDateTime>, String, Option<String>) =
        posts::table
            .filter(posts::id.eq(&id))
            .select((posts::due_date, posts::priority, posts::chapter_id))
            .first(&mut app.conn())
            .unwrap();
    assert_eq!(due.map(|d| d.date().to_string()), Some("2031-03-15".into()));
    assert_eq!(priority, "urgent");
    assert_eq!(chapter_id.as_deref(), Some(chapter.as_str()));
    let audited: i64 = audit_logs::table
        .filter(audit_logs::action.eq("post.planned"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(audited, 1);
    let events: i64 = workspace_events::table
        .filter(workspace_events::kind.eq("post.planned"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(events, 1);

    for (field, value, message) in [
        ("due_date", "31/03/2031", "Enter the date as YYYY-MM-DD"),
        ("due_date", "2031-02-30", "Enter the date as YYYY-MM-DD"),
        ("due_date", "1999-12-31", "between the years 2000 and 2100"),
        (
            "priority",
            "whenever",
            "Choose low, medium, high or urgent.",
        ),
        ("chapter_id", "nope", "Choose a chapter of this workspace."),
        (
            "chapter_id",
            foreign_chapter.as_str(),
            "Choose a chapter of this workspace.",
        ),
    ] {
        let mut fields = vec![
            ("due_date", "2031-04-01"),
            ("priority", "low"),
            ("chapter_id", ""),
        ];
        for f in fields.iter_mut() {
            if f.0 == field {
                f.1 = value;
            }
        }
        let res = owner.post(&path, &fields).await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}={value}"
        );
        let page = body_of(res).await;
        assert!(page.contains(message), "{field}={value}");
        assert!(page.contains(r#"class="field-error""#));
    }
    let priority: String = posts::table
        .filter(posts::id.eq(&id))
        .select(posts::priority)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(priority, "urgent", "nothing saved from rejected forms");

    // Empty values clear the date and the chapter.
    let res = owner
        .post(
            &path,
            &[("due_date", ""), ("priority", "low"), ("chapter_id", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (due, chapter_id): (Option<chrono::NaiveDateTime>, Option<String>) = posts::table
        .filter(posts::id.eq(&id))
        .select((posts::due_date, posts::chapter_id))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!((due, chapter_id), (None, None));
}

#[tokio::test]
async fn deleting_removes_the_post_and_its_versions_and_shows_the_board() {
    let app = TestApp::spawn().await;
    let (slug, _owner, editor, _viewer) = team(&app).await;
    let id = create_post(&app, &editor, &slug, "Short-lived", "Soon gone.").await;
    editor
        .post(
            &format!("/w/{slug}/posts/{id}"),
            &[("title", "Short-lived"), ("body", "Gone soon.")],
        )
        .await;
    assert_eq!(versions_of(&app, &id).len(), 2);

    let res = editor
        .post(&format!("/w/{slug}/posts/{id}/delete"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), format!("/w/{slug}/board"));
    let left: i64 = posts::table
        .filter(posts::id.eq(&id))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(left, 0);
    assert!(versions_of(&app, &id).is_empty(), "versions go too");
    let audited: i64 = audit_logs::table
        .filter(audit_logs::action.eq("post.deleted"))
        .filter(audit_logs::resource_id.eq(&id))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(audited, 1);
    assert_eq!(
        editor.get(&format!("/w/{slug}/posts/{id}")).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_page_reads_a_fixed_number_of_queries_however_long_the_history() {
    // No job workers: their polling would add statements to the count.
    let app = TestApp::spawn_with(|config| config.workers = 0).await;
    let (slug, owner, _editor, _viewer) = team(&app).await;
    let id = create_post(&app, &owner, &slug, "Busy post", "v1").await;
    let page = format!("/w/{slug}/posts/{id}");
    let count = || app.pool.manager().query_count();

    owner.page(&page).await;
    let before = count();
    owner.page(&page).await;
    let quiet = count() - before;

    let editor_id = user_id(&app, "editor@example.com");
    let viewer_id = user_id(&app, "viewer@example.com");
    for i in 0..6 {
        let who = if i % 2 == 0 { &editor_id } else { &viewer_id };
        owner
            .post(&format!("{page}/assign"), &[("assignee_id", who.as_str())])
            .await;
        let body = format!("v{}", i + 2);
        owner
            .post(&page, &[("title", "Busy post"), ("body", body.as_str())])
            .await;
    }
    owner.page(&page).await;
    let before = count();
    owner.page(&page).await;
    let busy = count() - before;
    assert_eq!(
        quiet, busy,
        "names are resolved in one query, not one per row"
    );
}

#[tokio::test]
async fn a_burst_of_autosaves_refines_one_version() {
    let app = TestApp::spawn().await;
    let (slug, owner, editor, _viewer) = team(&app).await;
    let id = create_post(&app, &owner, &slug, "Launch", "Draft one.").await;
    let path = format!("/w/{slug}/posts/{id}/autosave");
    for (i, body) in ["Draft t", "Draft tw", "Draft two."].iter().enumerate() {
        let res = owner
            .post(&path, &[("title", "Launch"), ("body", body)])
            .await;
        let html = body_of(res).await;
        assert!(html.contains("Saved version 2"), "autosave {i}: {html}");
    }
    assert_eq!(
        versions_of(&app, &id).len(),
        2,
        "one version for the whole burst"
    );
    assert_eq!(
        post_text(&app, &id),
        ("Launch".into(), "Draft two.".into(), 2)
    );

    // Someone else's autosave does not rewrite the owner's version.
    let res = editor
        .post(
            &path,
            &[("title", "Launch"), ("body", "Draft two, edited.")],
        )
        .await;
    assert!(body_of(res).await.contains("Saved version 3"));
    // A deliberate save always makes a new version.
    let res = owner
        .post(
            &format!("/w/{slug}/posts/{id}"),
            &[("title", "Launch"), ("body", "Final.")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(versions_of(&app, &id).len(), 4);
}
