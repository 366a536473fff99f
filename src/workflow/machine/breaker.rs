//! The circuit breaker: stops runs that loop, drag on or spend too much (spec §2.6-2.7).
//! Soft limits come from the workflow and may be waved through by a person; hard limits are
//! the engine's own ceilings and end the run. Time and money are passed in by the runner,
//! which counts only the time agents are working, not the time a person takes to answer.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::workflow::config::model::{CircuitBreaker, WorkflowConfig};
pub use crate::workflow::config::validate::{
    HARD_MAX_COST_USD, HARD_MAX_MINUTES, HARD_MAX_TRANSITIONS,
};

const DEFAULT_STATE_VISITS: u32 = 3;
const DEFAULT_TRANSITIONS: u32 = 20;
const DEFAULT_TIMEOUT_SECS: u64 = 30 * 60;
const DEFAULT_COST_USD: f64 = 5.0;

/// A score at or above this lets a soft break skip ahead without asking anyone.
pub const AUTO_SKIP_SCORE: u8 = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    StateVisitLimit,
    CycleDetection,
    TransitionLimit,
    Timeout,
    CostLimit,
    HardTransitionLimit,
    HardTimeout,
    HardCostLimit,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::StateVisitLimit => "state_visit_limit",
            Rule::CycleDetection => "cycle_detection",
            Rule::TransitionLimit => "transition_limit",
            Rule::Timeout => "timeout",
            Rule::CostLimit => "cost_limit",
            Rule::HardTransitionLimit => "hard_transition_limit",
            Rule::HardTimeout => "hard_timeout",
            Rule::HardCostLimit => "hard_cost_limit",
        }
    }

    /// Hard rules end the run; nobody may wave them through.
    pub fn is_hard(self) -> bool {
        matches!(
            self,
            Rule::HardTransitionLimit | Rule::HardTimeout | Rule::HardCostLimit
        )
    }

    /// What the rule guards against, for people reading a break notice.
    pub fn describe(self) -> &'static str {
        match self {
            Rule::StateVisitLimit => "The same step ran too many times.",
            Rule::CycleDetection => "The run kept bouncing between the same two steps.",
            Rule::TransitionLimit => "The run took more steps than this workflow allows.",
            Rule::Timeout => "The run worked longer than this workflow allows.",
            Rule::CostLimit => "The run spent as much as this workflow allows.",
            Rule::HardTransitionLimit => "The run reached the most steps any run may take.",
            Rule::HardTimeout => "The run reached the longest time any run may work.",
            Rule::HardCostLimit => "The run reached the most any run may spend.",
        }
    }
}

/// The soft limits of one workflow.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    pub state_visits: u32,
    pub transitions: u32,
    pub timeout_secs: u64,
    pub cost_usd: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            state_visits: DEFAULT_STATE_VISITS,
            transitions: DEFAULT_TRANSITIONS,
            timeout_secs: DEFAULT_TIMEOUT_SECS,
            cost_usd: DEFAULT_COST_USD,
        }
    }
}

impl Limits {
    /// The workflow's limits, each defaulting to 3 visits, 20 transitions, 30 minutes, $5.
    pub fn from_config(cb: &CircuitBreaker) -> Limits {
        let d = Limits::default();
        Limits {
            state_visits: cb
                .state_visit_limit
                .as_ref()
                .map_or(d.state_visits, |v| v.value),
            transitions: cb
                .transition_limit
                .as_ref()
                .map_or(d.transitions, |v| v.value),
            timeout_secs: cb
                .timeout_minutes
                .as_ref()
                .map_or(d.timeout_secs, |v| u64::from(v.value) * 60),
            cost_usd: cb.cost_limit_usd.as_ref().map_or(d.cost_usd, |v| v.value),
        }
    }
}

/// What the breaker has seen of one run.
#[derive(Default, Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Breaker {
    /// Entries per state; the start state is never entered by a transition, so never counted.
    pub visits: BTreeMap<String, u32>,
    /// Every transition as (from, to), oldest first.
    pub history: Vec<(String, String)>,
    pub transitions: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trip {
    pub rule: Rule,
    pub message: String,
}

impl Trip {
    pub fn overridable(&self) -> bool {
        !self.rule.is_hard()
    }
}

