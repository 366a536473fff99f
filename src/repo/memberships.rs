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

/// One membership or invitation of this workspace.
pub fn find(
    conn: &mut DbConn,
    tenant: &Tenant,
    id: &MembershipId,
) -> QueryResult<Option<Membership>> {
    m::table
        .filter(m::workspace_id.eq(tenant.workspace_id()))
        .filter(m::id.eq(id))
        .select(Membership::as_select())
        .first(conn)
        .optional()
}

/// The row for an address in this workspace, whatever its status (addresses are unique per
/// workspace).
pub fn find_by_email(
    conn: &mut DbConn,
    tenant: &Tenant,
    email: &str,
) -> QueryResult<Option<Membership>> {
    m::table
        .filter(m::workspace_id.eq(tenant.workspace_id()))
        .filter(m::email.eq(email))
        .select(Membership::as_select())
        .first(conn)
        .optional()
}

/// The caller's own accepted membership.
pub fn find_for_user(
    conn: &mut DbConn,
    tenant: &Tenant,
    user: &crate::model::UserId,
) -> QueryResult<Option<Membership>> {
    m::table
        .filter(m::workspace_id.eq(tenant.workspace_id()))
        .filter(m::user_id.eq(user))
        .filter(m::invite_status.eq(InviteStatus::Accepted))
        .select(Membership::as_select())
        .first(conn)
        .optional()
}

/// The invitation whose link carries this token. No tenant yet: the invitee is not a member,
/// and the secret token itself is what grants a look at this one row.
pub fn find_by_token_hash(conn: &mut DbConn, hash: &str) -> QueryResult<Option<Membership>> {
    m::table
        .filter(m::invite_token_hash.eq(hash))
        .select(Membership::as_select())
        .first(conn)
        .optional()
}

/// Marks a pending invitation whose time ran out, found by its token.
pub fn expire_by_token_hash(conn: &mut DbConn, hash: &str) -> QueryResult<usize> {
    diesel::update(
        m::table
            .filter(m::invite_token_hash.eq(hash))
            .filter(m::invite_status.eq(InviteStatus::Pending)),
    )
    .set((
        m::invite_status.eq(InviteStatus::Expired),
        m::updated_at.eq(now()),
    ))
    .execute(conn)
}

/// Turns a pending invitation into the user's membership and burns the token. Returns 0 when
/// someone else used or revoked it first.
pub fn accept_by_token_hash(
    conn: &mut DbConn,
    hash: &str,
    user: &crate::model::UserId,
) -> QueryResult<usize> {
    let at = now();
    diesel::update(
        m::table
            .filter(m::invite_token_hash.eq(hash))
            .filter(m::invite_status.eq(InviteStatus::Pending))
            .filter(m::invite_expires_at.gt(at)),
    )
    .set((
        m::user_id.eq(user),
        m::invite_status.eq(InviteStatus::Accepted),
        m::accepted_at.eq(at),
        m::invite_token_hash.eq(None::<String>),
        m::invite_expires_at.eq(None::<chrono::NaiveDateTime>),
        m::updated_at.eq(at),
    ))
    .execute(conn)
}

