//! Posts: the cards on the board.

use diesel::prelude::*;

use crate::auth::Tenant;
use crate::db::schema::posts as p;
use crate::db::DbConn;
use crate::model::{now, ChapterId, Post, PostId, PostStatus, Priority, UserId};

pub fn insert(conn: &mut DbConn, tenant: &Tenant, post: &Post) -> QueryResult<()> {
    debug_assert_eq!(&post.workspace_id, tenant.workspace_id());
    diesel::insert_into(p::table).values(post).execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConn, tenant: &Tenant, id: &PostId) -> QueryResult<Option<Post>> {
    p::table
        .filter(p::workspace_id.eq(tenant.workspace_id()))
        .filter(p::id.eq(id))
        .select(Post::as_select())
        .first(conn)
        .optional()
}

/// A position after every card now on the board: moved and new cards go to the end of their
/// column.
pub fn next_position() -> i64 {
    now().and_utc().timestamp_micros()
}

pub fn set_text(
    conn: &mut DbConn,
    tenant: &Tenant,
    id: &PostId,
    title: &str,
    body: &str,
    version: i32,
) -> QueryResult<usize> {
    diesel::update(
        p::table
            .filter(p::workspace_id.eq(tenant.workspace_id()))
            .filter(p::id.eq(id)),
    )
    .set((
        p::title.eq(title),
        p::body.eq(body),
        p::current_version.eq(version),
        p::updated_at.eq(now()),
    ))
    .execute(conn)
}

/// Moves the post only if it still has `from`: two people moving the same card at once cannot
/// both win.
pub fn set_status(
    conn: &mut DbConn,
    tenant: &Tenant,
    id: &PostId,
    from: PostStatus,
    to: PostStatus,
) -> QueryResult<bool> {
    let published_at = (to == PostStatus::Published).then(now);
    let n = diesel::update(
        p::table
            .filter(p::workspace_id.eq(tenant.workspace_id()))
            .filter(p::id.eq(id))
            .filter(p::status.eq(from)),
    )
    .set((
        p::status.eq(to),
        p::board_position.eq(next_position()),
        p::published_at.eq(published_at),
        p::updated_at.eq(now()),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn set_assignee(
    conn: &mut DbConn,
    tenant: &Tenant,
    id: &PostId,
    assignee: Option<&UserId>,
) -> QueryResult<usize> {
    diesel::update(
        p::table
            .filter(p::workspace_id.eq(tenant.workspace_id()))
            .filter(p::id.eq(id)),
    )
    .set((p::assignee_id.eq(assignee), p::updated_at.eq(now())))
    .execute(conn)
}

pub struct Planning<'a> {
    pub due_date: Option<chrono::NaiveDateTime>,
    pub priority: Priority,
    pub chapter_id: Option<&'a ChapterId>,
    pub shape: &'a str,
    pub guidance: &'a str,
}

pub fn set_planning(
    conn: &mut DbConn,
    tenant: &Tenant,
    id: &PostId,
    planning: &Planning<'_>,
) -> QueryResult<usize> {
    diesel::update(
        p::table
            .filter(p::workspace_id.eq(tenant.workspace_id()))
            .filter(p::id.eq(id)),
    )
    .set((
        p::due_date.eq(planning.due_date),
        p::priority.eq(planning.priority),
        p::chapter_id.eq(planning.chapter_id),
        p::shape.eq(planning.shape),
        p::guidance.eq(planning.guidance),
        p::updated_at.eq(now()),
    ))
    .execute(conn)
}

pub fn delete(conn: &mut DbConn, tenant: &Tenant, id: &PostId) -> QueryResult<usize> {
    diesel::delete(
        p::table
            .filter(p::workspace_id.eq(tenant.workspace_id()))
            .filter(p::id.eq(id)),
    )
    .execute(conn)
}

/// Counts per status, for the column headers.
pub fn count_by_status(conn: &mut DbConn, tenant: &Tenant) -> QueryResult<Vec<(PostStatus, i64)>> {
    p::table
        .filter(p::workspace_id.eq(tenant.workspace_id()))
        .group_by(p::status)
        .select((p::status, diesel::dsl::count_star()))
        .load(conn)
}

pub fn count(conn: &mut DbConn, tenant: &Tenant) -> QueryResult<i64> {
    p::table
        .filter(p::workspace_id.eq(tenant.workspace_id()))
        .count()
        .get_result(conn)
}
