//! `postmagiq workflow run`: one workflow run from the terminal. The command is its own job
//! worker: it claims due jobs in-process, prints each run event as it is written and asks on
//! standard input whenever the run waits for a person.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::Args;
use serde_json::Value;

use crate::app;
use crate::auth::tenant::{self, Tenant};
use crate::config::Config;
use crate::db::{self, DbConn, DbPool};
use crate::error::AppError;
use crate::jobs::worker::{self, JobContext};
use crate::model::{Run, RunId, RunStatus, Workspace};
use crate::repo;
use crate::service::email::Mailer;
use crate::service::runs::{self, StartRun};
use crate::workflow::engine::step::pending_of;
use crate::workflow::engine::{events, Decision, PendingInput};

/// Connections the command may hold: the worker's, the event printer's, and the agents of a
/// fan-out logging their events.
const POOL_SIZE: u32 = 4;
/// How often the worker looks for a due job and the terminal for new events.
const POLL: Duration = Duration::from_millis(100);

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The workflow's slug, as `workflows sync` lists it (for example demo or groq).
    #[arg(long)]
    pub config: String,
    /// A text file with the raw story to turn into a post.
    #[arg(long)]
    pub story: PathBuf,
    /// The workspace address (slug) to run in, acting as its owner; by default the oldest
    /// workspace of the first system owner.
    #[arg(long)]
    pub workspace: Option<String>,
    /// A voice preset slug for the writers.
    #[arg(long)]
    pub voice: Option<String>,
}

/// Starts the run, drives it to its end and prints the result. An `Err` when the run ends in
/// anything but `complete`.
pub fn run(config: &Config, args: &RunArgs) -> Result<(), String> {
    let story = std::fs::read_to_string(&args.story)
        .map_err(|e| format!("--story {}: {e}", args.story.display()))?;
    let mut conn = app::open_connection(config)?;
    let (workspace, tenant) = target(&mut conn, args.workspace.as_deref())?;
    crate::workflow::config::sync::ensure_synced(&mut conn, config.deployment_env.as_str())
        .map_err(|e| format!("cannot load the built-in workflows: {e}"))?;
    let run_id = runs::start(
        &mut conn,
        &tenant,
        config.deployment_env,
        StartRun {
            config_slug: args.config.clone(),
            story,
            voice: args.voice.clone(),
            post_id: None,
        },
    )
    .map_err(|e| e.to_string())?;
    drop(conn);
    println!("Run {run_id} of {} in /w/{}", args.config, workspace.slug);

    let ctx = JobContext {
        mailer: Mailer::from_config(config)?,
        agent: config.agent.clone(),
        public_url: config.public_url.clone(),
        providers: config.providers.clone(),
        lease: chrono::Duration::seconds(config.job_lease_secs as i64),
    };
    let pool = db::build_pool(&config.database_url, POOL_SIZE).map_err(|e| {
        format!(
            "DATABASE_URL ({}): {e}",
            crate::config::redact_url(&config.database_url)
        )
    })?;
    let stdin = std::io::stdin();
    let outcome = drive(&pool, &ctx, &tenant, &run_id, &mut stdin.lock())
        .and_then(|run| report(&pool, &tenant, &run));
    close_pool(pool);
    outcome
}

/// The named workspace, or the oldest one the first system owner owns; the tenant acts as
/// the workspace's owner, as the other operator commands do.
fn target(conn: &mut DbConn, slug: Option<&str>) -> Result<(Workspace, Tenant), String> {
    let workspace = match slug {
        Some(slug) => repo::workspaces::find_by_slug_for_operator(conn, slug)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("--workspace: no workspace has the address {slug}"))?,
        None => {
            let none = || {
                "no workspace to run in: create an account first (postmagiq admin create-user \
                 --email E --name N) or pass --workspace"
                    .to_string()
            };
            let owner = repo::users::first_system_owner(conn)
                .map_err(|e| e.to_string())?
                .ok_or_else(none)?;
            repo::workspaces::list_for_user(conn, &owner.id)
                .map_err(|e| e.to_string())?
                .into_iter()
                .map(|(w, _)| w)
                .filter(|w| w.owner_id == owner.id)
                .min_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)))
                .ok_or_else(none)?
        }
    };
    let tenant = tenant::for_system(&workspace, &workspace.owner_id);
    Ok((workspace, tenant))
}

