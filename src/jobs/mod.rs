//! The durable job queue and its worker pool. Jobs live in the `jobs` table, so they survive
//! restarts and are shared by every app instance on one PostgreSQL.

pub mod queue;
pub mod reminders;
pub mod worker;

crate::text_enum!(
    /// What a job does. Each kind's handler is idempotent or at-least-once by design.
    JobKind {
        SendEmail => "send_email",
        AnalyzeVoice => "analyze_voice",
        NotifyEmail => "notify_email",
        DueReminders => "due_reminders",
        ApprovalReminders => "approval_reminders",
        WorkflowStep => "workflow_step",
    }
);

impl JobKind {
    /// Attempts before a job is recorded as permanently failed.
    pub fn max_attempts(self) -> i32 {
        match self {
            JobKind::SendEmail => 8,
            JobKind::AnalyzeVoice => 4,
            JobKind::NotifyEmail => 8,
            JobKind::DueReminders => 3,
            JobKind::ApprovalReminders => 3,
            // Agent failures are outcomes, not job failures; only an unavailable database
            // fails a step, and a run should outlast a long outage.
            JobKind::WorkflowStep => 20,
        }
    }
}
