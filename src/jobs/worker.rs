//! A pool of worker threads that claim and run jobs. Threads, not async tasks: every job does
//! blocking work (diesel, SMTP), and a stuck job must not stall the web server.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::auth::throttle;
use crate::db::DbPool;
use crate::jobs::{queue, JobKind};
use crate::model::Job;
use crate::service::email::{Email, Mailer};

/// What job handlers may use.
pub struct JobContext {
    pub mailer: Mailer,
    /// The AI provider for workspace features, when configured.
    pub agent: Option<crate::workflow::agents::ProviderConfig>,
    /// Base of the links in emails (PUBLIC_URL).
    pub public_url: String,
    /// Keys and base URLs of the LLM providers workflow runs call.
    pub providers: crate::workflow::agents::Providers,
    /// How long a claimed job is held before another worker may take it over.
    pub lease: chrono::Duration,
}

pub struct WorkerPool {
    stop: Arc<AtomicBool>,
    handles: Vec<JoinHandle<()>>,
}

impl WorkerPool {
    pub fn start(pool: DbPool, ctx: Arc<JobContext>, workers: usize, poll: Duration) -> WorkerPool {
        let stop = Arc::new(AtomicBool::new(false));
        let handles = (0..workers)
            .map(|n| {
                let pool = pool.clone();
                let ctx = ctx.clone();
                let stop = stop.clone();
                let name = format!("{}-w{n}", crate::auth::tokens::random_token(3));
                std::thread::Builder::new()
                    .name(format!("job-worker-{n}"))
                    .spawn(move || run(pool, ctx, stop, name, n == 0, poll))
                    .map_err(|e| tracing::error!(error = %e, "cannot start job worker"))
                    .ok()
            })
            .collect::<Vec<_>>()
            .into_iter()
            .flatten()
            .collect();
        WorkerPool { stop, handles }
    }

    /// Asks the workers to stop after their current job and waits for them.
    pub fn shutdown(self) {
        self.stop.store(true, Ordering::SeqCst);
        for h in self.handles {
            let _ = h.join();
        }
    }
}

fn run(
    pool: DbPool,
    ctx: Arc<JobContext>,
    stop: Arc<AtomicBool>,
    name: String,
    housekeeper: bool,
    poll: Duration,
) {
    let mut last_housekeeping = Instant::now();
    // The first reminder check waits a while after start, then one an hour.
    let mut next_reminders = Instant::now() + Duration::from_secs(600);
    let mut next_approval_reminders = Instant::now() + Duration::from_secs(660);
    while !stop.load(Ordering::SeqCst) {
        match run_one(&pool, &ctx, &name) {
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => tracing::error!(worker = %name, error = %e, "job queue unavailable"),
        }
        if housekeeper && last_housekeeping.elapsed() > Duration::from_secs(600) {
            last_housekeeping = Instant::now();
            if let Ok(mut conn) = pool.get() {
                let _ = throttle::prune(&mut conn);
            }
        }
        if housekeeper && Instant::now() >= next_reminders {
            next_reminders = Instant::now() + Duration::from_secs(3600);
            match pool.get() {
                Ok(mut conn) => {
                    if let Err(e) = crate::jobs::reminders::enqueue_check(&mut conn) {
                        tracing::warn!(error = %e, "cannot enqueue the due-date reminders");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot enqueue the due-date reminders"),
            }
        }
        if housekeeper && Instant::now() >= next_approval_reminders {
            next_approval_reminders = Instant::now() + Duration::from_secs(3600);
            let enqueued = pool.get().map_err(|e| e.to_string()).and_then(|mut conn| {
                crate::service::approvals::reminders::enqueue_check(&mut conn)
                    .map_err(|e| e.to_string())
            });
            if let Err(e) = enqueued {
                tracing::warn!(error = %e, "cannot enqueue the approval reminders");
            }
        }
        // Sleep in small steps so shutdown is prompt.
        let until = Instant::now() + poll;
        while Instant::now() < until && !stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(20).min(poll));
        }
    }
}

