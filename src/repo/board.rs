//! The board's read model: the cards of one column (exactly the fields a card shows) and the
//! per-column counts, under the same filters. A board is one query per column plus one count
//! query, however many posts the workspace has.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::Tenant;
use crate::db::schema::{chapters as c, posts as p, users as u};
use crate::db::DbConn;
use crate::model::{ChapterId, PostId, PostStatus, Priority, UserId};

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// Whose cards to show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum AssigneeFilter {
    #[default]
    Anyone,
    Nobody,
    User(UserId),
}

/// Due dates are calendar days (UTC): a post due today is not overdue until tomorrow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueFilter {
    /// Due before today and not published.
    Overdue,
    /// Due today or within the seven days after it.
    Week,
}

/// What narrows the board. The default shows every card.
#[derive(Debug, Clone, Default)]
pub struct BoardFilter {
    pub assignee: AssigneeFilter,
    pub chapter: Option<ChapterId>,
    pub priority: Option<Priority>,
    pub due: Option<DueFilter>,
    /// Matched case-insensitively anywhere in the title.
    pub text: Option<String>,
}

/// Exactly what a card shows.
#[derive(Debug, Clone, Queryable)]
pub struct Card {
    pub id: PostId,
    pub title: String,
    pub status: PostStatus,
    pub priority: Priority,
    pub due_date: Option<NaiveDateTime>,
    pub last_run_score: Option<i32>,
    pub chapter_title: Option<String>,
    pub assignee_id: Option<UserId>,
    pub assignee_name: Option<String>,
}

/// Midnight (UTC) at the start of the day `at` falls in: the boundary for "overdue".
pub fn day_start(at: NaiveDateTime) -> NaiveDateTime {
    at.date().and_time(chrono::NaiveTime::MIN)
}

/// Whether a card with this due date and status counts as overdue on the day starting `today`.
pub fn is_overdue(due: Option<NaiveDateTime>, status: PostStatus, today: NaiveDateTime) -> bool {
    status != PostStatus::Published && due.is_some_and(|d| d < today)
}

/// `%` and `_` typed by the user are literal characters, not wildcards.
fn like_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for ch in text.chars() {
        if matches!(ch, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('%');
    out
}

/// Adds the tenant scope and the filter to a boxed query over `posts` (joined or not).
macro_rules! narrowed {
    ($query:expr, $tenant:expr, $filter:expr, $today:expr) => {{
        let filter: &BoardFilter = $filter;
        let today: NaiveDateTime = $today;
        let mut q = $query.filter(p::workspace_id.eq($tenant.workspace_id().clone()));
        match &filter.assignee {
            AssigneeFilter::Anyone => {}
            AssigneeFilter::Nobody => q = q.filter(p::assignee_id.is_null()),
            AssigneeFilter::User(id) => q = q.filter(p::assignee_id.eq(id.clone())),
        }
        if let Some(chapter) = &filter.chapter {
            q = q.filter(p::chapter_id.eq(chapter.clone()));
        }
        if let Some(priority) = filter.priority {
            q = q.filter(p::priority.eq(priority));
        }
        match filter.due {
            None => {}
            Some(DueFilter::Overdue) => {
                q = q
                    .filter(p::due_date.lt(today))
                    .filter(p::status.ne(PostStatus::Published))
            }
            Some(DueFilter::Week) => {
                q = q
                    .filter(p::due_date.ge(today))
                    .filter(p::due_date.lt(today + chrono::Duration::days(8)))
            }
        }
        if let Some(text) = filter.text.as_deref().filter(|t| !t.is_empty()) {
            q = q.filter(
                lower(p::title)
                    .like(like_pattern(&text.to_lowercase()))
                    .escape('\\'),
            );
        }
        q
    }};
}

/// One page of a column's cards, in board order.
pub fn column(
    conn: &mut DbConn,
    tenant: &Tenant,
    status: PostStatus,
    filter: &BoardFilter,
    today: NaiveDateTime,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<Card>> {
    let base = p::table
        .left_join(
            c::table.on(c::id
                .nullable()
                .eq(p::chapter_id)
                .and(c::workspace_id.eq(p::workspace_id))),
        )
        .left_join(u::table.on(u::id.nullable().eq(p::assignee_id)))
        .select((
            p::id,
            p::title,
            p::status,
            p::priority,
            p::due_date,
            p::last_run_score,
            c::title.nullable(),
            p::assignee_id,
            u::name.nullable(),
        ))
        .into_boxed();
    narrowed!(base, tenant, filter, today)
        .filter(p::status.eq(status))
        .order((p::board_position.asc(), p::id.asc()))
        .offset(offset.max(0))
        .limit(limit.max(0))
        .load(conn)
}

/// How many cards each column has under the filter; columns without cards are absent.
pub fn counts(
    conn: &mut DbConn,
    tenant: &Tenant,
    filter: &BoardFilter,
    today: NaiveDateTime,
) -> QueryResult<Vec<(PostStatus, i64)>> {
    let base = p::table
        .group_by(p::status)
        .select((p::status, diesel::dsl::count_star()))
        .into_boxed();
    narrowed!(base, tenant, filter, today).load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_wildcards_are_literal() {
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }

    #[test]
    fn due_today_is_not_overdue_and_published_never_is() {
        let today = day_start(crate::model::now());
        let yesterday = today - chrono::Duration::hours(1);
        assert!(!is_overdue(Some(today), PostStatus::Drafting, today));
        assert!(is_overdue(Some(yesterday), PostStatus::Drafting, today));
        assert!(!is_overdue(Some(yesterday), PostStatus::Published, today));
        assert!(!is_overdue(None, PostStatus::Idea, today));
    }
}
