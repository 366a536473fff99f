//! Where a run goes after a state produced an outcome (spec §2.5).

use crate::workflow::config::model::{StateType, WorkflowConfig};

/// The state after `state` produced `outcome`, or `None` when the workflow names none (the
/// runner then halts with "No valid transition").
///
/// A state with its own `transitions` map sees that map laid over `default_transitions`, and
/// falls back to `next` only for outcomes neither names. A state without a map goes to `next`
/// unconditionally and uses the defaults only when it has no `next`.
pub fn next_state(cfg: &WorkflowConfig, state: &str, outcome: &str) -> Option<String> {
    let def = cfg.states.get(state)?;
    if def.kind == StateType::Terminal {
        return None;
    }
    let default = || {
        cfg.default_transitions
            .get(outcome)
            .map(|t| t.value.clone())
    };
    let next = || def.next.as_ref().map(|n| n.value.clone());
    match &def.transitions {
        Some(own) => own
            .get(outcome)
            .map(|t| t.value.clone())
            .or_else(default)
            .or_else(next),
        None => next().or_else(default),
    }
}

/// The state a run begins in: the configured `start`, else the one `initial` state.
pub fn start_state(cfg: &WorkflowConfig) -> Option<String> {
    if let Some(start) = &cfg.start {
        return Some(start.value.clone());
    }
    let mut initial = cfg
        .states
        .0
        .iter()
        .filter(|(_, s)| s.kind == StateType::Initial);
    match (initial.next(), initial.next()) {
        (Some((name, _)), None) => Some(name.value.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::machine::testing::{config, shipped};

    const GRAPH: &str = "\
name: Transitions
agents:
  w: {provider: groq, model: m}
default_transitions:
  failure: failed
  success: fallback
states:
  begin: {type: initial, next: own-map}
  own-map:
    agent: w
    transitions: {success: done}
    next: via-next
  own-map-no-next:
    agent: w
    transitions: {success: done}
  no-map:
    agent: w
    next: via-next
  defaults-only:
    agent: w
  via-next: {agent: w, next: done}
  fallback: {agent: w, next: done}
  done: {type: terminal}
  failed: {type: terminal}
start: begin
";

    fn cfg() -> WorkflowConfig {
        // Unreachable states are a validation error, so the test graph links them all from
        // `begin` through a fan of defaults: parse without validating instead.
        crate::workflow::config::validate::parse_yaml(GRAPH).expect("test graph parses")
    }

    #[test]
    fn a_state_map_entry_wins_over_the_defaults() {
        assert_eq!(
            next_state(&cfg(), "own-map", "success").as_deref(),
            Some("done")
        );
    }

    #[test]
    fn a_state_map_is_filled_from_the_defaults_for_missing_outcomes() {
        assert_eq!(
            next_state(&cfg(), "own-map", "failure").as_deref(),
            Some("failed")
        );
    }

    #[test]
    fn a_state_map_falls_back_to_next_for_outcomes_nobody_names() {
        assert_eq!(
            next_state(&cfg(), "own-map", "halt").as_deref(),
            Some("via-next")
        );
        assert_eq!(next_state(&cfg(), "own-map-no-next", "halt"), None);
    }

    #[test]
    fn without_a_map_next_wins_over_the_defaults() {
        assert_eq!(
            next_state(&cfg(), "no-map", "failure").as_deref(),
            Some("via-next")
        );
    }

    #[test]
    fn without_a_map_or_next_the_defaults_apply() {
        assert_eq!(
            next_state(&cfg(), "defaults-only", "failure").as_deref(),
            Some("failed")
        );
        assert_eq!(
            next_state(&cfg(), "defaults-only", "success").as_deref(),
            Some("fallback")
        );
        assert_eq!(next_state(&cfg(), "defaults-only", "retry"), None);
    }

    #[test]
    fn unknown_and_terminal_states_go_nowhere() {
        assert_eq!(next_state(&cfg(), "ghost", "success"), None);
        assert_eq!(next_state(&cfg(), "done", "success"), None);
    }

    #[test]
    fn the_shipped_groq_graph_routes_audit_outcomes() {
        let groq = shipped("groq");
        assert_eq!(start_state(&groq).as_deref(), Some("begin"));
        assert_eq!(
            next_state(&groq, "begin", "success").as_deref(),
            Some("story-review")
        );
        assert_eq!(
            next_state(&groq, "audit", "retry").as_deref(),
            Some("draft")
        );
        assert_eq!(
            next_state(&groq, "audit", "halt").as_deref(),
            Some("stopped")
        );
        assert_eq!(
            next_state(&groq, "story-processing", "failure").as_deref(),
            Some("failed")
        );
        assert_eq!(
            next_state(&groq, "final-audit", "retry").as_deref(),
            Some("synthesize")
        );
    }

    #[test]
    fn the_start_state_is_the_single_initial_one_when_not_named() {
        let cfg = config(
            "name: x\nagents:\n  w: {provider: groq, model: m}\nstates:\n  go: {type: initial, next: end}\n  end: {type: terminal}\n",
        );
        assert_eq!(start_state(&cfg).as_deref(), Some("go"));
    }
}
