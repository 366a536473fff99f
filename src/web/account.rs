//! The account page: profile, theme, password and signed-in devices.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::{passwords, session as sessions, AuthUser};
use crate::error::{AppError, AppResult};
use crate::model::{SessionId, Theme};
use crate::repo;
use crate::service::accounts;
use crate::service::audit::{self, Actor, Event};
use crate::web::forms::{self, FieldErrors};
use crate::web::shell::{Section, Shell};
use crate::web::{fmt_time, page, see_other, Ctx};

pub struct SessionView {
    pub id: String,
    pub device: String,
    pub ip: String,
    pub last_seen: String,
    pub created: String,
    pub current: bool,
}

pub struct ActivityView {
    pub when: String,
    pub description: String,
    pub ip: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/account/index.html")]
struct AccountPage {
    shell: Shell,
    name: String,
    email: String,
    theme: &'static str,
    themes: [(&'static str, &'static str); 3],
    sessions: Vec<SessionView>,
    activity: Vec<ActivityView>,
    profile_errors: FieldErrors,
    password_errors: FieldErrors,
}

async fn render(
    ctx: &Ctx,
    auth: &AuthUser,
    name: String,
    profile_errors: FieldErrors,
    password_errors: FieldErrors,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let user_id = auth.user.id.clone();
    let (rows, log) = crate::db::run(&ctx.state.pool, move |conn| {
        Ok((
            sessions::list_active(conn, &user_id)?,
            repo::audit_logs::for_user(conn, &user_id, 10)?,
        ))
    })
    .await?;
    let sessions = rows
        .iter()
        .map(|s| SessionView {
            id: s.id.to_string(),
            device: sessions::describe_device(s.user_agent.as_deref()),
            ip: s
                .ip_address
                .clone()
                .unwrap_or_else(|| "unknown address".into()),
            last_seen: fmt_time(s.last_seen_at),
            created: fmt_time(s.created_at),
            current: s.id == auth.session_id,
        })
        .collect();
    let activity = log
        .into_iter()
        .map(|a| ActivityView {
            when: fmt_time(a.created_at),
            description: a.description,
            ip: a.ip_address.unwrap_or_default(),
        })
        .collect();
    let shell = Shell::app(
        &ctx.state,
        &ctx.session,
        auth,
        None,
        Section::Account,
        "Account",
    )
    .await?;
    Ok(page(
        &ctx.req,
        AccountPage {
            shell,
            name,
            email: auth.user.email.clone(),
            theme: auth.user.theme.as_str(),
            themes: [
                ("system", "Same as my device"),
                ("light", "Light"),
                ("dark", "Dark"),
            ],
            sessions,
            activity,
            profile_errors,
            password_errors,
        },
        status,
    ))
}

pub async fn index(ctx: Ctx, auth: AuthUser) -> AppResult<HttpResponse> {
    let name = auth.user.name.clone();
    render(
        &ctx,
        &auth,
        name,
        FieldErrors::new(),
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    name: String,
    theme: Option<String>,
}

pub async fn update_profile(
    ctx: Ctx,
    auth: AuthUser,
    form: web::Form<ProfileForm>,
) -> AppResult<HttpResponse> {
    let Ctx {
        req,
        state,
        session,
    } = &ctx;
    let mut errors = FieldErrors::new();
    let name = forms::clean_name(&form.name, 100, "your name")
        .map_err(|e| errors.add("name", e))
        .unwrap_or_default();
    let theme = match form.theme.as_deref() {
        None => auth.user.theme,
        Some(t) => Theme::parse(t).ok_or_else(|| AppError::BadRequest("Unknown theme.".into()))?,
    };
    if !errors.is_empty() {
        let typed = form.name.clone();
        return render(
            &ctx,
            &auth,
            typed,
            errors,
            FieldErrors::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let user_id = auth.user.id.clone();
    let actor = Actor::from_request(req, Some(&user_id));
    let old_name = auth.user.name.clone();
    crate::db::tx(&state.pool, move |conn| {
        repo::users::set_name(conn, &user_id, &name)?;
        repo::users::set_theme(conn, &user_id, theme)?;
        if old_name != name {
            audit::account(
                conn,
                &actor,
                Event::new("user.renamed", format!("Name changed to {name}"))
                    .on("user", user_id.as_str())
                    .change(
                        serde_json::json!({"name": old_name}),
                        serde_json::json!({"name": name}),
                    ),
            )?;
        }
        Ok(())
    })
    .await?;
    crate::web::flash::success(session, "Profile saved.");
    Ok(see_other("/account"))
}

#[derive(Deserialize)]
pub struct ThemeForm {
    theme: String,
    next: Option<String>,
}

/// The header toggle. Goes back to the page it was pressed on.
pub async fn set_theme(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: AuthUser,
    form: web::Form<ThemeForm>,
) -> AppResult<HttpResponse> {
    let theme =
        Theme::parse(&form.theme).ok_or_else(|| AppError::BadRequest("Unknown theme.".into()))?;
    let user_id = auth.user.id.clone();
    crate::db::run(&state.pool, move |conn| {
        Ok(repo::users::set_theme(conn, &user_id, theme)?)
    })
    .await?;
    let back = forms::safe_next(form.next.as_deref())
        .or_else(|| referer_path(&req))
        .unwrap_or_else(|| "/".into());
    Ok(see_other(&back))
}

/// The path of a same-origin Referer, so a form can send the user back where they were.
fn referer_path(req: &HttpRequest) -> Option<String> {
    let referer = req
        .headers()
        .get(actix_web::http::header::REFERER)?
        .to_str()
        .ok()?;
    let host = req.connection_info().host().to_string();
    let rest = referer
        .strip_prefix("http://")
        .or_else(|| referer.strip_prefix("https://"))?;
    let path = rest.strip_prefix(host.as_str())?;
    forms::safe_next(Some(path))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_confirm: String,
}

pub async fn change_password(
    ctx: Ctx,
    auth: AuthUser,
    form: web::Form<PasswordForm>,
) -> AppResult<HttpResponse> {
    let Ctx {
        req,
        state,
        session,
    } = &ctx;
    let form = form.into_inner();
    let mut errors = FieldErrors::new();
    forms::check_new_password(
        &mut errors,
        ("new_password", "new_password_confirm"),
        &form.new_password,
        &form.new_password_confirm,
    );
    let stored = auth.user.password_hash.clone().unwrap_or_default();
    let current = form.current_password.clone();
    let current_ok = web::block(move || passwords::verify(&current, &stored)).await?;
    if !current_ok {
        errors.add("current_password", "That is not your current password.");
    }
    if !errors.is_empty() {
        let name = auth.user.name.clone();
        return render(
            &ctx,
            &auth,
            name,
            FieldErrors::new(),
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let hash = passwords::hash_off_executor(&form.new_password, state.config.bcrypt_cost).await?;
    let actor = Actor::from_request(req, Some(&auth.user.id));
    let user = auth.user.clone();
    let keep = auth.session_id.clone();
    let revoked = crate::db::run(&state.pool, move |conn| {
        accounts::change_password(conn, &user, &hash, &keep, &actor)
    })
    .await?;
    crate::web::flash::success(
        session,
        match revoked {
            0 => "Password changed.".to_string(),
            1 => "Password changed. Your other device has been signed out.".to_string(),
            n => format!("Password changed. Your {n} other devices have been signed out."),
        },
    );
    Ok(see_other("/account"))
}

pub async fn revoke_session(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    auth: AuthUser,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let target = SessionId::parse(&id).ok_or(AppError::NotFound)?;
    let is_current = target == auth.session_id;
    let actor = Actor::from_request(&req, Some(&auth.user.id));
    let user_id = auth.user.id.clone();
    let found = crate::db::tx(&state.pool, move |conn| {
        let found = sessions::revoke(conn, &user_id, &target)?;
        if found {
            audit::account(
                conn,
                &actor,
                Event::new("auth.session_revoked", "Signed out a device")
                    .on("session", target.as_str()),
            )?;
        }
        Ok(found)
    })
    .await?;
    if !found {
        return Err(AppError::NotFound);
    }
    if is_current {
        session.purge();
        return Ok(see_other("/auth/login?signed_out=1"));
    }
    crate::web::flash::success(&session, "That device has been signed out.");
    Ok(see_other("/account"))
}
