//! Creating, editing and deleting a strategy, and choosing its voice.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::{goal_id, strategy_url};
use crate::auth::{need, Member};
use crate::error::{AppError, AppResult};
use crate::model::{Goal, GoalId};
use crate::repo;
use crate::service::strategy::{self as service, ContentStyle, GoalInput};
use crate::web::forms::FieldErrors;
use crate::web::shell::{Section, Shell};
use crate::web::{page, see_other, Ctx};

pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/strategy/form.html")]
struct GoalFormPage {
    shell: Shell,
    heading: String,
    action: String,
    submit: &'static str,
    cancel: String,
    input: GoalInput,
    errors: FieldErrors,
    types: Vec<Choice>,
    styles: Vec<&'static str>,
    per_week_max: i32,
    name_max: usize,
}

struct FormSpec {
    heading: String,
    action: String,
    submit: &'static str,
    cancel: String,
}

async fn render_form(
    ctx: &Ctx,
    member: &Member<need::StrategyWrite>,
    spec: FormSpec,
    input: GoalInput,
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
        GoalFormPage {
            shell,
            heading: spec.heading,
            action: spec.action,
            submit: spec.submit,
            cancel: spec.cancel,
            input,
            errors,
            types: vec![
                Choice {
                    value: "series",
                    label: "Series \u{2014} one story told over weeks, chapter by chapter",
                },
                Choice {
                    value: "daily",
                    label: "Daily \u{2014} a steady stream of standalone posts",
                },
                Choice {
                    value: "campaign",
                    label: "Campaign \u{2014} a push towards one launch or date",
                },
            ],
            styles: ContentStyle::ALL.iter().map(|s| s.label()).collect(),
            per_week_max: service::PER_WEEK_MAX,
            name_max: service::NAME_MAX,
        },
        status,
    ))
}

fn new_spec(slug: &str) -> FormSpec {
    FormSpec {
        heading: "New strategy".into(),
        action: format!("/w/{slug}/strategy"),
        submit: "Create strategy",
        cancel: format!("/w/{slug}/strategy"),
    }
}

pub async fn new_form(ctx: Ctx, member: Member<need::StrategyWrite>) -> AppResult<HttpResponse> {
    let spec = new_spec(&member.workspace.slug);
    render_form(
        &ctx,
        &member,
        spec,
        GoalInput::blank(),
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

pub async fn create(
    ctx: Ctx,
    member: Member<need::StrategyWrite>,
    form: web::Form<GoalInput>,
) -> AppResult<HttpResponse> {
    let input = form.into_inner();
    let actor = member.actor(&ctx.req);
    let (tenant, sent) = (member.tenant.clone(), input.clone());
    let result = crate::db::tx(&ctx.state.pool, move |conn| {
        service::create_goal(conn, &tenant, &actor, &sent)
    })
    .await?;
    match result {
        Ok(goal) => {
            crate::web::flash::success(
                &ctx.session,
                format!(
                    "Strategy \u{201c}{}\u{201d} created. Add its first chapter below.",
                    goal.name
                ),
            );
            Ok(see_other(&strategy_url(&member.workspace.slug, &goal.id)))
        }
        Err(errors) => {
            let spec = new_spec(&member.workspace.slug);
            render_form(
                &ctx,
                &member,
                spec,
                input,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

fn edit_spec(slug: &str, goal: &GoalId, name: &str) -> FormSpec {
    FormSpec {
        heading: format!("Edit \u{201c}{name}\u{201d}"),
        action: format!("/w/{slug}/strategy/{goal}/edit"),
        submit: "Save changes",
        cancel: strategy_url(slug, goal),
    }
}

async fn find_goal(
    ctx: &Ctx,
    member: &Member<need::StrategyWrite>,
    id: &GoalId,
) -> AppResult<Goal> {
    let (tenant, id) = (member.tenant.clone(), id.clone());
    crate::db::run(&ctx.state.pool, move |conn| {
        repo::goals::find(conn, &tenant, &id)?.ok_or(AppError::NotFound)
    })
    .await
}

pub async fn edit_form(
    ctx: Ctx,
    member: Member<need::StrategyWrite>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let id = goal_id(&path.1)?;
    let goal = find_goal(&ctx, &member, &id).await?;
    let spec = edit_spec(&member.workspace.slug, &id, &goal.name);
    render_form(
        &ctx,
        &member,
        spec,
        GoalInput::from_goal(&goal),
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

pub async fn update(
    ctx: Ctx,
    member: Member<need::StrategyWrite>,
    path: web::Path<(String, String)>,
    form: web::Form<GoalInput>,
) -> AppResult<HttpResponse> {
    let id = goal_id(&path.1)?;
    let input = form.into_inner();
    let actor = member.actor(&ctx.req);
    let (tenant, sent, gid) = (member.tenant.clone(), input.clone(), id.clone());
    let result = crate::db::tx(&ctx.state.pool, move |conn| {
        service::update_goal(conn, &tenant, &actor, &gid, &sent)
    })
    .await?;
    match result {
        Ok(goal) => {
            crate::web::flash::success(
                &ctx.session,
                format!("Saved \u{201c}{}\u{201d}.", goal.name),
            );
            Ok(see_other(&strategy_url(&member.workspace.slug, &id)))
        }
        Err(errors) => {
            let goal = find_goal(&ctx, &member, &id).await?;
            let spec = edit_spec(&member.workspace.slug, &id, &goal.name);
            render_form(
                &ctx,
                &member,
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
    let id = goal_id(&path.1)?;
    let actor = member.actor(&ctx.req);
    let tenant = member.tenant.clone();
    let deleted = crate::db::tx(&ctx.state.pool, move |conn| {
        service::delete_goal(conn, &tenant, &actor, &id)
    })
    .await?;
    let kept = match deleted.posts {
        0 => String::new(),
        1 => " Its 1 post is kept on the board without a chapter.".into(),
        n => format!(" Its {n} posts are kept on the board without a chapter."),
    };
    crate::web::flash::success(
        &ctx.session,
        format!(
            "Deleted \u{201c}{}\u{201d} and its {} {}.{kept}",
            deleted.name,
            deleted.chapters,
            if deleted.chapters == 1 {
                "chapter"
            } else {
                "chapters"
            }
        ),
    );
    Ok(see_other(&format!("/w/{}/strategy", member.workspace.slug)))
}

#[derive(Deserialize)]
pub struct VoiceForm {
    #[serde(default)]
    voice_profile_id: String,
}

pub async fn set_voice(
    ctx: Ctx,
    member: Member<need::StrategyWrite>,
    path: web::Path<(String, String)>,
    form: web::Form<VoiceForm>,
) -> AppResult<HttpResponse> {
    let id = goal_id(&path.1)?;
    let actor = member.actor(&ctx.req);
    let (tenant, gid, raw) = (
        member.tenant.clone(),
        id.clone(),
        form.into_inner().voice_profile_id,
    );
    let (goal, voice) = crate::db::tx(&ctx.state.pool, move |conn| {
        service::set_voice(conn, &tenant, &actor, &gid, &raw)
    })
    .await?;
    crate::web::flash::success(
        &ctx.session,
        format!(
            "\u{201c}{}\u{201d} now writes in the {} voice.",
            goal.name,
            voice.as_deref().unwrap_or("workspace default")
        ),
    );
    Ok(see_other(&strategy_url(&member.workspace.slug, &id)))
}
