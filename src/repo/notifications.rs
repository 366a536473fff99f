//! Notifications and notification preferences. Writing one is part of the workspace's
//! transaction (through a `Tenant`); reading is always the recipient's own.

use diesel::prelude::*;

use crate::auth::Tenant;
use crate::db::schema::{notification_preferences as np, notifications as n};
use crate::db::DbConn;
use crate::model::{
    now, Channel, Notification, NotificationId, NotificationKind, NotificationPreferenceId, UserId,
    WorkspaceId,
};

pub fn insert(conn: &mut DbConn, tenant: &Tenant, row: &Notification) -> QueryResult<()> {
    debug_assert_eq!(&row.workspace_id, tenant.workspace_id());
    diesel::insert_into(n::table).values(row).execute(conn)?;
    Ok(())
}

/// Whether the user wants this kind on this channel in this workspace (no row: yes).
pub fn wants(
    conn: &mut DbConn,
    tenant: &Tenant,
    user: &UserId,
    kind: NotificationKind,
    channel: Channel,
) -> QueryResult<bool> {
    let stored: Option<bool> = np::table
        .filter(np::workspace_id.eq(tenant.workspace_id()))
        .filter(np::user_id.eq(user))
        .filter(np::kind.eq(kind))
        .filter(np::channel.eq(channel))
        .select(np::enabled)
        .first(conn)
        .optional()?;
    Ok(stored.unwrap_or(true))
}

/// The caller's stored preferences in a workspace: (kind, channel, enabled).
pub fn preferences(
    conn: &mut DbConn,
    tenant: &Tenant,
) -> QueryResult<Vec<(NotificationKind, Channel, bool)>> {
    np::table
        .filter(np::workspace_id.eq(tenant.workspace_id()))
        .filter(np::user_id.eq(tenant.user_id()))
        .select((np::kind, np::channel, np::enabled))
        .load(conn)
}

/// Stores one preference of the caller (delete, then insert: no upsert on both backends).
pub fn set_preference(
    conn: &mut DbConn,
    tenant: &Tenant,
    kind: NotificationKind,
    channel: Channel,
    enabled: bool,
) -> QueryResult<()> {
    diesel::delete(
        np::table
            .filter(np::workspace_id.eq(tenant.workspace_id()))
            .filter(np::user_id.eq(tenant.user_id()))
            .filter(np::kind.eq(kind))
            .filter(np::channel.eq(channel)),
    )
    .execute(conn)?;
    diesel::insert_into(np::table)
        .values((
            np::id.eq(NotificationPreferenceId::new()),
            np::workspace_id.eq(tenant.workspace_id()),
            np::user_id.eq(tenant.user_id()),
            np::kind.eq(kind),
            np::channel.eq(channel),
            np::enabled.eq(enabled),
            np::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The user's notifications across all their workspaces (or one), newest first, without
/// dismissed ones; one page and whether more follow.
pub fn for_user(
    conn: &mut DbConn,
    user: &UserId,
    workspace: Option<&WorkspaceId>,
    unread_only: bool,
    page: i64,
    per_page: i64,
) -> QueryResult<(Vec<Notification>, bool)> {
    let mut q = n::table
        .filter(n::user_id.eq(user))
        .filter(n::dismissed_at.is_null())
        .into_boxed();
    if let Some(ws) = workspace {
        q = q.filter(n::workspace_id.eq(ws.clone()));
    }
    if unread_only {
        q = q.filter(n::read_at.is_null());
    }
    let mut rows: Vec<Notification> = q
        .order((n::created_at.desc(), n::id.desc()))
        .limit(per_page + 1)
        .offset((page - 1).max(0) * per_page)
        .select(Notification::as_select())
        .load(conn)?;
    let more = rows.len() as i64 > per_page;
    rows.truncate(per_page as usize);
    Ok((rows, more))
}

pub fn unread_count(conn: &mut DbConn, user: &UserId) -> QueryResult<i64> {
    n::table
        .filter(n::user_id.eq(user))
        .filter(n::dismissed_at.is_null())
        .filter(n::read_at.is_null())
        .count()
        .get_result(conn)
}

/// Marks one of the user's notifications read. False when it is not theirs.
pub fn mark_read(conn: &mut DbConn, user: &UserId, id: &NotificationId) -> QueryResult<bool> {
    let found: i64 = n::table
        .filter(n::user_id.eq(user))
        .filter(n::id.eq(id))
        .count()
        .get_result(conn)?;
    diesel::update(
        n::table
            .filter(n::user_id.eq(user))
            .filter(n::id.eq(id))
            .filter(n::read_at.is_null()),
    )
    .set(n::read_at.eq(now()))
    .execute(conn)?;
    Ok(found == 1)
}

pub fn mark_all_read(
    conn: &mut DbConn,
    user: &UserId,
    workspace: Option<&WorkspaceId>,
) -> QueryResult<usize> {
    let mut q = diesel::update(n::table)
        .filter(n::user_id.eq(user))
        .filter(n::read_at.is_null())
        .into_boxed();
    if let Some(ws) = workspace {
        q = q.filter(n::workspace_id.eq(ws.clone()));
    }
    q.set(n::read_at.eq(now())).execute(conn)
}

pub fn dismiss(conn: &mut DbConn, user: &UserId, id: &NotificationId) -> QueryResult<bool> {
    let n_rows = diesel::update(n::table.filter(n::user_id.eq(user)).filter(n::id.eq(id)))
        .set((n::dismissed_at.eq(now()), n::read_at.eq(now())))
        .execute(conn)?;
    Ok(n_rows == 1)
}

pub fn find_for_user(
    conn: &mut DbConn,
    user: &UserId,
    id: &NotificationId,
) -> QueryResult<Option<Notification>> {
    n::table
        .filter(n::user_id.eq(user))
        .filter(n::id.eq(id))
        .select(Notification::as_select())
        .first(conn)
        .optional()
}

/// The newest notification id-time of the user, for the live badge's change detection.
pub fn latest_created(
    conn: &mut DbConn,
    user: &UserId,
) -> QueryResult<Option<chrono::NaiveDateTime>> {
    n::table
        .filter(n::user_id.eq(user))
        .select(diesel::dsl::max(n::created_at))
        .first(conn)
}

/// Whether the user already got this kind about this link since `since` (dismissed or not):
/// scheduled reminders use it to tell each person once a day.
pub fn sent_since(
    conn: &mut DbConn,
    tenant: &Tenant,
    user: &UserId,
    kind: NotificationKind,
    link: &str,
    since: chrono::NaiveDateTime,
) -> QueryResult<bool> {
    let found: i64 = n::table
        .filter(n::workspace_id.eq(tenant.workspace_id()))
        .filter(n::user_id.eq(user))
        .filter(n::kind.eq(kind))
        .filter(n::link.eq(link))
        .filter(n::created_at.ge(since))
        .count()
        .get_result(conn)?;
    Ok(found > 0)
}

/// Every accepted membership as (workspace slug, user): where the scheduled reminders look,
/// each pair then proven again through the membership check.
pub fn reminder_audience(conn: &mut DbConn) -> QueryResult<Vec<(String, UserId)>> {
    use crate::db::schema::{workspace_memberships as m, workspaces as w};
    use crate::model::InviteStatus;
    w::table
        .inner_join(m::table)
        .filter(m::invite_status.eq(InviteStatus::Accepted))
        .filter(m::user_id.is_not_null())
        .order((w::slug.asc(), m::user_id.asc()))
        .select((w::slug, m::user_id.assume_not_null()))
        .load(conn)
}