impl Breaker {
    /// Records from->to, then tests soft rules in spec order. Start state never counted.
    pub fn record(
        &mut self,
        from: &str,
        to: &str,
        active_secs: u64,
        cost_usd: f64,
        limits: &Limits,
    ) -> Option<Trip> {
        let visits = self.visits.entry(to.to_string()).or_insert(0);
        *visits += 1;
        let visits = *visits;
        self.transitions += 1;
        self.history.push((from.to_string(), to.to_string()));

        if visits >= limits.state_visits {
            return Some(trip(
                Rule::StateVisitLimit,
                format!(
                    "Step `{to}` was about to run for time {visits}; the limit is {}.",
                    limits.state_visits
                ),
            ));
        }
        if let Some((a, b)) = self.repeating_pair() {
            return Some(trip(
                Rule::CycleDetection,
                format!("The run went `{a}` → `{b}` → `{a}` → `{b}` without making progress."),
            ));
        }
        if self.transitions >= limits.transitions {
            return Some(trip(
                Rule::TransitionLimit,
                format!(
                    "The run made {} transitions; the limit is {}.",
                    self.transitions, limits.transitions
                ),
            ));
        }
        if active_secs >= limits.timeout_secs {
            return Some(trip(
                Rule::Timeout,
                format!(
                    "Agents worked for {}; the limit is {}.",
                    minutes(active_secs),
                    minutes(limits.timeout_secs)
                ),
            ));
        }
        if cost_usd >= limits.cost_usd {
            return Some(trip(
                Rule::CostLimit,
                format!(
                    "The run cost ${cost_usd:.2}; the limit is ${:.2}.",
                    limits.cost_usd
                ),
            ));
        }
        None
    }

    /// Checked before every state; hard limits are not overridable.
    pub fn check_hard(&self, active_secs: u64, cost_usd: f64) -> Option<Trip> {
        let max_secs = u64::from(HARD_MAX_MINUTES) * 60;
        if self.transitions >= HARD_MAX_TRANSITIONS {
            return Some(trip(
                Rule::HardTransitionLimit,
                format!(
                    "The run made {} transitions; no run may make more than {HARD_MAX_TRANSITIONS}.",
                    self.transitions
                ),
            ));
        }
        if active_secs >= max_secs {
            return Some(trip(
                Rule::HardTimeout,
                format!(
                    "Agents worked for {}; no run may work longer than {}.",
                    minutes(active_secs),
                    minutes(max_secs)
                ),
            ));
        }
        if cost_usd >= HARD_MAX_COST_USD {
            return Some(trip(
                Rule::HardCostLimit,
                format!(
                    "The run cost ${cost_usd:.2}; no run may cost more than ${HARD_MAX_COST_USD:.2}."
                ),
            ));
        }
        None
    }

    pub fn reset(&mut self) {
        *self = Breaker::default();
    }

    /// The last four transitions as X→Y, Y→X, X→Y, Y→X: the 1st equals the 3rd and the 2nd
    /// the 4th. Transitions chain, so that can only be two states trading places.
    fn repeating_pair(&self) -> Option<(&str, &str)> {
        let n = self.history.len();
        if n < 4 {
            return None;
        }
        let last = &self.history[n - 4..];
        (last[0] == last[2] && last[1] == last[3]).then(|| (last[0].0.as_str(), last[0].1.as_str()))
    }
}

fn trip(rule: Rule, message: String) -> Trip {
    Trip { rule, message }
}

fn minutes(secs: u64) -> String {
    let (m, s) = (secs / 60, secs % 60);
    match (m, s) {
        (0, s) => format!("{s}s"),
        (m, 0) => format!("{m} min"),
        (m, s) => format!("{m} min {s}s"),
    }
}

/// The soft-break decision when no human is asked: Some(target) to auto-proceed when last score >= 8 and the
/// current state has a `success` or `proceed` target.
pub fn auto_skip_target(
    cfg: &WorkflowConfig,
    current: &str,
    last_score: Option<u8>,
) -> Option<String> {
    match last_score {
        Some(score) if score >= AUTO_SKIP_SCORE => skip_target(cfg, current),
        _ => None,
    }
}

