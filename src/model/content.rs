//! Rows and stored enums of the content area: strategies, chapters, posts and their history,
//! voice profiles and writing samples.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{UserId, WorkspaceId};
use crate::db::schema::*;

crate::typed_id!(
    GoalId,
    ChapterId,
    PostId,
    PostVersionId,
    VoiceProfileId,
    WritingSampleId,
    HistoryId,
    PublicationId,
);

crate::text_enum!(
    /// Where a post is in its life, one board column each.
    PostStatus {
        Idea => "idea",
        Drafting => "drafting",
        InReview => "in_review",
        ChangesRequested => "changes_requested",
        Approved => "approved",
        Scheduled => "scheduled",
        Published => "published",
    }
);

impl PostStatus {
    pub fn label(self) -> &'static str {
        match self {
            PostStatus::Idea => "Idea",
            PostStatus::Drafting => "Drafting",
            PostStatus::InReview => "In review",
            PostStatus::ChangesRequested => "Changes requested",
            PostStatus::Approved => "Approved",
            PostStatus::Scheduled => "Scheduled",
            PostStatus::Published => "Published",
        }
    }
}

crate::text_enum!(
    Priority { Low => "low", Medium => "medium", High => "high", Urgent => "urgent" }
);

impl Priority {
    pub fn label(self) -> &'static str {
        match self {
            Priority::Low => "Low",
            Priority::Medium => "Medium",
            Priority::High => "High",
            Priority::Urgent => "Urgent",
        }
    }
}

crate::text_enum!(
    StrategyType { Series => "series", Daily => "daily", Campaign => "campaign" }
);

crate::text_enum!(
    /// How a strategy's plan came about.
    PlanSource { Manual => "manual", Builtin => "builtin", Agent => "agent" }
);

crate::text_enum!(
    VersionSource { Human => "human", Workflow => "workflow", Restore => "restore", Import => "import" }
);

crate::text_enum!(
    AssignmentAction { Assigned => "assigned", Reassigned => "reassigned", Unassigned => "unassigned" }
);

crate::text_enum!(
    Platform { Linkedin => "linkedin", Threads => "threads", X => "x", Medium => "medium" }
);

impl Platform {
    pub fn label(self) -> &'static str {
        match self {
            Platform::Linkedin => "LinkedIn",
            Platform::Threads => "Threads",
            Platform::X => "X",
            Platform::Medium => "Medium",
        }
    }
}

crate::text_enum!(
    SampleSource { Prompt => "prompt", Upload => "upload", Paste => "paste" }
);

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = goals)]
#[diesel(treat_none_as_default_value = false)]
pub struct Goal {
    pub id: GoalId,
    pub workspace_id: WorkspaceId,
    pub created_by_id: Option<UserId>,
    pub name: String,
    pub signature_thesis: String,
    pub positioning: String,
    pub target_audience: String,
    pub content_style: String,
    pub strategy_type: StrategyType,
    pub posts_per_week: i32,
    pub voice_profile_id: Option<VoiceProfileId>,
    pub plan_source: PlanSource,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = chapters)]
#[diesel(treat_none_as_default_value = false)]
pub struct Chapter {
    pub id: ChapterId,
    pub workspace_id: WorkspaceId,
    pub goal_id: GoalId,
    pub chapter_number: i32,
    pub title: String,
    pub theme: String,
    pub description: String,
    pub weeks_start: Option<i32>,
    pub weeks_end: Option<i32>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = posts)]
#[diesel(treat_none_as_default_value = false)]
pub struct Post {
    pub id: PostId,
    pub workspace_id: WorkspaceId,
    pub chapter_id: Option<ChapterId>,
    pub post_number: Option<i32>,
    pub title: String,
    pub shape: String,
    pub guidance: String,
    pub body: String,
    pub status: PostStatus,
    pub priority: Priority,
    pub assignee_id: Option<UserId>,
    pub due_date: Option<NaiveDateTime>,
    pub last_run_score: Option<i32>,
    pub current_version: i32,
    pub board_position: i64,
    pub created_by_id: Option<UserId>,
    pub published_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = post_versions)]
#[diesel(treat_none_as_default_value = false)]
pub struct PostVersion {
    pub id: PostVersionId,
    pub workspace_id: WorkspaceId,
    pub post_id: PostId,
    pub version: i32,
    pub title: String,
    pub body: String,
    pub source: VersionSource,
    pub author_id: Option<UserId>,
    pub note: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = post_assignment_history)]
#[diesel(treat_none_as_default_value = false)]
pub struct AssignmentChange {
    pub id: HistoryId,
    pub workspace_id: WorkspaceId,
    pub post_id: PostId,
    pub assigned_by_id: Option<UserId>,
    pub previous_assignee_id: Option<UserId>,
    pub new_assignee_id: Option<UserId>,
    pub action: AssignmentAction,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = post_status_history)]
#[diesel(treat_none_as_default_value = false)]
pub struct StatusChange {
    pub id: HistoryId,
    pub workspace_id: WorkspaceId,
    pub post_id: PostId,
    pub from_status: PostStatus,
    pub to_status: PostStatus,
    pub changed_by_id: Option<UserId>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = post_publications)]
#[diesel(treat_none_as_default_value = false)]
pub struct Publication {
    pub id: PublicationId,
    pub workspace_id: WorkspaceId,
    pub post_id: PostId,
    pub platform: Platform,
    pub url: Option<String>,
    pub marked_by_id: Option<UserId>,
    pub published_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = voice_profiles)]
#[diesel(treat_none_as_default_value = false)]
pub struct VoiceProfile {
    pub id: VoiceProfileId,
    pub workspace_id: Option<WorkspaceId>,
    pub is_preset: bool,
    pub name: String,
    pub slug: String,
    pub description: String,
    pub tone_description: String,
    pub signature_phrases: String,
    pub word_choices: String,
    pub example_excerpts: String,
    pub avoid_patterns: String,
    pub created_by_id: Option<UserId>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = writing_samples)]
#[diesel(treat_none_as_default_value = false)]
pub struct WritingSample {
    pub id: WritingSampleId,
    pub workspace_id: WorkspaceId,
    pub user_id: Option<UserId>,
    pub source_type: SampleSource,
    pub prompt_id: Option<String>,
    pub title: String,
    pub content: String,
    pub word_count: i32,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = workspace_events)]
pub struct WorkspaceEventRow {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    pub kind: String,
    pub actor_id: Option<UserId>,
    pub subject_id: Option<String>,
    pub payload: String,
    pub created_at: NaiveDateTime,
}

crate::typed_id!(VoiceAnalysisId);

crate::text_enum!(
    AnalysisStatus { Queued => "queued", Running => "running", Done => "done", Failed => "failed" }
);

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = voice_analyses)]
#[diesel(treat_none_as_default_value = false)]
pub struct VoiceAnalysis {
    pub id: VoiceAnalysisId,
    pub workspace_id: WorkspaceId,
    pub requested_by_id: Option<UserId>,
    pub status: AnalysisStatus,
    pub sample_count: i32,
    pub word_count: i32,
    pub voice_profile_id: Option<VoiceProfileId>,
    pub error: Option<String>,
    pub agent: String,
    pub created_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
}
