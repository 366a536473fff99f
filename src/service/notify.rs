//! Telling people what happened: an in-app notification and, if they want it, an email, each
//! per their preferences. Called inside the transaction of the change it reports, so a
//! notification exists exactly when the change does.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::auth::Tenant;
use crate::db::schema::{users, workspaces};
use crate::db::DbConn;
use crate::jobs::{self, JobKind};
use crate::model::{now, Channel, Notification, NotificationId, NotificationKind, UserId};
use crate::repo;

/// One thing to tell one person. `link` is a path inside the workspace (`/posts/…`); the
/// workspace's own prefix is added here.
pub struct Notice<'a> {
    pub recipient: &'a UserId,
    pub kind: NotificationKind,
    pub title: String,
    pub body: String,
    pub link: String,
}

/// The email job's payload; the worker renders it with the instance's public URL.
#[derive(Debug, Serialize, Deserialize)]
pub struct NoticeEmail {
    pub to: String,
    pub to_name: String,
    pub workspace: String,
    pub title: String,
    pub body: String,
    pub link: String,
}

/// Records the notice for the recipient, unless they caused it themselves, are no longer a
/// member (except for the news that they were removed), or turned that kind off.
pub fn notify(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: Option<&UserId>,
    notice: Notice<'_>,
) -> QueryResult<()> {
    if Some(notice.recipient) == actor {
        return Ok(());
    }
    if notice.kind != NotificationKind::RemovedFromWorkspace
        && !repo::memberships::is_member(conn, tenant, notice.recipient)?
    {
        return Ok(());
    }
    let in_app =
        repo::notifications::wants(conn, tenant, notice.recipient, notice.kind, Channel::InApp)?;
    let email =
        repo::notifications::wants(conn, tenant, notice.recipient, notice.kind, Channel::Email)?;
    if !in_app && !email {
        return Ok(());
    }
    let (workspace, slug): (String, String) = workspaces::table
        .find(tenant.workspace_id())
        .select((workspaces::name, workspaces::slug))
        .first(conn)?;
    let link = format!("/w/{slug}{}", notice.link);
    if in_app {
        repo::notifications::insert(
            conn,
            tenant,
            &Notification {
                id: NotificationId::new(),
                workspace_id: tenant.workspace_id().clone(),
                user_id: notice.recipient.clone(),
                actor_id: actor.cloned(),
                kind: notice.kind,
                title: notice.title.chars().take(200).collect(),
                body: notice.body.chars().take(2000).collect(),
                link: link.clone(),
                read_at: None,
                dismissed_at: None,
                emailed: email,
                created_at: now(),
            },
        )?;
    }
    if email {
        let (to, to_name): (String, String) = users::table
            .find(notice.recipient)
            .select((users::email, users::name))
            .first(conn)?;
        let payload = serde_json::to_string(&NoticeEmail {
            to,
            to_name,
            workspace,
            title: notice.title,
            body: notice.body,
            link,
        })
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
        jobs::queue::enqueue(conn, JobKind::NotifyEmail, &payload)?;
    }
    Ok(())
}
