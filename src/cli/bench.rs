//! `postmagiq bench engine` (hidden): measures the workflow engine with the LLM taken out.
//! A fake OpenAI-compatible server answers every call after a fixed delay; N runs of the
//! `groq` workflow start at once on a throw-away SQLite database and W queue workers drive
//! them, with every human approval answered at once. What is left beyond the simulated
//! latency is the engine's own cost: queue, database, prompts and bookkeeping.

mod fake_llm;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;

use crate::auth::{passwords, tenant};
use crate::config::{Config, DeploymentEnv};
use crate::db::{self, DbConn};
use crate::jobs::worker::{JobContext, WorkerPool};
use crate::model::{RunStatus, RunSummary, Tier};
use crate::repo;
use crate::service::accounts;
use crate::service::audit::Actor;
use crate::service::email::Mailer;
use crate::service::runs::{self, StartRun};
use crate::workflow::agents::ProviderKind;
use crate::workflow::engine::Decision;

use fake_llm::FakeLlm;

const CONFIG: &str = "groq";
/// How often idle workers look for jobs and the bench looks for runs to approve. Shorter
/// than the server's default so waiting on the poll does not dominate at zero latency.
const POLL: Duration = Duration::from_millis(50);
const STORY: &str = "Last spring our support queue doubled in six weeks.\n\n\
We had two people answering tickets and no budget for a third. Instead of hiring, we read \
every ticket from one month and sorted them by cause. Forty percent came from one confusing \
settings page.\n\n\
We rewrote that page in a week, with the words customers had used in their tickets. Tickets \
about settings fell from ninety a month to twelve. The lesson for me: before adding people to \
a queue, find out what keeps filling it.";

#[derive(Args, Debug)]
pub struct EngineArgs {
    /// How many runs to start at once.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub runs: u32,
    /// How long the fake LLM takes to answer each call, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Queue workers driving the runs.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub workers: u32,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 1800)]
    pub timeout_secs: u64,
}

