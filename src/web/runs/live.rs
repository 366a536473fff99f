//! `GET /w/{slug}/runs/{id}/events`: the run's event log as Server-Sent Events. Each row goes
//! out once with its id as the SSE id, so a browser that reconnects (sending `Last-Event-ID`)
//! or a page that passes `?after=` gets exactly what it has not seen. The stream ends after the
//! run's last event; a finished run with nothing left to send answers 204, which tells
//! EventSource not to reconnect.

use std::time::{Duration, Instant};

use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::HttpResponse;
use serde_json::Value;

use crate::auth::{need, Member, Tenant};
use crate::db::DbPool;
use crate::error::{AppError, AppResult};
use crate::model::{RunEvent, RunId};
use crate::repo;
use crate::web::board::filters::Params;
use crate::web::Ctx;
use crate::workflow::engine::events::{describe, kind};

use super::run_id;

const POLL: Duration = Duration::from_millis(500);
const KEEP_ALIVE: Duration = Duration::from_secs(15);
const RECHECK: Duration = Duration::from_secs(30);
const LIFETIME: Duration = Duration::from_secs(30 * 60);
const BATCH: i64 = 200;

/// One event in the wire format. The data is the payload object with `text` (the one-line
/// description) and `at` (RFC 3339, UTC) added; serialised JSON holds no raw line breaks.
pub fn frame(e: &RunEvent) -> String {
    let mut data = match serde_json::from_str::<Value>(&e.payload) {
        Ok(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    let text = describe(&e.kind, &Value::Object(data.clone()));
    data.insert("text".into(), Value::from(text));
    data.insert(
        "at".into(),
        Value::from(e.created_at.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
    );
    let kind: String = e
        .kind
        .chars()
        .filter(|c| !matches!(c, '\r' | '\n'))
        .collect();
    format!(
        "id: {}\nevent: {}\ndata: {}\n\n",
        e.id,
        kind,
        Value::Object(data)
    )
}

fn resume_point(ctx: &Ctx) -> i64 {
    let header_id = ctx
        .req
        .headers()
        .get("Last-Event-ID")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    header_id
        .or_else(|| {
            Params::parse(ctx.req.query_string())
                .get("after")
                .parse::<i64>()
                .ok()
        })
        .unwrap_or(0)
        .max(0)
}

struct Feed {
    pool: DbPool,
    tenant: Tenant,
    run: RunId,
    after: i64,
    /// Rows read before the stream opened, sent first.
    backlog: Vec<RunEvent>,
    finished: bool,
    opened: Instant,
    last_write: Instant,
    last_check: Instant,
    greeted: bool,
}

enum Step {
    Send(String),
    Wait,
    End,
}

fn send(feed: &mut Feed, rows: Vec<RunEvent>) -> Step {
    feed.after = rows.last().map_or(feed.after, |r| r.id);
    if rows.iter().any(|r| r.kind == kind::RUN_FINISHED) {
        feed.finished = true;
    }
    Step::Send(rows.iter().map(frame).collect())
}

async fn step(feed: &mut Feed) -> Step {
    if !feed.greeted {
        feed.greeted = true;
        return Step::Send("retry: 3000\n: connected\n\n".into());
    }
    if !feed.backlog.is_empty() {
        let rows = std::mem::take(&mut feed.backlog);
        return send(feed, rows);
    }
    if feed.opened.elapsed() >= LIFETIME {
        return Step::End;
    }
    let (tenant, run, after) = (feed.tenant.clone(), feed.run.clone(), feed.after);
    let recheck = feed.last_check.elapsed() >= RECHECK;
    let finished = feed.finished;
    let read = crate::db::run(&feed.pool, move |conn| {
        if recheck && !repo::memberships::is_member(conn, &tenant, tenant.user_id())? {
            return Ok(None);
        }
        let rows = repo::runs::events_since(conn, &tenant, &run, after, BATCH)?;
        // The run ended and its last event went out: nothing more will come.
        let done = rows.is_empty()
            && (finished
                || repo::runs::find(conn, &tenant, &run)?.is_none_or(|r| r.status.is_final()));
        Ok(Some((rows, done)))
    })
    .await;
    if recheck {
        feed.last_check = Instant::now();
    }
    match read {
        Ok(None) | Ok(Some((_, true))) => Step::End,
        Ok(Some((rows, false))) if !rows.is_empty() => send(feed, rows),
        Ok(Some(_)) if feed.last_write.elapsed() >= KEEP_ALIVE => {
            Step::Send(": keep-alive\n\n".into())
        }
        Ok(Some(_)) => Step::Wait,
        Err(e) => {
            tracing::warn!(error = %e, "run event stream read failed");
            Step::End
        }
    }
}

/// `GET /w/{slug}/runs/{id}/events`
pub async fn events(
    ctx: Ctx,
    member: Member<need::WorkflowRead>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let id = run_id(&path.1)?;
    let after = resume_point(&ctx);
    let (tenant, run) = (member.tenant.clone(), id.clone());
    let (backlog, is_final) = crate::db::run(&ctx.state.pool, move |conn| {
        let found = repo::runs::find(conn, &tenant, &run)?.ok_or(AppError::NotFound)?;
        let rows = repo::runs::events_since(conn, &tenant, &run, after, BATCH)?;
        Ok((rows, found.status.is_final()))
    })
    .await?;
    if is_final && backlog.is_empty() {
        return Ok(HttpResponse::NoContent()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish());
    }
    let now = Instant::now();
    let feed = Feed {
        pool: ctx.state.pool.clone(),
        tenant: member.tenant.clone(),
        run: id,
        after,
        backlog,
        finished: false,
        opened: now,
        last_write: now,
        last_check: now,
        greeted: false,
    };
    let stream = futures_util::stream::unfold(feed, |mut feed| async move {
        loop {
            match step(&mut feed).await {
                Step::Send(text) => {
                    feed.last_write = Instant::now();
                    return Some((Ok::<_, actix_web::Error>(Bytes::from(text)), feed));
                }
                Step::Wait => tokio::time::sleep(POLL).await,
                Step::End => return None,
            }
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::CONTENT_ENCODING, "identity"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(stream))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_carries_the_payload_with_text_and_time() {
        let e = RunEvent {
            id: 12,
            workspace_id: crate::model::WorkspaceId::new(),
            run_id: RunId::new(),
            kind: "transition".into(),
            payload: r#"{"from":"draft","to":"audit"}"#.into(),
            created_at: chrono::NaiveDate::from_ymd_opt(2026, 1, 2)
                .unwrap()
                .and_hms_opt(3, 4, 5)
                .unwrap(),
        };
        let f = frame(&e);
        assert!(f.starts_with("id: 12\nevent: transition\ndata: {"), "{f}");
        assert!(f.ends_with("}\n\n"));
        let data: Value =
            serde_json::from_str(f.lines().find_map(|l| l.strip_prefix("data: ")).unwrap())
                .unwrap();
        assert_eq!(data["to"], "audit");
        assert_eq!(data["text"], "draft \u{2192} audit");
        assert_eq!(data["at"], "2026-01-02T03:04:05Z");
    }
}