/// Runs one due job. Returns whether there was one.
pub fn run_one(pool: &DbPool, ctx: &JobContext, worker: &str) -> Result<bool, String> {
    run_one_where(pool, ctx, worker, None)
}

/// `run_one`, limited to the jobs `only` describes.
pub fn run_one_where(
    pool: &DbPool,
    ctx: &JobContext,
    worker: &str,
    only: Option<queue::Only<'_>>,
) -> Result<bool, String> {
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let Some(job) =
        queue::claim_where(&mut conn, worker, ctx.lease, only).map_err(|e| e.to_string())?
    else {
        return Ok(false);
    };
    // The connection goes back to the pool while the job works.
    drop(conn);
    // A panicking handler is a bug, but it must cost one job, not a worker thread: caught, it
    // is recorded as a permanent failure and the thread goes on.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        execute(ctx, pool, &job, worker)
    }))
    .unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".into());
        tracing::error!(job_id = %job.id, kind = %job.kind, panic = %what, "job handler panicked");
        if JobKind::parse(&job.kind) == Some(JobKind::WorkflowStep) {
            if let Ok(step) = serde_json::from_str(&job.payload) {
                crate::workflow::engine::fail_run(pool, &step, &what);
            }
        }
        Err(JobError {
            message: format!("the job handler panicked: {what}"),
            permanent: true,
        })
    });
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    match outcome {
        Ok(()) => {
            queue::complete(&mut conn, &job, worker).map_err(|e| e.to_string())?;
            tracing::debug!(job_id = %job.id, kind = %job.kind, "job done");
        }
        Err(JobError { message, permanent }) => {
            let status = queue::fail(&mut conn, &job, worker, &message, permanent)
                .map_err(|e| e.to_string())?;
            tracing::warn!(
                job_id = %job.id,
                kind = %job.kind,
                attempt = job.attempts,
                status = %status,
                error = %message,
                "job failed"
            );
        }
    }
    Ok(true)
}

pub struct JobError {
    pub message: String,
    pub permanent: bool,
}

fn execute(ctx: &JobContext, pool: &DbPool, job: &Job, worker: &str) -> Result<(), JobError> {
    let Some(kind) = JobKind::parse(&job.kind) else {
        return Err(JobError {
            message: format!("unknown job kind {:?}", job.kind),
            permanent: true,
        });
    };
    match kind {
        JobKind::SendEmail => {
            let email: Email = serde_json::from_str(&job.payload).map_err(|e| JobError {
                message: format!("bad payload: {e}"),
                permanent: true,
            })?;
            // At-least-once: a crash after the SMTP server accepted the message and before the
            // job is marked done sends it again. Losing a reset email would be worse.
            ctx.mailer.send(&email).map_err(|e| JobError {
                message: e.message,
                permanent: e.permanent,
            })
        }
        JobKind::AnalyzeVoice => analyze_voice(ctx, pool, job),
        JobKind::WorkflowStep => workflow_step(ctx, pool, job, worker),
        JobKind::DueReminders => {
            let mut conn = pool.get().map_err(|e| JobError {
                message: e.to_string(),
                permanent: false,
            })?;
            crate::jobs::reminders::run(&mut conn)
                .map(|sent| tracing::info!(sent, "due-date reminders checked"))
                .map_err(|e| JobError {
                    message: e.to_string(),
                    permanent: false,
                })
        }
        JobKind::ApprovalReminders => {
            let mut conn = pool.get().map_err(|e| JobError {
                message: e.to_string(),
                permanent: false,
            })?;
            crate::service::approvals::reminders::run(&mut conn)
                .map(|sent| tracing::info!(sent, "approval reminders checked"))
                .map_err(|e| JobError {
                    message: e.to_string(),
                    permanent: false,
                })
        }
        JobKind::NotifyEmail => {
            let notice: crate::service::notify::NoticeEmail = serde_json::from_str(&job.payload)
                .map_err(|e| JobError {
                    message: format!("bad payload: {e}"),
                    permanent: true,
                })?;
            let email = crate::service::email::templates::notification(&notice, &ctx.public_url)
                .map_err(|e| JobError {
                    message: e.to_string(),
                    permanent: true,
                })?;
            ctx.mailer.send(&email).map_err(|e| JobError {
                message: e.message,
                permanent: e.permanent,
            })
        }
    }
}

