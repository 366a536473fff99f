//! Password reset tokens, stored as SHA-256 digests.

use diesel::prelude::*;

use crate::db::schema::password_reset_tokens as t;
use crate::db::DbConn;
use crate::model::{now, ResetToken, ResetTokenId, UserId};

pub const LIFETIME: chrono::Duration = chrono::Duration::minutes(60);

/// Stores a new token for the user and retires any older unused one.
pub fn replace(conn: &mut DbConn, user_id: &UserId, token_hash: &str) -> QueryResult<()> {
    let at = now();
    diesel::update(
        t::table
            .filter(t::user_id.eq(user_id))
            .filter(t::used_at.is_null()),
    )
    .set(t::used_at.eq(at))
    .execute(conn)?;
    diesel::insert_into(t::table)
        .values((
            t::id.eq(ResetTokenId::new()),
            t::user_id.eq(user_id),
            t::token_hash.eq(token_hash),
            t::expires_at.eq(at + LIFETIME),
            t::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The unused, unexpired token with this digest.
pub fn find_usable(conn: &mut DbConn, token_hash: &str) -> QueryResult<Option<ResetToken>> {
    t::table
        .filter(t::token_hash.eq(token_hash))
        .filter(t::used_at.is_null())
        .filter(t::expires_at.gt(now()))
        .select(ResetToken::as_select())
        .first(conn)
        .optional()
}

/// Marks the token used. False when someone else used it first, so it works exactly once.
pub fn consume(conn: &mut DbConn, id: &ResetTokenId) -> QueryResult<bool> {
    let n = diesel::update(t::table.find(id).filter(t::used_at.is_null()))
        .set(t::used_at.eq(now()))
        .execute(conn)?;
    Ok(n == 1)
}
