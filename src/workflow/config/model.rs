//! The typed shape of one workflow file (`workflows/configs/<slug>.yaml`). Names that a
//! validation error may point at are `Spanned`, so the error can name their line.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_saphyr::Spanned;

/// A YAML mapping kept in source order with the position of every key: states and
/// transitions are reported in the order the author wrote them.
#[derive(Debug, Clone)]
pub struct Entries<V>(pub Vec<(Spanned<String>, V)>);

impl<V> Default for Entries<V> {
    fn default() -> Self {
        Entries(Vec::new())
    }
}

impl<V> Entries<V> {
    pub fn get(&self, key: &str) -> Option<&V> {
        self.0.iter().find(|(k, _)| k.value == key).map(|(_, v)| v)
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.value.as_str())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Entries<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct EntriesVisitor<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for EntriesVisitor<V> {
            type Value = Entries<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<Spanned<String>, V>()? {
                    out.push((k, v));
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(EntriesVisitor(PhantomData))
    }
}

/// The 1-based line a spanned value starts on.
pub fn line_of<T>(s: &Spanned<T>) -> usize {
    s.referenced.line() as usize
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkflowConfig {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The state a run begins in; by default the single `initial` state.
    #[serde(default)]
    pub start: Option<Spanned<String>>,
    #[serde(default)]
    pub settings: Settings,
    #[serde(default)]
    pub agents: Entries<AgentDef>,
    pub states: Entries<StateDef>,
    /// Outcome → target, used where a state does not name the outcome itself.
    #[serde(default)]
    pub default_transitions: Entries<Spanned<String>>,
    #[serde(default)]
    pub circuit_breaker: CircuitBreaker,
    /// Model id → price, overriding the built-in price list for this workflow.
    #[serde(default)]
    pub pricing: Entries<Price>,
    /// How many credits a run of this workflow costs.
    #[serde(default)]
    pub credit_weights: CreditWeights,
    /// Agent swaps for the draft and audit fan-outs by subscription tier.
    #[serde(default)]
    pub tiers: Option<TierOverlays>,
}

/// Credits = `base_cost` + a weight per agent call; premium agents weigh more because their
/// models cost more per token.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreditWeights {
    #[serde(default)]
    pub base_cost: u32,
    #[serde(default = "default_standard_weight")]
    pub standard: u32,
    #[serde(default = "default_premium_weight")]
    pub premium: u32,
    #[serde(default)]
    pub premium_agents: Vec<Spanned<String>>,
}

impl Default for CreditWeights {
    fn default() -> Self {
        CreditWeights {
            base_cost: 0,
            standard: default_standard_weight(),
            premium: default_premium_weight(),
            premium_agents: Vec::new(),
        }
    }
}

fn default_standard_weight() -> u32 {
    1
}

fn default_premium_weight() -> u32 {
    5
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierOverlays {
    #[serde(default)]
    pub standard: Option<Overlay>,
    #[serde(default)]
    pub premium: Option<Overlay>,
}

/// The agents that replace a fan-out's own list for one tier.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overlay {
    #[serde(default)]
    pub draft_agents: Vec<Spanned<String>>,
    #[serde(default)]
    pub audit_agents: Vec<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(default = "yes")]
    pub parallel_fanout: bool,
    /// Seconds one fan-out batch may take.
    #[serde(default = "default_agent_timeout")]
    pub timeout_per_agent: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            parallel_fanout: true,
            timeout_per_agent: default_agent_timeout(),
        }
    }
}

fn yes() -> bool {
    true
}

