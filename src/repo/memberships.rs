//! Workspace memberships (which also hold invitations, for the team features).

use diesel::prelude::*;

use crate::auth::Tenant;
use crate::db::schema::workspace_memberships as m;
use crate::db::DbConn;
use crate::model::{now, InviteStatus, Membership, MembershipId, NewMembership, Role, User};

/// The owner's accepted membership of a workspace the caller just created.
pub fn insert_owner(conn: &mut DbConn, tenant: &Tenant, owner: &User) -> QueryResult<()> {
    let at = now();
    diesel::insert_into(m::table)
        .values(NewMembership {
            id: &MembershipId::new(),
            workspace_id: tenant.workspace_id(),
            user_id: Some(&owner.id),
            email: &owner.email,
            role: Role::Owner,
            invite_status: InviteStatus::Accepted,
            accepted_at: Some(at),
            created_at: at,
            updated_at: at,
        })
        .execute(conn)?;
    Ok(())
}

pub fn list(conn: &mut DbConn, tenant: &Tenant) -> QueryResult<Vec<Membership>> {
    m::table
        .filter(m::workspace_id.eq(tenant.workspace_id()))
        .order(m::created_at.asc())
        .select(Membership::as_select())
        .load(conn)
}

pub fn count_accepted(conn: &mut DbConn, tenant: &Tenant) -> QueryResult<i64> {
    m::table
        .filter(m::workspace_id.eq(tenant.workspace_id()))
        .filter(m::invite_status.eq(InviteStatus::Accepted))
        .count()
        .get_result(conn)
}

/// Display names of the workspace's members (and former members still in its log).
pub fn member_names(
    conn: &mut DbConn,
    tenant: &Tenant,
) -> QueryResult<std::collections::HashMap<crate::model::UserId, String>> {
    use crate::db::schema::users as u;
    let rows: Vec<(crate::model::UserId, String)> = m::table
        .inner_join(u::table.on(m::user_id.eq(u::id.nullable())))
        .filter(m::workspace_id.eq(tenant.workspace_id()))
        .select((u::id, u::name))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// Whether the user is an accepted member of the workspace.
pub fn is_member(
    conn: &mut DbConn,
    tenant: &Tenant,
    user: &crate::model::UserId,
) -> QueryResult<bool> {
    let n: i64 = m::table
        .filter(m::workspace_id.eq(tenant.workspace_id()))
        .filter(m::user_id.eq(user))
        .filter(m::invite_status.eq(InviteStatus::Accepted))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Accepted members as (id, name), by name: for assignee pickers and filters.
pub fn member_options(
    conn: &mut DbConn,
    tenant: &Tenant,
) -> QueryResult<Vec<(crate::model::UserId, String)>> {
    use crate::db::schema::users as u;
    m::table
        .inner_join(u::table.on(m::user_id.eq(u::id.nullable())))
        .filter(m::workspace_id.eq(tenant.workspace_id()))
        .filter(m::invite_status.eq(InviteStatus::Accepted))
        .order(u::name.asc())
        .select((u::id, u::name))
        .load(conn)
}
