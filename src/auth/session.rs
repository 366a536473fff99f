//! Server-side session records. The cookie (an encrypted actix-session cookie) carries only a
//! random 256-bit token; the database keeps its digest, so a session can be listed and revoked.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::auth::tokens;
use crate::db::schema::{sessions, users};
use crate::db::DbConn;
use crate::model::{now, NewSession, SessionId, SessionRow, User, UserId};

/// A session ends after this long without a request.
pub const IDLE_TIMEOUT: Duration = Duration::days(7);
/// And after this long whatever happens.
pub const ABSOLUTE_LIFETIME: Duration = Duration::days(30);
/// last_seen is written at most this often, so reads stay reads.
const TOUCH_EVERY: Duration = Duration::seconds(60);

/// Cookie-session keys.
pub const SID_KEY: &str = "sid";

pub fn create(
    conn: &mut DbConn,
    user_id: &UserId,
    user_agent: Option<&str>,
    ip: Option<&str>,
) -> QueryResult<(SessionId, String)> {
    let token = tokens::new_secret_token();
    let id = SessionId::new();
    let at = now();
    let ua = user_agent.map(|s| truncate(s, 500));
    diesel::insert_into(sessions::table)
        .values(NewSession {
            id: &id,
            token_hash: &tokens::sha256_hex(&token),
            user_id,
            user_agent: ua.as_deref(),
            ip_address: ip,
            created_at: at,
            last_seen_at: at,
            expires_at: at + ABSOLUTE_LIFETIME,
        })
        .execute(conn)?;
    Ok((id, token))
}

/// The live session and its user for a cookie token, if the session is neither revoked,
/// expired nor idle, and the user is active.
pub fn lookup(conn: &mut DbConn, token: &str) -> QueryResult<Option<(SessionRow, User)>> {
    let at = now();
    let found: Option<(SessionRow, User)> = sessions::table
        .inner_join(users::table)
        .filter(sessions::token_hash.eq(tokens::sha256_hex(token)))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(at))
        .filter(sessions::last_seen_at.gt(at - IDLE_TIMEOUT))
        .filter(users::is_active.eq(true))
        .select((SessionRow::as_select(), User::as_select()))
        .first(conn)
        .optional()?;
    if let Some((session, _)) = &found {
        if at - session.last_seen_at > TOUCH_EVERY {
            diesel::update(sessions::table.find(&session.id))
                .set(sessions::last_seen_at.eq(at))
                .execute(conn)?;
        }
    }
    Ok(found)
}

pub fn list_active(conn: &mut DbConn, user_id: &UserId) -> QueryResult<Vec<SessionRow>> {
    let at = now();
    sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(at))
        .filter(sessions::last_seen_at.gt(at - IDLE_TIMEOUT))
        .order(sessions::last_seen_at.desc())
        .select(SessionRow::as_select())
        .load(conn)
}

/// Revokes one of the user's own sessions. Returns false when there is no such live session.
pub fn revoke(conn: &mut DbConn, user_id: &UserId, id: &SessionId) -> QueryResult<bool> {
    let n = diesel::update(
        sessions::table
            .filter(sessions::id.eq(id))
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(now()))
    .execute(conn)?;
    Ok(n == 1)
}

/// Revokes every live session of the user except `keep`. Returns how many were revoked.
pub fn revoke_all(
    conn: &mut DbConn,
    user_id: &UserId,
    keep: Option<&SessionId>,
) -> QueryResult<usize> {
    let keep = keep.map(|k| k.as_str().to_string()).unwrap_or_default();
    diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::revoked_at.is_null())
            .filter(sessions::id.ne(keep)),
    )
    .set(sessions::revoked_at.eq(now()))
    .execute(conn)
}

pub fn expires_at(row: &SessionRow) -> NaiveDateTime {
    row.expires_at.min(row.last_seen_at + IDLE_TIMEOUT)
}

fn truncate(s: &str, max_chars: usize) -> String {
    s.chars().take(max_chars).collect()
}

/// A short human description of a user agent: "Firefox on Linux".
pub fn describe_device(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent else {
        return "Unknown device".into();
    };
    let browser = if ua.contains("Edg/") {
        "Edge"
    } else if ua.contains("OPR/") {
        "Opera"
    } else if ua.contains("Firefox/") {
        "Firefox"
    } else if ua.contains("Chrome/") || ua.contains("Chromium/") {
        if ua.contains("HeadlessChrome") {
            "Headless Chrome"
        } else {
            "Chrome"
        }
    } else if ua.contains("Safari/") {
        "Safari"
    } else if ua.starts_with("curl/") {
        "curl"
    } else {
        "Browser"
    };
    let os = if ua.contains("Android") {
        "Android"
    } else if ua.contains("iPhone") || ua.contains("iPad") {
        "iOS"
    } else if ua.contains("Windows") {
        "Windows"
    } else if ua.contains("Mac OS X") || ua.contains("Macintosh") {
        "macOS"
    } else if ua.contains("Linux") {
        "Linux"
    } else {
        "an unknown system"
    };
    format!("{browser} on {os}")
}

#[cfg(test)]
mod tests {
    use super::describe_device;

    #[test]
    fn devices_are_described_plainly() {
        assert_eq!(
            describe_device(Some(
                "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
            )),
            "Firefox on Linux"
        );
        assert_eq!(describe_device(None), "Unknown device");
    }
}
