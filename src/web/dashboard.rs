//! The workspace dashboard.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use askama_web::WebTemplate;

use crate::app::AppState;
use crate::auth::{need, Member, Scope};
use crate::error::AppResult;
use crate::model::Role;
use crate::repo;
use crate::web::shell::{Section, Shell};
use crate::web::{fmt_time, page};

pub struct RecentView {
    pub when: String,
    pub description: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/dashboard/index.html")]
struct DashboardPage {
    shell: Shell,
    workspace_name: String,
    slug: String,
    first_name: String,
    role_label: &'static str,
    role_article: &'static str,
    member_count: i64,
    created: String,
    permissions: Vec<&'static str>,
    can_settings: bool,
    recent: Vec<RecentView>,
}

pub async fn index(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    member: Member<need::ContentRead>,
) -> AppResult<HttpResponse> {
    let tenant = member.tenant.clone();
    let can_settings = tenant.can(Scope::WorkspaceSettings);
    let (member_count, recent) = crate::db::run(&state.pool, move |conn| {
        let count = repo::memberships::count_accepted(conn, &tenant)?;
        let recent = if can_settings {
            repo::audit_logs::page(conn, &tenant, 1, 5)?.0
        } else {
            Vec::new()
        };
        Ok((count, recent))
    })
    .await?;
    let role = member.tenant.role();
    let shell = Shell::app(
        &state,
        &session,
        &member.auth,
        Some((&member.tenant, &member.workspace)),
        Section::Dashboard,
        member.workspace.name.clone(),
    )
    .await?;
    Ok(page(
        &req,
        DashboardPage {
            shell,
            workspace_name: member.workspace.name.clone(),
            slug: member.workspace.slug.clone(),
            first_name: member
                .user()
                .name
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string(),
            role_label: role.label(),
            role_article: if role == Role::Viewer { "a" } else { "an" },
            member_count,
            created: member.workspace.created_at.format("%Y-%m-%d").to_string(),
            permissions: Scope::ALL
                .iter()
                .filter(|s| member.tenant.can(**s))
                .map(|s| s.as_str())
                .collect(),
            can_settings,
            recent: recent
                .into_iter()
                .map(|r| RecentView {
                    when: fmt_time(r.created_at),
                    description: r.description,
                })
                .collect(),
        },
        StatusCode::OK,
    ))
}
