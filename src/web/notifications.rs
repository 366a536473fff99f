//! The signed-in user's notifications across all their workspaces: the page, the bell's
//! dropdown and the read/dismiss actions. Every query is filtered by the caller's own user id,
//! so another person's notification id simply does not exist here (404).

pub mod live;
pub mod preferences;

use actix_session::Session;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;
use askama_web::WebTemplate;
use chrono::NaiveDateTime;
use serde::Deserialize;

use crate::auth::{csrf, AuthUser};
use crate::error::{AppError, AppResult};
use crate::model::{now, Notification, NotificationId, Workspace, WorkspaceId};
use crate::repo;
use crate::web::flash;
use crate::web::shell::{Section, Shell};
use crate::web::{fmt_time, page, see_other, urlencode, Ctx};

const PER_PAGE: i64 = 25;
/// How many the bell's dropdown lists.
const MENU_SIZE: i64 = 8;

/// The badge text: nothing at zero, the number up to 9, then "9+".
pub fn badge_text(unread: i64) -> String {
    match unread {
        n if n <= 0 => String::new(),
        n if n > 9 => "9+".into(),
        n => n.to_string(),
    }
}

pub fn bell_label(unread: i64) -> String {
    match unread {
        n if n <= 0 => "Notifications, none unread".into(),
        n => format!("Notifications, {n} unread"),
    }
}

/// "just now", "5 min ago", "3 h ago", "2 d ago", then the date.
pub fn relative_time(t: NaiveDateTime, at: NaiveDateTime) -> String {
    let secs = (at - t).num_seconds().max(0);
    match secs {
        s if s < 60 => "just now".into(),
        s if s < 3600 => format!("{} min ago", s / 60),
        s if s < 86_400 => format!("{} h ago", s / 3600),
        s if s < 7 * 86_400 => format!("{} d ago", s / 86_400),
        _ => t.format("%Y-%m-%d").to_string(),
    }
}

pub struct ItemView {
    pub id: String,
    pub title: String,
    pub body: String,
    pub workspace: String,
    pub when: String,
    pub exact: String,
    pub iso: String,
    pub unread: bool,
}

fn views(rows: Vec<Notification>, workspaces: &[(Workspace, crate::model::Role)]) -> Vec<ItemView> {
    let at = now();
    rows.into_iter()
        .map(|n| ItemView {
            id: n.id.to_string(),
            workspace: workspaces
                .iter()
                .find(|(w, _)| w.id == n.workspace_id)
                .map_or_else(|| "A former workspace".to_string(), |(w, _)| w.name.clone()),
            when: relative_time(n.created_at, at),
            exact: format!("{} UTC", fmt_time(n.created_at)),
            iso: n.created_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            unread: n.read_at.is_none(),
            title: n.title,
            body: n.body,
        })
        .collect()
}

/// Where an action returns to: somewhere on the notifications page, nothing else.
fn safe_back(back: Option<&str>) -> String {
    match back {
        Some(b)
            if (b == "/notifications" || b.starts_with("/notifications?"))
                && !b.contains(['\\', '\r', '\n']) =>
        {
            b.to_string()
        }
        _ => "/notifications".into(),
    }
}

fn parse_id(raw: &str) -> AppResult<NotificationId> {
    NotificationId::parse(raw).ok_or(AppError::NotFound)
}

fn is_htmx(ctx: &Ctx) -> bool {
    ctx.req.headers().contains_key("HX-Request")
}

