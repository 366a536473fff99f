//! HTML pages and forms, one module per area, and the route table.

pub mod account;
pub mod approvals;
pub mod assets;
pub mod auth;
pub mod board;
pub mod dashboard;
pub mod finished;
pub mod flash;
pub mod forms;
pub mod import_export;
pub mod invite;
pub mod middleware;
pub mod notifications;
pub mod ops;
pub mod post_page;
pub mod posts;
pub mod public;
pub mod request_meta;
pub mod runs;
pub mod settings;
pub mod shell;
pub mod strategy;
pub mod team;
pub mod voice;
pub mod workspaces;

use actix_web::body::MessageBody;
use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse, Responder};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(public::landing))
        .route("/legal/privacy", web::get().to(public::privacy))
        .route("/legal/terms", web::get().to(public::terms))
        .route("/healthz", web::get().to(ops::healthz))
        .route("/readyz", web::get().to(ops::readyz))
        .route("/metrics", web::get().to(ops::metrics))
        .route("/static/{path:.*}", web::get().to(assets::serve))
        .route("/favicon.ico", web::get().to(assets::favicon))
        .service(
            web::scope("/auth")
                .route("/login", web::get().to(auth::login_page))
                .route("/login", web::post().to(auth::login_submit))
                .route("/register", web::get().to(auth::register_page))
                .route("/register", web::post().to(auth::register_submit))
                .route("/logout", web::post().to(auth::logout))
                .route("/forgot", web::get().to(auth::forgot_page))
                .route("/forgot", web::post().to(auth::forgot_submit))
                .route("/reset/{token}", web::get().to(auth::reset_page))
                .route("/reset/{token}", web::post().to(auth::reset_submit)),
        )
        .service(
            web::scope("/account")
                .route("", web::get().to(account::index))
                .route("/profile", web::post().to(account::update_profile))
                .route("/password", web::post().to(account::change_password))
                .route("/theme", web::post().to(account::set_theme))
                .route(
                    "/sessions/{id}/revoke",
                    web::post().to(account::revoke_session),
                ),
        )
        // public invitation routes
        .route("/invite/{token}", web::get().to(invite::show))
        .route("/invite/{token}/accept", web::post().to(invite::accept))
        // account-level notification routes
        .service(
            web::scope("/notifications")
                .route("", web::get().to(notifications::index))
                .route("/menu", web::get().to(notifications::menu))
                .route("/events", web::get().to(notifications::live::events))
                .route("/read-all", web::post().to(notifications::read_all))
                .route(
                    "/preferences",
                    web::get().to(notifications::preferences::show),
                )
                .route(
                    "/preferences",
                    web::post().to(notifications::preferences::save),
                )
                .route("/{id}/open", web::post().to(notifications::open))
                .route("/{id}/read", web::post().to(notifications::read))
                .route("/{id}/dismiss", web::post().to(notifications::dismiss)),
        )
        .route("/workspaces", web::get().to(workspaces::index))
        .route("/workspaces", web::post().to(workspaces::create))
        .service(
            WORKSPACE_ROUTES.iter().fold(
                web::scope("/w/{slug}"),
                |scope, (method, path, handler)| {
                    scope.route(path, handler().method(method.clone()))
                },
            ),
        );
}

type RouteFn = fn() -> actix_web::Route;

