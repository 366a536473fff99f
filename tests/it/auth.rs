//! Registration, sign-in, sign-out, throttling and password reset.

use diesel::prelude::*;
use postmagiq::db::schema::{password_reset_tokens, sessions, users};
use reqwest::StatusCode;

use crate::support::{location, reset_token_in, TestApp, PASSWORD};

#[tokio::test]
async fn register_lands_on_personal_workspace_dashboard() {
    let app = TestApp::spawn().await;
    let ann = app.client();
    let res = ann.register("Ann Lovelace", "Ann@Example.com").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/w/ann-s-workspace");
    let (status, body) = ann.page("/w/ann-s-workspace").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Ann\u{2019}s Workspace"), "{body}");
    assert!(body.contains("Welcome to Postmagiq"), "flash shown once");
    let (_, again) = ann.page("/w/ann-s-workspace").await;
    assert!(!again.contains("Welcome to Postmagiq"), "flash is one-shot");

    let mut conn = app.conn();
    let (email, role, hash): (String, String, Option<String>) = users::table
        .select((users::email, users::system_role, users::password_hash))
        .first(&mut conn)
        .unwrap();
    assert_eq!(email, "ann@example.com", "email stored normalised");
    assert_eq!(role, "owner", "first user becomes system owner");
    let hash = hash.unwrap();
    assert!(
        hash.starts_with("$2b$04$"),
        "bcrypt with the configured cost: {hash}"
    );
}

#[tokio::test]
async fn second_user_is_not_system_owner() {
    let app = TestApp::spawn().await;
    app.client().signup("First", "first@example.com").await;
    app.client().signup("Second", "second@example.com").await;
    let mut conn = app.conn();
    let role: String = users::table
        .filter(users::email.eq("second@example.com"))
        .select(users::system_role)
        .first(&mut conn)
        .unwrap();
    assert_eq!(role, "user");
}

