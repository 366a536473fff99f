//! The team: invitations, roles, removal and ownership. Every function runs inside the caller's
//! transaction; a refusal is an `AppError` (Forbidden, Conflict, NotFound) so that a check failing
//! late (the member limit) rolls back what came before it.
//!
//! Role rules, in the order owner > admin > editor > viewer:
//! - nobody can grant the owner role; ownership only moves by transfer;
//! - owners may invite or assign admin, editor and viewer;
//! - admins may invite or assign editor and viewer, and manage only editors and viewers;
//! - nobody changes or removes the owner, or changes their own role.

use chrono::Duration;

use crate::auth::{session, tokens, Tenant};
use crate::db::DbConn;
use crate::error::AppError;
use crate::model::{now, InviteStatus, Membership, MembershipId, NotificationKind, Role, User};
use crate::repo;
use crate::service::audit::{self, Actor, Event};
use crate::service::email::{self, Email};
use crate::service::events::{self, DomainEvent};
use crate::service::notify::{self, Notice};

/// How long an invitation link stays valid.
pub const INVITE_LIFETIME: Duration = Duration::days(7);

/// Seats per workspace: accepted members plus open invitations. Billing tiers will replace this
/// constant with the plan's `members_per_workspace`, inside `ensure_member_capacity` only.
pub const MEMBER_LIMIT: i64 = 250;

/// The one member-limit check, used by invite and accept. Call it after the change, in the same
/// transaction: the error rolls the change back.
pub fn ensure_member_capacity(conn: &mut DbConn, tenant: &Tenant) -> Result<(), AppError> {
    let seats = repo::memberships::count_seats(conn, tenant)?;
    if seats > MEMBER_LIMIT {
        return Err(AppError::Conflict(format!(
            "This workspace has reached its limit of {MEMBER_LIMIT} members and open invitations. \
             Revoke an invitation or remove a member first."
        )));
    }
    Ok(())
}

fn rank(role: Role) -> u8 {
    match role {
        Role::Owner => 3,
        Role::Admin => 2,
        Role::Editor => 1,
        Role::Viewer => 0,
    }
}

/// The roles `actor` may hand out, by invitation or role change.
pub fn grantable_roles(actor: Role) -> Vec<Role> {
    match actor {
        Role::Owner => vec![Role::Admin, Role::Editor, Role::Viewer],
        Role::Admin => vec![Role::Editor, Role::Viewer],
        Role::Editor | Role::Viewer => Vec::new(),
    }
}

fn check_grant(actor: Role, role: Role) -> Result<(), AppError> {
    if role == Role::Owner {
        return Err(AppError::Forbidden(
            "The owner role cannot be given; transfer ownership instead.".into(),
        ));
    }
    if !grantable_roles(actor).contains(&role) {
        return Err(AppError::Forbidden(format!(
            "As {} you cannot give the {} role.",
            actor.label().to_lowercase(),
            role.label().to_lowercase()
        )));
    }
    Ok(())
}

/// Whether `actor` may change or remove `target`: never the owner, never themselves, and only
/// members ranked strictly below an admin actor.
pub fn may_manage(tenant: &Tenant, target: &Membership) -> bool {
    target.role != Role::Owner
        && target.user_id.as_ref() != Some(tenant.user_id())
        && (tenant.role() == Role::Owner || rank(target.role) < rank(tenant.role()))
        && !grantable_roles(tenant.role()).is_empty()
}

fn send_invite_email(
    conn: &mut DbConn,
    invite_email: &str,
    inviter: &User,
    workspace_name: &str,
    role: Role,
    link: &str,
) -> Result<(), AppError> {
    let mail = email::templates::invite(
        &inviter.name,
        workspace_name,
        role,
        link,
        INVITE_LIFETIME.num_days(),
    )?;
    email::enqueue(
        conn,
        &Email {
            to: invite_email.to_string(),
            to_name: None,
            subject: mail.subject,
            text: mail.text,
            html: mail.html,
        },
    )?;
    Ok(())
}

/// What an invitation needs to know about where it comes from.
pub struct Origin<'a> {
    pub inviter: &'a User,
    pub workspace_name: &'a str,
    pub public_url: &'a str,
    pub actor: &'a Actor,
}

