//! Approval stages, requests and request comments of one workspace.

use diesel::prelude::*;

use crate::auth::Tenant;
use crate::db::schema::{
    approval_comments as c, approval_requests as r, approval_stages as s, posts as p, users as u,
    workspace_memberships as m,
};
use crate::db::DbConn;
use crate::model::{
    now, ApprovalComment, ApprovalRequest, ApprovalRequestId, ApprovalStage, ApprovalStageId,
    InviteStatus, PostId, RequestStatus, Role, UserId, WorkspaceId,
};

/// Takes the workspace's row lock before anything is read: approval changes in one workspace
/// then run one after another (two people cannot open two pending requests for one post), and
/// on SQLite the transaction holds the write lock from its start instead of failing with
/// "database is locked" when it upgrades from reading after another writer committed.
pub fn lock_workspace(conn: &mut DbConn, tenant: &Tenant) -> QueryResult<()> {
    lock_workspace_row(conn, tenant.workspace_id())
}

/// The same lock for the reminder job, which has no tenant until it has read the membership.
pub fn lock_workspace_row(conn: &mut DbConn, workspace: &WorkspaceId) -> QueryResult<()> {
    use crate::db::schema::workspaces as w;
    diesel::update(w::table.filter(w::id.eq(workspace)))
        .set(w::updated_at.eq(w::updated_at))
        .execute(conn)?;
    Ok(())
}

// ----- stages -----

/// Every stage, active or not, in order.
pub fn stages(conn: &mut DbConn, tenant: &Tenant) -> QueryResult<Vec<ApprovalStage>> {
    s::table
        .filter(s::workspace_id.eq(tenant.workspace_id()))
        .order((s::position.asc(), s::created_at.asc()))
        .select(ApprovalStage::as_select())
        .load(conn)
}

pub fn any_active_stage(conn: &mut DbConn, tenant: &Tenant) -> QueryResult<bool> {
    let n: i64 = s::table
        .filter(s::workspace_id.eq(tenant.workspace_id()))
        .filter(s::is_active.eq(true))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

pub fn find_stage(
    conn: &mut DbConn,
    tenant: &Tenant,
    id: &ApprovalStageId,
) -> QueryResult<Option<ApprovalStage>> {
    s::table
        .filter(s::workspace_id.eq(tenant.workspace_id()))
        .filter(s::id.eq(id))
        .select(ApprovalStage::as_select())
        .first(conn)
        .optional()
}

pub fn insert_stage(conn: &mut DbConn, tenant: &Tenant, stage: &ApprovalStage) -> QueryResult<()> {
    debug_assert_eq!(&stage.workspace_id, tenant.workspace_id());
    diesel::insert_into(s::table).values(stage).execute(conn)?;
    Ok(())
}

pub fn next_stage_position(conn: &mut DbConn, tenant: &Tenant) -> QueryResult<i32> {
    let max: Option<i32> = s::table
        .filter(s::workspace_id.eq(tenant.workspace_id()))
        .select(diesel::dsl::max(s::position))
        .first(conn)?;
    Ok(max.map_or(0, |m| m + 1))
}

/// The editable settings of a stage.
pub struct StageSettings<'a> {
    pub name: &'a str,
    pub is_required: bool,
    pub is_active: bool,
    pub approver_role: Role,
    pub allow_self_approval: bool,
}

pub fn update_stage(
    conn: &mut DbConn,
    tenant: &Tenant,
    id: &ApprovalStageId,
    settings: &StageSettings<'_>,
) -> QueryResult<usize> {
    diesel::update(
        s::table
            .filter(s::workspace_id.eq(tenant.workspace_id()))
            .filter(s::id.eq(id)),
    )
    .set((
        s::name.eq(settings.name),
        s::is_required.eq(settings.is_required),
        s::is_active.eq(settings.is_active),
        s::approver_role.eq(settings.approver_role),
        s::allow_self_approval.eq(settings.allow_self_approval),
        s::updated_at.eq(now()),
    ))
    .execute(conn)
}

