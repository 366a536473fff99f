//! Workspaces: create, switch, rename, slug rules, delete, roles and isolation.

use diesel::prelude::*;
use postmagiq::db::schema::{audit_logs, users, workspace_memberships as m, workspaces as w};
use postmagiq::model::{now, InviteStatus, MembershipId, Role};
use postmagiq::web::WORKSPACE_ROUTES;
use reqwest::StatusCode;

use crate::support::{location, Client, TestApp};

/// Makes an existing user an accepted member with `role` (the invite flow comes later).
pub fn add_member(app: &TestApp, slug: &str, email: &str, role: Role) {
    let mut conn = app.conn();
    let ws_id: String = w::table
        .filter(w::slug.eq(slug))
        .select(w::id)
        .first(&mut conn)
        .unwrap();
    let user_id: String = users::table
        .filter(users::email.eq(email))
        .select(users::id)
        .first(&mut conn)
        .unwrap();
    let at = now();
    diesel::insert_into(m::table)
        .values((
            m::id.eq(MembershipId::new()),
            m::workspace_id.eq(ws_id),
            m::user_id.eq(user_id),
            m::email.eq(email),
            m::role.eq(role),
            m::invite_status.eq(InviteStatus::Accepted),
            m::accepted_at.eq(at),
            m::created_at.eq(at),
            m::updated_at.eq(at),
        ))
        .execute(&mut conn)
        .unwrap();
}

/// An owner with a workspace at `/w/team` holding an editor and a viewer: (owner, editor, viewer).
pub async fn team_space(app: &TestApp) -> (Client, Client, Client) {
    let owner = app.client();
    owner.signup("Olive Owner", "owner@example.com").await;
    let res = owner
        .post("/workspaces", &[("name", "Team Space"), ("slug", "team")])
        .await;
    assert_eq!(location(&res), "/w/team");
    let editor = app.client();
    editor.signup("Ed Editor", "editor@example.com").await;
    add_member(app, "team", "editor@example.com", Role::Editor);
    let viewer = app.client();
    viewer.signup("Vi Viewer", "viewer@example.com").await;
    add_member(app, "team", "viewer@example.com", Role::Viewer);
    (owner, editor, viewer)
}

/// An owner with a team workspace and one member of each other role.
async fn team(app: &TestApp) -> (String, Client, Client, Client, Client) {
    let owner = app.client();
    owner.signup("Olive Owner", "owner@example.com").await;
    let res = owner
        .post("/workspaces", &[("name", "Team Space"), ("slug", "team")])
        .await;
    assert_eq!(location(&res), "/w/team");
    let mut members = Vec::new();
    for (name, email, role) in [
        ("Ada Admin", "admin@example.com", Role::Admin),
        ("Ed Editor", "editor@example.com", Role::Editor),
        ("Vi Viewer", "viewer@example.com", Role::Viewer),
    ] {
        let c = app.client();
        c.signup(name, email).await;
        add_member(app, "team", email, role);
        members.push(c);
    }
    let viewer = members.pop().unwrap();
    let editor = members.pop().unwrap();
    let admin = members.pop().unwrap();
    ("team".into(), owner, admin, editor, viewer)
}

