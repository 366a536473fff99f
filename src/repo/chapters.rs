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

/// The number a new chapter of this strategy gets: one after the highest.
pub fn next_number(conn: &mut DbConn, tenant: &Tenant, goal: &GoalId) -> QueryResult<i32> {
    let max: Option<i32> = c::table
        .filter(c::workspace_id.eq(tenant.workspace_id()))
        .filter(c::goal_id.eq(goal))
        .select(diesel::dsl::max(c::chapter_number))
        .first(conn)?;
    Ok(max.unwrap_or(0) + 1)
}

/// Closes the gap a deleted chapter left: later chapters of the strategy move up by one.
pub fn close_gap(
    conn: &mut DbConn,
    tenant: &Tenant,
    goal: &GoalId,
    removed_number: i32,
) -> QueryResult<usize> {
    diesel::update(
        c::table
            .filter(c::workspace_id.eq(tenant.workspace_id()))
            .filter(c::goal_id.eq(goal))
            .filter(c::chapter_number.gt(removed_number)),
    )
    .set(c::chapter_number.eq(c::chapter_number - 1))
    .execute(conn)
}
