//! Credits a run costs (spec §5.3, checklist 55): a flat base plus a weight per agent call,
//! premium agents weighing more. The estimate is what a run costs when nothing is retried,
//! which is what the user is told before starting one.

use std::collections::HashSet;

use crate::workflow::config::model::{StateType, WorkflowConfig};

use super::transitions::{next_state, start_state};

/// The outcomes of a run that goes well, in the order a state is asked for them.
const HAPPY_OUTCOMES: [&str; 4] = ["success", "proceed", "all_success", "approved"];

/// The weight of one call to `agent`: premium if it is in premium_agents, else standard.
pub fn call_weight(cfg: &WorkflowConfig, agent: &str) -> u32 {
    let w = &cfg.credit_weights;
    if w.premium_agents.iter().any(|a| a.value == agent) {
        w.premium
    } else {
        w.standard
    }
}

/// base_cost + the weight of every agent call on the happy path (follow success/proceed/all_success/approved/next
/// from the start state until a terminal, each state counted once, fan-out counts each agent).
pub fn estimate(cfg: &WorkflowConfig) -> u32 {
    let mut total = cfg.credit_weights.base_cost;
    let mut seen = HashSet::new();
    let mut current = start_state(cfg);
    while let Some(name) = current {
        if !seen.insert(name.clone()) {
            break;
        }
        let Some(state) = cfg.states.get(&name) else {
            break;
        };
        total = total.saturating_add(state_weight(cfg, &name));
        if state.kind == StateType::Terminal {
            break;
        }
        current = HAPPY_OUTCOMES
            .iter()
            .find_map(|outcome| next_state(cfg, &name, outcome));
    }
    total
}

/// The credits one run of `state` costs: its agent's weight, or every fan-out agent's.
pub fn state_weight(cfg: &WorkflowConfig, state: &str) -> u32 {
    let Some(def) = cfg.states.get(state) else {
        return 0;
    };
    match def.kind {
        StateType::Single | StateType::OrchestratorTask => {
            def.agent.as_ref().map_or(0, |a| call_weight(cfg, &a.value))
        }
        StateType::FanOut => def
            .agents
            .iter()
            .map(|a| call_weight(cfg, &a.value))
            .fold(0, u32::saturating_add),
        StateType::Initial | StateType::HumanApproval | StateType::Terminal => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::machine::testing::{config, shipped};

    const TINY: &str = "\
name: Tiny
agents:
  small: {provider: groq, model: m}
  big: {provider: groq, model: m}
credit_weights:
  base_cost: 2
  premium_agents: [big]
states:
  begin: {type: initial, next: write}
  write:
    type: fan-out
    agents: [small, big]
    transitions: {all_success: check, partial_success: check, all_failure: stopped}
  check:
    agent: big
    output_type: audit
    transitions: {proceed: approve, retry: write, halt: stopped}
  approve:
    type: human-approval
    transitions: {approved: done, feedback: write, abort: stopped}
  done: {type: terminal}
  stopped: {type: terminal}
";

    #[test]
    fn premium_agents_weigh_five_and_others_one_by_default() {
        let cfg = config(TINY);
        assert_eq!(call_weight(&cfg, "big"), 5);
        assert_eq!(call_weight(&cfg, "small"), 1);
        assert_eq!(call_weight(&cfg, "unknown"), 1);
    }

    #[test]
    fn the_estimate_follows_the_happy_path_once() {
        // base 2 + write (1 + 5) + check (5); the retry loop back to write is not followed.
        assert_eq!(estimate(&config(TINY)), 13);
    }

    #[test]
    fn custom_weights_apply() {
        let yaml = TINY.replace(
            "  base_cost: 2\n",
            "  base_cost: 0\n  standard: 2\n  premium: 10\n",
        );
        assert_eq!(estimate(&config(&yaml)), 2 + 10 + 10);
    }

    #[test]
    fn the_shipped_groq_workflow_costs_its_base_plus_one_per_call() {
        // begin, story-review (1), story-processing (1), draft (3 writers), audit (2 auditors),
        // synthesize (1), final-audit (1), human-approval, complete: 9 calls + base 1.
        let groq = shipped("groq");
        assert_eq!(groq.credit_weights.base_cost, 1);
        assert_eq!(estimate(&groq), 10);
    }

    #[test]
    fn the_shipped_demo_workflow_is_free() {
        assert_eq!(estimate(&shipped("demo")), 0);
    }

    #[test]
    fn premium_models_make_the_shipped_claude_workflow_dearer() {
        let claude = shipped("claude");
        assert_eq!(call_weight(&claude, "opus"), 5);
        assert!(estimate(&claude) > estimate(&shipped("groq")));
    }
}
