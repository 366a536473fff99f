//! The audit log. Workspace events are written and read through a `Tenant`; account events
//! (sign-in, password) have no workspace and belong to the user.

use diesel::prelude::*;

use crate::auth::Tenant;
use crate::db::schema::audit_logs as a;
use crate::db::DbConn;
use crate::model::{AuditLog, NewAuditLog, UserId};

pub fn insert(conn: &mut DbConn, row: &NewAuditLog) -> QueryResult<()> {
    diesel::insert_into(a::table).values(row).execute(conn)?;
    Ok(())
}

/// One page of the workspace's log, newest first, and whether there is another page.
pub fn page(
    conn: &mut DbConn,
    tenant: &Tenant,
    page: i64,
    per_page: i64,
) -> QueryResult<(Vec<AuditLog>, bool)> {
    let mut rows: Vec<AuditLog> = a::table
        .filter(a::workspace_id.eq(tenant.workspace_id()))
        .order((a::created_at.desc(), a::id.desc()))
        .limit(per_page + 1)
        .offset((page - 1).max(0) * per_page)
        .select(AuditLog::as_select())
        .load(conn)?;
    let more = rows.len() as i64 > per_page;
    rows.truncate(per_page as usize);
    Ok((rows, more))
}

/// The user's own account events, newest first.
pub fn for_user(conn: &mut DbConn, user_id: &UserId, limit: i64) -> QueryResult<Vec<AuditLog>> {
    a::table
        .filter(a::user_id.eq(user_id))
        .filter(a::workspace_id.is_null())
        .order(a::created_at.desc())
        .limit(limit)
        .select(AuditLog::as_select())
        .load(conn)
}
