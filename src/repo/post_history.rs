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
