//! Workflow runs in the browser over HTTP: the New run form, starting a demo run, watching it
//! wait for approval, approving it to completion, the history with filters, roles, tenant
//! isolation and the replayable event stream.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use postmagiq::db::schema::{workflow_events as e, workflow_outputs as o};
use reqwest::StatusCode;

use crate::support::{location, Client, TestApp};

/// Long enough for the demo workflow's states on a busy machine.
const RUN_WAIT: Duration = Duration::from_secs(60);

const STORY: &str = "Our release train stopped for a week in March.\n\
    A flaky integration test failed one run in five, and nobody trusted the pipeline any more. \
    I paired with Priya to record every failure for three days. \
    The cause was a shared temp directory that two jobs cleaned at the same time. \
    We gave each job its own directory and the failures stopped. \
    What I learned: measure before you guess, and write down what you see.";

async fn start_demo(c: &Client, slug: &str) -> String {
    let res = c
        .post(
            &format!("/w/{slug}/runs"),
            &[
                ("story", STORY),
                ("config", "demo"),
                ("voice", ""),
                ("post_id", ""),
            ],
        )
        .await;
    let status = res.status();
    let to = location(&res);
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "start: {}",
        res.text().await.unwrap_or_default()
    );
    assert!(to.starts_with(&format!("/w/{slug}/runs/")), "{to}");
    to
}

