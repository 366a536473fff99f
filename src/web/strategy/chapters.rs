//! Adding, editing and deleting the chapters of a strategy.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use askama_web::WebTemplate;

use super::{chapter_url, goal_id, strategy_url};
use crate::auth::{need, Member};
use crate::error::{AppError, AppResult};
use crate::model::{Chapter, ChapterId, Goal};
use crate::repo;
use crate::service::strategy::{self as service, ChapterInput};
use crate::web::forms::FieldErrors;
use crate::web::shell::{Section, Shell};
use crate::web::{page, see_other, Ctx};

fn chapter_id(raw: &str) -> AppResult<ChapterId> {
    ChapterId::parse(raw).ok_or(AppError::NotFound)
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/strategy/chapter_form.html")]
struct ChapterFormPage {
    shell: Shell,
    heading: String,
    goal_name: String,
    action: String,
    submit: &'static str,
    cancel: String,
    input: ChapterInput,
    errors: FieldErrors,
    week_max: i32,
}

struct Spec {
    heading: String,
    action: String,
    submit: &'static str,
    cancel: String,
}

async fn render(
    ctx: &Ctx,
    member: &Member<need::StrategyWrite>,
    goal: &Goal,
    spec: Spec,
    input: ChapterInput,
    errors: FieldErrors,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let shell = Shell::app(
        &ctx.state,
        &ctx.session,
        &member.auth,
        Some((&member.tenant, &member.workspace)),
        Section::Strategy,
        spec.heading.clone(),
    )
    .await?;
    Ok(page(
        &ctx.req,
        ChapterFormPage {
            shell,
            heading: spec.heading,
            goal_name: goal.name.clone(),
            action: spec.action,
            submit: spec.submit,
            cancel: spec.cancel,
            input,
            errors,
            week_max: service::WEEK_MAX,
        },
        status,
    ))
}

/// Adds a chapter from the form at the foot of the strategy page; problems are shown on a
/// page of their own with the form filled in as sent.
pub async fn create(
    ctx: Ctx,
    member: Member<need::StrategyWrite>,
    path: web::Path<(String, String)>,
    form: web::Form<ChapterInput>,
) -> AppResult<HttpResponse> {
    let gid = goal_id(&path.1)?;
    let input = form.into_inner();
    let actor = member.actor(&ctx.req);
    let (tenant, sent, id) = (member.tenant.clone(), input.clone(), gid.clone());
    let result = crate::db::tx(&ctx.state.pool, move |conn| {
        let goal = repo::goals::find(conn, &tenant, &id)?.ok_or(AppError::NotFound)?;
        Ok((
            goal,
            service::add_chapter(conn, &tenant, &actor, &id, &sent)?,
        ))
    })
    .await?;
    let slug = &member.workspace.slug;
    match result {
        (_, Ok(chapter)) => {
            crate::web::flash::success(
                &ctx.session,
                format!(
                    "Added chapter {}, \u{201c}{}\u{201d}.",
                    chapter.chapter_number, chapter.title
                ),
            );
            Ok(see_other(&chapter_url(slug, &gid, &chapter.id)))
        }
        (goal, Err(errors)) => {
            let spec = Spec {
                heading: "New chapter".into(),
                action: format!("/w/{slug}/strategy/{gid}/chapters"),
                submit: "Add chapter",
                cancel: strategy_url(slug, &gid),
            };
            render(
                &ctx,
                &member,
                &goal,
                spec,
                input,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

async fn load(
    ctx: &Ctx,
    member: &Member<need::StrategyWrite>,
    id: &ChapterId,
) -> AppResult<(Chapter, Goal)> {
    let (tenant, id) = (member.tenant.clone(), id.clone());
    crate::db::run(&ctx.state.pool, move |conn| {
        let chapter = repo::chapters::find(conn, &tenant, &id)?.ok_or(AppError::NotFound)?;
        let goal = repo::goals::find(conn, &tenant, &chapter.goal_id)?.ok_or(AppError::NotFound)?;
        Ok((chapter, goal))
    })
    .await
}

fn edit_spec(slug: &str, chapter: &Chapter) -> Spec {
    Spec {
        heading: format!("Edit chapter {}", chapter.chapter_number),
        action: format!("/w/{slug}/strategy/chapters/{}/edit", chapter.id),
        submit: "Save chapter",
        cancel: chapter_url(slug, &chapter.goal_id, &chapter.id),
    }
}

pub async fn edit_form(
    ctx: Ctx,
    member: Member<need::StrategyWrite>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let id = chapter_id(&path.1)?;
    let (chapter, goal) = load(&ctx, &member, &id).await?;
    let spec = edit_spec(&member.workspace.slug, &chapter);
    render(
        &ctx,
        &member,
        &goal,
        spec,
        ChapterInput::from_chapter(&chapter),
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

pub async fn update(
    ctx: Ctx,
    member: Member<need::StrategyWrite>,
    path: web::Path<(String, String)>,
    form: web::Form<ChapterInput>,
) -> AppResult<HttpResponse> {
    let id = chapter_id(&path.1)?;
    let input = form.into_inner();
    let actor = member.actor(&ctx.req);
    let (tenant, sent, cid) = (member.tenant.clone(), input.clone(), id.clone());
    let result = crate::db::tx(&ctx.state.pool, move |conn| {
        service::update_chapter(conn, &tenant, &actor, &cid, &sent)
    })
    .await?;
    let slug = &member.workspace.slug;
    match result {
        Ok(chapter) => {
            crate::web::flash::success(
                &ctx.session,
                format!(
                    "Saved chapter {}, \u{201c}{}\u{201d}.",
                    chapter.chapter_number, chapter.title
                ),
            );
            Ok(see_other(&chapter_url(slug, &chapter.goal_id, &chapter.id)))
        }
        Err(errors) => {
            let (chapter, goal) = load(&ctx, &member, &id).await?;
            let spec = edit_spec(slug, &chapter);
            render(
                &ctx,
                &member,
                &goal,
                spec,
                input,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

pub async fn delete(
    ctx: Ctx,
    member: Member<need::StrategyWrite>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let id = chapter_id(&path.1)?;
    let actor = member.actor(&ctx.req);
    let tenant = member.tenant.clone();
    let (chapter, posts) = crate::db::tx(&ctx.state.pool, move |conn| {
        service::delete_chapter(conn, &tenant, &actor, &id)
    })
    .await?;
    let kept = match posts {
        0 => String::new(),
        1 => " Its 1 post is kept without a chapter.".into(),
        n => format!(" Its {n} posts are kept without a chapter."),
    };
    crate::web::flash::success(
        &ctx.session,
        format!(
            "Deleted chapter {}, \u{201c}{}\u{201d}.{kept}",
            chapter.chapter_number, chapter.title
        ),
    );
    Ok(see_other(&strategy_url(
        &member.workspace.slug,
        &chapter.goal_id,
    )))
}
