//! Importing ideas from CSV/JSON (all or nothing) and exporting posts.

use diesel::prelude::*;
use postmagiq::db::schema::posts;
use postmagiq::model::Role;
use reqwest::StatusCode;

use crate::support::{location, TestApp};
use crate::workspaces::add_member;

fn post_count(app: &TestApp) -> i64 {
    let mut conn = app.conn();
    posts::table.count().get_result(&mut conn).unwrap()
}

#[tokio::test]
async fn a_valid_csv_is_previewed_then_imported() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let slug = c.signup("Ann", "ann@example.com").await;
    let csv = "Title,Body,Priority,Due_Date\n\
               \"Why we stopped estimating\",\"A story about trust, with a comma\",high,2026-12-24\n\
               Hiring for curiosity,,low,\n";
    let res = c
        .post(
            &format!("/w/{slug}/import/preview"),
            &[("content", csv), ("format", "auto")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = res.text().await.unwrap();
    assert!(body.contains("2 ideas ready to import"), "{body}");
    assert!(body.contains("Why we stopped estimating"));
    assert_eq!(post_count(&app), 0, "a preview saves nothing");

    let res = c
        .post(
            &format!("/w/{slug}/import/confirm"),
            &[("content", csv), ("format", "csv")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), format!("/w/{slug}/board"));
    assert_eq!(post_count(&app), 2);
    let mut conn = app.conn();
    let (priority, due, body): (String, Option<chrono::NaiveDateTime>, String) = posts::table
        .filter(posts::title.eq("Why we stopped estimating"))
        .select((posts::priority, posts::due_date, posts::body))
        .first(&mut conn)
        .unwrap();
    assert_eq!(priority, "high");
    assert_eq!(due.unwrap().format("%Y-%m-%d").to_string(), "2026-12-24");
    assert_eq!(body, "A story about trust, with a comma");
}

#[tokio::test]
async fn one_bad_row_imports_nothing_and_every_problem_is_listed() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let slug = c.signup("Ann", "ann@example.com").await;
    let csv = "title,priority,due_date,chapter\nGood one,medium,,\n,low,,\nThird,soonish,12/31/2026,\nFourth,,,Chapter Nine\n";
    for path in ["preview", "confirm"] {
        let res = c
            .post(
                &format!("/w/{slug}/import/{path}"),
                &[("content", csv), ("format", "csv")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        let body = res.text().await.unwrap();
        assert!(body.contains("3 of 4 rows have problems"), "{body}");
        assert!(body.contains("The title is missing."));
        assert!(body.contains("is not one of low, medium, high, urgent"));
        assert!(body.contains("is not a date like 2026-12-31"));
        assert!(body.contains("There is no chapter"));
    }
    assert_eq!(post_count(&app), 0);
}

#[tokio::test]
async fn json_imports_and_malformed_files_get_a_clear_message() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let slug = c.signup("Ann", "ann@example.com").await;
    let json = r#"[{"title": "From JSON", "body": "Hello"}, {"title": "Second"}]"#;
    let res = c
        .post(
            &format!("/w/{slug}/import/confirm"),
            &[("content", json), ("format", "auto")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(post_count(&app), 2);
    for (content, message) in [
        ("[{\"title\": ", "not a JSON list"),
        ("name,body\nx,y\n", "include \u{201c}title\u{201d}"),
        ("", "Contents"),
    ] {
        let res = c
            .post(
                &format!("/w/{slug}/import/preview"),
                &[("content", content), ("format", "auto")],
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{content:?}"
        );
        let body = res.text().await.unwrap();
        assert!(body.contains(message), "{content:?}: {body}");
    }
    assert_eq!(post_count(&app), 2);
}

#[tokio::test]
async fn export_lists_every_post_as_csv_and_json() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let slug = c.signup("Ann", "ann@example.com").await;
    let csv_in = "title,body\n\"Quotes \"\"inside\"\"\",\"multi\nline\"\nPlain,text\n";
    c.post(
        &format!("/w/{slug}/import/confirm"),
        &[("content", csv_in), ("format", "csv")],
    )
    .await;
    let res = c.get(&format!("/w/{slug}/export/posts.csv")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment"));
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with("id,title,status,priority,chapter,assignee,due_date,version"));
    assert!(csv.contains("\"Quotes \"\"inside\"\"\""));

    // What was exported imports back.
    let res = c
        .post(
            &format!("/w/{slug}/import/preview"),
            &[("content", &csv), ("format", "csv")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    let res = c.get(&format!("/w/{slug}/export/posts.json")).await;
    let rows: serde_json::Value = res.json().await.unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 2);
    assert_eq!(rows[0]["body"], "multi\nline");
    assert_eq!(
        c.get(&format!("/w/{slug}/export/posts.xml")).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn viewers_can_export_but_not_import() {
    let app = TestApp::spawn().await;
    let owner = app.client();
    let slug = owner.signup("Ann", "ann@example.com").await;
    let viewer = app.client();
    viewer.signup("Vic", "vic@example.com").await;
    add_member(&app, &slug, "vic@example.com", Role::Viewer);
    assert_eq!(
        viewer
            .get(&format!("/w/{slug}/export/posts.csv"))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        viewer.get(&format!("/w/{slug}/import")).await.status(),
        StatusCode::FORBIDDEN
    );
    let res = viewer
        .post(
            &format!("/w/{slug}/import/confirm"),
            &[("content", "title\nx\n"), ("format", "csv")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(post_count(&app), 0);
}
