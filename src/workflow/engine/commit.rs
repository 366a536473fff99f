//! Turning a state's result into the run's next position, and writing it all at once.

use serde_json::{json, Value};

use crate::auth::Tenant;
use crate::db::DbPool;
use crate::jobs::{self, JobKind};
use crate::model::{NotificationKind, Run, RunOutput, RunStatus};
use crate::repo;
use crate::repo::runs::{Advance, Finish, NewMetric, NewOutput};
use crate::service::{notify, usage};
use crate::workflow::config::WorkflowConfig;
use crate::workflow::machine::{self, Limits};

use super::credit_key;
use super::events::{self, kind};
use super::state::{AuditNote, MachineState, PendingBreak, PendingInput, WaitKind};
use super::step::{StepError, StepJob};

pub struct OwnedOutput {
    pub state_name: String,
    pub agent: String,
    pub output_type: String,
    pub content: String,
    pub score: Option<i32>,
    pub decision: Option<String>,
}

pub struct OwnedMetric {
    pub state_name: String,
    pub agent: String,
    pub model: String,
    pub success: bool,
    pub error: Option<String>,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost_micros: i64,
    pub latency_ms: i64,
}

pub enum Next {
    /// Enter this state next.
    Go(String),
    /// Wait for a person at this state.
    Wait {
        state: String,
        pending: PendingInput,
    },
    /// The run ends.
    Finish {
        status: RunStatus,
        final_state: Option<String>,
        error: Option<String>,
    },
}

/// Everything one step decided, written in one transaction.
pub struct StepResult {
    pub machine: MachineState,
    pub outputs: Vec<OwnedOutput>,
    pub metrics: Vec<OwnedMetric>,
    pub events: Vec<(&'static str, Value)>,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost_micros: i64,
    pub active_ms: i64,
    pub next: Next,
}

impl StepResult {
    pub fn new(machine: MachineState) -> StepResult {
        StepResult {
            machine,
            outputs: Vec::new(),
            metrics: Vec::new(),
            events: Vec::new(),
            input_tokens: 0,
            output_tokens: 0,
            cost_micros: 0,
            active_ms: 0,
            next: Next::Finish {
                status: RunStatus::Failed,
                final_state: None,
                error: Some("the engine decided nothing".into()),
            },
        }
    }

