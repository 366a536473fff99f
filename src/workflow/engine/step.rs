//! One `workflow_step` job: checks the run is still at that step, applies pause and abort
//! requests, then executes the current state (or applies a person's answer) and commits.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::auth::tenant::{self, Tenant};
use crate::db::DbPool;
use crate::model::{Run, RunControl, RunId, RunStatus, UserId, WorkspaceId};
use crate::repo;
use crate::workflow::agents::Providers;
use crate::workflow::config::model::StateType;
use crate::workflow::config::{self, Source, WorkflowConfig};
use crate::workflow::machine::{self, Limits, OverlayTier};

use super::commit::{self, Next, StepResult};
use super::events::kind;
use super::state::{Decision, MachineState, PendingInput, WaitKind};
use super::{execute, inputs, status_for_terminal};

/// The job payload. `step` is the run's step the job was made for; a job for any other step
/// is stale and does nothing.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepJob {
    pub run_id: RunId,
    pub workspace_id: WorkspaceId,
    pub user_id: UserId,
    pub step: i32,
    /// Set on the job that ends a wait for a person that went unanswered.
    #[serde(default)]
    pub timeout: bool,
}

/// What the engine needs from its host (the worker pool or the CLI).
pub struct EngineCtx<'a> {
    pub pool: &'a DbPool,
    pub providers: &'a Providers,
    /// Keeps the job's lease alive while agents work; `None` outside the queue.
    pub heartbeat: Option<&'a (dyn Fn() + Sync)>,
}

#[derive(Debug)]
pub enum StepError {
    /// Worth another attempt (the database was unavailable).
    Retry(String),
    /// The job can never succeed.
    Fatal(String),
}

impl From<diesel::result::Error> for StepError {
    fn from(e: diesel::result::Error) -> Self {
        StepError::Retry(e.to_string())
    }
}

impl From<diesel::r2d2::PoolError> for StepError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        StepError::Retry(e.to_string())
    }
}

impl From<crate::error::AppError> for StepError {
    fn from(e: crate::error::AppError) -> Self {
        StepError::Retry(e.to_string())
    }
}

/// The run's config as it was when it started, with the workspace's tier overlay applied.
pub fn run_config(run: &Run) -> Result<WorkflowConfig, String> {
    let cfg =
        config::check(&run.config_yaml, &|p| Source::Embedded.has_persona(p)).map_err(|errs| {
            let list: Vec<String> = errs.iter().map(ToString::to_string).collect();
            format!("the workflow config is invalid: {}", list.join("; "))
        })?;
    let tier = if run.overlay == "premium" {
        OverlayTier::Premium
    } else {
        OverlayTier::Standard
    };
    Ok(machine::apply_overlay(&cfg, tier))
}

/// Builds the tenant for the job: the member who started the run, or the owner when that
/// person has left (the run then fails with a message rather than hanging).
fn job_tenant(
    conn: &mut crate::db::DbConn,
    job: &StepJob,
) -> Result<Option<(Tenant, bool)>, StepError> {
    if let Some(t) = tenant::check_membership_by_id(conn, &job.user_id, &job.workspace_id)? {
        return Ok(Some((t, true)));
    }
    Ok(tenant::owner_of(conn, &job.workspace_id)?.map(|t| (t, false)))
}

