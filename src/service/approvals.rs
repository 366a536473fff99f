//! Multi-stage approvals: a post is submitted, passes each active required stage in order and
//! ends approved, or goes back to its author. Each step writes the post's move, an audit row,
//! a domain event and the notifications in the caller's transaction.

pub mod mentions;
pub mod reminders;
pub mod stages;

use crate::auth::{Scope, Tenant};
use crate::db::DbConn;
use crate::error::AppError;
use crate::model::{
    now, ApprovalComment, ApprovalCommentId, ApprovalRequest, ApprovalRequestId, ApprovalStage,
    NotificationKind, Post, PostId, PostStatus, RequestStatus, UserId,
};
use crate::repo;
use crate::repo::approvals::Person;
use crate::service::audit::{self, Actor, Event};
use crate::service::events::{self, DomainEvent};
use crate::service::notify::{self, Notice};
use crate::service::posts;
use crate::web::forms::FieldErrors;

pub const NOTE_MAX: usize = 5000;
pub const COMMENT_MAX: usize = 5000;

/// Whether `person` may decide at `stage` on a request `submitted_by`: the stage's role or
/// above, the approve permission, and not their own post unless the stage allows it.
pub fn may_decide(
    stage: &ApprovalStage,
    role: crate::model::Role,
    person: &UserId,
    submitted_by: Option<&UserId>,
) -> Result<(), String> {
    if !role.has(Scope::ContentApprove) {
        return Err("Deciding on approvals needs the content:approve permission.".into());
    }
    if !role.at_least(stage.approver_role) {
        return Err(format!(
            "Only members with the {} role or above can decide at \u{201c}{}\u{201d}.",
            stage.approver_role.label().to_lowercase(),
            stage.name
        ));
    }
    if submitted_by == Some(person) && !stage.allow_self_approval {
        return Err(format!(
            "You submitted this post, and \u{201c}{}\u{201d} does not allow approving your own work.",
            stage.name
        ));
    }
    Ok(())
}

/// The first active required stage after `after` (a position), or the first of all.
fn next_stage(stages: &[ApprovalStage], after: Option<i32>) -> Option<&ApprovalStage> {
    stages
        .iter()
        .filter(|s| s.is_active && s.is_required)
        .find(|s| after.is_none_or(|a| s.position > a))
}

/// Opens a pending request at `stage` and tells the people who may decide there.
fn open_request(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
    post: &Post,
    stage: &ApprovalStage,
    submitted_by: Option<&UserId>,
) -> Result<ApprovalRequest, AppError> {
    let request = ApprovalRequest {
        id: ApprovalRequestId::new(),
        workspace_id: tenant.workspace_id().clone(),
        post_id: post.id.clone(),
        stage_id: Some(stage.id.clone()),
        stage_name: stage.name.clone(),
        submitted_by_id: submitted_by.cloned(),
        decided_by_id: None,
        status: RequestStatus::Pending,
        content_version: post.current_version,
        decision_note: String::new(),
        submitted_at: now(),
        decided_at: None,
        reminded_at: None,
    };
    repo::approvals::insert_request(conn, tenant, &request)?;
    events::emit(
        conn,
        tenant,
        actor.user_id.as_ref(),
        &DomainEvent::ApprovalSubmitted {
            post_id: post.id.clone(),
            request_id: request.id.to_string(),
            stage: stage.name.clone(),
        },
    )?;
    for person in repo::approvals::people(conn, tenant)? {
        if may_decide(stage, person.role, &person.id, submitted_by).is_ok() {
            notify::notify(
                conn,
                tenant,
                actor.user_id.as_ref(),
                Notice {
                    recipient: &person.id,
                    kind: NotificationKind::ApprovalRequested,
                    title: format!(
                        "\u{201c}{}\u{201d} waits for your approval at {}",
                        post.title, stage.name
                    ),
                    body: String::new(),
                    link: format!("/approvals/{}", request.id),
                },
            )?;
        }
    }
    Ok(request)
}

