//! The bell's live count: a Server-Sent Events stream for the signed-in user that sends an
//! `unread` event whenever their unread count changes. Same wire habits as the board's stream
//! (no caching, no compression, keep-alive comments, a capped lifetime).

use std::time::{Duration, Instant};

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::HttpResponse;

use crate::auth::{session as sessions, AuthUser};
use crate::db::DbPool;
use crate::error::AppResult;
use crate::model::{SessionId, UserId};
use crate::repo;
use crate::web::Ctx;

/// How often the count is read.
const POLL: Duration = Duration::from_secs(2);
/// A comment this often keeps proxies from closing an idle stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// How often the stream checks that its session was not revoked meanwhile.
const RECHECK: Duration = Duration::from_secs(60);
/// The stream ends after this long; the browser reconnects on its own.
const LIFETIME: Duration = Duration::from_secs(30 * 60);

struct Feed {
    pool: DbPool,
    user: UserId,
    session: SessionId,
    last_count: Option<i64>,
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

pub fn frame(count: i64) -> String {
    format!("event: unread\ndata: {count}\n\n")
}

async fn step(feed: &mut Feed) -> Step {
    if !feed.greeted {
        feed.greeted = true;
        return Step::Send("retry: 5000\n: connected\n\n".into());
    }
    if feed.opened.elapsed() >= LIFETIME {
        return Step::End;
    }
    let (user, session) = (feed.user.clone(), feed.session.clone());
    let recheck = feed.last_check.elapsed() >= RECHECK;
    let read = crate::db::run(&feed.pool, move |conn| {
        if recheck
            && !sessions::list_active(conn, &user)?
                .iter()
                .any(|s| s.id == session)
        {
            return Ok(None);
        }
        Ok(Some(repo::notifications::unread_count(conn, &user)?))
    })
    .await;
    if recheck {
        feed.last_check = Instant::now();
    }
    match read {
        Ok(None) => Step::End,
        Ok(Some(count)) if feed.last_count != Some(count) => {
            feed.last_count = Some(count);
            Step::Send(frame(count))
        }
        Ok(Some(_)) if feed.last_write.elapsed() >= KEEP_ALIVE => {
            Step::Send(": keep-alive\n\n".into())
        }
        Ok(Some(_)) => Step::Wait,
        Err(e) => {
            tracing::warn!(error = %e, "notification stream read failed");
            Step::End
        }
    }
}

/// `GET /notifications/events`
pub async fn events(ctx: Ctx, auth: AuthUser) -> AppResult<HttpResponse> {
    let now = Instant::now();
    let feed = Feed {
        pool: ctx.state.pool.clone(),
        user: auth.user.id.clone(),
        session: auth.session_id.clone(),
        last_count: None,
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
    #[test]
    fn an_unread_frame_carries_the_count() {
        assert_eq!(super::frame(4), "event: unread\ndata: 4\n\n");
    }
}