#[tokio::test]
async fn registration_validates_every_field() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let res = c
        .post(
            "/auth/register",
            &[
                ("name", " "),
                ("email", "not-an-email"),
                ("password", "short"),
                ("password_confirm", "short"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(body.contains("Enter your name."));
    assert!(body.contains("Enter a valid email address."));
    assert!(body.contains("Use at least 12 characters."));

    let long = "ü".repeat(129);
    let res = c
        .post(
            "/auth/register",
            &[
                ("name", "A"),
                ("email", "a@example.com"),
                ("password", &long),
                ("password_confirm", &long),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Use at most 128 characters."));

    let res = c
        .post(
            "/auth/register",
            &[
                ("name", "A"),
                ("email", "a@example.com"),
                ("password", PASSWORD),
                ("password_confirm", "something else entirely"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("do not match"));
}

#[tokio::test]
async fn unicode_passwords_of_any_length_in_range_work() {
    let app = TestApp::spawn().await;
    let c = app.client();
    // 64 characters of mixed scripts: far past bcrypt's 72-byte limit.
    let pw: String = "пароль密码🔑ß".chars().cycle().take(64).collect();
    let res = c
        .post(
            "/auth/register",
            &[
                ("name", "Uni"),
                ("email", "uni@example.com"),
                ("password", &pw),
                ("password_confirm", &pw),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    c.logout().await;
    // Same prefix, different last character: must not match (no truncation).
    let mut wrong: String = pw.chars().take(63).collect();
    wrong.push('x');
    assert_eq!(
        c.login("uni@example.com", &wrong).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        c.login("uni@example.com", &pw).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn duplicate_email_is_refused_with_a_message() {
    let app = TestApp::spawn().await;
    app.client().signup("Ann", "ann@example.com").await;
    let res = app.client().register("Ann Again", "ANN@example.com").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("already exists"));
}

#[tokio::test]
async fn login_failure_message_is_the_same_for_unknown_email_and_wrong_password() {
    let app = TestApp::spawn().await;
    app.client().signup("Ann", "ann@example.com").await;
    let c = app.client();
    let wrong_pw = c.login("ann@example.com", "not the right password").await;
    assert_eq!(wrong_pw.status(), StatusCode::UNAUTHORIZED);
    let a = wrong_pw.text().await.unwrap();
    let unknown = c
        .login("nobody@example.com", "not the right password")
        .await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let b = unknown.text().await.unwrap();
    assert!(a.contains("Invalid email or password."));
    assert!(b.contains("Invalid email or password."));
}

#[tokio::test]
async fn login_succeeds_and_honours_a_local_next_only() {
    let app = TestApp::spawn().await;
    let slug = app.client().signup("Ann", "ann@example.com").await;
    let c = app.client();
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
    c.logout().await;
    let res = c
        .post(
            "/auth/login",
            &[
                ("email", "ann@example.com"),
                ("password", PASSWORD),
                ("next", "//evil.example/x"),
            ],
        )
        .await;
    assert_eq!(
        location(&res),
        format!("/w/{slug}"),
        "foreign next is ignored"
    );
}

#[tokio::test]
async fn eleventh_failed_login_is_throttled_with_429() {
    let app = TestApp::spawn().await;
    app.client().signup("Ann", "ann@example.com").await;
    let c = app.client();
    for _ in 0..10 {
        assert_eq!(
            c.login("ann@example.com", "wrong password!!")
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let res = c.login("ann@example.com", "wrong password!!").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Too many failed sign-in attempts"));
    // Even the right password waits out the window.
    assert_eq!(
        c.login("ann@example.com", PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn failures_across_accounts_from_one_ip_are_throttled() {
    let app = TestApp::spawn().await;
    let c = app.client();
    for i in 0..10 {
        let email = format!("guess{i}@example.com");
        assert_eq!(
            c.login(&email, "wrong password!!").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        c.login("another@example.com", "wrong password!!")
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn logout_ends_the_session_and_the_old_cookie_is_rejected() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let slug = c.signup("Ann", "ann@example.com").await;
    let stolen_cookie = c.cookie_header();
    assert_eq!(c.get(&format!("/w/{slug}")).await.status(), StatusCode::OK);

    let res = c.logout().await;
    assert_eq!(location(&res), "/auth/login?signed_out=1");
    let res = c.get(&format!("/w/{slug}")).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(location(&res).starts_with("/auth/login?next="));

    // Replaying the cookie captured before sign-out does not get back in.
    let replay = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url(&format!("/w/{slug}")))
        .header("cookie", stolen_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::SEE_OTHER);
    assert!(location(&replay).starts_with("/auth/login"));

    let mut conn = app.conn();
    let live: i64 = sessions::table
        .filter(sessions::revoked_at.is_null())
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(live, 0);
}

#[tokio::test]
async fn session_cookie_is_replaced_on_sign_in() {
    let app = TestApp::spawn().await;
    app.client().signup("Ann", "ann@example.com").await;
    let c = app.client();
    c.page("/auth/login").await;
    let before = c.cookie_header();
    assert!(
        !before.is_empty(),
        "an anonymous session carries the CSRF token"
    );
    c.login("ann@example.com", PASSWORD).await;
    let after = c.cookie_header();
    assert_ne!(before, after);
    // The pre-sign-in cookie is not a signed-in session.
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/account"))
        .header("cookie", before)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn password_reset_through_the_outbox_works_once_and_signs_everyone_out() {
    let app = TestApp::spawn().await;
    let other_device = app.client();
    let slug = other_device.signup("Ann", "ann@example.com").await;

    let c = app.client();
    let res = c
        .post("/auth/forgot", &[("email", "ann@example.com")])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let neutral = res.text().await.unwrap();
    assert!(neutral.contains("If an account exists for that address"));
    // Unknown addresses get the same page.
    let res = c
        .post("/auth/forgot", &[("email", "nobody@example.com")])
        .await;
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("If an account exists for that address"));

    let email = app.wait_for_email("ann@example.com", "/auth/reset/").await;
    assert!(email.contains("Reset your Postmagiq password"));
    let token = reset_token_in(&email);
    assert_eq!(token.len(), 64, "256-bit token");
    assert!(app
        .outbox_messages()
        .iter()
        .all(|m| !m.contains("nobody@example.com")));

    // Stored hashed, never in clear.
    let mut conn = app.conn();
    let stored: Vec<String> = password_reset_tokens::table
        .select(password_reset_tokens::token_hash)
        .load(&mut conn)
        .unwrap();
    assert!(!stored.contains(&token));

    let (status, _) = c.page(&format!("/auth/reset/{token}")).await;
    assert_eq!(status, StatusCode::OK);
    let new_pw = "a brand new passphrase";
    let res = c
        .post(
            &format!("/auth/reset/{token}"),
            &[("password", new_pw), ("password_confirm", new_pw)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/auth/login?reset=1");

    // Every session is gone, including the other device.
    assert_eq!(
        other_device.get(&format!("/w/{slug}")).await.status(),
        StatusCode::SEE_OTHER
    );
    // Single use.
    let (status, body) = c.page(&format!("/auth/reset/{token}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("invalid, already used or expired"));
    let res = c
        .post(
            &format!("/auth/reset/{token}"),
            &[
                ("password", "yet another passphrase"),
                ("password_confirm", "yet another passphrase"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    assert_eq!(
        c.login("ann@example.com", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        c.login("ann@example.com", new_pw).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn expired_reset_token_is_refused() {
    let app = TestApp::spawn().await;
    app.client().signup("Ann", "ann@example.com").await;
    let c = app.client();
    c.post("/auth/forgot", &[("email", "ann@example.com")])
        .await;
    let token = reset_token_in(&app.wait_for_email("ann@example.com", "/auth/reset/").await);
    let mut conn = app.conn();
    diesel::update(password_reset_tokens::table)
        .set(
            password_reset_tokens::expires_at
                .eq(postmagiq::model::now() - chrono::Duration::minutes(1)),
        )
        .execute(&mut conn)
        .unwrap();
    let res = c
        .post(
            &format!("/auth/reset/{token}"),
            &[
                ("password", "a brand new passphrase"),
                ("password_confirm", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        c.login("ann@example.com", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_newer_reset_link_retires_the_older_one() {
    let app = TestApp::spawn().await;
    app.client().signup("Ann", "ann@example.com").await;
    let c = app.client();
    c.post("/auth/forgot", &[("email", "ann@example.com")])
        .await;
    let first = reset_token_in(&app.wait_for_email("ann@example.com", "/auth/reset/").await);
    c.post("/auth/forgot", &[("email", "ann@example.com")])
        .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.outbox_messages().len() < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "second email not sent"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (status, _) = c.page(&format!("/auth/reset/{first}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn reset_requests_are_limited_per_address_and_per_ip() {
    let app = TestApp::spawn().await;
    app.client().signup("Ann", "ann@example.com").await;
    let c = app.client();
    // Per address: past five, more requests look the same but send nothing.
    for _ in 0..7 {
        let res = c
            .post("/auth/forgot", &[("email", "ann@example.com")])
            .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    // Per IP: the eleventh request in the window is refused.
    for i in 0..3 {
        let email = format!("someone{i}@example.com");
        assert_eq!(
            c.post("/auth/forgot", &[("email", &email)]).await.status(),
            StatusCode::OK
        );
    }
    let res = c
        .post("/auth/forgot", &[("email", "late@example.com")])
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Too many reset requests"));
    let count = || {
        app.outbox_messages()
            .into_iter()
            .filter(|m| m.contains("ann@example.com"))
            .count()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while count() < 5 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Give a sixth email (which must not exist) time to show up.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(count(), 5);
}