/// Invites `email` with `role`. A revoked or expired row for the address is replaced.
pub fn invite(
    conn: &mut DbConn,
    tenant: &Tenant,
    email_addr: &str,
    role: Role,
    origin: &Origin<'_>,
) -> Result<MembershipId, AppError> {
    check_grant(tenant.role(), role)?;
    if let Some(existing) = repo::memberships::find_by_email(conn, tenant, email_addr)? {
        let open = existing.invite_status == InviteStatus::Pending
            && existing.invite_expires_at.is_some_and(|t| t > now());
        match existing.invite_status {
            InviteStatus::Accepted => {
                return Err(AppError::Conflict(format!(
                    "{email_addr} is already a member of this workspace."
                )))
            }
            InviteStatus::Pending if open => {
                return Err(AppError::Conflict(format!(
                    "{email_addr} is already invited. Use Resend to send the invitation again."
                )))
            }
            _ => {
                repo::memberships::delete(conn, tenant, &existing.id)?;
            }
        }
    }
    let token = tokens::new_secret_token();
    let id = repo::memberships::insert_invite(
        conn,
        tenant,
        email_addr,
        role,
        &tokens::sha256_hex(&token),
        now() + INVITE_LIFETIME,
    )?;
    ensure_member_capacity(conn, tenant)?;
    let link = format!("{}/invite/{token}", origin.public_url);
    send_invite_email(
        conn,
        email_addr,
        origin.inviter,
        origin.workspace_name,
        role,
        &link,
    )?;
    audit::workspace(
        conn,
        tenant,
        origin.actor,
        Event::new(
            "member.invited",
            format!("Invited {email_addr} as {}", role.label()),
        )
        .on("membership", id.as_str()),
    )?;
    Ok(id)
}

fn open_invite(
    conn: &mut DbConn,
    tenant: &Tenant,
    id: &MembershipId,
) -> Result<Membership, AppError> {
    let row = repo::memberships::find(conn, tenant, id)?.ok_or(AppError::NotFound)?;
    if !matches!(
        row.invite_status,
        InviteStatus::Pending | InviteStatus::Expired
    ) {
        return Err(AppError::Conflict(
            "This invitation is no longer open.".into(),
        ));
    }
    // An admin cannot touch an invitation for a role they could not grant.
    check_grant(tenant.role(), row.role)?;
    Ok(row)
}

/// A new link and a new week for an open or expired invitation; the old link stops working.
pub fn resend(
    conn: &mut DbConn,
    tenant: &Tenant,
    id: &MembershipId,
    origin: &Origin<'_>,
) -> Result<String, AppError> {
    let row = open_invite(conn, tenant, id)?;
    let token = tokens::new_secret_token();
    repo::memberships::renew_invite(
        conn,
        tenant,
        id,
        &tokens::sha256_hex(&token),
        now() + INVITE_LIFETIME,
    )?;
    ensure_member_capacity(conn, tenant)?;
    let link = format!("{}/invite/{token}", origin.public_url);
    send_invite_email(
        conn,
        &row.email,
        origin.inviter,
        origin.workspace_name,
        row.role,
        &link,
    )?;
    audit::workspace(
        conn,
        tenant,
        origin.actor,
        Event::new(
            "member.invite_resent",
            format!("Sent the invitation to {} again", row.email),
        )
        .on("membership", id.as_str()),
    )?;
    Ok(row.email)
}

pub fn revoke(
    conn: &mut DbConn,
    tenant: &Tenant,
    id: &MembershipId,
    actor: &Actor,
) -> Result<String, AppError> {
    let row = open_invite(conn, tenant, id)?;
    repo::memberships::revoke_invite(conn, tenant, id)?;
    audit::workspace(
        conn,
        tenant,
        actor,
        Event::new(
            "member.invite_revoked",
            format!("Revoked the invitation for {}", row.email),
        )
        .on("membership", id.as_str()),
    )?;
    Ok(row.email)
}

fn accepted_member(
    conn: &mut DbConn,
    tenant: &Tenant,
    id: &MembershipId,
) -> Result<(Membership, crate::model::UserId), AppError> {
    let row = repo::memberships::find(conn, tenant, id)?.ok_or(AppError::NotFound)?;
    match (&row.invite_status, row.user_id.clone()) {
        (InviteStatus::Accepted, Some(user)) => Ok((row, user)),
        _ => Err(AppError::NotFound),
    }
}

