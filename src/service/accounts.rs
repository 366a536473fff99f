//! Accounts: registration, sign-in checks, password change and reset.

use crate::auth::{passwords, session, throttle, tokens};
use crate::db::DbConn;
use crate::error::AppError;
use crate::model::{now, AuthAttemptKind, NewUser, SystemRole, Theme, User, UserId, Workspace};
use crate::repo;
use crate::service::audit::{self, Actor, Event};
use crate::service::email::{self, Email};
use crate::service::workspaces;

pub enum RegisterError {
    EmailTaken,
}

/// Creates the user, their personal workspace and owner membership, all or nothing. The first
/// account ever becomes the system owner (or any account created with `system_owner`).
/// `password_hash` is computed by the caller, outside the transaction.
pub fn register(
    conn: &mut DbConn,
    name: &str,
    email: &str,
    password_hash: &str,
    system_owner: bool,
    actor: &Actor,
) -> Result<Result<(User, Workspace), RegisterError>, AppError> {
    crate::db::write_tx(conn, |conn| {
        if repo::users::find_by_email(conn, email)?.is_some() {
            return Ok(Err(RegisterError::EmailTaken));
        }
        let first = repo::users::count(conn)? == 0;
        let at = now();
        let id = UserId::new();
        repo::users::insert(
            conn,
            &NewUser {
                id: &id,
                email,
                name,
                password_hash: Some(password_hash),
                is_active: true,
                system_role: if first || system_owner {
                    SystemRole::Owner
                } else {
                    SystemRole::User
                },
                theme: Theme::System,
                default_workspace_id: None,
                created_at: at,
                updated_at: at,
            },
        )?;
        let user = repo::users::find(conn, &id)?.ok_or(AppError::NotFound)?;
        let actor = actor.clone().with_user(&id);
        let ws_name = format!("{}\u{2019}s Workspace", first_word(name));
        // An error here rolls the user back too.
        let workspace = workspaces::create(conn, &user, &ws_name, None, &actor)?
            .map_err(|e| AppError::internal(format!("personal workspace rejected: {e:?}")))?;
        repo::users::set_default_workspace(conn, &id, Some(&workspace.id))?;
        audit::account(
            conn,
            &actor,
            Event::new("user.registered", format!("Account created for {email}"))
                .on("user", id.as_str()),
        )?;
        let user = repo::users::find(conn, &id)?.ok_or(AppError::NotFound)?;
        Ok(Ok((user, workspace)))
    })
}

/// The first word of a name, at most 60 characters, for "Ann’s Workspace".
fn first_word(name: &str) -> String {
    name.split_whitespace()
        .next()
        .unwrap_or("My")
        .chars()
        .take(60)
        .collect()
}

pub enum LoginOutcome {
    Ok(User),
    Invalid,
    Throttled,
}

/// Checks the throttle, then the password. Unknown email and wrong password are
/// indistinguishable, in answer and in time.
pub fn authenticate(
    conn: &mut DbConn,
    email: &str,
    password: &str,
    bcrypt_cost: u32,
    actor: &Actor,
) -> Result<LoginOutcome, AppError> {
    let ip = actor.ip.clone().unwrap_or_else(|| "unknown".into());
    let (by_email, by_ip) = throttle::counts(conn, AuthAttemptKind::LoginFailed, email, &ip)?;
    if by_email >= throttle::MAX_FAILED_LOGINS || by_ip >= throttle::MAX_FAILED_LOGINS {
        tracing::warn!(email = %email, ip = %ip, by_email, by_ip, "sign-in throttled");
        audit::account(
            conn,
            actor,
            Event::new("auth.throttled", format!("Sign-in throttled for {email}")),
        )?;
        return Ok(LoginOutcome::Throttled);
    }
    let user = repo::users::find_by_email(conn, email)?;
    let ok = match user.as_ref().and_then(|u| u.password_hash.as_deref()) {
        Some(hash) => passwords::verify(password, hash),
        None => {
            passwords::verify_dummy(password, bcrypt_cost);
            false
        }
    };
    match user {
        Some(user) if ok && user.is_active => {
            throttle::clear_for_email(conn, AuthAttemptKind::LoginFailed, email)?;
            Ok(LoginOutcome::Ok(user))
        }
        user => {
            throttle::record(conn, AuthAttemptKind::LoginFailed, email, &ip)?;
            let actor = match &user {
                Some(u) => actor.clone().with_user(&u.id),
                None => actor.clone(),
            };
            audit::account(
                conn,
                &actor,
                Event::new("auth.login_failed", format!("Failed sign-in for {email}")),
            )?;
            Ok(LoginOutcome::Invalid)
        }
    }
}

