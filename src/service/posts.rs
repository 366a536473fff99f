//! Post lifecycle: creation, text versions, board moves, assignment and restore. Every change
//! writes its history row, its audit row and its domain event in the caller's transaction.

use diesel::QueryResult;

use crate::auth::{Scope, Tenant};
use crate::db::DbConn;
use crate::error::AppError;
use crate::model::{
    now, AssignmentAction, AssignmentChange, ChapterId, HistoryId, NotificationKind, Post, PostId,
    PostStatus, PostVersion, PostVersionId, Priority, StatusChange, UserId, VersionSource,
};
use crate::repo;
use crate::service::audit::{self, Actor, Event};
use crate::service::events::{self, DomainEvent};
use crate::service::notify::{self, Notice};
use crate::web::forms::FieldErrors;

pub const TITLE_MAX: usize = 200;
pub const BODY_MAX: usize = 20_000;

/// The board's columns in order.
pub const COLUMNS: [PostStatus; 7] = [
    PostStatus::Idea,
    PostStatus::Drafting,
    PostStatus::InReview,
    PostStatus::ChangesRequested,
    PostStatus::Approved,
    PostStatus::Scheduled,
    PostStatus::Published,
];

/// Where a post may go from `from`.
pub fn next_statuses(from: PostStatus) -> &'static [PostStatus] {
    use PostStatus::*;
    match from {
        Idea => &[Drafting],
        Drafting => &[Idea, InReview],
        InReview => &[Drafting, ChangesRequested, Approved],
        ChangesRequested => &[Drafting, InReview],
        Approved => &[InReview, Scheduled, Published],
        Scheduled => &[Approved, Published],
        Published => &[Approved],
    }
}

/// Why a move is refused, in words for the person who tried it; `None` when it is allowed.
/// Moving at all needs content:write (checked by the route); approving needs content:approve.
pub fn move_problem(tenant: &Tenant, from: PostStatus, to: PostStatus) -> Option<String> {
    if from == to {
        return None;
    }
    if !next_statuses(from).contains(&to) {
        return Some(format!(
            "A post cannot go from {} to {}.",
            from.label(),
            to.label()
        ));
    }
    if to == PostStatus::Approved && !tenant.can(Scope::ContentApprove) {
        return Some("Approving a post needs the content:approve permission.".into());
    }
    None
}

/// What a new post starts with.
pub struct NewPost<'a> {
    pub title: &'a str,
    pub body: &'a str,
    pub chapter_id: Option<ChapterId>,
    pub status: PostStatus,
    pub post_number: Option<i32>,
    pub shape: &'a str,
    pub guidance: &'a str,
}

fn check_text(title: &str, body: &str) -> FieldErrors {
    let mut errors = FieldErrors::new();
    let title_len = title.trim().chars().count();
    if title_len == 0 {
        errors.add("title", "Give the post a title.");
    } else if title_len > TITLE_MAX {
        errors.add(
            "title",
            format!("Keep the title to {TITLE_MAX} characters or fewer."),
        );
    }
    if body.chars().count() > BODY_MAX {
        errors.add(
            "body",
            format!("Keep the text to {BODY_MAX} characters or fewer."),
        );
    }
    errors
}

fn chapter_belongs(
    conn: &mut DbConn,
    tenant: &Tenant,
    chapter: Option<&ChapterId>,
) -> QueryResult<bool> {
    match chapter {
        None => Ok(true),
        Some(id) => Ok(repo::chapters::find(conn, tenant, id)?.is_some()),
    }
}

