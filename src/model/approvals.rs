//! Approval stages, the requests that pass through them and the discussion on each request.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{PostId, Role, UserId, WorkspaceId};
use crate::db::schema::{approval_comments, approval_requests, approval_stages};

crate::typed_id!(ApprovalStageId, ApprovalRequestId, ApprovalCommentId);

crate::text_enum!(
    /// Where one review round stands.
    RequestStatus {
        Pending => "pending",
        Approved => "approved",
        Rejected => "rejected",
        ChangesRequested => "changes_requested",
        Withdrawn => "withdrawn",
    }
);

impl RequestStatus {
    pub fn label(self) -> &'static str {
        match self {
            RequestStatus::Pending => "Pending",
            RequestStatus::Approved => "Approved",
            RequestStatus::Rejected => "Rejected",
            RequestStatus::ChangesRequested => "Changes requested",
            RequestStatus::Withdrawn => "Withdrawn",
        }
    }
}

impl Role {
    /// Seniority, for "this role or above" rules.
    pub fn rank(self) -> u8 {
        match self {
            Role::Viewer => 0,
            Role::Editor => 1,
            Role::Admin => 2,
            Role::Owner => 3,
        }
    }

    pub fn at_least(self, minimum: Role) -> bool {
        self.rank() >= minimum.rank()
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = approval_stages)]
#[diesel(treat_none_as_default_value = false)]
pub struct ApprovalStage {
    pub id: ApprovalStageId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub position: i32,
    pub is_required: bool,
    pub is_active: bool,
    /// The least senior role that may decide at this stage.
    pub approver_role: Role,
    /// Whether the person who submitted a post may decide on it here.
    pub allow_self_approval: bool,
    pub created_by_id: Option<UserId>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = approval_requests)]
#[diesel(treat_none_as_default_value = false)]
pub struct ApprovalRequest {
    pub id: ApprovalRequestId,
    pub workspace_id: WorkspaceId,
    pub post_id: PostId,
    pub stage_id: Option<ApprovalStageId>,
    pub stage_name: String,
    pub submitted_by_id: Option<UserId>,
    pub decided_by_id: Option<UserId>,
    pub status: RequestStatus,
    /// The post version that was put up for review.
    pub content_version: i32,
    pub decision_note: String,
    pub submitted_at: NaiveDateTime,
    pub decided_at: Option<NaiveDateTime>,
    /// When the approvers were reminded that it waits.
    pub reminded_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = approval_comments)]
#[diesel(treat_none_as_default_value = false)]
pub struct ApprovalComment {
    pub id: ApprovalCommentId,
    pub workspace_id: WorkspaceId,
    pub request_id: ApprovalRequestId,
    pub author_id: Option<UserId>,
    pub body: String,
    /// Hidden from client-facing views.
    pub is_internal: bool,
    pub created_at: NaiveDateTime,
}
