//! The post page (`/w/{slug}/posts/{id}`): one post's text with autosave, its versions and the
//! differences between them, its planning (assignee, due date, priority, chapter), its history,
//! and deleting it. Moving a post between statuses is the shared endpoint in `web::posts`.

pub(crate) mod diff;
mod planning;
mod versions;
mod view;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::{need, AuthUser, Member, Tenant};
use crate::error::{AppError, AppResult};
use crate::model::{now, PostId, PostStatus, Priority, VersionSource, Workspace};
use crate::repo;
use crate::service::posts;
use crate::web::forms::FieldErrors;
use crate::web::posts::post_id;
use crate::web::shell::{Section, Shell};
use crate::web::{page, see_other, Ctx};

pub use planning::{assign, planning};
pub use versions::{diff, restore};
use view::{Choice, HistoryLine, MoveChoice, VersionsView};

#[derive(Template, WebTemplate)]
#[template(path = "pages/posts/show.html")]
struct PostPage {
    shell: Shell,
    script: String,
    slug: String,
    id: String,
    /// The saved title (the editor may hold a rejected one).
    title: String,
    body: String,
    status: PostStatus,
    priority: Priority,
    chapter: String,
    assignee: String,
    due: String,
    overdue: bool,
    version: i32,
    updated: String,
    can_write: bool,
    /// May start a workflow run from this post ("Write with AI").
    can_run: bool,
    edit_title: String,
    edit_body: String,
    errors: FieldErrors,
    title_max: usize,
    body_max: usize,
    moves: Vec<MoveChoice>,
    members: Vec<Choice>,
    assign_error: String,
    chapters: Vec<Choice>,
    priorities: Vec<Choice>,
    due_value: String,
    plan_errors: FieldErrors,
    versions: VersionsView,
    status_history: Vec<HistoryLine>,
    assignment_history: Vec<HistoryLine>,
}

/// What a re-rendered page keeps from a rejected form.
#[derive(Default)]
struct Draft {
    text: Option<TextForm>,
    text_errors: FieldErrors,
    planning: Option<planning::PlanningForm>,
    planning_errors: FieldErrors,
    assign_error: String,
}

/// The member a page is rendered for, whatever scope let them in.
struct Viewer<'a> {
    auth: &'a AuthUser,
    tenant: &'a Tenant,
    workspace: &'a Workspace,
}

impl<'a, S: crate::auth::scopes::RequiredScope> From<&'a Member<S>> for Viewer<'a> {
    fn from(m: &'a Member<S>) -> Self {
        Viewer {
            auth: &m.auth,
            tenant: &m.tenant,
            workspace: &m.workspace,
        }
    }
}

fn post_path(slug: &str, id: &PostId) -> String {
    format!("/w/{slug}/posts/{id}")
}

