//! `postmagiq workflows validate` and `sync`: line-precise errors, idempotent upserts by slug,
//! and a broken workflow that aborts the sync without writing anything.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use postmagiq::repo::workflow_configs::{list_all_global, WorkflowConfigRow};

fn postmagiq(data: &Path, db_url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_postmagiq"))
        .env_clear()
        .env("DATABASE_URL", db_url)
        .env("DATA_DIR", data)
        .env("RUST_LOG", "warn")
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("workflows")
}

/// A copy of the shipped `workflows/` folder that a test may edit.
fn copy_of_shipped(into: &Path) -> PathBuf {
    let root = into.join("workflows");
    for sub in ["", "configs", "personas", "rules", "voices"] {
        let from = shipped().join(sub);
        std::fs::create_dir_all(root.join(sub)).unwrap();
        for entry in std::fs::read_dir(&from).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_file() {
                std::fs::copy(entry.path(), root.join(sub).join(entry.file_name())).unwrap();
            }
        }
    }
    root
}

fn rows(db_url: &str) -> Vec<WorkflowConfigRow> {
    let pool = postmagiq::db::build_pool(db_url, 1).unwrap();
    let mut conn = pool.get().unwrap();
    list_all_global(&mut conn).unwrap()
}

#[test]
fn validate_accepts_a_shipped_workflow_and_counts_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = shipped().join("configs/groq.yaml");
    let out = postmagiq(
        dir.path(),
        "sqlite://unused.db",
        &["workflows", "validate", file.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!("{}: valid (13 states, 5 agents)", file.display())),
        "{stdout}"
    );
}

