//! `Tenant`: proof that the current user is an accepted member of one workspace. It can only be
//! built here, after the membership check, and every tenant repository function takes it.

use diesel::prelude::*;

use crate::auth::scopes::Scope;
use crate::db::schema::{workspace_memberships as m, workspaces as w};
use crate::db::DbConn;
use crate::model::{InviteStatus, Role, UserId, Workspace, WorkspaceId};

#[derive(Debug, Clone)]
pub struct Tenant {
    workspace_id: WorkspaceId,
    user_id: UserId,
    role: Role,
}

impl Tenant {
    pub fn workspace_id(&self) -> &WorkspaceId {
        &self.workspace_id
    }

    pub fn user_id(&self) -> &UserId {
        &self.user_id
    }

    pub fn role(&self) -> Role {
        self.role
    }

    pub fn can(&self, scope: Scope) -> bool {
        self.role.has(scope)
    }
}

/// The membership check: the workspace with this slug, if `user_id` is an accepted member.
/// Anything else (no such workspace, not a member, a pending invite) is `None`, which the
/// extractor answers with 404 so that other workspaces stay invisible.
pub(crate) fn check_membership(
    conn: &mut DbConn,
    user_id: &UserId,
    slug: &str,
) -> QueryResult<Option<(Tenant, Workspace)>> {
    let row: Option<(Workspace, Role)> = w::table
        .inner_join(m::table)
        .filter(w::slug.eq(slug))
        .filter(m::user_id.eq(user_id))
        .filter(m::invite_status.eq(InviteStatus::Accepted))
        .select((Workspace::as_select(), m::role))
        .first(conn)
        .optional()?;
    Ok(row.map(|(workspace, role)| {
        (
            Tenant {
                workspace_id: workspace.id.clone(),
                user_id: user_id.clone(),
                role,
            },
            workspace,
        )
    }))
}

/// The same check for a workspace the caller has just created inside its own transaction.
pub(crate) fn for_new_workspace(workspace: &Workspace, owner: &UserId) -> Tenant {
    Tenant {
        workspace_id: workspace.id.clone(),
        user_id: owner.clone(),
        role: Role::Owner,
    }
}

/// The only other way to build one, for trusted operator commands run from the command line
/// (seeding demo content): the operator acts as `acting_owner`, with the owner's role, in a
/// workspace they chose by name. Never reachable from a request.
pub(crate) fn for_system(workspace: &Workspace, acting_owner: &UserId) -> Tenant {
    Tenant {
        workspace_id: workspace.id.clone(),
        user_id: acting_owner.clone(),
        role: Role::Owner,
    }
}

/// The membership check for background jobs, which carry ids rather than a slug: `user_id`
/// must still be an accepted member of the workspace when the job runs.
pub(crate) fn check_membership_by_id(
    conn: &mut DbConn,
    user_id: &UserId,
    workspace_id: &WorkspaceId,
) -> QueryResult<Option<Tenant>> {
    let role: Option<Role> = m::table
        .filter(m::workspace_id.eq(workspace_id))
        .filter(m::user_id.eq(user_id))
        .filter(m::invite_status.eq(InviteStatus::Accepted))
        .select(m::role)
        .first(conn)
        .optional()?;
    Ok(role.map(|role| Tenant {
        workspace_id: workspace_id.clone(),
        user_id: user_id.clone(),
        role,
    }))
}

/// The workspace's owner acting for it, for a job whose requester has since left: the job
/// must still be able to close its own record.
pub(crate) fn owner_of(
    conn: &mut DbConn,
    workspace_id: &WorkspaceId,
) -> QueryResult<Option<Tenant>> {
    let owner: Option<UserId> = w::table
        .filter(w::id.eq(workspace_id))
        .select(w::owner_id)
        .first(conn)
        .optional()?;
    match owner {
        Some(owner) => check_membership_by_id(conn, &owner, workspace_id),
        None => Ok(None),
    }
}