fn check_manage(tenant: &Tenant, target: &Membership) -> Result<(), AppError> {
    if target.role == Role::Owner {
        return Err(AppError::Forbidden(
            "The owner cannot be changed or removed; the owner can transfer ownership.".into(),
        ));
    }
    if target.user_id.as_ref() == Some(tenant.user_id()) {
        return Err(AppError::Forbidden(
            "You cannot change your own role or remove yourself here.".into(),
        ));
    }
    if !may_manage(tenant, target) {
        return Err(AppError::Forbidden(format!(
            "As {} you cannot manage a member with the {} role.",
            tenant.role().label().to_lowercase(),
            target.role.label().to_lowercase()
        )));
    }
    Ok(())
}

/// Changes a member's role; returns the member's address.
pub fn change_role(
    conn: &mut DbConn,
    tenant: &Tenant,
    id: &MembershipId,
    role: Role,
    actor: &Actor,
) -> Result<String, AppError> {
    let (row, user) = accepted_member(conn, tenant, id)?;
    check_manage(tenant, &row)?;
    check_grant(tenant.role(), role)?;
    if row.role == role {
        return Ok(row.email);
    }
    repo::memberships::set_role(conn, tenant, id, role)?;
    events::emit(
        conn,
        tenant,
        Some(tenant.user_id()),
        &DomainEvent::MemberRoleChanged {
            user_id: user.clone(),
            from: row.role,
            to: role,
        },
    )?;
    let ws_name = workspace_name(conn, tenant)?;
    notify::notify(
        conn,
        tenant,
        Some(tenant.user_id()),
        Notice {
            recipient: &user,
            kind: NotificationKind::RoleChanged,
            title: format!("You are now {} in {ws_name}", role.label()),
            body: format!(
                "Your role changed from {} to {}.",
                row.role.label(),
                role.label()
            ),
            link: "/team".into(),
        },
    )?;
    audit::workspace(
        conn,
        tenant,
        actor,
        Event::new(
            "member.role_changed",
            format!(
                "Changed the role of {} from {} to {}",
                row.email,
                row.role.label(),
                role.label()
            ),
        )
        .on("membership", id.as_str())
        .change(
            serde_json::json!({ "role": row.role.as_str() }),
            serde_json::json!({ "role": role.as_str() }),
        ),
    )?;
    Ok(row.email)
}

fn workspace_name(conn: &mut DbConn, tenant: &Tenant) -> Result<String, AppError> {
    use crate::db::schema::workspaces as w;
    use diesel::prelude::*;
    Ok(w::table
        .find(tenant.workspace_id())
        .select(w::name)
        .first(conn)?)
}

/// Deletes the membership and what points at it from the user's side (their default workspace).
fn drop_member(
    conn: &mut DbConn,
    tenant: &Tenant,
    row: &Membership,
    user: &crate::model::UserId,
) -> Result<(), AppError> {
    repo::memberships::delete(conn, tenant, &row.id)?;
    if let Some(u) = repo::users::find(conn, user)? {
        if u.default_workspace_id.as_ref() == Some(tenant.workspace_id()) {
            repo::users::set_default_workspace(conn, user, None)?;
        }
    }
    events::emit(
        conn,
        tenant,
        Some(tenant.user_id()),
        &DomainEvent::MemberRemoved {
            user_id: user.clone(),
        },
    )?;
    Ok(())
}

/// Removes another member; returns their address.
pub fn remove(
    conn: &mut DbConn,
    tenant: &Tenant,
    id: &MembershipId,
    actor: &Actor,
) -> Result<String, AppError> {
    let (row, user) = accepted_member(conn, tenant, id)?;
    check_manage(tenant, &row)?;
    let ws_name = workspace_name(conn, tenant)?;
    // Told while still a member, in the same transaction as the removal.
    notify::notify(
        conn,
        tenant,
        Some(tenant.user_id()),
        Notice {
            recipient: &user,
            kind: NotificationKind::RemovedFromWorkspace,
            title: format!("You were removed from {ws_name}"),
            body: "You no longer have access to this workspace.".into(),
            link: String::new(),
        },
    )?;
    drop_member(conn, tenant, &row, &user)?;
    audit::workspace(
        conn,
        tenant,
        actor,
        Event::new("member.removed", format!("Removed {}", row.email))
            .on("membership", id.as_str()),
    )?;
    Ok(row.email)
}