pub fn set_stage_position(
    conn: &mut DbConn,
    tenant: &Tenant,
    id: &ApprovalStageId,
    position: i32,
) -> QueryResult<usize> {
    diesel::update(
        s::table
            .filter(s::workspace_id.eq(tenant.workspace_id()))
            .filter(s::id.eq(id)),
    )
    .set((s::position.eq(position), s::updated_at.eq(now())))
    .execute(conn)
}

pub fn delete_stage(conn: &mut DbConn, tenant: &Tenant, id: &ApprovalStageId) -> QueryResult<()> {
    diesel::delete(
        s::table
            .filter(s::workspace_id.eq(tenant.workspace_id()))
            .filter(s::id.eq(id)),
    )
    .execute(conn)?;
    Ok(())
}

// ----- requests -----

pub fn insert_request(
    conn: &mut DbConn,
    tenant: &Tenant,
    request: &ApprovalRequest,
) -> QueryResult<()> {
    debug_assert_eq!(&request.workspace_id, tenant.workspace_id());
    diesel::insert_into(r::table)
        .values(request)
        .execute(conn)?;
    Ok(())
}

pub fn find_request(
    conn: &mut DbConn,
    tenant: &Tenant,
    id: &ApprovalRequestId,
) -> QueryResult<Option<ApprovalRequest>> {
    r::table
        .filter(r::workspace_id.eq(tenant.workspace_id()))
        .filter(r::id.eq(id))
        .select(ApprovalRequest::as_select())
        .first(conn)
        .optional()
}

pub fn pending_for_post(
    conn: &mut DbConn,
    tenant: &Tenant,
    post: &PostId,
) -> QueryResult<Option<ApprovalRequest>> {
    r::table
        .filter(r::workspace_id.eq(tenant.workspace_id()))
        .filter(r::post_id.eq(post))
        .filter(r::status.eq(RequestStatus::Pending))
        .select(ApprovalRequest::as_select())
        .first(conn)
        .optional()
}

pub fn count_pending_at_stage(
    conn: &mut DbConn,
    tenant: &Tenant,
    stage: &ApprovalStageId,
) -> QueryResult<i64> {
    r::table
        .filter(r::workspace_id.eq(tenant.workspace_id()))
        .filter(r::stage_id.eq(stage))
        .filter(r::status.eq(RequestStatus::Pending))
        .count()
        .get_result(conn)
}

/// Records a decision only while the request is still pending, so two reviewers deciding at
/// once cannot both win. Returns whether this call decided it.
pub fn decide(
    conn: &mut DbConn,
    tenant: &Tenant,
    id: &ApprovalRequestId,
    status: RequestStatus,
    decided_by: Option<&UserId>,
    note: &str,
) -> QueryResult<bool> {
    let n = diesel::update(
        r::table
            .filter(r::workspace_id.eq(tenant.workspace_id()))
            .filter(r::id.eq(id))
            .filter(r::status.eq(RequestStatus::Pending)),
    )
    .set((
        r::status.eq(status),
        r::decided_by_id.eq(decided_by),
        r::decision_note.eq(note),
        r::decided_at.eq(Some(now())),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// A request with its post's title, for lists.
pub type RequestRow = (ApprovalRequest, String);

/// Pending requests, oldest first.
pub fn pending(conn: &mut DbConn, tenant: &Tenant) -> QueryResult<Vec<RequestRow>> {
    r::table
        .inner_join(p::table.on(p::id.eq(r::post_id)))
        .filter(r::workspace_id.eq(tenant.workspace_id()))
        .filter(p::workspace_id.eq(tenant.workspace_id()))
        .filter(r::status.eq(RequestStatus::Pending))
        .order(r::submitted_at.asc())
        .select((ApprovalRequest::as_select(), p::title))
        .load(conn)
}

/// Every request of a post, newest first.
pub fn for_post(
    conn: &mut DbConn,
    tenant: &Tenant,
    post: &PostId,
) -> QueryResult<Vec<ApprovalRequest>> {
    r::table
        .filter(r::workspace_id.eq(tenant.workspace_id()))
        .filter(r::post_id.eq(post))
        .order(r::submitted_at.desc())
        .select(ApprovalRequest::as_select())
        .load(conn)
}

// ----- comments -----

pub fn insert_comment(
    conn: &mut DbConn,
    tenant: &Tenant,
    comment: &ApprovalComment,
) -> QueryResult<()> {
    debug_assert_eq!(&comment.workspace_id, tenant.workspace_id());
    diesel::insert_into(c::table)
        .values(comment)
        .execute(conn)?;
    Ok(())
}

/// Oldest first.
pub fn comments(
    conn: &mut DbConn,
    tenant: &Tenant,
    request: &ApprovalRequestId,
) -> QueryResult<Vec<ApprovalComment>> {
    c::table
        .filter(c::workspace_id.eq(tenant.workspace_id()))
        .filter(c::request_id.eq(request))
        .order(c::created_at.asc())
        .select(ApprovalComment::as_select())
        .load(conn)
}

// ----- people -----

/// An accepted member as approvals need them: who may decide, and whom @mentions reach.
pub struct Person {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub role: Role,
}

pub fn people(conn: &mut DbConn, tenant: &Tenant) -> QueryResult<Vec<Person>> {
    let rows: Vec<(UserId, String, String, Role)> = m::table
        .inner_join(u::table.on(m::user_id.eq(u::id.nullable())))
        .filter(m::workspace_id.eq(tenant.workspace_id()))
        .filter(m::invite_status.eq(InviteStatus::Accepted))
        .order(u::name.asc())
        .select((u::id, u::name, u::email, m::role))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, email, role)| Person {
            id,
            name,
            email,
            role,
        })
        .collect())
}

