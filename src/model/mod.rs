//! Row structs, typed ids and stored enums.

#[macro_use]
pub mod sql_text;
pub mod approvals;
pub mod content;
pub mod notify;
pub mod runs;
pub mod usage;

pub use approvals::*;
pub use content::*;
pub use notify::*;
pub use runs::*;
pub use usage::*;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::*;

crate::typed_id!(
    UserId,
    WorkspaceId,
    MembershipId,
    SessionId,
    ResetTokenId,
    AuditLogId,
    JobId,
    AuthAttemptId,
);

crate::text_enum!(
    /// The operator-level role of a user account, independent of any workspace.
    SystemRole { Owner => "owner", Admin => "admin", User => "user" }
);

crate::text_enum!(
    /// A member's role inside one workspace.
    Role { Owner => "owner", Admin => "admin", Editor => "editor", Viewer => "viewer" }
);

crate::text_enum!(
    InviteStatus { Pending => "pending", Accepted => "accepted", Expired => "expired", Revoked => "revoked" }
);

crate::text_enum!(
    Theme { Light => "light", Dark => "dark", System => "system" }
);

crate::text_enum!(
    JobStatus { Queued => "queued", Running => "running", Done => "done", Failed => "failed" }
);

crate::text_enum!(
    AuthAttemptKind { LoginFailed => "login_failed", ResetRequested => "reset_requested" }
);

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::Editor => "Editor",
            Role::Viewer => "Viewer",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub password_hash: Option<String>,
    pub is_active: bool,
    pub system_role: SystemRole,
    pub theme: Theme,
    pub default_workspace_id: Option<WorkspaceId>,
    pub email_verified_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub id: &'a UserId,
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: Option<&'a str>,
    pub is_active: bool,
    pub system_role: SystemRole,
    pub theme: Theme,
    pub default_workspace_id: Option<&'a WorkspaceId>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = workspaces)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub name: String,
    pub slug: String,
    pub description: Option<String>,
    pub owner_id: UserId,
    pub settings: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = workspaces)]
pub struct NewWorkspace<'a> {
    pub id: &'a WorkspaceId,
    pub name: &'a str,
    pub slug: &'a str,
    pub description: Option<&'a str>,
    pub owner_id: &'a UserId,
    pub settings: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = workspace_memberships)]
pub struct Membership {
    pub id: MembershipId,
    pub workspace_id: WorkspaceId,
    pub user_id: Option<UserId>,
    pub email: String,
    pub role: Role,
    pub invite_status: InviteStatus,
    pub invite_token_hash: Option<String>,
    pub invite_expires_at: Option<NaiveDateTime>,
    pub invited_by_id: Option<UserId>,
    pub invited_at: Option<NaiveDateTime>,
    pub accepted_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = workspace_memberships)]
pub struct NewMembership<'a> {
    pub id: &'a MembershipId,
    pub workspace_id: &'a WorkspaceId,
    pub user_id: Option<&'a UserId>,
    pub email: &'a str,
    pub role: Role,
    pub invite_status: InviteStatus,
    pub accepted_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id: SessionId,
    pub token_hash: String,
    pub user_id: UserId,
    pub user_agent: Option<String>,
    pub ip_address: Option<String>,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = sessions)]
pub struct NewSession<'a> {
    pub id: &'a SessionId,
    pub token_hash: &'a str,
    pub user_id: &'a UserId,
    pub user_agent: Option<&'a str>,
    pub ip_address: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = password_reset_tokens)]
pub struct ResetToken {
    pub id: ResetTokenId,
    pub user_id: UserId,
    pub token_hash: String,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = audit_logs)]
pub struct AuditLog {
    pub id: AuditLogId,
    pub workspace_id: Option<WorkspaceId>,
    pub user_id: Option<UserId>,
    pub action: String,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub description: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = audit_logs)]
pub struct NewAuditLog {
    pub id: AuditLogId,
    pub workspace_id: Option<WorkspaceId>,
    pub user_id: Option<UserId>,
    pub action: String,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub description: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = jobs)]
pub struct Job {
    pub id: JobId,
    pub kind: String,
    pub payload: String,
    pub status: JobStatus,
    pub run_at: NaiveDateTime,
    pub attempts: i32,
    pub max_attempts: i32,
    pub locked_by: Option<String>,
    pub locked_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
}

/// Now in naive UTC, truncated to microseconds so both backends store the same value.
pub fn now() -> NaiveDateTime {
    use chrono::{SubsecRound, Utc};
    Utc::now().naive_utc().trunc_subsecs(6)
}
