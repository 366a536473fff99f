//! Scheduled reminders: tells each assignee about their unpublished posts that are due within a
//! day or overdue, at most once a day per post and kind. The worker's housekeeping enqueues the
//! check hourly; running it more often than that only finds nothing new to say.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::auth::tenant;
use crate::db::schema::jobs as j;
use crate::db::DbConn;
use crate::jobs::{queue, JobKind};
use crate::model::{now, JobStatus, NotificationKind, Post};
use crate::repo;
use crate::service::notify::{self, Notice};

/// How far ahead a due date counts as "soon".
const SOON: Duration = Duration::hours(24);

/// Enqueues one check unless one is already waiting or running, so housekeeping on several
/// instances does not pile them up.
pub fn enqueue_check(conn: &mut DbConn) -> QueryResult<bool> {
    crate::db::write_tx(conn, |conn| {
        let pending: i64 = j::table
            .filter(j::kind.eq(JobKind::DueReminders.as_str()))
            .filter(j::status.eq_any([JobStatus::Queued, JobStatus::Running]))
            .count()
            .get_result(conn)?;
        if pending > 0 {
            return Ok(false);
        }
        queue::enqueue(conn, JobKind::DueReminders, "{}")?;
        Ok(true)
    })
}

fn phrase(kind: NotificationKind) -> &'static str {
    if kind == NotificationKind::PostOverdue {
        "is overdue"
    } else {
        "is due soon"
    }
}

fn notice_for(post: &Post, at: NaiveDateTime) -> Option<(NotificationKind, String)> {
    let due = post.due_date?;
    if due < at {
        Some((
            NotificationKind::PostOverdue,
            format!(
                "\u{201c}{}\u{201d} {}",
                post.title,
                phrase(NotificationKind::PostOverdue)
            ),
        ))
    } else if due <= at + SOON {
        Some((
            NotificationKind::PostDueSoon,
            format!(
                "\u{201c}{}\u{201d} {}",
                post.title,
                phrase(NotificationKind::PostDueSoon)
            ),
        ))
    } else {
        None
    }
}

/// Someone who turned the in-app kind off but wants email has no row to find, so their
/// reminder's email job is the record that it was sent today.
fn emailed_since(
    conn: &mut DbConn,
    full_link: &str,
    phrase: &str,
    since: NaiveDateTime,
) -> QueryResult<bool> {
    let found: i64 = j::table
        .filter(j::kind.eq(JobKind::NotifyEmail.as_str()))
        .filter(j::created_at.ge(since))
        .filter(j::payload.like(format!("%\"link\":\"{full_link}\"%")))
        .filter(j::payload.like(format!("%\u{201d} {phrase}%")))
        .count()
        .get_result(conn)?;
    Ok(found > 0)
}

/// Runs the check over every workspace; returns how many reminders it handed to `notify`.
pub fn run(conn: &mut DbConn) -> QueryResult<usize> {
    let at = now();
    let today = at.date().and_time(chrono::NaiveTime::MIN);
    let mut sent = 0;
    for (slug, user) in repo::notifications::reminder_audience(conn)? {
        // One transaction per person and workspace: a failure elsewhere loses nothing here.
        sent += crate::db::write_tx(conn, |conn| -> QueryResult<usize> {
            let Some((tenant, _)) = tenant::check_membership(conn, &user, &slug)? else {
                return Ok(0);
            };
            let mut sent = 0;
            for post in repo::posts::due_for_assignee(conn, &tenant, &user, at + SOON)? {
                let Some((kind, title)) = notice_for(&post, at) else {
                    continue;
                };
                let link = format!("/posts/{}", post.id);
                let full = format!("/w/{slug}{link}");
                if repo::notifications::sent_since(conn, &tenant, &user, kind, &full, today)?
                    || emailed_since(conn, &full, phrase(kind), today)?
                {
                    continue;
                }
                let due = post
                    .due_date
                    .map(|d| format!("Due {} UTC.", crate::web::fmt_time(d)))
                    .unwrap_or_default();
                notify::notify(
                    conn,
                    &tenant,
                    None,
                    Notice {
                        recipient: &user,
                        kind,
                        title,
                        body: due,
                        link,
                    },
                )?;
                sent += 1;
            }
            Ok(sent)
        })?;
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post_due(due: Option<NaiveDateTime>) -> Post {
        let at = now();
        Post {
            id: crate::model::PostId::new(),
            workspace_id: crate::model::WorkspaceId::new(),
            chapter_id: None,
            post_number: None,
            title: "T".into(),
            shape: Default::default(),
            guidance: String::new(),
            body: String::new(),
            status: crate::model::PostStatus::Drafting,
            priority: crate::model::Priority::Medium,
            assignee_id: None,
            due_date: due,
            last_run_score: None,
            current_version: 1,
            board_position: 0,
            created_by_id: None,
            published_at: None,
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn due_dates_map_to_soon_overdue_or_nothing() {
        let at = now();
        let kind = |d| notice_for(&post_due(d), at).map(|(k, _)| k);
        assert_eq!(
            kind(Some(at - Duration::hours(1))),
            Some(NotificationKind::PostOverdue)
        );
        assert_eq!(
            kind(Some(at + Duration::hours(3))),
            Some(NotificationKind::PostDueSoon)
        );
        assert_eq!(kind(Some(at + Duration::hours(30))), None);
        assert_eq!(kind(None), None);
    }
}
