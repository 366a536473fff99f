//! Voice profiles a workspace may use: the shared read-only presets and its own.

use diesel::prelude::*;

use crate::auth::Tenant;
use crate::db::schema::voice_profiles as v;
use crate::db::DbConn;
use crate::model::{VoiceProfile, VoiceProfileId};

/// Presets first, then the workspace's own profiles, each by name. Another workspace's
/// profiles never appear.
pub fn list_available(conn: &mut DbConn, tenant: &Tenant) -> QueryResult<Vec<VoiceProfile>> {
    v::table
        .filter(
            v::workspace_id
                .is_null()
                .and(v::is_preset.eq(true))
                .or(v::workspace_id.eq(tenant.workspace_id())),
        )
        .order((v::is_preset.desc(), v::name.asc(), v::id.asc()))
        .select(VoiceProfile::as_select())
        .load(conn)
}

/// One profile, if this workspace may use it.
pub fn find_available(
    conn: &mut DbConn,
    tenant: &Tenant,
    id: &VoiceProfileId,
) -> QueryResult<Option<VoiceProfile>> {
    v::table
        .filter(v::id.eq(id))
        .filter(
            v::workspace_id
                .is_null()
                .and(v::is_preset.eq(true))
                .or(v::workspace_id.eq(tenant.workspace_id())),
        )
        .select(VoiceProfile::as_select())
        .first(conn)
        .optional()
}
