//! Chapters of a strategy.

use diesel::prelude::*;

use crate::auth::Tenant;
use crate::db::schema::chapters as c;
use crate::db::DbConn;
use crate::model::{Chapter, ChapterId, GoalId};

pub fn insert(conn: &mut DbConn, tenant: &Tenant, chapter: &Chapter) -> QueryResult<()> {
    debug_assert_eq!(&chapter.workspace_id, tenant.workspace_id());
    diesel::insert_into(c::table)
        .values(chapter)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConn, tenant: &Tenant, id: &ChapterId) -> QueryResult<Option<Chapter>> {
    c::table
        .filter(c::workspace_id.eq(tenant.workspace_id()))
        .filter(c::id.eq(id))
        .select(Chapter::as_select())
        .first(conn)
        .optional()
}

/// Every chapter of the workspace, by strategy and number.
pub fn list(conn: &mut DbConn, tenant: &Tenant) -> QueryResult<Vec<Chapter>> {
    c::table
        .filter(c::workspace_id.eq(tenant.workspace_id()))
        .order((c::goal_id.asc(), c::chapter_number.asc()))
        .select(Chapter::as_select())
        .load(conn)
}

pub fn for_goal(conn: &mut DbConn, tenant: &Tenant, goal: &GoalId) -> QueryResult<Vec<Chapter>> {
    c::table
        .filter(c::workspace_id.eq(tenant.workspace_id()))
        .filter(c::goal_id.eq(goal))
        .order(c::chapter_number.asc())
        .select(Chapter::as_select())
        .load(conn)
}

pub fn update(conn: &mut DbConn, tenant: &Tenant, chapter: &Chapter) -> QueryResult<usize> {
    diesel::update(
        c::table
            .filter(c::workspace_id.eq(tenant.workspace_id()))
            .filter(c::id.eq(&chapter.id)),
    )
    .set((
        c::chapter_number.eq(chapter.chapter_number),
        c::title.eq(&chapter.title),
        c::theme.eq(&chapter.theme),
        c::description.eq(&chapter.description),
        c::weeks_start.eq(chapter.weeks_start),
        c::weeks_end.eq(chapter.weeks_end),
        c::updated_at.eq(chapter.updated_at),
    ))
    .execute(conn)
}

pub fn delete(conn: &mut DbConn, tenant: &Tenant, id: &ChapterId) -> QueryResult<usize> {
    diesel::delete(
        c::table
            .filter(c::workspace_id.eq(tenant.workspace_id()))
            .filter(c::id.eq(id)),
    )
    .execute(conn)
}
