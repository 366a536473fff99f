//! The command line: migrations, creating a user, running a workflow, and configuration
//! errors.

use std::io::Write;
use std::process::{Command, Stdio};

use diesel::prelude::*;
use postmagiq::db::schema::{users, workflow_runs, workspaces};

fn postmagiq(data: &std::path::Path, db_url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_postmagiq"));
    cmd.env_clear()
        .env("DATABASE_URL", db_url)
        .env("DATA_DIR", data)
        .env("BCRYPT_COST", "4")
        .env("DEMO_DELAY_MS", "0")
        .env("RUST_LOG", "warn");
    cmd
}

#[test]
fn migrate_status_revert_and_apply() {
    let dir = tempfile::tempdir().unwrap();
    let database = crate::support::db::TestDatabase::create(dir.path());
    let run = |args: &[&str]| {
        let out = postmagiq(dir.path(), &database.url)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let before = run(&["migrate", "--status"]);
    let versions: Vec<String> = before
        .lines()
        .map(|l| l.trim_start_matches("[ ] ").to_string())
        .collect();
    assert!(versions.len() >= 2, "{before}");
    assert!(before.lines().all(|l| l.starts_with("[ ] ")), "{before}");
    let applied = run(&["migrate"]);
    for v in &versions {
        assert!(applied.contains(&format!("Applied {v}")), "{applied}");
    }
    assert!(run(&["migrate", "--status"])
        .lines()
        .all(|l| l.starts_with("[x] ")));
    assert!(run(&["migrate"]).contains("No pending migrations."));
    let newest = versions.last().unwrap();
    assert!(run(&["migrate", "--revert"]).contains(&format!("Reverted {newest}")));
    let after = run(&["migrate", "--status"]);
    assert!(after.contains(&format!("[ ] {newest}")), "{after}");
    assert!(after.contains(&format!("[x] {}", versions[0])), "{after}");
}

#[test]
fn admin_create_user_reads_the_password_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let database = crate::support::db::TestDatabase::create(dir.path());
    let mut child = postmagiq(dir.path(), &database.url)
        .args([
            "admin",
            "create-user",
            "--email",
            "Op@Example.com",
            "--name",
            "Opal Operator",
            "--system-owner",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a long operator passphrase\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("Created op@example.com"), "{stdout}");
    assert!(stdout.contains("system role owner"));

    let pool = postmagiq::db::build_pool(&database.url, 1).unwrap();
    let mut conn = pool.get().unwrap();
    let (hash, ws): (Option<String>, Option<String>) = users::table
        .select((users::password_hash, users::default_workspace_id))
        .first(&mut conn)
        .unwrap();
    assert!(postmagiq::auth::passwords::verify(
        "a long operator passphrase",
        &hash.unwrap()
    ));
    let slug: String = workspaces::table
        .find(ws.unwrap())
        .select(workspaces::slug)
        .first(&mut conn)
        .unwrap();
    assert_eq!(slug, "opal-s-workspace");

    // The same email again is a clear error, not a crash.
    let mut again = postmagiq(dir.path(), &database.url)
        .args([
            "admin",
            "create-user",
            "--email",
            "op@example.com",
            "--name",
            "Other",
        ])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    again
        .stdin
        .take()
        .unwrap()
        .write_all(b"another long passphrase\n")
        .unwrap();
    let out = again.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already has an account"));
}

#[test]
fn a_short_password_on_stdin_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let database = crate::support::db::TestDatabase::create(dir.path());
    let mut child = postmagiq(dir.path(), &database.url)
        .args([
            "admin",
            "create-user",
            "--email",
            "a@example.com",
            "--name",
            "A",
        ])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"short\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("password: Use at least 12 characters."));
}

#[test]
fn a_bad_setting_stops_start_up_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let out = postmagiq(dir.path(), "sqlite://x.db")
        .env("BIND", "not-an-address")
        .arg("serve")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("configuration error: BIND:"), "{stderr}");
}

