//! The workspace event log (see `service::events`).

use diesel::prelude::*;

use crate::auth::Tenant;
use crate::db::schema::workspace_events as e;
use crate::db::DbConn;
use crate::model::{now, UserId, WorkspaceEventRow};

pub fn append(
    conn: &mut DbConn,
    tenant: &Tenant,
    kind: &str,
    actor: Option<&UserId>,
    subject: Option<&str>,
    payload: &str,
) -> QueryResult<i64> {
    diesel::insert_into(e::table)
        .values((
            e::workspace_id.eq(tenant.workspace_id()),
            e::kind.eq(kind),
            e::actor_id.eq(actor),
            e::subject_id.eq(subject),
            e::payload.eq(payload),
            e::created_at.eq(now()),
        ))
        .returning(e::id)
        .get_result(conn)
}

/// Events after `after_id`, oldest first, at most `limit`.
pub fn since(
    conn: &mut DbConn,
    tenant: &Tenant,
    after_id: i64,
    limit: i64,
) -> QueryResult<Vec<WorkspaceEventRow>> {
    e::table
        .filter(e::workspace_id.eq(tenant.workspace_id()))
        .filter(e::id.gt(after_id))
        .order(e::id.asc())
        .limit(limit)
        .select(WorkspaceEventRow::as_select())
        .load(conn)
}

/// The id of the newest event, or 0.
pub fn latest_id(conn: &mut DbConn, tenant: &Tenant) -> QueryResult<i64> {
    let id: Option<i64> = e::table
        .filter(e::workspace_id.eq(tenant.workspace_id()))
        .select(diesel::dsl::max(e::id))
        .first(conn)?;
    Ok(id.unwrap_or(0))
}
