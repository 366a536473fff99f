//! The team page: members, invitations, roles, removal and ownership transfer.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::{need, passwords, Member, Scope};
use crate::error::{AppError, AppResult};
use crate::model::{InviteStatus, MembershipId, Role};
use crate::repo;
use crate::service::audit::Actor;
use crate::service::team::{self, Origin};
use crate::web::forms::{self, FieldErrors};
use crate::web::shell::{initials, Section, Shell};
use crate::web::{fmt_time, page, see_other};

pub struct RoleOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

pub struct MemberRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub initials: String,
    pub role: Role,
    pub joined: String,
    pub is_you: bool,
    pub manageable: bool,
    pub role_options: Vec<RoleOption>,
}

pub struct InviteRow {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub invited_by: String,
    pub expires: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub manageable: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/team/index.html")]
struct TeamPage {
    shell: Shell,
    slug: String,
    members: Vec<MemberRow>,
    invites: Vec<InviteRow>,
    can_invite: bool,
    is_owner: bool,
    invite_roles: Vec<RoleOption>,
    invite_email: String,
    errors: FieldErrors,
    transfer_to: Vec<(String, String)>,
    transfer_error: String,
    seats: i64,
    limit: i64,
}

/// What the invite and transfer forms had when the page is shown again with a problem.
#[derive(Default)]
struct Redisplay {
    email: String,
    role: Option<Role>,
    errors: FieldErrors,
    transfer_error: String,
}

fn options(roles: &[Role], selected: Option<Role>) -> Vec<RoleOption> {
    roles
        .iter()
        .map(|r| RoleOption {
            value: r.as_str(),
            label: r.label(),
            selected: Some(*r) == selected,
        })
        .collect()
}

fn membership_id(raw: &str) -> AppResult<MembershipId> {
    MembershipId::parse(raw).ok_or(AppError::NotFound)
}

async fn render<S: crate::auth::scopes::RequiredScope>(
    req: &HttpRequest,
    state: &AppState,
    session: &Session,
    member: &Member<S>,
    again: Redisplay,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let tenant = member.tenant.clone();
    let (rows, people, seats) = crate::db::run(&state.pool, move |conn| {
        let rows = repo::memberships::list(conn, &tenant)?;
        let people = repo::memberships::people(conn, &tenant)?;
        let seats = repo::memberships::count_seats(conn, &tenant)?;
        Ok((rows, people, seats))
    })
    .await?;
    let tenant = &member.tenant;
    let grantable = team::grantable_roles(tenant.role());
    let can_invite = tenant.can(Scope::WorkspaceUsers) && !grantable.is_empty();
    let now = crate::model::now();
    let mut members = Vec::new();
    let mut invites = Vec::new();
    let mut transfer_to = Vec::new();
    for r in rows {
        match (r.invite_status, &r.user_id) {
            (InviteStatus::Accepted, Some(user)) => {
                let (name, email) = people
                    .get(user)
                    .cloned()
                    .unwrap_or_else(|| (r.email.clone(), r.email.clone()));
                let manageable = can_invite && team::may_manage(tenant, &r);
                let is_you = user == tenant.user_id();
                if !is_you {
                    transfer_to.push((r.id.to_string(), format!("{name} ({email})")));
                }
                members.push(MemberRow {
                    id: r.id.to_string(),
                    initials: initials(&name),
                    name,
                    email,
                    role: r.role,
                    joined: r.accepted_at.map(fmt_time).unwrap_or_default(),
                    is_you,
                    manageable,
                    role_options: options(&grantable, Some(r.role)),
                });
            }
            (InviteStatus::Pending | InviteStatus::Expired, _) => {
                let expired = r.invite_status == InviteStatus::Expired
                    || r.invite_expires_at.is_none_or(|t| t <= now);
                invites.push(InviteRow {
                    id: r.id.to_string(),
                    email: r.email.clone(),
                    role: r.role,
                    invited_by: r
                        .invited_by_id
                        .as_ref()
                        .and_then(|id| people.get(id))
                        .map(|(n, _)| n.clone())
                        .unwrap_or_else(|| "A former member".into()),
                    expires: r.invite_expires_at.map(fmt_time).unwrap_or_default(),
                    status: if expired { "Expired" } else { "Pending" },
                    status_class: if expired {
                        "badge-danger"
                    } else {
                        "badge-warning"
                    },
                    manageable: can_invite && grantable.contains(&r.role),
                });
            }
            // Revoked rows (and accepted rows of deleted users) are history, not team.
            _ => {}
        }
    }
    let shell = Shell::app(
        state,
        session,
        &member.auth,
        Some((&member.tenant, &member.workspace)),
        Section::Team,
        "Team",
    )
    .await?;
    let default_role = again.role.or(Some(Role::Editor));
    Ok(page(
        req,
        TeamPage {
            shell,
            slug: member.workspace.slug.clone(),
            members,
            invites,
            can_invite,
            is_owner: tenant.role() == Role::Owner,
            invite_roles: options(&grantable, default_role),
            invite_email: again.email,
            errors: again.errors,
            transfer_to,
            transfer_error: again.transfer_error,
            seats,
            limit: team::MEMBER_LIMIT,
        },
        status,
    ))
}

pub async fn index(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    member: Member<need::TeamRead>,
) -> AppResult<HttpResponse> {
    render(
        &req,
        &state,
        &session,
        &member,
        Redisplay::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

fn team_path(slug: &str) -> String {
    format!("/w/{slug}/team")
}

pub async fn invite(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    member: Member<need::WorkspaceUsers>,
    form: web::Form<InviteForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let mut errors = FieldErrors::new();
    let email = forms::normalize_email(&form.email)
        .map_err(|e| errors.add("email", e))
        .unwrap_or_default();
    let role = Role::parse(form.role.trim());
    if role.is_none() {
        errors.add("role", "Choose a role.");
    }
    let redisplay = |errors: FieldErrors| Redisplay {
        email: form.email.trim().to_string(),
        role,
        errors,
        transfer_error: String::new(),
    };
    let Some(role) = role.filter(|_| errors.is_empty()) else {
        return render(
            &req,
            &state,
            &session,
            &member,
            redisplay(errors),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let actor = Actor::from_request(&req, Some(&member.auth.user.id));
    let (tenant, inviter, ws_name, public_url) = (
        member.tenant.clone(),
        member.auth.user.clone(),
        member.workspace.name.clone(),
        state.config.public_url.clone(),
    );
    let to = email.clone();
    let result = crate::db::tx(&state.pool, move |conn| {
        let origin = Origin {
            inviter: &inviter,
            workspace_name: &ws_name,
            public_url: &public_url,
            actor: &actor,
        };
        team::invite(conn, &tenant, &to, role, &origin)
    })
    .await;
    let (status, message) = match result {
        Ok(_) => {
            crate::web::flash::success(
                &session,
                format!("Invitation sent to {email} as {}.", role.label()),
            );
            return Ok(see_other(&team_path(&member.workspace.slug)));
        }
        Err(AppError::Conflict(m)) => (StatusCode::CONFLICT, m),
        Err(AppError::Forbidden(m)) => (StatusCode::FORBIDDEN, m),
        Err(e) => return Err(e),
    };
    let mut errors = FieldErrors::new();
    errors.add(
        if status == StatusCode::FORBIDDEN {
            "role"
        } else {
            "email"
        },
        message,
    );
    render(&req, &state, &session, &member, redisplay(errors), status).await
}

pub async fn resend(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    member: Member<need::WorkspaceUsers>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let id = membership_id(&path.1)?;
    let actor = Actor::from_request(&req, Some(&member.auth.user.id));
    let (tenant, inviter, ws_name, public_url) = (
        member.tenant.clone(),
        member.auth.user.clone(),
        member.workspace.name.clone(),
        state.config.public_url.clone(),
    );
    let email = crate::db::tx(&state.pool, move |conn| {
        let origin = Origin {
            inviter: &inviter,
            workspace_name: &ws_name,
            public_url: &public_url,
            actor: &actor,
        };
        team::resend(conn, &tenant, &id, &origin)
    })
    .await?;
    crate::web::flash::success(
        &session,
        format!("A new invitation went to {email}. The earlier link no longer works."),
    );
    Ok(see_other(&team_path(&member.workspace.slug)))
}

pub async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    member: Member<need::WorkspaceUsers>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let id = membership_id(&path.1)?;
    let actor = Actor::from_request(&req, Some(&member.auth.user.id));
    let tenant = member.tenant.clone();
    let email = crate::db::tx(&state.pool, move |conn| {
        team::revoke(conn, &tenant, &id, &actor)
    })
    .await?;
    crate::web::flash::success(&session, format!("The invitation for {email} is revoked."));
    Ok(see_other(&team_path(&member.workspace.slug)))
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

pub async fn change_role(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    member: Member<need::WorkspaceUsers>,
    path: web::Path<(String, String)>,
    form: web::Form<RoleForm>,
) -> AppResult<HttpResponse> {
    let id = membership_id(&path.1)?;
    let role = Role::parse(form.role.trim())
        .ok_or_else(|| AppError::BadRequest("Choose a role.".into()))?;
    let actor = Actor::from_request(&req, Some(&member.auth.user.id));
    let tenant = member.tenant.clone();
    let email = crate::db::tx(&state.pool, move |conn| {
        team::change_role(conn, &tenant, &id, role, &actor)
    })
    .await?;
    crate::web::flash::success(&session, format!("{email} is now {}.", role.label()));
    Ok(see_other(&team_path(&member.workspace.slug)))
}

pub async fn remove(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    member: Member<need::WorkspaceUsers>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let id = membership_id(&path.1)?;
    let actor = Actor::from_request(&req, Some(&member.auth.user.id));
    let tenant = member.tenant.clone();
    let email = crate::db::tx(&state.pool, move |conn| {
        team::remove(conn, &tenant, &id, &actor)
    })
    .await?;
    crate::web::flash::success(&session, format!("{email} was removed from the workspace."));
    Ok(see_other(&team_path(&member.workspace.slug)))
}

pub async fn leave(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    member: Member<need::TeamRead>,
) -> AppResult<HttpResponse> {
    let actor = Actor::from_request(&req, Some(&member.auth.user.id));
    let tenant = member.tenant.clone();
    crate::db::tx(&state.pool, move |conn| team::leave(conn, &tenant, &actor)).await?;
    crate::web::flash::success(
        &session,
        format!("You left \u{201c}{}\u{201d}.", member.workspace.name),
    );
    Ok(see_other("/workspaces"))
}

#[derive(Deserialize)]
pub struct TransferForm {
    #[serde(default)]
    member_id: String,
    #[serde(default)]
    password: String,
}

/// Owner only, with the owner's password typed again: the one change that cannot be undone by
/// the person making it.
pub async fn transfer(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    owner: Member<need::WorkspaceDelete>,
    form: web::Form<TransferForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let refuse = |message: &str| Redisplay {
        transfer_error: message.into(),
        ..Redisplay::default()
    };
    let Some(target) = MembershipId::parse(form.member_id.trim()) else {
        return render(
            &req,
            &state,
            &session,
            &owner,
            refuse("Choose the member who becomes the owner."),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let stored = owner.auth.user.password_hash.clone().unwrap_or_default();
    let password = form.password.clone();
    let ok = !stored.is_empty()
        && !password.is_empty()
        && web::block(move || passwords::verify(&password, &stored)).await?;
    if !ok {
        return render(
            &req,
            &state,
            &session,
            &owner,
            refuse("That password is not correct."),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let actor = Actor::from_request(&req, Some(&owner.auth.user.id));
    let tenant = owner.tenant.clone();
    let email = crate::db::tx(&state.pool, move |conn| {
        team::transfer_ownership(conn, &tenant, &target, &actor)
    })
    .await?;
    crate::web::flash::success(
        &session,
        format!("{email} now owns this workspace. You are an admin."),
    );
    Ok(see_other(&team_path(&owner.workspace.slug)))
}