/// The caller leaves the workspace. The owner cannot: they transfer ownership first.
pub fn leave(conn: &mut DbConn, tenant: &Tenant, actor: &Actor) -> Result<(), AppError> {
    let row = repo::memberships::find_for_user(conn, tenant, tenant.user_id())?
        .ok_or(AppError::NotFound)?;
    if row.role == Role::Owner {
        return Err(AppError::Forbidden(
            "The owner cannot leave. Transfer ownership to another member first.".into(),
        ));
    }
    let user = tenant.user_id().clone();
    drop_member(conn, tenant, &row, &user)?;
    audit::workspace(
        conn,
        tenant,
        actor,
        Event::new("member.left", format!("{} left the workspace", row.email))
            .on("membership", row.id.as_str()),
    )?;
    Ok(())
}

/// Makes another accepted member the owner; the old owner becomes an admin. The caller checked
/// the owner's password. Returns the new owner's address.
pub fn transfer_ownership(
    conn: &mut DbConn,
    tenant: &Tenant,
    to: &MembershipId,
    actor: &Actor,
) -> Result<String, AppError> {
    if tenant.role() != Role::Owner {
        return Err(AppError::Forbidden(
            "Only the owner can transfer ownership.".into(),
        ));
    }
    let (target, new_owner) = accepted_member(conn, tenant, to)?;
    if &new_owner == tenant.user_id() {
        return Err(AppError::Conflict("You already own this workspace.".into()));
    }
    let mine = repo::memberships::find_for_user(conn, tenant, tenant.user_id())?
        .ok_or(AppError::NotFound)?;
    repo::memberships::set_role(conn, tenant, &mine.id, Role::Admin)?;
    repo::memberships::set_role(conn, tenant, &target.id, Role::Owner)?;
    repo::memberships::set_workspace_owner(conn, tenant, &new_owner)?;
    let me = tenant.user_id().clone();
    for (user, from, to) in [
        (&new_owner, target.role, Role::Owner),
        (&me, Role::Owner, Role::Admin),
    ] {
        events::emit(
            conn,
            tenant,
            Some(&me),
            &DomainEvent::MemberRoleChanged {
                user_id: user.clone(),
                from,
                to,
            },
        )?;
    }
    let ws_name = workspace_name(conn, tenant)?;
    notify::notify(
        conn,
        tenant,
        Some(&me),
        Notice {
            recipient: &new_owner,
            kind: NotificationKind::RoleChanged,
            title: format!("You are now the owner of {ws_name}"),
            body: "Ownership of the workspace was transferred to you.".into(),
            link: "/team".into(),
        },
    )?;
    // The old owner caused it, but a change of their own role is still worth a record.
    notify::notify(
        conn,
        tenant,
        None,
        Notice {
            recipient: &me,
            kind: NotificationKind::RoleChanged,
            title: format!("You are now Admin in {ws_name}"),
            body: format!("You transferred ownership to {}.", target.email),
            link: "/team".into(),
        },
    )?;
    audit::workspace(
        conn,
        tenant,
        actor,
        Event::new(
            "workspace.ownership_transferred",
            format!("Transferred ownership to {}", target.email),
        )
        .on("membership", target.id.as_str()),
    )?;
    Ok(target.email)
}

/// What a public invitation link shows.
pub enum InviteLookup {
    /// Unknown, used or revoked.
    Invalid,
    Expired {
        workspace: String,
    },
    Open(Box<OpenInvite>),
}

pub struct OpenInvite {
    pub email: String,
    pub role: Role,
    pub workspace: crate::model::Workspace,
    pub inviter: Option<String>,
    pub expires_at: chrono::NaiveDateTime,
}

/// Looks an invitation up by its link token; an open one whose time has run out is marked
/// expired on the way.
pub fn lookup_invite(conn: &mut DbConn, token: &str) -> Result<InviteLookup, AppError> {
    let hash = tokens::sha256_hex(token);
    let Some(row) = repo::memberships::find_by_token_hash(conn, &hash)? else {
        return Ok(InviteLookup::Invalid);
    };
    let Some((workspace, inviter)) = repo::memberships::invite_context(conn, &row)? else {
        return Ok(InviteLookup::Invalid);
    };
    let expires_at = row.invite_expires_at.unwrap_or_else(now);
    match row.invite_status {
        InviteStatus::Pending if expires_at > now() => {
            Ok(InviteLookup::Open(Box::new(OpenInvite {
                email: row.email,
                role: row.role,
                workspace,
                inviter,
                expires_at,
            })))
        }
        InviteStatus::Pending | InviteStatus::Expired => {
            repo::memberships::expire_by_token_hash(conn, &hash)?;
            Ok(InviteLookup::Expired {
                workspace: workspace.name,
            })
        }
        InviteStatus::Accepted | InviteStatus::Revoked => Ok(InviteLookup::Invalid),
    }
}