async fn render(
    ctx: &Ctx,
    who: Viewer<'_>,
    id: &PostId,
    draft: Draft,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let can_write = view::can_write(who.tenant);
    let (tenant, post_id) = (who.tenant.clone(), id.clone());
    let loaded = crate::db::run(&ctx.state.pool, move |conn| {
        view::load(conn, &tenant, &post_id, can_write)
    })
    .await?;
    let post = &loaded.post;
    let shell = Shell::app(
        &ctx.state,
        &ctx.session,
        who.auth,
        Some((who.tenant, who.workspace)),
        Section::Board,
        post.title.clone(),
    )
    .await?;
    let slug = who.workspace.slug.clone();
    let names = &loaded.names;
    let (edit_title, edit_body) = match &draft.text {
        Some(f) => (f.title.clone(), normalize_newlines(&f.body)),
        None => (post.title.clone(), post.body.clone()),
    };
    let due_stored = post
        .due_date
        .map(|d| d.date().format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    let (due_value, priority_value, chapter_value) = match &draft.planning {
        Some(f) => (
            f.due_date.trim().to_string(),
            f.priority.trim().to_string(),
            f.chapter_id.trim().to_string(),
        ),
        None => (
            due_stored.clone(),
            post.priority.as_str().to_string(),
            post.chapter_id
                .as_ref()
                .map(|c| c.to_string())
                .unwrap_or_default(),
        ),
    };
    let chapter = post
        .chapter_id
        .as_ref()
        .and_then(|c| loaded.chapters.iter().find(|x| &x.id == c))
        .map(view::chapter_label)
        .unwrap_or_default();
    let today = now().date();
    let page_view = PostPage {
        script: crate::web::assets::url("js/post.js"),
        id: post.id.to_string(),
        title: post.title.clone(),
        body: post.body.clone(),
        status: post.status,
        priority: post.priority,
        chapter,
        assignee: post
            .assignee_id
            .as_ref()
            .map(|a| names.of(Some(a)))
            .unwrap_or_default(),
        overdue: post.status != PostStatus::Published
            && post.due_date.is_some_and(|d| d.date() < today),
        due: due_stored,
        version: post.current_version,
        updated: view::when(post.updated_at),
        can_write,
        can_run: who.tenant.can(crate::auth::scopes::Scope::WorkflowExecute),
        edit_title,
        edit_body,
        errors: draft.text_errors,
        title_max: posts::TITLE_MAX,
        body_max: posts::BODY_MAX,
        moves: view::move_choices(who.tenant, post.status),
        members: view::member_choices(
            &loaded.members,
            post.assignee_id.as_ref().map(|a| a.as_str()),
            names,
        ),
        assign_error: draft.assign_error,
        chapters: view::chapter_choices(&loaded.chapters, &chapter_value),
        priorities: view::priority_choices(&priority_value),
        due_value,
        plan_errors: draft.planning_errors,
        versions: VersionsView::build(&slug, post, &shell.csrf, can_write, &loaded.versions, names),
        status_history: view::status_lines(&loaded.statuses, names),
        assignment_history: view::assignment_lines(&loaded.assignments, names),
        slug,
        shell,
    };
    Ok(page(&ctx.req, page_view, status))
}

pub async fn show(
    ctx: Ctx,
    member: Member<need::ContentRead>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let id = post_id(&path.1)?;
    render(
        &ctx,
        (&member).into(),
        &id,
        Draft::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct TextForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
}

/// Browsers send line breaks as CRLF; stored text uses LF so that counting, comparing and
/// diffing see what the writer sees.
fn normalize_newlines(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// What saving text did: the version now current, and whether this save made it.
struct Saved {
    version: i32,
    created: bool,
}

async fn save_text(
    ctx: &Ctx,
    member: &Member<need::ContentWrite>,
    id: &PostId,
    form: &TextForm,
) -> AppResult<Result<Saved, FieldErrors>> {
    let actor = member.actor(&ctx.req);
    let (tenant, id) = (member.tenant.clone(), id.clone());
    let (title, body) = (form.title.clone(), normalize_newlines(&form.body));
    crate::db::tx(&ctx.state.pool, move |conn| {
        let before = repo::posts::find(conn, &tenant, &id)?
            .ok_or(AppError::NotFound)?
            .current_version;
        let saved = posts::update_text(
            conn,
            &tenant,
            &actor,
            &id,
            &title,
            &body,
            VersionSource::Human,
        )?;
        Ok(saved.map(|version| Saved {
            version,
            created: version != before,
        }))
    })
    .await
}

/// Saves text while the author pauses; a burst of autosaves refines one version.
async fn autosave_text(
    ctx: &Ctx,
    member: &Member<need::ContentWrite>,
    id: &PostId,
    form: &TextForm,
) -> AppResult<Result<Saved, FieldErrors>> {
    let actor = member.actor(&ctx.req);
    let (tenant, id) = (member.tenant.clone(), id.clone());
    let (title, body) = (form.title.clone(), normalize_newlines(&form.body));
    crate::db::tx(&ctx.state.pool, move |conn| {
        let saved = posts::autosave_text(conn, &tenant, &actor, &id, &title, &body)?;
        Ok(saved.map(|(version, created)| Saved { version, created }))
    })
    .await
}

/// Saves the editor's text as a new version (none when nothing changed).
pub async fn save(
    ctx: Ctx,
    member: Member<need::ContentWrite>,
    path: web::Path<(String, String)>,
    form: web::Form<TextForm>,
) -> AppResult<HttpResponse> {
    let id = post_id(&path.1)?;
    let form = form.into_inner();
    match save_text(&ctx, &member, &id, &form).await? {
        Ok(saved) => {
            if saved.created {
                crate::web::flash::success(
                    &ctx.session,
                    format!("Saved version {}.", saved.version),
                );
            } else {
                crate::web::flash::info(
                    &ctx.session,
                    format!("Nothing changed since version {}.", saved.version),
                );
            }
            Ok(see_other(&post_path(&member.workspace.slug, &id)))
        }
        Err(errors) => {
            let draft = Draft {
                text: Some(form),
                text_errors: errors,
                ..Draft::default()
            };
            render(
                &ctx,
                (&member).into(),
                &id,
                draft,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Template)]
#[template(path = "partials/posts/autosave.html")]
struct AutosaveFragment {
    /// "saved", "unchanged" or "error".
    state: &'static str,
    message: String,
    title: String,
    version: i32,
    updated: String,
    versions: Option<VersionsView>,
}

/// The editor's background save. Always 200, so htmx swaps the answer into the indicator: a
/// saved version (with the version list and header brought up to date out of band), "no
/// changes", or why the text could not be saved.
pub async fn autosave(
    ctx: Ctx,
    member: Member<need::ContentWrite>,
    path: web::Path<(String, String)>,
    form: web::Form<TextForm>,
) -> AppResult<HttpResponse> {
    let id = post_id(&path.1)?;
    let form = form.into_inner();
    let fragment = match autosave_text(&ctx, &member, &id, &form).await? {
        Ok(saved) if saved.created => {
            let (tenant, post_id) = (member.tenant.clone(), id.clone());
            let loaded = crate::db::run(&ctx.state.pool, move |conn| {
                view::load(conn, &tenant, &post_id, false)
            })
            .await?;
            let csrf = crate::auth::csrf::token(&ctx.session);
            let mut versions = VersionsView::build(
                &member.workspace.slug,
                &loaded.post,
                &csrf,
                true,
                &loaded.versions,
                &loaded.names,
            );
            versions.oob = true;
            AutosaveFragment {
                state: "saved",
                message: format!(
                    "Saved version {} \u{b7} {} UTC",
                    saved.version,
                    now().format("%H:%M")
                ),
                title: loaded.post.title.clone(),
                version: loaded.post.current_version,
                updated: view::when(loaded.post.updated_at),
                versions: Some(versions),
            }
        }
        Ok(saved) => AutosaveFragment {
            state: "unchanged",
            message: format!("No changes since version {}", saved.version),
            title: String::new(),
            version: saved.version,
            updated: String::new(),
            versions: None,
        },
        Err(errors) => AutosaveFragment {
            state: "error",
            message: format!(
                "Not saved: {}",
                ["title", "body"]
                    .iter()
                    .map(|f| errors.get(f))
                    .filter(|m| !m.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            title: String::new(),
            version: 0,
            updated: String::new(),
            versions: None,
        },
    };
    let html = fragment
        .render()
        .map_err(|e| AppError::internal(format!("autosave fragment: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(html))
}

/// Deletes the post with its versions and history, then shows the board.
pub async fn delete(
    ctx: Ctx,
    member: Member<need::ContentWrite>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let id = post_id(&path.1)?;
    let actor = member.actor(&ctx.req);
    let tenant = member.tenant.clone();
    let title = crate::db::tx(&ctx.state.pool, move |conn| {
        let post = repo::posts::find(conn, &tenant, &id)?.ok_or(AppError::NotFound)?;
        posts::delete(conn, &tenant, &actor, &id)?;
        Ok(post.title)
    })
    .await?;
    crate::web::flash::success(
        &ctx.session,
        format!("Deleted \u{201c}{title}\u{201d} and all its versions."),
    );
    Ok(see_other(&format!("/w/{}/board", member.workspace.slug)))
}

#[cfg(test)]
mod tests {
    use super::normalize_newlines;

    #[test]
    fn line_breaks_are_stored_as_lf() {
        assert_eq!(normalize_newlines("a\r\nb\rc\n"), "a\nb\nc\n");
    }
}
