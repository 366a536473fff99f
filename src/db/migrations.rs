use diesel::migration::{Migration, MigrationSource};
use diesel::pg::Pg;
use diesel::sqlite::Sqlite;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::DbConn;

pub const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// One migration and whether it has been applied.
#[derive(Debug, Clone)]
pub struct MigrationState {
    pub version: String,
    pub applied: bool,
}

/// Applies every pending migration and returns the versions it ran.
pub fn run_pending(conn: &mut DbConn) -> Result<Vec<String>, BoxError> {
    let versions = match conn {
        DbConn::Pg(c) => c.run_pending_migrations(POSTGRES)?,
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE)?,
    };
    Ok(versions.into_iter().map(|v| v.to_string()).collect())
}

/// Reverts the most recently applied migration.
pub fn revert_last(conn: &mut DbConn) -> Result<String, BoxError> {
    let version = match conn {
        DbConn::Pg(c) => c.revert_last_migration(POSTGRES)?,
        DbConn::Sqlite(c) => c.revert_last_migration(SQLITE)?,
    };
    Ok(version.to_string())
}

/// Every known migration, oldest first, with whether it is applied.
pub fn status(conn: &mut DbConn) -> Result<Vec<MigrationState>, BoxError> {
    let (all, applied): (Vec<String>, Vec<String>) = match conn {
        DbConn::Pg(c) => (
            names::<Pg>(&POSTGRES)?,
            c.applied_migrations()?
                .iter()
                .map(|v| v.to_string())
                .collect(),
        ),
        DbConn::Sqlite(c) => (
            names::<Sqlite>(&SQLITE)?,
            c.applied_migrations()?
                .iter()
                .map(|v| v.to_string())
                .collect(),
        ),
    };
    Ok(all
        .into_iter()
        .map(|version| MigrationState {
            applied: applied.contains(&version),
            version,
        })
        .collect())
}

/// True when no embedded migration is waiting to run.
pub fn is_current(conn: &mut DbConn) -> Result<bool, BoxError> {
    let pending = match conn {
        DbConn::Pg(c) => c.has_pending_migration(POSTGRES)?,
        DbConn::Sqlite(c) => c.has_pending_migration(SQLITE)?,
    };
    Ok(!pending)
}

fn names<DB: diesel::backend::Backend>(source: &EmbeddedMigrations) -> Result<Vec<String>, BoxError>
where
    EmbeddedMigrations: MigrationSource<DB>,
{
    let mut list: Vec<String> = MigrationSource::<DB>::migrations(source)?
        .iter()
        .map(|m| m.name().version().to_string())
        .collect();
    list.sort();
    Ok(list)
}
