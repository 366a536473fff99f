//! The account page: profile, theme, password change and device sessions.

use diesel::prelude::*;
use postmagiq::db::schema::{audit_logs, sessions, users};
use reqwest::StatusCode;

use crate::support::{location, TestApp, PASSWORD};

#[tokio::test]
async fn change_password_needs_the_current_one_and_revokes_other_sessions() {
    let app = TestApp::spawn().await;
    let laptop = app.client();
    let slug = laptop.signup("Ann", "ann@example.com").await;
    let phone = app.client();
    phone.login("ann@example.com", PASSWORD).await;
    assert_eq!(
        phone.get(&format!("/w/{slug}")).await.status(),
        StatusCode::OK
    );

    let new_pw = "another long passphrase";
    let res = laptop
        .post(
            "/account/password",
            &[
                ("current_password", "wrong current pw"),
                ("new_password", new_pw),
                ("new_password_confirm", new_pw),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("That is not your current password."));

    let res = laptop
        .post(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", new_pw),
                ("new_password_confirm", new_pw),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (status, body) = laptop.page("/account").await;
    assert_eq!(status, StatusCode::OK, "this device stays signed in");
    assert!(body.contains("Your other device has been signed out."));
    assert_eq!(
        phone.get(&format!("/w/{slug}")).await.status(),
        StatusCode::SEE_OTHER
    );

    let mut conn = app.conn();
    let logged: i64 = audit_logs::table
        .filter(audit_logs::action.eq("auth.password_changed"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(logged, 1);
}

#[tokio::test]
async fn account_lists_devices_and_revokes_one() {
    let app = TestApp::spawn().await;
    let laptop = app.client();
    let slug = laptop.signup("Ann", "ann@example.com").await;
    let phone = app.client();
    phone.login("ann@example.com", PASSWORD).await;

    let (_, body) = laptop.page("/account").await;
    assert!(body.contains("This device"));
    assert_eq!(body.matches("class=\"session-item").count(), 2);
    assert!(body.contains("Firefox on Linux"));

    let mut conn = app.conn();
    let phone_session: String = sessions::table
        .order(sessions::created_at.desc())
        .select(sessions::id)
        .first(&mut conn)
        .unwrap();
    let res = laptop
        .post(&format!("/account/sessions/{phone_session}/revoke"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        phone.get(&format!("/w/{slug}")).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        laptop.get(&format!("/w/{slug}")).await.status(),
        StatusCode::OK
    );

    // Revoking it again, or someone else's session, or garbage: 404.
    let res = laptop
        .post(&format!("/account/sessions/{phone_session}/revoke"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = laptop
        .post("/account/sessions/not-a-uuid/revoke", &[])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn one_user_cannot_revoke_another_users_session() {
    let app = TestApp::spawn().await;
    let ann = app.client();
    ann.signup("Ann", "ann@example.com").await;
    let bob = app.client();
    let bob_slug = bob.signup("Bob", "bob@example.com").await;
    let mut conn = app.conn();
    let bob_session: String = sessions::table
        .inner_join(users::table)
        .filter(users::email.eq("bob@example.com"))
        .select(sessions::id)
        .first(&mut conn)
        .unwrap();
    let res = ann
        .post(&format!("/account/sessions/{bob_session}/revoke"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        bob.get(&format!("/w/{bob_slug}")).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn profile_name_and_theme_are_saved() {
    let app = TestApp::spawn().await;
    let c = app.client();
    c.signup("Ann", "ann@example.com").await;
    let res = c
        .post(
            "/account/profile",
            &[("name", "Ann B. Lovelace"), ("theme", "dark")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, body) = c.page("/account").await;
    assert!(body.contains("data-theme=\"dark\""));
    assert!(body.contains("value=\"Ann B. Lovelace\""));

    let res = c
        .post("/account/profile", &[("name", ""), ("theme", "dark")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = c
        .post("/account/profile", &[("name", "Ann"), ("theme", "neon")])
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn theme_toggle_is_remembered_and_returns_to_the_page() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let slug = c.signup("Ann", "ann@example.com").await;
    let res = c
        .post(
            "/account/theme",
            &[("theme", "dark"), ("next", &format!("/w/{slug}"))],
        )
        .await;
    assert_eq!(location(&res), format!("/w/{slug}"));
    let (_, body) = c.page(&format!("/w/{slug}")).await;
    assert!(body.contains("<html lang=\"en\" data-theme=\"dark\">"));
    // A fresh sign-in elsewhere sees the same theme.
    let other = app.client();
    other.login("ann@example.com", PASSWORD).await;
    let (_, body) = other.page(&format!("/w/{slug}")).await;
    assert!(body.contains("data-theme=\"dark\""));
}

#[tokio::test]
async fn signed_out_visitor_is_sent_to_sign_in_and_back() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let res = c.get("/account").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/auth/login?next=%2Faccount");
    app.client().signup("Ann", "ann@example.com").await;
    let res = c
        .post(
            "/auth/login",
            &[
                ("email", "ann@example.com"),
                ("password", PASSWORD),
                ("next", "/account"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/account");
}
