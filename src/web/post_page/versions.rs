//! Comparing two versions of a post, and restoring an old one.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::diff::{self, Segment};
use super::post_path;
use crate::auth::{need, Member};
use crate::error::{AppError, AppResult};
use crate::repo;
use crate::service::posts;
use crate::web::posts::post_id;
use crate::web::shell::{Section, Shell};
use crate::web::{page, see_other, Ctx};

/// Two versions side by side, word by word.
pub struct DiffView {
    pub slug: String,
    pub id: String,
    pub from: i32,
    pub to: i32,
    pub title: Vec<Segment>,
    pub body: Vec<Segment>,
    pub title_changed: bool,
    pub changed: bool,
    /// Shown inside the post page (htmx) rather than as a page of its own.
    pub fragment: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/posts/diff.html")]
struct DiffPage {
    shell: Shell,
    post_title: String,
    diff: DiffView,
}

#[derive(Template, WebTemplate)]
#[template(path = "partials/posts/diff.html")]
struct DiffFragment {
    diff: DiffView,
}

#[derive(Deserialize)]
pub struct DiffQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// A version number from the URL; absent means `default`, anything else unparsable is not
/// found.
fn version_number(raw: &str, default: i32) -> AppResult<i32> {
    match raw.trim() {
        "" => Ok(default),
        n => n
            .parse::<i32>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or(AppError::NotFound),
    }
}

/// `GET /posts/{id}/diff?from=A&to=B`: the words added and removed between two versions; by
/// default the previous version against the current one.
pub async fn diff(
    ctx: Ctx,
    member: Member<need::ContentRead>,
    path: web::Path<(String, String)>,
    query: web::Query<DiffQuery>,
) -> AppResult<HttpResponse> {
    let id = post_id(&path.1)?;
    let query = query.into_inner();
    let tenant = member.tenant.clone();
    let fragment = ctx.req.headers().contains_key("HX-Request");
    let slug = member.workspace.slug.clone();
    let (post_title, diff) = crate::db::run(&ctx.state.pool, move |conn| {
        let post = repo::posts::find(conn, &tenant, &id)?.ok_or(AppError::NotFound)?;
        let to = version_number(&query.to, post.current_version)?;
        let from = version_number(&query.from, (to - 1).max(1))?;
        let old = repo::post_versions::find(conn, &tenant, &id, from)?.ok_or(AppError::NotFound)?;
        let new = repo::post_versions::find(conn, &tenant, &id, to)?.ok_or(AppError::NotFound)?;
        // Diffing is CPU work: it stays here, off the async executor.
        let title = diff::words(&old.title, &new.title);
        let body = diff::words(&old.body, &new.body);
        let title_changed = diff::changed(&title);
        let changed = title_changed || diff::changed(&body);
        Ok((
            post.title,
            DiffView {
                slug,
                id: id.to_string(),
                from,
                to,
                title,
                body,
                title_changed,
                changed,
                fragment,
            },
        ))
    })
    .await?;
    if fragment {
        return Ok(page(&ctx.req, DiffFragment { diff }, StatusCode::OK));
    }
    let shell = Shell::app(
        &ctx.state,
        &ctx.session,
        &member.auth,
        Some((&member.tenant, &member.workspace)),
        Section::Board,
        format!("Versions {} and {} of {}", diff.from, diff.to, post_title),
    )
    .await?;
    Ok(page(
        &ctx.req,
        DiffPage {
            shell,
            post_title,
            diff,
        },
        StatusCode::OK,
    ))
}

/// Makes an old version's text current again, as a new version. Restoring the current text
/// (or a version identical to it) changes nothing and says so.
pub async fn restore(
    ctx: Ctx,
    member: Member<need::ContentWrite>,
    path: web::Path<(String, String, String)>,
) -> AppResult<HttpResponse> {
    let id = post_id(&path.1)?;
    let number = version_number(&path.2, 0)?;
    let actor = member.actor(&ctx.req);
    let (tenant, post_id) = (member.tenant.clone(), id.clone());
    let restored = crate::db::tx(&ctx.state.pool, move |conn| {
        let post = repo::posts::find(conn, &tenant, &post_id)?.ok_or(AppError::NotFound)?;
        let old = repo::post_versions::find(conn, &tenant, &post_id, number)?
            .ok_or(AppError::NotFound)?;
        if old.title == post.title && old.body == post.body {
            return Ok(None);
        }
        Ok(Some(posts::restore(
            conn, &tenant, &actor, &post_id, number,
        )?))
    })
    .await?;
    match restored {
        Some(new) => crate::web::flash::success(
            &ctx.session,
            format!("Restored version {number} as version {new}."),
        ),
        None => crate::web::flash::info(
            &ctx.session,
            format!(
                "Version {number} has the same text as the current version: nothing to restore."
            ),
        ),
    }
    Ok(see_other(&post_path(&member.workspace.slug, &id)))
}
