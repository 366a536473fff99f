//! Strategies (the `goals` table).

use diesel::prelude::*;

use crate::auth::Tenant;
use crate::db::schema::goals as g;
use crate::db::DbConn;
use crate::model::{Goal, GoalId, VoiceProfileId};

pub fn insert(conn: &mut DbConn, tenant: &Tenant, goal: &Goal) -> QueryResult<()> {
    debug_assert_eq!(&goal.workspace_id, tenant.workspace_id());
    diesel::insert_into(g::table).values(goal).execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConn, tenant: &Tenant, id: &GoalId) -> QueryResult<Option<Goal>> {
    g::table
        .filter(g::workspace_id.eq(tenant.workspace_id()))
        .filter(g::id.eq(id))
        .select(Goal::as_select())
        .first(conn)
        .optional()
}

/// Every strategy of the workspace, oldest first: the first one made stays on top.
pub fn list(conn: &mut DbConn, tenant: &Tenant) -> QueryResult<Vec<Goal>> {
    g::table
        .filter(g::workspace_id.eq(tenant.workspace_id()))
        .order((g::created_at.asc(), g::id.asc()))
        .select(Goal::as_select())
        .load(conn)
}

/// Saves the editable fields (not the voice, the plan source or the creator).
pub fn update(conn: &mut DbConn, tenant: &Tenant, goal: &Goal) -> QueryResult<usize> {
    diesel::update(
        g::table
            .filter(g::workspace_id.eq(tenant.workspace_id()))
            .filter(g::id.eq(&goal.id)),
    )
    .set((
        g::name.eq(&goal.name),
        g::signature_thesis.eq(&goal.signature_thesis),
        g::positioning.eq(&goal.positioning),
        g::target_audience.eq(&goal.target_audience),
        g::content_style.eq(&goal.content_style),
        g::strategy_type.eq(goal.strategy_type),
        g::posts_per_week.eq(goal.posts_per_week),
        g::updated_at.eq(goal.updated_at),
    ))
    .execute(conn)
}

pub fn set_voice(
    conn: &mut DbConn,
    tenant: &Tenant,
    id: &GoalId,
    voice: Option<&VoiceProfileId>,
) -> QueryResult<usize> {
    diesel::update(
        g::table
            .filter(g::workspace_id.eq(tenant.workspace_id()))
            .filter(g::id.eq(id)),
    )
    .set((
        g::voice_profile_id.eq(voice),
        g::updated_at.eq(crate::model::now()),
    ))
    .execute(conn)
}

/// Deletes the strategy; its chapters go with it (foreign key cascade) and their posts stay,
/// without a chapter (foreign key set null).
pub fn delete(conn: &mut DbConn, tenant: &Tenant, id: &GoalId) -> QueryResult<usize> {
    diesel::delete(
        g::table
            .filter(g::workspace_id.eq(tenant.workspace_id()))
            .filter(g::id.eq(id)),
    )
    .execute(conn)
}
