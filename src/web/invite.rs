//! The public invitation page behind an emailed link, and accepting it.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use askama_web::WebTemplate;

use crate::app::AppState;
use crate::auth::{AuthUser, MaybeUser};
use crate::error::AppResult;
use crate::service::audit::Actor;
use crate::service::team::{self, AcceptOutcome, InviteLookup};
use crate::web::shell::Shell;
use crate::web::{fmt_time, page, see_other, urlencode};

/// Which of the page's situations to show.
pub enum View {
    Invalid,
    Expired {
        workspace: String,
    },
    SignedOut,
    Matching,
    WrongAccount {
        invited: String,
        signed_in_as: String,
    },
    AlreadyMember {
        slug: String,
    },
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/invite/show.html")]
struct InvitePage {
    shell: Shell,
    view: View,
    token: String,
    workspace: String,
    role: String,
    inviter: String,
    email: String,
    expires: String,
    login_href: String,
    register_href: String,
}

fn render(req: &HttpRequest, session: &Session, token: &str, view: View) -> HttpResponse {
    let status = match view {
        View::Invalid => StatusCode::NOT_FOUND,
        View::Expired { .. } => StatusCode::GONE,
        _ => StatusCode::OK,
    };
    let title = match &view {
        View::Invalid | View::Expired { .. } => "Invitation",
        _ => "You are invited",
    };
    page(
        req,
        InvitePage {
            shell: Shell::public(session, title),
            view,
            token: token.to_string(),
            workspace: String::new(),
            role: String::new(),
            inviter: String::new(),
            email: String::new(),
            expires: String::new(),
            login_href: String::new(),
            register_href: String::new(),
        },
        status,
    )
}

fn signed_in_view(auth: &AuthUser, invited: &str, already_member: Option<String>) -> View {
    if let Some(slug) = already_member {
        return View::AlreadyMember { slug };
    }
    if auth.user.email.trim().to_lowercase() == invited.to_lowercase() {
        View::Matching
    } else {
        View::WrongAccount {
            invited: invited.to_string(),
            signed_in_as: auth.user.email.clone(),
        }
    }
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    user: MaybeUser,
    token: web::Path<String>,
) -> AppResult<HttpResponse> {
    let token = token.into_inner();
    let user_id = user.0.as_ref().map(|a| a.user.id.clone());
    let (lookup, member_of) = {
        let token = token.clone();
        crate::db::run(&state.pool, move |conn| {
            let lookup = team::lookup_invite(conn, &token)?;
            let member_of = match (&lookup, &user_id) {
                (InviteLookup::Open(inv), Some(uid)) => {
                    crate::auth::tenant::check_membership(conn, uid, &inv.workspace.slug)?
                        .map(|(_, w)| w.slug)
                }
                _ => None,
            };
            Ok((lookup, member_of))
        })
        .await?
    };
    let invite = match lookup {
        InviteLookup::Invalid => return Ok(render(&req, &session, &token, View::Invalid)),
        InviteLookup::Expired { workspace } => {
            return Ok(render(&req, &session, &token, View::Expired { workspace }))
        }
        InviteLookup::Open(invite) => invite,
    };
    let view = match &user.0 {
        Some(auth) => signed_in_view(auth, &invite.email, member_of),
        None => View::SignedOut,
    };
    let next = urlencode(&format!("/invite/{token}"));
    let email = urlencode(&invite.email);
    let shell = Shell::public(&session, "You are invited");
    Ok(page(
        &req,
        InvitePage {
            shell,
            view,
            token: token.clone(),
            workspace: invite.workspace.name,
            role: invite.role.label().into(),
            inviter: invite.inviter.unwrap_or_else(|| "A member".into()),
            email: invite.email,
            expires: fmt_time(invite.expires_at),
            login_href: format!("/auth/login?next={next}&email={email}"),
            register_href: format!("/auth/register?next={next}&email={email}"),
        },
        StatusCode::OK,
    ))
}

pub async fn accept(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    user: MaybeUser,
    token: web::Path<String>,
) -> AppResult<HttpResponse> {
    let token = token.into_inner();
    let Some(auth) = user.0 else {
        let next = urlencode(&format!("/invite/{token}"));
        return Ok(see_other(&format!("/auth/login?next={next}")));
    };
    let actor = Actor::from_request(&req, Some(&auth.user.id));
    let outcome = {
        let (token, user, sid) = (token.clone(), auth.user.clone(), auth.session_id.clone());
        crate::db::tx(&state.pool, move |conn| {
            team::accept(conn, &token, &user, &sid, &actor)
        })
        .await?
    };
    let view = match outcome {
        AcceptOutcome::Joined {
            slug,
            workspace,
            session_token,
        } => {
            crate::web::auth::begin_cookie_session(&session, &session_token)?;
            crate::web::flash::success(
                &session,
                format!("Welcome to \u{201c}{workspace}\u{201d}. You are now a member."),
            );
            return Ok(see_other(&format!("/w/{slug}")));
        }
        AcceptOutcome::Invalid => View::Invalid,
        AcceptOutcome::Expired { workspace } => View::Expired { workspace },
        AcceptOutcome::WrongAccount { invited } => View::WrongAccount {
            invited,
            signed_in_as: auth.user.email.clone(),
        },
        AcceptOutcome::AlreadyMember { slug } => View::AlreadyMember { slug },
    };
    let refused = match view {
        View::WrongAccount { .. } => Some(StatusCode::FORBIDDEN),
        View::AlreadyMember { .. } => Some(StatusCode::CONFLICT),
        _ => None,
    };
    let mut res = render(&req, &session, &token, view);
    if let Some(status) = refused {
        *res.status_mut() = status;
    }
    Ok(res)
}