/// A folder under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn create() -> Result<TempDir, String> {
        let path =
            std::env::temp_dir().join(format!("postmagiq-bench-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(TempDir(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn engine(config: &Config, args: &EngineArgs) -> Result<(), String> {
    let dir = TempDir::create()?;
    let latency = Duration::from_millis(args.latency_ms);
    let fake = FakeLlm::start(latency)?;
    let mut config = config.clone();
    config.database_url = format!("sqlite://{}", dir.0.join("bench.db").display());
    config.data_dir = dir.0.clone();
    config.smtp_url = None;
    config.providers.set(
        ProviderKind::Groq,
        Some(fake.base_url()),
        Some("bench-key".into()),
    );

    let mut conn = db::pool::AnyManager::new(&config.database_url)
        .connect()
        .map_err(|e| e.to_string())?;
    db::migrations::run_pending(&mut conn).map_err(|e| format!("migrations failed: {e}"))?;
    let tenant = set_up(&mut conn)?;
    let n = args.runs as usize;

    let workers = args.workers as usize;
    // Each worker holds one connection and a fan-out logs from one thread per agent.
    let pool_size = (workers as u32) * 4 + 2;
    let pool = db::build_pool(&config.database_url, pool_size).map_err(|e| e.to_string())?;
    let ctx = Arc::new(JobContext {
        mailer: Mailer::from_config(&config)?,
        agent: None,
        public_url: config.public_url.clone(),
        providers: config.providers.clone(),
        lease: chrono::Duration::seconds(config.job_lease_secs as i64),
    });
    let queries_before = pool.manager().query_count();
    let started = Instant::now();
    let worker_pool = WorkerPool::start(pool.clone(), ctx, workers, POLL);
    // The runs start while the workers already poll, as on a server. Starting and approving
    // use `conn`, outside the pool, so the pool's statement count is the workers' alone.
    let finished = start_all(&mut conn, &tenant, n).and_then(|()| {
        watch(
            &mut conn,
            &tenant,
            n,
            Duration::from_secs(args.timeout_secs),
        )
    });
    let wall = started.elapsed();
    worker_pool.shutdown();
    drop(conn);
    let queries = pool.manager().query_count() - queries_before;
    let result = finished.and_then(|summaries| {
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        let rounds = llm_rounds(&mut conn, &tenant, &summaries)?;
        drop(conn);
        print_report(args, &summaries, &rounds, wall, queries, fake.requests());
        let incomplete = summaries
            .iter()
            .filter(|s| s.status != RunStatus::Complete)
            .count();
        match incomplete {
            0 => Ok(()),
            k => Err(format!("{k} of {n} runs did not complete")),
        }
    });
    super::workflow_run::close_pool(pool);
    drop(fake);
    drop(dir);
    result
}

/// A system owner with a workspace on the largest plan, and the built-in workflows.
fn set_up(conn: &mut DbConn) -> Result<tenant::Tenant, String> {
    let hash = passwords::hash("bench passphrase, never used", 4).map_err(|e| e.to_string())?;
    let (user, workspace) = match accounts::register(
        conn,
        "Bench",
        "bench@example.com",
        &hash,
        true,
        &Actor::cli(),
    )
    .map_err(|e| e.to_string())?
    {
        Ok(created) => created,
        Err(accounts::RegisterError::EmailTaken) => {
            return Err("the bench database already has its user".into())
        }
    };
    // Max may go over its allowance, so any number of runs can start.
    crate::service::usage::set_tier(conn, &workspace.slug, Tier::Max).map_err(|e| e.to_string())?;
    crate::workflow::config::sync::ensure_synced(conn, DeploymentEnv::Development.as_str())?;
    Ok(tenant::for_system(&workspace, &user.id))
}

fn start_all(conn: &mut DbConn, tenant: &tenant::Tenant, n: usize) -> Result<(), String> {
    for i in 0..n {
        runs::start(
            conn,
            tenant,
            DeploymentEnv::Development,
            StartRun {
                config_slug: CONFIG.into(),
                story: format!("Story {}. {STORY}", i + 1),
                voice: None,
                post_id: None,
            },
        )
        .map_err(|e| format!("starting run {}: {e}", i + 1))?;
    }
    Ok(())
}

/// Approves every run that waits, until all `n` have ended. Returns their summaries.
fn watch(
    conn: &mut DbConn,
    tenant: &tenant::Tenant,
    n: usize,
    timeout: Duration,
) -> Result<Vec<RunSummary>, String> {
    let deadline = Instant::now() + timeout;
    loop {
        let (rows, _) = repo::runs::list(
            conn,
            tenant,
            &repo::runs::ListFilter::default(),
            0,
            n as i64,
        )
        .map_err(|e| e.to_string())?;
        for row in rows.iter().filter(|r| r.status == RunStatus::AwaitingInput) {
            runs::answer(conn, tenant, &row.id, Decision::Approved, "")
                .map_err(|e| format!("approving run {}: {e}", row.id))?;
        }
        if rows.iter().all(|r| r.status.is_final()) {
            return Ok(rows);
        }
        if Instant::now() > deadline {
            let open = rows.iter().filter(|r| !r.status.is_final()).count();
            return Err(format!(
                "{open} of {n} runs had not ended after {} s",
                timeout.as_secs()
            ));
        }
        std::thread::sleep(POLL);
    }
}

/// Sequential LLM rounds of each run: the steps that called agents (a fan-out's calls run
/// side by side, so one step is one round of latency).
fn llm_rounds(
    conn: &mut DbConn,
    tenant: &tenant::Tenant,
    runs: &[RunSummary],
) -> Result<Vec<u64>, String> {
    runs.iter()
        .map(|r| {
            let metrics = repo::runs::metrics(conn, tenant, &r.id).map_err(|e| e.to_string())?;
            let steps: BTreeMap<i32, ()> = metrics.iter().map(|m| (m.step, ())).collect();
            Ok(steps.len() as u64)
        })
        .collect()
}

fn print_report(
    args: &EngineArgs,
    runs: &[RunSummary],
    rounds: &[u64],
    wall: Duration,
    queries: u64,
    calls: u64,
) {
    let n = runs.len().max(1) as f64;
    let workers = f64::from(args.workers);
    let latency = args.latency_ms as f64 / 1000.0;
    let complete = runs
        .iter()
        .filter(|r| r.status == RunStatus::Complete)
        .count();
    let wall_s = wall.as_secs_f64();
    let durations: Vec<f64> = runs
        .iter()
        .filter_map(|r| {
            r.finished_at
                .map(|f| (f - r.started_at).num_milliseconds() as f64)
        })
        .collect();
    let mean_run_ms = durations.iter().sum::<f64>() / durations.len().max(1) as f64;
    // A step job holds its worker while its agents wait, so the LLM alone needs the rounds'
    // latency per run, spread over the workers, and never less than the longest run.
    let longest = rounds.iter().copied().max().unwrap_or(0) as f64 * latency;
    let total_rounds: u64 = rounds.iter().sum();
    let ideal = (total_rounds as f64 * latency / workers).max(longest);
    let build = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!(
        "bench engine ({build} build, SQLite): {} of {CONFIG}, {} workers, fake LLM \
         latency {} ms",
        count(runs.len(), "run"),
        args.workers,
        args.latency_ms
    );
    println!("  runs complete         {complete} of {}", runs.len());
    println!(
        "  LLM calls             {calls} ({:.1} per run, {:.1} sequential rounds per run)",
        calls as f64 / n,
        total_rounds as f64 / n
    );
    println!(
        "  SQL statements        {queries} by the workers ({:.0} per run)",
        queries as f64 / n
    );
    println!("  wall time             {wall_s:.2} s");
    println!(
        "  throughput            {:.1} runs/minute",
        n * 60.0 / wall_s
    );
    println!(
        "  mean run time         {:.0} ms (start to finish, waiting for a worker included)",
        mean_run_ms
    );
    println!("  ideal wall time       {ideal:.2} s (simulated LLM latency only)");
    println!(
        "  engine overhead       {:.2} s over ideal ({:.0} ms per run)",
        wall_s - ideal,
        (wall_s - ideal) * 1000.0 / n
    );
    match peak_rss_kib() {
        Some(kib) => println!("  peak RSS              {:.1} MiB", kib as f64 / 1024.0),
        None => println!("  peak RSS              unknown (no /proc/self/status)"),
    }
}

fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// VmHWM from /proc/self/status: the most resident memory the process has used.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