    pub fn finish(
        machine: MachineState,
        status: RunStatus,
        final_state: Option<&str>,
        error: Option<String>,
    ) -> StepResult {
        let mut r = StepResult::new(machine);
        r.next = Next::Finish {
            status,
            final_state: final_state.map(str::to_string),
            error,
        };
        r
    }
}

/// Picks the next state for `outcome`, then lets the circuit breaker have its say.
pub fn route(
    cfg: &WorkflowConfig,
    run: &Run,
    limits: &Limits,
    outcome: &str,
    result: &mut StepResult,
    active_secs: u64,
) {
    let from = run.current_state.as_str();
    let Some(to) = machine::next_state(cfg, from, outcome) else {
        let error = result
            .machine
            .last_error
            .clone()
            .unwrap_or_else(|| format!("No transition for outcome '{outcome}' from {from}."));
        result.next = Next::Finish {
            status: RunStatus::Failed,
            final_state: None,
            error: Some(error),
        };
        return;
    };
    let cost = (run.cost_micros + result.cost_micros) as f64 / 1_000_000.0;
    // A hard limit ends the run at once; no person can wave it through.
    if let Some(trip) = result.machine.breaker.check_hard(active_secs, cost) {
        result.events.push((
            kind::HARD_LIMIT,
            json!({ "rule": trip.rule.as_str(), "message": trip.message }),
        ));
        result.next = Next::Finish {
            status: RunStatus::Halted,
            final_state: None,
            error: Some(format!("Hard limit reached: {}", trip.message)),
        };
        return;
    }
    let trip = result
        .machine
        .breaker
        .record(from, &to, active_secs, cost, limits);
    let Some(trip) = trip else {
        result
            .events
            .push((kind::TRANSITION, json!({ "from": from, "to": to })));
        result.next = Next::Go(to);
        return;
    };
    result.events.push((
        kind::CIRCUIT_BREAK,
        json!({
            "rule": trip.rule.as_str(),
            "message": trip.message,
            "last_score": result.machine.last_score,
            "from": from,
            "to": to,
        }),
    ));
    if let Some(skip) = machine::auto_skip_target(cfg, from, result.machine.last_score) {
        result
            .events
            .push((kind::AUTO_SKIP, json!({ "from": from, "to": skip })));
        result
            .events
            .push((kind::TRANSITION, json!({ "from": from, "to": skip })));
        result.next = Next::Go(skip);
        return;
    }
    let score = result
        .machine
        .last_score
        .map_or("no score yet".to_string(), |s| format!("{s}/10"));
    result.machine.pending_break = Some(PendingBreak {
        rule: trip.rule,
        message: trip.message.clone(),
        from: from.to_string(),
        to: to.clone(),
    });
    result.next = Next::Wait {
        state: from.to_string(),
        pending: PendingInput {
            kind: WaitKind::CircuitBreak,
            state: from.to_string(),
            prompt: format!(
                "The run keeps looping ({}). The last quality score is {score}; 8/10 is the bar \
                 to carry on by itself. Approve to move on, send feedback to revise, or abort.",
                trip.message
            ),
            content: String::new(),
            audits: Vec::new(),
            since: crate::model::now(),
            timeout_secs: 3600,
        },
    };
}

/// The newest audits, for a person deciding: final audits first, else the cross audits.
pub fn audit_notes(outputs: &[RunOutput]) -> Vec<AuditNote> {
    for t in ["final_audit", "audit"] {
        let rows = super::inputs::latest_of(outputs, t);
        if !rows.is_empty() {
            return rows
                .into_iter()
                .map(|o| AuditNote {
                    agent: o.agent.clone(),
                    score: o.score,
                    decision: o.decision.clone(),
                    feedback: machine::parse_verdict(&o.content, false)
                        .map(|v| v.feedback)
                        .unwrap_or_else(|| o.content.clone()),
                })
                .collect();
        }
    }
    Vec::new()
}

/// Writes the step: run row (only if still at this step), outputs, metrics, events, and the
/// next job or the end of the run.
pub fn commit(
    pool: &DbPool,
    tenant: &Tenant,
    run: &Run,
    mut result: StepResult,
) -> Result<(), StepError> {
    let mut conn = pool.get()?;
    if let Next::Wait { pending, .. } = &mut result.next {
        if pending.kind == WaitKind::CircuitBreak {
            // The audits of the state that just tripped the breaker are not stored yet.
            let mut outputs = repo::runs::outputs(&mut conn, tenant, &run.id)?;
            outputs.extend(result.outputs.iter().map(|o| RunOutput {
                id: crate::model::RunOutputId::new(),
                workspace_id: tenant.workspace_id().clone(),
                run_id: run.id.clone(),
                step: run.step,
                state_name: o.state_name.clone(),
                agent: o.agent.clone(),
                output_type: o.output_type.clone(),
                content: o.content.clone(),
                score: o.score,
                decision: o.decision.clone(),
                created_at: crate::model::now(),
            }));
            pending.audits = audit_notes(&outputs);
        }
    }
    let machine_json = serde_json::to_string(&result.machine)
        .map_err(|e| StepError::Fatal(format!("cannot save the run state: {e}")))?;
    crate::db::write_tx(&mut conn, move |conn| {
        // An abort that arrived after the last check still stops the run here, rather than
        // letting it wait for a person or start another state.
        if !matches!(result.next, Next::Finish { .. })
            && repo::runs::control(conn, tenant, &run.id)? == Some(crate::model::RunControl::Abort)
        {
            result.next = Next::Finish {
                status: RunStatus::Aborted,
                final_state: None,
                error: Some("Aborted by a person.".into()),
            };
        }
        let (status, current, pending_json) = match &result.next {
            Next::Go(to) => (RunStatus::Running, to.clone(), None),
            Next::Wait { state, pending } => (
                RunStatus::AwaitingInput,
                state.clone(),
                Some(serde_json::to_string(pending).unwrap_or_default()),
            ),
            Next::Finish { final_state, .. } => (
                RunStatus::Running,
                final_state
                    .clone()
                    .unwrap_or_else(|| run.current_state.clone()),
                None,
            ),
        };
        let advanced = repo::runs::advance(
            conn,
            tenant,
            &run.id,
            &Advance {
                from_step: run.step,
                status,
                current_state: &current,
                machine: &machine_json,
                pending_input: pending_json.as_deref(),
                add_input_tokens: result.input_tokens,
                add_output_tokens: result.output_tokens,
                add_cost_micros: result.cost_micros,
                add_active_ms: result.active_ms,
                credits_used: run.credits_used,
            },
        )?;
        if !advanced {
            // Another worker applied this step already.
            return Ok::<_, StepError>(());
        }
        for o in &result.outputs {
            repo::runs::insert_output(
                conn,
                tenant,
                &run.id,
                &NewOutput {
                    step: run.step,
                    state_name: &o.state_name,
                    agent: &o.agent,
                    output_type: &o.output_type,
                    content: &o.content,
                    score: o.score,
                    decision: o.decision.as_deref(),
                },
            )?;
        }
        for m in &result.metrics {
            repo::runs::insert_metric(
                conn,
                tenant,
                &run.id,
                &NewMetric {
                    step: run.step,
                    state_name: &m.state_name,
                    agent: &m.agent,
                    model: &m.model,
                    success: m.success,
                    error: m.error.as_deref(),
                    input_tokens: m.input_tokens,
                    output_tokens: m.output_tokens,
                    cost_micros: m.cost_micros,
                    latency_ms: m.latency_ms,
                },
            )?;
        }
        for (k, payload) in &result.events {
            events::append(conn, tenant, &run.id, k, payload.clone())?;
        }
        let job = |timeout: bool| StepJob {
            run_id: run.id.clone(),
            workspace_id: tenant.workspace_id().clone(),
            user_id: run.started_by.clone(),
            step: run.step + 1,
            timeout,
        };
        match &result.next {
            Next::Go(_) => enqueue_step(conn, &job(false), None)?,
            Next::Wait { state, pending } => {
                events::append(
                    conn,
                    tenant,
                    &run.id,
                    kind::AWAITING_INPUT,
                    json!({
                        "state": state,
                        "kind": pending.kind,
                        "prompt": pending.prompt,
                    }),
                )?;
                // A week at most, whatever the config says, so the arithmetic cannot overflow.
                let secs = pending.timeout_secs.min(7 * 24 * 3600) as i64;
                let at = pending.since + chrono::Duration::seconds(secs);
                enqueue_step(conn, &job(true), Some(at))?;
                notify::notify(
                    conn,
                    tenant,
                    None,
                    notify::Notice {
                        recipient: &run.started_by,
                        kind: NotificationKind::RunNeedsInput,
                        title: format!("“{}” needs your answer", run.title),
                        body: pending.prompt.clone(),
                        link: format!("/runs/{}", run.id),
                    },
                )?;
            }
            Next::Finish {
                status,
                final_state,
                error,
            } => {
                finish_in_tx(
                    conn,
                    tenant,
                    run,
                    &result.machine,
                    *status,
                    final_state.as_deref(),
                    error.as_deref(),
                )?;
            }
        }
        Ok(())
    })
}

pub fn enqueue_step(
    conn: &mut crate::db::DbConn,
    job: &StepJob,
    at: Option<chrono::NaiveDateTime>,
) -> Result<(), StepError> {
    let payload = serde_json::to_string(job)
        .map_err(|e| StepError::Fatal(format!("bad job payload: {e}")))?;
    match at {
        Some(at) => jobs::queue::enqueue_at(conn, JobKind::WorkflowStep, &payload, at)?,
        None => jobs::queue::enqueue(conn, JobKind::WorkflowStep, &payload)?,
    };
    Ok(())
}

/// Ends the run inside the caller's transaction: final fields, credits confirmed (complete)
/// or released (anything else), the closing event and a notification.
pub fn finish_in_tx(
    conn: &mut crate::db::DbConn,
    tenant: &Tenant,
    run: &Run,
    ms: &MachineState,
    status: RunStatus,
    final_state: Option<&str>,
    error: Option<&str>,
) -> Result<bool, StepError> {
    let base = run_base_cost(run);
    let used = if status == RunStatus::Complete {
        (base + ms.call_credits).min(run.credits_reserved)
    } else {
        0
    };
    let ended = repo::runs::finish(
        conn,
        tenant,
        &run.id,
        &Finish {
            status,
            final_state,
            error,
            credits_used: used,
        },
    )?;
    if !ended {
        return Ok(false);
    }
    let key = credit_key(&run.id);
    // Both are no-ops on a replay: only a pending reservation changes.
    if status == RunStatus::Complete {
        usage::confirm(conn, tenant, &key, used).map_err(|e| StepError::Retry(e.to_string()))?;
    } else {
        usage::release(conn, tenant, &key).map_err(|e| StepError::Retry(e.to_string()))?;
    }
    if status == RunStatus::Complete {
        write_back_to_post(conn, tenant, run)?;
    }
    events::append(
        conn,
        tenant,
        &run.id,
        kind::RUN_FINISHED,
        json!({
            "status": status.as_str(),
            "final_state": final_state,
            "error": error,
            "credits_used": used,
        }),
    )?;
    let (kind, title) = match status {
        RunStatus::Complete => (
            NotificationKind::RunFinished,
            format!("“{}” is written", run.title),
        ),
        RunStatus::Aborted => return Ok(true),
        _ => (
            NotificationKind::RunFailed,
            format!("“{}” stopped: {}", run.title, status.label().to_lowercase()),
        ),
    };
    notify::notify(
        conn,
        tenant,
        None,
        notify::Notice {
            recipient: &run.started_by,
            kind,
            title,
            body: error
                .unwrap_or("Open the run to see the final post.")
                .to_string(),
            link: format!("/runs/{}", run.id),
        },
    )?;
    Ok(true)
}

fn run_base_cost(run: &Run) -> i64 {
    super::step::run_config(run)
        .map(|cfg| i64::from(cfg.credit_weights.base_cost))
        .unwrap_or(0)
}

/// A run started from a post ("Write with AI") leaves its final text as the post's next
/// version, credited to the workflow.
fn write_back_to_post(
    conn: &mut crate::db::DbConn,
    tenant: &Tenant,
    run: &Run,
) -> Result<(), StepError> {
    let Some(post_id) = &run.post_id else {
        return Ok(());
    };
    let outputs = repo::runs::outputs(conn, tenant, &run.id)?;
    let Some(text) = super::inputs::latest_of(&outputs, "final")
        .first()
        .map(|o| o.content.trim().to_string())
        .filter(|t| !t.is_empty())
    else {
        return Ok(());
    };
    let Some(post) = repo::posts::find(conn, tenant, post_id)? else {
        // Deleted while the run worked; the run keeps its text.
        return Ok(());
    };
    let actor = crate::service::audit::Actor {
        user_id: Some(run.started_by.clone()),
        ip: None,
        user_agent: None,
    };
    let saved = crate::service::posts::update_text(
        conn,
        tenant,
        &actor,
        post_id,
        &post.title,
        &text,
        crate::model::VersionSource::Workflow,
    )
    .map_err(|e| StepError::Retry(e.to_string()))?;
    if let Err(errors) = saved {
        tracing::warn!(run_id = %run.id, ?errors, "the final post did not fit the post; left on the run");
    }
    Ok(())
}