/// Every route inside a workspace, as data: the router is built from it, and the tenant
/// isolation test walks it to prove that each one answers 404 to a non-member.
pub static WORKSPACE_ROUTES: &[(Method, &str, RouteFn)] = &[
    (Method::GET, "", || web::route().to(dashboard::index)),
    (Method::GET, "/settings", || {
        web::route().to(settings::index)
    }),
    (Method::GET, "/settings/general", || {
        web::route().to(settings::general)
    }),
    (Method::POST, "/settings/general", || {
        web::route().to(settings::update_general)
    }),
    (Method::POST, "/settings/runs", || {
        web::route().to(settings::update_runs)
    }),
    (Method::POST, "/settings/delete", || {
        web::route().to(settings::delete)
    }),
    (Method::GET, "/settings/audit", || {
        web::route().to(settings::audit)
    }),
    (Method::POST, "/posts", || web::route().to(posts::create)),
    (Method::POST, "/posts/{id}/move", || {
        web::route().to(posts::move_post)
    }),
    // board routes
    (Method::GET, "/board", || web::route().to(board::index)),
    (Method::GET, "/board/columns/{status}", || {
        web::route().to(board::column)
    }),
    (Method::GET, "/board/events", || {
        web::route().to(board::events)
    }),
    // workflow run routes
    (Method::GET, "/runs", || web::route().to(runs::index)),
    (Method::GET, "/runs/new", || web::route().to(runs::new_form)),
    (Method::POST, "/runs", || web::route().to(runs::create)),
    (Method::GET, "/runs/{id}", || web::route().to(runs::show)),
    (Method::GET, "/runs/{id}/panels", || {
        web::route().to(runs::panels)
    }),
    (Method::GET, "/runs/{id}/events", || {
        web::route().to(runs::events)
    }),
    (Method::POST, "/runs/{id}/answer", || {
        web::route().to(runs::answer)
    }),
    (Method::POST, "/runs/{id}/pause", || {
        web::route().to(runs::pause)
    }),
    (Method::POST, "/runs/{id}/resume", || {
        web::route().to(runs::resume)
    }),
    (Method::POST, "/runs/{id}/abort", || {
        web::route().to(runs::abort)
    }),
    // post page routes
    (Method::GET, "/posts/{id}", || {
        web::route().to(post_page::show)
    }),
    (Method::POST, "/posts/{id}", || {
        web::route().to(post_page::save)
    }),
    (Method::POST, "/posts/{id}/autosave", || {
        web::route().to(post_page::autosave)
    }),
    (Method::POST, "/posts/{id}/delete", || {
        web::route().to(post_page::delete)
    }),
    (Method::GET, "/posts/{id}/diff", || {
        web::route().to(post_page::diff)
    }),
    (Method::POST, "/posts/{id}/versions/{n}/restore", || {
        web::route().to(post_page::restore)
    }),
    (Method::POST, "/posts/{id}/assign", || {
        web::route().to(post_page::assign)
    }),
    (Method::POST, "/posts/{id}/planning", || {
        web::route().to(post_page::planning)
    }),
    // strategy routes
    (Method::GET, "/strategy", || {
        web::route().to(strategy::index)
    }),
    (Method::POST, "/strategy", || {
        web::route().to(strategy::goals::create)
    }),
    (Method::GET, "/strategy/new", || {
        web::route().to(strategy::goals::new_form)
    }),
    (Method::GET, "/strategy/builder", || {
        web::route().to(strategy::builder::start)
    }),
    (Method::POST, "/strategy/builder", || {
        web::route().to(strategy::builder::step)
    }),
    (Method::POST, "/strategy/builder/create", || {
        web::route().to(strategy::builder::create)
    }),
    (Method::GET, "/strategy/posts/{id}/title", || {
        web::route().to(strategy::titles::show)
    }),
    (Method::GET, "/strategy/posts/{id}/title-edit", || {
        web::route().to(strategy::titles::edit)
    }),
    (Method::POST, "/strategy/posts/{id}/title", || {
        web::route().to(strategy::titles::save)
    }),
    (Method::GET, "/strategy/chapters/{id}/edit", || {
        web::route().to(strategy::chapters::edit_form)
    }),
    (Method::POST, "/strategy/chapters/{id}/edit", || {
        web::route().to(strategy::chapters::update)
    }),
    (Method::POST, "/strategy/chapters/{id}/delete", || {
        web::route().to(strategy::chapters::delete)
    }),
    (Method::GET, "/strategy/{goal}/edit", || {
        web::route().to(strategy::goals::edit_form)
    }),
    (Method::POST, "/strategy/{goal}/edit", || {
        web::route().to(strategy::goals::update)
    }),
    (Method::POST, "/strategy/{goal}/delete", || {
        web::route().to(strategy::goals::delete)
    }),
    (Method::POST, "/strategy/{goal}/voice", || {
        web::route().to(strategy::goals::set_voice)
    }),
    (Method::POST, "/strategy/{goal}/chapters", || {
        web::route().to(strategy::chapters::create)
    }),
    // team routes
    (Method::GET, "/team", || web::route().to(team::index)),
    (Method::POST, "/team/invite", || {
        web::route().to(team::invite)
    }),
    (Method::POST, "/team/invites/{id}/resend", || {
        web::route().to(team::resend)
    }),
    (Method::POST, "/team/invites/{id}/revoke", || {
        web::route().to(team::revoke)
    }),
    (Method::POST, "/team/members/{id}/role", || {
        web::route().to(team::change_role)
    }),
    (Method::POST, "/team/members/{id}/remove", || {
        web::route().to(team::remove)
    }),
    (Method::POST, "/team/leave", || web::route().to(team::leave)),
    (Method::POST, "/team/transfer", || {
        web::route().to(team::transfer)
    }),
    // approval routes
    (Method::GET, "/approvals", || {
        web::route().to(approvals::queue)
    }),
    (Method::GET, "/approvals/{id}", || {
        web::route().to(approvals::review::show)
    }),
    (Method::POST, "/approvals/{id}/decide", || {
        web::route().to(approvals::review::decide)
    }),
    (Method::POST, "/approvals/{id}/withdraw", || {
        web::route().to(approvals::review::withdraw)
    }),
    (Method::POST, "/approvals/{id}/comments", || {
        web::route().to(approvals::review::comment)
    }),
    (Method::POST, "/posts/{id}/submit", || {
        web::route().to(approvals::submit)
    }),
    (Method::GET, "/settings/approvals", || {
        web::route().to(approvals::stages::index)
    }),
    (Method::POST, "/settings/approvals", || {
        web::route().to(approvals::stages::create)
    }),
    (Method::POST, "/settings/approvals/reminders", || {
        web::route().to(approvals::stages::reminders)
    }),
    (Method::POST, "/settings/approvals/{id}", || {
        web::route().to(approvals::stages::update)
    }),
    (Method::POST, "/settings/approvals/{id}/move", || {
        web::route().to(approvals::stages::shift)
    }),
    (Method::POST, "/settings/approvals/{id}/delete", || {
        web::route().to(approvals::stages::delete)
    }),
    // notification routes (workspace part)
    // finished posts and import/export routes
    (Method::GET, "/finished", || {
        web::route().to(finished::index)
    }),
    (Method::POST, "/finished/{id}/publish", || {
        web::route().to(finished::publish)
    }),
    (Method::POST, "/finished/{id}/unpublish", || {
        web::route().to(finished::unpublish)
    }),
    (Method::GET, "/import", || {
        web::route().to(import_export::form)
    }),
    (Method::POST, "/import/preview", || {
        web::route().to(import_export::preview)
    }),
    (Method::POST, "/import/confirm", || {
        web::route().to(import_export::confirm)
    }),
    (Method::GET, "/export/posts.{format}", || {
        web::route().to(import_export::export)
    }),
    (Method::GET, "/voice", || web::route().to(voice::index)),
    (Method::POST, "/voice/samples", || {
        web::route().to(voice::add_sample)
    }),
    (Method::POST, "/voice/samples/{id}/delete", || {
        web::route().to(voice::delete_sample)
    }),
    (Method::POST, "/voice/analyze", || {
        web::route().to(voice::analyze)
    }),
    (Method::GET, "/voice/analyses/{id}", || {
        web::route().to(voice::analysis_status)
    }),
    (Method::POST, "/voice/default", || {
        web::route().to(voice::set_default)
    }),
    (Method::GET, "/voice/profiles/new", || {
        web::route().to(voice::new_profile)
    }),
    (Method::POST, "/voice/profiles", || {
        web::route().to(voice::create_profile)
    }),
    (Method::GET, "/voice/profiles/{id}", || {
        web::route().to(voice::show_profile)
    }),
    (Method::GET, "/voice/profiles/{id}/edit", || {
        web::route().to(voice::edit_profile)
    }),
    (Method::POST, "/voice/profiles/{id}", || {
        web::route().to(voice::update_profile)
    }),
    (Method::POST, "/voice/profiles/{id}/delete", || {
        web::route().to(voice::delete_profile)
    }),
];