pub fn run_step(ctx: &EngineCtx, job: &StepJob) -> Result<(), StepError> {
    let mut conn = ctx.pool.get()?;
    let Some((tenant, starter_is_member)) = job_tenant(&mut conn, job)? else {
        // The workspace is gone, and its runs with it.
        return Ok(());
    };
    let Some(run) = repo::runs::find(&mut conn, &tenant, &job.run_id)? else {
        return Ok(());
    };
    if run.status.is_final() || run.step != job.step {
        return Ok(());
    }
    let mut ms: MachineState = serde_json::from_str(&run.machine)
        .map_err(|e| StepError::Fatal(format!("the saved run state is unreadable: {e}")))?;
    drop(conn);

    let finish = |status: RunStatus, final_state: Option<&str>, error: Option<String>, ms| {
        commit::commit(
            ctx.pool,
            &tenant,
            &run,
            StepResult::finish(ms, status, final_state, error),
        )
    };
    if !starter_is_member {
        return finish(
            RunStatus::Failed,
            None,
            Some("The person who started this run is no longer a member of the workspace.".into()),
            ms,
        );
    }
    if job.timeout {
        if run.status != RunStatus::AwaitingInput || ms.answer.is_some() {
            return Ok(());
        }
        let minutes = pending_of(&run).map_or(0, |p| p.timeout_secs / 60);
        return finish(
            RunStatus::Halted,
            None,
            Some(format!(
                "Nobody answered within {minutes} minutes, so the run stopped."
            )),
            ms,
        );
    }
    match run.control {
        Some(RunControl::Abort) => {
            return finish(
                RunStatus::Aborted,
                None,
                Some("Aborted by a person.".into()),
                ms,
            );
        }
        Some(RunControl::Pause) => {
            let mut conn = ctx.pool.get()?;
            let paused = crate::db::write_tx(&mut conn, |conn| {
                // Only if the request is still a pause: an abort that arrived meanwhile wins.
                let paused = repo::runs::apply_pause(conn, &tenant, &run.id, run.step)?;
                if paused {
                    super::events::append(
                        conn,
                        &tenant,
                        &run.id,
                        kind::PAUSED,
                        json!({ "state": run.current_state }),
                    )?;
                }
                Ok::<_, diesel::result::Error>(paused)
            })?;
            if !paused
                && repo::runs::control(&mut conn, &tenant, &run.id)? == Some(RunControl::Abort)
            {
                drop(conn);
                return finish(
                    RunStatus::Aborted,
                    None,
                    Some("Aborted by a person.".into()),
                    ms,
                );
            }
            return Ok(());
        }
        None => {}
    }
    if matches!(run.status, RunStatus::Paused) {
        return Ok(());
    }
    if run.status == RunStatus::AwaitingInput && ms.answer.is_none() {
        // Still waiting; a duplicate job.
        return Ok(());
    }

    let cfg = match run_config(&run) {
        Ok(cfg) => cfg,
        Err(e) => return finish(RunStatus::Failed, None, Some(e), ms),
    };
    let limits = Limits::from_config(&cfg.circuit_breaker);
    let active_secs = (run.active_ms / 1000).max(0) as u64;
    if let Some(trip) = ms.breaker.check_hard(active_secs, run.cost_usd()) {
        let mut result = StepResult::finish(
            ms,
            RunStatus::Halted,
            None,
            Some(format!("Hard limit reached: {}", trip.message)),
        );
        result.events.push((
            kind::HARD_LIMIT,
            json!({ "rule": trip.rule.as_str(), "message": trip.message }),
        ));
        return commit::commit(ctx.pool, &tenant, &run, result);
    }

    // A circuit break the person has now answered.
    if let Some(pb) = ms.pending_break.clone() {
        if let Some(answer) = ms.answer.take() {
            ms.pending_break = None;
            let mut result = StepResult::new(ms.clone());
            result.events.push((
                kind::INPUT_RECEIVED,
                answer_payload(&answer, &run.current_state),
            ));
            let target = match answer.decision {
                Decision::Approved => machine::skip_target(&cfg, &pb.from).unwrap_or(pb.to.clone()),
                Decision::Feedback => {
                    result.machine.breaker.reset();
                    let target = cfg
                        .circuit_breaker
                        .feedback_target
                        .as_ref()
                        .map(|t| t.value.clone())
                        .unwrap_or(pb.from.clone());
                    if !answer.feedback.trim().is_empty() {
                        result
                            .machine
                            .feedback
                            .put(&target, machine::user_feedback(&answer.feedback));
                    }
                    target
                }
                Decision::Abort => {
                    result.next = Next::Finish {
                        status: RunStatus::Aborted,
                        final_state: None,
                        error: Some(format!("Stopped at the circuit breaker: {}", pb.message)),
                    };
                    return commit::commit(ctx.pool, &tenant, &run, result);
                }
            };
            result
                .events
                .push((kind::TRANSITION, json!({ "from": pb.from, "to": target })));
            result.next = Next::Go(target);
            return commit::commit(ctx.pool, &tenant, &run, result);
        }
    }

    let Some(state) = cfg.states.get(&run.current_state) else {
        return finish(
            RunStatus::Failed,
            None,
            Some(format!("Unknown state: {}", run.current_state)),
            ms,
        );
    };
    match state.kind {
        StateType::Terminal => {
            let status = status_for_terminal(&run.current_state);
            let error = match status {
                RunStatus::Complete => None,
                _ => ms.last_error.clone(),
            };
            finish(status, Some(&run.current_state.clone()), error, ms)
        }
        StateType::HumanApproval => human_step(ctx, &tenant, &run, &cfg, ms, &limits),
        StateType::Initial => {
            let mut result = StepResult::new(ms);
            commit::route(&cfg, &run, &limits, "success", &mut result, 0);
            commit::commit(ctx.pool, &tenant, &run, result)
        }
        StateType::Single | StateType::FanOut | StateType::OrchestratorTask => {
            let mut conn = ctx.pool.get()?;
            let outputs = repo::runs::outputs(&mut conn, &tenant, &run.id)?;
            drop(conn);
            match execute::agent_state(ctx, &tenant, &run, &cfg, state, &outputs, ms)? {
                execute::Executed::Aborted(result) => {
                    commit::commit(ctx.pool, &tenant, &run, *result)
                }
                execute::Executed::Done {
                    mut result,
                    outcome,
                    active_ms,
                } => {
                    let secs = ((run.active_ms + active_ms) / 1000).max(0) as u64;
                    commit::route(&cfg, &run, &limits, &outcome, &mut result, secs);
                    commit::commit(ctx.pool, &tenant, &run, *result)
                }
            }
        }
    }
}

