//! The workspace's approval stages: defaults, add, edit, reorder, delete. Every change is
//! audited in the caller's transaction.

use crate::auth::Tenant;
use crate::db::DbConn;
use crate::error::AppError;
use crate::model::{now, ApprovalStage, ApprovalStageId, Role};
use crate::repo;
use crate::repo::approvals::StageSettings;
use crate::service::audit::{self, Actor, Event};
use crate::web::forms::FieldErrors;

pub const NAME_MAX: usize = 100;

/// The stages a workspace starts with.
const DEFAULTS: [&str; 2] = ["Draft review", "Final approval"];

/// The stages in order, creating the two defaults the first time a workspace has none at all.
pub fn list_or_create_defaults(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
) -> Result<Vec<ApprovalStage>, AppError> {
    repo::approvals::lock_workspace(conn, tenant)?;
    let stages = repo::approvals::stages(conn, tenant)?;
    if !stages.is_empty() {
        return Ok(stages);
    }
    for (position, name) in (0..).zip(DEFAULTS) {
        insert(conn, tenant, actor, name, position)?;
    }
    Ok(repo::approvals::stages(conn, tenant)?)
}

fn insert(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
    name: &str,
    position: i32,
) -> Result<ApprovalStage, AppError> {
    let at = now();
    let stage = ApprovalStage {
        id: ApprovalStageId::new(),
        workspace_id: tenant.workspace_id().clone(),
        name: name.to_string(),
        position,
        is_required: true,
        is_active: true,
        approver_role: Role::Editor,
        allow_self_approval: false,
        created_by_id: actor.user_id.clone(),
        created_at: at,
        updated_at: at,
    };
    repo::approvals::insert_stage(conn, tenant, &stage)?;
    audit::workspace(
        conn,
        tenant,
        actor,
        Event::new(
            "approval_stage.created",
            format!("Added the approval stage \u{201c}{name}\u{201d}"),
        )
        .on("approval_stage", stage.id.as_str()),
    )?;
    Ok(stage)
}

fn clean_name(raw: &str) -> Result<String, FieldErrors> {
    let name = raw.trim();
    let mut errors = FieldErrors::new();
    if name.is_empty() {
        errors.add("name", "Give the stage a name.");
    } else if name.chars().count() > NAME_MAX {
        errors.add(
            "name",
            format!("Keep the name to {NAME_MAX} characters or fewer."),
        );
    }
    if errors.is_empty() {
        Ok(name.to_string())
    } else {
        Err(errors)
    }
}

/// Adds a required stage at the end.
pub fn create(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
    name: &str,
) -> Result<Result<ApprovalStage, FieldErrors>, AppError> {
    repo::approvals::lock_workspace(conn, tenant)?;
    let name = match clean_name(name) {
        Ok(n) => n,
        Err(e) => return Ok(Err(e)),
    };
    // The defaults come first, so that adding a stage to a fresh workspace does not skip them.
    list_or_create_defaults(conn, tenant, actor)?;
    let position = repo::approvals::next_stage_position(conn, tenant)?;
    Ok(Ok(insert(conn, tenant, actor, &name, position)?))
}

/// A stage's settings as typed into its form.
pub struct StageInput<'a> {
    pub name: &'a str,
    pub approver_role: &'a str,
    pub is_required: bool,
    pub is_active: bool,
    pub allow_self_approval: bool,
}

pub fn update(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
    id: &ApprovalStageId,
    input: &StageInput<'_>,
) -> Result<Result<(), FieldErrors>, AppError> {
    repo::approvals::lock_workspace(conn, tenant)?;
    let stage = repo::approvals::find_stage(conn, tenant, id)?.ok_or(AppError::NotFound)?;
    let (name, mut errors) = match clean_name(input.name) {
        Ok(n) => (n, FieldErrors::new()),
        Err(e) => (String::new(), e),
    };
    let role = Role::parse(input.approver_role.trim());
    if role.is_none() {
        errors.add("approver_role", "Choose viewer, editor, admin or owner.");
    }
    let Some(role) = role.filter(|_| errors.is_empty()) else {
        return Ok(Err(errors));
    };
    let settings = StageSettings {
        name: &name,
        is_required: input.is_required,
        is_active: input.is_active,
        approver_role: role,
        allow_self_approval: input.allow_self_approval,
    };
    repo::approvals::update_stage(conn, tenant, id, &settings)?;
    audit::workspace(
        conn,
        tenant,
        actor,
        Event::new(
            "approval_stage.updated",
            format!("Changed the approval stage \u{201c}{name}\u{201d}"),
        )
        .on("approval_stage", id.as_str())
        .change(
            serde_json::json!({
                "name": stage.name,
                "is_required": stage.is_required,
                "is_active": stage.is_active,
                "approver_role": stage.approver_role,
                "allow_self_approval": stage.allow_self_approval,
            }),
            serde_json::json!({
                "name": name,
                "is_required": input.is_required,
                "is_active": input.is_active,
                "approver_role": role,
                "allow_self_approval": input.allow_self_approval,
            }),
        ),
    )?;
    Ok(Ok(()))
}

/// Swaps the stage with its neighbour above (`up`) or below. At either end nothing changes.
pub fn shift(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
    id: &ApprovalStageId,
    up: bool,
) -> Result<(), AppError> {
    repo::approvals::lock_workspace(conn, tenant)?;
    let mut stages = repo::approvals::stages(conn, tenant)?;
    let at = stages
        .iter()
        .position(|s| &s.id == id)
        .ok_or(AppError::NotFound)?;
    let other = if up { at.checked_sub(1) } else { Some(at + 1) };
    let Some(other) = other.filter(|o| *o < stages.len()) else {
        return Ok(());
    };
    stages.swap(at, other);
    // Positions are rewritten densely, which also repairs equal positions from older data.
    for (position, stage) in (0..).zip(&stages) {
        if stage.position != position {
            repo::approvals::set_stage_position(conn, tenant, &stage.id, position)?;
        }
    }
    let moved = &stages[other];
    audit::workspace(
        conn,
        tenant,
        actor,
        Event::new(
            "approval_stage.reordered",
            format!(
                "Moved the approval stage \u{201c}{}\u{201d} {}",
                moved.name,
                if up { "up" } else { "down" }
            ),
        )
        .on("approval_stage", moved.id.as_str()),
    )?;
    Ok(())
}

pub fn delete(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
    id: &ApprovalStageId,
) -> Result<ApprovalStage, AppError> {
    repo::approvals::lock_workspace(conn, tenant)?;
    let stage = repo::approvals::find_stage(conn, tenant, id)?.ok_or(AppError::NotFound)?;
    let pending = repo::approvals::count_pending_at_stage(conn, tenant, id)?;
    if pending > 0 {
        return Err(AppError::Conflict(format!(
            "\u{201c}{}\u{201d} still has {pending} pending request{}. Decide or withdraw {} first, or disable the stage instead.",
            stage.name,
            if pending == 1 { "" } else { "s" },
            if pending == 1 { "it" } else { "them" },
        )));
    }
    repo::approvals::delete_stage(conn, tenant, id)?;
    audit::workspace(
        conn,
        tenant,
        actor,
        Event::new(
            "approval_stage.deleted",
            format!("Deleted the approval stage \u{201c}{}\u{201d}", stage.name),
        )
        .on("approval_stage", id.as_str()),
    )?;
    Ok(stage)
}