fn analyze_voice(ctx: &JobContext, pool: &DbPool, job: &Job) -> Result<(), JobError> {
    use crate::service::voice::{self, AnalysisJob, AnalysisOutcome};
    let payload: AnalysisJob = serde_json::from_str(&job.payload).map_err(|e| JobError {
        message: format!("bad payload: {e}"),
        permanent: true,
    })?;
    let give_up = |message: String| {
        if let Err(e) = voice::give_up(pool, &payload, &message) {
            tracing::error!(error = %e, "cannot record the failed voice analysis");
        }
        JobError {
            message,
            permanent: true,
        }
    };
    let agent = match ctx.agent.as_ref().map(|c| c.agent()) {
        None => return Err(give_up(crate::workflow::agents::NO_PROVIDER.to_string())),
        Some(Err(e)) => return Err(give_up(e.to_string())),
        Some(Ok(agent)) => agent,
    };
    match voice::run_analysis(pool, agent.as_ref(), &payload) {
        Ok(AnalysisOutcome::Done) => Ok(()),
        Ok(AnalysisOutcome::Failed(message)) => Err(JobError {
            message,
            permanent: true,
        }),
        Ok(AnalysisOutcome::Retry(message)) if job.attempts >= job.max_attempts => Err(give_up(
            format!("gave up after {} attempts: {message}", job.attempts),
        )),
        Ok(AnalysisOutcome::Retry(message)) => Err(JobError {
            message,
            permanent: false,
        }),
        Err(e) => Err(JobError {
            message: e.to_string(),
            permanent: false,
        }),
    }
}

fn workflow_step(ctx: &JobContext, pool: &DbPool, job: &Job, worker: &str) -> Result<(), JobError> {
    use crate::workflow::engine::{self, EngineCtx, StepError, StepJob};
    let payload: StepJob = serde_json::from_str(&job.payload).map_err(|e| JobError {
        message: format!("bad payload: {e}"),
        permanent: true,
    })?;
    // Renews the lease at most every third of its length while agents work, so a long state
    // is not taken over by another worker, yet a crashed worker's run resumes soon.
    let last_beat = std::sync::Mutex::new(Instant::now());
    let every = (ctx.lease / 3).to_std().unwrap_or(Duration::from_secs(60));
    let heartbeat = || {
        let Ok(mut last) = last_beat.lock() else {
            return;
        };
        if last.elapsed() < every {
            return;
        }
        *last = Instant::now();
        if let Ok(mut conn) = pool.get() {
            if let Err(e) = queue::extend_lease(&mut conn, &job.id, worker, ctx.lease) {
                tracing::warn!(job_id = %job.id, error = %e, "cannot renew the job lease");
            }
        }
    };
    let engine_ctx = EngineCtx {
        pool,
        providers: &ctx.providers,
        heartbeat: Some(&heartbeat),
    };
    match engine::run_step(&engine_ctx, &payload) {
        Ok(()) => Ok(()),
        Err(StepError::Retry(message)) if job.attempts >= job.max_attempts => {
            engine::fail_run(pool, &payload, &message);
            Err(JobError {
                message,
                permanent: true,
            })
        }
        Err(StepError::Retry(message)) => Err(JobError {
            message,
            permanent: false,
        }),
        Err(StepError::Fatal(message)) => {
            engine::fail_run(pool, &payload, &message);
            Err(JobError {
                message,
                permanent: true,
            })
        }
    }
}
