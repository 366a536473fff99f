//! Where a finished post has been published, as marked by hand (platform and URL).

use diesel::prelude::*;

use crate::auth::Tenant;
use crate::db::schema::post_publications as pp;
use crate::db::DbConn;
use crate::model::{Platform, PostId, Publication};

pub fn for_posts(
    conn: &mut DbConn,
    tenant: &Tenant,
    posts: &[PostId],
) -> QueryResult<Vec<Publication>> {
    if posts.is_empty() {
        return Ok(Vec::new());
    }
    pp::table
        .filter(pp::workspace_id.eq(tenant.workspace_id()))
        .filter(pp::post_id.eq_any(posts))
        .order(pp::published_at.asc())
        .select(Publication::as_select())
        .load(conn)
}

pub fn find(
    conn: &mut DbConn,
    tenant: &Tenant,
    post: &PostId,
    platform: Platform,
) -> QueryResult<Option<Publication>> {
    pp::table
        .filter(pp::workspace_id.eq(tenant.workspace_id()))
        .filter(pp::post_id.eq(post))
        .filter(pp::platform.eq(platform))
        .select(Publication::as_select())
        .first(conn)
        .optional()
}

pub fn insert(conn: &mut DbConn, tenant: &Tenant, row: &Publication) -> QueryResult<()> {
    debug_assert_eq!(&row.workspace_id, tenant.workspace_id());
    diesel::insert_into(pp::table).values(row).execute(conn)?;
    Ok(())
}

pub fn set_url(
    conn: &mut DbConn,
    tenant: &Tenant,
    post: &PostId,
    platform: Platform,
    url: Option<&str>,
) -> QueryResult<usize> {
    diesel::update(
        pp::table
            .filter(pp::workspace_id.eq(tenant.workspace_id()))
            .filter(pp::post_id.eq(post))
            .filter(pp::platform.eq(platform)),
    )
    .set(pp::url.eq(url))
    .execute(conn)
}

pub fn delete(
    conn: &mut DbConn,
    tenant: &Tenant,
    post: &PostId,
    platform: Platform,
) -> QueryResult<usize> {
    diesel::delete(
        pp::table
            .filter(pp::workspace_id.eq(tenant.workspace_id()))
            .filter(pp::post_id.eq(post))
            .filter(pp::platform.eq(platform)),
    )
    .execute(conn)
}