/// Drives the run to its end: a worker thread works the job queue while this thread prints
/// the run's events as they are written and asks `input` whenever the run waits for a
/// person. Returns the finished run.
fn drive(
    pool: &DbPool,
    ctx: &JobContext,
    tenant: &Tenant,
    run_id: &RunId,
    input: &mut dyn BufRead,
) -> Result<Run, String> {
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| work(pool, ctx, run_id, &stop));
        let outcome = follow(pool, tenant, run_id, input);
        // The worker finishes the job in hand, if any, before the scope ends.
        stop.store(true, Ordering::SeqCst);
        outcome
    })
}

/// Claims and runs this run's due jobs until told to stop; other jobs on the shared queue are
/// left to the server's workers. Agents run inside their state's job, so this is a thread of
/// its own: events keep printing while a call is in flight.
fn work(pool: &DbPool, ctx: &JobContext, run_id: &RunId, stop: &AtomicBool) {
    let name = format!("cli-{}", crate::auth::tokens::random_token(3));
    let marker = format!("\"run_id\":\"{run_id}\"");
    let only = crate::jobs::queue::Only {
        kind: crate::jobs::JobKind::WorkflowStep,
        payload_contains: &marker,
    };
    while !stop.load(Ordering::SeqCst) {
        match worker::run_one_where(pool, ctx, &name, Some(only)) {
            Ok(true) => {}
            Ok(false) => std::thread::sleep(POLL),
            Err(e) => {
                tracing::warn!(error = %e, "job queue unavailable");
                std::thread::sleep(POLL);
            }
        }
    }
}

fn follow(
    pool: &DbPool,
    tenant: &Tenant,
    run_id: &RunId,
    input: &mut dyn BufRead,
) -> Result<Run, String> {
    let mut last_event = 0;
    loop {
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        last_event = print_events(&mut conn, tenant, run_id, last_event)?;
        let run = repo::runs::find(&mut conn, tenant, run_id)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("run {run_id} disappeared"))?;
        if run.status.is_final() {
            return Ok(run);
        }
        let pending = (run.status == RunStatus::AwaitingInput)
            .then(|| pending_of(&run))
            .flatten();
        if let Some(pending) = pending {
            drop(conn);
            show_pending(&pending);
            let (decision, feedback) = parse_answer(read_answer(input)?.as_deref());
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            match runs::answer(&mut conn, tenant, run_id, decision, &feedback) {
                Ok(()) => {}
                // Someone answered first (in the browser) or the wait timed out.
                Err(AppError::Conflict(message)) => println!("{message}"),
                Err(e) => return Err(e.to_string()),
            }
            continue;
        }
        drop(conn);
        std::thread::sleep(POLL);
    }
}

/// Prints the events after `after` as `HH:MM:SS line` (UTC) and returns the last id printed.
fn print_events(
    conn: &mut DbConn,
    tenant: &Tenant,
    run_id: &RunId,
    mut after: i64,
) -> Result<i64, String> {
    loop {
        let batch = repo::runs::events_since(conn, tenant, run_id, after, 200)
            .map_err(|e| e.to_string())?;
        if batch.is_empty() {
            return Ok(after);
        }
        for event in batch {
            let payload: Value = serde_json::from_str(&event.payload).unwrap_or(Value::Null);
            println!(
                "{} {}",
                event.created_at.format("%H:%M:%S"),
                events::describe(&event.kind, &payload)
            );
            after = event.id;
        }
    }
}

