//! The workspaces table. Creating one and listing the signed-in user's own are the only
//! operations without a `Tenant`: they come before any membership exists or is chosen.

use diesel::prelude::*;

use crate::auth::Tenant;
use crate::db::schema::{workspace_memberships as m, workspaces as w};
use crate::db::DbConn;
use crate::model::{now, InviteStatus, NewWorkspace, Role, UserId, Workspace};

pub fn insert(conn: &mut DbConn, new: &NewWorkspace<'_>) -> QueryResult<()> {
    diesel::insert_into(w::table).values(new).execute(conn)?;
    Ok(())
}

pub fn slug_taken(conn: &mut DbConn, slug: &str) -> QueryResult<bool> {
    let n: i64 = w::table.filter(w::slug.eq(slug)).count().get_result(conn)?;
    Ok(n > 0)
}

/// The workspaces the user is an accepted member of, with their role, by name.
pub fn list_for_user(conn: &mut DbConn, user_id: &UserId) -> QueryResult<Vec<(Workspace, Role)>> {
    w::table
        .inner_join(m::table)
        .filter(m::user_id.eq(user_id))
        .filter(m::invite_status.eq(InviteStatus::Accepted))
        .order((w::name.asc(), w::slug.asc()))
        .select((Workspace::as_select(), m::role))
        .load(conn)
}

/// The slug of the workspace to open after sign-in: the default one when the user is still a
/// member, else the first by name.
pub fn landing_slug(
    conn: &mut DbConn,
    user_id: &UserId,
    default: Option<&crate::model::WorkspaceId>,
) -> QueryResult<Option<String>> {
    let list = list_for_user(conn, user_id)?;
    let preferred = default.and_then(|d| list.iter().find(|(ws, _)| &ws.id == d));
    Ok(preferred.or(list.first()).map(|(ws, _)| ws.slug.clone()))
}

pub fn rename(
    conn: &mut DbConn,
    tenant: &Tenant,
    name: &str,
    slug: &str,
    description: Option<&str>,
) -> QueryResult<usize> {
    diesel::update(w::table.find(tenant.workspace_id()))
        .set((
            w::name.eq(name),
            w::slug.eq(slug),
            w::description.eq(description),
            w::updated_at.eq(now()),
        ))
        .execute(conn)
}

/// Deletes the workspace; its tenant rows go with it through ON DELETE CASCADE.
pub fn delete(conn: &mut DbConn, tenant: &Tenant) -> QueryResult<usize> {
    diesel::delete(w::table.find(tenant.workspace_id())).execute(conn)
}

/// A workspace by its address, without any membership check: for operator commands only,
/// which name the workspace themselves.
pub fn find_by_slug_for_operator(conn: &mut DbConn, slug: &str) -> QueryResult<Option<Workspace>> {
    w::table
        .filter(w::slug.eq(slug))
        .select(Workspace::as_select())
        .first(conn)
        .optional()
}

/// The slug of a workspace by id, for background jobs that must run the membership check
/// (`auth::tenant::check_membership`) before touching its data.
pub fn slug_of(conn: &mut DbConn, id: &crate::model::WorkspaceId) -> QueryResult<Option<String>> {
    w::table.find(id).select(w::slug).first(conn).optional()
}

/// The workspace's settings object (a JSON object; `{}` when unset or unreadable).
pub fn settings(
    conn: &mut DbConn,
    tenant: &crate::auth::Tenant,
) -> QueryResult<serde_json::Map<String, serde_json::Value>> {
    let raw: String = crate::db::schema::workspaces::table
        .find(tenant.workspace_id())
        .select(crate::db::schema::workspaces::settings)
        .first(conn)?;
    Ok(serde_json::from_str(&raw).unwrap_or_default())
}

/// Replaces the workspace's settings object.
pub fn set_settings(
    conn: &mut DbConn,
    tenant: &crate::auth::Tenant,
    settings: &serde_json::Map<String, serde_json::Value>,
) -> QueryResult<()> {
    use crate::db::schema::workspaces as w;
    let text = serde_json::Value::Object(settings.clone()).to_string();
    diesel::update(w::table.find(tenant.workspace_id()))
        .set((w::settings.eq(text), w::updated_at.eq(crate::model::now())))
        .execute(conn)?;
    Ok(())
}