#[test]
fn validate_prints_every_problem_with_its_line_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.yaml");
    std::fs::write(
        &file,
        "name: Bad\n\
         agents:\n  w: {provider: groq, model: m}\n\
         states:\n  begin:\n    type: initial\n    next: write\n\
         \x20 write:\n    agent: ghost\n    persona: writer\n    transitions: {success: done, failure: nowhere}\n\
         \x20 done:\n    type: terminal\n\
         circuit_breaker:\n  timeout_minutes: 90\n",
    )
    .unwrap();
    let out = postmagiq(
        dir.path(),
        "sqlite://unused.db",
        &["workflows", "validate", file.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    let name = file.display();
    assert!(
        stderr.contains(&format!("{name}:9: state `write` uses agent `ghost`")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "{name}:11: transition `failure` of state `write` goes to unknown state `nowhere`"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{name}:15: circuit_breaker.timeout_minutes is 90")),
        "{stderr}"
    );

    std::fs::write(&file, "name: Bad\nstates:\n  begin:\n    type: start\n").unwrap();
    let out = postmagiq(
        dir.path(),
        "sqlite://unused.db",
        &["workflows", "validate", file.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains(&format!("{name}:4: unknown variant `start`")),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn sync_adds_the_built_in_workflows_once_and_updates_them_by_slug() {
    let dir = tempfile::tempdir().unwrap();
    let database = crate::support::db::TestDatabase::create(dir.path());

    let first = postmagiq(dir.path(), &database.url, &["workflows", "sync"]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let stdout = text(&first.stdout);
    for slug in ["groq", "claude", "openai", "gemini", "ollama", "demo"] {
        assert!(stdout.contains(&format!("added: {slug}")), "{stdout}");
    }
    let before = rows(&database.url);
    assert_eq!(before.len(), 6);
    let demo = before.iter().find(|r| r.slug == "demo").unwrap();
    assert!(demo.is_default, "development's default is the offline demo");
    assert_eq!(demo.environment, "development");
    assert_eq!(before.iter().filter(|r| r.is_default).count(), 1);
    let claude = before.iter().find(|r| r.slug == "claude").unwrap();
    assert_eq!(claude.tier_required.as_deref(), Some("pro"));
    assert!(claude.features.starts_with("[\"story-review\""));

    let again = postmagiq(dir.path(), &database.url, &["workflows", "sync"]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(text(&again.stdout).contains("0 added, 0 updated, 6 unchanged, 0 disabled"));

    // From a folder on disk, with one workflow renamed: updated in place, no duplicate.
    let root = copy_of_shipped(dir.path());
    let registry = std::fs::read_to_string(root.join("registry.yaml")).unwrap();
    std::fs::write(
        root.join("registry.yaml"),
        registry.replacen("    name: Groq\n", "    name: Groq (fast)\n", 1),
    )
    .unwrap();
    let third = postmagiq(
        dir.path(),
        &database.url,
        &["workflows", "sync", "--dir", root.to_str().unwrap()],
    );
    assert!(third.status.success(), "{}", text(&third.stderr));
    let stdout = text(&third.stdout);
    assert!(stdout.contains("updated: groq"), "{stdout}");
    assert!(
        stdout.contains("0 added, 1 updated, 5 unchanged, 0 disabled"),
        "{stdout}"
    );
    let after = rows(&database.url);
    assert_eq!(after.len(), 6);
    let groq = after.iter().find(|r| r.slug == "groq").unwrap();
    let groq_before = before.iter().find(|r| r.slug == "groq").unwrap();
    assert_eq!(groq.name, "Groq (fast)");
    assert_eq!(groq.id, groq_before.id);
    assert!(groq.updated_at >= groq_before.updated_at);

    // A workflow dropped from the registry stays in the table, switched off.
    let registry = std::fs::read_to_string(root.join("registry.yaml")).unwrap();
    let start = registry.find("  demo:\n").unwrap();
    let end = start + registry[start..].find("\n\n").unwrap();
    let without_demo = format!("{}{}", &registry[..start], &registry[end + 1..])
        .replace("default_workflow: demo", "default_workflow: groq");
    std::fs::write(root.join("registry.yaml"), without_demo).unwrap();
    let fourth = postmagiq(
        dir.path(),
        &database.url,
        &["workflows", "sync", "--dir", root.to_str().unwrap()],
    );
    assert!(fourth.status.success(), "{}", text(&fourth.stderr));
    assert!(
        text(&fourth.stdout).contains("disabled: demo"),
        "{}",
        text(&fourth.stdout)
    );
    let last = rows(&database.url);
    assert_eq!(last.len(), 6);
    assert!(!last.iter().find(|r| r.slug == "demo").unwrap().enabled);
}

#[test]
fn a_broken_workflow_aborts_the_sync_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let database = crate::support::db::TestDatabase::create(dir.path());
    let migrated = postmagiq(dir.path(), &database.url, &["migrate"]);
    assert!(migrated.status.success(), "{}", text(&migrated.stderr));
    let root = copy_of_shipped(dir.path());
    let claude = root.join("configs/claude.yaml");
    let yaml = std::fs::read_to_string(&claude).unwrap();
    let broken = yaml.replacen("    agent: haiku\n", "    agent: nobody\n", 1);
    assert_ne!(broken, yaml);
    let line = broken
        .lines()
        .position(|l| l == "    agent: nobody")
        .unwrap()
        + 1;
    std::fs::write(&claude, broken).unwrap();
    let registry = std::fs::read_to_string(root.join("registry.yaml")).unwrap();
    std::fs::write(
        root.join("registry.yaml"),
        registry.replacen("    name: Groq\n", "    name: Groq (renamed)\n", 1),
    )
    .unwrap();

    let out = postmagiq(
        dir.path(),
        &database.url,
        &["workflows", "sync", "--dir", root.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "{}:{line}: state `story-review` uses agent `nobody`",
            claude.display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("sync aborted, nothing changed"), "{stderr}");
    assert!(rows(&database.url).is_empty());

    // With rows already present, a failed sync leaves them exactly as they were.
    let ok = postmagiq(dir.path(), &database.url, &["workflows", "sync"]);
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    let before = rows(&database.url);
    let out = postmagiq(
        dir.path(),
        &database.url,
        &["workflows", "sync", "--dir", root.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    let after = rows(&database.url);
    assert_eq!(after.len(), before.len());
    let name_of =
        |rs: &[WorkflowConfigRow]| rs.iter().find(|r| r.slug == "groq").map(|r| r.name.clone());
    assert_eq!(name_of(&after), Some("Groq".to_string()));
    assert_eq!(name_of(&before), name_of(&after));
}