pub fn create(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
    new: NewPost<'_>,
) -> Result<Result<Post, FieldErrors>, AppError> {
    let mut errors = check_text(new.title, new.body);
    if !chapter_belongs(conn, tenant, new.chapter_id.as_ref())? {
        errors.add("chapter_id", "Choose a chapter of this workspace.");
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let at = now();
    let post = Post {
        id: PostId::new(),
        workspace_id: tenant.workspace_id().clone(),
        chapter_id: new.chapter_id,
        post_number: new.post_number,
        title: new.title.trim().to_string(),
        shape: new.shape.trim().to_string(),
        guidance: new.guidance.trim().to_string(),
        body: new.body.to_string(),
        status: new.status,
        priority: Priority::Medium,
        assignee_id: None,
        due_date: None,
        last_run_score: None,
        current_version: 1,
        board_position: repo::posts::next_position(),
        created_by_id: actor.user_id.clone(),
        published_at: None,
        created_at: at,
        updated_at: at,
    };
    repo::posts::insert(conn, tenant, &post)?;
    add_version(
        conn,
        tenant,
        actor,
        &post,
        1,
        VersionSource::Human,
        "Created",
    )?;
    events::emit(
        conn,
        tenant,
        actor.user_id.as_ref(),
        &DomainEvent::PostCreated {
            post_id: post.id.clone(),
            title: post.title.clone(),
            status: post.status,
        },
    )?;
    Ok(Ok(post))
}

fn add_version(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
    post: &Post,
    version: i32,
    source: VersionSource,
    note: &str,
) -> QueryResult<()> {
    repo::post_versions::insert(
        conn,
        tenant,
        &PostVersion {
            id: PostVersionId::new(),
            workspace_id: tenant.workspace_id().clone(),
            post_id: post.id.clone(),
            version,
            title: post.title.clone(),
            body: post.body.clone(),
            source,
            author_id: actor.user_id.clone(),
            note: note.to_string(),
            created_at: now(),
        },
    )
}

/// Saves new text as the next version. Unchanged text saves nothing and returns the current
/// version number.
pub fn update_text(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
    id: &PostId,
    title: &str,
    body: &str,
    source: VersionSource,
) -> Result<Result<i32, FieldErrors>, AppError> {
    let errors = check_text(title, body);
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let mut post = repo::posts::find(conn, tenant, id)?.ok_or(AppError::NotFound)?;
    let title = title.trim();
    if post.title == title && post.body == body {
        return Ok(Ok(post.current_version));
    }
    let version = post.current_version + 1;
    post.title = title.to_string();
    post.body = body.to_string();
    repo::posts::set_text(conn, tenant, id, &post.title, &post.body, version)?;
    let note = match source {
        VersionSource::Workflow => "Workflow result",
        VersionSource::Import => "Imported",
        _ => "Edited",
    };
    add_version(conn, tenant, actor, &post, version, source, note)?;
    events::emit(
        conn,
        tenant,
        actor.user_id.as_ref(),
        &DomainEvent::PostUpdated {
            post_id: id.clone(),
            version,
        },
    )?;
    Ok(Ok(version))
}

/// The note on versions that autosave made, so the next autosave can tell them apart.
pub const AUTOSAVE_NOTE: &str = "Autosaved";
/// Autosaves by the same person within this long refine one version instead of adding more.
pub const AUTOSAVE_WINDOW: chrono::Duration = chrono::Duration::minutes(10);

/// Saves text typed in the editor while the author pauses. A burst of autosaves by one person
/// refines a single version, so the history keeps versions worth comparing; the first version,
/// a deliberate save, and someone else's version are never overwritten. Returns the current
/// version and whether anything was saved.
pub fn autosave_text(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
    id: &PostId,
    title: &str,
    body: &str,
) -> Result<Result<(i32, bool), FieldErrors>, AppError> {
    let errors = check_text(title, body);
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let post = repo::posts::find(conn, tenant, id)?.ok_or(AppError::NotFound)?;
    let title = title.trim();
    if post.title == title && post.body == body {
        return Ok(Ok((post.current_version, false)));
    }
    let latest = repo::post_versions::find(conn, tenant, id, post.current_version)?;
    let refine = latest.filter(|v| {
        v.version > 1
            && v.note == AUTOSAVE_NOTE
            && v.author_id.is_some()
            && v.author_id == actor.user_id
            && now() - v.created_at < AUTOSAVE_WINDOW
    });
    let Some(latest) = refine else {
        return match update_text(conn, tenant, actor, id, title, body, VersionSource::Human)? {
            Ok(version) => {
                repo::post_versions::set_note(conn, tenant, id, version, AUTOSAVE_NOTE)?;
                Ok(Ok((version, true)))
            }
            Err(errors) => Ok(Err(errors)),
        };
    };
    repo::posts::set_text(conn, tenant, id, title, body, latest.version)?;
    repo::post_versions::set_text(conn, tenant, id, latest.version, title, body)?;
    events::emit(
        conn,
        tenant,
        actor.user_id.as_ref(),
        &DomainEvent::PostUpdated {
            post_id: id.clone(),
            version: latest.version,
        },
    )?;
    Ok(Ok((latest.version, true)))
}

/// Makes an old version's text current again, as a new version.
pub fn restore(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
    id: &PostId,
    version: i32,
) -> Result<i32, AppError> {
    let old = repo::post_versions::find(conn, tenant, id, version)?.ok_or(AppError::NotFound)?;
    let mut post = repo::posts::find(conn, tenant, id)?.ok_or(AppError::NotFound)?;
    let next = post.current_version + 1;
    post.title = old.title;
    post.body = old.body;
    repo::posts::set_text(conn, tenant, id, &post.title, &post.body, next)?;
    add_version(
        conn,
        tenant,
        actor,
        &post,
        next,
        VersionSource::Restore,
        &format!("Restored version {version}"),
    )?;
    events::emit(
        conn,
        tenant,
        actor.user_id.as_ref(),
        &DomainEvent::PostUpdated {
            post_id: id.clone(),
            version: next,
        },
    )?;
    Ok(next)
}

/// Moves a post to another column, if the rules allow it.
pub fn move_to(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
    id: &PostId,
    to: PostStatus,
) -> Result<Post, AppError> {
    let post = repo::posts::find(conn, tenant, id)?.ok_or(AppError::NotFound)?;
    let from = post.status;
    if from == to {
        return Ok(post);
    }
    if let Some(problem) = move_problem(tenant, from, to) {
        return Err(
            if to == PostStatus::Approved && next_statuses(from).contains(&to) {
                AppError::Forbidden(problem)
            } else {
                AppError::Conflict(problem)
            },
        );
    }
    if to == PostStatus::Approved && repo::approvals::any_active_stage(conn, tenant)? {
        return Err(AppError::Conflict(APPROVE_THROUGH_STAGES.into()));
    }
    record_move(conn, tenant, actor, post, to)
}

/// Why a hand move to Approved is refused once the workspace reviews through stages.
pub const APPROVE_THROUGH_STAGES: &str =
    "This workspace approves posts through its approval stages: submit it for approval.";

/// The approvals service's own moves (submit, decide, withdraw). Its rules replace the board's
/// (they were checked by the caller), so only the race check remains; history, audit and the
/// event are written exactly as for a board move.
pub fn move_for_approval(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
    id: &PostId,
    to: PostStatus,
) -> Result<Post, AppError> {
    let post = repo::posts::find(conn, tenant, id)?.ok_or(AppError::NotFound)?;
    if post.status == to {
        return Ok(post);
    }
    record_move(conn, tenant, actor, post, to)
}

fn record_move(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
    post: Post,
    to: PostStatus,
) -> Result<Post, AppError> {
    let (id, from) = (&post.id, post.status);
    if !repo::posts::set_status(conn, tenant, id, from, to)? {
        return Err(AppError::Conflict(
            "Someone else moved this post just now. Reload to see where it is.".into(),
        ));
    }
    repo::post_history::record_status(
        conn,
        tenant,
        &StatusChange {
            id: HistoryId::new(),
            workspace_id: tenant.workspace_id().clone(),
            post_id: id.clone(),
            from_status: from,
            to_status: to,
            changed_by_id: actor.user_id.clone(),
            created_at: now(),
        },
    )?;
    audit::workspace(
        conn,
        tenant,
        actor,
        Event::new(
            "post.status_changed",
            format!(
                "Moved \u{201c}{}\u{201d} from {} to {}",
                post.title,
                from.label(),
                to.label()
            ),
        )
        .on("post", id.as_str())
        .change(
            serde_json::json!({"status": from}),
            serde_json::json!({"status": to}),
        ),
    )?;
    events::emit(
        conn,
        tenant,
        actor.user_id.as_ref(),
        &DomainEvent::PostStatusChanged {
            post_id: id.clone(),
            from,
            to,
        },
    )?;
    repo::posts::find(conn, tenant, id)?.ok_or(AppError::NotFound)
}

/// Assigns the post to a member, or to nobody.
pub fn assign(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
    id: &PostId,
    assignee: Option<&UserId>,
) -> Result<(), AppError> {
    let post = repo::posts::find(conn, tenant, id)?.ok_or(AppError::NotFound)?;
    if post.assignee_id.as_ref() == assignee {
        return Ok(());
    }
    if let Some(user) = assignee {
        if !repo::memberships::is_member(conn, tenant, user)? {
            return Err(AppError::BadRequest(
                "Posts can only be assigned to members of this workspace.".into(),
            ));
        }
    }
    let action = match (&post.assignee_id, assignee) {
        (_, None) => AssignmentAction::Unassigned,
        (None, Some(_)) => AssignmentAction::Assigned,
        (Some(_), Some(_)) => AssignmentAction::Reassigned,
    };
    repo::posts::set_assignee(conn, tenant, id, assignee)?;
    repo::post_history::record_assignment(
        conn,
        tenant,
        &AssignmentChange {
            id: HistoryId::new(),
            workspace_id: tenant.workspace_id().clone(),
            post_id: id.clone(),
            assigned_by_id: actor.user_id.clone(),
            previous_assignee_id: post.assignee_id.clone(),
            new_assignee_id: assignee.cloned(),
            action,
            created_at: now(),
        },
    )?;
    audit::workspace(
        conn,
        tenant,
        actor,
        Event::new(
            "post.assigned",
            format!(
                "{} \u{201c}{}\u{201d}",
                match action {
                    AssignmentAction::Assigned => "Assigned",
                    AssignmentAction::Reassigned => "Reassigned",
                    AssignmentAction::Unassigned => "Unassigned",
                },
                post.title
            ),
        )
        .on("post", id.as_str())
        .change(
            serde_json::json!({"assignee_id": post.assignee_id}),
            serde_json::json!({"assignee_id": assignee}),
        ),
    )?;
    if let Some(user) = assignee {
        notify::notify(
            conn,
            tenant,
            actor.user_id.as_ref(),
            Notice {
                recipient: user,
                kind: NotificationKind::PostAssigned,
                title: format!("You were assigned \u{201c}{}\u{201d}", post.title),
                body: String::new(),
                link: format!("/posts/{id}"),
            },
        )?;
    }
    if let Some(previous) = &post.assignee_id {
        notify::notify(
            conn,
            tenant,
            actor.user_id.as_ref(),
            Notice {
                recipient: previous,
                kind: NotificationKind::PostUnassigned,
                title: format!(
                    "\u{201c}{}\u{201d} is no longer assigned to you",
                    post.title
                ),
                body: String::new(),
                link: format!("/posts/{id}"),
            },
        )?;
    }
    events::emit(
        conn,
        tenant,
        actor.user_id.as_ref(),
        &DomainEvent::PostAssigned {
            post_id: id.clone(),
            previous: post.assignee_id,
            assignee: assignee.cloned(),
        },
    )?;
    Ok(())
}

pub fn delete(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
    id: &PostId,
) -> Result<(), AppError> {
    let post = repo::posts::find(conn, tenant, id)?.ok_or(AppError::NotFound)?;
    repo::posts::delete(conn, tenant, id)?;
    audit::workspace(
        conn,
        tenant,
        actor,
        Event::new(
            "post.deleted",
            format!("Deleted \u{201c}{}\u{201d}", post.title),
        )
        .on("post", id.as_str()),
    )?;
    events::emit(
        conn,
        tenant,
        actor.user_id.as_ref(),
        &DomainEvent::PostDeleted {
            post_id: id.clone(),
        },
    )?;
    Ok(())
}

/// The planning fields as typed into the form; `set_planning` checks them.
pub struct PlanningInput<'a> {
    /// `YYYY-MM-DD`, or empty for no due date.
    pub due_date: &'a str,
    pub priority: &'a str,
    /// A chapter of this workspace, or empty for none.
    pub chapter_id: &'a str,
}