/// Renders a page through askama_web's responder with the given status.
pub fn page<T: Responder>(req: &HttpRequest, template: T, status: StatusCode) -> HttpResponse
where
    T::Body: MessageBody + 'static,
{
    let mut res = template.respond_to(req).map_into_boxed_body();
    if res.status().is_success() {
        *res.status_mut() = status;
    }
    res
}

/// Where a signed-in user starts: their default workspace while they are still a member,
/// else the first one they belong to, else the workspace list.
pub async fn home_path(
    state: &crate::app::AppState,
    user: &crate::model::User,
) -> crate::error::AppResult<String> {
    let user = user.clone();
    let slug = crate::db::run(&state.pool, move |conn| {
        Ok(crate::repo::workspaces::landing_slug(
            conn,
            &user.id,
            user.default_workspace_id.as_ref(),
        )?)
    })
    .await?;
    Ok(slug.map_or_else(|| "/workspaces".into(), |s| format!("/w/{s}")))
}

/// 303 See Other: the answer to a successful form POST.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, location))
        .finish()
}

pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A timestamp as people read it, in UTC.
pub fn fmt_time(t: chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// What nearly every page handler needs: the request, the app state and the cookie session.
pub struct Ctx {
    pub req: HttpRequest,
    pub state: web::Data<crate::app::AppState>,
    pub session: actix_session::Session,
}

impl actix_web::FromRequest for Ctx {
    type Error = crate::error::AppError;
    type Future = std::future::Ready<Result<Ctx, crate::error::AppError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        use actix_session::SessionExt;
        std::future::ready(
            req.app_data::<web::Data<crate::app::AppState>>()
                .cloned()
                .map(|state| Ctx {
                    req: req.clone(),
                    state,
                    session: req.get_session(),
                })
                .ok_or_else(|| crate::error::AppError::internal("app state missing")),
        )
    }
}
