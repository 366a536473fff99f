use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use diesel::connection::InstrumentationEvent;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};

use super::{sqlite_path, DbConn, Engine};

/// The r2d2 pool, with its manager kept at hand for the statement counter.
#[derive(Clone)]
pub struct DbPool {
    pool: r2d2::Pool<AnyManager>,
    manager: AnyManager,
}

impl DbPool {
    /// The manager behind the pool: `manager().query_count()` counts this pool's statements.
    pub fn manager(&self) -> &AnyManager {
        &self.manager
    }
}

impl std::ops::Deref for DbPool {
    type Target = r2d2::Pool<AnyManager>;

    fn deref(&self) -> &Self::Target {
        &self.pool
    }
}
pub type PooledConn = r2d2::PooledConnection<AnyManager>;

/// Picks the backend from the URL scheme and returns the driver's own error. The derived
/// `MultiConnection::establish` tries each backend in turn and swallows their errors, which
/// turns a refused port or a bad path into "invalid connection url".
#[derive(Debug, Clone)]
pub struct AnyManager {
    url: String,
    /// Statements run on this pool's connections; tests use it to prove a page's query count
    /// does not grow with the data.
    queries: Arc<AtomicU64>,
}

#[derive(Debug)]
pub struct ConnError(String);

impl std::fmt::Display for ConnError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConnError {}

impl AnyManager {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            queries: Arc::new(AtomicU64::new(0)),
        }
    }

    /// How many statements this pool's connections have started so far.
    pub fn query_count(&self) -> u64 {
        self.queries.load(Ordering::Relaxed)
    }

    fn count_queries(&self, conn: &mut DbConn) {
        let counter = self.queries.clone();
        conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::StartQuery { .. } = event {
                counter.fetch_add(1, Ordering::Relaxed);
            }
        });
    }

    pub fn connect(&self) -> Result<DbConn, ConnError> {
        let mut conn = match Engine::of_url(&self.url) {
            Engine::Postgres => PgConnection::establish(&self.url)
                .map(DbConn::Pg)
                .map_err(|e| ConnError(e.to_string()))?,
            Engine::Sqlite => {
                let path = sqlite_path(&self.url);
                let mut conn = SqliteConnection::establish(path)
                    .map_err(|e| ConnError(format!("{e} ({path})")))?;
                // busy_timeout must come first: WAL needs a write lock, and r2d2 opens
                // connections concurrently.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                )
                .map_err(|e| ConnError(e.to_string()))?;
                DbConn::Sqlite(conn)
            }
        };
        self.count_queries(&mut conn);
        Ok(conn)
    }
}

impl ManageConnection for AnyManager {
    type Connection = DbConn;
    type Error = ConnError;

    fn connect(&self) -> Result<DbConn, ConnError> {
        AnyManager::connect(self)
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), ConnError> {
        conn.batch_execute("SELECT 1")
            .map_err(|e| ConnError(e.to_string()))
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        diesel::r2d2::R2D2Connection::is_broken(conn)
    }
}

/// Builds the pool, failing fast with the driver's message when the database cannot be reached.
pub fn build_pool(url: &str, max_size: u32) -> Result<DbPool, ConnError> {
    let manager = AnyManager::new(url);
    // Try once up front so a bad URL is reported at once, not after the pool's timeout.
    drop(manager.connect()?);
    let pool = r2d2::Pool::builder()
        .max_size(max_size)
        .min_idle(Some(1))
        .connection_timeout(Duration::from_secs(10))
        // A ping before every checkout doubles the statements of short requests; broken
        // connections are noticed by `has_broken` when they come back instead.
        .test_on_check_out(false)
        .build(manager.clone())
        .map_err(|e| ConnError(e.to_string()))?;
    Ok(DbPool { pool, manager })
}
