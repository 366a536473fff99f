//! Database access: one connection type over SQLite and PostgreSQL, an r2d2 pool that reports
//! real connection errors, embedded migrations for both backends, and the helper that keeps
//! blocking diesel calls off the async executor.

pub mod migrations;
pub mod pool;
pub mod schema;

use diesel::prelude::*;

pub use pool::{build_pool, DbPool, PooledConn};

/// The one connection type the app uses. Backend-specific SQL matches on it in a few named places.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

/// Which engine a URL selects: `postgres://` or `postgresql://` is PostgreSQL, anything else is
/// a SQLite path with an optional `sqlite://` prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Postgres,
    Sqlite,
}

impl Engine {
    pub fn of_url(url: &str) -> Engine {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Engine::Postgres
        } else {
            Engine::Sqlite
        }
    }
}

/// The filesystem path of a SQLite URL (`sqlite://data/x.db`, `sqlite:data/x.db` or a bare path).
pub fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

/// Runs a blocking database closure on actix's blocking thread pool with a pooled connection.
pub async fn run<F, T>(pool: &DbPool, f: F) -> Result<T, crate::error::AppError>
where
    F: FnOnce(&mut DbConn) -> Result<T, crate::error::AppError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool.get()?;
        f(&mut conn)
    })
    .await
    .map_err(|e| crate::error::AppError::internal(format!("blocking task failed: {e}")))?
}

/// Runs a closure in one transaction with a pooled connection, off the executor.
pub async fn tx<F, T>(pool: &DbPool, f: F) -> Result<T, crate::error::AppError>
where
    F: FnOnce(&mut DbConn) -> Result<T, crate::error::AppError> + Send + 'static,
    T: Send + 'static,
{
    run(pool, move |conn| write_tx(conn, f)).await
}

/// One transaction for work that writes. On SQLite it begins IMMEDIATE: a deferred
/// transaction that reads and then writes fails at once with "database is locked" when another
/// connection wrote in between, whereas taking the write lock first lets `busy_timeout` wait.
/// Nested calls become savepoints, as with `Connection::transaction`.
pub fn write_tx<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    type Sqlite = diesel::SqliteConnection;
    let top_level_sqlite = match conn {
        DbConn::Sqlite(c) => {
            <AnsiTransactionManager as TransactionManager<Sqlite>>::transaction_manager_status_mut(
                c,
            )
            .transaction_depth()?
            .is_none()
        }
        DbConn::Pg(_) => false,
    };
    if !top_level_sqlite {
        return conn.transaction(f);
    }
    if let DbConn::Sqlite(c) = conn {
        AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
    }
    let result = f(conn);
    if let DbConn::Sqlite(c) = conn {
        match &result {
            Ok(_) => <AnsiTransactionManager as TransactionManager<Sqlite>>::commit_transaction(c)?,
            Err(_) => {
                // The closure's error is the one worth reporting.
                let _ =
                    <AnsiTransactionManager as TransactionManager<Sqlite>>::rollback_transaction(c);
            }
        }
    }
    result
}
