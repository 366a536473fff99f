//! CSRF, headers, cookies, error pages.

use diesel::connection::SimpleConnection;
use reqwest::StatusCode;

use crate::support::{location, TestApp};

#[tokio::test]
async fn unsafe_requests_without_csrf_token_are_refused() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let slug = c.signup("Ann", "ann@example.com").await;
    for (path, fields) in [
        ("/workspaces".to_string(), vec![("name", "Sneaky")]),
        (
            format!("/w/{slug}/settings/general"),
            vec![("name", "X"), ("slug", "x-x"), ("description", "")],
        ),
        (
            format!("/w/{slug}/settings/delete"),
            vec![("confirm", slug.as_str())],
        ),
        (
            "/account/password".to_string(),
            vec![("current_password", "x")],
        ),
        ("/auth/logout".to_string(), vec![]),
    ] {
        let res = c.post_without_csrf(&path, &fields).await;
        assert_eq!(
            res.status(),
            StatusCode::FORBIDDEN,
            "POST {path} without token"
        );
        let body = res.text().await.unwrap();
        assert!(
            body.contains("did not come from this site"),
            "{path}: clear message"
        );
    }
    // A wrong token is no better than none.
    let res = c
        .post_without_csrf("/workspaces", &[("name", "Sneaky"), ("csrf_token", "0000")])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Nothing was created and the session still works.
    let (status, body) = c.page("/workspaces").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!body.contains("Sneaky"));
}

#[tokio::test]
async fn sign_in_and_sign_up_forms_need_csrf_too() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let res = c
        .post_without_csrf(
            "/auth/login",
            &[
                ("email", "a@example.com"),
                ("password", "whatever whatever"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = c
        .post_without_csrf("/auth/register", &[("name", "A")])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn htmx_requests_send_the_token_as_a_header() {
    let app = TestApp::spawn().await;
    let c = app.client();
    c.signup("Ann", "ann@example.com").await;
    let token = c.csrf().await;
    let res = c
        .http
        .post(c.url("/workspaces"))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", token)
        .form(&[("name", "Via Htmx"), ("slug", "via-htmx")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/w/via-htmx");
    let res = c
        .http
        .post(c.url("/workspaces"))
        .header("HX-Request", "true")
        .form(&[("name", "No Header")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn pages_carry_security_headers_and_no_server_version() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let slug = c.signup("Ann", "ann@example.com").await;
    for path in [
        "/".to_string(),
        "/auth/login".to_string(),
        format!("/w/{slug}"),
        "/nope".to_string(),
    ] {
        let res = c.get(&path).await;
        let h = res.headers();
        let csp = h.get("content-security-policy").unwrap().to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"));
        assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
        assert!(h.get("referrer-policy").is_some());
        assert!(h.get("server").is_none(), "{path}: no Server header");
        assert!(h.get("x-request-id").is_some());
    }
    let res = c.get(&format!("/w/{slug}")).await;
    assert_eq!(res.headers().get("cache-control").unwrap(), "no-store");
}

#[tokio::test]
async fn session_cookie_flags() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let token = c.csrf().await;
    let res = c
        .http
        .post(c.url("/auth/register"))
        .form(&[
            ("name", "Ann"),
            ("email", "ann@example.com"),
            ("password", crate::support::PASSWORD),
            ("password_confirm", crate::support::PASSWORD),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .unwrap();
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("postmagiq_session="))
        .expect("session cookie set");
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    assert!(cookie.contains("Path=/"));
    assert!(!cookie.to_lowercase().contains("domain="));
}

#[tokio::test]
async fn https_public_url_makes_the_cookie_secure_and_host_prefixed() {
    let app = TestApp::spawn_with(|c| c.public_url = "https://postmagiq.example".into()).await;
    let res = app.client().get("/auth/login").await;
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("__Host-postmagiq="))
        .expect("__Host- cookie");
    assert!(cookie.contains("Secure"));
    assert!(res.headers().get("strict-transport-security").is_some());
}

#[tokio::test]
async fn unknown_page_gets_a_friendly_404() {
    let app = TestApp::spawn().await;
    let (status, body) = app.client().page("/definitely/not/here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("Page not found"));
}

#[tokio::test]
async fn a_database_failure_shows_only_a_request_id_and_fails_closed() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let slug = c.signup("Ann", "ann@example.com").await;
    // Break the membership check: access must be refused, not granted.
    app.conn()
        .batch_execute("ALTER TABLE workspace_memberships RENAME TO wm_gone")
        .unwrap();
    let res = c.get(&format!("/w/{slug}")).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let id = res
        .headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let body = res.text().await.unwrap();
    assert!(body.contains(&format!("Request id: {id}")));
    assert!(!body.to_lowercase().contains("wm_gone") && !body.contains("workspace_memberships"));
    assert!(!body.contains("diesel") && !body.to_lowercase().contains("sqlite"));
}

#[tokio::test]
async fn static_assets_are_fingerprinted_and_cached() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let (_, body) = c.page("/auth/login").await;
    let start = body.find("/static/css/app.").unwrap();
    let href: String = body[start..].chars().take_while(|ch| *ch != '"').collect();
    let res = c.get(&href).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    assert!(res
        .headers()
        .get("cache-control")
        .unwrap()
        .to_str()
        .unwrap()
        .contains("immutable"));
    let htmx_start = body.find("/static/vendor/htmx.min.").unwrap();
    let htmx: String = body[htmx_start..]
        .chars()
        .take_while(|ch| *ch != '"')
        .collect();
    assert_eq!(c.get(&htmx).await.status(), StatusCode::OK);
    assert_eq!(
        c.get("/static/nope.js").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn forms_cannot_assign_roles_or_owners() {
    use diesel::prelude::*;
    use postmagiq::db::schema::{users, workspace_memberships as m, workspaces as w};
    let app = TestApp::spawn().await;
    app.client().signup("First", "first@example.com").await;
    let c = app.client();
    let token = c.csrf().await;
    let res = c
        .http
        .post(c.url("/auth/register"))
        .form(&[
            ("name", "Mallory"),
            ("email", "mallory@example.com"),
            ("password", crate::support::PASSWORD),
            ("password_confirm", crate::support::PASSWORD),
            ("system_role", "owner"),
            ("is_active", "true"),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    c.reset_csrf();
    let res = c
        .post(
            "/workspaces",
            &[
                ("name", "Mine"),
                ("slug", "mine"),
                ("owner_id", "someone-else"),
                ("role", "viewer"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let mut conn = app.conn();
    let (uid, role): (String, String) = users::table
        .filter(users::email.eq("mallory@example.com"))
        .select((users::id, users::system_role))
        .first(&mut conn)
        .unwrap();
    assert_eq!(role, "user");
    let (owner, member_role): (String, String) = w::table
        .inner_join(m::table)
        .filter(w::slug.eq("mine"))
        .select((w::owner_id, m::role))
        .first(&mut conn)
        .unwrap();
    assert_eq!(owner, uid);
    assert_eq!(member_role, "owner");
}