fn default_agent_timeout() -> u64 {
    300
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Anthropic,
    Openai,
    Groq,
    Gemini,
    Ollama,
    /// The built-in offline agent: no AI, no network, no key; deterministic text.
    Demo,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentDef {
    pub provider: Provider,
    pub model: String,
    /// The persona this agent uses when a state names none.
    #[serde(default)]
    pub persona: Option<Spanned<String>>,
    #[serde(default)]
    pub context_window: Option<u32>,
    #[serde(default)]
    pub max_tokens: Option<u32>,
    /// Seconds one call may take.
    #[serde(default)]
    pub timeout: Option<u64>,
    #[serde(default)]
    pub cost_per_1k: Option<Spanned<Price>>,
}

/// US dollars per 1000 tokens.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    pub input: f64,
    pub output: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StateType {
    Initial,
    #[default]
    Single,
    FanOut,
    OrchestratorTask,
    HumanApproval,
    Terminal,
}

impl StateType {
    pub fn as_str(self) -> &'static str {
        match self {
            StateType::Initial => "initial",
            StateType::Single => "single",
            StateType::FanOut => "fan-out",
            StateType::OrchestratorTask => "orchestrator-task",
            StateType::HumanApproval => "human-approval",
            StateType::Terminal => "terminal",
        }
    }
}

/// What a state's output is; audit-like outputs are parsed as verdicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputType {
    Review,
    Processed,
    Draft,
    Audit,
    Final,
    FinalAudit,
}

impl OutputType {
    pub fn is_verdict(self) -> bool {
        matches!(
            self,
            OutputType::Review | OutputType::Audit | OutputType::FinalAudit
        )
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Inputs {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateDef {
    #[serde(default, rename = "type")]
    pub kind: StateType,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub agent: Option<Spanned<String>>,
    #[serde(default)]
    pub agents: Vec<Spanned<String>>,
    #[serde(default)]
    pub persona: Option<Spanned<String>>,
    /// Fan-out: agent → persona, overriding `persona` for that agent.
    #[serde(default)]
    pub personas: Entries<Spanned<String>>,
    #[serde(default)]
    pub input: Option<Inputs>,
    #[serde(default)]
    pub output: Option<String>,
    #[serde(default)]
    pub output_type: Option<OutputType>,
    /// Text shown to the human (approval) or the task template (orchestrator).
    #[serde(default)]
    pub prompt: Option<String>,
    /// Seconds a human approval waits before the run aborts.
    #[serde(default)]
    pub timeout: Option<u64>,
    #[serde(default)]
    pub context: Option<String>,
    #[serde(default)]
    pub transitions: Option<Entries<Spanned<String>>>,
    #[serde(default)]
    pub next: Option<Spanned<String>>,
}

impl StateDef {
    /// The outcomes this state can produce, which are the keys its transitions may use.
    pub fn outcomes(&self) -> &'static [&'static str] {
        let verdict = self.output_type.is_some_and(OutputType::is_verdict);
        match (self.kind, verdict) {
            (StateType::Initial, _) => &["success"],
            (StateType::Single | StateType::OrchestratorTask, false) => &["success", "failure"],
            (StateType::Single | StateType::OrchestratorTask, true) => {
                &["success", "failure", "proceed", "retry", "halt"]
            }
            (StateType::FanOut, false) => &["all_success", "partial_success", "all_failure"],
            (StateType::FanOut, true) => &[
                "all_success",
                "partial_success",
                "all_failure",
                "proceed",
                "retry",
                "halt",
            ],
            (StateType::HumanApproval, _) => &["approved", "feedback", "abort", "force_complete"],
            (StateType::Terminal, _) => &[],
        }
    }
}

/// Soft limits for one workflow. The hard limits in `validate` cap them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CircuitBreaker {
    #[serde(default)]
    pub state_visit_limit: Option<Spanned<u32>>,
    #[serde(default)]
    pub transition_limit: Option<Spanned<u32>>,
    #[serde(default)]
    pub timeout_minutes: Option<Spanned<u32>>,
    #[serde(default)]
    pub cost_limit_usd: Option<Spanned<f64>>,
    /// Where a run goes when a person answers a soft break with feedback.
    #[serde(default)]
    pub feedback_target: Option<Spanned<String>>,
}
