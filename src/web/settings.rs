//! Workspace settings: name and address, deletion, and the audit log.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::{need, Member, Scope};
use crate::error::AppResult;
use crate::repo;
use crate::service::audit::Actor;
use crate::service::workspaces;
use crate::web::forms::FieldErrors;
use crate::web::shell::{Section, Shell};
use crate::web::{fmt_time, page, see_other};

#[derive(Template, WebTemplate)]
#[template(path = "pages/settings/general.html")]
struct GeneralPage {
    shell: Shell,
    slug: String,
    name: String,
    new_slug: String,
    description: String,
    errors: FieldErrors,
    can_delete: bool,
    delete_error: String,
    story_limit: String,
    story_limit_error: String,
}

pub struct AuditRow {
    pub when: String,
    pub who: String,
    pub action: String,
    pub description: String,
    pub ip: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/settings/audit.html")]
struct AuditPage {
    shell: Shell,
    rows: Vec<AuditRow>,
    page: i64,
    more: bool,
}

pub async fn index(member: Member<need::WorkspaceSettings>) -> HttpResponse {
    see_other(&format!("/w/{}/settings/general", member.workspace.slug))
}

#[allow(clippy::too_many_arguments)]
async fn render_general(
    req: &HttpRequest,
    state: &AppState,
    session: &Session,
    member: &Member<need::WorkspaceSettings>,
    form: Option<&GeneralForm>,
    errors: FieldErrors,
    delete_error: String,
    status: StatusCode,
    limit: Option<(&str, &str)>,
) -> AppResult<HttpResponse> {
    let ws = &member.workspace;
    let (story_limit, story_limit_error) = match limit {
        Some((raw, error)) => (raw.to_string(), error.to_string()),
        None => {
            let tenant = member.tenant.clone();
            let current = crate::db::run(&state.pool, move |conn| {
                crate::service::runs::story_limit(conn, &tenant)
            })
            .await?;
            (current.to_string(), String::new())
        }
    };
    let shell = Shell::app(
        state,
        session,
        &member.auth,
        Some((&member.tenant, ws)),
        Section::Settings,
        "Workspace settings",
    )
    .await?;
    Ok(page(
        req,
        GeneralPage {
            shell,
            slug: ws.slug.clone(),
            name: form.map_or_else(|| ws.name.clone(), |f| f.name.clone()),
            new_slug: form.map_or_else(|| ws.slug.clone(), |f| f.slug.clone()),
            description: form.map_or_else(
                || ws.description.clone().unwrap_or_default(),
                |f| f.description.clone(),
            ),
            errors,
            can_delete: member.tenant.can(Scope::WorkspaceDelete),
            delete_error,
            story_limit,
            story_limit_error,
        },
        status,
    ))
}

pub async fn general(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    member: Member<need::WorkspaceSettings>,
) -> AppResult<HttpResponse> {
    render_general(
        &req,
        &state,
        &session,
        &member,
        None,
        FieldErrors::new(),
        String::new(),
        StatusCode::OK,
        None,
    )
    .await
}

#[derive(Deserialize)]
pub struct GeneralForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    description: String,
}