/// Polls the run page until it shows `label` as the status, returning the page.
async fn wait_for_status(c: &Client, path: &str, label: &str) -> String {
    let deadline = Instant::now() + RUN_WAIT;
    let marker = format!("data-run-status=\"{label}\"");
    loop {
        let (status, body) = c.page(path).await;
        assert_eq!(status, StatusCode::OK, "GET {path}");
        if body.contains(&marker) {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "the run never reached {label}; the page shows: {}",
            status_on(&body)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn status_on(body: &str) -> String {
    let Some(at) = body.find("data-run-status=\"") else {
        return "no status".into();
    };
    let rest = &body[at..];
    let errors: String = body
        .find("run-error")
        .map(|i| body[i..].chars().take(300).collect())
        .unwrap_or_default();
    format!("{} {}", rest.chars().take(60).collect::<String>(), errors)
}

fn run_id_of(path: &str) -> String {
    path.rsplit('/').next().unwrap().to_string()
}

/// A stretch of plain words from `text`, safe to look for in escaped HTML.
fn plain_piece(text: &str) -> String {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == ' '))
        .map(str::trim)
        .max_by_key(|s| s.len())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn the_new_run_form_lists_workflows_voices_and_credits() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let slug = c.signup("Ann", "ann@example.com").await;
    let (status, body) = c.page(&format!("/w/{slug}/runs/new")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains(r#"<option value="demo""#),
        "the demo is offered"
    );
    assert!(body.contains("Demo \u{2014} no AI"), "the demo is labelled");
    assert!(body.contains("No voice preset"));
    assert!(
        body.contains("data-story-limit=\"20000\""),
        "the counter knows the limit"
    );
    assert!(body.contains("Credits:"), "the balance is shown");
    // The history starts empty with a way in.
    let (_, history) = c.page(&format!("/w/{slug}/runs")).await;
    assert!(history.contains("Start your first run"));
    assert!(history.contains("Runs</a>"), "the nav has a Runs entry");
}

#[tokio::test]
async fn empty_and_overlong_stories_are_refused_with_the_input_kept() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let slug = c.signup("Ann", "ann@example.com").await;
    let res = c
        .post(
            &format!("/w/{slug}/runs"),
            &[("story", "   "), ("config", "demo")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body = res.text().await.unwrap();
    assert!(body.contains("Write or paste a story"), "{body}");

    let long = format!("Keep this beginning. {}", "x".repeat(20_000));
    let res = c
        .post(
            &format!("/w/{slug}/runs"),
            &[("story", long.as_str()), ("config", "demo")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("this workspace accepts up to 20000"),
        "{body}"
    );
    assert!(body.contains("Keep this beginning."), "the story is kept");

    let mut conn = app.conn();
    let runs: i64 = postmagiq::db::schema::workflow_runs::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(runs, 0, "nothing was started");
}

#[tokio::test]
async fn a_demo_run_waits_for_approval_and_completes_with_the_post() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let slug = c.signup("Ann", "ann@example.com").await;
    let path = start_demo(&c, &slug).await;
    let id = run_id_of(&path);

    let body = wait_for_status(&c, &path, "awaiting_input").await;
    assert!(body.contains("Needs you"));
    assert!(body.contains("Your approval is needed"));
    assert!(
        body.contains(r#"data-state="human-approval""#),
        "the graph is drawn"
    );
    assert!(body.contains("run-node run-node-human-approval visited active"));
    assert!(body.contains("Drafts and audits"));

    let res = c
        .post(
            &format!("{path}/answer"),
            &[("decision", "approved"), ("feedback", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), path);

    let body = wait_for_status(&c, &path, "complete").await;
    assert!(body.contains(">Complete<"));
    let final_post: String = o::table
        .filter(o::run_id.eq(&id))
        .filter(o::output_type.eq("final"))
        .order(o::step.desc())
        .select(o::content)
        .first(&mut app.conn())
        .expect("a final post was written");
    assert!(body.contains(r#"id="run-final-text""#));
    let piece = plain_piece(&final_post);
    assert!(piece.len() >= 10, "{final_post}");
    assert!(body.contains(&piece), "the final post is shown: {piece}");

    // A second answer is refused clearly.
    let res = c
        .post(&format!("{path}/answer"), &[("decision", "approved")])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("not waiting for an answer"));

    // The history lists it, and the filters keep or drop it.
    let (_, list) = c.page(&format!("/w/{slug}/runs")).await;
    assert!(list.contains(&format!("href=\"{path}\"")), "listed");
    assert!(list.contains("Our release train stopped for a week in March."));
    assert!(
        list.contains("Page 1 of 1") || !list.contains("Page "),
        "one page"
    );
    let (_, done) = c
        .page(&format!("/w/{slug}/runs?status=complete&config=demo"))
        .await;
    assert!(done.contains(&format!("href=\"{path}\"")));
    let (_, failed) = c.page(&format!("/w/{slug}/runs?status=failed")).await;
    assert!(!failed.contains(&format!("href=\"{path}\"")));
    assert!(failed.contains("No runs match"));

    // The event stream replays what came after the given id, and ends for a finished run.
    let ids: Vec<i64> = e::table
        .filter(e::run_id.eq(&id))
        .order(e::id.asc())
        .select(e::id)
        .load(&mut app.conn())
        .unwrap();
    assert!(ids.len() > 4, "{ids:?}");
    let from = ids[ids.len() / 2];
    let res = c
        .http
        .get(c.url(&format!("{path}/events")))
        .header("Last-Event-ID", from.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let text = tokio::time::timeout(Duration::from_secs(10), res.text())
        .await
        .expect("the stream of a finished run ends")
        .unwrap();
    let sent: Vec<i64> = text
        .lines()
        .filter_map(|l| l.strip_prefix("id: "))
        .map(|n| n.parse().unwrap())
        .collect();
    let expected: Vec<i64> = ids.iter().copied().filter(|i| *i > from).collect();
    assert_eq!(sent, expected, "exactly the events after {from}");
    assert!(text.contains("event: run_finished"));
    assert!(
        text.contains("\"text\":\"Run complete at complete\""),
        "{text}"
    );
    // Nothing left to send: 204 tells the browser not to reconnect.
    let res = c
        .http
        .get(c.url(&format!("{path}/events?after={}", ids.last().unwrap())))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn abort_needs_a_confirmation() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let slug = c.signup("Ann", "ann@example.com").await;
    let path = start_demo(&c, &slug).await;
    wait_for_status(&c, &path, "awaiting_input").await;

    let res = c.post(&format!("{path}/abort"), &[("confirm", "")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = res.text().await.unwrap();
    assert!(body.contains("Abort the run?"));
    assert!(body.contains(r#"name="confirm" value="yes""#));
    let (_, page) = c.page(&path).await;
    assert!(
        page.contains(r#"data-run-status="awaiting_input""#),
        "nothing happened yet"
    );

    let res = c
        .post(&format!("{path}/abort"), &[("confirm", "yes")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let body = wait_for_status(&c, &path, "aborted").await;
    assert!(body.contains("Aborted by a person."));
    let res = c
        .post(&format!("{path}/abort"), &[("confirm", "yes")])
        .await;
    assert_eq!(
        res.status(),
        StatusCode::CONFLICT,
        "an ended run cannot be aborted again"
    );
}

#[tokio::test]
async fn viewers_watch_runs_but_cannot_start_or_answer_them() {
    let app = TestApp::spawn().await;
    let (owner, _editor, viewer) = crate::workspaces::team_space(&app).await;
    let path = start_demo(&owner, "team").await;
    wait_for_status(&owner, &path, "awaiting_input").await;

    let body = wait_for_status(&viewer, &path, "awaiting_input").await;
    assert!(!body.contains("/answer\""), "no answer form for a viewer");
    let (_, list) = viewer.page("/w/team/runs").await;
    assert!(list.contains(&format!("href=\"{path}\"")));
    assert!(
        !list.contains("/runs/new"),
        "no New run button for a viewer"
    );

    assert_eq!(
        viewer.get("/w/team/runs/new").await.status(),
        StatusCode::FORBIDDEN
    );
    let res = viewer
        .post("/w/team/runs", &[("story", STORY), ("config", "demo")])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    for (action, fields) in [
        ("answer", vec![("decision", "approved")]),
        ("pause", vec![]),
        ("abort", vec![("confirm", "yes")]),
    ] {
        let res = viewer.post(&format!("{path}/{action}"), &fields).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{action}");
    }
    let (_, page) = owner.page(&path).await;
    assert!(
        page.contains(r#"data-run-status="awaiting_input""#),
        "still waiting"
    );
}

#[tokio::test]
async fn another_workspace_cannot_see_or_steer_a_run() {
    let app = TestApp::spawn().await;
    let ann = app.client();
    let ann_slug = ann.signup("Ann", "ann@example.com").await;
    let bob = app.client();
    let bob_slug = bob.signup("Bob", "bob@example.com").await;
    let path = start_demo(&ann, &ann_slug).await;
    let id = run_id_of(&path);

    for slug in [ann_slug.as_str(), bob_slug.as_str()] {
        let base = format!("/w/{slug}/runs/{id}");
        for get in [
            base.clone(),
            format!("{base}/events"),
            format!("{base}/panels"),
        ] {
            assert_eq!(
                bob.get(&get).await.status(),
                StatusCode::NOT_FOUND,
                "GET {get}"
            );
        }
        for (action, fields) in [
            ("answer", vec![("decision", "abort"), ("confirm", "yes")]),
            ("abort", vec![("confirm", "yes")]),
            ("abort", vec![]),
            ("pause", vec![]),
        ] {
            let res = bob.post(&format!("{base}/{action}"), &fields).await;
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "POST {base}/{action}");
        }
    }
    let (_, list) = bob.page(&format!("/w/{bob_slug}/runs")).await;
    assert!(!list.contains(&id), "not in Bob's history");
    let (status, _) = ann.page(&path).await;
    assert_eq!(status, StatusCode::OK, "Ann still sees her run");
}