fn show_pending(p: &PendingInput) {
    println!();
    println!("== Waiting for you at {} ==", p.state);
    println!("{}", p.prompt);
    if !p.content.trim().is_empty() {
        println!();
        println!("{}", p.content.trim_end());
    }
    if !p.audits.is_empty() {
        println!();
        println!("Audit notes:");
        for a in &p.audits {
            let score = a.score.map(|s| format!(" {s}/10")).unwrap_or_default();
            let decision = a
                .decision
                .as_deref()
                .map(|d| format!(" {d}"))
                .unwrap_or_default();
            println!("  {}{score}{decision}: {}", a.agent, a.feedback.trim());
        }
    }
    println!();
    println!("Type yes to approve, abort (or an empty line) to stop, or feedback to revise:");
    if std::io::stdin().is_terminal() {
        print!("> ");
    }
    let _ = std::io::stdout().flush();
}

/// One line of the answer; `None` at the end of the input.
fn read_answer(input: &mut dyn BufRead) -> Result<Option<String>, String> {
    let mut line = String::new();
    let n = input
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the answer from standard input: {e}"))?;
    Ok((n > 0).then_some(line))
}

/// `yes`, `y` or `approve` approve; `abort`, an empty line or the end of the input abort;
/// any other text is feedback.
fn parse_answer(line: Option<&str>) -> (Decision, String) {
    let text = line.map(str::trim).unwrap_or("");
    match text.to_ascii_lowercase().as_str() {
        "yes" | "y" | "approve" | "approved" => (Decision::Approved, String::new()),
        "" | "abort" => (Decision::Abort, String::new()),
        _ => (Decision::Feedback, text.to_string()),
    }
}

/// Prints the final post and the run's totals; `Err` unless it completed.
fn report(pool: &DbPool, tenant: &Tenant, run: &Run) -> Result<(), String> {
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let outputs = repo::runs::outputs(&mut conn, tenant, &run.id).map_err(|e| e.to_string())?;
    drop(conn);
    if let Some(post) = outputs.iter().rev().find(|o| o.output_type == "final") {
        println!();
        println!("== Final post ==");
        println!("{}", post.content.trim_end());
    }
    println!();
    println!(
        "Status: {}{}",
        run.status.as_str(),
        run.final_state
            .as_deref()
            .map(|s| format!(" (at {s})"))
            .unwrap_or_default()
    );
    println!(
        "Tokens: {} ({} in, {} out)",
        run.total_tokens(),
        run.input_tokens,
        run.output_tokens
    );
    println!("Cost: ${:.4}", run.cost_usd());
    println!(
        "Credits: {} used ({} reserved)",
        run.credits_used, run.credits_reserved
    );
    match run.status {
        RunStatus::Complete => Ok(()),
        status => Err(format!(
            "the run ended {}: {}",
            status.as_str(),
            run.error.as_deref().unwrap_or("no reason recorded")
        )),
    }
}

/// Drops a command's pool without leaving a connection half-open. r2d2 opens connections on
/// its own threads, and a process that exits while libpq is connecting there can crash in
/// libpq's exit-time cleanup; holding every slot at once waits out any connect in flight and
/// leaves the pool nothing more to open.
pub(super) fn close_pool(pool: DbPool) {
    let size = pool.max_size();
    let held: Vec<_> = (0..size)
        .map_while(|_| pool.get_timeout(Duration::from_secs(5)).ok())
        .collect();
    drop(held);
    drop(pool);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yes_approves_blank_or_eof_aborts_and_other_text_is_feedback() {
        assert_eq!(parse_answer(Some("yes\n")).0, Decision::Approved);
        assert_eq!(parse_answer(Some(" Y ")).0, Decision::Approved);
        assert_eq!(parse_answer(Some("approve")).0, Decision::Approved);
        assert_eq!(parse_answer(Some("\n")).0, Decision::Abort);
        assert_eq!(parse_answer(Some("abort\r\n")).0, Decision::Abort);
        assert_eq!(parse_answer(None).0, Decision::Abort);
        assert_eq!(
            parse_answer(Some("Shorter opening, please\n")),
            (Decision::Feedback, "Shorter opening, please".to_string())
        );
    }
}
