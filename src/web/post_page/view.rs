//! What the post page shows: the rows one post needs, read together, and the view built
//! from them.

use std::collections::HashMap;

use crate::auth::{Scope, Tenant};
use crate::db::DbConn;
use crate::error::AppError;
use crate::model::{
    AssignmentAction, AssignmentChange, Chapter, Post, PostId, PostStatus, Priority, StatusChange,
    UserId, VersionSource,
};
use crate::repo;
use crate::repo::post_versions::VersionSummary;
use crate::service::posts;
use crate::web::fmt_time;

/// Everything the page reads for one post.
pub struct Loaded {
    pub post: Post,
    pub chapters: Vec<Chapter>,
    pub members: Vec<(UserId, String)>,
    pub versions: Vec<VersionSummary>,
    pub assignments: Vec<AssignmentChange>,
    pub statuses: Vec<StatusChange>,
    pub names: Names,
}

/// Reads the post and what its page shows; another workspace's post is not found.
/// `with_members`: only writers see the assignee picker, so only they need the member list.
pub fn load(
    conn: &mut DbConn,
    tenant: &Tenant,
    id: &PostId,
    with_members: bool,
) -> Result<Loaded, AppError> {
    let post = repo::posts::find(conn, tenant, id)?.ok_or(AppError::NotFound)?;
    let chapters = repo::chapters::list(conn, tenant)?;
    let members = if with_members {
        repo::memberships::member_options(conn, tenant)?
    } else {
        Vec::new()
    };
    let versions = repo::post_versions::summaries(conn, tenant, id)?;
    let assignments = repo::post_history::assignments(conn, tenant, id)?;
    let statuses = repo::post_history::statuses(conn, tenant, id)?;
    let mut ids: Vec<UserId> = post.assignee_id.iter().cloned().collect();
    ids.extend(versions.iter().filter_map(|v| v.2.clone()));
    for a in &assignments {
        ids.extend(
            [
                &a.assigned_by_id,
                &a.previous_assignee_id,
                &a.new_assignee_id,
            ]
            .into_iter()
            .flatten()
            .cloned(),
        );
    }
    ids.extend(statuses.iter().filter_map(|s| s.changed_by_id.clone()));
    ids.sort();
    ids.dedup();
    let names = Names(repo::post_history::user_names(conn, &ids)?);
    Ok(Loaded {
        post,
        chapters,
        members,
        versions,
        assignments,
        statuses,
        names,
    })
}

/// Display names by user id; a deleted account reads as "Someone".
pub struct Names(pub HashMap<UserId, String>);

impl Names {
    pub fn of(&self, id: Option<&UserId>) -> String {
        id.and_then(|id| self.0.get(id).cloned())
            .unwrap_or_else(|| "Someone".into())
    }
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct MoveChoice {
    pub value: &'static str,
    pub label: &'static str,
    /// Why this move is not allowed for the viewer, or "".
    pub problem: String,
}

pub struct HistoryLine {
    pub text: String,
    pub when: String,
}

pub struct VersionRow {
    pub number: i32,
    pub previous: i32,
    pub source_label: &'static str,
    pub source: &'static str,
    pub author: String,
    pub when: String,
    pub note: String,
    pub current: bool,
}

/// The version list and the compare form: part of the page, and swapped in again after each
/// autosave so that they never lag behind the editor.
pub struct VersionsView {
    pub slug: String,
    pub id: String,
    pub csrf: String,
    pub can_write: bool,
    /// Rendered as an out-of-band swap (autosave answers).
    pub oob: bool,
    pub from: i32,
    pub to: i32,
    pub rows: Vec<VersionRow>,
}

pub fn source_label(source: VersionSource) -> &'static str {
    match source {
        VersionSource::Human => "Edited",
        VersionSource::Workflow => "Workflow",
        VersionSource::Restore => "Restored",
        VersionSource::Import => "Imported",
    }
}

pub fn when(t: chrono::NaiveDateTime) -> String {
    format!("{} UTC", fmt_time(t))
}

