//! Users are global identities, not tenant rows.

use diesel::prelude::*;

use crate::db::schema::users as u;
use crate::db::DbConn;
use crate::model::{now, NewUser, SystemRole, Theme, User, UserId, WorkspaceId};

pub fn insert(conn: &mut DbConn, new: &NewUser<'_>) -> QueryResult<()> {
    diesel::insert_into(u::table).values(new).execute(conn)?;
    Ok(())
}

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    u::table.count().get_result(conn)
}

pub fn find(conn: &mut DbConn, id: &UserId) -> QueryResult<Option<User>> {
    u::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// `email` must already be normalised (trimmed, lowercase).
pub fn find_by_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<User>> {
    u::table
        .filter(u::email.eq(email))
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn set_name(conn: &mut DbConn, id: &UserId, name: &str) -> QueryResult<()> {
    diesel::update(u::table.find(id))
        .set((u::name.eq(name), u::updated_at.eq(now())))
        .execute(conn)?;
    Ok(())
}

pub fn set_password_hash(conn: &mut DbConn, id: &UserId, hash: &str) -> QueryResult<()> {
    diesel::update(u::table.find(id))
        .set((u::password_hash.eq(hash), u::updated_at.eq(now())))
        .execute(conn)?;
    Ok(())
}

pub fn set_theme(conn: &mut DbConn, id: &UserId, theme: Theme) -> QueryResult<()> {
    diesel::update(u::table.find(id))
        .set((u::theme.eq(theme), u::updated_at.eq(now())))
        .execute(conn)?;
    Ok(())
}

pub fn set_default_workspace(
    conn: &mut DbConn,
    id: &UserId,
    workspace: Option<&WorkspaceId>,
) -> QueryResult<()> {
    diesel::update(u::table.find(id))
        .set((
            u::default_workspace_id.eq(workspace),
            u::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_system_role(conn: &mut DbConn, id: &UserId, role: SystemRole) -> QueryResult<()> {
    diesel::update(u::table.find(id))
        .set((u::system_role.eq(role), u::updated_at.eq(now())))
        .execute(conn)?;
    Ok(())
}

/// The earliest system owner, for operator commands that need someone to act as.
pub fn first_system_owner(conn: &mut DbConn) -> QueryResult<Option<User>> {
    u::table
        .filter(u::system_role.eq(SystemRole::Owner))
        .order((u::created_at.asc(), u::id.asc()))
        .select(User::as_select())
        .first(conn)
        .optional()
}