// ----- reminders -----

/// A pending request due for a reminder check, with what the check needs about its workspace.
pub struct Unreminded {
    pub request: ApprovalRequest,
    pub post_title: String,
    pub slug: String,
    pub owner_id: UserId,
    pub settings: String,
}

/// Pending requests of every workspace that nobody was reminded of yet, oldest first. Only the
/// reminder job calls this: it runs outside any request, so it works per workspace afterwards.
pub fn unreminded_pending_all_workspaces(conn: &mut DbConn) -> QueryResult<Vec<Unreminded>> {
    use crate::db::schema::workspaces as w;
    let rows: Vec<(ApprovalRequest, String, String, UserId, String)> = r::table
        .inner_join(p::table.on(p::id.eq(r::post_id)))
        .inner_join(w::table.on(w::id.eq(r::workspace_id)))
        .filter(r::status.eq(RequestStatus::Pending))
        .filter(r::reminded_at.is_null())
        .order(r::submitted_at.asc())
        .select((
            ApprovalRequest::as_select(),
            p::title,
            w::slug,
            w::owner_id,
            w::settings,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(request, post_title, slug, owner_id, settings)| Unreminded {
                request,
                post_title,
                slug,
                owner_id,
                settings,
            },
        )
        .collect())
}

/// Records the reminder once: false when it was already recorded (or the request decided).
pub fn mark_reminded(
    conn: &mut DbConn,
    tenant: &Tenant,
    id: &ApprovalRequestId,
) -> QueryResult<bool> {
    let n = diesel::update(
        r::table
            .filter(r::workspace_id.eq(tenant.workspace_id()))
            .filter(r::id.eq(id))
            .filter(r::status.eq(RequestStatus::Pending))
            .filter(r::reminded_at.is_null()),
    )
    .set(r::reminded_at.eq(Some(now())))
    .execute(conn)?;
    Ok(n == 1)
}

/// Replaces the workspace's settings JSON (the caller merged its key into the current value).
pub fn set_workspace_settings(
    conn: &mut DbConn,
    tenant: &Tenant,
    settings: &str,
) -> QueryResult<()> {
    use crate::db::schema::workspaces as w;
    diesel::update(w::table.filter(w::id.eq(tenant.workspace_id())))
        .set((w::settings.eq(settings), w::updated_at.eq(now())))
        .execute(conn)?;
    Ok(())
}