pub async fn update_general(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    member: Member<need::WorkspaceSettings>,
    form: web::Form<GeneralForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let actor = Actor::from_request(&req, Some(&member.auth.user.id));
    let (tenant, current) = (member.tenant.clone(), member.workspace.clone());
    let (name, slug, description) = (
        form.name.clone(),
        form.slug.clone(),
        form.description.clone(),
    );
    let result = crate::db::tx(&state.pool, move |conn| {
        workspaces::update(conn, &tenant, &current, &name, &slug, &description, &actor)
    })
    .await?;
    match result {
        Ok(()) => {
            crate::web::flash::success(&session, "Workspace settings saved.");
            Ok(see_other(&format!(
                "/w/{}/settings/general",
                form.slug.trim()
            )))
        }
        Err(errors) => {
            render_general(
                &req,
                &state,
                &session,
                &member,
                Some(&form),
                errors,
                String::new(),
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    confirm: String,
}

/// Owner only. The typed slug must match: a slip of the mouse cannot delete a workspace.
pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    owner: Member<need::WorkspaceDelete>,
    form: web::Form<DeleteForm>,
) -> AppResult<HttpResponse> {
    if form.confirm.trim() != owner.workspace.slug {
        // Re-check settings access through the same extractor the page uses.
        let member = owner.into_settings();
        return render_general(
            &req,
            &state,
            &session,
            &member,
            None,
            FieldErrors::new(),
            format!("Type {} exactly to confirm.", member.workspace.slug),
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        )
        .await;
    }
    let actor = Actor::from_request(&req, Some(&owner.auth.user.id));
    let (tenant, workspace) = (owner.tenant.clone(), owner.workspace.clone());
    crate::db::tx(&state.pool, move |conn| {
        workspaces::delete(conn, &tenant, &workspace, &actor)
    })
    .await?;
    crate::web::flash::success(
        &session,
        format!(
            "Workspace \u{201c}{}\u{201d} and everything in it has been deleted.",
            owner.workspace.name
        ),
    );
    Ok(see_other("/workspaces"))
}

#[derive(Deserialize)]
pub struct AuditQuery {
    page: Option<i64>,
}

pub async fn audit(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    member: Member<need::WorkspaceSettings>,
    query: web::Query<AuditQuery>,
) -> AppResult<HttpResponse> {
    const PER_PAGE: i64 = 50;
    let page_no = query.page.unwrap_or(1).clamp(1, 100_000);
    let tenant = member.tenant.clone();
    let (rows, more, names) = crate::db::run(&state.pool, move |conn| {
        let (rows, more) = repo::audit_logs::page(conn, &tenant, page_no, PER_PAGE)?;
        let names = repo::memberships::member_names(conn, &tenant)?;
        Ok((rows, more, names))
    })
    .await?;
    let rows = rows
        .into_iter()
        .map(|r| AuditRow {
            when: fmt_time(r.created_at),
            who: r
                .user_id
                .as_ref()
                .and_then(|id| names.get(id).cloned())
                .unwrap_or_else(|| "System".into()),
            action: r.action,
            description: r.description,
            ip: r.ip_address.unwrap_or_default(),
        })
        .collect();
    let shell = Shell::app(
        &state,
        &session,
        &member.auth,
        Some((&member.tenant, &member.workspace)),
        Section::Audit,
        "Audit log",
    )
    .await?;
    Ok(page(
        &req,
        AuditPage {
            shell,
            rows,
            page: page_no,
            more,
        },
        StatusCode::OK,
    ))
}

#[derive(Deserialize)]
pub struct RunsForm {
    #[serde(default)]
    story_char_limit: String,
}

/// `POST /w/{slug}/settings/runs`: the longest story a run accepts.
pub async fn update_runs(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    member: Member<need::WorkspaceSettings>,
    form: web::Form<RunsForm>,
) -> AppResult<HttpResponse> {
    let raw = form.into_inner().story_char_limit;
    let actor = Actor::from_request(&req, Some(&member.auth.user.id));
    let tenant = member.tenant.clone();
    let value = raw.clone();
    let result = crate::db::tx(&state.pool, move |conn| {
        crate::service::runs::set_story_limit(conn, &tenant, &value, &actor)
    })
    .await?;
    match result {
        Ok(_) => {
            crate::web::flash::success(&session, "Story limit saved.");
            Ok(see_other(&format!(
                "/w/{}/settings/general",
                member.workspace.slug
            )))
        }
        Err(message) => {
            render_general(
                &req,
                &state,
                &session,
                &member,
                None,
                FieldErrors::new(),
                String::new(),
                StatusCode::UNPROCESSABLE_ENTITY,
                Some((&raw, &message)),
            )
            .await
        }
    }
}
