//! Executing a state that calls agents: single, fan-out and orchestrator-task.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::auth::Tenant;
use crate::model::{Run, RunControl, RunOutput};
use crate::repo;
use crate::workflow::agents::{Agent, AgentRequest};
use crate::workflow::config::model::{OutputType, StateDef, StateType};
use crate::workflow::config::WorkflowConfig;
use crate::workflow::machine::{self, Decision as Verdict};
use crate::workflow::prompt::{self, PromptInput, PromptParts};

use super::commit::{OwnedMetric, OwnedOutput, StepResult};
use super::events::{self, kind};
use super::invoke::{self, Batch, Call, CallResult, Watch};
use super::micros;
use super::state::MachineState;
use super::step::{EngineCtx, StepError, CONTROL_POLL};

pub enum Executed {
    /// Stopped by a person mid-state: what the finished calls produced and cost is kept, and
    /// the result ends the run.
    Aborted(Box<StepResult>),
    Done {
        result: Box<StepResult>,
        outcome: String,
        active_ms: i64,
    },
}

fn output_type_name(state_name: &str, state: &StateDef) -> String {
    match state.output_type {
        Some(OutputType::Review) => "review".into(),
        Some(OutputType::Processed) => "processed".into(),
        Some(OutputType::Draft) => "draft".into(),
        Some(OutputType::Audit) => "audit".into(),
        Some(OutputType::Final) => "final".into(),
        Some(OutputType::FinalAudit) => "final_audit".into(),
        None => state_name.to_string(),
    }
}

/// The agents a state calls, in config order.
fn agent_names(state: &StateDef) -> Vec<String> {
    match state.kind {
        StateType::FanOut => state.agents.iter().map(|a| a.value.clone()).collect(),
        _ => state.agent.iter().map(|a| a.value.clone()).collect(),
    }
}

fn persona_for<'a>(cfg: &'a WorkflowConfig, state: &'a StateDef, agent: &str) -> Option<&'a str> {
    state
        .personas
        .get(agent)
        .map(|p| p.value.as_str())
        .or(state.persona.as_ref().map(|p| p.value.as_str()))
        .or_else(|| {
            cfg.agents
                .get(agent)
                .and_then(|a| a.persona.as_ref())
                .map(|p| p.value.as_str())
        })
}

fn log_event(ctx: &EngineCtx, tenant: &Tenant, run: &Run, k: &str, payload: serde_json::Value) {
    // Live progress only: the committed step is the record, so a lost event is not fatal.
    let written = ctx.pool.get().map_err(|e| e.to_string()).and_then(|mut c| {
        events::append(&mut c, tenant, &run.id, k, payload).map_err(|e| e.to_string())
    });
    if let Err(e) = written {
        tracing::warn!(run_id = %run.id, error = %e, "cannot record a run event");
    }
}