pub struct WorkspaceOption {
    pub slug: String,
    pub name: String,
    pub selected: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/notifications/index.html")]
struct IndexPage {
    shell: Shell,
    items: Vec<ItemView>,
    workspaces: Vec<WorkspaceOption>,
    unread_only: bool,
    filtered: bool,
    ws: String,
    page_no: i64,
    prev_href: Option<String>,
    next_href: Option<String>,
    back: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct Filter {
    #[serde(default)]
    ws: Option<String>,
    #[serde(default)]
    unread: Option<String>,
    #[serde(default)]
    page: Option<String>,
}

fn filter_query(ws: &str, unread_only: bool, page_no: i64) -> String {
    let mut parts = Vec::new();
    if !ws.is_empty() {
        parts.push(format!("ws={}", urlencode(ws)));
    }
    if unread_only {
        parts.push("unread=1".into());
    }
    if page_no > 1 {
        parts.push(format!("page={page_no}"));
    }
    if parts.is_empty() {
        "/notifications".into()
    } else {
        format!("/notifications?{}", parts.join("&"))
    }
}

/// The id of the caller's workspace with this slug; `None` for "all" (an empty slug), 404 for
/// one they do not belong to.
fn workspace_filter(
    list: &[(Workspace, crate::model::Role)],
    slug: &str,
) -> AppResult<Option<WorkspaceId>> {
    if slug.is_empty() {
        return Ok(None);
    }
    list.iter()
        .find(|(w, _)| w.slug == slug)
        .map(|(w, _)| Some(w.id.clone()))
        .ok_or(AppError::NotFound)
}

/// `GET /notifications`
pub async fn index(ctx: Ctx, auth: AuthUser, query: web::Query<Filter>) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let ws = q.ws.unwrap_or_default().trim().to_string();
    let unread_only = q.unread.is_some_and(|u| !u.is_empty() && u != "0");
    let page_no = q
        .page
        .and_then(|p| p.parse::<i64>().ok())
        .unwrap_or(1)
        .clamp(1, 10_000);
    let user = auth.user.id.clone();
    let slug = ws.clone();
    let (list, rows, more) = crate::db::run(&ctx.state.pool, move |conn| {
        let list = repo::workspaces::list_for_user(conn, &user)?;
        let filter = workspace_filter(&list, &slug)?;
        let (rows, more) = repo::notifications::for_user(
            conn,
            &user,
            filter.as_ref(),
            unread_only,
            page_no,
            PER_PAGE,
        )?;
        Ok((list, rows, more))
    })
    .await?;
    let items = views(rows, &list);
    let workspaces = list
        .iter()
        .map(|(w, _)| WorkspaceOption {
            slug: w.slug.clone(),
            name: w.name.clone(),
            selected: w.slug == ws,
        })
        .collect();
    let shell = Shell::app(
        &ctx.state,
        &ctx.session,
        &auth,
        None,
        Section::Notifications,
        "Notifications",
    )
    .await?;
    Ok(page(
        &ctx.req,
        IndexPage {
            shell,
            items,
            workspaces,
            unread_only,
            filtered: !ws.is_empty() || unread_only,
            prev_href: (page_no > 1).then(|| filter_query(&ws, unread_only, page_no - 1)),
            next_href: more.then(|| filter_query(&ws, unread_only, page_no + 1)),
            back: filter_query(&ws, unread_only, page_no),
            ws,
            page_no,
        },
        StatusCode::OK,
    ))
}

#[derive(Template, WebTemplate)]
#[template(path = "partials/notifications/menu.html")]
struct MenuFragment {
    items: Vec<ItemView>,
    unread: i64,
    csrf: String,
}

async fn menu_response(ctx: &Ctx, auth: &AuthUser) -> AppResult<HttpResponse> {
    let user = auth.user.id.clone();
    let (list, rows, unread) = crate::db::run(&ctx.state.pool, move |conn| {
        let list = repo::workspaces::list_for_user(conn, &user)?;
        let (rows, _) = repo::notifications::for_user(conn, &user, None, false, 1, MENU_SIZE)?;
        let unread = repo::notifications::unread_count(conn, &user)?;
        Ok((list, rows, unread))
    })
    .await?;
    let mut res = page(
        &ctx.req,
        MenuFragment {
            items: views(rows, &list),
            unread,
            csrf: csrf::token(&ctx.session),
        },
        StatusCode::OK,
    );
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

/// `GET /notifications/menu`: the bell's dropdown, loaded when it opens.
pub async fn menu(ctx: Ctx, auth: AuthUser) -> AppResult<HttpResponse> {
    menu_response(&ctx, &auth).await
}

#[derive(Debug, Default, Deserialize)]
pub struct BackForm {
    #[serde(default)]
    back: Option<String>,
    #[serde(default)]
    ws: Option<String>,
}

/// `POST /notifications/{id}/open`: marks it read and follows its link.
pub async fn open(ctx: Ctx, auth: AuthUser, path: web::Path<String>) -> AppResult<HttpResponse> {
    let id = parse_id(&path.into_inner())?;
    let user = auth.user.id.clone();
    let found = crate::db::tx(&ctx.state.pool, move |conn| {
        let found = repo::notifications::find_for_user(conn, &user, &id)?;
        if found.is_some() {
            repo::notifications::mark_read(conn, &user, &id)?;
        }
        Ok(found)
    })
    .await?;
    let n = found.ok_or(AppError::NotFound)?;
    // Links are written by the app; still, never leave the site through one.
    let target = if n.link.starts_with('/') && !n.link.starts_with("//") && !n.link.contains('\\') {
        n.link
    } else {
        "/notifications".into()
    };
    Ok(see_other(&target))
}

/// `POST /notifications/{id}/read`
pub async fn read(
    ctx: Ctx,
    auth: AuthUser,
    path: web::Path<String>,
    form: web::Form<BackForm>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&path.into_inner())?;
    let user = auth.user.id.clone();
    let found = crate::db::run(&ctx.state.pool, move |conn| {
        Ok(repo::notifications::mark_read(conn, &user, &id)?)
    })
    .await?;
    if !found {
        return Err(AppError::NotFound);
    }
    Ok(see_other(&safe_back(form.back.as_deref())))
}

/// `POST /notifications/{id}/dismiss`
pub async fn dismiss(
    ctx: Ctx,
    auth: AuthUser,
    path: web::Path<String>,
    form: web::Form<BackForm>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&path.into_inner())?;
    let user = auth.user.id.clone();
    let found = crate::db::run(&ctx.state.pool, move |conn| {
        Ok(repo::notifications::dismiss(conn, &user, &id)?)
    })
    .await?;
    if !found {
        return Err(AppError::NotFound);
    }
    flash::success(&ctx.session, "Notification dismissed.");
    Ok(see_other(&safe_back(form.back.as_deref())))
}

