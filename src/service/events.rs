//! Domain events: what happened in a workspace, written in the same transaction as the change.
//! Live views (board, notifications) replay them by id over SSE; the notification and webhook
//! features subscribe to the same rows, so adding a consumer never touches the producers.

use diesel::QueryResult;
use serde::{Deserialize, Serialize};

use crate::auth::Tenant;
use crate::db::DbConn;
use crate::model::{PostId, PostStatus, UserId};
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
            | DomainEvent::PostPlanned { post_id } => Some(post_id.as_str()),
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
