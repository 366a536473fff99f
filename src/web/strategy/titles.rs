//! Renaming a post in place on the strategy page: htmx swaps the title for an input and back.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::PostTitle;
use crate::auth::scopes::RequiredScope;
use crate::auth::{need, Member, Scope};
use crate::error::{AppError, AppResult};
use crate::model::{Post, PostId, VersionSource};
use crate::repo;
use crate::service::posts;
use crate::web::posts::post_id;
use crate::web::{page, Ctx};

#[derive(Template, WebTemplate)]
#[template(path = "partials/strategy/post_title.html")]
struct TitleView {
    slug: String,
    can_content: bool,
    t: PostTitle,
}

#[derive(Template, WebTemplate)]
#[template(path = "partials/strategy/post_title_edit.html")]
struct TitleEdit {
    slug: String,
    t: PostTitle,
    value: String,
    error: String,
    max: usize,
}

async fn find<S: RequiredScope>(ctx: &Ctx, member: &Member<S>, id: &PostId) -> AppResult<Post> {
    let (tenant, id) = (member.tenant.clone(), id.clone());
    crate::db::run(&ctx.state.pool, move |conn| {
        repo::posts::find(conn, &tenant, &id)?.ok_or(AppError::NotFound)
    })
    .await
}

fn title_of(post: &Post) -> PostTitle {
    PostTitle {
        id: post.id.to_string(),
        title: post.title.clone(),
    }
}

/// The title as shown on the page (also what Escape goes back to).
pub async fn show(
    ctx: Ctx,
    member: Member<need::ContentRead>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let id = post_id(&path.1)?;
    let post = find(&ctx, &member, &id).await?;
    Ok(page(
        &ctx.req,
        TitleView {
            slug: member.workspace.slug.clone(),
            can_content: member.tenant.can(Scope::ContentWrite),
            t: title_of(&post),
        },
        StatusCode::OK,
    ))
}

/// The title as an input: Enter saves, Escape cancels.
pub async fn edit(
    ctx: Ctx,
    member: Member<need::ContentWrite>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let id = post_id(&path.1)?;
    let post = find(&ctx, &member, &id).await?;
    Ok(page(
        &ctx.req,
        TitleEdit {
            slug: member.workspace.slug.clone(),
            value: post.title.clone(),
            t: title_of(&post),
            error: String::new(),
            max: posts::TITLE_MAX,
        },
        StatusCode::OK,
    ))
}

#[derive(Deserialize)]
pub struct TitleForm {
    #[serde(default)]
    title: String,
}

/// Saves a new title as a new version of the post, keeping its text.
pub async fn save(
    ctx: Ctx,
    member: Member<need::ContentWrite>,
    path: web::Path<(String, String)>,
    form: web::Form<TitleForm>,
) -> AppResult<HttpResponse> {
    let id = post_id(&path.1)?;
    let title = form.into_inner().title;
    let actor = member.actor(&ctx.req);
    let (tenant, pid, sent) = (member.tenant.clone(), id.clone(), title.clone());
    let (post, result) = crate::db::tx(&ctx.state.pool, move |conn| {
        let post = repo::posts::find(conn, &tenant, &pid)?.ok_or(AppError::NotFound)?;
        let result = posts::update_text(
            conn,
            &tenant,
            &actor,
            &pid,
            &sent,
            &post.body,
            VersionSource::Human,
        )?;
        let post = repo::posts::find(conn, &tenant, &pid)?.ok_or(AppError::NotFound)?;
        Ok((post, result))
    })
    .await?;
    let slug = member.workspace.slug.clone();
    match result {
        Ok(_) => Ok(page(
            &ctx.req,
            TitleView {
                slug,
                can_content: true,
                t: title_of(&post),
            },
            StatusCode::OK,
        )),
        Err(errors) => Ok(page(
            &ctx.req,
            TitleEdit {
                slug,
                t: title_of(&post),
                value: title,
                error: errors.get("title").to_string(),
                max: posts::TITLE_MAX,
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
    }
}