/// `POST /notifications/read-all`: everything, or one workspace's when the page is filtered.
/// From the bell (htmx) it answers with the refreshed dropdown.
pub async fn read_all(
    ctx: Ctx,
    auth: AuthUser,
    form: web::Form<BackForm>,
) -> AppResult<HttpResponse> {
    let user = auth.user.id.clone();
    let slug = form.ws.clone().unwrap_or_default().trim().to_string();
    let marked = crate::db::run(&ctx.state.pool, move |conn| {
        let list = repo::workspaces::list_for_user(conn, &user)?;
        let filter = workspace_filter(&list, &slug)?;
        Ok(repo::notifications::mark_all_read(
            conn,
            &user,
            filter.as_ref(),
        )?)
    })
    .await?;
    if is_htmx(&ctx) {
        return menu_response(&ctx, &auth).await;
    }
    flash_marked(&ctx.session, marked);
    Ok(see_other(&safe_back(form.back.as_deref())))
}

fn flash_marked(session: &Session, marked: usize) {
    match marked {
        0 => flash::info(session, "Nothing was unread."),
        1 => flash::success(session, "Marked 1 notification read."),
        n => flash::success(session, format!("Marked {n} notifications read.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_badge_is_hidden_at_zero_and_capped_at_nine() {
        assert_eq!(badge_text(0), "");
        assert_eq!(badge_text(3), "3");
        assert_eq!(badge_text(9), "9");
        assert_eq!(badge_text(10), "9+");
        assert_eq!(bell_label(3), "Notifications, 3 unread");
    }

    #[test]
    fn actions_only_return_to_the_notifications_page() {
        assert_eq!(
            safe_back(Some("/notifications?page=2")),
            "/notifications?page=2"
        );
        assert_eq!(safe_back(Some("https://evil.example")), "/notifications");
        assert_eq!(safe_back(Some("/notificationsx")), "/notifications");
        assert_eq!(safe_back(None), "/notifications");
    }

    #[test]
    fn times_read_as_relative_then_as_dates() {
        let at = now();
        assert_eq!(relative_time(at, at), "just now");
        assert_eq!(
            relative_time(at - chrono::Duration::minutes(5), at),
            "5 min ago"
        );
        assert_eq!(
            relative_time(at - chrono::Duration::hours(3), at),
            "3 h ago"
        );
    }
}
