//! The Kanban board: one column per post status with the filtered cards, paged per column,
//! a new-idea form, moves (plain forms, drag and drop, keyboard; all through the post move
//! endpoint) and live updates from the workspace's event stream.

pub mod filters;
pub mod live;

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;
use askama_web::WebTemplate;
use chrono::{Datelike, NaiveDateTime};

use crate::auth::{need, Member, Scope, Tenant};
use crate::error::{AppError, AppResult};
use crate::model::{Chapter, PostStatus, UserId};
use crate::repo;
use crate::repo::board::Card;
use crate::service::posts::{move_problem, next_statuses, COLUMNS};
use crate::web::shell::{initials, Section, Shell};
use crate::web::{page, Ctx};

pub use live::events;

use filters::{Filters, Params};

/// Cards per column page.
pub const PAGE: i64 = 50;
/// Most cards a live refresh keeps showing in one column.
const MAX_SHOWN: i64 = 1_000;
/// Highest offset a "show more" link may ask for.
const MAX_OFFSET: i64 = 1_000_000;

pub struct Choice {
    pub value: String,
    pub label: String,
}

/// A "Move to" option; the first column to the right is preselected, as work moves forward.
pub struct MoveChoice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

pub struct DueView {
    pub iso: String,
    pub label: String,
    pub overdue: bool,
}

pub struct AssigneeView {
    pub name: String,
    pub initials: String,
}

pub struct CardView {
    pub id: String,
    pub title: String,
    pub status: &'static str,
    pub chapter: String,
    pub assignee: Option<AssigneeView>,
    pub due: Option<DueView>,
    pub priority: &'static str,
    pub priority_label: &'static str,
    pub score: Option<i32>,
    /// Where this user may move the card, in column order.
    pub moves: Vec<MoveChoice>,
    /// The same, as space-separated statuses for the script.
    pub move_list: String,
}

pub struct ColumnView {
    pub status: &'static str,
    pub label: &'static str,
    pub count: i64,
    pub cards: Vec<CardView>,
    /// The "show more" link, when more cards follow.
    pub more_href: Option<String>,
    pub empty_hint: &'static str,
}

/// What every card and form on the board needs to know about the page.
pub struct BoardCtx {
    pub slug: String,
    pub csrf: String,
    pub can_write: bool,
    /// The board with the current filters: where forms come back to.
    pub here: String,
    /// The filters as a query string (may be empty).
    pub filter_query: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/board/index.html")]
struct BoardPage {
    shell: Shell,
    board: BoardCtx,
    columns: Vec<ColumnView>,
    filters: Filters,
    total: i64,
    members: Vec<Choice>,
    chapters: Vec<Choice>,
    priorities: Vec<Choice>,
    transitions: String,
    events_url: String,
    board_js: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "partials/board/columns.html")]
struct ColumnsPartial {
    board: BoardCtx,
    columns: Vec<ColumnView>,
}

#[derive(Template, WebTemplate)]
#[template(path = "partials/board/more.html")]
struct MorePartial {
    board: BoardCtx,
    cards: Vec<CardView>,
    more_href: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/board/column.html")]
struct ColumnPage {
    shell: Shell,
    board: BoardCtx,
    label: &'static str,
    count: i64,
    first: i64,
    last: i64,
    cards: Vec<CardView>,
    more_href: Option<String>,
    previous_href: Option<String>,
    filters: Filters,
}

fn empty_hint(status: PostStatus, filtered: bool) -> &'static str {
    if filtered {
        return "No cards match the filters.";
    }
    match status {
        PostStatus::Idea => "No ideas yet.",
        PostStatus::Drafting => "Nothing is being drafted.",
        PostStatus::InReview => "Nothing is waiting for review.",
        PostStatus::ChangesRequested => "No changes requested.",
        PostStatus::Approved => "Nothing approved yet.",
        PostStatus::Scheduled => "Nothing scheduled.",
        PostStatus::Published => "Nothing published yet.",
    }
}

/// The moves this user may make from `from`, in column order.
fn allowed_moves(tenant: &Tenant, from: PostStatus) -> Vec<PostStatus> {
    if !tenant.can(Scope::ContentWrite) {
        return Vec::new();
    }
    COLUMNS
        .iter()
        .copied()
        .filter(|to| next_statuses(from).contains(to) && move_problem(tenant, from, *to).is_none())
        .collect()
}

/// Every column's allowed moves for this user, as JSON for the script.
fn transitions_json(tenant: &Tenant) -> String {
    let map: serde_json::Map<String, serde_json::Value> = COLUMNS
        .iter()
        .map(|s| {
            (
                s.as_str().to_string(),
                allowed_moves(tenant, *s)
                    .iter()
                    .map(|m| serde_json::Value::from(m.as_str()))
                    .collect(),
            )
        })
        .collect();
    serde_json::Value::Object(map).to_string()
}

