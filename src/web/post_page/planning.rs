//! Who writes the post, by when, how urgently, in which chapter.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::{post_path, render, Draft};
use crate::auth::{need, Member};
use crate::error::{AppError, AppResult};
use crate::model::UserId;
use crate::repo;
use crate::service::posts::{self, PlanningInput};
use crate::web::posts::post_id;
use crate::web::{see_other, Ctx};

const NOT_A_MEMBER: &str = "Posts can only be assigned to members of this workspace.";

#[derive(Deserialize)]
pub struct AssignForm {
    /// A member's user id; empty unassigns.
    #[serde(default)]
    assignee_id: String,
}

/// Assigns the post to a member or to nobody. Someone who is not a member is refused with 400
/// and the page explains why next to the picker.
pub async fn assign(
    ctx: Ctx,
    member: Member<need::ContentWrite>,
    path: web::Path<(String, String)>,
    form: web::Form<AssignForm>,
) -> AppResult<HttpResponse> {
    let id = post_id(&path.1)?;
    let assignee = match form.assignee_id.trim() {
        "" => None,
        raw => match UserId::parse(raw) {
            Some(user) => Some(user),
            None => return refuse(&ctx, &member, &id, NOT_A_MEMBER.into()).await,
        },
    };
    let actor = member.actor(&ctx.req);
    let (tenant, post_id) = (member.tenant.clone(), id.clone());
    let outcome = crate::db::tx(&ctx.state.pool, move |conn| {
        let post = repo::posts::find(conn, &tenant, &post_id)?.ok_or(AppError::NotFound)?;
        if post.assignee_id == assignee {
            return Ok(Ok(None));
        }
        match posts::assign(conn, &tenant, &actor, &post_id, assignee.as_ref()) {
            Ok(()) => {}
            Err(AppError::BadRequest(message)) => return Ok(Err(message)),
            Err(e) => return Err(e),
        }
        let name = match &assignee {
            Some(user) => repo::post_history::user_names(conn, std::slice::from_ref(user))?
                .remove(user)
                .unwrap_or_else(|| "them".into()),
            None => String::new(),
        };
        Ok(Ok(Some(name)))
    })
    .await?;
    match outcome {
        Ok(Some(name)) if name.is_empty() => {
            crate::web::flash::success(&ctx.session, "Nobody is assigned now.")
        }
        Ok(Some(name)) => crate::web::flash::success(&ctx.session, format!("Assigned to {name}.")),
        Ok(None) => crate::web::flash::info(&ctx.session, "The assignee is unchanged."),
        Err(message) => return refuse(&ctx, &member, &id, message).await,
    }
    Ok(see_other(&post_path(&member.workspace.slug, &id)))
}

async fn refuse(
    ctx: &Ctx,
    member: &Member<need::ContentWrite>,
    id: &crate::model::PostId,
    message: String,
) -> AppResult<HttpResponse> {
    let draft = Draft {
        assign_error: message,
        ..Draft::default()
    };
    render(ctx, member.into(), id, draft, StatusCode::BAD_REQUEST).await
}

#[derive(Deserialize, Default)]
pub struct PlanningForm {
    #[serde(default)]
    pub due_date: String,
    #[serde(default)]
    pub priority: String,
    #[serde(default)]
    pub chapter_id: String,
}

/// Saves due date, priority and chapter; invalid values re-render the page with 422.
pub async fn planning(
    ctx: Ctx,
    member: Member<need::ContentWrite>,
    path: web::Path<(String, String)>,
    form: web::Form<PlanningForm>,
) -> AppResult<HttpResponse> {
    let id = post_id(&path.1)?;
    let form = form.into_inner();
    let actor = member.actor(&ctx.req);
    let (tenant, post_id) = (member.tenant.clone(), id.clone());
    let (due_date, priority, chapter_id) = (
        form.due_date.clone(),
        form.priority.clone(),
        form.chapter_id.clone(),
    );
    let result = crate::db::tx(&ctx.state.pool, move |conn| {
        posts::set_planning(
            conn,
            &tenant,
            &actor,
            &post_id,
            &PlanningInput {
                due_date: &due_date,
                priority: &priority,
                chapter_id: &chapter_id,
            },
        )
    })
    .await?;
    match result {
        Ok(true) => crate::web::flash::success(&ctx.session, "Planning saved."),
        Ok(false) => crate::web::flash::info(&ctx.session, "The planning is unchanged."),
        Err(errors) => {
            let draft = Draft {
                planning: Some(form),
                planning_errors: errors,
                ..Draft::default()
            };
            return render(
                &ctx,
                (&member).into(),
                &id,
                draft,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    }
    Ok(see_other(&post_path(&member.workspace.slug, &id)))
}