pub fn agent_state(
    ctx: &EngineCtx,
    tenant: &Tenant,
    run: &Run,
    cfg: &WorkflowConfig,
    state: &StateDef,
    outputs: &[RunOutput],
    mut ms: MachineState,
) -> Result<Executed, StepError> {
    let name = run.current_state.as_str();
    let feedback = ms
        .feedback
        .take(name)
        .map(|f| machine::auditor_feedback(&f));
    log_event(
        ctx,
        tenant,
        run,
        kind::STATE_ENTERED,
        json!({
            "state": name,
            "type": state.kind.as_str(),
            "has_feedback": feedback.is_some(),
            "step": run.step,
        }),
    );
    let started = Instant::now();
    let out_type = output_type_name(name, state);
    let verdict_state = state.output_type.is_some_and(OutputType::is_verdict);
    let mut inputs = super::inputs::resolve(state.input.as_ref(), outputs);
    let mut task = state.prompt.clone();
    if state.kind == StateType::OrchestratorTask && feedback.is_some() {
        if let Some(previous) = outputs.iter().rev().find(|o| o.state_name == name) {
            inputs.push(PromptInput {
                label: "Your previous version".into(),
                content: previous.content.clone(),
            });
            task = Some(
                "Revise your previous version. Change only what the feedback below asks for and \
                 keep everything else exactly as it was."
                    .into(),
            );
        }
    }
    let pricing: Vec<(String, crate::workflow::config::model::Price)> = cfg
        .pricing
        .0
        .iter()
        .map(|(k, v)| (k.value.clone(), *v))
        .collect();

    let mut calls = Vec::new();
    let mut early: Vec<CallResult> = Vec::new();
    for agent_name in agent_names(state) {
        let Some(def) = cfg.agents.get(&agent_name) else {
            early.push(failed(
                &agent_name,
                format!("no agent named {agent_name} in the config"),
            ));
            continue;
        };
        let parts = PromptParts {
            persona: persona_for(cfg, state, &agent_name),
            voice: run.voice.as_deref(),
            context: state.context.as_deref(),
            task: task.as_deref(),
            inputs: &inputs,
            feedback: feedback.as_deref(),
        };
        let (system, user) = match prompt::compose(&parts) {
            Ok(p) => p,
            Err(e) => {
                early.push(failed(&agent_name, e));
                continue;
            }
        };
        let agent: Arc<dyn Agent> = match ctx.providers.agent(def, &pricing) {
            Ok(a) => Arc::from(a),
            Err(e) => {
                early.push(failed(&agent_name, e.to_string()));
                continue;
            }
        };
        let mut request = AgentRequest::single(system, user);
        request.max_tokens = def.max_tokens.unwrap_or(4096);
        request.json = verdict_state;
        calls.push(Call {
            agent_name,
            agent,
            request,
        });
    }
    for r in &early {
        log_event(
            ctx,
            tenant,
            run,
            kind::AGENT_FAILED,
            failed_payload(name, r),
        );
    }

    let mut last_poll = Instant::now();
    let mut watch = || {
        if last_poll.elapsed() < CONTROL_POLL {
            return Watch::Continue;
        }
        last_poll = Instant::now();
        if let Some(beat) = ctx.heartbeat {
            beat();
        }
        let control = ctx
            .pool
            .get()
            .ok()
            .and_then(|mut c| repo::runs::control(&mut c, tenant, &run.id).ok())
            .flatten();
        match control {
            Some(RunControl::Abort) => Watch::Abort,
            _ => Watch::Continue,
        }
    };
    let batch = invoke::run_batch(
        calls,
        cfg.settings.parallel_fanout,
        Duration::from_secs(cfg.settings.timeout_per_agent.max(1)),
        &mut |call| {
            log_event(
                ctx,
                tenant,
                run,
                kind::AGENT_STARTED,
                events::agent_payload(name, &call.agent_name, &call.agent.describe()),
            )
        },
        &mut |r| match &r.outcome {
            Ok(resp) => log_event(
                ctx,
                tenant,
                run,
                kind::AGENT_FINISHED,
                json!({
                    "state": name,
                    "agent": r.agent_name,
                    "model": r.model,
                    "input_tokens": resp.input_tokens,
                    "output_tokens": resp.output_tokens,
                    "cost_usd": resp.cost_usd,
                    "latency_ms": r.latency_ms,
                }),
            ),
            Err(_) => log_event(
                ctx,
                tenant,
                run,
                kind::AGENT_FAILED,
                failed_payload(name, r),
            ),
        },
        &mut watch,
    );
    let (mut results, aborted) = match batch {
        Batch::Aborted(done) => (done, true),
        Batch::Done(results) => (results, false),
    };
    results.extend(early);
    let active_ms = started.elapsed().as_millis() as i64;

    let mut result = StepResult::new(ms.clone());
    result.active_ms = active_ms;
    let mut successes = 0usize;
    let mut verdicts: Vec<(String, machine::Verdict)> = Vec::new();
    let mut first_error: Option<String> = None;
    for r in &results {
        match &r.outcome {
            Ok(resp) => {
                successes += 1;
                result.input_tokens += resp.input_tokens as i64;
                result.output_tokens += resp.output_tokens as i64;
                result.cost_micros += micros(resp.cost_usd);
                result.machine.call_credits += i64::from(machine::call_weight(cfg, &r.agent_name));
                let verdict = if verdict_state {
                    machine::parse_verdict(
                        &resp.content,
                        state.output_type == Some(OutputType::Review),
                    )
                } else {
                    None
                };
                result.outputs.push(OwnedOutput {
                    state_name: name.to_string(),
                    agent: r.agent_name.clone(),
                    output_type: out_type.clone(),
                    content: resp.content.clone(),
                    score: verdict.as_ref().map(|v| i32::from(v.score)),
                    decision: verdict.as_ref().map(|v| v.decision.as_str().to_string()),
                });
                result.metrics.push(OwnedMetric {
                    state_name: name.to_string(),
                    agent: r.agent_name.clone(),
                    model: r.model.clone(),
                    success: true,
                    error: None,
                    input_tokens: resp.input_tokens as i64,
                    output_tokens: resp.output_tokens as i64,
                    cost_micros: micros(resp.cost_usd),
                    latency_ms: r.latency_ms as i64,
                });
                if let Some(v) = verdict {
                    result.events.push((
                        kind::VERDICT,
                        json!({
                            "state": name,
                            "agent": r.agent_name,
                            "score": v.score,
                            "decision": v.decision.as_str(),
                            "feedback": v.feedback,
                            "malformed": v.malformed,
                        }),
                    ));
                    verdicts.push((r.agent_name.clone(), v));
                }
            }
            Err(e) => {
                first_error.get_or_insert_with(|| format!("{}: {e}", r.agent_name));
                result.metrics.push(OwnedMetric {
                    state_name: name.to_string(),
                    agent: r.agent_name.clone(),
                    model: r.model.clone(),
                    success: false,
                    error: Some(e.clone()),
                    input_tokens: 0,
                    output_tokens: 0,
                    cost_micros: 0,
                    latency_ms: r.latency_ms as i64,
                });
            }
        }
    }
    if first_error.is_some() {
        result.machine.last_error = first_error;
    }
    if aborted {
        result.events.clear();
        result.next = super::commit::Next::Finish {
            status: crate::model::RunStatus::Aborted,
            final_state: None,
            error: Some("Aborted by a person.".into()),
        };
        return Ok(Executed::Aborted(Box::new(result)));
    }

    let outcome = if let Some(agg) = machine::aggregate(&verdicts) {
        result.machine.last_score = Some(agg.min_score);
        if agg.decision == Verdict::Retry {
            if let Some(target) = machine::next_state(cfg, name, "retry") {
                result.machine.feedback.put(&target, agg.feedback.clone());
            }
        }
        agg.decision.as_str().to_string()
    } else if state.kind == StateType::FanOut {
        match (successes, results.len()) {
            (0, _) => "all_failure".into(),
            (s, n) if s == n => "all_success".into(),
            _ => "partial_success".into(),
        }
    } else if successes > 0 {
        "success".into()
    } else {
        "failure".into()
    };
    result.events.push((
        kind::STATE_COMPLETED,
        json!({ "state": name, "outcome": outcome, "duration_ms": active_ms }),
    ));
    Ok(Executed::Done {
        result: Box::new(result),
        outcome,
        active_ms,
    })
}

fn failed(agent: &str, error: String) -> CallResult {
    CallResult {
        agent_name: agent.to_string(),
        model: String::new(),
        outcome: Err(error),
        latency_ms: 0,
    }
}

fn failed_payload(state: &str, r: &CallResult) -> serde_json::Value {
    json!({
        "state": state,
        "agent": r.agent_name,
        "model": r.model,
        "error": r.outcome.as_ref().err(),
        "latency_ms": r.latency_ms,
    })
}
