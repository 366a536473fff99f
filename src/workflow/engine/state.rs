//! What a run remembers between states, saved as JSON on the run row after every state.

use serde::{Deserialize, Serialize};

use crate::workflow::machine::{Breaker, FeedbackStore, Rule};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MachineState {
    #[serde(default)]
    pub feedback: FeedbackStore,
    #[serde(default)]
    pub breaker: Breaker,
    /// The lowest score of the most recent audit, which decides whether a soft break may
    /// carry on by itself.
    #[serde(default)]
    pub last_score: Option<u8>,
    /// A person's answer to what the run waits on; the next step applies it.
    #[serde(default)]
    pub answer: Option<Answer>,
    /// A soft circuit break waiting for a person.
    #[serde(default)]
    pub pending_break: Option<PendingBreak>,
    /// Weighted credits of the agent calls that succeeded so far (the base cost is added at
    /// the end).
    #[serde(default)]
    pub call_credits: i64,
    /// The most recent agent error, reported if the run ends in failure.
    #[serde(default)]
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approved,
    Feedback,
    Abort,
}

impl Decision {
    pub fn parse(s: &str) -> Option<Decision> {
        match s {
            "approved" | "approve" => Some(Decision::Approved),
            "feedback" => Some(Decision::Feedback),
            "abort" => Some(Decision::Abort),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Approved => "approved",
            Decision::Feedback => "feedback",
            Decision::Abort => "abort",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Answer {
    pub decision: Decision,
    #[serde(default)]
    pub feedback: String,
    /// Who answered; `None` when the wait timed out.
    #[serde(default)]
    pub by: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingBreak {
    pub rule: Rule,
    pub message: String,
    /// The state that had just finished and the one it was heading for.
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitKind {
    Approval,
    CircuitBreak,
}

/// What the run page shows while a run waits for a person.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingInput {
    pub kind: WaitKind,
    pub state: String,
    pub prompt: String,
    /// The text to judge.
    pub content: String,
    pub audits: Vec<AuditNote>,
    pub since: chrono::NaiveDateTime,
    pub timeout_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditNote {
    pub agent: String,
    pub score: Option<i32>,
    pub decision: Option<String>,
    pub feedback: String,
}
