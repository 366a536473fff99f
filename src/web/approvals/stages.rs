//! Settings → Approvals: the workspace's stages, in review order.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::{need, Member};
use crate::error::{AppError, AppResult};
use crate::model::{ApprovalStage, ApprovalStageId, Role};
use crate::service::approvals::reminders;
use crate::service::approvals::stages::{self, StageInput};
use crate::service::audit::Actor;
use crate::web::forms::FieldErrors;
use crate::web::shell::{Section, Shell};
use crate::web::{page, see_other, Ctx};

fn stage_id(raw: &str) -> AppResult<ApprovalStageId> {
    ApprovalStageId::parse(raw).ok_or(AppError::NotFound)
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/approvals/stages.html")]
struct StagesPage {
    shell: Shell,
    slug: String,
    stages: Vec<ApprovalStage>,
    roles: &'static [Role],
    name_max: usize,
    new_name: String,
    new_errors: FieldErrors,
    /// The stage whose edit failed, with its errors.
    edit_id: String,
    edit_errors: FieldErrors,
    remind_hours: String,
    remind_error: String,
    max_hours: i64,
}

/// A failed reminder form: what was typed and why it was refused.
type RemindRetry = Option<(String, String)>;

async fn render(
    ctx: &Ctx,
    member: &Member<need::WorkspaceSettings>,
    new: (String, FieldErrors),
    edit: (String, FieldErrors),
    remind: RemindRetry,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let (remind_hours, remind_error) = remind.unwrap_or_else(|| {
        (
            reminders::hours(&member.workspace.settings).to_string(),
            String::new(),
        )
    });
    let tenant = member.tenant.clone();
    let actor = Actor::from_request(&ctx.req, Some(&member.auth.user.id));
    let stages = crate::db::tx(&ctx.state.pool, move |conn| {
        stages::list_or_create_defaults(conn, &tenant, &actor)
    })
    .await?;
    let shell = Shell::app(
        &ctx.state,
        &ctx.session,
        &member.auth,
        Some((&member.tenant, &member.workspace)),
        Section::Settings,
        "Approval stages",
    )
    .await?;
    Ok(page(
        &ctx.req,
        StagesPage {
            shell,
            slug: member.workspace.slug.clone(),
            stages,
            roles: &[Role::Viewer, Role::Editor, Role::Admin, Role::Owner],
            name_max: stages::NAME_MAX,
            new_name: new.0,
            new_errors: new.1,
            edit_id: edit.0,
            edit_errors: edit.1,
            remind_hours,
            remind_error,
            max_hours: reminders::MAX_HOURS,
        },
        status,
    ))
}

fn back(member: &Member<need::WorkspaceSettings>) -> HttpResponse {
    see_other(&format!("/w/{}/settings/approvals", member.workspace.slug))
}

pub async fn index(ctx: Ctx, member: Member<need::WorkspaceSettings>) -> AppResult<HttpResponse> {
    render(
        &ctx,
        &member,
        Default::default(),
        Default::default(),
        None,
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
pub struct NewStageForm {
    #[serde(default)]
    name: String,
}

pub async fn create(
    ctx: Ctx,
    member: Member<need::WorkspaceSettings>,
    form: web::Form<NewStageForm>,
) -> AppResult<HttpResponse> {
    let name = form.into_inner().name;
    let actor = Actor::from_request(&ctx.req, Some(&member.auth.user.id));
    let tenant = member.tenant.clone();
    let typed = name.clone();
    let result = crate::db::tx(&ctx.state.pool, move |conn| {
        stages::create(conn, &tenant, &actor, &typed)
    })
    .await?;
    match result {
        Ok(stage) => {
            crate::web::flash::success(
                &ctx.session,
                format!("Added the stage \u{201c}{}\u{201d}.", stage.name),
            );
            Ok(back(&member))
        }
        Err(errors) => {
            render(
                &ctx,
                &member,
                (name, errors),
                Default::default(),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct StageForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    approver_role: String,
    #[serde(default)]
    is_required: Option<String>,
    #[serde(default)]
    is_active: Option<String>,
    #[serde(default)]
    allow_self_approval: Option<String>,
}

pub async fn update(
    ctx: Ctx,
    member: Member<need::WorkspaceSettings>,
    path: web::Path<(String, String)>,
    form: web::Form<StageForm>,
) -> AppResult<HttpResponse> {
    let id = stage_id(&path.1)?;
    let form = form.into_inner();
    let actor = Actor::from_request(&ctx.req, Some(&member.auth.user.id));
    let tenant = member.tenant.clone();
    let sid = id.clone();
    let result = crate::db::tx(&ctx.state.pool, move |conn| {
        stages::update(
            conn,
            &tenant,
            &actor,
            &sid,
            &StageInput {
                name: &form.name,
                approver_role: &form.approver_role,
                is_required: form.is_required.is_some(),
                is_active: form.is_active.is_some(),
                allow_self_approval: form.allow_self_approval.is_some(),
            },
        )
    })
    .await?;
    match result {
        Ok(()) => {
            crate::web::flash::success(&ctx.session, "Stage saved.");
            Ok(back(&member))
        }
        Err(errors) => {
            render(
                &ctx,
                &member,
                Default::default(),
                (id.to_string(), errors),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    direction: String,
}

pub async fn shift(
    ctx: Ctx,
    member: Member<need::WorkspaceSettings>,
    path: web::Path<(String, String)>,
    form: web::Form<MoveForm>,
) -> AppResult<HttpResponse> {
    let id = stage_id(&path.1)?;
    let up = match form.direction.as_str() {
        "up" => true,
        "down" => false,
        _ => return Err(AppError::BadRequest("Move a stage up or down.".into())),
    };
    let actor = Actor::from_request(&ctx.req, Some(&member.auth.user.id));
    let tenant = member.tenant.clone();
    crate::db::tx(&ctx.state.pool, move |conn| {
        stages::shift(conn, &tenant, &actor, &id, up)
    })
    .await?;
    Ok(back(&member))
}

pub async fn delete(
    ctx: Ctx,
    member: Member<need::WorkspaceSettings>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let id = stage_id(&path.1)?;
    let actor = Actor::from_request(&ctx.req, Some(&member.auth.user.id));
    let tenant = member.tenant.clone();
    let stage = crate::db::tx(&ctx.state.pool, move |conn| {
        stages::delete(conn, &tenant, &actor, &id)
    })
    .await?;
    crate::web::flash::success(
        &ctx.session,
        format!("Deleted the stage \u{201c}{}\u{201d}.", stage.name),
    );
    Ok(back(&member))
}

#[derive(Deserialize)]
pub struct RemindForm {
    #[serde(default)]
    hours: String,
}

/// How long a request may wait before its approvers are reminded.
pub async fn reminders(
    ctx: Ctx,
    member: Member<need::WorkspaceSettings>,
    form: web::Form<RemindForm>,
) -> AppResult<HttpResponse> {
    let raw = form.into_inner().hours;
    let actor = Actor::from_request(&ctx.req, Some(&member.auth.user.id));
    let (tenant, workspace) = (member.tenant.clone(), member.workspace.clone());
    let typed = raw.clone();
    let result = crate::db::tx(&ctx.state.pool, move |conn| {
        reminders::set_hours(conn, &tenant, &actor, &workspace, &typed)
    })
    .await?;
    match result {
        Ok(hours) => {
            crate::web::flash::success(
                &ctx.session,
                format!("Approvers will be reminded after {hours} hours."),
            );
            Ok(back(&member))
        }
        Err(message) => {
            render(
                &ctx,
                &member,
                Default::default(),
                Default::default(),
                Some((raw, message)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}
