//! Assignment and status history of posts.

use diesel::prelude::*;

use crate::auth::Tenant;
use crate::db::schema::{post_assignment_history as a, post_status_history as s};
use crate::db::DbConn;
use crate::model::{AssignmentChange, PostId, StatusChange};

pub fn record_assignment(
    conn: &mut DbConn,
    tenant: &Tenant,
    row: &AssignmentChange,
) -> QueryResult<()> {
    debug_assert_eq!(&row.workspace_id, tenant.workspace_id());
    diesel::insert_into(a::table).values(row).execute(conn)?;
    Ok(())
}

pub fn record_status(conn: &mut DbConn, tenant: &Tenant, row: &StatusChange) -> QueryResult<()> {
    debug_assert_eq!(&row.workspace_id, tenant.workspace_id());
    diesel::insert_into(s::table).values(row).execute(conn)?;
    Ok(())
}

/// Newest first.
pub fn assignments(
    conn: &mut DbConn,
    tenant: &Tenant,
    post: &PostId,
) -> QueryResult<Vec<AssignmentChange>> {
    a::table
        .filter(a::workspace_id.eq(tenant.workspace_id()))
        .filter(a::post_id.eq(post))
        .order(a::created_at.desc())
        .select(AssignmentChange::as_select())
        .load(conn)
}

/// Newest first.
pub fn statuses(
    conn: &mut DbConn,
    tenant: &Tenant,
    post: &PostId,
) -> QueryResult<Vec<StatusChange>> {
    s::table
        .filter(s::workspace_id.eq(tenant.workspace_id()))
        .filter(s::post_id.eq(post))
        .order(s::created_at.desc())
        .select(StatusChange::as_select())
        .load(conn)
}

/// Display names of the people a post's history and versions mention, in one query. Users,
/// not memberships: someone who has left the workspace still wrote what they wrote.
pub fn user_names(
    conn: &mut DbConn,
    ids: &[crate::model::UserId],
) -> QueryResult<std::collections::HashMap<crate::model::UserId, String>> {
    use crate::db::schema::users as u;
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let rows: Vec<(crate::model::UserId, String)> = u::table
        .filter(u::id.eq_any(ids))
        .select((u::id, u::name))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}
