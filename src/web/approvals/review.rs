//! One approval request: the submitted text, what changed since the last review, the
//! discussion, the post's review history, and the decision forms.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::scopes::RequiredScope;
use crate::auth::{need, Member, Scope};
use crate::error::{AppError, AppResult};
use crate::model::{ApprovalRequestId, RequestStatus};
use crate::repo;
use crate::service::approvals::{self, Decision};
use crate::service::audit::Actor;
use crate::web::forms::FieldErrors;
use crate::web::post_page::diff::{self, Segment};
use crate::web::shell::{Section, Shell};
use crate::web::{fmt_time, page, see_other, Ctx};

use super::{status_class, waited};

fn request_id(raw: &str) -> AppResult<ApprovalRequestId> {
    ApprovalRequestId::parse(raw).ok_or(AppError::NotFound)
}

pub struct CommentView {
    pub author: String,
    pub when: String,
    pub body: String,
    pub internal: bool,
}

pub struct HistoryRow {
    pub id: String,
    pub stage: String,
    pub status: RequestStatus,
    pub class: &'static str,
    pub submitter: String,
    pub submitted: String,
    pub decider: String,
    pub decided: String,
    pub note: String,
    pub version: i32,
    pub current: bool,
}

/// What a failed form brings back to the page.
#[derive(Default)]
struct Retry {
    errors: FieldErrors,
    note: String,
    comment: String,
    internal: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/approvals/show.html")]
struct RequestPage {
    shell: Shell,
    slug: String,
    id: String,
    post_id: String,
    title: String,
    stage: String,
    status: RequestStatus,
    status_class: &'static str,
    submitter: String,
    waited: String,
    version: i32,
    current_version: i32,
    text: String,
    diff_from: i32,
    diff: Vec<Segment>,
    diff_changed: bool,
    comments: Vec<CommentView>,
    history: Vec<HistoryRow>,
    pending: bool,
    decide_problem: String,
    can_withdraw: bool,
    can_comment: bool,
    retry: Retry,
}

async fn render<S: RequiredScope + 'static>(
    ctx: &Ctx,
    member: &Member<S>,
    id: ApprovalRequestId,
    retry: Retry,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let tenant = member.tenant.clone();
    let (request, post, text, old_text, history, comments, stage, names) =
        crate::db::run(&ctx.state.pool, move |conn| {
            let request =
                repo::approvals::find_request(conn, &tenant, &id)?.ok_or(AppError::NotFound)?;
            let post =
                repo::posts::find(conn, &tenant, &request.post_id)?.ok_or(AppError::NotFound)?;
            let history = repo::approvals::for_post(conn, &tenant, &post.id)?;
            // The last review before this one saw this version; the first review compares
            // with the first version.
            let from = history
                .iter()
                .filter(|r| r.submitted_at < request.submitted_at && r.id != request.id)
                .map(|r| r.content_version)
                .next()
                .unwrap_or(1);
            let text = repo::post_versions::find(conn, &tenant, &post.id, request.content_version)?
                .map_or_else(|| post.body.clone(), |v| v.body);
            let old = repo::post_versions::find(conn, &tenant, &post.id, from)?
                .map_or_else(String::new, |v| v.body);
            let comments = repo::approvals::comments(conn, &tenant, &request.id)?;
            let stage = request
                .stage_id
                .as_ref()
                .map(|s| repo::approvals::find_stage(conn, &tenant, s))
                .transpose()?
                .flatten();
            let names = repo::memberships::member_names(conn, &tenant)?;
            Ok((
                request,
                post,
                text,
                (from, old),
                history,
                comments,
                stage,
                names,
            ))
        })
        .await?;
    let name = |u: Option<&crate::model::UserId>| {
        u.and_then(|u| names.get(u).cloned())
            .unwrap_or_else(|| "A former member".into())
    };
    let me = &member.auth.user.id;
    let pending = request.status == RequestStatus::Pending;
    let decide_problem = match &stage {
        _ if !pending => String::new(),
        Some(stage) => approvals::may_decide(
            stage,
            member.tenant.role(),
            me,
            request.submitted_by_id.as_ref(),
        )
        .err()
        .unwrap_or_default(),
        None => "This request's stage no longer exists.".into(),
    };
    let (diff_from, old) = old_text;
    let segments = diff::words(&old, &text);
    let history = history
        .iter()
        .map(|r| HistoryRow {
            id: r.id.to_string(),
            stage: r.stage_name.clone(),
            status: r.status,
            class: status_class(r.status),
            submitter: name(r.submitted_by_id.as_ref()),
            submitted: fmt_time(r.submitted_at),
            decider: r
                .decided_by_id
                .as_ref()
                .map_or_else(String::new, |u| name(Some(u))),
            decided: r.decided_at.map(fmt_time).unwrap_or_default(),
            note: r.decision_note.clone(),
            version: r.content_version,
            current: r.id == request.id,
        })
        .collect();
    let shell = Shell::app(
        &ctx.state,
        &ctx.session,
        &member.auth,
        Some((&member.tenant, &member.workspace)),
        Section::Approvals,
        format!("Review: {}", post.title),
    )
    .await?;
    Ok(page(
        &ctx.req,
        RequestPage {
            shell,
            slug: member.workspace.slug.clone(),
            id: request.id.to_string(),
            post_id: post.id.to_string(),
            title: post.title.clone(),
            stage: request.stage_name.clone(),
            status: request.status,
            status_class: status_class(request.status),
            submitter: name(request.submitted_by_id.as_ref()),
            waited: waited(request.submitted_at),
            version: request.content_version,
            current_version: post.current_version,
            text,
            diff_from,
            diff_changed: diff::changed(&segments),
            diff: segments,
            comments: comments
                .into_iter()
                .map(|c| CommentView {
                    author: name(c.author_id.as_ref()),
                    when: fmt_time(c.created_at),
                    body: c.body,
                    internal: c.is_internal,
                })
                .collect(),
            history,
            pending,
            decide_problem,
            can_withdraw: pending && request.submitted_by_id.as_ref() == Some(me),
            can_comment: member.tenant.can(Scope::ContentWrite),
            retry,
        },
        status,
    ))
}

