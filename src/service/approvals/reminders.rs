//! Reminding approvers of requests that have waited too long: once per request, after the
//! workspace's "remind after N hours" (24 by default). The worker's housekeeping enqueues the
//! check hourly.

use chrono::Duration;
use diesel::prelude::*;

use crate::auth::{tenant, Tenant};
use crate::db::schema::jobs as j;
use crate::db::DbConn;
use crate::error::AppError;
use crate::jobs::{queue, JobKind};
use crate::model::{now, JobStatus, NotificationKind, Workspace};
use crate::repo;
use crate::service::audit::{self, Actor, Event};
use crate::service::notify::{self, Notice};

/// The key in `workspaces.settings`.
const KEY: &str = "approval_reminder_hours";
pub const DEFAULT_HOURS: i64 = 24;
pub const MAX_HOURS: i64 = 720;

/// The workspace's reminder delay in hours, from its settings JSON.
pub fn hours(settings: &str) -> i64 {
    serde_json::from_str::<serde_json::Value>(settings)
        .ok()
        .and_then(|v| v.get(KEY).and_then(serde_json::Value::as_i64))
        .filter(|h| (1..=MAX_HOURS).contains(h))
        .unwrap_or(DEFAULT_HOURS)
}

/// Stores a new delay, keeping the other settings. `Err` carries the message for the field.
pub fn set_hours(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
    workspace: &Workspace,
    raw: &str,
) -> Result<Result<i64, String>, AppError> {
    let Some(new) = raw
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|h| (1..=MAX_HOURS).contains(h))
    else {
        return Ok(Err(format!(
            "Enter a whole number of hours from 1 to {MAX_HOURS}."
        )));
    };
    repo::approvals::lock_workspace(conn, tenant)?;
    let old = hours(&workspace.settings);
    let mut settings = serde_json::from_str::<serde_json::Value>(&workspace.settings)
        .ok()
        .filter(serde_json::Value::is_object)
        .unwrap_or_else(|| serde_json::json!({}));
    settings[KEY] = serde_json::json!(new);
    repo::approvals::set_workspace_settings(conn, tenant, &settings.to_string())?;
    audit::workspace(
        conn,
        tenant,
        actor,
        Event::new(
            "approval_settings.updated",
            format!("Approvers are now reminded after {new} hours"),
        )
        .change(serde_json::json!({KEY: old}), serde_json::json!({KEY: new})),
    )?;
    Ok(Ok(new))
}

/// Enqueues one check unless one is already waiting or running.
pub fn enqueue_check(conn: &mut DbConn) -> QueryResult<bool> {
    crate::db::write_tx(conn, |conn| {
        let waiting: i64 = j::table
            .filter(j::kind.eq(JobKind::ApprovalReminders.as_str()))
            .filter(j::status.eq_any([JobStatus::Queued, JobStatus::Running]))
            .count()
            .get_result(conn)?;
        if waiting > 0 {
            return Ok(false);
        }
        queue::enqueue(conn, JobKind::ApprovalReminders, "{}")?;
        Ok(true)
    })
}

/// Reminds the approvers of every request that waited past its workspace's delay; returns how
/// many requests it reminded about. Each request is reminded at most once.
pub fn run(conn: &mut DbConn) -> QueryResult<usize> {
    let at = now();
    let mut reminded = 0;
    for due in repo::approvals::unreminded_pending_all_workspaces(conn)? {
        if due.request.submitted_at + Duration::hours(hours(&due.settings)) > at {
            continue;
        }
        // One transaction per request: a failure elsewhere loses nothing here.
        reminded += crate::db::write_tx(conn, |conn| -> QueryResult<usize> {
            repo::approvals::lock_workspace_row(conn, &due.request.workspace_id)?;
            // The owner's membership stands in for the workspace: nobody acts here.
            let Some((tenant, _)) = tenant::check_membership(conn, &due.owner_id, &due.slug)?
            else {
                return Ok(0);
            };
            let Some(stage) = due
                .request
                .stage_id
                .as_ref()
                .map(|s| repo::approvals::find_stage(conn, &tenant, s))
                .transpose()?
                .flatten()
            else {
                return Ok(0);
            };
            if !repo::approvals::mark_reminded(conn, &tenant, &due.request.id)? {
                return Ok(0);
            }
            let submitted_by = due.request.submitted_by_id.as_ref();
            for person in repo::approvals::people(conn, &tenant)? {
                if super::may_decide(&stage, person.role, &person.id, submitted_by).is_err() {
                    continue;
                }
                notify::notify(
                    conn,
                    &tenant,
                    None,
                    Notice {
                        recipient: &person.id,
                        kind: NotificationKind::ApprovalWaiting,
                        title: format!(
                            "\u{201c}{}\u{201d} has waited {} at {}",
                            due.post_title,
                            crate::web::approvals::waited(due.request.submitted_at),
                            stage.name
                        ),
                        body: String::new(),
                        link: format!("/approvals/{}", due.request.id),
                    },
                )?;
            }
            Ok(1)
        })?;
    }
    Ok(reminded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delay_defaults_to_a_day_and_ignores_nonsense() {
        assert_eq!(hours("{}"), 24);
        assert_eq!(hours("not json"), 24);
        assert_eq!(hours(r#"{"approval_reminder_hours": 6}"#), 6);
        assert_eq!(hours(r#"{"approval_reminder_hours": 0}"#), 24);
        assert_eq!(hours(r#"{"approval_reminder_hours": "6"}"#), 24);
    }
}
