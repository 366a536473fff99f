//! Workflow runs, their outputs, metrics and event log. Every query is scoped to the tenant.

use diesel::prelude::*;

use crate::auth::Tenant;
use crate::db::schema::{
    workflow_events as e, workflow_outputs as o, workflow_runs as r, workflow_state_metrics as m,
};
use crate::db::DbConn;
use crate::model::{
    now, PostId, Run, RunControl, RunEvent, RunId, RunMetric, RunMetricId, RunOutput, RunOutputId,
    RunStatus, RunSummary, UserId,
};

pub struct NewRun<'a> {
    pub id: &'a RunId,
    pub started_by: &'a UserId,
    pub post_id: Option<&'a PostId>,
    pub config_slug: &'a str,
    pub config_name: &'a str,
    pub config_yaml: &'a str,
    pub config_hash: &'a str,
    pub overlay: &'a str,
    pub voice: Option<&'a str>,
    pub title: &'a str,
    pub story: &'a str,
    pub start_state: &'a str,
    pub machine: &'a str,
    pub credits_reserved: i64,
}

pub fn insert(conn: &mut DbConn, tenant: &Tenant, run: &NewRun) -> QueryResult<()> {
    let at = now();
    diesel::insert_into(r::table)
        .values((
            r::id.eq(run.id),
            r::workspace_id.eq(tenant.workspace_id()),
            r::started_by.eq(run.started_by),
            r::post_id.eq(run.post_id),
            r::config_slug.eq(run.config_slug),
            r::config_name.eq(run.config_name),
            r::config_yaml.eq(run.config_yaml),
            r::config_hash.eq(run.config_hash),
            r::overlay.eq(run.overlay),
            r::voice.eq(run.voice),
            r::title.eq(run.title),
            r::story.eq(run.story),
            r::status.eq(RunStatus::Queued),
            r::current_state.eq(run.start_state),
            r::step.eq(0),
            r::machine.eq(run.machine),
            r::credits_reserved.eq(run.credits_reserved),
            r::started_at.eq(at),
            r::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConn, tenant: &Tenant, id: &RunId) -> QueryResult<Option<Run>> {
    r::table
        .filter(r::workspace_id.eq(tenant.workspace_id()))
        .filter(r::id.eq(id))
        .select(Run::as_select())
        .first(conn)
        .optional()
}

#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub status: Option<RunStatus>,
    pub config: Option<String>,
}

/// One page of the history, newest first, and the number of matching runs.
pub fn list(
    conn: &mut DbConn,
    tenant: &Tenant,
    filter: &ListFilter,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<RunSummary>, i64)> {
    let base = || {
        let mut q = r::table
            .filter(r::workspace_id.eq(tenant.workspace_id()))
            .into_boxed();
        if let Some(status) = filter.status {
            q = q.filter(r::status.eq(status));
        }
        if let Some(config) = &filter.config {
            q = q.filter(r::config_slug.eq(config.clone()));
        }
        q
    };
    let total = base().count().get_result(conn)?;
    let rows = base()
        .order((r::started_at.desc(), r::id.desc()))
        .offset(offset)
        .limit(limit)
        .select(RunSummary::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// The config slugs this workspace has runs of, for the history filter.
pub fn used_configs(conn: &mut DbConn, tenant: &Tenant) -> QueryResult<Vec<String>> {
    r::table
        .filter(r::workspace_id.eq(tenant.workspace_id()))
        .select(r::config_slug)
        .distinct()
        .order(r::config_slug.asc())
        .load(conn)
}

/// What one finished state changes on the run row.
pub struct Advance<'a> {
    pub from_step: i32,
    pub status: RunStatus,
    pub current_state: &'a str,
    pub machine: &'a str,
    pub pending_input: Option<&'a str>,
    pub add_input_tokens: i64,
    pub add_output_tokens: i64,
    pub add_cost_micros: i64,
    pub add_active_ms: i64,
    pub credits_used: i64,
}

/// Moves the run past step `from_step`. Returns false when that step was already applied (a
/// duplicate or resumed job), in which case the caller must roll back.
pub fn advance(conn: &mut DbConn, tenant: &Tenant, id: &RunId, a: &Advance) -> QueryResult<bool> {
    let n = diesel::update(
        r::table
            .filter(r::workspace_id.eq(tenant.workspace_id()))
            .filter(r::id.eq(id))
            .filter(r::step.eq(a.from_step))
            .filter(r::finished_at.is_null()),
    )
    .set((
        r::step.eq(a.from_step + 1),
        r::status.eq(a.status),
        r::current_state.eq(a.current_state),
        r::machine.eq(a.machine),
        r::pending_input.eq(a.pending_input),
        r::input_tokens.eq(r::input_tokens + a.add_input_tokens),
        r::output_tokens.eq(r::output_tokens + a.add_output_tokens),
        r::cost_micros.eq(r::cost_micros + a.add_cost_micros),
        r::active_ms.eq(r::active_ms + a.add_active_ms),
        r::credits_used.eq(a.credits_used),
        r::updated_at.eq(now()),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// What a person's action changes, applied only if the run is still where they saw it.
pub struct Steer<'a> {
    pub expect_step: i32,
    pub expect_status: &'a [RunStatus],
    pub status: RunStatus,
    /// Moves the step on, which makes every job queued for the old step stale.
    pub bump_step: bool,
    pub machine: Option<&'a str>,
    pub clear_pending_input: bool,
}

/// `None` fields are left as they are; `pending_input: Some(None)` clears it.
#[derive(AsChangeset)]
#[diesel(table_name = r)]
struct SteerChanges<'a> {
    status: RunStatus,
    step: i32,
    machine: Option<&'a str>,
    pending_input: Option<Option<&'a str>>,
    updated_at: chrono::NaiveDateTime,
}

/// Applies `s` if the run has not ended and is still at `expect_step` in one of
/// `expect_status`; returns whether it did. A concurrent worker or person who got there first
/// makes this a no-op instead of a lost update.
pub fn steer(conn: &mut DbConn, tenant: &Tenant, id: &RunId, s: &Steer) -> QueryResult<bool> {
    let target = r::table
        .filter(r::workspace_id.eq(tenant.workspace_id()))
        .filter(r::id.eq(id))
        .filter(r::finished_at.is_null())
        .filter(r::step.eq(s.expect_step))
        .filter(r::status.eq_any(s.expect_status.to_vec()));
    let changes = SteerChanges {
        status: s.status,
        step: if s.bump_step {
            s.expect_step + 1
        } else {
            s.expect_step
        },
        machine: s.machine,
        pending_input: s.clear_pending_input.then_some(None),
        updated_at: now(),
    };
    let n = diesel::update(target).set(&changes).execute(conn)?;
    Ok(n == 1)
}

/// Sets the control request if it is still `expect` and the run is working (queued or
/// running, not ended); returns whether it did.
pub fn swap_control(
    conn: &mut DbConn,
    tenant: &Tenant,
    id: &RunId,
    expect: Option<RunControl>,
    control: Option<RunControl>,
) -> QueryResult<bool> {
    let open = r::workspace_id
        .eq(tenant.workspace_id())
        .and(r::id.eq(id))
        .and(r::finished_at.is_null())
        .and(r::status.eq_any([RunStatus::Queued, RunStatus::Running]));
    let changes = (r::control.eq(control), r::updated_at.eq(now()));
    let n = match expect {
        Some(c) => diesel::update(r::table.filter(open).filter(r::control.eq(c)))
            .set(changes)
            .execute(conn)?,
        None => diesel::update(r::table.filter(open).filter(r::control.is_null()))
            .set(changes)
            .execute(conn)?,
    };
    Ok(n == 1)
}

/// Applies a pending pause at a state boundary: only if the request is still a pause (an
/// abort that arrived meanwhile wins) and the run is still at `step`.
pub fn apply_pause(conn: &mut DbConn, tenant: &Tenant, id: &RunId, step: i32) -> QueryResult<bool> {
    let n = diesel::update(
        r::table
            .filter(r::workspace_id.eq(tenant.workspace_id()))
            .filter(r::id.eq(id))
            .filter(r::finished_at.is_null())
            .filter(r::step.eq(step))
            .filter(r::control.eq(RunControl::Pause)),
    )
    .set((
        r::control.eq(None::<RunControl>),
        r::status.eq(RunStatus::Paused),
        r::updated_at.eq(now()),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// The pending control request only: read often while agents work.
pub fn control(conn: &mut DbConn, tenant: &Tenant, id: &RunId) -> QueryResult<Option<RunControl>> {
    Ok(r::table
        .filter(r::workspace_id.eq(tenant.workspace_id()))
        .filter(r::id.eq(id))
        .select(r::control)
        .first::<Option<RunControl>>(conn)
        .optional()?
        .flatten())
}

pub struct Finish<'a> {
    pub status: RunStatus,
    pub final_state: Option<&'a str>,
    pub error: Option<&'a str>,
    pub credits_used: i64,
}

/// Ends the run, unless it already ended. Returns whether this call ended it.
pub fn finish(conn: &mut DbConn, tenant: &Tenant, id: &RunId, f: &Finish) -> QueryResult<bool> {
    let at = now();
    let n = diesel::update(
        r::table
            .filter(r::workspace_id.eq(tenant.workspace_id()))
            .filter(r::id.eq(id))
            .filter(r::finished_at.is_null()),
    )
    .set((
        // Any job still queued for the run becomes stale.
        r::step.eq(r::step + 1),
        r::status.eq(f.status),
        r::final_state.eq(f.final_state),
        r::error.eq(f.error),
        r::credits_used.eq(f.credits_used),
        r::control.eq(None::<RunControl>),
        r::pending_input.eq(None::<String>),
        r::finished_at.eq(at),
        r::updated_at.eq(at),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

pub struct NewOutput<'a> {
    pub step: i32,
    pub state_name: &'a str,
    pub agent: &'a str,
    pub output_type: &'a str,
    pub content: &'a str,
    pub score: Option<i32>,
    pub decision: Option<&'a str>,
}

pub fn insert_output(
    conn: &mut DbConn,
    tenant: &Tenant,
    run: &RunId,
    out: &NewOutput,
) -> QueryResult<()> {
    diesel::insert_into(o::table)
        .values((
            o::id.eq(RunOutputId::new()),
            o::workspace_id.eq(tenant.workspace_id()),
            o::run_id.eq(run),
            o::step.eq(out.step),
            o::state_name.eq(out.state_name),
            o::agent.eq(out.agent),
            o::output_type.eq(out.output_type),
            o::content.eq(out.content),
            o::score.eq(out.score),
            o::decision.eq(out.decision),
            o::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Every output of the run, in the order they were written.
pub fn outputs(conn: &mut DbConn, tenant: &Tenant, run: &RunId) -> QueryResult<Vec<RunOutput>> {
    o::table
        .filter(o::workspace_id.eq(tenant.workspace_id()))
        .filter(o::run_id.eq(run))
        .order((o::step.asc(), o::agent.asc()))
        .select(RunOutput::as_select())
        .load(conn)
}

pub struct NewMetric<'a> {
    pub step: i32,
    pub state_name: &'a str,
    pub agent: &'a str,
    pub model: &'a str,
    pub success: bool,
    pub error: Option<&'a str>,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost_micros: i64,
    pub latency_ms: i64,
}

pub fn insert_metric(
    conn: &mut DbConn,
    tenant: &Tenant,
    run: &RunId,
    metric: &NewMetric,
) -> QueryResult<()> {
    diesel::insert_into(m::table)
        .values((
            m::id.eq(RunMetricId::new()),
            m::workspace_id.eq(tenant.workspace_id()),
            m::run_id.eq(run),
            m::step.eq(metric.step),
            m::state_name.eq(metric.state_name),
            m::agent.eq(metric.agent),
            m::model.eq(metric.model),
            m::success.eq(metric.success),
            m::error.eq(metric.error),
            m::input_tokens.eq(metric.input_tokens),
            m::output_tokens.eq(metric.output_tokens),
            m::cost_micros.eq(metric.cost_micros),
            m::latency_ms.eq(metric.latency_ms),
            m::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn metrics(conn: &mut DbConn, tenant: &Tenant, run: &RunId) -> QueryResult<Vec<RunMetric>> {
    m::table
        .filter(m::workspace_id.eq(tenant.workspace_id()))
        .filter(m::run_id.eq(run))
        .order((m::step.asc(), m::agent.asc()))
        .select(RunMetric::as_select())
        .load(conn)
}

pub fn append_event(
    conn: &mut DbConn,
    tenant: &Tenant,
    run: &RunId,
    kind: &str,
    payload: &str,
) -> QueryResult<i64> {
    diesel::insert_into(e::table)
        .values((
            e::workspace_id.eq(tenant.workspace_id()),
            e::run_id.eq(run),
            e::kind.eq(kind),
            e::payload.eq(payload),
            e::created_at.eq(now()),
        ))
        .returning(e::id)
        .get_result(conn)
}

/// The run's events after `after_id`, oldest first, at most `limit`.
pub fn events_since(
    conn: &mut DbConn,
    tenant: &Tenant,
    run: &RunId,
    after_id: i64,
    limit: i64,
) -> QueryResult<Vec<RunEvent>> {
    e::table
        .filter(e::workspace_id.eq(tenant.workspace_id()))
        .filter(e::run_id.eq(run))
        .filter(e::id.gt(after_id))
        .order(e::id.asc())
        .limit(limit)
        .select(RunEvent::as_select())
        .load(conn)
}