pub fn pending_of(run: &Run) -> Option<PendingInput> {
    run.pending_input
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok())
}

fn answer_payload(answer: &super::state::Answer, state: &str) -> serde_json::Value {
    json!({
        "state": state,
        "decision": answer.decision.as_str(),
        "feedback": answer.feedback,
    })
}

/// A human-approval state: wait for a person, or apply their answer.
fn human_step(
    ctx: &EngineCtx,
    tenant: &Tenant,
    run: &Run,
    cfg: &WorkflowConfig,
    mut ms: MachineState,
    limits: &Limits,
) -> Result<(), StepError> {
    let Some(state) = cfg.states.get(&run.current_state) else {
        return Ok(());
    };
    let mut conn = ctx.pool.get()?;
    let outputs = repo::runs::outputs(&mut conn, tenant, &run.id)?;
    drop(conn);
    let (shown, shown_type) = inputs::shown_content(state.input.as_ref(), &outputs);
    let Some(answer) = ms.answer.take() else {
        let timeout_secs = state.timeout.unwrap_or(3600);
        let pending = PendingInput {
            kind: WaitKind::Approval,
            state: run.current_state.clone(),
            prompt: state
                .prompt
                .clone()
                .unwrap_or_else(|| "Approve, send feedback, or abort.".into()),
            content: shown,
            audits: commit::audit_notes(&outputs),
            since: crate::model::now(),
            timeout_secs,
        };
        let mut result = StepResult::new(ms);
        result.next = Next::Wait {
            state: run.current_state.clone(),
            pending,
        };
        return commit::commit(ctx.pool, tenant, run, result);
    };
    let mut result = StepResult::new(ms);
    result.events.push((
        kind::INPUT_RECEIVED,
        answer_payload(&answer, &run.current_state),
    ));
    let text = answer.feedback.trim().to_string();
    if answer.decision == Decision::Feedback && !text.is_empty() {
        if let Some(target) = machine::next_state(cfg, &run.current_state, "feedback") {
            result
                .machine
                .feedback
                .put(&target, machine::reviewer_feedback(&shown, &text));
        }
        result.outputs.push(commit::OwnedOutput {
            state_name: run.current_state.clone(),
            agent: "author".into(),
            output_type: inputs::HUMAN_FEEDBACK.into(),
            content: text.clone(),
            score: None,
            decision: Some("feedback".into()),
        });
        // Details added where the reviewer asked about the story belong to the story, so the
        // processor sees them too, not just the reviewer.
        if matches!(shown_type, Some("review") | Some(inputs::STORY)) {
            result.outputs.push(commit::OwnedOutput {
                state_name: run.current_state.clone(),
                agent: "author-details".into(),
                output_type: inputs::STORY_DETAILS.into(),
                content: text,
                score: None,
                decision: None,
            });
        }
    }
    if answer.decision == Decision::Abort {
        let final_state = machine::next_state(cfg, &run.current_state, "abort");
        result.next = Next::Finish {
            status: RunStatus::Aborted,
            final_state,
            error: Some(format!("Aborted at {}.", run.current_state)),
        };
        return commit::commit(ctx.pool, tenant, run, result);
    }
    let secs = (run.active_ms / 1000).max(0) as u64;
    commit::route(
        cfg,
        run,
        limits,
        answer.decision.as_str(),
        &mut result,
        secs,
    );
    commit::commit(ctx.pool, tenant, run, result)
}

/// How long the lease heartbeat and control polling wait between database reads.
pub const CONTROL_POLL: Duration = Duration::from_millis(400);
