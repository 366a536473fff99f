//! Notification rows and the kinds a person can be told about.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{UserId, WorkspaceId};
use crate::db::schema::notifications;

crate::typed_id!(NotificationId, NotificationPreferenceId);

crate::text_enum!(
    /// What happened, from the recipient's point of view.
    NotificationKind {
        PostAssigned => "post_assigned",
        PostUnassigned => "post_unassigned",
        ApprovalRequested => "approval_requested",
        PostApproved => "post_approved",
        ChangesRequested => "changes_requested",
        PostRejected => "post_rejected",
        CommentAdded => "comment_added",
        Mentioned => "mentioned",
        InviteAccepted => "invite_accepted",
        RoleChanged => "role_changed",
        RemovedFromWorkspace => "removed_from_workspace",
        RunNeedsInput => "run_needs_input",
        RunFinished => "run_finished",
        RunFailed => "run_failed",
        PostDueSoon => "post_due_soon",
        PostOverdue => "post_overdue",
        ApprovalWaiting => "approval_waiting",
        VoiceReady => "voice_ready",
    }
);

impl NotificationKind {
    /// How the preference screen names it.
    pub fn label(self) -> &'static str {
        use NotificationKind::*;
        match self {
            PostAssigned => "A post is assigned to me",
            PostUnassigned => "A post is taken off me",
            ApprovalRequested => "A post waits for my approval",
            PostApproved => "My post is approved",
            ChangesRequested => "Changes are requested on my post",
            PostRejected => "My post is rejected",
            CommentAdded => "Someone comments on my post or review",
            Mentioned => "Someone @mentions me",
            InviteAccepted => "Someone accepts my invitation",
            RoleChanged => "My role changes",
            RemovedFromWorkspace => "I am removed from a workspace",
            RunNeedsInput => "A writing run waits for my input",
            RunFinished => "A writing run finishes",
            RunFailed => "A writing run fails",
            PostDueSoon => "A post of mine is due soon",
            PostOverdue => "A post of mine is overdue",
            ApprovalWaiting => "An approval has waited too long",
            VoiceReady => "My voice profile is ready",
        }
    }
}

crate::text_enum!(
    Channel { InApp => "in_app", Email => "email" }
);

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = notifications)]
#[diesel(treat_none_as_default_value = false)]
pub struct Notification {
    pub id: NotificationId,
    pub workspace_id: WorkspaceId,
    pub user_id: UserId,
    pub actor_id: Option<UserId>,
    pub kind: NotificationKind,
    pub title: String,
    pub body: String,
    pub link: String,
    pub read_at: Option<NaiveDateTime>,
    pub dismissed_at: Option<NaiveDateTime>,
    pub emailed: bool,
    pub created_at: NaiveDateTime,
}
