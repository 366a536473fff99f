//! Credits from the operator's side: `postmagiq admin set-tier`. (The reserve/confirm ledger
//! needs a `Tenant`, which only the crate can build; it is tested in src/service/usage.)

use std::io::Write;
use std::process::{Command, Output, Stdio};

use diesel::prelude::*;
use postmagiq::db::schema::{usage_periods, workspaces};

fn postmagiq(data: &std::path::Path, db_url: &str, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_postmagiq"))
        .env_clear()
        .env("DATABASE_URL", db_url)
        .env("DATA_DIR", data)
        .env("BCRYPT_COST", "4")
        .env("RUST_LOG", "warn")
        .args(args)
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
    child.wait_with_output().unwrap()
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn set_tier_changes_the_plan_and_this_months_allowance() {
    let dir = tempfile::tempdir().unwrap();
    let database = crate::support::db::TestDatabase::create(dir.path());
    let url = database.url.as_str();
    let created = postmagiq(
        dir.path(),
        url,
        &[
            "admin",
            "create-user",
            "--email",
            "opal@example.com",
            "--name",
            "Opal",
        ],
    );
    assert!(created.status.success(), "{:?}", text(&created));

    let out = postmagiq(
        dir.path(),
        url,
        &[
            "admin",
            "set-tier",
            "--workspace",
            "opal-s-workspace",
            "--tier",
            "pro",
        ],
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        stdout.trim(),
        "/w/opal-s-workspace is now on Pro (was Free): 0 of 200 credits used this month, may go over."
    );

    let pool = postmagiq::db::build_pool(url, 1).unwrap();
    let mut conn = pool.get().unwrap();
    let tier: String = workspaces::table
        .filter(workspaces::slug.eq("opal-s-workspace"))
        .select(workspaces::tier)
        .first(&mut conn)
        .unwrap();
    assert_eq!(tier, "pro");
    let limits: Vec<i64> = usage_periods::table
        .select(usage_periods::credits_limit)
        .load(&mut conn)
        .unwrap();
    assert_eq!(limits, [200], "one period, with the new allowance");

    // Back down to base: the same month's row takes the smaller allowance.
    let out = postmagiq(
        dir.path(),
        url,
        &[
            "admin",
            "set-tier",
            "--workspace",
            "opal-s-workspace",
            "--tier",
            "Base",
        ],
    );
    assert!(out.status.success(), "{:?}", text(&out));
    let limits: Vec<i64> = usage_periods::table
        .select(usage_periods::credits_limit)
        .load(&mut conn)
        .unwrap();
    assert_eq!(limits, [50]);
}

#[test]
fn set_tier_explains_an_unknown_workspace_or_tier() {
    let dir = tempfile::tempdir().unwrap();
    let database = crate::support::db::TestDatabase::create(dir.path());
    let url = database.url.as_str();

    let out = postmagiq(
        dir.path(),
        url,
        &[
            "admin",
            "set-tier",
            "--workspace",
            "nowhere",
            "--tier",
            "max",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out)
            .1
            .contains("No workspace has the address \u{201c}nowhere\u{201d}."),
        "{:?}",
        text(&out)
    );

    let out = postmagiq(
        dir.path(),
        url,
        &[
            "admin",
            "set-tier",
            "--workspace",
            "nowhere",
            "--tier",
            "gold",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "a usage error, before any database work"
    );
    assert!(
        text(&out).1.contains("use one of free, base, pro, max"),
        "{:?}",
        text(&out)
    );

    let help = postmagiq(dir.path(), url, &["admin", "set-tier", "--help"]);
    let (stdout, _) = text(&help);
    assert!(help.status.success());
    assert!(
        stdout.contains("--workspace") && stdout.contains("--tier"),
        "{stdout}"
    );
    assert!(stdout.contains("pro (200, may go over)"), "{stdout}");
}