pub enum AcceptOutcome {
    /// Joined; the new session token replaces the old one.
    Joined {
        slug: String,
        workspace: String,
        session_token: String,
    },
    Invalid,
    Expired {
        workspace: String,
    },
    WrongAccount {
        invited: String,
    },
    AlreadyMember {
        slug: String,
    },
}

/// Accepts an invitation for the signed-in `user`, whose address must match it. The user's
/// session is replaced by a new one (their privileges just changed).
pub fn accept(
    conn: &mut DbConn,
    token: &str,
    user: &User,
    old_session: &crate::model::SessionId,
    actor: &Actor,
) -> Result<AcceptOutcome, AppError> {
    let invite = match lookup_invite(conn, token)? {
        InviteLookup::Invalid => return Ok(AcceptOutcome::Invalid),
        InviteLookup::Expired { workspace } => return Ok(AcceptOutcome::Expired { workspace }),
        InviteLookup::Open(invite) => invite,
    };
    if invite.email.to_lowercase() != user.email.trim().to_lowercase() {
        return Ok(AcceptOutcome::WrongAccount {
            invited: invite.email,
        });
    }
    let slug = invite.workspace.slug.clone();
    if crate::auth::tenant::check_membership(conn, &user.id, &slug)?.is_some() {
        return Ok(AcceptOutcome::AlreadyMember { slug });
    }
    let hash = tokens::sha256_hex(token);
    if repo::memberships::accept_by_token_hash(conn, &hash, &user.id)? != 1 {
        return Ok(AcceptOutcome::Invalid);
    }
    // The membership check now passes: this is the same proof every request gets.
    let (tenant, workspace) = crate::auth::tenant::check_membership(conn, &user.id, &slug)?
        .ok_or_else(|| AppError::internal("accepted membership not found"))?;
    ensure_member_capacity(conn, &tenant)?;
    events::emit(
        conn,
        &tenant,
        Some(&user.id),
        &DomainEvent::MemberJoined {
            user_id: user.id.clone(),
            role: invite.role,
        },
    )?;
    let accepted = repo::memberships::find_for_user(conn, &tenant, &user.id)?
        .ok_or_else(|| AppError::internal("accepted membership not found"))?;
    if let Some(inviter) = &accepted.invited_by_id {
        notify::notify(
            conn,
            &tenant,
            Some(&user.id),
            Notice {
                recipient: inviter,
                kind: NotificationKind::InviteAccepted,
                title: format!("{} joined {}", user.name, workspace.name),
                body: format!(
                    "{} accepted your invitation and joined as {}.",
                    user.email,
                    invite.role.label()
                ),
                link: "/team".into(),
            },
        )?;
    }
    let actor = actor.clone().with_user(&user.id);
    audit::workspace(
        conn,
        &tenant,
        &actor,
        Event::new(
            "member.joined",
            format!(
                "{} accepted the invitation as {}",
                user.email,
                invite.role.label()
            ),
        )
        .on("membership", accepted.id.as_str()),
    )?;
    session::revoke(conn, &user.id, old_session)?;
    let (_, session_token) = session::create(
        conn,
        &user.id,
        actor.user_agent.as_deref(),
        actor.ip.as_deref(),
    )?;
    Ok(AcceptOutcome::Joined {
        slug,
        workspace: workspace.name,
        session_token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_owners_grant_admin_and_nobody_grants_owner() {
        assert!(check_grant(Role::Owner, Role::Admin).is_ok());
        assert!(check_grant(Role::Owner, Role::Owner).is_err());
        assert!(check_grant(Role::Admin, Role::Admin).is_err());
        assert!(check_grant(Role::Admin, Role::Viewer).is_ok());
        assert!(check_grant(Role::Editor, Role::Viewer).is_err());
        assert!(grantable_roles(Role::Viewer).is_empty());
    }
}