#[tokio::test]
async fn create_workspace_switch_and_list() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let personal = c.signup("Ann", "ann@example.com").await;
    let res = c
        .post("/workspaces", &[("name", "Acme Agency"), ("slug", "")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/w/acme-agency");
    let (_, body) = c.page("/w/acme-agency").await;
    assert!(body.contains("Acme Agency"));
    // The switcher lists both, marking the current one.
    assert!(body.contains(&format!("href=\"/w/{personal}\"")));
    assert!(body.contains("class=\"menu-item current\""));
    let (_, list) = c.page("/workspaces").await;
    assert!(list.contains("/w/acme-agency") && list.contains(&format!("/w/{personal}")));

    // Same name again: a free slug is suggested automatically.
    let res = c.post("/workspaces", &[("name", "Acme Agency")]).await;
    assert_eq!(location(&res), "/w/acme-agency-2");
}

#[tokio::test]
async fn slug_rules_are_enforced() {
    let app = TestApp::spawn().await;
    let c = app.client();
    c.signup("Ann", "ann@example.com").await;
    for bad in [
        "Upper",
        "-start",
        "end-",
        "two--hyphens",
        "x",
        "spa ce",
        "ünï",
    ] {
        let res = c
            .post("/workspaces", &[("name", "Something"), ("slug", bad)])
            .await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "slug {bad:?}"
        );
        let body = res.text().await.unwrap();
        assert!(
            body.contains("lowercase letters, digits"),
            "slug {bad:?}: message shown"
        );
    }
    c.post("/workspaces", &[("name", "Taken"), ("slug", "taken")])
        .await;
    let res = c
        .post("/workspaces", &[("name", "Other"), ("slug", "taken")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("That address is taken"));
    let res = c.post("/workspaces", &[("name", ""), ("slug", "")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Enter a workspace name."));
}

#[tokio::test]
async fn rename_and_change_slug_in_settings() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let slug = c.signup("Ann", "ann@example.com").await;
    c.post("/workspaces", &[("name", "Other"), ("slug", "other")])
        .await;
    let res = c
        .post(
            &format!("/w/{slug}/settings/general"),
            &[
                ("name", "Ann Writes"),
                ("slug", "ann-writes"),
                ("description", "Posts about craft"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/w/ann-writes/settings/general");
    let (_, body) = c.page("/w/ann-writes/settings/general").await;
    assert!(body.contains("value=\"Ann Writes\""));
    assert!(body.contains("Posts about craft"));
    assert_eq!(
        c.get(&format!("/w/{slug}")).await.status(),
        StatusCode::NOT_FOUND
    );

    let res = c
        .post(
            "/w/ann-writes/settings/general",
            &[("name", "X"), ("slug", "other"), ("description", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("That address is taken"));

    let mut conn = app.conn();
    let renamed: i64 = audit_logs::table
        .filter(audit_logs::action.eq("workspace.renamed"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(renamed, 1);
}

#[tokio::test]
async fn settings_scope_matrix_by_role() {
    let app = TestApp::spawn().await;
    let (slug, owner, admin, editor, viewer) = team(&app).await;
    let general = format!("/w/{slug}/settings/general");
    let audit = format!("/w/{slug}/settings/audit");

    for (who, c, can_settings) in [
        ("owner", &owner, true),
        ("admin", &admin, true),
        ("editor", &editor, false),
        ("viewer", &viewer, false),
    ] {
        let expected = if can_settings {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        let (status, body) = c.page(&general).await;
        assert_eq!(status, expected, "{who} GET settings");
        if !can_settings {
            assert!(
                body.contains("Missing required permission: workspace:settings"),
                "{who}: 403 names the permission"
            );
        }
        assert_eq!(c.get(&audit).await.status(), expected, "{who} GET audit");
        let res = c
            .post(
                &general,
                &[
                    ("name", "Team Space"),
                    ("slug", "team"),
                    ("description", ""),
                ],
            )
            .await;
        let expected_post = if can_settings {
            StatusCode::SEE_OTHER
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(res.status(), expected_post, "{who} POST settings");
        // The dashboard hides the settings link from roles without the scope.
        let (_, dash) = c.page(&format!("/w/{slug}")).await;
        assert_eq!(
            dash.contains(&general),
            can_settings,
            "{who}: settings nav visibility"
        );
    }

    // Only the owner may delete.
    for (who, c) in [("admin", &admin), ("editor", &editor), ("viewer", &viewer)] {
        let res = c
            .post(
                &format!("/w/{slug}/settings/delete"),
                &[("confirm", "team")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{who} delete");
    }
    let mut conn = app.conn();
    let denials: Vec<String> = audit_logs::table
        .filter(audit_logs::action.eq("access.denied"))
        .select(audit_logs::description)
        .load(&mut conn)
        .unwrap();
    assert!(
        denials.iter().any(|d| d.contains("needs workspace:delete")),
        "denials are audited: {denials:?}"
    );
    let (_, admin_page) = admin.page(&general).await;
    assert!(
        !admin_page.contains("Delete workspace"),
        "admin does not see the delete form"
    );
    let (_, owner_page) = owner.page(&general).await;
    assert!(owner_page.contains("Delete workspace"));
}

#[tokio::test]
async fn every_workspace_route_answers_404_to_non_members() {
    let app = TestApp::spawn().await;
    let ann = app.client();
    let ann_slug = ann.signup("Ann", "ann@example.com").await;
    let bob = app.client();
    bob.signup("Bob", "bob@example.com").await;
    let fields = [
        ("name", "Pwned"),
        ("slug", "pwned"),
        ("description", ""),
        ("confirm", ann_slug.as_str()),
    ];
    assert!(WORKSPACE_ROUTES.len() >= 6);
    for (method, route, _) in WORKSPACE_ROUTES {
        for slug in [ann_slug.as_str(), "does-not-exist"] {
            let path = format!("/w/{slug}{route}");
            let status = if *method == actix_web::http::Method::GET {
                bob.get(&path).await.status()
            } else {
                bob.post(&path, &fields).await.status()
            };
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}");
        }
    }
    let (status, body) = ann.page(&format!("/w/{ann_slug}")).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "nothing happened to Ann's workspace"
    );
    assert!(!body.contains("Pwned"));
}

#[tokio::test]
async fn delete_needs_the_typed_slug_and_cascades() {
    let app = TestApp::spawn().await;
    let (slug, owner, _admin, editor, _viewer) = team(&app).await;

    let res = owner
        .post(
            &format!("/w/{slug}/settings/delete"),
            &[("confirm", "wrong")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Type team exactly to confirm."));
    assert_eq!(
        owner.get(&format!("/w/{slug}")).await.status(),
        StatusCode::OK
    );

    let res = owner
        .post(
            &format!("/w/{slug}/settings/delete"),
            &[("confirm", "team")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/workspaces");
    let (_, body) = owner.page("/workspaces").await;
    assert!(body.contains("has been deleted"));
    assert_eq!(
        owner.get(&format!("/w/{slug}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        editor.get(&format!("/w/{slug}")).await.status(),
        StatusCode::NOT_FOUND
    );

    let mut conn = app.conn();
    let left: i64 = w::table
        .filter(w::slug.eq("team"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(left, 0);
    let orphans: i64 = m::table
        .left_join(w::table)
        .filter(w::id.is_null())
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(orphans, 0, "memberships went with the workspace");
    let deleted_logged: i64 = audit_logs::table
        .filter(audit_logs::action.eq("workspace.deleted"))
        .filter(audit_logs::workspace_id.is_null())
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(deleted_logged, 1, "the deletion itself stays on record");
    let tenant_rows: i64 = audit_logs::table
        .filter(audit_logs::action.eq("workspace.created"))
        .filter(audit_logs::description.like("%Team Space%"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(tenant_rows, 0, "the workspace's own audit rows cascaded");
}

#[tokio::test]
async fn deleting_the_default_workspace_sends_sign_in_to_another() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let personal = c.signup("Ann", "ann@example.com").await;
    c.post("/workspaces", &[("name", "Second"), ("slug", "second")])
        .await;
    c.post(
        &format!("/w/{personal}/settings/delete"),
        &[("confirm", &personal)],
    )
    .await;
    let res = c.get("/").await;
    assert_eq!(location(&res), "/w/second");
    c.post("/w/second/settings/delete", &[("confirm", "second")])
        .await;
    let res = c.get("/").await;
    assert_eq!(location(&res), "/workspaces");
    let (_, body) = c.page("/workspaces").await;
    assert!(body.contains("No workspaces yet"));
}

#[tokio::test]
async fn workspace_name_with_script_is_rendered_escaped() {
    let app = TestApp::spawn().await;
    let c = app.client();
    c.signup("Ann", "ann@example.com").await;
    let res = c
        .post(
            "/workspaces",
            &[("name", "<script>alert('x')</script>"), ("slug", "xss")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    for path in [
        "/w/xss",
        "/workspaces",
        "/w/xss/settings/general",
        "/w/xss/settings/audit",
    ] {
        let (_, body) = c.page(path).await;
        assert!(!body.contains("<script>alert"), "{path} has raw script");
        assert!(
            body.contains("&#60;script&#62;alert("),
            "{path} shows it escaped"
        );
    }
}

#[tokio::test]
async fn audit_log_shows_workspace_events_newest_first() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let slug = c.signup("Ann", "ann@example.com").await;
    c.post(
        &format!("/w/{slug}/settings/general"),
        &[("name", "Renamed"), ("slug", &slug), ("description", "")],
    )
    .await;
    let (status, body) = c.page(&format!("/w/{slug}/settings/audit")).await;
    assert_eq!(status, StatusCode::OK);
    let renamed = body.find("workspace.renamed").expect("rename logged");
    let created = body.find("workspace.created").expect("creation logged");
    assert!(renamed < created);
    assert!(body.contains("Ann"), "actor name shown");
}