/// Starts a session for a user who has just proved who they are, and records it.
pub fn start_session(conn: &mut DbConn, user: &User, actor: &Actor) -> Result<String, AppError> {
    let (_, token) = session::create(
        conn,
        &user.id,
        actor.user_agent.as_deref(),
        actor.ip.as_deref(),
    )?;
    audit::account(
        conn,
        &actor.clone().with_user(&user.id),
        Event::new("auth.login", "Signed in").on("user", user.id.as_str()),
    )?;
    Ok(token)
}

/// Sets a new password and revokes every other session of the user.
pub fn change_password(
    conn: &mut DbConn,
    user: &User,
    new_hash: &str,
    keep: &crate::model::SessionId,
    actor: &Actor,
) -> Result<usize, AppError> {
    crate::db::write_tx(conn, |conn| {
        repo::users::set_password_hash(conn, &user.id, new_hash)?;
        let revoked = session::revoke_all(conn, &user.id, Some(keep))?;
        audit::account(
            conn,
            actor,
            Event::new(
                "auth.password_changed",
                format!("Password changed; {revoked} other session(s) signed out"),
            )
            .on("user", user.id.as_str()),
        )?;
        Ok(revoked)
    })
}

pub enum ResetRequest {
    /// The neutral answer: a link went out if the address has an account.
    Accepted,
    /// Too many requests from this IP; says nothing about any account.
    Throttled,
}

/// Emails a reset link when the address belongs to an active account. Says nothing either way.
/// Per address, extra requests are dropped silently; per IP, they are refused.
pub fn request_reset(
    conn: &mut DbConn,
    email_addr: &str,
    public_url: &str,
    actor: &Actor,
) -> Result<ResetRequest, AppError> {
    let ip = actor.ip.clone().unwrap_or_else(|| "unknown".into());
    crate::db::write_tx(conn, |conn| {
        let (by_email, by_ip) =
            throttle::counts(conn, AuthAttemptKind::ResetRequested, email_addr, &ip)?;
        if by_ip >= throttle::MAX_FAILED_LOGINS {
            tracing::warn!(ip = %ip, "password reset requests throttled for this IP");
            return Ok(ResetRequest::Throttled);
        }
        throttle::record(conn, AuthAttemptKind::ResetRequested, email_addr, &ip)?;
        if by_email >= throttle::MAX_RESET_REQUESTS {
            tracing::warn!(email = %email_addr, ip = %ip, "password reset requests throttled for this address");
            return Ok(ResetRequest::Accepted);
        }
        let Some(user) = repo::users::find_by_email(conn, email_addr)? else {
            return Ok(ResetRequest::Accepted);
        };
        if !user.is_active {
            return Ok(ResetRequest::Accepted);
        }
        let token = tokens::new_secret_token();
        repo::reset_tokens::replace(conn, &user.id, &tokens::sha256_hex(&token))?;
        let link = format!("{public_url}/auth/reset/{token}");
        let mail = email::templates::password_reset(&user.name, &link)?;
        email::enqueue(
            conn,
            &Email {
                to: user.email.clone(),
                to_name: Some(user.name.clone()),
                subject: mail.subject,
                text: mail.text,
                html: mail.html,
            },
        )?;
        audit::account(
            conn,
            &actor.clone().with_user(&user.id),
            Event::new("auth.reset_requested", "Password reset link sent")
                .on("user", user.id.as_str()),
        )?;
        Ok(ResetRequest::Accepted)
    })
}

pub enum ResetOutcome {
    Done,
    InvalidToken,
}

/// Uses a reset token once: sets the password and revokes every session of the user.
pub fn complete_reset(
    conn: &mut DbConn,
    token: &str,
    new_hash: &str,
    actor: &Actor,
) -> Result<ResetOutcome, AppError> {
    crate::db::write_tx(conn, |conn| {
        let Some(row) = repo::reset_tokens::find_usable(conn, &tokens::sha256_hex(token))? else {
            return Ok(ResetOutcome::InvalidToken);
        };
        if !repo::reset_tokens::consume(conn, &row.id)? {
            return Ok(ResetOutcome::InvalidToken);
        }
        repo::users::set_password_hash(conn, &row.user_id, new_hash)?;
        let revoked = session::revoke_all(conn, &row.user_id, None)?;
        audit::account(
            conn,
            &actor.clone().with_user(&row.user_id),
            Event::new(
                "auth.password_reset",
                format!("Password reset by email link; {revoked} session(s) signed out"),
            )
            .on("user", row.user_id.as_str()),
        )?;
        Ok(ResetOutcome::Done)
    })
}

/// Whether a reset token can still be used (for showing the form or an error first).
pub fn reset_token_usable(conn: &mut DbConn, token: &str) -> Result<bool, AppError> {
    Ok(repo::reset_tokens::find_usable(conn, &tokens::sha256_hex(token))?.is_some())
}
