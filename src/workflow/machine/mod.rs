//! The workflow engine's decisions, free of I/O: where a run goes next, what an auditor's
//! answer means, which feedback a state receives, when the circuit breaker trips, what a run
//! costs in credits and which agents a tier runs. The runner owns time, storage and agents
//! and asks this module what to do.

pub mod breaker;
pub mod credits;
pub mod feedback;
pub mod tiers;
pub mod transitions;
pub mod verdict;

pub use breaker::{auto_skip_target, skip_target, Breaker, Limits, Rule, Trip};
pub use credits::{call_weight, estimate};
pub use feedback::{auditor_feedback, reviewer_feedback, user_feedback, FeedbackStore};
pub use tiers::{apply_overlay, OverlayTier};
pub use transitions::{next_state, start_state};
pub use verdict::{aggregate, extract_json, parse_verdict, Aggregate, Decision, Issue, Verdict};

/// Test helpers: workflows parsed from YAML exactly as the loader would.
#[cfg(test)]
pub(crate) mod testing {
    use crate::workflow::config::{check, WorkflowConfig};

    /// A config parsed and validated with every persona treated as known.
    pub fn config(yaml: &str) -> WorkflowConfig {
        match check(yaml, &|_| true) {
            Ok(cfg) => cfg,
            Err(errs) => panic!("test workflow is invalid: {errs:#?}"),
        }
    }

    /// A shipped workflow from `workflows/configs/`.
    pub fn shipped(slug: &str) -> WorkflowConfig {
        let rel = format!("configs/{slug}.yaml");
        let text = crate::workflow::config::bundled_text(&rel)
            .unwrap_or_else(|| panic!("{rel} is not bundled"));
        config(&text)
    }
}
