//! Enqueue, claim, complete and fail. A claimed job holds a lease; a job whose worker died is
//! claimed again when the lease runs out.

use chrono::Duration;
use diesel::prelude::*;
use rand::Rng;

use crate::db::schema::jobs as j;
use crate::db::DbConn;
use crate::jobs::JobKind;
use crate::model::{now, Job, JobId, JobStatus};

/// How long a claimed job is held before another worker may take it over. Long jobs renew
/// it with `extend_lease`.
pub const LEASE: Duration = Duration::minutes(5);

pub fn enqueue(conn: &mut DbConn, kind: JobKind, payload: &str) -> QueryResult<JobId> {
    enqueue_at(conn, kind, payload, now())
}

/// Enqueues a job that becomes due at `run_at`.
pub fn enqueue_at(
    conn: &mut DbConn,
    kind: JobKind,
    payload: &str,
    run_at: chrono::NaiveDateTime,
) -> QueryResult<JobId> {
    let id = JobId::new();
    let at = now();
    diesel::insert_into(j::table)
        .values((
            j::id.eq(&id),
            j::kind.eq(kind.as_str()),
            j::payload.eq(payload),
            j::status.eq(JobStatus::Queued),
            j::run_at.eq(run_at),
            j::attempts.eq(0),
            j::max_attempts.eq(kind.max_attempts()),
            j::created_at.eq(at),
            j::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(id)
}

#[derive(QueryableByName)]
struct ClaimedId {
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
}

/// Only jobs of one kind whose payload contains a marker (a run id), for a process that
/// must work on its own job and nobody else's.
#[derive(Debug, Clone, Copy)]
pub struct Only<'a> {
    pub kind: JobKind,
    pub payload_contains: &'a str,
}

/// Takes the oldest due job (or one whose lease expired) for `worker`, if any.
pub fn claim(conn: &mut DbConn, worker: &str, lease: Duration) -> QueryResult<Option<Job>> {
    claim_where(conn, worker, lease, None)
}

/// `claim`, optionally limited to the jobs `only` describes.
///
/// PostgreSQL: one statement with `FOR UPDATE SKIP LOCKED`, so workers on many instances never
/// wait on each other. SQLite has a single writer: pick a candidate, then take it with a
/// conditional update that only one worker can win.
pub fn claim_where(
    conn: &mut DbConn,
    worker: &str,
    lease: Duration,
    only: Option<Only<'_>>,
) -> QueryResult<Option<Job>> {
    let at = now();
    let until = at + lease;
    // Without a filter the extra condition is always true: '' is in every payload.
    let (kind, marker) = match only {
        Some(o) => (Some(o.kind.as_str()), o.payload_contains),
        None => (None, ""),
    };
    let claimed_id: Option<String> = match conn {
        DbConn::Pg(pg) => diesel::sql_query(
            "UPDATE jobs SET status = 'running', locked_by = $1, locked_until = $2, \
             attempts = attempts + 1, updated_at = $3 \
             WHERE id = (SELECT id FROM jobs \
                WHERE ((status = 'queued' AND run_at <= $3) \
                   OR (status = 'running' AND locked_until < $3)) \
                  AND ($4::text IS NULL OR kind = $4) \
                  AND strpos(payload, $5) > 0 \
                ORDER BY run_at LIMIT 1 FOR UPDATE SKIP LOCKED) \
             RETURNING id",
        )
        .bind::<diesel::sql_types::Text, _>(worker)
        .bind::<diesel::sql_types::Timestamp, _>(until)
        .bind::<diesel::sql_types::Timestamp, _>(at)
        .bind::<diesel::sql_types::Nullable<diesel::sql_types::Text>, _>(kind)
        .bind::<diesel::sql_types::Text, _>(marker)
        .get_result::<ClaimedId>(pg)
        .optional()?
        .map(|r| r.id),
        DbConn::Sqlite(_) => {
            let due = j::status
                .eq(JobStatus::Queued)
                .and(j::run_at.le(at))
                .or(j::status.eq(JobStatus::Running).and(j::locked_until.lt(at)));
            let mut query = j::table.filter(due).into_boxed();
            if let Some(kind) = kind {
                query = query
                    .filter(j::kind.eq(kind))
                    .filter(j::payload.like(format!("%{marker}%")));
            }
            let candidate: Option<JobId> = query
                .order(j::run_at.asc())
                .select(j::id)
                .first(conn)
                .optional()?;
            match candidate {
                None => None,
                Some(id) => {
                    let won = diesel::update(j::table.find(&id).filter(due))
                        .set((
                            j::status.eq(JobStatus::Running),
                            j::locked_by.eq(worker),
                            j::locked_until.eq(until),
                            j::attempts.eq(j::attempts + 1),
                            j::updated_at.eq(at),
                        ))
                        .execute(conn)?;
                    (won == 1).then(|| id.as_str().to_string())
                }
            }
        }
    };
    match claimed_id.as_deref().and_then(JobId::parse) {
        Some(id) => j::table
            .find(id)
            .select(Job::as_select())
            .first(conn)
            .optional(),
        None => Ok(None),
    }
}

/// Renews the lease of a job this worker still holds.
pub fn extend_lease(
    conn: &mut DbConn,
    id: &JobId,
    worker: &str,
    lease: Duration,
) -> QueryResult<bool> {
    let n = diesel::update(
        j::table
            .find(id)
            .filter(j::locked_by.eq(worker))
            .filter(j::status.eq(JobStatus::Running)),
    )
    .set(j::locked_until.eq(now() + lease))
    .execute(conn)?;
    Ok(n == 1)
}

/// Marks the job done, if this worker still holds it.
pub fn complete(conn: &mut DbConn, job: &Job, worker: &str) -> QueryResult<()> {
    let at = now();
    diesel::update(j::table.find(&job.id).filter(j::locked_by.eq(worker)))
        .set((
            j::status.eq(JobStatus::Done),
            j::locked_by.eq(None::<String>),
            j::locked_until.eq(None::<chrono::NaiveDateTime>),
            j::last_error.eq(None::<String>),
            j::finished_at.eq(at),
            j::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The wait before attempt `attempts + 1`: 10 s doubling to at most an hour, plus up to a
/// quarter of jitter so retries of many jobs do not arrive together.
pub fn backoff(attempts: i32) -> Duration {
    let base = 10i64
        .saturating_mul(1i64 << attempts.clamp(0, 20).saturating_sub(1))
        .min(3600);
    let jitter = rand::rng().random_range(0..=base / 4);
    Duration::seconds(base + jitter)
}

/// Records a failure: retried later with backoff, or failed for good when `permanent` or out of
/// attempts.
pub fn fail(
    conn: &mut DbConn,
    job: &Job,
    worker: &str,
    error: &str,
    permanent: bool,
) -> QueryResult<JobStatus> {
    let at = now();
    let error: String = error.chars().take(2000).collect();
    let give_up = permanent || job.attempts >= job.max_attempts;
    let status = if give_up {
        JobStatus::Failed
    } else {
        JobStatus::Queued
    };
    diesel::update(j::table.find(&job.id).filter(j::locked_by.eq(worker)))
        .set((
            j::status.eq(status),
            j::locked_by.eq(None::<String>),
            j::locked_until.eq(None::<chrono::NaiveDateTime>),
            j::last_error.eq(&error),
            j::run_at.eq(if give_up {
                job.run_at
            } else {
                at + backoff(job.attempts)
            }),
            j::finished_at.eq(if give_up { Some(at) } else { None }),
            j::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(status)
}

pub fn find(conn: &mut DbConn, id: &JobId) -> QueryResult<Option<Job>> {
    j::table
        .find(id)
        .select(Job::as_select())
        .first(conn)
        .optional()
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff(1).num_seconds() >= 10 && backoff(1).num_seconds() <= 12);
        assert!(backoff(3).num_seconds() >= 40);
        assert!(backoff(30).num_seconds() <= 4500);
    }
}
