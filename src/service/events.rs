//! Domain events: what happened in a workspace, written in the same transaction as the change.
//! Live views (board, notifications) replay them by id over SSE; the notification and webhook
//! features subscribe to the same rows, so adding a consumer never touches the producers.

use diesel::QueryResult;
use serde::{Deserialize, Serialize};

use crate::auth::Tenant;
use crate::db::DbConn;
use crate::model::{PostId, PostStatus, Role, UserId};
use crate::repo;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DomainEvent {
    PostCreated {
        post_id: PostId,
        title: String,
        status: PostStatus,
    },
    PostUpdated {
        post_id: PostId,
        version: i32,
    },
    PostStatusChanged {
        post_id: PostId,
        from: PostStatus,
        to: PostStatus,
    },
    PostAssigned {
        post_id: PostId,
        previous: Option<UserId>,
        assignee: Option<UserId>,
    },
    PostDeleted {
        post_id: PostId,
    },
    /// Due date, priority or chapter changed.
    PostPlanned {
        post_id: PostId,
    },
    /// Someone joined the workspace (accepted an invitation).
    MemberJoined {
        user_id: UserId,
        role: Role,
    },
    MemberRoleChanged {
        user_id: UserId,
        from: Role,
        to: Role,
    },
    MemberRemoved {
        user_id: UserId,
    },
    /// A post was submitted to an approval stage.
    ApprovalSubmitted {
        post_id: PostId,
        request_id: String,
        stage: String,
    },
    /// A reviewer decided: approved, changes_requested, rejected, or the submitter withdrew.
    ApprovalDecided {
        post_id: PostId,
        request_id: String,
        decision: String,
    },
    ApprovalCommented {
        post_id: PostId,
        request_id: String,
    },
}

impl DomainEvent {
    /// The stable name stored in `workspace_events.kind` and sent as the SSE event name.
    pub fn kind(&self) -> &'static str {
        match self {
            DomainEvent::PostCreated { .. } => "post.created",
            DomainEvent::PostUpdated { .. } => "post.updated",
            DomainEvent::PostStatusChanged { .. } => "post.status_changed",
            DomainEvent::PostAssigned { .. } => "post.assigned",
            DomainEvent::PostDeleted { .. } => "post.deleted",
            DomainEvent::PostPlanned { .. } => "post.planned",
            DomainEvent::MemberJoined { .. } => "member.joined",
            DomainEvent::MemberRoleChanged { .. } => "member.role_changed",
            DomainEvent::MemberRemoved { .. } => "member.removed",
            DomainEvent::ApprovalSubmitted { .. } => "approval.submitted",
            DomainEvent::ApprovalDecided { .. } => "approval.decided",
            DomainEvent::ApprovalCommented { .. } => "approval.commented",
        }
    }

    /// The object the event is about.
    pub fn subject(&self) -> Option<&str> {
        match self {
            DomainEvent::PostCreated { post_id, .. }
            | DomainEvent::PostUpdated { post_id, .. }
            | DomainEvent::PostStatusChanged { post_id, .. }
            | DomainEvent::PostAssigned { post_id, .. }
            | DomainEvent::PostDeleted { post_id }
            | DomainEvent::PostPlanned { post_id }
            | DomainEvent::ApprovalSubmitted { post_id, .. }
            | DomainEvent::ApprovalDecided { post_id, .. }
            | DomainEvent::ApprovalCommented { post_id, .. } => Some(post_id.as_str()),
            DomainEvent::MemberJoined { user_id, .. }
            | DomainEvent::MemberRoleChanged { user_id, .. }
            | DomainEvent::MemberRemoved { user_id } => Some(user_id.as_str()),
        }
    }
}

/// Records the event; part of the caller's transaction. Returns its id (the SSE event id).
pub fn emit(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: Option<&UserId>,
    event: &DomainEvent,
) -> QueryResult<i64> {
    let payload = serde_json::to_string(event)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    repo::workspace_events::append(conn, tenant, event.kind(), actor, event.subject(), &payload)
}
