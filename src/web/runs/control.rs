//! Steering a run: `POST /w/{slug}/runs/{id}/answer`, `/pause`, `/resume` and `/abort`.
//! htmx requests get the refreshed panels; plain form posts a 303 back to the run page with a
//! flash. A refused action (the run moved on: 409; a bad answer: 400) is shown above the panels
//! with that status. Stopping a run always needs an explicit second confirmation.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse, ResponseError};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::{need, Member};
use crate::error::{AppError, AppResult};
use crate::model::RunId;
use crate::service;
use crate::web::shell::{Section, Shell};
use crate::web::{flash, page, see_other, Ctx};
use crate::workflow::engine::Decision;

use super::detail::{render, Notice};
use super::{is_htmx, run_id, run_path};

#[derive(Deserialize, Default)]
pub struct AnswerForm {
    #[serde(default)]
    pub decision: String,
    #[serde(default)]
    pub feedback: String,
    #[serde(default)]
    pub confirm: String,
}

#[derive(Deserialize, Default)]
pub struct AbortForm {
    #[serde(default)]
    pub confirm: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/runs/confirm_abort.html")]
struct ConfirmAbortPage {
    shell: Shell,
    run_href: String,
    action: String,
    /// Set when the abort comes from the answer form, which stops the run through the
    /// workflow's own abort transition.
    decision: bool,
}

fn confirmed(raw: &str) -> bool {
    raw.trim() == "yes"
}

/// Asks "really abort?" on a page of its own, for browsers without the dialog script.
async fn confirm_page(
    ctx: &Ctx,
    member: &Member<need::WorkflowExecute>,
    id: &RunId,
    action: &str,
    decision: bool,
) -> AppResult<HttpResponse> {
    // Only for a run this workspace has: the page must not confirm that others exist.
    let (tenant, run) = (member.tenant.clone(), id.clone());
    crate::db::run(&ctx.state.pool, move |conn| {
        crate::repo::runs::find(conn, &tenant, &run)?.ok_or(AppError::NotFound)
    })
    .await?;
    let shell = Shell::app(
        &ctx.state,
        &ctx.session,
        &member.auth,
        Some((&member.tenant, &member.workspace)),
        Section::Runs,
        "Abort the run?",
    )
    .await?;
    let run_href = run_path(&member.workspace.slug, id);
    Ok(page(
        &ctx.req,
        ConfirmAbortPage {
            shell,
            action: format!("{run_href}/{action}"),
            run_href,
            decision,
        },
        StatusCode::OK,
    ))
}

/// Runs one service call and answers for htmx or a plain form.
async fn act<F>(
    ctx: Ctx,
    member: Member<need::WorkflowExecute>,
    id: RunId,
    done: &'static str,
    call: F,
) -> AppResult<HttpResponse>
where
    F: FnOnce(&mut crate::db::DbConn, &crate::auth::Tenant, &RunId) -> Result<(), AppError>
        + Send
        + 'static,
{
    let (tenant, run) = (member.tenant.clone(), id.clone());
    let outcome = crate::db::run(&ctx.state.pool, move |conn| call(conn, &tenant, &run)).await;
    let htmx = is_htmx(&ctx);
    match outcome {
        Ok(()) if htmx => {
            let notice = Notice {
                tone: "success",
                message: done.into(),
            };
            render(
                &ctx,
                (&member).into(),
                &id,
                Some(notice),
                StatusCode::OK,
                true,
            )
            .await
        }
        Ok(()) => {
            flash::success(&ctx.session, done);
            Ok(see_other(&run_path(&member.workspace.slug, &id)))
        }
        Err(
            e @ (AppError::Conflict(_) | AppError::BadRequest(_) | AppError::PaymentRequired(_)),
        ) => {
            let notice = Notice {
                tone: "error",
                message: e.to_string(),
            };
            render(
                &ctx,
                (&member).into(),
                &id,
                Some(notice),
                e.status_code(),
                htmx,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

/// `POST …/answer`: `decision` = approved | feedback | abort, with `feedback` text.
pub async fn answer(
    ctx: Ctx,
    member: Member<need::WorkflowExecute>,
    path: web::Path<(String, String)>,
    form: web::Form<AnswerForm>,
) -> AppResult<HttpResponse> {
    let id = run_id(&path.1)?;
    let form = form.into_inner();
    let Some(decision) = Decision::parse(form.decision.trim()) else {
        let notice = Notice {
            tone: "error",
            message: "Choose to approve, send feedback or abort.".into(),
        };
        let htmx = is_htmx(&ctx);
        return render(
            &ctx,
            (&member).into(),
            &id,
            Some(notice),
            StatusCode::BAD_REQUEST,
            htmx,
        )
        .await;
    };
    if decision == Decision::Abort && !confirmed(&form.confirm) {
        return confirm_page(&ctx, &member, &id, "answer", true).await;
    }
    let done = match decision {
        Decision::Approved => "Approved. The run carries on.",
        Decision::Feedback => "Feedback sent. The run revises the post.",
        Decision::Abort => "The run is stopping.",
    };
    let feedback = form.feedback.replace("\r\n", "\n");
    act(ctx, member, id, done, move |conn, tenant, run| {
        service::runs::answer(conn, tenant, run, decision, &feedback)
    })
    .await
}

/// `POST …/pause`
pub async fn pause(
    ctx: Ctx,
    member: Member<need::WorkflowExecute>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let id = run_id(&path.1)?;
    act(
        ctx,
        member,
        id,
        "Pause requested: the run pauses when its current state ends.",
        service::runs::pause,
    )
    .await
}

/// `POST …/resume`
pub async fn resume(
    ctx: Ctx,
    member: Member<need::WorkflowExecute>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let id = run_id(&path.1)?;
    act(ctx, member, id, "Resumed.", service::runs::resume).await
}

/// `POST …/abort` with `confirm=yes`; without it, the confirmation page.
pub async fn abort(
    ctx: Ctx,
    member: Member<need::WorkflowExecute>,
    path: web::Path<(String, String)>,
    form: web::Form<AbortForm>,
) -> AppResult<HttpResponse> {
    let id = run_id(&path.1)?;
    if !confirmed(&form.confirm) {
        return confirm_page(&ctx, &member, &id, "abort", false).await;
    }
    act(
        ctx,
        member,
        id,
        "Abort requested: the run stops.",
        service::runs::abort,
    )
    .await
}
