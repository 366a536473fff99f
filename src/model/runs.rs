//! Workflow runs and what they produce.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::*;
use crate::model::{PostId, UserId, WorkspaceId};

crate::typed_id!(RunId, RunOutputId, RunMetricId);

crate::text_enum!(
    /// Where a run is. `complete`, `halted`, `failed` and `aborted` are final.
    RunStatus {
        Queued => "queued",
        Running => "running",
        AwaitingInput => "awaiting_input",
        Paused => "paused",
        Complete => "complete",
        Halted => "halted",
        Failed => "failed",
        Aborted => "aborted",
    }
);

impl RunStatus {
    pub fn is_final(self) -> bool {
        matches!(
            self,
            RunStatus::Complete | RunStatus::Halted | RunStatus::Failed | RunStatus::Aborted
        )
    }

    pub fn label(self) -> &'static str {
        match self {
            RunStatus::Queued => "Queued",
            RunStatus::Running => "Running",
            RunStatus::AwaitingInput => "Needs you",
            RunStatus::Paused => "Paused",
            RunStatus::Complete => "Complete",
            RunStatus::Halted => "Halted",
            RunStatus::Failed => "Failed",
            RunStatus::Aborted => "Aborted",
        }
    }
}

crate::text_enum!(
    /// A person's request, applied when the current state ends.
    RunControl { Pause => "pause", Abort => "abort" }
);

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = workflow_runs)]
pub struct Run {
    pub id: RunId,
    pub workspace_id: WorkspaceId,
    pub started_by: UserId,
    pub post_id: Option<PostId>,
    pub config_slug: String,
    pub config_name: String,
    pub config_yaml: String,
    pub config_hash: String,
    pub overlay: String,
    pub voice: Option<String>,
    pub title: String,
    pub story: String,
    pub status: RunStatus,
    pub control: Option<RunControl>,
    pub current_state: String,
    pub final_state: Option<String>,
    pub step: i32,
    pub machine: String,
    pub pending_input: Option<String>,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost_micros: i64,
    pub active_ms: i64,
    pub credits_reserved: i64,
    pub credits_used: i64,
    pub error: Option<String>,
    pub started_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

impl Run {
    pub fn cost_usd(&self) -> f64 {
        self.cost_micros as f64 / 1_000_000.0
    }

    pub fn total_tokens(&self) -> i64 {
        self.input_tokens + self.output_tokens
    }

    /// Wall-clock time from start to finish (or to now, while it runs).
    pub fn duration(&self) -> chrono::Duration {
        self.finished_at.unwrap_or_else(crate::model::now) - self.started_at
    }
}

/// The columns of the run history table; the story and machine state stay unread.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = workflow_runs)]
pub struct RunSummary {
    pub id: RunId,
    pub config_slug: String,
    pub config_name: String,
    pub title: String,
    pub status: RunStatus,
    pub current_state: String,
    pub final_state: Option<String>,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost_micros: i64,
    pub credits_reserved: i64,
    pub credits_used: i64,
    pub started_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = workflow_outputs)]
pub struct RunOutput {
    pub id: RunOutputId,
    pub workspace_id: WorkspaceId,
    pub run_id: RunId,
    pub step: i32,
    pub state_name: String,
    pub agent: String,
    pub output_type: String,
    pub content: String,
    pub score: Option<i32>,
    pub decision: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = workflow_state_metrics)]
pub struct RunMetric {
    pub id: RunMetricId,
    pub workspace_id: WorkspaceId,
    pub run_id: RunId,
    pub step: i32,
    pub state_name: String,
    pub agent: String,
    pub model: String,
    pub success: bool,
    pub error: Option<String>,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost_micros: i64,
    pub latency_ms: i64,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = workflow_events)]
pub struct RunEvent {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    pub run_id: RunId,
    pub kind: String,
    pub payload: String,
    pub created_at: NaiveDateTime,
}