/// Puts the post up for review at the first active required stage.
pub fn submit(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
    post_id: &PostId,
) -> Result<ApprovalRequest, AppError> {
    repo::approvals::lock_workspace(conn, tenant)?;
    let post = repo::posts::find(conn, tenant, post_id)?.ok_or(AppError::NotFound)?;
    if let Some(pending) = repo::approvals::pending_for_post(conn, tenant, post_id)? {
        return Err(AppError::Conflict(format!(
            "\u{201c}{}\u{201d} already waits for approval at {}.",
            post.title, pending.stage_name
        )));
    }
    if !matches!(
        post.status,
        PostStatus::Idea | PostStatus::Drafting | PostStatus::ChangesRequested
    ) {
        return Err(AppError::Conflict(format!(
            "Only posts in Idea, Drafting or Changes requested can be submitted; this one is {}.",
            post.status.label()
        )));
    }
    let stages = stages::list_or_create_defaults(conn, tenant, actor)?;
    let Some(stage) = next_stage(&stages, None) else {
        return Err(AppError::Conflict(
            "This workspace has no active required approval stage. Enable one in Settings \u{2192} Approvals.".into(),
        ));
    };
    let request = open_request(conn, tenant, actor, &post, stage, actor.user_id.as_ref())?;
    posts::move_for_approval(conn, tenant, actor, post_id, PostStatus::InReview)?;
    audit::workspace(
        conn,
        tenant,
        actor,
        Event::new(
            "approval.submitted",
            format!(
                "Submitted \u{201c}{}\u{201d} for approval at {}",
                post.title, stage.name
            ),
        )
        .on("approval_request", request.id.as_str()),
    )?;
    Ok(request)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    RequestChanges,
    Reject,
}

impl Decision {
    pub fn parse(s: &str) -> Option<Decision> {
        match s {
            "approve" => Some(Decision::Approve),
            "request-changes" => Some(Decision::RequestChanges),
            "reject" => Some(Decision::Reject),
            _ => None,
        }
    }

    fn status(self) -> RequestStatus {
        match self {
            Decision::Approve => RequestStatus::Approved,
            Decision::RequestChanges => RequestStatus::ChangesRequested,
            Decision::Reject => RequestStatus::Rejected,
        }
    }
}

fn load_pending(
    conn: &mut DbConn,
    tenant: &Tenant,
    id: &ApprovalRequestId,
) -> Result<(ApprovalRequest, Post), AppError> {
    let request = repo::approvals::find_request(conn, tenant, id)?.ok_or(AppError::NotFound)?;
    let post = repo::posts::find(conn, tenant, &request.post_id)?.ok_or(AppError::NotFound)?;
    if request.status != RequestStatus::Pending {
        return Err(AppError::Conflict(format!(
            "This request was already decided: {}.",
            request.status.label().to_lowercase()
        )));
    }
    Ok((request, post))
}

fn mark(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
    request: &ApprovalRequest,
    status: RequestStatus,
    note: &str,
) -> Result<(), AppError> {
    if !repo::approvals::decide(
        conn,
        tenant,
        &request.id,
        status,
        actor.user_id.as_ref(),
        note,
    )? {
        return Err(AppError::Conflict(
            "Someone else decided on this request just now. Reload to see the outcome.".into(),
        ));
    }
    events::emit(
        conn,
        tenant,
        actor.user_id.as_ref(),
        &DomainEvent::ApprovalDecided {
            post_id: request.post_id.clone(),
            request_id: request.id.to_string(),
            decision: status.as_str().to_string(),
        },
    )?;
    Ok(())
}

