//! Health, readiness and metrics.

use diesel::prelude::*;
use reqwest::StatusCode;

use crate::support::TestApp;

#[tokio::test]
async fn healthz_and_readyz_report_ok() {
    let app = TestApp::spawn().await;
    let c = app.client();
    assert_eq!(c.get("/healthz").await.status(), StatusCode::OK);
    let res = c.get("/readyz").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("\"ready\""));
}

#[tokio::test]
async fn readyz_is_503_when_a_migration_is_pending() {
    let app = TestApp::spawn().await;
    let mut conn = app.conn();
    postmagiq::db::migrations::revert_last(&mut conn).unwrap();
    let res = app.client().get("/readyz").await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(res.text().await.unwrap().contains("migrations pending"));
    postmagiq::db::migrations::run_pending(&mut conn).unwrap();
    assert_eq!(app.client().get("/readyz").await.status(), StatusCode::OK);
    let _ = diesel::sql_query("SELECT 1").execute(&mut conn);
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern() {
    let app = TestApp::spawn().await;
    let c = app.client();
    c.get("/w/some-slug").await;
    c.get("/auth/reset/0123456789abcdef").await;
    let body = c.get("/metrics").await.text().await.unwrap();
    assert!(body.contains("http_requests_total"));
    assert!(body.contains("route=\"/w/{slug}\""), "{body}");
    assert!(body.contains("http_request_duration_seconds_bucket"));
    assert!(
        !body.contains("0123456789abcdef"),
        "no raw paths (tokens) in labels"
    );
}
