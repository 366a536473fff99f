//! Builds the application: state, middleware order, routes, the HTTP server and the workers.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_session::config::{CookieContentSecurity, PersistentSession};
use actix_session::storage::CookieSessionStore;
use actix_session::SessionMiddleware;
use actix_web::cookie::{Key, SameSite};
use actix_web::middleware::{from_fn, Compress};
use actix_web::{web, App, HttpServer};

use crate::config::Config;
use crate::db::{self, DbPool};
use crate::jobs::worker::{JobContext, WorkerPool};
use crate::service::email::Mailer;
use crate::web as pages;

pub struct AppState {
    pub pool: DbPool,
    pub config: Arc<Config>,
}

fn ensure_sqlite_dir(config: &Config) -> Result<(), String> {
    if db::Engine::of_url(&config.database_url) == db::Engine::Sqlite {
        let path = std::path::Path::new(db::sqlite_path(&config.database_url));
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
    }
    Ok(())
}

/// One migrated connection, for command-line tasks. No pool: r2d2 opens connections on
/// background threads, and a process that exits while libpq is still connecting there can
/// crash in libpq's exit-time cleanup.
pub fn open_connection(config: &Config) -> Result<db::DbConn, String> {
    ensure_sqlite_dir(config)?;
    let mut conn = db::pool::AnyManager::new(&config.database_url)
        .connect()
        .map_err(|e| {
            format!(
                "DATABASE_URL ({}): {e}",
                crate::config::redact_url(&config.database_url)
            )
        })?;
    db::migrations::run_pending(&mut conn).map_err(|e| format!("migrations failed: {e}"))?;
    Ok(conn)
}

/// Opens (and for SQLite creates) the database and applies pending migrations.
pub fn open_database(config: &Config) -> Result<DbPool, String> {
    ensure_sqlite_dir(config)?;
    let size = (config.workers as u32 + 8).max(10);
    let pool = db::build_pool(&config.database_url, size).map_err(|e| {
        format!(
            "DATABASE_URL ({}): {e}",
            crate::config::redact_url(&config.database_url)
        )
    })?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let applied =
        db::migrations::run_pending(&mut conn).map_err(|e| format!("migrations failed: {e}"))?;
    for v in applied {
        tracing::info!(version = %v, "migration applied");
    }
    Ok(pool)
}

fn session_middleware(config: &Config) -> SessionMiddleware<CookieSessionStore> {
    let secure = config.secure_cookies();
    // The __Host- prefix makes browsers refuse the cookie unless it is Secure, host-only and
    // path=/, so it can only be used on https.
    let name = if secure {
        "__Host-postmagiq"
    } else {
        "postmagiq_session"
    };
    SessionMiddleware::builder(
        CookieSessionStore::default(),
        Key::derive_from(&config.secret_key),
    )
    .cookie_name(name.into())
    .cookie_secure(secure)
    .cookie_http_only(true)
    .cookie_same_site(SameSite::Lax)
    .cookie_path("/".into())
    .cookie_content_security(CookieContentSecurity::Private)
    .session_lifecycle(
        PersistentSession::default().session_ttl(actix_web::cookie::time::Duration::days(30)),
    )
    .build()
}

/// A running app: the HTTP server on `addr` and the job workers.
pub struct Running {
    pub addr: SocketAddr,
    pub server: actix_web::dev::Server,
    pub workers: WorkerPool,
}

/// Starts the workers and binds the server; the caller awaits `server`.
pub fn start(config: Config, pool: DbPool, listener: TcpListener) -> Result<Running, String> {
    let config = Arc::new(config);
    let mailer = Mailer::from_config(&config)?;
    {
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        match crate::workflow::config::sync::ensure_synced(
            &mut conn,
            config.deployment_env.as_str(),
        ) {
            Ok(0) => {}
            Ok(n) => tracing::info!(workflows = n, "workflows synced from the built-in registry"),
            Err(e) => tracing::error!(error = %e, "cannot sync the built-in workflows"),
        }
    }
    let workers = WorkerPool::start(
        pool.clone(),
        Arc::new(JobContext {
            mailer,
            agent: config.agent.clone(),
            public_url: config.public_url.clone(),
            providers: config.providers.clone(),
            lease: chrono::Duration::seconds(config.job_lease_secs as i64),
        }),
        config.workers,
        Duration::from_millis(config.job_poll_ms),
    );
    std::sync::LazyLock::force(&pages::ops::METRICS);
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let state = web::Data::new(AppState {
        pool,
        config: config.clone(),
    });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(web::FormConfig::default().limit(256 * 1024))
            .configure(pages::routes)
            .default_service(web::to(pages::middleware::not_found))
            // Innermost first: CSRF needs the session, which needs nothing else.
            .wrap(from_fn(crate::auth::csrf::middleware))
            .wrap(session_middleware(&config))
            .wrap(from_fn(pages::middleware::security_headers))
            .wrap(Compress::default())
            .wrap(from_fn(pages::middleware::request_context))
    })
    .shutdown_timeout(5)
    .listen(listener)
    .map_err(|e| e.to_string())?
    .run();
    Ok(Running {
        addr,
        server,
        workers,
    })
}
