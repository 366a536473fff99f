//! Both migration trees describe the same schema, and every migration reverts and re-applies.

use std::collections::BTreeSet;

use diesel::prelude::*;
use diesel::sql_types::Text;
use postmagiq::db::{self, DbConn};

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

/// (table, column) pairs of the live database.
fn columns(conn: &mut DbConn) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    match conn {
        DbConn::Sqlite(c) => {
            let tables: Vec<Name> = diesel::sql_query(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' AND name != '__diesel_schema_migrations'",
            )
            .load(c)
            .unwrap();
            for t in tables {
                let cols: Vec<Name> = diesel::sql_query("SELECT name FROM pragma_table_info(?)")
                    .bind::<Text, _>(&t.name)
                    .load(c)
                    .unwrap();
                for col in cols {
                    out.insert((t.name.clone(), col.name));
                }
            }
        }
        DbConn::Pg(c) => {
            #[derive(QueryableByName)]
            struct Col {
                #[diesel(sql_type = Text)]
                table_name: String,
                #[diesel(sql_type = Text)]
                column_name: String,
            }
            let cols: Vec<Col> = diesel::sql_query(
                "SELECT table_name::text AS table_name, column_name::text AS column_name \
                 FROM information_schema.columns WHERE table_schema = 'public' \
                 AND table_name != '__diesel_schema_migrations'",
            )
            .load(c)
            .unwrap();
            for col in cols {
                out.insert((col.table_name, col.column_name));
            }
        }
    }
    out
}

/// (table, column) pairs read from a tree's `up.sql` files, for comparing the trees without a
/// second database.
fn declared(tree: &str) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(tree);
    let mut dirs: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    dirs.sort();
    for dir in dirs {
        let sql = std::fs::read_to_string(dir.join("up.sql")).unwrap();
        let mut table: Option<String> = None;
        for line in sql.lines() {
            let line = line.trim();
            if let Some(rest) = line.strip_prefix("CREATE TABLE ") {
                table = Some(rest.trim_end_matches(" (").trim().to_string());
            } else if line.starts_with(");") {
                table = None;
            } else if let (Some(t), Some(col)) = (&table, line.split_whitespace().next()) {
                if !col.is_empty() && col.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                    out.insert((t.clone(), col.to_string()));
                }
            }
            if let Some(rest) = line.strip_prefix("ALTER TABLE ") {
                let parts: Vec<&str> = rest.split_whitespace().collect();
                if parts.len() >= 4 && parts[1] == "ADD" && parts[2] == "COLUMN" {
                    out.insert((parts[0].to_string(), parts[3].to_string()));
                }
            }
        }
    }
    out
}

#[test]
fn both_trees_declare_the_same_tables_and_columns() {
    let sqlite = declared("sqlite");
    let postgres = declared("postgres");
    assert!(sqlite.len() > 50, "parsed the migrations: {sqlite:?}");
    assert_eq!(sqlite, postgres);
    let names = |t: &str| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(t),
        )
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
        v.sort();
        v
    };
    assert_eq!(
        names("sqlite"),
        names("postgres"),
        "same migration names in both trees"
    );
}

#[test]
fn live_schema_matches_the_declared_one_and_every_migration_reverts() {
    let dir = tempfile::tempdir().unwrap();
    let mut database = crate::support::db::TestDatabase::create(dir.path());
    let tree = if database.is_postgres() {
        "postgres"
    } else {
        "sqlite"
    };
    {
        let pool = db::build_pool(&database.url, 1).unwrap();
        let mut conn = pool.get().unwrap();
        db::migrations::run_pending(&mut conn).unwrap();
        let live = columns(&mut conn);
        assert_eq!(
            live,
            declared(tree),
            "live {tree} schema equals its migrations"
        );

        // Down all the way, then up again: the same schema.
        let total = db::migrations::status(&mut conn).unwrap().len();
        for _ in 0..total {
            db::migrations::revert_last(&mut conn).unwrap();
        }
        assert!(
            columns(&mut conn).is_empty(),
            "every down.sql removes what its up.sql made"
        );
        db::migrations::run_pending(&mut conn).unwrap();
        assert_eq!(columns(&mut conn), live);
        assert!(db::migrations::is_current(&mut conn).unwrap());
    }
    database.drop_database();
}
