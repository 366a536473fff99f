//! Approvals: the queue, submitting a post, and (in submodules) one request's review page and
//! the stage settings.

pub mod review;
pub mod stages;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::{need, Member, Scope};
use crate::error::AppResult;
use crate::model::RequestStatus;
use crate::repo;
use crate::service::approvals;
use crate::service::audit::Actor;
use crate::web::posts::post_id;
use crate::web::shell::{Section, Shell};
use crate::web::{fmt_time, page, see_other, Ctx};

/// How long something has waited, roughly, as people say it.
pub fn waited(since: chrono::NaiveDateTime) -> String {
    let minutes = (crate::model::now() - since).num_minutes().max(0);
    match minutes {
        0 => "just now".into(),
        1..=59 => format!("{minutes} min"),
        60..=2879 => format!("{} h", minutes / 60),
        _ => format!("{} days", minutes / 1440),
    }
}

pub struct QueueItem {
    pub id: String,
    pub title: String,
    pub stage: String,
    pub submitter: String,
    pub waited: String,
    pub submitted: String,
    pub version: i32,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/approvals/queue.html")]
struct QueuePage {
    shell: Shell,
    slug: String,
    mine: bool,
    items: Vec<QueueItem>,
    mine_count: usize,
    all_count: usize,
    can_configure: bool,
}

#[derive(Deserialize)]
pub struct QueueQuery {
    #[serde(default)]
    tab: Option<String>,
}

pub async fn queue(
    ctx: Ctx,
    member: Member<need::ContentRead>,
    query: web::Query<QueueQuery>,
) -> AppResult<HttpResponse> {
    let mine = query.tab.as_deref() != Some("all");
    let tenant = member.tenant.clone();
    let me = member.auth.user.id.clone();
    let (rows, stages, names) = crate::db::run(&ctx.state.pool, move |conn| {
        Ok((
            repo::approvals::pending(conn, &tenant)?,
            repo::approvals::stages(conn, &tenant)?,
            repo::memberships::member_names(conn, &tenant)?,
        ))
    })
    .await?;
    let role = member.tenant.role();
    let waiting_for_me = |r: &crate::model::ApprovalRequest| {
        r.stage_id
            .as_ref()
            .and_then(|id| stages.iter().find(|s| &s.id == id))
            .is_some_and(|s| {
                approvals::may_decide(s, role, &me, r.submitted_by_id.as_ref()).is_ok()
            })
    };
    let all_count = rows.len();
    let mine_count = rows.iter().filter(|(r, _)| waiting_for_me(r)).count();
    let items = rows
        .iter()
        .filter(|(r, _)| !mine || waiting_for_me(r))
        .map(|(r, title)| QueueItem {
            id: r.id.to_string(),
            title: title.clone(),
            stage: r.stage_name.clone(),
            submitter: r
                .submitted_by_id
                .as_ref()
                .and_then(|u| names.get(u).cloned())
                .unwrap_or_else(|| "A former member".into()),
            waited: waited(r.submitted_at),
            submitted: fmt_time(r.submitted_at),
            version: r.content_version,
        })
        .collect();
    let shell = Shell::app(
        &ctx.state,
        &ctx.session,
        &member.auth,
        Some((&member.tenant, &member.workspace)),
        Section::Approvals,
        "Approvals",
    )
    .await?;
    Ok(page(
        &ctx.req,
        QueuePage {
            shell,
            slug: member.workspace.slug.clone(),
            mine,
            items,
            mine_count,
            all_count,
            can_configure: member.tenant.can(Scope::WorkspaceSettings),
        },
        StatusCode::OK,
    ))
}

/// A request's status as a badge class suffix.
pub fn status_class(status: RequestStatus) -> &'static str {
    match status {
        RequestStatus::Pending => "warning",
        RequestStatus::Approved => "success",
        RequestStatus::Rejected | RequestStatus::ChangesRequested => "danger",
        RequestStatus::Withdrawn => "muted",
    }
}

/// Puts a post up for approval at the first stage, then shows the post again.
pub async fn submit(
    ctx: Ctx,
    member: Member<need::ContentWrite>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let id = post_id(&path.1)?;
    let actor = Actor::from_request(&ctx.req, Some(&member.auth.user.id));
    let tenant = member.tenant.clone();
    let post = id.clone();
    let request = crate::db::tx(&ctx.state.pool, move |conn| {
        approvals::submit(conn, &tenant, &actor, &post)
    })
    .await?;
    crate::web::flash::success(
        &ctx.session,
        format!("Submitted for approval at {}.", request.stage_name),
    );
    Ok(see_other(&format!(
        "/w/{}/posts/{}",
        member.workspace.slug, id
    )))
}