fn due_view(due: NaiveDateTime, status: PostStatus, today: NaiveDateTime) -> DueView {
    let date = due.date();
    let label = if date.year() == today.year() {
        date.format("%b %-d").to_string()
    } else {
        date.format("%b %-d, %Y").to_string()
    };
    DueView {
        iso: date.format("%Y-%m-%d").to_string(),
        label,
        overdue: repo::board::is_overdue(Some(due), status, today),
    }
}

fn card_view(card: Card, tenant: &Tenant, today: NaiveDateTime) -> CardView {
    let moves = allowed_moves(tenant, card.status);
    CardView {
        id: card.id.to_string(),
        move_list: moves
            .iter()
            .map(|m| m.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        moves: {
            let here = COLUMNS.iter().position(|s| *s == card.status);
            let forward = moves
                .iter()
                .position(|m| COLUMNS.iter().position(|s| s == m) > here)
                .unwrap_or(0);
            moves
                .iter()
                .enumerate()
                .map(|(i, m)| MoveChoice {
                    value: m.as_str(),
                    label: m.label(),
                    selected: i == forward,
                })
                .collect()
        },
        title: card.title,
        status: card.status.as_str(),
        chapter: card.chapter_title.unwrap_or_default(),
        assignee: card.assignee_id.map(|_| {
            let name = card
                .assignee_name
                .unwrap_or_else(|| "A former member".into());
            AssigneeView {
                initials: initials(&name),
                name,
            }
        }),
        due: card.due_date.map(|d| due_view(d, card.status, today)),
        priority: card.priority.as_str(),
        priority_label: card.priority.label(),
        score: card.last_run_score,
    }
}

fn column_href(slug: &str, status: PostStatus, offset: i64, filter_query: &str) -> String {
    let mut href = format!(
        "/w/{slug}/board/columns/{}?offset={offset}",
        status.as_str()
    );
    if !filter_query.is_empty() {
        href.push('&');
        href.push_str(filter_query);
    }
    href
}

fn board_href(slug: &str, filter_query: &str) -> String {
    if filter_query.is_empty() {
        format!("/w/{slug}/board")
    } else {
        format!("/w/{slug}/board?{filter_query}")
    }
}

fn is_htmx(ctx: &Ctx) -> bool {
    ctx.req.headers().contains_key("HX-Request")
}

/// How many cards a column shows: one page, or what a live refresh asks to keep.
fn shown(params: &Params, status: PostStatus) -> i64 {
    params
        .get(&format!("show_{}", status.as_str()))
        .parse::<i64>()
        .map_or(PAGE, |n| n.clamp(PAGE, MAX_SHOWN))
}

/// Everything the board reads, in a constant number of statements.
struct BoardData {
    filters: Filters,
    members: Vec<(UserId, String)>,
    chapters: Vec<Chapter>,
    counts: Vec<(PostStatus, i64)>,
    columns: Vec<(PostStatus, Vec<Card>, bool)>,
    latest_event: i64,
}

fn count_of(counts: &[(PostStatus, i64)], status: PostStatus) -> i64 {
    counts
        .iter()
        .find(|(s, _)| *s == status)
        .map_or(0, |(_, n)| *n)
}

/// Reads filters, counts and the requested columns (`which`: status, offset, limit).
async fn load(
    ctx: &Ctx,
    tenant: &Tenant,
    params: Params,
    which: Vec<(PostStatus, i64, i64)>,
    with_latest_event: bool,
) -> AppResult<BoardData> {
    let tenant = tenant.clone();
    let today = repo::board::day_start(crate::model::now());
    crate::db::run(&ctx.state.pool, move |conn| {
        // Read first: a change after this point arrives as an event and refreshes the board.
        let latest_event = if with_latest_event {
            repo::workspace_events::latest_id(conn, &tenant)?
        } else {
            0
        };
        let members = repo::memberships::member_options(conn, &tenant)?;
        let chapters = repo::chapters::list(conn, &tenant)?;
        let filters = Filters::resolve(&params, tenant.user_id(), &members, &chapters);
        let counts = repo::board::counts(conn, &tenant, &filters.board, today)?;
        let mut columns = Vec::with_capacity(which.len());
        for (status, offset, limit) in which {
            let mut cards = repo::board::column(
                conn,
                &tenant,
                status,
                &filters.board,
                today,
                offset,
                limit + 1,
            )?;
            let more = cards.len() as i64 > limit;
            cards.truncate(limit as usize);
            columns.push((status, cards, more));
        }
        Ok(BoardData {
            filters,
            members,
            chapters,
            counts,
            columns,
            latest_event,
        })
    })
    .await
}

fn board_ctx(ctx: &Ctx, member: &Member<need::ContentRead>, filters: &Filters) -> BoardCtx {
    let slug = member.workspace.slug.clone();
    let filter_query = filters.query();
    BoardCtx {
        here: board_href(&slug, &filter_query),
        csrf: crate::auth::csrf::token(&ctx.session),
        can_write: member.tenant.can(Scope::ContentWrite),
        slug,
        filter_query,
    }
}

/// `GET /w/{slug}/board`: the page, or only its columns for an htmx/fetch refresh.
pub async fn index(ctx: Ctx, member: Member<need::ContentRead>) -> AppResult<HttpResponse> {
    let params = Params::parse(ctx.req.query_string());
    let which = COLUMNS
        .iter()
        .map(|s| (*s, 0, shown(&params, *s)))
        .collect();
    let fragment = is_htmx(&ctx);
    let data = load(&ctx, &member.tenant, params, which, !fragment).await?;
    let today = repo::board::day_start(crate::model::now());
    let board = board_ctx(&ctx, &member, &data.filters);
    let filtered = data.filters.is_active();
    let columns: Vec<ColumnView> = data
        .columns
        .into_iter()
        .map(|(status, cards, more)| ColumnView {
            status: status.as_str(),
            label: status.label(),
            count: count_of(&data.counts, status),
            more_href: more
                .then(|| column_href(&board.slug, status, cards.len() as i64, &board.filter_query)),
            cards: cards
                .into_iter()
                .map(|c| card_view(c, &member.tenant, today))
                .collect(),
            empty_hint: empty_hint(status, filtered),
        })
        .collect();
    if fragment {
        let mut res = page(&ctx.req, ColumnsPartial { board, columns }, StatusCode::OK);
        res.headers_mut().insert(
            actix_web::http::header::VARY,
            actix_web::http::header::HeaderValue::from_static("HX-Request"),
        );
        return Ok(res);
    }
    let shell = Shell::app(
        &ctx.state,
        &ctx.session,
        &member.auth,
        Some((&member.tenant, &member.workspace)),
        Section::Board,
        "Board",
    )
    .await?;
    let events_url = format!("/w/{}/board/events?after={}", board.slug, data.latest_event);
    let me = member.tenant.user_id();
    Ok(page(
        &ctx.req,
        BoardPage {
            shell,
            total: data.counts.iter().map(|(_, n)| n).sum(),
            members: data
                .members
                .iter()
                .map(|(id, name)| Choice {
                    value: id.to_string(),
                    label: if id == me {
                        format!("{name} (me)")
                    } else {
                        name.clone()
                    },
                })
                .collect(),
            chapters: data
                .chapters
                .iter()
                .map(|c| Choice {
                    value: c.id.to_string(),
                    label: format!("{}. {}", c.chapter_number, c.title),
                })
                .collect(),
            priorities: crate::model::Priority::ALL
                .iter()
                .rev()
                .map(|p| Choice {
                    value: p.as_str().into(),
                    label: p.label().into(),
                })
                .collect(),
            transitions: transitions_json(&member.tenant),
            events_url,
            board_js: crate::web::assets::url("js/board.js"),
            filters: data.filters,
            board,
            columns,
        },
        StatusCode::OK,
    ))
}

/// `GET /w/{slug}/board/columns/{status}?offset=N&<filters>`: the next cards of one column;
/// for htmx the cards alone, otherwise a page of its own.
pub async fn column(ctx: Ctx, member: Member<need::ContentRead>) -> AppResult<HttpResponse> {
    let status = ctx
        .req
        .match_info()
        .get("status")
        .and_then(PostStatus::parse)
        .ok_or(AppError::NotFound)?;
    let params = Params::parse(ctx.req.query_string());
    let offset = match params.get("offset") {
        "" => 0,
        raw => raw
            .parse::<i64>()
            .ok()
            .filter(|n| (0..=MAX_OFFSET).contains(n))
            .ok_or_else(|| {
                AppError::BadRequest(format!(
                    "The offset must be a whole number from 0 to {MAX_OFFSET}."
                ))
            })?,
    };
    let data = load(
        &ctx,
        &member.tenant,
        params,
        vec![(status, offset, PAGE)],
        false,
    )
    .await?;
    let today = repo::board::day_start(crate::model::now());
    let board = board_ctx(&ctx, &member, &data.filters);
    let Some((_, cards, more)) = data.columns.into_iter().next() else {
        return Err(AppError::internal("board column missing"));
    };
    let n = cards.len() as i64;
    let more_href = more.then(|| column_href(&board.slug, status, offset + n, &board.filter_query));
    let cards: Vec<CardView> = cards
        .into_iter()
        .map(|c| card_view(c, &member.tenant, today))
        .collect();
    if is_htmx(&ctx) {
        return Ok(page(
            &ctx.req,
            MorePartial {
                board,
                cards,
                more_href,
            },
            StatusCode::OK,
        ));
    }
    let shell = Shell::app(
        &ctx.state,
        &ctx.session,
        &member.auth,
        Some((&member.tenant, &member.workspace)),
        Section::Board,
        format!("{} \u{2013} Board", status.label()),
    )
    .await?;
    let previous_href = (offset > 0).then(|| {
        column_href(
            &board.slug,
            status,
            (offset - PAGE).max(0),
            &board.filter_query,
        )
    });
    Ok(page(
        &ctx.req,
        ColumnPage {
            shell,
            label: status.label(),
            count: count_of(&data.counts, status),
            first: offset + 1,
            last: offset + n,
            cards,
            more_href,
            previous_href,
            filters: data.filters,
            board,
        },
        StatusCode::OK,
    ))
}