/// A new pending invitation.
pub fn insert_invite(
    conn: &mut DbConn,
    tenant: &Tenant,
    email: &str,
    role: Role,
    token_hash: &str,
    expires_at: chrono::NaiveDateTime,
) -> QueryResult<MembershipId> {
    let at = now();
    let id = MembershipId::new();
    diesel::insert_into(m::table)
        .values((
            m::id.eq(&id),
            m::workspace_id.eq(tenant.workspace_id()),
            m::email.eq(email),
            m::role.eq(role),
            m::invite_status.eq(InviteStatus::Pending),
            m::invite_token_hash.eq(token_hash),
            m::invite_expires_at.eq(expires_at),
            m::invited_by_id.eq(tenant.user_id()),
            m::invited_at.eq(at),
            m::created_at.eq(at),
            m::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(id)
}

/// A fresh token and expiry for a pending invitation; the old link stops working.
pub fn renew_invite(
    conn: &mut DbConn,
    tenant: &Tenant,
    id: &MembershipId,
    token_hash: &str,
    expires_at: chrono::NaiveDateTime,
) -> QueryResult<usize> {
    let at = now();
    diesel::update(
        m::table
            .filter(m::workspace_id.eq(tenant.workspace_id()))
            .filter(m::id.eq(id))
            .filter(m::invite_status.eq_any([InviteStatus::Pending, InviteStatus::Expired])),
    )
    .set((
        m::invite_status.eq(InviteStatus::Pending),
        m::invite_token_hash.eq(token_hash),
        m::invite_expires_at.eq(expires_at),
        m::invited_by_id.eq(tenant.user_id()),
        m::invited_at.eq(at),
        m::updated_at.eq(at),
    ))
    .execute(conn)
}

/// Withdraws a pending (or expired) invitation and burns its token.
pub fn revoke_invite(conn: &mut DbConn, tenant: &Tenant, id: &MembershipId) -> QueryResult<usize> {
    diesel::update(
        m::table
            .filter(m::workspace_id.eq(tenant.workspace_id()))
            .filter(m::id.eq(id))
            .filter(m::invite_status.eq_any([InviteStatus::Pending, InviteStatus::Expired])),
    )
    .set((
        m::invite_status.eq(InviteStatus::Revoked),
        m::invite_token_hash.eq(None::<String>),
        m::invite_expires_at.eq(None::<chrono::NaiveDateTime>),
        m::updated_at.eq(now()),
    ))
    .execute(conn)
}

pub fn set_role(
    conn: &mut DbConn,
    tenant: &Tenant,
    id: &MembershipId,
    role: Role,
) -> QueryResult<usize> {
    diesel::update(
        m::table
            .filter(m::workspace_id.eq(tenant.workspace_id()))
            .filter(m::id.eq(id)),
    )
    .set((m::role.eq(role), m::updated_at.eq(now())))
    .execute(conn)
}

pub fn delete(conn: &mut DbConn, tenant: &Tenant, id: &MembershipId) -> QueryResult<usize> {
    diesel::delete(
        m::table
            .filter(m::workspace_id.eq(tenant.workspace_id()))
            .filter(m::id.eq(id)),
    )
    .execute(conn)
}

/// Seats in use: accepted members plus invitations that can still be accepted.
pub fn count_seats(conn: &mut DbConn, tenant: &Tenant) -> QueryResult<i64> {
    let at = now();
    let accepted = count_accepted(conn, tenant)?;
    let pending: i64 = m::table
        .filter(m::workspace_id.eq(tenant.workspace_id()))
        .filter(m::invite_status.eq(InviteStatus::Pending))
        .filter(m::invite_expires_at.gt(at))
        .count()
        .get_result(conn)?;
    Ok(accepted + pending)
}

/// Names and addresses of the users a workspace's rows point at (members and inviters).
pub fn people(
    conn: &mut DbConn,
    tenant: &Tenant,
) -> QueryResult<std::collections::HashMap<crate::model::UserId, (String, String)>> {
    use crate::db::schema::users as u;
    let rows: Vec<Membership> = list(conn, tenant)?;
    let mut ids: Vec<crate::model::UserId> = rows
        .iter()
        .flat_map(|r| [r.user_id.clone(), r.invited_by_id.clone()])
        .flatten()
        .collect();
    ids.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    ids.dedup();
    let found: Vec<(crate::model::UserId, String, String)> = u::table
        .filter(u::id.eq_any(&ids))
        .select((u::id, u::name, u::email))
        .load(conn)?;
    Ok(found.into_iter().map(|(id, n, e)| (id, (n, e))).collect())
}

/// Ownership is recorded twice (the workspace row and the owner role) and moves in both at once;
/// this is the workspace half.
pub fn set_workspace_owner(
    conn: &mut DbConn,
    tenant: &Tenant,
    owner: &crate::model::UserId,
) -> QueryResult<usize> {
    use crate::db::schema::workspaces as w;
    diesel::update(w::table.find(tenant.workspace_id()))
        .set((w::owner_id.eq(owner), w::updated_at.eq(now())))
        .execute(conn)
}

/// The workspace an invitation is for and who sent it, for the public invitation page.
pub fn invite_context(
    conn: &mut DbConn,
    invite: &Membership,
) -> QueryResult<Option<(crate::model::Workspace, Option<String>)>> {
    use crate::db::schema::{users as u, workspaces as w};
    let Some(ws) = w::table
        .find(&invite.workspace_id)
        .select(crate::model::Workspace::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let inviter = match &invite.invited_by_id {
        Some(id) => u::table
            .find(id)
            .select(u::name)
            .first::<String>(conn)
            .optional()?,
        None => None,
    };
    Ok(Some((ws, inviter)))
}
