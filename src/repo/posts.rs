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

/// Finished posts (approved, scheduled or published), most recently changed first, one page.
/// Returns the page and whether another follows.
pub fn finished_page(
    conn: &mut DbConn,
    tenant: &Tenant,
    page: i64,
    per_page: i64,
) -> QueryResult<(Vec<Post>, bool)> {
    let mut rows: Vec<Post> = p::table
        .filter(p::workspace_id.eq(tenant.workspace_id()))
        .filter(p::status.eq_any([
            PostStatus::Approved,
            PostStatus::Scheduled,
            PostStatus::Published,
        ]))
        .order((p::updated_at.desc(), p::id.asc()))
        .limit(per_page + 1)
        .offset((page - 1).max(0) * per_page)
        .select(Post::as_select())
        .load(conn)?;
    let more = rows.len() as i64 > per_page;
    rows.truncate(per_page as usize);
    Ok((rows, more))
}

/// Every post of the workspace, oldest first, for export.
pub fn all(conn: &mut DbConn, tenant: &Tenant) -> QueryResult<Vec<Post>> {
    p::table
        .filter(p::workspace_id.eq(tenant.workspace_id()))
        .order((p::created_at.asc(), p::id.asc()))
        .select(Post::as_select())
        .load(conn)
}

/// What the strategy page shows of a post inside a chapter.
#[derive(Debug, Clone)]
pub struct ChapterPost {
    pub id: PostId,
    pub chapter_id: ChapterId,
    pub post_number: Option<i32>,
    pub title: String,
    pub status: PostStatus,
    pub created_at: chrono::NaiveDateTime,
}

/// The posts in the chapters of one strategy, in one query, by number then age.
pub fn in_goal_chapters(
    conn: &mut DbConn,
    tenant: &Tenant,
    goal: &crate::model::GoalId,
) -> QueryResult<Vec<ChapterPost>> {
    use crate::db::schema::chapters as c;
    type Row = (
        PostId,
        Option<ChapterId>,
        Option<i32>,
        String,
        PostStatus,
        chrono::NaiveDateTime,
    );
    let rows: Vec<Row> = p::table
        .inner_join(c::table)
        .filter(p::workspace_id.eq(tenant.workspace_id()))
        .filter(c::workspace_id.eq(tenant.workspace_id()))
        .filter(c::goal_id.eq(goal))
        .select((
            p::id,
            p::chapter_id,
            p::post_number,
            p::title,
            p::status,
            p::created_at,
        ))
        .load(conn)?;
    let mut posts: Vec<ChapterPost> = rows
        .into_iter()
        .filter_map(|(id, chapter_id, post_number, title, status, created_at)| {
            Some(ChapterPost {
                id,
                chapter_id: chapter_id?,
                post_number,
                title,
                status,
                created_at,
            })
        })
        .collect();
    // Numbered posts first in number order, then unnumbered ideas as they were added.
    posts.sort_by(|a, b| {
        (a.post_number.is_none(), a.post_number, a.created_at, &a.id).cmp(&(
            b.post_number.is_none(),
            b.post_number,
            b.created_at,
            &b.id,
        ))
    });
    Ok(posts)
}

/// Post counts per chapter and status over the whole workspace, in one query; posts without a
/// chapter are left out.
pub fn status_counts_by_chapter(
    conn: &mut DbConn,
    tenant: &Tenant,
) -> QueryResult<Vec<(ChapterId, PostStatus, i64)>> {
    let rows: Vec<(Option<ChapterId>, PostStatus, i64)> = p::table
        .filter(p::workspace_id.eq(tenant.workspace_id()))
        .filter(p::chapter_id.is_not_null())
        .group_by((p::chapter_id, p::status))
        .select((p::chapter_id, p::status, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(c, s, n)| Some((c?, s, n)))
        .collect())
}

/// Unpublished posts due within `days` (or already overdue), soonest first.
pub fn due_soon(
    conn: &mut DbConn,
    tenant: &Tenant,
    days: i64,
    limit: i64,
) -> QueryResult<Vec<Post>> {
    p::table
        .filter(p::workspace_id.eq(tenant.workspace_id()))
        .filter(p::status.ne(PostStatus::Published))
        .filter(p::due_date.is_not_null())
        .filter(p::due_date.le(now() + chrono::Duration::days(days)))
        .order(p::due_date.asc())
        .limit(limit)
        .select(Post::as_select())
        .load(conn)
}

/// Unpublished posts assigned to `user` that are due by `until` (overdue ones included).
pub fn due_for_assignee(
    conn: &mut DbConn,
    tenant: &Tenant,
    user: &UserId,
    until: chrono::NaiveDateTime,
) -> QueryResult<Vec<Post>> {
    p::table
        .filter(p::workspace_id.eq(tenant.workspace_id()))
        .filter(p::assignee_id.eq(user))
        .filter(p::status.ne(PostStatus::Published))
        .filter(p::due_date.is_not_null())
        .filter(p::due_date.le(until))
        .order(p::due_date.asc())
        .select(Post::as_select())
        .load(conn)
}
