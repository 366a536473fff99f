//! The board: columns and counts, roles, moves, filters, paging, statement count, the event
//! stream and the demo seed command.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use postmagiq::db::schema::{
    audit_logs, chapters, goals, post_status_history, posts, users, workspace_events, workspaces,
};
use postmagiq::model::{
    now, Chapter, ChapterId, Goal, GoalId, PlanSource, Post, PostId, PostStatus, Priority,
    StrategyType, UserId, WorkspaceId,
};
use reqwest::{Response, StatusCode};

use crate::support::{location, Client, TestApp};

// ---------------------------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------------------------

/// An owner with the team workspace, an editor and a viewer in it.
async fn team(app: &TestApp) -> (Client, Client, Client) {
    crate::workspaces::team_space(app).await
}

async fn add_idea(app: &TestApp, c: &Client, slug: &str, title: &str) -> PostId {
    let res = c
        .post(
            &format!("/w/{slug}/posts"),
            &[
                ("title", title),
                ("body", ""),
                ("chapter_id", ""),
                ("next", &format!("/w/{slug}/board")),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "create {title}");
    assert_eq!(location(&res), format!("/w/{slug}/board"));
    post_id(app, title)
}

fn post_id(app: &TestApp, title: &str) -> PostId {
    posts::table
        .filter(posts::title.eq(title))
        .select(posts::id)
        .first(&mut app.conn())
        .unwrap_or_else(|e| panic!("post {title}: {e}"))
}

fn status_of(app: &TestApp, id: &PostId) -> PostStatus {
    posts::table
        .find(id)
        .select(posts::status)
        .first(&mut app.conn())
        .unwrap()
}

fn workspace_id(app: &TestApp, slug: &str) -> WorkspaceId {
    workspaces::table
        .filter(workspaces::slug.eq(slug))
        .select(workspaces::id)
        .first(&mut app.conn())
        .unwrap()
}

fn user_id(app: &TestApp, email: &str) -> UserId {
    users::table
        .filter(users::email.eq(email))
        .select(users::id)
        .first(&mut app.conn())
        .unwrap()
}

/// A strategy with one chapter per title; returns the chapter ids in order.
fn add_chapters(app: &TestApp, slug: &str, titles: &[&str]) -> Vec<ChapterId> {
    let ws = workspace_id(app, slug);
    let at = now();
    let goal = Goal {
        id: GoalId::new(),
        workspace_id: ws.clone(),
        created_by_id: None,
        name: "Test strategy".into(),
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
    let mut conn = app.conn();
    diesel::insert_into(goals::table)
        .values(&goal)
        .execute(&mut conn)
        .unwrap();
    titles
        .iter()
        .enumerate()
        .map(|(i, title)| {
            let chapter = Chapter {
                id: ChapterId::new(),
                workspace_id: ws.clone(),
                goal_id: goal.id.clone(),
                chapter_number: i as i32 + 1,
                title: (*title).into(),
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
            chapter.id
        })
        .collect()
}

/// Inserts posts straight into the table (no history), `board_position` in order.
fn insert_posts(app: &TestApp, slug: &str, status: PostStatus, titles: &[String]) -> Vec<PostId> {
    let ws = workspace_id(app, slug);
    let mut conn = app.conn();
    let at = now();
    conn.transaction::<_, diesel::result::Error, _>(|conn| {
        let mut ids = Vec::new();
        for (i, title) in titles.iter().enumerate() {
            let post = Post {
                id: PostId::new(),
                workspace_id: ws.clone(),
                chapter_id: None,
                post_number: None,
                title: title.clone(),
                shape: String::new(),
                guidance: String::new(),
                body: String::new(),
                status,
                priority: Priority::Medium,
                assignee_id: None,
                due_date: None,
                last_run_score: None,
                current_version: 1,
                board_position: i as i64 + 1,
                created_by_id: None,
                published_at: None,
                created_at: at,
                updated_at: at,
            };
            diesel::insert_into(posts::table)
                .values(&post)
                .execute(conn)?;
            ids.push(post.id);
        }
        Ok(ids)
    })
    .unwrap()
}

/// The HTML of one column section of a board page.
fn column_html<'a>(body: &'a str, status: &str) -> &'a str {
    let marker = format!("<section class=\"board-col\" data-status=\"{status}\"");
    let start = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no {status} column"));
    let end = body[start..]
        .find("</section>")
        .map_or(body.len(), |e| start + e);
    &body[start..end]
}

fn count_in(body: &str, status: &str) -> i64 {
    let col = column_html(body, status);
    let marker = "<span data-count>";
    let at = col.find(marker).expect("count") + marker.len();
    col[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
}

fn cards_in(html: &str) -> usize {
    html.matches("<li class=\"board-card").count()
}

/// POST with the session's CSRF token in the header, as the board's script does.
async fn scripted_post(c: &Client, path: &str, fields: &[(&str, &str)]) -> Response {
    let token = c.csrf().await;
    c.http
        .post(c.url(path))
        .header("X-Requested-With", "fetch")
        .header("X-CSRF-Token", token)
        .form(fields)
        .send()
        .await
        .expect("POST")
}

async fn board(c: &Client, path: &str) -> String {
    let (status, body) = c.page(path).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

// ---------------------------------------------------------------------------------------------
// Columns, cards and roles.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_board_shows_every_column_in_order_with_counts_and_new_ideas() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let slug = c.signup("Ann Author", "ann@example.com").await;

    let body = board(&c, &format!("/w/{slug}/board")).await;
    assert!(
        body.contains("New idea"),
        "the form is open on an empty board"
    );
    assert!(body.contains("No ideas yet."));
    assert!(
        body.contains(&format!("href=\"/w/{slug}/board\" aria-current=\"page\"")),
        "Board is in the navigation, current"
    );

    let id = add_idea(&app, &c, &slug, "Why we ship on Thursdays").await;
    let body = board(&c, &format!("/w/{slug}/board")).await;
    let labels = [
        "Idea",
        "Drafting",
        "In review",
        "Changes requested",
        "Approved",
        "Scheduled",
        "Published",
    ];
    let positions: Vec<usize> = labels
        .iter()
        .map(|l| {
            body.find(&format!(">{l}</h2>"))
                .unwrap_or_else(|| panic!("{l}"))
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "column order");
    assert_eq!(count_in(&body, "idea"), 1);
    assert_eq!(count_in(&body, "drafting"), 0);
    let idea = column_html(&body, "idea");
    assert!(idea.contains("Why we ship on Thursdays"));
    assert!(idea.contains(&format!("href=\"/w/{slug}/posts/{id}\"")));
    assert!(idea.contains("<option value=\"drafting\" selected>Drafting</option>"));
    assert!(column_html(&body, "drafting").contains("Nothing is being drafted."));
    assert!(body.contains("1 post."), "total in the subtitle");
    assert!(body.contains("Added \u{201c}Why we ship on Thursdays\u{201d}."));
}

#[tokio::test]
async fn cards_show_chapter_assignee_due_date_priority_and_score() {
    let app = TestApp::spawn().await;
    let (owner, _editor, _viewer) = team(&app).await;
    let chapters = add_chapters(&app, "team", &["Origins"]);
    let late = add_idea(&app, &owner, "team", "Late post").await;
    let done = add_idea(&app, &owner, "team", "Done post").await;
    let editor = user_id(&app, "editor@example.com");
    let yesterday = now() - chrono::Duration::days(1);
    diesel::update(posts::table.find(&late))
        .set((
            posts::chapter_id.eq(&chapters[0]),
            posts::assignee_id.eq(&editor),
            posts::due_date.eq(yesterday),
            posts::priority.eq(Priority::Urgent),
            posts::last_run_score.eq(87),
        ))
        .execute(&mut app.conn())
        .unwrap();
    diesel::update(posts::table.find(&done))
        .set((
            posts::status.eq(PostStatus::Published),
            posts::due_date.eq(yesterday),
        ))
        .execute(&mut app.conn())
        .unwrap();

    let body = board(&owner, "/w/team/board").await;
    let card = column_html(&body, "idea");
    assert!(card.contains("class=\"board-card is-overdue\""));
    assert!(card.contains("<p class=\"board-card-chapter\">Origins</p>"));
    assert!(card.contains("aria-label=\"Assigned to Ed Editor\" title=\"Ed Editor\">EE</span>"));
    assert!(card.contains("Urgent<span class=\"sr-only\"> priority</span>"));
    assert!(card.contains("Score 87"));
    assert!(card.contains("Overdue: <time"));
    let published = column_html(&body, "published");
    assert!(published.contains("Done post"));
    assert!(
        !published.contains("is-overdue"),
        "published posts are never overdue"
    );
    assert!(published.contains("aria-label=\"Unassigned\""));
}

#[tokio::test]
async fn viewers_get_no_idea_form_and_no_move_controls_and_cannot_move() {
    let app = TestApp::spawn().await;
    let (owner, _editor, viewer) = team(&app).await;
    let id = add_idea(&app, &owner, "team", "Viewer test").await;

    let body = board(&viewer, "/w/team/board").await;
    assert!(body.contains("Viewer test"));
    assert!(
        !body.contains("action=\"/w/team/posts\""),
        "no new-idea form"
    );
    assert!(!body.contains("board-move"), "no move forms");
    assert!(!body.contains("draggable=\"true\""));
    assert!(!body.contains("aria-keyshortcuts"));

    let res = viewer
        .post(
            &format!("/w/team/posts/{id}/move"),
            &[("status", "drafting")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = scripted_post(
        &viewer,
        &format!("/w/team/posts/{id}/move"),
        &[("status", "drafting")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(status_of(&app, &id), PostStatus::Idea);
}

#[tokio::test]
async fn editors_move_with_a_plain_form_or_a_script_and_may_approve() {
    let app = TestApp::spawn().await;
    let (owner, editor, _viewer) = team(&app).await;
    let id = add_idea(&app, &owner, "team", "Editor moves").await;
    let path = format!("/w/team/posts/{id}/move");

    let res = editor
        .post(
            &path,
            &[
                ("status", "drafting"),
                ("next", "/w/team/board?priority=high"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/w/team/board?priority=high");
    assert_eq!(status_of(&app, &id), PostStatus::Drafting);

    let res = scripted_post(&editor, &path, &[("status", "in_review")]).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(status_of(&app, &id), PostStatus::InReview);

    let res = scripted_post(&editor, &path, &[("status", "approved")]).await;
    assert_eq!(
        res.status(),
        StatusCode::NO_CONTENT,
        "editors hold content:approve"
    );
    assert_eq!(status_of(&app, &id), PostStatus::Approved);

    let body = board(&editor, "/w/team/board").await;
    assert_eq!(count_in(&body, "approved"), 1);
    assert_eq!(count_in(&body, "idea"), 0);
    let card = column_html(&body, "approved");
    assert!(card.contains("data-moves=\"in_review scheduled published\""));
}

#[tokio::test]
async fn refused_and_stale_moves_say_why_and_change_nothing() {
    let app = TestApp::spawn().await;
    let (owner, editor, _viewer) = team(&app).await;
    let id = add_idea(&app, &owner, "team", "Careful moves").await;
    let path = format!("/w/team/posts/{id}/move");

    let res = scripted_post(&editor, &path, &[("status", "published")]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("A post cannot go from Idea to Published."));
    assert_eq!(status_of(&app, &id), PostStatus::Idea);
    let history: i64 = post_status_history::table
        .filter(post_status_history::post_id.eq(&id))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(history, 0);

    let res = editor.post(&path, &[("status", "nonsense")]).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    // The owner's board still offers "Idea" for a drafting card when the editor moves it on.
    owner.post(&path, &[("status", "drafting")]).await;
    let owner_view = board(&owner, "/w/team/board").await;
    assert!(column_html(&owner_view, "drafting").contains("<option value=\"idea\">Idea</option>"));
    let res = scripted_post(&editor, &path, &[("status", "in_review")]).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = owner.post(&path, &[("status", "idea")]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("A post cannot go from In review to Idea."));
    assert_eq!(status_of(&app, &id), PostStatus::InReview);
    // Asking for where the card already is changes nothing and is not an error.
    let res = owner.post(&path, &[("status", "in_review")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let history: i64 = post_status_history::table
        .filter(post_status_history::post_id.eq(&id))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(history, 2);
}

#[tokio::test]
async fn a_move_writes_history_audit_and_an_event() {
    let app = TestApp::spawn().await;
    let (owner, editor, _viewer) = team(&app).await;
    let id = add_idea(&app, &owner, "team", "Traced move").await;
    let res = scripted_post(
        &editor,
        &format!("/w/team/posts/{id}/move"),
        &[("status", "drafting")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let ed = user_id(&app, "editor@example.com");
    let mut conn = app.conn();

    let (from, to, by): (PostStatus, PostStatus, Option<UserId>) = post_status_history::table
        .filter(post_status_history::post_id.eq(&id))
        .select((
            post_status_history::from_status,
            post_status_history::to_status,
            post_status_history::changed_by_id,
        ))
        .first(&mut conn)
        .unwrap();
    assert_eq!(
        (from, to, by),
        (PostStatus::Idea, PostStatus::Drafting, Some(ed.clone()))
    );

    let described: String = audit_logs::table
        .filter(audit_logs::action.eq("post.status_changed"))
        .filter(audit_logs::resource_id.eq(id.as_str()))
        .select(audit_logs::description)
        .first(&mut conn)
        .unwrap();
    assert_eq!(
        described,
        "Moved \u{201c}Traced move\u{201d} from Idea to Drafting"
    );

    let (subject, actor, payload): (Option<String>, Option<UserId>, String) =
        workspace_events::table
            .filter(workspace_events::kind.eq("post.status_changed"))
            .select((
                workspace_events::subject_id,
                workspace_events::actor_id,
                workspace_events::payload,
            ))
            .first(&mut conn)
            .unwrap();
    assert_eq!(subject.as_deref(), Some(id.as_str()));
    assert_eq!(actor, Some(ed));
    assert!(payload.contains("\"to\":\"drafting\""), "{payload}");
}

// ---------------------------------------------------------------------------------------------
// Filters.
// ---------------------------------------------------------------------------------------------

/// Title, assignee, chapter, priority, due date and status of a post a test sets up.
type Planned<'a> = (
    &'a str,
    Option<&'a UserId>,
    Option<&'a ChapterId>,
    Priority,
    Option<chrono::NaiveDateTime>,
    PostStatus,
);

#[tokio::test]
async fn each_filter_narrows_cards_and_counts_and_survives_in_links() {
    let app = TestApp::spawn().await;
    let (owner, _editor, _viewer) = team(&app).await;
    let ch = add_chapters(&app, "team", &["One", "Two"]);
    let me = user_id(&app, "owner@example.com");
    let ed = user_id(&app, "editor@example.com");
    let today = now().date().and_time(chrono::NaiveTime::MIN);
    let day = |n: i64| today + chrono::Duration::days(n) + chrono::Duration::hours(9);
    let rows: [Planned; 5] = [
        (
            "Alpha launch",
            Some(&me),
            Some(&ch[0]),
            Priority::High,
            Some(day(-1)),
            PostStatus::Idea,
        ),
        (
            "Beta notes",
            Some(&ed),
            Some(&ch[1]),
            Priority::Low,
            Some(day(3)),
            PostStatus::Drafting,
        ),
        (
            "Gamma LAUNCH plan",
            None,
            None,
            Priority::Urgent,
            Some(day(20)),
            PostStatus::Drafting,
        ),
        (
            "Delta 50% off_sale",
            None,
            None,
            Priority::Medium,
            Some(day(-5)),
            PostStatus::Published,
        ),
        (
            "Epsilon today",
            None,
            None,
            Priority::Medium,
            Some(day(0)),
            PostStatus::Idea,
        ),
    ];
    for (title, assignee, chapter, priority, due, status) in rows {
        let id = add_idea(&app, &owner, "team", title).await;
        diesel::update(posts::table.find(&id))
            .set((
                posts::assignee_id.eq(assignee),
                posts::chapter_id.eq(chapter),
                posts::priority.eq(priority),
                posts::due_date.eq(due),
                posts::status.eq(status),
            ))
            .execute(&mut app.conn())
            .unwrap();
    }
    let all = ["Alpha", "Beta", "Gamma", "Delta", "Epsilon"];
    let check = |body: &str, query: &str, want: &[&str]| {
        for title in all {
            assert_eq!(
                body.contains(&format!(">{title} ")),
                want.contains(&title),
                "{query}: {title}"
            );
        }
        let total: i64 = ["idea", "drafting", "published"]
            .iter()
            .map(|s| count_in(body, s))
            .sum();
        assert_eq!(total, want.len() as i64, "{query}: counts");
    };

    let cases: Vec<(String, Vec<&str>)> = vec![
        (String::new(), all.to_vec()),
        ("assignee=me".into(), vec!["Alpha"]),
        ("assignee=none".into(), vec!["Gamma", "Delta", "Epsilon"]),
        (format!("assignee={ed}"), vec!["Beta"]),
        (format!("chapter={}", ch[0]), vec!["Alpha"]),
        ("priority=urgent".into(), vec!["Gamma"]),
        ("due=overdue".into(), vec!["Alpha"]),
        ("due=week".into(), vec!["Beta", "Epsilon"]),
        ("q=launch".into(), vec!["Alpha", "Gamma"]),
        ("q=50%25+off_".into(), vec!["Delta"]),
        ("q=50%25+offX".into(), vec![]),
        ("assignee=none&due=week".into(), vec!["Epsilon"]),
    ];
    for (query, want) in &cases {
        let body = board(&owner, &format!("/w/team/board?{query}")).await;
        check(&body, query, want);
    }

    let body = board(&owner, "/w/team/board?assignee=none&due=week").await;
    assert_eq!(count_in(&body, "idea"), 1);
    assert_eq!(count_in(&body, "drafting"), 0);
    assert!(body.contains("<option value=\"none\" selected>Unassigned</option>"));
    assert!(body.contains("<option value=\"week\" selected>"));
    assert!(
        body.contains("name=\"next\" value=\"/w/team/board?assignee=none&#38;due=week\""),
        "forms come back to the filtered board"
    );
    assert!(body.contains("Clear filters"));
    assert!(body.contains("No cards match the filters."));
    let body = board(&owner, "/w/team/board?q=%20launch%20").await;
    assert!(body.contains("name=\"q\" type=\"search\" maxlength=\"100\" value=\"launch\""));

    // Values that mean nothing are left out with a notice, never an error.
    let bogus = UserId::new();
    let body = board(
        &owner,
        &format!("/w/team/board?priority=bogus&assignee={bogus}&chapter=x&due=soon&offset=-3"),
    )
    .await;
    check(&body, "bogus", &all);
    assert!(body.contains("The priority filter \u{201c}bogus\u{201d} is not one of"));
    assert!(body.contains("is not a member of this workspace."));
    assert!(body.contains("is not a chapter of this workspace."));
    assert!(body.contains("The due filter \u{201c}soon\u{201d}"));
}

// ---------------------------------------------------------------------------------------------
// Paging and the large board.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn show_more_pages_through_a_column_with_the_filters() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let slug = c.signup("Pat Pager", "pat@example.com").await;
    let titles: Vec<String> = (1..=120).map(|i| format!("Idea number {i:03}")).collect();
    insert_posts(&app, &slug, PostStatus::Idea, &titles);
    insert_posts(
        &app,
        &slug,
        PostStatus::Drafting,
        &["Lone draft".to_string()],
    );

    let body = board(&c, &format!("/w/{slug}/board")).await;
    let idea = column_html(&body, "idea");
    assert_eq!(cards_in(idea), 50);
    assert_eq!(count_in(&body, "idea"), 120);
    assert!(idea.contains("Idea number 050") && !idea.contains("Idea number 051"));
    let more = format!("/w/{slug}/board/columns/idea?offset=50");
    assert!(idea.contains(&format!("hx-get=\"{more}\"")));
    assert!(!column_html(&body, "drafting").contains("Show more"));

    let fragment = c
        .http
        .get(c.url(&more))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(fragment.status(), StatusCode::OK);
    let fragment = fragment.text().await.unwrap();
    assert!(!fragment.contains("<html"), "a fragment, not a page");
    assert_eq!(cards_in(&fragment), 50);
    assert!(fragment.contains("Idea number 051") && fragment.contains("Idea number 100"));
    assert!(!fragment.contains("Idea number 050"));
    assert!(fragment.contains(&format!("/w/{slug}/board/columns/idea?offset=100")));

    let last = c
        .http
        .get(c.url(&format!("/w/{slug}/board/columns/idea?offset=100")))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(cards_in(&last), 20);
    assert!(!last.contains("Show more"));

    // Without htmx it is a page of its own, and the filters travel along.
    let page = board(
        &c,
        &format!("/w/{slug}/board/columns/idea?offset=100&q=number"),
    )
    .await;
    assert!(page.contains("<html"));
    assert!(page.contains("Cards 101 to 120 of 120 matching the filters."));
    assert!(
        page.contains(&format!(
            "/w/{slug}/board/columns/idea?offset=50&amp;q=number"
        )) || page.contains(&format!(
            "/w/{slug}/board/columns/idea?offset=50&#38;q=number"
        ))
    );
    let filtered = board(&c, &format!("/w/{slug}/board?q=number")).await;
    assert!(
        filtered.contains(&format!(
            "/w/{slug}/board/columns/idea?offset=50&#38;q=number"
        )),
        "show more keeps the filters"
    );

    let (status, _) = c
        .page(&format!("/w/{slug}/board/columns/idea?offset=ten"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = c.page(&format!("/w/{slug}/board/columns/nope")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Statements the app's pool runs while `path` is loaded once.
async fn statements_for(app: &TestApp, c: &Client, path: &str) -> (u64, String) {
    // One load first, so that one-time work (session refresh) is not counted.
    board(c, path).await;
    let before = app.pool.manager().query_count();
    let body = board(c, path).await;
    (app.pool.manager().query_count() - before, body)
}

#[tokio::test]
async fn a_thousand_post_board_takes_as_many_statements_as_a_small_one() {
    // No job polling in the background while statements are counted.
    let app = TestApp::spawn_with(|c| c.job_poll_ms = 3_600_000).await;
    let c = app.client();
    let small = c.signup("Sam Scale", "sam@example.com").await;
    let res = c
        .post("/workspaces", &[("name", "Big Board"), ("slug", "big")])
        .await;
    assert_eq!(location(&res), "/w/big");
    {
        let mut conn = app.conn();
        postmagiq::service::demo::seed(&mut conn, Some(&small), 10).unwrap();
        postmagiq::service::demo::seed(&mut conn, Some("big"), 1000).unwrap();
    }

    let (few, small_body) = statements_for(&app, &c, &format!("/w/{small}/board")).await;
    let (many, big_body) = statements_for(&app, &c, "/w/big/board").await;
    eprintln!("board page: {many} statements with 1,000 posts, {few} with 10");
    assert!(many <= 20, "{many} statements for the 1,000-post board");
    assert_eq!(
        few, many,
        "the statement count does not grow with the posts"
    );
    assert_eq!(cards_in(&small_body), 10);
    let expected: i64 = [
        "idea",
        "drafting",
        "in_review",
        "changes_requested",
        "approved",
        "scheduled",
        "published",
    ]
    .iter()
    .map(|s| count_in(&big_body, s).min(50))
    .sum();
    assert_eq!(cards_in(&big_body) as i64, expected);
    assert!(big_body.contains("1000 posts."));

    // The columns fragment of a live refresh costs no more.
    let before = app.pool.manager().query_count();
    let fragment = c
        .http
        .get(c.url("/w/big/board?show_idea=120"))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(app.pool.manager().query_count() - before <= many);
    assert!(!fragment.contains("<html"));
    assert_eq!(
        cards_in(column_html(&fragment, "idea")) as i64,
        count_in(&fragment, "idea").min(120),
        "a refresh keeps the cards that were shown"
    );
}

// ---------------------------------------------------------------------------------------------
// The event stream.
// ---------------------------------------------------------------------------------------------

/// Reads the stream until `wanted` appears in it (or panics after `within`).
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

async fn open_stream(c: &Client, path: &str, last_event_id: Option<i64>) -> Response {
    let mut req = c
        .http
        .get(c.url(path))
        .header("Accept", "text/event-stream");
    if let Some(id) = last_event_id {
        req = req.header("Last-Event-ID", id.to_string());
    }
    let res = req.send().await.expect("open the event stream");
    assert_eq!(res.status(), StatusCode::OK);
    res
}

fn latest_event(app: &TestApp, kind: &str) -> i64 {
    workspace_events::table
        .filter(workspace_events::kind.eq(kind))
        .select(diesel::dsl::max(workspace_events::id))
        .first::<Option<i64>>(&mut app.conn())
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn the_event_stream_sends_moves_live_and_replays_what_was_missed() {
    let app = TestApp::spawn().await;
    let (owner, editor, viewer) = team(&app).await;
    let id = add_idea(&app, &owner, "team", "Live card").await;
    let move_path = format!("/w/team/posts/{id}/move");

    let mut stream = open_stream(&viewer, "/w/team/board/events", None).await;
    let headers = stream.headers();
    assert_eq!(headers["content-type"], "text/event-stream");
    assert_eq!(headers["cache-control"], "no-store");
    let mut seen = String::new();
    read_until(
        &mut stream,
        &mut seen,
        ": connected",
        Duration::from_secs(5),
    )
    .await;
    assert!(
        !seen.contains("post.created"),
        "a fresh stream starts after the latest event"
    );

    let res = scripted_post(&editor, &move_path, &[("status", "drafting")]).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let first = latest_event(&app, "post.status_changed");
    read_until(
        &mut stream,
        &mut seen,
        &format!("id: {first}\nevent: post.status_changed\ndata: {{"),
        Duration::from_secs(10),
    )
    .await;
    assert!(seen.contains(&format!("\"post_id\":\"{id}\"")));
    drop(stream);

    // Missed while disconnected: replayed from Last-Event-ID.
    let res = scripted_post(&editor, &move_path, &[("status", "in_review")]).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let second = latest_event(&app, "post.status_changed");
    assert!(second > first);
    let mut stream = open_stream(&viewer, "/w/team/board/events", Some(first)).await;
    let mut seen = String::new();
    read_until(
        &mut stream,
        &mut seen,
        &format!("id: {second}\nevent: post.status_changed\n"),
        Duration::from_secs(10),
    )
    .await;
    assert!(!seen.contains(&format!("id: {first}\n")), "{seen}");
    assert!(seen.contains("\"to\":\"in_review\""));
    drop(stream);

    // `?after=` does the same for the page's first connection.
    let mut stream = open_stream(&viewer, "/w/team/board/events?after=0", None).await;
    let mut seen = String::new();
    read_until(
        &mut stream,
        &mut seen,
        &format!("id: {second}\n"),
        Duration::from_secs(10),
    )
    .await;
    assert!(seen.contains("event: post.created\n"));

    // The page hands the script the stream address, starting at the latest event.
    let body = board(&viewer, "/w/team/board").await;
    let latest: i64 = workspace_events::table
        .select(diesel::dsl::max(workspace_events::id))
        .first::<Option<i64>>(&mut app.conn())
        .unwrap()
        .unwrap();
    assert!(body.contains(&format!(
        "data-events-url=\"/w/team/board/events?after={latest}\""
    )));
}

// ---------------------------------------------------------------------------------------------
// The demo seed command.
// ---------------------------------------------------------------------------------------------

fn cli(data: &std::path::Path, db_url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_postmagiq"));
    cmd.env_clear()
        .env("DATABASE_URL", db_url)
        .env("DATA_DIR", data)
        .env("BCRYPT_COST", "4")
        .env("RUST_LOG", "warn");
    cmd
}

fn run_cli(data: &std::path::Path, db_url: &str, args: &[&str]) -> (bool, String, String) {
    let out = cli(data, db_url).args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        format!("{} ({})", String::from_utf8_lossy(&out.stderr), out.status),
    )
}

/// Status, assignee, due date and chapter of a seeded post.
type SeededPost = (
    PostStatus,
    Option<UserId>,
    Option<chrono::NaiveDateTime>,
    Option<ChapterId>,
);

#[test]
fn seed_demo_fills_the_first_owners_workspace_once() {
    let dir = tempfile::tempdir().unwrap();
    let database = crate::support::db::TestDatabase::create(dir.path());
    let url = database.url.clone();

    let (ok, _, err) = run_cli(dir.path(), &url, &["admin", "seed-demo"]);
    assert!(!ok);
    assert!(err.contains("There is no system owner yet."), "{err}");

    let mut child = cli(dir.path(), &url)
        .args([
            "admin",
            "create-user",
            "--email",
            "op@example.com",
            "--name",
            "Opal Operator",
            "--system-owner",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a long operator passphrase\n")
        .unwrap();
    assert!(child.wait().unwrap().success());

    let (ok, out, err) = run_cli(dir.path(), &url, &["admin", "seed-demo", "--posts", "40"]);
    assert!(ok, "{err}");
    assert!(out.contains("Seeded /w/opal-s-workspace"), "{out}");
    assert!(out.contains("5 chapters and 40 posts"), "{out}");

    let pool = postmagiq::db::build_pool(&url, 1).unwrap();
    let mut conn = pool.get().unwrap();
    let names: Vec<String> = goals::table.select(goals::name).load(&mut conn).unwrap();
    assert_eq!(names, [postmagiq::service::demo::STRATEGY_NAME]);
    let n_chapters: i64 = chapters::table.count().get_result(&mut conn).unwrap();
    assert_eq!(n_chapters, 5);
    let rows: Vec<SeededPost> = posts::table
        .select((
            posts::status,
            posts::assignee_id,
            posts::due_date,
            posts::chapter_id,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(rows.len(), 40);
    let statuses: std::collections::HashSet<_> = rows.iter().map(|r| r.0).collect();
    assert!(statuses.len() >= 5, "spread over the columns: {statuses:?}");
    assert!(rows.iter().any(|r| r.1.is_some()), "some are assigned");
    assert!(rows.iter().any(|r| r.2.is_some()), "some have due dates");
    assert!(rows.iter().any(|r| r.3.is_some()), "most are in a chapter");
    let today = now().date().and_time(chrono::NaiveTime::MIN);
    assert!(
        rows.iter()
            .any(|r| r.0 != PostStatus::Published && r.2.is_some_and(|d| d < today)),
        "some are overdue"
    );
    let published_at: Vec<Option<chrono::NaiveDateTime>> = posts::table
        .filter(posts::status.eq(PostStatus::Published))
        .select(posts::published_at)
        .load(&mut conn)
        .unwrap();
    assert!(published_at.iter().all(Option::is_some));

    let (ok, out, err) = run_cli(dir.path(), &url, &["admin", "seed-demo", "--posts", "40"]);
    assert!(ok, "{err}");
    assert!(out.contains("already seeded"), "{out}");
    let n_posts: i64 = posts::table.count().get_result(&mut conn).unwrap();
    assert_eq!(n_posts, 40, "a second run adds nothing");

    let (ok, _, err) = run_cli(
        dir.path(),
        &url,
        &["admin", "seed-demo", "--workspace", "nope"],
    );
    assert!(!ok);
    assert!(
        err.contains("No workspace has the address \u{201c}nope\u{201d}."),
        "{err}"
    );
    let (ok, _, err) = run_cli(dir.path(), &url, &["admin", "seed-demo", "--posts", "0"]);
    assert!(!ok);
    assert!(err.contains("--posts must be between 1 and"), "{err}");
}
