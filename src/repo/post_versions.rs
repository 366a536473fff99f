//! Post versions: every saved text, human or workflow, numbered per post.

use diesel::prelude::*;

use crate::auth::Tenant;
use crate::db::schema::post_versions as v;
use crate::db::DbConn;
use crate::model::{PostId, PostVersion};

pub fn insert(conn: &mut DbConn, tenant: &Tenant, version: &PostVersion) -> QueryResult<()> {
    debug_assert_eq!(&version.workspace_id, tenant.workspace_id());
    diesel::insert_into(v::table)
        .values(version)
        .execute(conn)?;
    Ok(())
}

/// Newest first.
pub fn list(conn: &mut DbConn, tenant: &Tenant, post: &PostId) -> QueryResult<Vec<PostVersion>> {
    v::table
        .filter(v::workspace_id.eq(tenant.workspace_id()))
        .filter(v::post_id.eq(post))
        .order(v::version.desc())
        .select(PostVersion::as_select())
        .load(conn)
}

pub fn find(
    conn: &mut DbConn,
    tenant: &Tenant,
    post: &PostId,
    version: i32,
) -> QueryResult<Option<PostVersion>> {
    v::table
        .filter(v::workspace_id.eq(tenant.workspace_id()))
        .filter(v::post_id.eq(post))
        .filter(v::version.eq(version))
        .select(PostVersion::as_select())
        .first(conn)
        .optional()
}

/// One line of a version list: number, source, author, note, time. Newest first; the texts
/// stay in the database, since a busy post has hundreds of versions.
pub type VersionSummary = (
    i32,
    crate::model::VersionSource,
    Option<crate::model::UserId>,
    String,
    chrono::NaiveDateTime,
);

pub fn summaries(
    conn: &mut DbConn,
    tenant: &Tenant,
    post: &PostId,
) -> QueryResult<Vec<VersionSummary>> {
    v::table
        .filter(v::workspace_id.eq(tenant.workspace_id()))
        .filter(v::post_id.eq(post))
        .order(v::version.desc())
        .select((v::version, v::source, v::author_id, v::note, v::created_at))
        .load(conn)
}

pub fn set_note(
    conn: &mut DbConn,
    tenant: &Tenant,
    post: &PostId,
    version: i32,
    note: &str,
) -> QueryResult<usize> {
    diesel::update(
        v::table
            .filter(v::workspace_id.eq(tenant.workspace_id()))
            .filter(v::post_id.eq(post))
            .filter(v::version.eq(version)),
    )
    .set(v::note.eq(note))
    .execute(conn)
}

/// Replaces a version's text in place (autosave refining its own version).
pub fn set_text(
    conn: &mut DbConn,
    tenant: &Tenant,
    post: &PostId,
    version: i32,
    title: &str,
    body: &str,
) -> QueryResult<usize> {
    diesel::update(
        v::table
            .filter(v::workspace_id.eq(tenant.workspace_id()))
            .filter(v::post_id.eq(post))
            .filter(v::version.eq(version)),
    )
    .set((
        v::title.eq(title),
        v::body.eq(body),
        v::created_at.eq(crate::model::now()),
    ))
    .execute(conn)
}
