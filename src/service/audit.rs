//! Writing audit rows with who did it and from where.

use actix_web::HttpRequest;
use diesel::QueryResult;

use crate::auth::Tenant;
use crate::db::DbConn;
use crate::model::{now, AuditLogId, NewAuditLog, UserId};
use crate::repo;

/// Who acted, and from which address and browser.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub user_id: Option<UserId>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Actor {
    pub fn from_request(req: &HttpRequest, user_id: Option<&UserId>) -> Actor {
        Actor {
            user_id: user_id.cloned(),
            ip: client_ip(req),
            user_agent: req
                .headers()
                .get(actix_web::http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(500).collect()),
        }
    }

    /// For the command line.
    pub fn cli() -> Actor {
        Actor {
            user_id: None,
            ip: None,
            user_agent: Some("postmagiq cli".into()),
        }
    }

    pub fn with_user(mut self, user_id: &UserId) -> Actor {
        self.user_id = Some(user_id.clone());
        self
    }
}

/// The peer address. Behind a proxy this is the proxy; X-Forwarded-For is not trusted because
/// anyone can send it.
pub fn client_ip(req: &HttpRequest) -> Option<String> {
    req.peer_addr().map(|a| a.ip().to_string())
}

/// What happened, to which thing.
pub struct Event<'a> {
    pub action: &'a str,
    pub resource_type: Option<&'a str>,
    pub resource_id: Option<&'a str>,
    pub description: String,
    pub old_value: Option<serde_json::Value>,
    pub new_value: Option<serde_json::Value>,
}

impl<'a> Event<'a> {
    pub fn new(action: &'a str, description: impl Into<String>) -> Self {
        Event {
            action,
            resource_type: None,
            resource_id: None,
            description: description.into(),
            old_value: None,
            new_value: None,
        }
    }

    pub fn on(mut self, resource_type: &'a str, resource_id: &'a str) -> Self {
        self.resource_type = Some(resource_type);
        self.resource_id = Some(resource_id);
        self
    }

    pub fn change(mut self, old: serde_json::Value, new: serde_json::Value) -> Self {
        self.old_value = Some(old);
        self.new_value = Some(new);
        self
    }
}

fn row(workspace: Option<&Tenant>, actor: &Actor, event: Event<'_>) -> NewAuditLog {
    NewAuditLog {
        id: AuditLogId::new(),
        workspace_id: workspace.map(|t| t.workspace_id().clone()),
        user_id: actor.user_id.clone(),
        action: event.action.to_string(),
        resource_type: event.resource_type.map(str::to_string),
        resource_id: event.resource_id.map(str::to_string),
        description: event.description,
        old_value: event.old_value.map(|v| v.to_string()),
        new_value: event.new_value.map(|v| v.to_string()),
        ip_address: actor.ip.clone(),
        user_agent: actor.user_agent.clone(),
        created_at: now(),
    }
}

/// An event inside a workspace.
pub fn workspace(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
    event: Event<'_>,
) -> QueryResult<()> {
    repo::audit_logs::insert(conn, &row(Some(tenant), actor, event))
}

/// An account event (sign-in, password) or one that outlives its workspace (deletion).
pub fn account(conn: &mut DbConn, actor: &Actor, event: Event<'_>) -> QueryResult<()> {
    repo::audit_logs::insert(conn, &row(None, actor, event))
}
