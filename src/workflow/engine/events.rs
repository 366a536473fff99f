//! The run's event log: every step becomes a row that the live page streams and replays.

use serde_json::{json, Value};

use crate::auth::Tenant;
use crate::db::DbConn;
use crate::model::RunId;
use crate::repo;

/// Event kinds, as the browser sees them in the SSE `event:` field.
pub mod kind {
    pub const RUN_STARTED: &str = "run_started";
    pub const STATE_ENTERED: &str = "state_entered";
    pub const AGENT_STARTED: &str = "agent_started";
    pub const AGENT_FINISHED: &str = "agent_finished";
    pub const AGENT_FAILED: &str = "agent_failed";
    pub const VERDICT: &str = "verdict";
    pub const STATE_COMPLETED: &str = "state_completed";
    pub const TRANSITION: &str = "transition";
    pub const CIRCUIT_BREAK: &str = "circuit_break";
    pub const AUTO_SKIP: &str = "circuit_break_auto_skip";
    pub const HARD_LIMIT: &str = "hard_limit";
    pub const AWAITING_INPUT: &str = "awaiting_input";
    pub const INPUT_RECEIVED: &str = "input_received";
    pub const PAUSE_REQUESTED: &str = "pause_requested";
    pub const PAUSED: &str = "paused";
    pub const RESUMED: &str = "resumed";
    pub const ABORT_REQUESTED: &str = "abort_requested";
    pub const RUN_FINISHED: &str = "run_finished";
}

pub fn append(
    conn: &mut DbConn,
    tenant: &Tenant,
    run: &RunId,
    kind: &str,
    payload: Value,
) -> diesel::QueryResult<i64> {
    repo::runs::append_event(conn, tenant, run, kind, &payload.to_string())
}

/// A one-line description of an event for logs and the terminal.
pub fn describe(kind: &str, p: &Value) -> String {
    let s = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let n = |k: &str| p.get(k).and_then(Value::as_i64).unwrap_or(0);
    match kind {
        kind::RUN_STARTED => format!("Run started with {}", s("config")),
        kind::STATE_ENTERED => format!("→ {} ({})", s("state"), s("type")),
        kind::AGENT_STARTED => format!("  {} started ({})", s("agent"), s("model")),
        kind::AGENT_FINISHED => format!(
            "  {} finished: {} tokens, ${:.4}, {} ms",
            s("agent"),
            n("input_tokens") + n("output_tokens"),
            p.get("cost_usd").and_then(Value::as_f64).unwrap_or(0.0),
            n("latency_ms")
        ),
        kind::AGENT_FAILED => format!("  {} failed: {}", s("agent"), s("error")),
        kind::VERDICT => format!(
            "  {} scored {}/10: {}",
            s("agent"),
            n("score"),
            s("decision")
        ),
        kind::STATE_COMPLETED => format!("  {} → outcome {}", s("state"), s("outcome")),
        kind::TRANSITION => format!("{} → {}", s("from"), s("to")),
        kind::CIRCUIT_BREAK => format!("Circuit breaker: {}", s("message")),
        kind::AUTO_SKIP => format!("Good enough (score ≥ 8): skipping to {}", s("to")),
        kind::HARD_LIMIT => format!("Hard limit: {}", s("message")),
        kind::AWAITING_INPUT => format!("Waiting for you at {}: {}", s("state"), s("prompt")),
        kind::INPUT_RECEIVED => format!("Answer received: {}", s("decision")),
        kind::PAUSE_REQUESTED => "Pause requested; pausing after the current state".into(),
        kind::PAUSED => "Paused".into(),
        kind::RESUMED => "Resumed".into(),
        kind::ABORT_REQUESTED => "Abort requested".into(),
        kind::RUN_FINISHED => {
            let error = s("error");
            if error.is_empty() {
                format!("Run {} at {}", s("status"), s("final_state"))
            } else {
                format!("Run {}: {}", s("status"), error)
            }
        }
        other => other.to_string(),
    }
}

/// Shorthand for the common `{state, agent}` payload.
pub fn agent_payload(state: &str, agent: &str, model: &str) -> Value {
    json!({ "state": state, "agent": agent, "model": model })
}
