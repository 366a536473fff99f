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
