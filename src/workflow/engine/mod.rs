//! The runner: executes a run one state at a time on the job queue. Each state is one
//! `workflow_step` job; its outputs, metrics and the run's machine state are written in one
//! transaction together with the job for the next state, so a crash at any point resumes from
//! the last completed state with nothing lost and nothing written twice.

pub mod commit;
pub mod events;
pub mod execute;
pub mod inputs;
pub mod invoke;
pub mod state;
pub mod step;

pub use state::{Answer, Decision, MachineState, PendingInput, WaitKind};
pub use step::{run_step, EngineCtx, StepError, StepJob};

use crate::model::RunStatus;

/// The status a run ends with when it reaches a terminal state. Configs name their terminals
/// freely; `complete`/`done` mean success, `failed`/`error` a failure, anything else (`stopped`,
/// `halt`) that the run was stopped on purpose.
pub fn status_for_terminal(name: &str) -> RunStatus {
    match name {
        "complete" | "completed" | "done" => RunStatus::Complete,
        "failed" | "failure" | "error" => RunStatus::Failed,
        _ => RunStatus::Halted,
    }
}

/// Dollars to the integer micro-dollars the database stores.
pub fn micros(usd: f64) -> i64 {
    if usd.is_finite() && usd > 0.0 {
        (usd * 1_000_000.0).round() as i64
    } else {
        0
    }
}

/// The idempotency key of a run's credit reservation.
pub fn credit_key(run: &crate::model::RunId) -> String {
    format!("workflow-run:{run}")
}

/// Marks a run failed when its step job gives up, so it does not stay "running" forever.
pub fn fail_run(pool: &crate::db::DbPool, job: &StepJob, message: &str) {
    let outcome = (|| -> Result<(), StepError> {
        let mut conn = pool.get()?;
        let Some(tenant) = crate::auth::tenant::owner_of(&mut conn, &job.workspace_id)? else {
            return Ok(());
        };
        let Some(run) = crate::repo::runs::find(&mut conn, &tenant, &job.run_id)? else {
            return Ok(());
        };
        let ms: MachineState = serde_json::from_str(&run.machine).unwrap_or_default();
        crate::db::write_tx(&mut conn, |conn| {
            commit::finish_in_tx(
                conn,
                &tenant,
                &run,
                &ms,
                RunStatus::Failed,
                None,
                Some(&format!("The run stopped on an internal error: {message}")),
            )
        })?;
        Ok(())
    })();
    if let Err(e) = outcome {
        tracing::error!(run_id = %job.run_id, error = ?e, "cannot mark the run failed");
    }
}
