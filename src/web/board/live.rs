//! The workspace's event log as a Server-Sent Events stream. Each `workspace_events` row is
//! sent once, with its id as the SSE id, so a browser that reconnects (EventSource does so on
//! its own, sending `Last-Event-ID`) gets exactly what it missed.

use std::time::{Duration, Instant};

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::HttpResponse;

use crate::auth::{need, Member, Tenant};
use crate::db::DbPool;
use crate::error::AppResult;
use crate::model::WorkspaceEventRow;
use crate::repo;
use crate::web::board::filters::Params;
use crate::web::Ctx;

/// How often the table is read.
const POLL: Duration = Duration::from_secs(1);
/// A comment this often keeps proxies from closing an idle stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// How often the stream checks that the user is still a member.
const RECHECK: Duration = Duration::from_secs(30);
/// The stream ends after this long; the browser reconnects where it left off.
const LIFETIME: Duration = Duration::from_secs(30 * 60);
/// Most rows sent per read; a longer backlog drains over several reads.
const BATCH: i64 = 100;

struct Feed {
    pool: DbPool,
    tenant: Tenant,
    after: i64,
    opened: Instant,
    last_write: Instant,
    last_check: Instant,
    greeted: bool,
}

/// One event in the wire format: `id`, `event` and one `data` line per payload line.
pub fn frame(row: &WorkspaceEventRow) -> String {
    let kind: String = row
        .kind
        .chars()
        .filter(|c| !matches!(c, '\r' | '\n'))
        .collect();
    let mut out = format!("id: {}\nevent: {}\n", row.id, kind);
    for line in row.payload.lines() {
        out.push_str("data: ");
        out.push_str(line);
        out.push('\n');
    }
    if row.payload.is_empty() {
        out.push_str("data:\n");
    }
    out.push('\n');
    out
}

/// The event id to start after: `Last-Event-ID` (a reconnect), then `?after=`, else `None`.
fn resume_point(ctx: &Ctx) -> Option<i64> {
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
        .map(|id| id.max(0))
}

enum Step {
    Send(String),
    Wait,
    End,
}

async fn step(feed: &mut Feed) -> Step {
    if !feed.greeted {
        feed.greeted = true;
        // The retry hint, and a first chunk so the response starts at once.
        return Step::Send("retry: 3000\n: connected\n\n".into());
    }
    if feed.opened.elapsed() >= LIFETIME {
        return Step::End;
    }
    let (tenant, after) = (feed.tenant.clone(), feed.after);
    let recheck = feed.last_check.elapsed() >= RECHECK;
    let read = crate::db::run(&feed.pool, move |conn| {
        if recheck && !repo::memberships::is_member(conn, &tenant, tenant.user_id())? {
            return Ok(None);
        }
        Ok(Some(repo::workspace_events::since(
            conn, &tenant, after, BATCH,
        )?))
    })
    .await;
    if recheck {
        feed.last_check = Instant::now();
    }
    match read {
        Ok(None) => Step::End,
        Ok(Some(rows)) if !rows.is_empty() => {
            feed.after = rows.last().map_or(feed.after, |r| r.id);
            Step::Send(rows.iter().map(frame).collect())
        }
        Ok(Some(_)) if feed.last_write.elapsed() >= KEEP_ALIVE => {
            Step::Send(": keep-alive\n\n".into())
        }
        Ok(Some(_)) => Step::Wait,
        Err(e) => {
            // The browser reconnects from its last id; a database hiccup loses nothing.
            tracing::warn!(error = %e, "board event stream read failed");
            Step::End
        }
    }
}

/// `GET /w/{slug}/board/events`
pub async fn events(ctx: Ctx, member: Member<need::ContentRead>) -> AppResult<HttpResponse> {
    let tenant = member.tenant.clone();
    let after = match resume_point(&ctx) {
        Some(id) => id,
        None => {
            let t = tenant.clone();
            crate::db::run(&ctx.state.pool, move |conn| {
                Ok(repo::workspace_events::latest_id(conn, &t)?)
            })
            .await?
        }
    };
    let now = Instant::now();
    let feed = Feed {
        pool: ctx.state.pool.clone(),
        tenant,
        after,
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
        // Compression would hold events back until a buffer fills; proxies likewise.
        .insert_header((header::CONTENT_ENCODING, "identity"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(stream))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_has_id_event_and_data() {
        let row = WorkspaceEventRow {
            id: 7,
            workspace_id: crate::model::WorkspaceId::new(),
            kind: "post.status_changed".into(),
            actor_id: None,
            subject_id: None,
            payload: "{\"a\":1}".into(),
            created_at: crate::model::now(),
        };
        assert_eq!(
            frame(&row),
            "id: 7\nevent: post.status_changed\ndata: {\"a\":1}\n\n"
        );
    }
}