pub async fn show(
    ctx: Ctx,
    member: Member<need::ContentRead>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let id = request_id(&path.1)?;
    render(&ctx, &member, id, Retry::default(), StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    note: String,
}

/// Approve, request changes or reject (the `decision` field says which).
pub async fn decide(
    ctx: Ctx,
    member: Member<need::ContentApprove>,
    path: web::Path<(String, String)>,
    form: web::Form<DecisionForm>,
) -> AppResult<HttpResponse> {
    let id = request_id(&path.1)?;
    let form = form.into_inner();
    let decision = Decision::parse(form.decision.trim())
        .ok_or_else(|| AppError::BadRequest("Choose approve, request changes or reject.".into()))?;
    let actor = Actor::from_request(&ctx.req, Some(&member.auth.user.id));
    let tenant = member.tenant.clone();
    let (rid, note) = (id.clone(), form.note.clone());
    let result = crate::db::tx(&ctx.state.pool, move |conn| {
        approvals::decide(conn, &tenant, &actor, &rid, decision, &note)
    })
    .await?;
    match result {
        Ok(status) => {
            crate::web::flash::success(
                &ctx.session,
                match status {
                    RequestStatus::Approved => "Approved.",
                    RequestStatus::ChangesRequested => "Changes requested; the author was told.",
                    _ => "Rejected; the post went back to drafting.",
                },
            );
            Ok(see_other(&format!(
                "/w/{}/approvals/{}",
                member.workspace.slug, id
            )))
        }
        Err(errors) => {
            let retry = Retry {
                errors,
                note: form.note,
                ..Retry::default()
            };
            render(&ctx, &member, id, retry, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

pub async fn withdraw(
    ctx: Ctx,
    member: Member<need::ContentWrite>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let id = request_id(&path.1)?;
    let actor = Actor::from_request(&ctx.req, Some(&member.auth.user.id));
    let tenant = member.tenant.clone();
    let rid = id.clone();
    crate::db::tx(&ctx.state.pool, move |conn| {
        approvals::withdraw(conn, &tenant, &actor, &rid)
    })
    .await?;
    crate::web::flash::success(&ctx.session, "Withdrawn; the post went back to drafting.");
    Ok(see_other(&format!(
        "/w/{}/approvals/{}",
        member.workspace.slug, id
    )))
}

#[derive(Deserialize)]
pub struct CommentForm {
    #[serde(default)]
    body: String,
    #[serde(default)]
    internal: Option<String>,
}

pub async fn comment(
    ctx: Ctx,
    member: Member<need::ContentWrite>,
    path: web::Path<(String, String)>,
    form: web::Form<CommentForm>,
) -> AppResult<HttpResponse> {
    let id = request_id(&path.1)?;
    let form = form.into_inner();
    let internal = form.internal.is_some();
    let actor = Actor::from_request(&ctx.req, Some(&member.auth.user.id));
    let tenant = member.tenant.clone();
    let (rid, body) = (id.clone(), form.body.clone());
    let result = crate::db::tx(&ctx.state.pool, move |conn| {
        approvals::comment(conn, &tenant, &actor, &rid, &body, internal)
    })
    .await?;
    match result {
        Ok(()) => Ok(see_other(&format!(
            "/w/{}/approvals/{}#comments",
            member.workspace.slug, id
        ))),
        Err(errors) => {
            let retry = Retry {
                errors,
                comment: form.body,
                internal,
                ..Retry::default()
            };
            render(&ctx, &member, id, retry, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}
