//! `GET /w/{slug}/runs/new` and `POST /w/{slug}/runs`: the story, the workflow and the voice
//! a run starts from. The service checks everything again; a refused start re-renders the
//! form with the writer's input kept.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::{need, Member};
use crate::error::{AppError, AppResult};
use crate::model::PostId;
use crate::repo;
use crate::service;
use crate::service::runs::{Offer, StartRun};
use crate::web::board::filters::Params;
use crate::web::shell::{Section, Shell};
use crate::web::{flash, page, see_other, Ctx};

use super::{run_path, thousands, DEMO_LABEL};

pub struct OfferView {
    pub slug: String,
    pub label: String,
    pub description: String,
    pub locked: bool,
    pub selected: bool,
}

pub struct VoiceView {
    pub slug: String,
    pub name: String,
    pub selected: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/runs/new.html")]
struct NewRunPage {
    shell: Shell,
    slug: String,
    script: String,
    story: String,
    story_length: usize,
    limit: usize,
    offers: Vec<OfferView>,
    voices: Vec<VoiceView>,
    no_voice: bool,
    post_id: String,
    post_title: String,
    remaining: String,
    error: String,
    /// The refusal is about the story itself, so the story field is the one marked.
    story_error: bool,
    any_available: bool,
}

#[derive(Deserialize, Default)]
pub struct StartForm {
    #[serde(default)]
    pub story: String,
    #[serde(default)]
    pub config: String,
    #[serde(default)]
    pub voice: String,
    #[serde(default)]
    pub post_id: String,
}

/// Browsers send CRLF; the story is stored and counted with LF, as the writer sees it.
fn normalize_newlines(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

fn offer_label(o: &Offer) -> String {
    let mut label = o.name.clone();
    if o.demo && !o.name.contains(DEMO_LABEL) {
        label.push_str(&format!(" ({DEMO_LABEL})"));
    }
    if o.estimate > 0 {
        let n = thousands(o.estimate);
        label.push_str(&format!(
            " \u{b7} about {n} credit{}",
            if o.estimate == 1 { "" } else { "s" }
        ));
    } else {
        label.push_str(" \u{b7} no credits");
    }
    if let Some(why) = &o.locked {
        label.push_str(&format!(" \u{2014} {why}"));
    }
    label
}

/// What the form shows and keeps: the values, the problem, and the post it writes for.
struct FormState {
    form: StartForm,
    error: String,
    post_title: String,
}

async fn render(
    ctx: &Ctx,
    member: &Member<need::WorkflowExecute>,
    state: FormState,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let tenant = member.tenant.clone();
    let env = ctx.state.config.deployment_env;
    let (offers, limit, balance) = crate::db::run(&ctx.state.pool, move |conn| {
        Ok((
            service::runs::offers(conn, &tenant, env)?,
            service::runs::story_limit(conn, &tenant)?,
            service::usage::balance(conn, &tenant)?,
        ))
    })
    .await?;
    let FormState {
        form,
        error,
        post_title,
    } = state;
    // The chosen workflow, else the default one, else the first the workspace may use.
    let chosen = offers
        .iter()
        .find(|o| o.slug == form.config && o.locked.is_none())
        .or_else(|| offers.iter().find(|o| o.is_default && o.locked.is_none()))
        .or_else(|| offers.iter().find(|o| o.locked.is_none()))
        .map(|o| o.slug.clone());
    let voices = crate::workflow::prompt::voice_presets()
        .into_iter()
        .map(|v| VoiceView {
            selected: v.slug == form.voice,
            slug: v.slug,
            name: v.name,
        })
        .collect::<Vec<_>>();
    let shell = Shell::app(
        &ctx.state,
        &ctx.session,
        &member.auth,
        Some((&member.tenant, &member.workspace)),
        Section::Runs,
        "New run",
    )
    .await?;
    let story = form.story;
    let story_error =
        !error.is_empty() && (story.trim().is_empty() || story.chars().count() > limit);
    let view = NewRunPage {
        shell,
        slug: member.workspace.slug.clone(),
        script: crate::web::assets::url("js/run.js"),
        story_length: story.chars().count(),
        story,
        limit,
        any_available: offers.iter().any(|o| o.locked.is_none()),
        offers: offers
            .iter()
            .map(|o| OfferView {
                slug: o.slug.clone(),
                label: offer_label(o),
                description: o.description.clone(),
                locked: o.locked.is_some(),
                selected: chosen.as_deref() == Some(o.slug.as_str()),
            })
            .collect(),
        no_voice: !voices.iter().any(|v| v.selected),
        voices,
        post_id: form.post_id,
        post_title,
        remaining: if balance.unlimited() {
            "Unlimited".into()
        } else {
            format!(
                "{} of {} credits left this month",
                thousands(balance.remaining()),
                thousands(balance.limit)
            )
        },
        error,
        story_error,
    };
    Ok(page(&ctx.req, view, status))
}

/// The post a run is written for, when the form names one of this workspace's posts.
async fn load_post(
    ctx: &Ctx,
    member: &Member<need::WorkflowExecute>,
    raw: &str,
) -> AppResult<Option<crate::model::Post>> {
    let Some(id) = PostId::parse(raw.trim()) else {
        return Ok(None);
    };
    let tenant = member.tenant.clone();
    crate::db::run(&ctx.state.pool, move |conn| {
        Ok(repo::posts::find(conn, &tenant, &id)?)
    })
    .await
}

/// `GET /w/{slug}/runs/new[?post=<id>]`
pub async fn new_form(ctx: Ctx, member: Member<need::WorkflowExecute>) -> AppResult<HttpResponse> {
    let params = Params::parse(ctx.req.query_string());
    let mut form = StartForm::default();
    let mut post_title = String::new();
    let mut error = String::new();
    let raw_post = params.get("post");
    if !raw_post.is_empty() {
        match load_post(&ctx, &member, raw_post).await? {
            Some(post) => {
                let body = post.body.trim();
                form.story = if body.is_empty() {
                    post.title.clone()
                } else {
                    format!("{}\n\n{body}", post.title.trim())
                };
                form.post_id = post.id.to_string();
                post_title = post.title;
            }
            None => {
                error = "That post is not in this workspace; write the story here instead.".into()
            }
        }
    }
    form.config = params.get("config").to_string();
    render(
        &ctx,
        &member,
        FormState {
            form,
            error,
            post_title,
        },
        StatusCode::OK,
    )
    .await
}

/// `POST /w/{slug}/runs`
pub async fn create(
    ctx: Ctx,
    member: Member<need::WorkflowExecute>,
    form: web::Form<StartForm>,
) -> AppResult<HttpResponse> {
    let mut form = form.into_inner();
    form.story = normalize_newlines(&form.story);
    let post = if form.post_id.trim().is_empty() {
        None
    } else {
        load_post(&ctx, &member, &form.post_id).await?
    };
    let refuse = |form: StartForm, error: String, title: String| FormState {
        form,
        error,
        post_title: title,
    };
    if !form.post_id.trim().is_empty() && post.is_none() {
        form.post_id.clear();
        let state = refuse(
            form,
            "That post is no longer in this workspace; the run was not started.".into(),
            String::new(),
        );
        return render(&ctx, &member, state, StatusCode::BAD_REQUEST).await;
    }
    let post_title = post.as_ref().map(|p| p.title.clone()).unwrap_or_default();
    let req = StartRun {
        config_slug: form.config.trim().to_string(),
        story: form.story.clone(),
        voice: Some(form.voice.trim().to_string()).filter(|v| !v.is_empty()),
        post_id: post.map(|p| p.id),
    };
    let tenant = member.tenant.clone();
    let env = ctx.state.config.deployment_env;
    let started = crate::db::run(&ctx.state.pool, move |conn| {
        service::runs::start(conn, &tenant, env, req)
    })
    .await;
    match started {
        Ok(id) => {
            flash::success(&ctx.session, "The run has started.");
            Ok(see_other(&run_path(&member.workspace.slug, &id)))
        }
        Err(e @ (AppError::BadRequest(_) | AppError::PaymentRequired(_))) => {
            let status = if matches!(e, AppError::PaymentRequired(_)) {
                StatusCode::PAYMENT_REQUIRED
            } else {
                StatusCode::BAD_REQUEST
            };
            let state = refuse(form, e.to_string(), post_title);
            render(&ctx, &member, state, status).await
        }
        Err(e) => Err(e),
    }
}
