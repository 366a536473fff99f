//! Checks a parsed workflow for mistakes the type system cannot catch: names that point
//! nowhere, states a run can never reach, runs that can never end, and limits above the
//! hard ceiling. Every problem carries the line of the key that caused it.

use std::collections::{HashSet, VecDeque};
use std::fmt;

use serde_saphyr::Spanned;

use super::model::{line_of, StateDef, StateType, WorkflowConfig};

/// Ceilings no workflow may raise: the engine stops any run at these regardless of config.
pub const HARD_MAX_TRANSITIONS: u32 = 50;
pub const HARD_MAX_MINUTES: u32 = 60;
pub const HARD_MAX_COST_USD: f64 = 10.0;

/// One problem in a file, at a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub line: usize,
    pub message: String,
}

impl ConfigError {
    pub fn new(line: usize, message: impl Into<String>) -> ConfigError {
        ConfigError {
            line: line.max(1),
            message: message.into(),
        }
    }

    /// The `file:line: message` form editors and CI logs understand.
    pub fn in_file(&self, file: &str) -> String {
        format!("{file}:{}: {}", self.line, self.message)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Reads YAML into `T`, keeping the parser's own position when it fails.
pub fn parse_yaml<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, ConfigError> {
    serde_saphyr::from_str::<T>(text).map_err(|e| {
        let line = e.location().map(|l| l.line() as usize).unwrap_or(1);
        let message = e.without_snippet().to_string();
        ConfigError::new(line, message.trim().replace('\n', " "))
    })
}

/// Parses and validates one workflow file. `persona_exists` answers whether a persona slug
/// has a template.
pub fn check(
    text: &str,
    persona_exists: &dyn Fn(&str) -> bool,
) -> Result<WorkflowConfig, Vec<ConfigError>> {
    let config: WorkflowConfig = parse_yaml(text).map_err(|e| vec![e])?;
    let errors = validate(&config, text, persona_exists);
    if errors.is_empty() {
        Ok(config)
    } else {
        Err(errors)
    }
}

/// Every problem in a parsed workflow, ordered by line.
pub fn validate(
    config: &WorkflowConfig,
    text: &str,
    persona_exists: &dyn Fn(&str) -> bool,
) -> Vec<ConfigError> {
    let mut errors = Vec::new();
    let states: HashSet<&str> = config.states.keys().collect();
    let states_line = top_level_key_line(text, "states");

    if config.states.is_empty() {
        errors.push(ConfigError::new(states_line, "`states` is empty"));
        return errors;
    }

    let target_ok = |target: &Spanned<String>, what: String, errors: &mut Vec<ConfigError>| {
        if !states.contains(target.value.as_str()) {
            errors.push(ConfigError::new(
                line_of(target),
                format!("{what} goes to unknown state `{}`", target.value),
            ));
        }
    };
    let persona_ok = |persona: &Spanned<String>, who: String, errors: &mut Vec<ConfigError>| {
        if !persona_exists(&persona.value) {
            errors.push(ConfigError::new(
                line_of(persona),
                format!(
                    "{who} uses persona `{}`, which has no template in personas/",
                    persona.value
                ),
            ));
        }
    };
    let agent_ok = |agent: &Spanned<String>, state: &str, errors: &mut Vec<ConfigError>| {
        if config.agents.get(&agent.value).is_none() {
            errors.push(ConfigError::new(
                line_of(agent),
                format!(
                    "state `{state}` uses agent `{}`, which is not defined under `agents`",
                    agent.value
                ),
            ));
        }
    };

    for (outcome, target) in &config.default_transitions.0 {
        target_ok(
            target,
            format!("default transition `{}`", outcome.value),
            &mut errors,
        );
    }
    for (name, agent) in &config.agents.0 {
        if let Some(p) = &agent.persona {
            persona_ok(p, format!("agent `{}`", name.value), &mut errors);
        }
        if let Some(price) = &agent.cost_per_1k {
            if price.value.input < 0.0 || price.value.output < 0.0 {
                errors.push(ConfigError::new(
                    line_of(price),
                    format!("agent `{}` has a negative price", name.value),
                ));
            }
        }
    }
    for (model, price) in &config.pricing.0 {
        if price.input < 0.0 || price.output < 0.0 {
            errors.push(ConfigError::new(
                line_of(model),
                format!("pricing for `{}` is negative", model.value),
            ));
        }
    }

    for (name, state) in &config.states.0 {
        check_state(
            &name.value,
            line_of(name),
            state,
            &mut errors,
            &target_ok,
            &persona_ok,
            &agent_ok,
        );
    }

    check_graph(config, states_line, &states, &mut errors);
    check_breaker(config, &mut errors);
    check_credits_and_tiers(config, text, &mut errors);

    errors.sort_by_key(|e| e.line);
    errors.dedup();
    errors
}

type TargetCheck<'a> = dyn Fn(&Spanned<String>, String, &mut Vec<ConfigError>) + 'a;
type AgentCheck<'a> = dyn Fn(&Spanned<String>, &str, &mut Vec<ConfigError>) + 'a;

#[allow(clippy::too_many_arguments)]
fn check_state(
    name: &str,
    line: usize,
    state: &StateDef,
    errors: &mut Vec<ConfigError>,
    target_ok: &TargetCheck<'_>,
    persona_ok: &TargetCheck<'_>,
    agent_ok: &AgentCheck<'_>,
) {
    if let Some(transitions) = &state.transitions {
        let allowed = state.outcomes();
        for (outcome, target) in &transitions.0 {
            if state.kind == StateType::Terminal {
                errors.push(ConfigError::new(
                    line_of(outcome),
                    format!("terminal state `{name}` cannot have transitions"),
                ));
                continue;
            }
            if !allowed.contains(&outcome.value.as_str()) {
                errors.push(ConfigError::new(
                    line_of(outcome),
                    format!(
                        "state `{name}` ({}) never produces outcome `{}`; it produces {}",
                        state.kind.as_str(),
                        outcome.value,
                        allowed.join(", ")
                    ),
                ));
            }
            target_ok(
                target,
                format!("transition `{}` of state `{name}`", outcome.value),
                errors,
            );
        }
    }
    if let Some(next) = &state.next {
        if state.kind == StateType::Terminal {
            errors.push(ConfigError::new(
                line_of(next),
                format!("terminal state `{name}` cannot have `next`"),
            ));
        }
        target_ok(next, format!("`next` of state `{name}`"), errors);
    }

    let who = format!("state `{name}`");
    if let Some(p) = &state.persona {
        persona_ok(p, who.clone(), errors);
    }
    for (agent, persona) in &state.personas.0 {
        persona_ok(persona, who.clone(), errors);
        if !state.agents.iter().any(|a| a.value == agent.value) {
            errors.push(ConfigError::new(
                line_of(agent),
                format!(
                    "state `{name}` gives a persona to `{}`, which is not one of its agents",
                    agent.value
                ),
            ));
        }
    }

    match state.kind {
        StateType::Single | StateType::OrchestratorTask => match &state.agent {
            Some(agent) => agent_ok(agent, name, errors),
            None => errors.push(ConfigError::new(
                line,
                format!("state `{name}` ({}) needs an `agent`", state.kind.as_str()),
            )),
        },
        StateType::FanOut => {
            if state.agents.is_empty() {
                errors.push(ConfigError::new(
                    line,
                    format!("fan-out state `{name}` needs a non-empty `agents` list"),
                ));
            }
            for agent in &state.agents {
                agent_ok(agent, name, errors);
            }
        }
        StateType::Initial | StateType::HumanApproval | StateType::Terminal => {
            if let Some(agent) = &state.agent {
                errors.push(ConfigError::new(
                    line_of(agent),
                    format!(
                        "{} state `{name}` does not run an agent",
                        state.kind.as_str()
                    ),
                ));
            }
        }
    }
}

/// The targets a state can move to, as the engine resolves them.
fn successors<'a>(config: &'a WorkflowConfig, state: &'a StateDef) -> Vec<&'a str> {
    if state.kind == StateType::Terminal {
        return Vec::new();
    }
    let mut out: Vec<&str> = Vec::new();
    if let Some(t) = &state.transitions {
        out.extend(t.0.iter().map(|(_, v)| v.value.as_str()));
    }
    if let Some(n) = &state.next {
        out.push(&n.value);
    }
    out.extend(
        config
            .default_transitions
            .0
            .iter()
            .map(|(_, v)| v.value.as_str()),
    );
    out
}

fn check_graph(
    config: &WorkflowConfig,
    states_line: usize,
    names: &HashSet<&str>,
    errors: &mut Vec<ConfigError>,
) {
    let start = match &config.start {
        Some(s) if names.contains(s.value.as_str()) => (s.value.as_str(), line_of(s)),
        Some(s) => {
            errors.push(ConfigError::new(
                line_of(s),
                format!("`start` names unknown state `{}`", s.value),
            ));
            return;
        }
        None => {
            let initial: Vec<_> = config
                .states
                .0
                .iter()
                .filter(|(_, s)| s.kind == StateType::Initial)
                .collect();
            match initial.as_slice() {
                [(name, _)] => (name.value.as_str(), line_of(name)),
                [] => {
                    errors.push(ConfigError::new(
                        states_line,
                        "no start state: add `start: <state>` or one state of type `initial`",
                    ));
                    return;
                }
                [_, (second, _), ..] => {
                    errors.push(ConfigError::new(
                        line_of(second),
                        "more than one `initial` state: say which one with `start: <state>`",
                    ));
                    return;
                }
            }
        }
    };

    let mut reached: HashSet<&str> = HashSet::new();
    let mut queue = VecDeque::from([start.0]);
    reached.insert(start.0);
    while let Some(current) = queue.pop_front() {
        let Some(state) = config.states.get(current) else {
            continue;
        };
        for next in successors(config, state) {
            if names.contains(next) && reached.insert(next) {
                queue.push_back(next);
            }
        }
    }

    for (name, _) in &config.states.0 {
        if !reached.contains(name.value.as_str()) {
            errors.push(ConfigError::new(
                line_of(name),
                format!(
                    "state `{}` is unreachable from the start state `{}`",
                    name.value, start.0
                ),
            ));
        }
    }
    let ends = config
        .states
        .0
        .iter()
        .any(|(n, s)| s.kind == StateType::Terminal && reached.contains(n.value.as_str()));
    if !ends {
        errors.push(ConfigError::new(
            start.1,
            format!(
                "no terminal state is reachable from the start state `{}`: a run could never finish",
                start.0
            ),
        ));
    }
}

fn check_breaker(config: &WorkflowConfig, errors: &mut Vec<ConfigError>) {
    let cb = &config.circuit_breaker;
    let counts = [
        (
            &cb.state_visit_limit,
            "state_visit_limit",
            HARD_MAX_TRANSITIONS,
            "transitions",
        ),
        (
            &cb.transition_limit,
            "transition_limit",
            HARD_MAX_TRANSITIONS,
            "transitions",
        ),
        (
            &cb.timeout_minutes,
            "timeout_minutes",
            HARD_MAX_MINUTES,
            "minutes",
        ),
    ];
    for (value, key, max, unit) in counts {
        let Some(v) = value else { continue };
        if v.value == 0 {
            errors.push(ConfigError::new(
                line_of(v),
                format!("circuit_breaker.{key} must be at least 1"),
            ));
        } else if v.value > max {
            errors.push(ConfigError::new(
                line_of(v),
                format!(
                    "circuit_breaker.{key} is {}, above the hard limit of {max} {unit}",
                    v.value
                ),
            ));
        }
    }
    if let Some(target) = &cb.feedback_target {
        match config.states.get(&target.value) {
            None => errors.push(ConfigError::new(
                line_of(target),
                format!(
                    "circuit_breaker.feedback_target names unknown state `{}`",
                    target.value
                ),
            )),
            Some(state) if state.kind == StateType::Terminal => errors.push(ConfigError::new(
                line_of(target),
                format!(
                    "circuit_breaker.feedback_target `{}` is a terminal state; feedback needs a state that does work",
                    target.value
                ),
            )),
            Some(_) => {}
        }
    }
    if let Some(cost) = &cb.cost_limit_usd {
        if cost.value.is_nan() || cost.value <= 0.0 {
            errors.push(ConfigError::new(
                line_of(cost),
                "circuit_breaker.cost_limit_usd must be above zero",
            ));
        } else if cost.value > HARD_MAX_COST_USD {
            errors.push(ConfigError::new(
                line_of(cost),
                format!(
                    "circuit_breaker.cost_limit_usd is ${:.2}, above the hard limit of ${HARD_MAX_COST_USD:.2}",
                    cost.value
                ),
            ));
        }
    }
}

/// Premium agents and tier overlays must name real agents, and a tier must say who drafts
/// and who audits: an empty list would leave a fan-out with nobody to run.
fn check_credits_and_tiers(config: &WorkflowConfig, text: &str, errors: &mut Vec<ConfigError>) {
    let known = |agent: &Spanned<String>, what: &str, errors: &mut Vec<ConfigError>| {
        if config.agents.get(&agent.value).is_none() {
            errors.push(ConfigError::new(
                line_of(agent),
                format!(
                    "{what} names agent `{}`, which is not defined under `agents`",
                    agent.value
                ),
            ));
        }
    };
    for agent in &config.credit_weights.premium_agents {
        known(agent, "credit_weights.premium_agents", errors);
    }
    let Some(tiers) = &config.tiers else { return };
    let tiers_line = top_level_key_line(text, "tiers");
    for (tier, overlay) in [("standard", &tiers.standard), ("premium", &tiers.premium)] {
        let Some(overlay) = overlay else { continue };
        let tier_line = nested_key_line(text, tiers_line, tier);
        for (key, agents) in [
            ("draft_agents", &overlay.draft_agents),
            ("audit_agents", &overlay.audit_agents),
        ] {
            let what = format!("tiers.{tier}.{key}");
            if agents.is_empty() {
                errors.push(ConfigError::new(
                    tier_line,
                    format!("{what} must list at least one agent"),
                ));
            }
            for agent in agents {
                known(agent, &what, errors);
            }
        }
    }
}

/// The first line after `from` whose trimmed text starts with `key:`, or `from` itself.
fn nested_key_line(text: &str, from: usize, key: &str) -> usize {
    let wanted = format!("{key}:");
    text.lines()
        .enumerate()
        .skip(from)
        .find(|(_, l)| l.trim_start().starts_with(&wanted))
        .map(|(i, _)| i + 1)
        .unwrap_or(from)
}

/// The line of a key at the start of a line (a top-level key), or 1 when absent.
pub fn top_level_key_line(text: &str, key: &str) -> usize {
    let wanted = format!("{key}:");
    text.lines()
        .position(|l| l.starts_with(&wanted))
        .map(|i| i + 1)
        .unwrap_or(1)
}

#[cfg(test)]
mod credit_tier_breaker_tests {
    use super::*;

    const BASE: &str = "\
name: Tiny
agents:
  w:
    provider: groq
    model: m
states:
  begin:
    type: initial
    next: write
  write:
    type: fan-out
    agents: [w]
    output_type: draft
    transitions:
      all_success: done
      partial_success: done
      all_failure: done
  done:
    type: terminal
";

    fn errors(yaml: &str) -> Vec<ConfigError> {
        check(yaml, &|_| true).err().unwrap_or_default()
    }

    fn has(yaml: &str, line: usize, needle: &str) {
        let errs = errors(yaml);
        assert!(
            errs.iter()
                .any(|e| e.line == line && e.message.contains(needle)),
            "expected line {line} containing {needle:?}, got {errs:#?}"
        );
    }

    #[test]
    fn credit_weights_default_to_zero_one_five() {
        let cfg = check(BASE, &|_| true).unwrap();
        let w = &cfg.credit_weights;
        assert_eq!((w.base_cost, w.standard, w.premium), (0, 1, 5));
        assert!(w.premium_agents.is_empty());
        assert!(cfg.tiers.is_none());
        assert!(cfg.circuit_breaker.feedback_target.is_none());
    }

    #[test]
    fn credit_weights_and_tiers_parse() {
        let yaml = format!(
            "{BASE}credit_weights:\n  base_cost: 2\n  premium: 7\n  premium_agents: [w]\n\
             tiers:\n  premium:\n    draft_agents: [w]\n    audit_agents: [w]\n"
        );
        let cfg = check(&yaml, &|_| true).unwrap();
        assert_eq!(cfg.credit_weights.base_cost, 2);
        assert_eq!(cfg.credit_weights.standard, 1);
        assert_eq!(cfg.credit_weights.premium, 7);
        let premium = cfg.tiers.unwrap().premium.unwrap();
        assert_eq!(premium.draft_agents[0].value, "w");
    }

    #[test]
    fn an_unknown_premium_agent_names_its_line() {
        let yaml = format!("{BASE}credit_weights:\n  premium_agents:\n    - w\n    - ghost\n");
        has(
            &yaml,
            23,
            "credit_weights.premium_agents names agent `ghost`",
        );
    }

    #[test]
    fn an_unknown_tier_agent_names_its_line() {
        let yaml = format!(
            "{BASE}tiers:\n  standard:\n    draft_agents: [w]\n    audit_agents:\n      - nobody\n"
        );
        has(
            &yaml,
            24,
            "tiers.standard.audit_agents names agent `nobody`",
        );
    }

    #[test]
    fn an_empty_tier_list_is_reported_at_the_tier() {
        let yaml = format!("{BASE}tiers:\n  premium:\n    draft_agents: [w]\n");
        has(
            &yaml,
            21,
            "tiers.premium.audit_agents must list at least one agent",
        );
    }

    #[test]
    fn unknown_credit_or_tier_keys_are_rejected() {
        assert!(!errors(&format!("{BASE}credit_weights:\n  basecost: 1\n")).is_empty());
        assert!(!errors(&format!("{BASE}tiers:\n  gold:\n    draft_agents: [w]\n")).is_empty());
    }

    #[test]
    fn the_feedback_target_must_be_a_known_working_state() {
        let ok = format!("{BASE}circuit_breaker:\n  feedback_target: write\n");
        let cfg = check(&ok, &|_| true).unwrap();
        assert_eq!(
            cfg.circuit_breaker
                .feedback_target
                .map(|t| t.value)
                .as_deref(),
            Some("write")
        );
        has(
            &format!("{BASE}circuit_breaker:\n  feedback_target: rewrite\n"),
            21,
            "feedback_target names unknown state `rewrite`",
        );
        has(
            &format!("{BASE}circuit_breaker:\n  feedback_target: done\n"),
            21,
            "`done` is a terminal state",
        );
    }
}