impl VersionsView {
    pub fn build(
        slug: &str,
        post: &Post,
        csrf: &str,
        can_write: bool,
        versions: &[VersionSummary],
        names: &Names,
    ) -> VersionsView {
        let rows = versions
            .iter()
            .map(|(number, source, author, note, at)| VersionRow {
                number: *number,
                previous: number - 1,
                source_label: source_label(*source),
                source: source.as_str(),
                author: names.of(author.as_ref()),
                when: when(*at),
                note: note.clone(),
                current: *number == post.current_version,
            })
            .collect();
        VersionsView {
            slug: slug.to_string(),
            id: post.id.to_string(),
            csrf: csrf.to_string(),
            can_write,
            oob: false,
            from: (post.current_version - 1).max(1),
            to: post.current_version,
            rows,
        }
    }
}

/// "Ann assigned this to Bob", newest first.
pub fn assignment_lines(rows: &[AssignmentChange], names: &Names) -> Vec<HistoryLine> {
    rows.iter()
        .map(|a| {
            let by = names.of(a.assigned_by_id.as_ref());
            let previous = names.of(a.previous_assignee_id.as_ref());
            let new = names.of(a.new_assignee_id.as_ref());
            let text = match a.action {
                AssignmentAction::Assigned => format!("{by} assigned this to {new}"),
                AssignmentAction::Reassigned => {
                    format!("{by} reassigned this from {previous} to {new}")
                }
                AssignmentAction::Unassigned => format!("{by} unassigned {previous}"),
            };
            HistoryLine {
                text,
                when: when(a.created_at),
            }
        })
        .collect()
}

/// "Moved from Drafting to In review by Ann", newest first.
pub fn status_lines(rows: &[StatusChange], names: &Names) -> Vec<HistoryLine> {
    rows.iter()
        .map(|s| HistoryLine {
            text: format!(
                "Moved from {} to {} by {}",
                s.from_status.label(),
                s.to_status.label(),
                names.of(s.changed_by_id.as_ref())
            ),
            when: when(s.created_at),
        })
        .collect()
}

/// The statuses this member may move the post to, with the reason when a rule forbids one.
pub fn move_choices(tenant: &Tenant, from: PostStatus) -> Vec<MoveChoice> {
    posts::next_statuses(from)
        .iter()
        .map(|to| MoveChoice {
            value: to.as_str(),
            label: to.label(),
            problem: posts::move_problem(tenant, from, *to).unwrap_or_default(),
        })
        .collect()
}

pub fn chapter_label(c: &Chapter) -> String {
    format!("Chapter {}: {}", c.chapter_number, c.title)
}

/// The assignee picker: nobody, every member, and a former member still assigned (who can
/// stay assigned, but cannot be picked anew).
pub fn member_choices(
    members: &[(UserId, String)],
    selected: Option<&str>,
    names: &Names,
) -> Vec<Choice> {
    let selected = selected.unwrap_or("");
    let mut out = vec![Choice {
        value: String::new(),
        label: "Nobody".into(),
        selected: selected.is_empty(),
    }];
    out.extend(members.iter().map(|(id, name)| Choice {
        value: id.to_string(),
        label: name.clone(),
        selected: id.as_str() == selected,
    }));
    if !selected.is_empty() && !out.iter().any(|c| c.selected) {
        let label = UserId::parse(selected)
            .map(|id| names.of(Some(&id)))
            .unwrap_or_else(|| "Someone".into());
        out.push(Choice {
            value: selected.to_string(),
            label: format!("{label} (no longer a member)"),
            selected: true,
        });
    }
    out
}

pub fn chapter_choices(chapters: &[Chapter], selected: &str) -> Vec<Choice> {
    let mut out = vec![Choice {
        value: String::new(),
        label: "No chapter".into(),
        selected: selected.is_empty(),
    }];
    out.extend(chapters.iter().map(|c| Choice {
        value: c.id.to_string(),
        label: chapter_label(c),
        selected: c.id.as_str() == selected,
    }));
    out
}

pub fn priority_choices(selected: &str) -> Vec<Choice> {
    Priority::ALL
        .iter()
        .map(|p| Choice {
            value: p.as_str().into(),
            label: p.label().into(),
            selected: p.as_str() == selected,
        })
        .collect()
}

pub fn can_write(tenant: &Tenant) -> bool {
    tenant.can(Scope::ContentWrite)
}
