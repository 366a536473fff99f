//! Brute-force throttling kept in the database, so it holds across restarts and across app
//! instances that share one PostgreSQL.

use chrono::Duration;
use diesel::prelude::*;

use crate::db::schema::auth_attempts as a;
use crate::db::DbConn;
use crate::model::{now, AuthAttemptId, AuthAttemptKind};

pub const WINDOW: Duration = Duration::minutes(15);
/// Failed sign-ins allowed per account, and per IP address, inside the window.
pub const MAX_FAILED_LOGINS: i64 = 10;
/// Reset emails per address inside the window; more are dropped silently.
pub const MAX_RESET_REQUESTS: i64 = 5;

pub fn record(conn: &mut DbConn, kind: AuthAttemptKind, email: &str, ip: &str) -> QueryResult<()> {
    diesel::insert_into(a::table)
        .values((
            a::id.eq(AuthAttemptId::new()),
            a::kind.eq(kind),
            a::email.eq(email),
            a::ip_address.eq(ip),
            a::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Attempts of this kind in the window, for the email and for the IP.
pub fn counts(
    conn: &mut DbConn,
    kind: AuthAttemptKind,
    email: &str,
    ip: &str,
) -> QueryResult<(i64, i64)> {
    let since = now() - WINDOW;
    let by_email = a::table
        .filter(a::kind.eq(kind))
        .filter(a::email.eq(email))
        .filter(a::created_at.gt(since))
        .count()
        .get_result(conn)?;
    let by_ip = a::table
        .filter(a::kind.eq(kind))
        .filter(a::ip_address.eq(ip))
        .filter(a::created_at.gt(since))
        .count()
        .get_result(conn)?;
    Ok((by_email, by_ip))
}

/// A successful sign-in forgets the account's failures (the IP's stay counted).
pub fn clear_for_email(conn: &mut DbConn, kind: AuthAttemptKind, email: &str) -> QueryResult<()> {
    diesel::delete(a::table.filter(a::kind.eq(kind)).filter(a::email.eq(email))).execute(conn)?;
    Ok(())
}

/// Drops rows older than the window; the job worker calls it now and then.
pub fn prune(conn: &mut DbConn) -> QueryResult<usize> {
    diesel::delete(a::table.filter(a::created_at.lt(now() - WINDOW))).execute(conn)
}