/// A reviewer's decision. Notes are required to request changes or reject: the author needs
/// to know what to fix.
pub fn decide(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
    id: &ApprovalRequestId,
    decision: Decision,
    note: &str,
) -> Result<Result<RequestStatus, FieldErrors>, AppError> {
    repo::approvals::lock_workspace(conn, tenant)?;
    let (request, post) = load_pending(conn, tenant, id)?;
    let user = actor.user_id.as_ref().ok_or(AppError::Unauthenticated)?;
    let stage = request
        .stage_id
        .as_ref()
        .map(|s| repo::approvals::find_stage(conn, tenant, s))
        .transpose()?
        .flatten();
    if let Some(stage) = &stage {
        may_decide(stage, tenant.role(), user, request.submitted_by_id.as_ref())
            .map_err(AppError::Forbidden)?;
    } else if !tenant.can(Scope::ContentApprove) {
        return Err(AppError::MissingScope(Scope::ContentApprove));
    }
    let note = note.trim();
    let mut errors = FieldErrors::new();
    if decision != Decision::Approve && note.is_empty() {
        errors.add(
            "note",
            "Say what needs to change: a note is required to request changes or reject.",
        );
    } else if note.chars().count() > NOTE_MAX {
        errors.add(
            "note",
            format!("Keep the note to {NOTE_MAX} characters or fewer."),
        );
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    if post.status != PostStatus::InReview {
        return Err(AppError::Conflict(format!(
            "\u{201c}{}\u{201d} was moved to {} on the board after it was submitted. The submitter can withdraw the request and submit the post again.",
            post.title,
            post.status.label()
        )));
    }
    let status = decision.status();
    mark(conn, tenant, actor, &request, status, note)?;
    let (kind, title) = match decision {
        Decision::Approve => (
            NotificationKind::PostApproved,
            format!(
                "\u{201c}{}\u{201d} passed {}",
                post.title, request.stage_name
            ),
        ),
        Decision::RequestChanges => (
            NotificationKind::ChangesRequested,
            format!(
                "Changes requested on \u{201c}{}\u{201d} at {}",
                post.title, request.stage_name
            ),
        ),
        Decision::Reject => (
            NotificationKind::PostRejected,
            format!(
                "\u{201c}{}\u{201d} was rejected at {}",
                post.title, request.stage_name
            ),
        ),
    };
    let mut next_request = None;
    match decision {
        Decision::Approve => {
            let stages = repo::approvals::stages(conn, tenant)?;
            let after = stage.as_ref().map(|s| s.position);
            match after.and_then(|a| next_stage(&stages, Some(a))) {
                Some(next) => {
                    next_request = Some(open_request(
                        conn,
                        tenant,
                        actor,
                        &post,
                        next,
                        request.submitted_by_id.as_ref(),
                    )?);
                }
                None => {
                    posts::move_for_approval(conn, tenant, actor, &post.id, PostStatus::Approved)?;
                }
            }
        }
        Decision::RequestChanges => {
            posts::move_for_approval(conn, tenant, actor, &post.id, PostStatus::ChangesRequested)?;
        }
        Decision::Reject => {
            posts::move_for_approval(conn, tenant, actor, &post.id, PostStatus::Drafting)?;
        }
    }
    if let Some(submitter) = &request.submitted_by_id {
        notify::notify(
            conn,
            tenant,
            actor.user_id.as_ref(),
            Notice {
                recipient: submitter,
                kind,
                title: match &next_request {
                    Some(n) => format!("{title}; next: {}", n.stage_name),
                    None => title,
                },
                body: note.to_string(),
                link: format!("/approvals/{}", request.id),
            },
        )?;
    }
    audit::workspace(
        conn,
        tenant,
        actor,
        Event::new(
            "approval.decided",
            format!(
                "{} \u{201c}{}\u{201d} at {}",
                match decision {
                    Decision::Approve => "Approved",
                    Decision::RequestChanges => "Requested changes to",
                    Decision::Reject => "Rejected",
                },
                post.title,
                request.stage_name
            ),
        )
        .on("approval_request", request.id.as_str())
        .change(
            serde_json::json!({"status": RequestStatus::Pending}),
            serde_json::json!({"status": status, "note": note}),
        ),
    )?;
    Ok(Ok(status))
}

/// The submitter takes a pending request back; the post returns to Drafting.
pub fn withdraw(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
    id: &ApprovalRequestId,
) -> Result<(), AppError> {
    repo::approvals::lock_workspace(conn, tenant)?;
    let (request, post) = load_pending(conn, tenant, id)?;
    if actor.user_id.is_none() || request.submitted_by_id != actor.user_id {
        return Err(AppError::Forbidden(
            "Only the person who submitted this post can withdraw it.".into(),
        ));
    }
    mark(conn, tenant, actor, &request, RequestStatus::Withdrawn, "")?;
    // A post moved on from review by hand stays where it is; only the request ends.
    if post.status == PostStatus::InReview {
        posts::move_for_approval(conn, tenant, actor, &post.id, PostStatus::Drafting)?;
    }
    audit::workspace(
        conn,
        tenant,
        actor,
        Event::new(
            "approval.withdrawn",
            format!(
                "Withdrew \u{201c}{}\u{201d} from {}",
                post.title, request.stage_name
            ),
        )
        .on("approval_request", request.id.as_str()),
    )?;
    Ok(())
}

/// Adds a comment to a request and tells the people it @mentions, and the submitter.
pub fn comment(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
    id: &ApprovalRequestId,
    body: &str,
    internal: bool,
) -> Result<Result<(), FieldErrors>, AppError> {
    repo::approvals::lock_workspace(conn, tenant)?;
    let request = repo::approvals::find_request(conn, tenant, id)?.ok_or(AppError::NotFound)?;
    let post = repo::posts::find(conn, tenant, &request.post_id)?.ok_or(AppError::NotFound)?;
    let body = body.trim();
    let mut errors = FieldErrors::new();
    if body.is_empty() {
        errors.add("body", "Write a comment first.");
    } else if body.chars().count() > COMMENT_MAX {
        errors.add(
            "body",
            format!("Keep the comment to {COMMENT_MAX} characters or fewer."),
        );
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let comment = ApprovalComment {
        id: ApprovalCommentId::new(),
        workspace_id: tenant.workspace_id().clone(),
        request_id: request.id.clone(),
        author_id: actor.user_id.clone(),
        body: body.to_string(),
        is_internal: internal,
        created_at: now(),
    };
    repo::approvals::insert_comment(conn, tenant, &comment)?;
    events::emit(
        conn,
        tenant,
        actor.user_id.as_ref(),
        &DomainEvent::ApprovalCommented {
            post_id: post.id.clone(),
            request_id: request.id.to_string(),
        },
    )?;
    let people: Vec<Person> = repo::approvals::people(conn, tenant)?;
    let author = people
        .iter()
        .find(|p| Some(&p.id) == actor.user_id.as_ref())
        .map_or_else(|| "Someone".to_string(), |p| p.name.clone());
    let link = format!("/approvals/{}", request.id);
    let excerpt: String = body.chars().take(300).collect();
    let mentioned = mentions::find(body, &people);
    for user in &mentioned {
        notify::notify(
            conn,
            tenant,
            actor.user_id.as_ref(),
            Notice {
                recipient: user,
                kind: NotificationKind::Mentioned,
                title: format!("{author} mentioned you on \u{201c}{}\u{201d}", post.title),
                body: excerpt.clone(),
                link: link.clone(),
            },
        )?;
    }
    if let Some(submitter) = request
        .submitted_by_id
        .as_ref()
        .filter(|s| !mentioned.contains(s))
    {
        notify::notify(
            conn,
            tenant,
            actor.user_id.as_ref(),
            Notice {
                recipient: submitter,
                kind: NotificationKind::CommentAdded,
                title: format!("{author} commented on \u{201c}{}\u{201d}", post.title),
                body: excerpt,
                link,
            },
        )?;
    }
    audit::workspace(
        conn,
        tenant,
        actor,
        Event::new(
            "approval.commented",
            format!("Commented on the review of \u{201c}{}\u{201d}", post.title),
        )
        .on("approval_comment", comment.id.as_str()),
    )?;
    Ok(Ok(()))
}