/// A due date from a date field: empty means none. Years are bounded so that a typo such as
/// 20266 is caught here rather than stored.
pub fn parse_due_date(raw: &str) -> Result<Option<chrono::NaiveDateTime>, &'static str> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let date = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| "Enter the date as YYYY-MM-DD, for example 2026-12-31.")?;
    if !(2000..=2100).contains(&chrono::Datelike::year(&date)) {
        return Err("Choose a date between the years 2000 and 2100.");
    }
    Ok(date.and_hms_opt(0, 0, 0))
}

/// Sets due date, priority and chapter together. Nothing is written unless every field is
/// valid, and nothing at all when nothing changed; `Ok(Ok(changed))` tells which.
pub fn set_planning(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
    id: &PostId,
    input: &PlanningInput<'_>,
) -> Result<Result<bool, FieldErrors>, AppError> {
    let post = repo::posts::find(conn, tenant, id)?.ok_or(AppError::NotFound)?;
    let mut errors = FieldErrors::new();
    let due_date = parse_due_date(input.due_date).unwrap_or_else(|problem| {
        errors.add("due_date", problem);
        None
    });
    let priority = Priority::parse(input.priority.trim());
    if priority.is_none() {
        errors.add("priority", "Choose low, medium, high or urgent.");
    }
    let chapter_id = match input.chapter_id.trim() {
        "" => None,
        raw => {
            let found = match ChapterId::parse(raw) {
                Some(c) if chapter_belongs(conn, tenant, Some(&c))? => Some(c),
                _ => None,
            };
            if found.is_none() {
                errors.add("chapter_id", "Choose a chapter of this workspace.");
            }
            found
        }
    };
    let Some(priority) = priority.filter(|_| errors.is_empty()) else {
        return Ok(Err(errors));
    };
    if post.due_date == due_date && post.priority == priority && post.chapter_id == chapter_id {
        return Ok(Ok(false));
    }
    repo::posts::set_planning(
        conn,
        tenant,
        id,
        &repo::posts::Planning {
            due_date,
            priority,
            chapter_id: chapter_id.as_ref(),
            shape: &post.shape,
            guidance: &post.guidance,
        },
    )?;
    audit::workspace(
        conn,
        tenant,
        actor,
        Event::new(
            "post.planned",
            format!("Changed the plan of \u{201c}{}\u{201d}", post.title),
        )
        .on("post", id.as_str())
        .change(
            serde_json::json!({
                "due_date": post.due_date.map(|d| d.date()),
                "priority": post.priority,
                "chapter_id": post.chapter_id,
            }),
            serde_json::json!({
                "due_date": due_date.map(|d| d.date()),
                "priority": priority,
                "chapter_id": chapter_id,
            }),
        ),
    )?;
    events::emit(
        conn,
        tenant,
        actor.user_id.as_ref(),
        &DomainEvent::PostPlanned {
            post_id: id.clone(),
        },
    )?;
    Ok(Ok(true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_can_be_left_and_reached() {
        for s in COLUMNS {
            assert!(!next_statuses(s).is_empty(), "{s} is a dead end");
            assert!(
                s == PostStatus::Idea || COLUMNS.iter().any(|f| next_statuses(*f).contains(&s)),
                "{s} is unreachable"
            );
        }
    }
}
