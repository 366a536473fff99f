//! Post endpoints shared by the board, the strategy page and the post page: creating a post
//! idea and moving a post to another status.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::auth::{need, Member};
use crate::error::{AppError, AppResult};
use crate::model::{ChapterId, PostId, PostStatus};
use crate::service::posts::{self, NewPost};
use crate::web::forms::{self, FieldErrors};
use crate::web::{see_other, Ctx};

/// Parses a post id from the URL; anything malformed is simply not found.
pub fn post_id(raw: &str) -> AppResult<PostId> {
    PostId::parse(raw).ok_or(AppError::NotFound)
}

#[derive(Deserialize)]
pub struct NewPostForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub chapter_id: String,
    /// Where to go afterwards (a same-origin path); the board by default.
    pub next: Option<String>,
}

/// Creates a post idea. On invalid input the caller's page is not known here, so the answer is
/// 422 with the messages (htmx shows them in place; without JS the browser shows the error page).
pub async fn create(
    ctx: Ctx,
    member: Member<need::ContentWrite>,
    form: web::Form<NewPostForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let chapter_id = match form.chapter_id.trim() {
        "" => None,
        raw => Some(
            ChapterId::parse(raw)
                .ok_or_else(|| AppError::BadRequest("That chapter does not exist.".into()))?,
        ),
    };
    let actor = member.actor(&ctx.req);
    let tenant = member.tenant.clone();
    let (title, body) = (form.title.clone(), form.body.clone());
    let result = crate::db::tx(&ctx.state.pool, move |conn| {
        posts::create(
            conn,
            &tenant,
            &actor,
            NewPost {
                title: &title,
                body: &body,
                chapter_id,
                status: PostStatus::Idea,
                post_number: None,
                shape: "",
                guidance: "",
            },
        )
    })
    .await?;
    match result {
        Ok(post) => {
            crate::web::flash::success(
                &ctx.session,
                format!("Added \u{201c}{}\u{201d}.", post.title),
            );
            let next = forms::safe_next(form.next.as_deref())
                .unwrap_or_else(|| format!("/w/{}/board", member.workspace.slug));
            Ok(see_other(&next))
        }
        Err(errors) => Err(AppError::BadRequest(first_error(&errors))),
    }
}

fn first_error(errors: &FieldErrors) -> String {
    ["title", "body", "chapter_id"]
        .iter()
        .map(|f| errors.get(f))
        .find(|m| !m.is_empty())
        .unwrap_or("The post could not be saved.")
        .to_string()
}

// Every field has a default: a body that fails to parse must not answer before the
// membership check does (extractors run concurrently), or a non-member could learn
// that a route exists.
#[derive(Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    pub status: String,
    pub next: Option<String>,
}

/// Moves a post to another status. htmx and fetch callers get 204 (the board refreshes from
/// the event stream); a plain form gets 303 back to where it came from.
pub async fn move_post(
    ctx: Ctx,
    member: Member<need::ContentWrite>,
    path: web::Path<(String, String)>,
    form: web::Form<MoveForm>,
) -> AppResult<HttpResponse> {
    let id = post_id(&path.1)?;
    let to = PostStatus::parse(form.status.trim())
        .ok_or_else(|| AppError::BadRequest("Unknown status.".into()))?;
    let actor = member.actor(&ctx.req);
    let tenant = member.tenant.clone();
    let post = crate::db::tx(&ctx.state.pool, move |conn| {
        posts::move_to(conn, &tenant, &actor, &id, to)
    })
    .await?;
    let scripted = ctx.req.headers().contains_key("HX-Request")
        || ctx.req.headers().contains_key("X-Requested-With");
    if scripted {
        return Ok(HttpResponse::NoContent().finish());
    }
    crate::web::flash::success(
        &ctx.session,
        format!(
            "Moved \u{201c}{}\u{201d} to {}.",
            post.title,
            post.status.label()
        ),
    );
    let next = forms::safe_next(form.next.as_deref())
        .unwrap_or_else(|| format!("/w/{}/board", member.workspace.slug));
    Ok(see_other(&next))
}
