//! Finished posts: listing, copying and marking where they were published.

use diesel::prelude::*;
use postmagiq::db::schema::{post_publications, posts};
use postmagiq::model::Role;
use reqwest::StatusCode;

use crate::support::{location, Client, TestApp};
use crate::workspaces::add_member;

/// Creates a post idea through the form and returns its id.
pub async fn new_post(app: &TestApp, c: &Client, slug: &str, title: &str, body: &str) -> String {
    let res = c
        .post(
            &format!("/w/{slug}/posts"),
            &[("title", title), ("body", body)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "create {title}");
    let mut conn = app.conn();
    posts::table
        .filter(posts::title.eq(title))
        .select(posts::id)
        .first(&mut conn)
        .unwrap()
}

/// Walks a post through the board to Approved.
pub async fn approve(c: &Client, slug: &str, id: &str) {
    for status in ["drafting", "in_review", "approved"] {
        let res = c
            .post(&format!("/w/{slug}/posts/{id}/move"), &[("status", status)])
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "move to {status}");
    }
}

fn status_of(app: &TestApp, id: &str) -> String {
    let mut conn = app.conn();
    posts::table
        .find(id)
        .select(posts::status)
        .first(&mut conn)
        .unwrap()
}

#[tokio::test]
async fn approved_posts_are_listed_and_can_be_marked_published() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let slug = c.signup("Ann", "ann@example.com").await;
    let draft = new_post(&app, &c, &slug, "Still a draft", "not yet").await;
    let id = new_post(&app, &c, &slug, "Ready to go", "Line one\nLine two").await;
    approve(&c, &slug, &id).await;

    let (status, body) = c.page(&format!("/w/{slug}/finished")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Ready to go"));
    assert!(!body.contains("Still a draft"), "only approved and later");
    assert!(
        body.contains("Line one\nLine two"),
        "text shown with its line breaks"
    );

    let res = c
        .post(
            &format!("/w/{slug}/finished/{id}/publish"),
            &[
                ("platform", "linkedin"),
                ("url", "https://www.linkedin.com/posts/ann-1"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), format!("/w/{slug}/finished?post={id}"));
    assert_eq!(status_of(&app, &id), "published");
    let (_, body) = c.page(&location(&res)).await;
    assert!(body.contains("https://www.linkedin.com/posts/ann-1"));
    assert!(body.contains("Published "));

    // A second platform, then unmark both: back to approved.
    c.post(
        &format!("/w/{slug}/finished/{id}/publish"),
        &[("platform", "x"), ("url", "")],
    )
    .await;
    let mut conn = app.conn();
    let marks: i64 = post_publications::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(marks, 2);
    for platform in ["linkedin", "x"] {
        let res = c
            .post(
                &format!("/w/{slug}/finished/{id}/unpublish"),
                &[("platform", platform)],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
    assert_eq!(status_of(&app, &id), "approved");

    // A draft cannot be marked.
    let res = c
        .post(
            &format!("/w/{slug}/finished/{draft}/publish"),
            &[("platform", "linkedin"), ("url", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(status_of(&app, &draft), "idea");
}

#[tokio::test]
async fn bad_links_and_platforms_are_refused_clearly() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let slug = c.signup("Ann", "ann@example.com").await;
    let id = new_post(&app, &c, &slug, "Ready", "text").await;
    approve(&c, &slug, &id).await;
    let res = c
        .post(
            &format!("/w/{slug}/finished/{id}/publish"),
            &[("platform", "linkedin"), ("url", "javascript:alert(1)")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("starting with https://"));
    let res = c
        .post(
            &format!("/w/{slug}/finished/{id}/publish"),
            &[("platform", "myspace"), ("url", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(status_of(&app, &id), "approved");
    let res = c
        .post(
            &format!("/w/{slug}/finished/{id}/unpublish"),
            &[("platform", "linkedin")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "nothing to unmark");
}

#[tokio::test]
async fn viewers_read_finished_posts_but_cannot_mark_them() {
    let app = TestApp::spawn().await;
    let owner = app.client();
    let slug = owner.signup("Ann", "ann@example.com").await;
    let id = new_post(&app, &owner, &slug, "Ready", "text").await;
    approve(&owner, &slug, &id).await;
    let viewer = app.client();
    viewer.signup("Vic", "vic@example.com").await;
    add_member(&app, &slug, "vic@example.com", Role::Viewer);
    let (status, body) = viewer.page(&format!("/w/{slug}/finished")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Ready") && !body.contains("Mark as published"));
    let res = viewer
        .post(
            &format!("/w/{slug}/finished/{id}/publish"),
            &[("platform", "linkedin"), ("url", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn empty_state_and_unknown_post() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let slug = c.signup("Ann", "ann@example.com").await;
    let (_, body) = c.page(&format!("/w/{slug}/finished")).await;
    assert!(body.contains("No finished posts yet"));
    let res = c
        .get(&format!(
            "/w/{slug}/finished?post=00000000-0000-4000-8000-000000000000"
        ))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        c.get(&format!("/w/{slug}/finished?post=nope"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}
