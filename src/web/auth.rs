//! Sign-in, registration, sign-out and password reset.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::{csrf, passwords, session as sessions, MaybeUser};
use crate::error::{AppError, AppResult};
use crate::service::accounts::{self, LoginOutcome, RegisterError, ResetOutcome, ResetRequest};
use crate::service::audit::{self, Actor, Event};
use crate::web::forms::{self, FieldErrors};
use crate::web::shell::Shell;
use crate::web::{page, see_other};

const INVALID_LOGIN: &str = "Invalid email or password.";

#[derive(Template, WebTemplate)]
#[template(path = "pages/auth/login.html")]
struct LoginPage {
    shell: Shell,
    email: String,
    next: String,
    error: String,
    notice: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/auth/register.html")]
struct RegisterPage {
    shell: Shell,
    name: String,
    email: String,
    next: String,
    errors: FieldErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/auth/forgot.html")]
struct ForgotPage {
    shell: Shell,
    email: String,
    error: String,
    sent: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/auth/reset.html")]
struct ResetPage {
    shell: Shell,
    token: String,
    valid: bool,
    errors: FieldErrors,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    signed_out: Option<String>,
    reset: Option<String>,
    /// Prefill, e.g. from an invitation link.
    email: Option<String>,
}

pub async fn login_page(
    req: HttpRequest,
    session: Session,
    user: MaybeUser,
    query: web::Query<LoginQuery>,
) -> HttpResponse {
    let next = forms::safe_next(query.next.as_deref());
    if user.0.is_some() {
        return see_other(next.as_deref().unwrap_or("/"));
    }
    let notice = if query.signed_out.is_some() {
        "You have been signed out."
    } else if query.reset.is_some() {
        "Your password has been changed. Sign in with the new one."
    } else if next.is_some() {
        "Please sign in to continue."
    } else {
        ""
    };
    page(
        &req,
        LoginPage {
            shell: Shell::public(&session, "Sign in"),
            email: prefill_email(query.email.as_deref()),
            next: next.unwrap_or_default(),
            error: String::new(),
            notice: notice.into(),
        },
        StatusCode::OK,
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

/// An address to show in the email field; only a plausible one, never echoed raw.
fn prefill_email(email: Option<&str>) -> String {
    email
        .and_then(|e| forms::normalize_email(e).ok())
        .unwrap_or_default()
}

/// Puts the new session into a fresh cookie: a new cookie session (so an id planted before
/// sign-in is worthless) and a new CSRF token.
pub(crate) fn begin_cookie_session(session: &Session, token: &str) -> AppResult<()> {
    session.renew();
    session
        .insert(sessions::SID_KEY, token)
        .map_err(|e| AppError::internal(format!("session insert: {e}")))?;
    csrf::rotate(session);
    Ok(())
}

pub async fn login_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<LoginForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let next = forms::safe_next(form.next.as_deref());
    let render = |error: &str, status: StatusCode| {
        page(
            &req,
            LoginPage {
                shell: Shell::public(&session, "Sign in"),
                email: form.email.trim().to_string(),
                next: next.clone().unwrap_or_default(),
                error: error.into(),
                notice: String::new(),
            },
            status,
        )
    };
    // A malformed address cannot match an account: same answer as a wrong password.
    let email =
        forms::normalize_email(&form.email).unwrap_or_else(|_| form.email.trim().to_lowercase());
    if email.is_empty() || form.password.is_empty() {
        return Ok(render(
            "Enter your email and password.",
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    let actor = Actor::from_request(&req, None);
    let cost = state.config.bcrypt_cost;
    let password = form.password.clone();
    let outcome = {
        let actor = actor.clone();
        let email = email.clone();
        crate::db::run(&state.pool, move |conn| {
            accounts::authenticate(conn, &email, &password, cost, &actor)
        })
        .await?
    };
    let user = match outcome {
        LoginOutcome::Ok(user) => user,
        LoginOutcome::Invalid => return Ok(render(INVALID_LOGIN, StatusCode::UNAUTHORIZED)),
        LoginOutcome::Throttled => {
            let mut res = render(
                "Too many failed sign-in attempts. Wait 15 minutes and try again, or reset your password.",
                StatusCode::TOO_MANY_REQUESTS,
            );
            res.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                actix_web::http::header::HeaderValue::from_static("900"),
            );
            return Ok(res);
        }
    };
    let token = {
        let user = user.clone();
        crate::db::run(&state.pool, move |conn| {
            accounts::start_session(conn, &user, &actor)
        })
        .await?
    };
    begin_cookie_session(&session, &token)?;
    let target = match next {
        Some(n) => n,
        None => crate::web::home_path(&state, &user).await?,
    };
    Ok(see_other(&target))
}

#[derive(Deserialize)]
pub struct RegisterQuery {
    next: Option<String>,
    email: Option<String>,
}

pub async fn register_page(
    req: HttpRequest,
    session: Session,
    user: MaybeUser,
    query: web::Query<RegisterQuery>,
) -> HttpResponse {
    let next = forms::safe_next(query.next.as_deref());
    if user.0.is_some() {
        return see_other(next.as_deref().unwrap_or("/"));
    }
    page(
        &req,
        RegisterPage {
            shell: Shell::public(&session, "Create your account"),
            name: String::new(),
            email: prefill_email(query.email.as_deref()),
            next: next.unwrap_or_default(),
            errors: FieldErrors::new(),
        },
        StatusCode::OK,
    )
}

#[derive(Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
    next: Option<String>,
}

pub async fn register_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<RegisterForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let next = forms::safe_next(form.next.as_deref());
    let mut errors = FieldErrors::new();
    let name = forms::clean_name(&form.name, 100, "your name")
        .map_err(|e| errors.add("name", e))
        .unwrap_or_default();
    let email = forms::normalize_email(&form.email)
        .map_err(|e| errors.add("email", e))
        .unwrap_or_default();
    forms::check_new_password(
        &mut errors,
        ("password", "password_confirm"),
        &form.password,
        &form.password_confirm,
    );
    let render = |errors: FieldErrors| {
        page(
            &req,
            RegisterPage {
                shell: Shell::public(&session, "Create your account"),
                name: form.name.trim().to_string(),
                email: form.email.trim().to_string(),
                next: next.clone().unwrap_or_default(),
                errors,
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    if !errors.is_empty() {
        return Ok(render(errors));
    }
    let hash = passwords::hash_off_executor(&form.password, state.config.bcrypt_cost).await?;
    let actor = Actor::from_request(&req, None);
    let result = {
        let (name, email, actor) = (name.clone(), email.clone(), actor.clone());
        crate::db::run(&state.pool, move |conn| {
            accounts::register(conn, &name, &email, &hash, false, &actor)
        })
        .await?
    };
    let (user, workspace) = match result {
        Ok(pair) => pair,
        Err(RegisterError::EmailTaken) => {
            let mut errors = FieldErrors::new();
            errors.add(
                "email",
                "An account with this email already exists. Sign in, or reset the password.",
            );
            return Ok(render(errors));
        }
    };
    let token = crate::db::run(&state.pool, move |conn| {
        accounts::start_session(conn, &user, &actor)
    })
    .await?;
    begin_cookie_session(&session, &token)?;
    if let Some(next) = next {
        // Somewhere to continue (an invitation to accept); the personal workspace waits.
        return Ok(see_other(&next));
    }
    crate::web::flash::success(
        &session,
        "Welcome to Postmagiq. This is your personal workspace.",
    );
    Ok(see_other(&format!("/w/{}", workspace.slug)))
}

pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    user: MaybeUser,
) -> AppResult<HttpResponse> {
    if let Some(auth) = user.0 {
        let actor = Actor::from_request(&req, Some(&auth.user.id));
        crate::db::tx(&state.pool, move |conn| {
            sessions::revoke(conn, &auth.user.id, &auth.session_id)?;
            audit::account(conn, &actor, Event::new("auth.logout", "Signed out"))?;
            Ok(())
        })
        .await?;
    }
    session.purge();
    Ok(see_other("/auth/login?signed_out=1"))
}

pub async fn forgot_page(req: HttpRequest, session: Session) -> HttpResponse {
    page(
        &req,
        ForgotPage {
            shell: Shell::public(&session, "Reset your password"),
            email: String::new(),
            error: String::new(),
            sent: false,
        },
        StatusCode::OK,
    )
}

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

pub async fn forgot_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<ForgotForm>,
) -> AppResult<HttpResponse> {
    let email = match forms::normalize_email(&form.email) {
        Ok(e) => e,
        Err(msg) => {
            return Ok(page(
                &req,
                ForgotPage {
                    shell: Shell::public(&session, "Reset your password"),
                    email: form.email.trim().to_string(),
                    error: msg.into(),
                    sent: false,
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
    };
    let actor = Actor::from_request(&req, None);
    let public_url = state.config.public_url.clone();
    let outcome = crate::db::run(&state.pool, move |conn| {
        accounts::request_reset(conn, &email, &public_url, &actor)
    })
    .await?;
    if let ResetRequest::Throttled = outcome {
        return Err(AppError::RateLimited {
            message: "Too many reset requests from your network. Wait 15 minutes and try again."
                .into(),
            retry_after_secs: 900,
        });
    }
    Ok(page(
        &req,
        ForgotPage {
            shell: Shell::public(&session, "Check your email"),
            email: String::new(),
            error: String::new(),
            sent: true,
        },
        StatusCode::OK,
    ))
}

pub async fn reset_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    token: web::Path<String>,
) -> AppResult<HttpResponse> {
    let token = token.into_inner();
    let valid = {
        let token = token.clone();
        crate::db::run(&state.pool, move |conn| {
            accounts::reset_token_usable(conn, &token)
        })
        .await?
    };
    Ok(page(
        &req,
        ResetPage {
            shell: Shell::public(&session, "Choose a new password"),
            token,
            valid,
            errors: FieldErrors::new(),
        },
        if valid {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        },
    ))
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

pub async fn reset_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    token: web::Path<String>,
    form: web::Form<ResetForm>,
) -> AppResult<HttpResponse> {
    let token = token.into_inner();
    let mut errors = FieldErrors::new();
    forms::check_new_password(
        &mut errors,
        ("password", "password_confirm"),
        &form.password,
        &form.password_confirm,
    );
    if !errors.is_empty() {
        return Ok(page(
            &req,
            ResetPage {
                shell: Shell::public(&session, "Choose a new password"),
                token,
                valid: true,
                errors,
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    let hash = passwords::hash_off_executor(&form.password, state.config.bcrypt_cost).await?;
    let actor = Actor::from_request(&req, None);
    let outcome = {
        let token = token.clone();
        crate::db::run(&state.pool, move |conn| {
            accounts::complete_reset(conn, &token, &hash, &actor)
        })
        .await?
    };
    match outcome {
        ResetOutcome::Done => {
            // Whatever this browser had is gone too.
            session.purge();
            Ok(see_other("/auth/login?reset=1"))
        }
        ResetOutcome::InvalidToken => Ok(page(
            &req,
            ResetPage {
                shell: Shell::public(&session, "Choose a new password"),
                token,
                valid: false,
                errors: FieldErrors::new(),
            },
            StatusCode::BAD_REQUEST,
        )),
    }
}
