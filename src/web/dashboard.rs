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

pub struct RunLine {
    pub href: String,
    pub title: String,
    pub status: &'static str,
    pub tone: &'static str,
    pub when: String,
}

pub struct StatusCount {
    pub key: &'static str,
    pub label: &'static str,
    pub count: i64,
}

pub struct DueView {
    pub id: String,
    pub title: String,
    pub due: String,
    pub overdue: bool,
    pub status_label: &'static str,
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
    can_write: bool,
    can_strategy: bool,
    recent: Vec<RecentView>,
    counts: Vec<StatusCount>,
    total_posts: i64,
    due: Vec<DueView>,
    can_run: bool,
    can_see_runs: bool,
    runs: Vec<RunLine>,
    credits_left: String,
}

pub async fn index(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    member: Member<need::ContentRead>,
) -> AppResult<HttpResponse> {
    let tenant = member.tenant.clone();
    let can_settings = tenant.can(Scope::WorkspaceSettings);
    let can_see_runs = tenant.can(Scope::WorkflowRead);
    let (member_count, recent, by_status, due, runs) = crate::db::run(&state.pool, move |conn| {
        let count = repo::memberships::count_accepted(conn, &tenant)?;
        let recent = if can_settings {
            repo::audit_logs::page(conn, &tenant, 1, 5)?.0
        } else {
            Vec::new()
        };
        let by_status = repo::posts::count_by_status(conn, &tenant)?;
        let due = repo::posts::due_soon(conn, &tenant, 7, 6)?;
        let runs = if can_see_runs {
            let (rows, _) = repo::runs::list(conn, &tenant, &Default::default(), 0, 5)?;
            let balance = crate::service::usage::balance(conn, &tenant)?;
            Some((rows, balance))
        } else {
            None
        };
        Ok((count, recent, by_status, due, runs))
    })
    .await?;
    let counts: Vec<StatusCount> = crate::service::posts::COLUMNS
        .iter()
        .map(|s| StatusCount {
            key: s.as_str(),
            label: s.label(),
            count: by_status
                .iter()
                .find(|(st, _)| st == s)
                .map(|(_, n)| *n)
                .unwrap_or(0),
        })
        .collect();
    let total_posts = counts.iter().map(|c| c.count).sum();
    let today = crate::model::now();
    let due = due
        .into_iter()
        .map(|p| DueView {
            id: p.id.to_string(),
            title: p.title,
            due: p
                .due_date
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            overdue: p.due_date.is_some_and(|d| d < today),
            status_label: p.status.label(),
        })
        .collect();
    let slug = member.workspace.slug.clone();
    let (runs, credits_left) = match runs {
        None => (Vec::new(), String::new()),
        Some((rows, balance)) => (
            rows.into_iter()
                .map(|r| RunLine {
                    href: crate::web::runs::run_path(&slug, &r.id),
                    title: r.title,
                    status: r.status.label(),
                    tone: crate::web::runs::status_tone(r.status),
                    when: fmt_time(r.started_at),
                })
                .collect(),
            if balance.unlimited() {
                "Unlimited credits".into()
            } else {
                match balance.remaining() {
                    1 => "1 credit left this month".into(),
                    n => format!("{n} credits left this month"),
                }
            },
        ),
    };
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
            can_write: member.tenant.can(Scope::ContentWrite),
            can_strategy: member.tenant.can(Scope::StrategyWrite),
            counts,
            total_posts,
            due,
            can_run: member.tenant.can(Scope::WorkflowExecute),
            can_see_runs,
            runs,
            credits_left,
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