#[test]
fn an_unreachable_database_is_reported_plainly() {
    let dir = tempfile::tempdir().unwrap();
    let out = postmagiq(dir.path(), "postgres://postgres@127.0.0.1:1/nothing")
        .args(["migrate", "--status"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("DATABASE_URL") && stderr.contains("127.0.0.1"),
        "{stderr}"
    );
}

#[test]
fn help_is_available_for_every_command() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["admin", "--help"],
        vec!["admin", "create-user", "--help"],
        vec!["workflow", "run", "--help"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_postmagiq"))
            .args(&args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage:"),
            "{args:?}"
        );
    }
}

/// A database with one account, made through `admin create-user`, and a story file.
fn with_account_and_story(dir: &std::path::Path, url: &str) -> std::path::PathBuf {
    let mut child = postmagiq(dir, url)
        .args([
            "admin",
            "create-user",
            "--email",
            "ann@example.com",
            "--name",
            "Ann Author",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a long author passphrase\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let story = dir.join("story.txt");
    std::fs::write(
        &story,
        "Last spring our support queue doubled in six weeks. We had two people answering \
         tickets.\n\nWe rewrote the settings page in a week. Tickets fell from ninety a month \
         to twelve.\n",
    )
    .unwrap();
    story
}

fn workflow_run(
    dir: &std::path::Path,
    url: &str,
    story: &std::path::Path,
    stdin: &[u8],
) -> std::process::Output {
    let mut child = postmagiq(dir, url)
        .args(["workflow", "run", "--config", "demo", "--story"])
        .arg(story)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn run_statuses(url: &str) -> Vec<String> {
    let pool = postmagiq::db::build_pool(url, 1).unwrap();
    let mut conn = pool.get().unwrap();
    workflow_runs::table
        .select(workflow_runs::status)
        .load(&mut conn)
        .unwrap()
}

#[test]
fn workflow_run_prints_each_event_and_the_approved_post_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let database = crate::support::db::TestDatabase::create(dir.path());
    let story = with_account_and_story(dir.path(), &database.url);
    let out = workflow_run(dir.path(), &database.url, &story, b"yes\n");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("in /w/ann-s-workspace"), "{stdout}");
    assert!(stdout.contains("Run started with Demo"), "{stdout}");
    assert!(
        stdout.contains("== Waiting for you at human-approval =="),
        "{stdout}"
    );
    assert!(stdout.contains("Answer received: approved"), "{stdout}");
    let (_, post) = stdout.split_once("== Final post ==").expect(&stdout);
    assert!(
        post.contains("Tickets fell from ninety a month to twelve."),
        "{stdout}"
    );
    assert!(post.contains("Status: complete"), "{stdout}");
    assert!(post.contains("Credits: 0 used"), "{stdout}");
    assert_eq!(run_statuses(&database.url), vec!["complete".to_string()]);
}

#[test]
fn workflow_run_with_no_answer_aborts_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let database = crate::support::db::TestDatabase::create(dir.path());
    let story = with_account_and_story(dir.path(), &database.url);
    let out = workflow_run(dir.path(), &database.url, &story, b"");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("Answer received: abort"), "{stdout}");
    assert!(stdout.contains("Status: aborted"), "{stdout}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("error: the run ended aborted"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(run_statuses(&database.url), vec!["aborted".to_string()]);
}

#[test]
fn workflow_run_without_an_account_says_how_to_make_one() {
    let dir = tempfile::tempdir().unwrap();
    let database = crate::support::db::TestDatabase::create(dir.path());
    let story = dir.path().join("story.txt");
    std::fs::write(&story, "A story.").unwrap();
    let out = workflow_run(dir.path(), &database.url, &story, b"");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("create an account first (postmagiq admin create-user")
            && stderr.contains("or pass --workspace"),
        "{stderr}"
    );
}