/// Where skipping past `current` leads: its `success` target, else its `proceed` target, each
/// as the state's own map laid over `default_transitions`.
pub fn skip_target(cfg: &WorkflowConfig, current: &str) -> Option<String> {
    let state = cfg.states.get(current)?;
    ["success", "proceed"].iter().find_map(|outcome| {
        state
            .transitions
            .as_ref()
            .and_then(|t| t.get(outcome))
            .or_else(|| cfg.default_transitions.get(outcome))
            .map(|t| t.value.clone())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::machine::testing::{config, shipped};

    fn roomy() -> Limits {
        Limits {
            state_visits: 100,
            transitions: 100,
            timeout_secs: 100_000,
            cost_usd: 1000.0,
        }
    }

    #[test]
    fn the_visit_limit_trips_on_the_third_entry() {
        let limits = Limits::default();
        let mut b = Breaker::default();
        assert_eq!(b.record("start", "draft", 0, 0.0, &limits), None);
        assert_eq!(b.record("draft", "x", 0, 0.0, &limits), None);
        assert_eq!(b.record("x", "draft", 0, 0.0, &limits), None);
        assert_eq!(b.record("draft", "y", 0, 0.0, &limits), None);
        let t = b.record("y", "draft", 0, 0.0, &limits).unwrap();
        assert_eq!(t.rule, Rule::StateVisitLimit);
        assert!(t.message.contains("`draft`"), "{}", t.message);
        assert!(t.overridable());
    }

    #[test]
    fn the_start_state_is_not_counted() {
        let mut b = Breaker::default();
        b.record("begin", "a", 0, 0.0, &Limits::default());
        assert_eq!(b.visits.get("begin"), None);
        assert_eq!(b.visits.get("a"), Some(&1));
    }

    #[test]
    fn bouncing_between_two_states_trips_cycle_detection() {
        let limits = roomy();
        let mut b = Breaker::default();
        assert_eq!(b.record("a", "b", 0, 0.0, &limits), None);
        assert_eq!(b.record("b", "a", 0, 0.0, &limits), None);
        assert_eq!(b.record("a", "b", 0, 0.0, &limits), None);
        let t = b.record("b", "a", 0, 0.0, &limits).unwrap();
        assert_eq!(t.rule, Rule::CycleDetection);
    }

    #[test]
    fn a_straight_path_is_not_a_cycle() {
        let limits = roomy();
        let mut b = Breaker::default();
        for (from, to) in [("a", "b"), ("b", "c"), ("c", "d"), ("d", "e"), ("e", "f")] {
            assert_eq!(b.record(from, to, 0, 0.0, &limits), None, "{from}->{to}");
        }
    }

    #[test]
    fn a_three_state_loop_is_not_mistaken_for_a_two_state_cycle() {
        let limits = roomy();
        let mut b = Breaker::default();
        for (from, to) in [("a", "b"), ("b", "c"), ("c", "a"), ("a", "b"), ("b", "c")] {
            assert_eq!(b.record(from, to, 0, 0.0, &limits), None, "{from}->{to}");
        }
    }

    #[test]
    fn the_twentieth_transition_trips_the_transition_limit() {
        let limits = Limits {
            transitions: 20,
            ..roomy()
        };
        let mut b = Breaker::default();
        for i in 0..19 {
            let (from, to) = (format!("s{i}"), format!("s{}", i + 1));
            assert_eq!(
                b.record(&from, &to, 0, 0.0, &limits),
                None,
                "transition {i}"
            );
        }
        let t = b.record("s19", "s20", 0, 0.0, &limits).unwrap();
        assert_eq!(t.rule, Rule::TransitionLimit);
        assert_eq!(b.transitions, 20);
    }

    #[test]
    fn active_time_at_the_limit_trips_the_timeout() {
        let limits = Limits {
            timeout_secs: 1800,
            ..roomy()
        };
        let mut b = Breaker::default();
        assert_eq!(b.record("a", "b", 1799, 0.0, &limits), None);
        let t = b.record("b", "c", 1800, 0.0, &limits).unwrap();
        assert_eq!(t.rule, Rule::Timeout);
        assert!(t.message.contains("30 min"), "{}", t.message);
    }

    #[test]
    fn cost_at_or_above_the_limit_trips_the_cost_limit() {
        let limits = Limits {
            cost_usd: 5.0,
            ..roomy()
        };
        let mut b = Breaker::default();
        let mut total = 0.0;
        for step in ["a", "b", "c", "d"] {
            total += 1.0;
            assert_eq!(b.record("x", step, 0, total, &limits), None);
        }
        total += 1.0;
        let t = b.record("x", "e", 0, total, &limits).unwrap();
        assert_eq!(t.rule, Rule::CostLimit);
        assert!(t.message.contains("$5.00"), "{}", t.message);
    }

    #[test]
    fn soft_rules_are_tested_in_spec_order() {
        // Visit, cycle, transitions, time and cost all exceeded: the visit limit is reported.
        let limits = Limits {
            state_visits: 1,
            transitions: 1,
            timeout_secs: 1,
            cost_usd: 0.01,
        };
        let mut b = Breaker::default();
        let t = b.record("a", "b", 10, 1.0, &limits).unwrap();
        assert_eq!(t.rule, Rule::StateVisitLimit);
    }

    #[test]
    fn hard_limits_trip_and_cannot_be_overridden() {
        let mut b = Breaker::default();
        assert!(b.check_hard(0, 0.0).is_none());
        assert!(b.check_hard(3599, 9.99).is_none());

        let t = b.check_hard(3600, 0.0).unwrap();
        assert_eq!(t.rule, Rule::HardTimeout);
        assert!(!t.overridable());

        let t = b.check_hard(0, 10.0).unwrap();
        assert_eq!(t.rule, Rule::HardCostLimit);
        assert!(t.rule.is_hard());

        b.transitions = HARD_MAX_TRANSITIONS;
        let t = b.check_hard(0, 0.0).unwrap();
        assert_eq!(t.rule, Rule::HardTransitionLimit);
        assert!(!t.overridable());
    }

    #[test]
    fn reset_clears_everything() {
        let mut b = Breaker::default();
        b.record("a", "b", 0, 0.0, &Limits::default());
        b.record("b", "a", 0, 0.0, &Limits::default());
        b.reset();
        assert_eq!(b, Breaker::default());
        assert_eq!(b.record("a", "b", 0, 0.0, &Limits::default()), None);
    }

    #[test]
    fn default_limits_are_three_visits_twenty_transitions_thirty_minutes_five_dollars() {
        let limits = Limits::from_config(&CircuitBreaker::default());
        assert_eq!(
            limits,
            Limits {
                state_visits: 3,
                transitions: 20,
                timeout_secs: 1800,
                cost_usd: 5.0
            }
        );
    }

    #[test]
    fn custom_limits_are_read_from_the_config() {
        let cfg = config(
            "name: x\nagents:\n  w: {provider: groq, model: m}\nstates:\n  go: {type: initial, next: end}\n  end: {type: terminal}\n\
             circuit_breaker:\n  state_visit_limit: 2\n  transition_limit: 15\n  timeout_minutes: 15\n  cost_limit_usd: 0.1\n",
        );
        let limits = Limits::from_config(&cfg.circuit_breaker);
        assert_eq!(
            limits,
            Limits {
                state_visits: 2,
                transitions: 15,
                timeout_secs: 900,
                cost_usd: 0.1
            }
        );
        let mut b = Breaker::default();
        assert_eq!(b.record("a", "b", 0, 0.0, &limits), None);
        assert_eq!(b.record("b", "c", 0, 0.0, &limits), None);
        assert_eq!(
            b.record("c", "b", 0, 0.0, &limits).map(|t| t.rule),
            Some(Rule::StateVisitLimit)
        );
    }

    #[test]
    fn rules_have_stable_names_and_hardness() {
        assert_eq!(Rule::StateVisitLimit.as_str(), "state_visit_limit");
        assert_eq!(Rule::HardCostLimit.as_str(), "hard_cost_limit");
        assert_eq!(
            serde_json::to_string(&Rule::CycleDetection).unwrap(),
            "\"cycle_detection\""
        );
        assert!(!Rule::CostLimit.is_hard());
        assert!(Rule::HardTimeout.is_hard());
        assert!(!Rule::Timeout.describe().is_empty());
    }

    #[test]
    fn a_high_last_score_skips_to_the_success_or_proceed_target() {
        let groq = shipped("groq");
        assert_eq!(
            auto_skip_target(&groq, "audit", Some(8)).as_deref(),
            Some("synthesize")
        );
        assert_eq!(
            auto_skip_target(&groq, "final-audit", Some(9)).as_deref(),
            Some("human-approval")
        );
    }

    #[test]
    fn a_low_or_missing_score_does_not_auto_skip() {
        let groq = shipped("groq");
        assert_eq!(auto_skip_target(&groq, "audit", Some(7)), None);
        assert_eq!(auto_skip_target(&groq, "audit", None), None);
    }

    #[test]
    fn a_state_without_success_or_proceed_has_no_skip_target() {
        let groq = shipped("groq");
        assert_eq!(skip_target(&groq, "draft"), None);
        assert_eq!(skip_target(&groq, "human-approval"), None);
        assert_eq!(skip_target(&groq, "ghost"), None);
        assert_eq!(
            skip_target(&groq, "story-processing").as_deref(),
            Some("draft")
        );
    }
}
