//! A workspace's own voice profiles, writing samples, voice analyses and default voice.
//! (Listing presets together with own profiles is `repo::voice_profiles`.)

use diesel::prelude::*;

use crate::auth::Tenant;
use crate::db::schema::{
    voice_analyses as a, voice_profiles as v, workspace_voice_defaults as d, writing_samples as s,
};
use crate::db::DbConn;
use crate::model::{
    now, AnalysisStatus, VoiceAnalysis, VoiceAnalysisId, VoiceProfile, VoiceProfileId,
    WritingSample, WritingSampleId,
};

/// A profile the workspace owns (never a preset).
pub fn find_own(
    conn: &mut DbConn,
    tenant: &Tenant,
    id: &VoiceProfileId,
) -> QueryResult<Option<VoiceProfile>> {
    v::table
        .filter(v::workspace_id.eq(tenant.workspace_id()))
        .filter(v::id.eq(id))
        .select(VoiceProfile::as_select())
        .first(conn)
        .optional()
}

pub fn slug_taken(
    conn: &mut DbConn,
    tenant: &Tenant,
    slug: &str,
    except: Option<&VoiceProfileId>,
) -> QueryResult<bool> {
    let except = except.map(|e| e.as_str().to_string()).unwrap_or_default();
    let n: i64 = v::table
        .filter(v::workspace_id.eq(tenant.workspace_id()))
        .filter(v::slug.eq(slug))
        .filter(v::id.ne(except))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

pub fn insert_profile(
    conn: &mut DbConn,
    tenant: &Tenant,
    profile: &VoiceProfile,
) -> QueryResult<()> {
    debug_assert_eq!(profile.workspace_id.as_ref(), Some(tenant.workspace_id()));
    diesel::insert_into(v::table)
        .values(profile)
        .execute(conn)?;
    Ok(())
}

pub fn update_profile(conn: &mut DbConn, tenant: &Tenant, p: &VoiceProfile) -> QueryResult<usize> {
    diesel::update(
        v::table
            .filter(v::workspace_id.eq(tenant.workspace_id()))
            .filter(v::id.eq(&p.id)),
    )
    .set((
        v::name.eq(&p.name),
        v::slug.eq(&p.slug),
        v::description.eq(&p.description),
        v::tone_description.eq(&p.tone_description),
        v::signature_phrases.eq(&p.signature_phrases),
        v::word_choices.eq(&p.word_choices),
        v::example_excerpts.eq(&p.example_excerpts),
        v::avoid_patterns.eq(&p.avoid_patterns),
        v::updated_at.eq(now()),
    ))
    .execute(conn)
}

pub fn delete_profile(
    conn: &mut DbConn,
    tenant: &Tenant,
    id: &VoiceProfileId,
) -> QueryResult<usize> {
    diesel::delete(
        v::table
            .filter(v::workspace_id.eq(tenant.workspace_id()))
            .filter(v::id.eq(id)),
    )
    .execute(conn)
}

/// The workspace's default voice, if one is chosen.
pub fn default_profile(conn: &mut DbConn, tenant: &Tenant) -> QueryResult<Option<VoiceProfileId>> {
    d::table
        .filter(d::workspace_id.eq(tenant.workspace_id()))
        .select(d::voice_profile_id)
        .first(conn)
        .optional()
}

/// Replaces the default (no upsert across both backends: delete, then insert, in the caller's
/// transaction).
pub fn set_default(
    conn: &mut DbConn,
    tenant: &Tenant,
    id: Option<&VoiceProfileId>,
) -> QueryResult<()> {
    diesel::delete(d::table.filter(d::workspace_id.eq(tenant.workspace_id()))).execute(conn)?;
    if let Some(id) = id {
        diesel::insert_into(d::table)
            .values((
                d::workspace_id.eq(tenant.workspace_id()),
                d::voice_profile_id.eq(id),
                d::updated_at.eq(now()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn samples(conn: &mut DbConn, tenant: &Tenant) -> QueryResult<Vec<WritingSample>> {
    s::table
        .filter(s::workspace_id.eq(tenant.workspace_id()))
        .order(s::created_at.asc())
        .select(WritingSample::as_select())
        .load(conn)
}

pub fn insert_sample(
    conn: &mut DbConn,
    tenant: &Tenant,
    sample: &WritingSample,
) -> QueryResult<()> {
    debug_assert_eq!(&sample.workspace_id, tenant.workspace_id());
    diesel::insert_into(s::table).values(sample).execute(conn)?;
    Ok(())
}

pub fn delete_sample(
    conn: &mut DbConn,
    tenant: &Tenant,
    id: &WritingSampleId,
) -> QueryResult<usize> {
    diesel::delete(
        s::table
            .filter(s::workspace_id.eq(tenant.workspace_id()))
            .filter(s::id.eq(id)),
    )
    .execute(conn)
}

pub fn insert_analysis(conn: &mut DbConn, tenant: &Tenant, row: &VoiceAnalysis) -> QueryResult<()> {
    debug_assert_eq!(&row.workspace_id, tenant.workspace_id());
    diesel::insert_into(a::table).values(row).execute(conn)?;
    Ok(())
}

pub fn find_analysis(
    conn: &mut DbConn,
    tenant: &Tenant,
    id: &VoiceAnalysisId,
) -> QueryResult<Option<VoiceAnalysis>> {
    a::table
        .filter(a::workspace_id.eq(tenant.workspace_id()))
        .filter(a::id.eq(id))
        .select(VoiceAnalysis::as_select())
        .first(conn)
        .optional()
}

/// The newest analysis still queued or running, so the page can show its progress.
pub fn active_analysis(conn: &mut DbConn, tenant: &Tenant) -> QueryResult<Option<VoiceAnalysis>> {
    a::table
        .filter(a::workspace_id.eq(tenant.workspace_id()))
        .filter(a::status.eq_any([AnalysisStatus::Queued, AnalysisStatus::Running]))
        .order(a::created_at.desc())
        .select(VoiceAnalysis::as_select())
        .first(conn)
        .optional()
}

/// Moves an analysis on; `from` guards against a second worker finishing it twice.
pub fn set_analysis_status(
    conn: &mut DbConn,
    tenant: &Tenant,
    id: &VoiceAnalysisId,
    from: &[AnalysisStatus],
    to: AnalysisStatus,
    profile: Option<&VoiceProfileId>,
    error: Option<&str>,
) -> QueryResult<bool> {
    let finished = matches!(to, AnalysisStatus::Done | AnalysisStatus::Failed).then(now);
    let n = diesel::update(
        a::table
            .filter(a::workspace_id.eq(tenant.workspace_id()))
            .filter(a::id.eq(id))
            .filter(a::status.eq_any(from.to_vec())),
    )
    .set((
        a::status.eq(to),
        a::voice_profile_id.eq(profile),
        a::error.eq(error),
        a::finished_at.eq(finished),
    ))
    .execute(conn)?;
    Ok(n == 1)
}
