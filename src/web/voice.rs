//! Voice: writing samples, learning a voice profile from them, and managing profiles.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::{need, Member, Scope};
use crate::error::{AppError, AppResult};
use crate::model::{
    AnalysisStatus, VoiceAnalysis, VoiceAnalysisId, VoiceProfile, VoiceProfileId, WritingSampleId,
};
use crate::repo;
use crate::service::audit::{self, Event};
use crate::service::voice::{self, ProfileInput, MIN_WORDS, PROMPTS, RECOMMENDED_WORDS};
use crate::web::forms::FieldErrors;
use crate::web::shell::{Section, Shell};
use crate::web::{fmt_time, page, see_other, Ctx};

pub struct SampleView {
    pub id: String,
    pub title: String,
    pub source: &'static str,
    pub words: i32,
    pub added: String,
    pub excerpt: String,
}

pub struct ProfileRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub preset: bool,
    pub is_default: bool,
}

pub struct AnalysisView {
    pub id: String,
    pub status: &'static str,
    pub running: bool,
    pub error: String,
    pub profile_id: String,
    pub words: i32,
    pub agent: String,
}

impl AnalysisView {
    fn from(a: &VoiceAnalysis) -> AnalysisView {
        AnalysisView {
            id: a.id.to_string(),
            status: a.status.as_str(),
            running: matches!(a.status, AnalysisStatus::Queued | AnalysisStatus::Running),
            error: a.error.clone().unwrap_or_default(),
            profile_id: a
                .voice_profile_id
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_default(),
            words: a.word_count,
            agent: a.agent.clone(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/voice/index.html")]
struct VoicePage {
    shell: Shell,
    slug: String,
    samples: Vec<SampleView>,
    total_words: usize,
    min_words: usize,
    recommended_words: usize,
    enough: bool,
    percent: usize,
    prompts: &'static [(&'static str, &'static str)],
    profiles: Vec<ProfileRow>,
    analysis: Option<AnalysisView>,
    provider: String,
    can_write: bool,
    sample_errors: FieldErrors,
    sample_title: String,
    sample_content: String,
    sample_prompt: String,
    analyze_error: String,
    script: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "partials/voice/analysis.html")]
struct AnalysisFragment {
    slug: String,
    analysis: AnalysisView,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/voice/profile.html")]
struct ProfilePage {
    shell: Shell,
    slug: String,
    profile: VoiceProfile,
    is_default: bool,
    can_write: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/voice/profile_form.html")]
struct ProfileFormPage {
    shell: Shell,
    slug: String,
    /// Empty for a new profile.
    id: String,
    input: ProfileInput,
    errors: FieldErrors,
}

fn provider_label(ctx: &Ctx) -> String {
    ctx.state
        .config
        .agent
        .as_ref()
        .map(|a| format!("{} \u{b7} {}", a.kind.name(), a.model))
        .unwrap_or_default()
}

struct SampleForm<'a> {
    errors: FieldErrors,
    title: &'a str,
    content: &'a str,
    prompt: &'a str,
}

async fn render(
    ctx: &Ctx,
    member: &Member<need::ContentRead>,
    form: Option<SampleForm<'_>>,
    analyze_error: String,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let tenant = member.tenant.clone();
    let (samples, profiles, default, active) = crate::db::run(&ctx.state.pool, move |conn| {
        Ok((
            repo::voice::samples(conn, &tenant)?,
            repo::voice_profiles::list_available(conn, &tenant)?,
            repo::voice::default_profile(conn, &tenant)?,
            repo::voice::active_analysis(conn, &tenant)?,
        ))
    })
    .await?;
    let total_words: usize = samples.iter().map(|s| s.word_count.max(0) as usize).sum();
    let form = form.unwrap_or(SampleForm {
        errors: FieldErrors::new(),
        title: "",
        content: "",
        prompt: "",
    });
    let shell = Shell::app(
        &ctx.state,
        &ctx.session,
        &member.auth,
        Some((&member.tenant, &member.workspace)),
        Section::Voice,
        "Voice",
    )
    .await?;
    Ok(page(
        &ctx.req,
        VoicePage {
            shell,
            slug: member.workspace.slug.clone(),
            samples: samples
                .iter()
                .map(|s| SampleView {
                    id: s.id.to_string(),
                    title: if s.title.is_empty() {
                        s.prompt_id
                            .as_deref()
                            .and_then(|p| PROMPTS.iter().find(|(id, _)| *id == p))
                            .map(|(_, text)| text.to_string())
                            .unwrap_or_else(|| "Untitled sample".into())
                    } else {
                        s.title.clone()
                    },
                    source: s.source_type.as_str(),
                    words: s.word_count,
                    added: fmt_time(s.created_at),
                    excerpt: s.content.chars().take(180).collect(),
                })
                .collect(),
            total_words,
            min_words: MIN_WORDS,
            recommended_words: RECOMMENDED_WORDS,
            enough: total_words >= MIN_WORDS,
            percent: (total_words * 100 / RECOMMENDED_WORDS).min(100),
            prompts: PROMPTS,
            profiles: profiles
                .iter()
                .map(|p| ProfileRow {
                    id: p.id.to_string(),
                    name: p.name.clone(),
                    description: p.description.clone(),
                    preset: p.is_preset,
                    is_default: default.as_ref() == Some(&p.id),
                })
                .collect(),
            analysis: active.as_ref().map(AnalysisView::from),
            provider: provider_label(ctx),
            can_write: member.tenant.can(Scope::ContentWrite),
            sample_errors: form.errors,
            sample_title: form.title.to_string(),
            sample_content: form.content.to_string(),
            sample_prompt: form.prompt.to_string(),
            analyze_error,
            script: crate::web::assets::url("js/voice.js"),
        },
        status,
    ))
}

pub async fn index(ctx: Ctx, member: Member<need::ContentRead>) -> AppResult<HttpResponse> {
    render(&ctx, &member, None, String::new(), StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct NewSample {
    #[serde(default)]
    title: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    prompt_id: String,
}

pub async fn add_sample(
    ctx: Ctx,
    member: Member<need::ContentWrite>,
    form: web::Form<NewSample>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let actor = member.actor(&ctx.req);
    let tenant = member.tenant.clone();
    let (title, content, prompt) = (
        form.title.clone(),
        form.content.clone(),
        form.prompt_id.clone(),
    );
    let result = crate::db::tx(&ctx.state.pool, move |conn| {
        voice::add_sample(conn, &tenant, &actor, &title, &content, Some(&prompt))
    })
    .await?;
    match result {
        Ok(sample) => {
            crate::web::flash::success(
                &ctx.session,
                format!("Sample saved ({} words).", sample.word_count),
            );
            Ok(see_other(&format!("/w/{}/voice", member.workspace.slug)))
        }
        Err(errors) => {
            let reader = member.into_reader();
            render(
                &ctx,
                &reader,
                Some(SampleForm {
                    errors,
                    title: &form.title,
                    content: &form.content,
                    prompt: &form.prompt_id,
                }),
                String::new(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

pub async fn delete_sample(
    ctx: Ctx,
    member: Member<need::ContentWrite>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let id = WritingSampleId::parse(&path.1).ok_or(AppError::NotFound)?;
    let actor = member.actor(&ctx.req);
    let tenant = member.tenant.clone();
    let deleted = crate::db::tx(&ctx.state.pool, move |conn| {
        let n = repo::voice::delete_sample(conn, &tenant, &id)?;
        if n == 1 {
            audit::workspace(
                conn,
                &tenant,
                &actor,
                Event::new("voice.sample_deleted", "Deleted a writing sample")
                    .on("writing_sample", id.as_str()),
            )?;
        }
        Ok(n)
    })
    .await?;
    if deleted == 0 {
        return Err(AppError::NotFound);
    }
    crate::web::flash::success(&ctx.session, "Sample deleted.");
    Ok(see_other(&format!("/w/{}/voice", member.workspace.slug)))
}

pub async fn analyze(ctx: Ctx, member: Member<need::ContentWrite>) -> AppResult<HttpResponse> {
    let Some(provider) = ctx.state.config.agent.clone() else {
        let reader = member.into_reader();
        return render(
            &ctx,
            &reader,
            None,
            crate::workflow::agents::NO_PROVIDER.into(),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let label = format!("{} \u{b7} {}", provider.kind.name(), provider.model);
    let actor = member.actor(&ctx.req);
    let tenant = member.tenant.clone();
    let result = crate::db::tx(&ctx.state.pool, move |conn| {
        voice::request_analysis(conn, &tenant, &actor, &label)
    })
    .await?;
    match result {
        Ok(_) => Ok(see_other(&format!(
            "/w/{}/voice#analysis",
            member.workspace.slug
        ))),
        Err(message) => {
            let reader = member.into_reader();
            render(
                &ctx,
                &reader,
                None,
                message,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// The progress fragment htmx polls while an analysis runs.
pub async fn analysis_status(
    ctx: Ctx,
    member: Member<need::ContentRead>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let id = VoiceAnalysisId::parse(&path.1).ok_or(AppError::NotFound)?;
    let tenant = member.tenant.clone();
    let analysis = crate::db::run(&ctx.state.pool, move |conn| {
        Ok(repo::voice::find_analysis(conn, &tenant, &id)?)
    })
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(page(
        &ctx.req,
        AnalysisFragment {
            slug: member.workspace.slug.clone(),
            analysis: AnalysisView::from(&analysis),
        },
        StatusCode::OK,
    ))
}

fn profile_id(raw: &str) -> AppResult<VoiceProfileId> {
    VoiceProfileId::parse(raw).ok_or(AppError::NotFound)
}

pub async fn show_profile(
    ctx: Ctx,
    member: Member<need::ContentRead>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let id = profile_id(&path.1)?;
    let tenant = member.tenant.clone();
    let (profile, default) = crate::db::run(&ctx.state.pool, move |conn| {
        Ok((
            repo::voice_profiles::find_available(conn, &tenant, &id)?,
            repo::voice::default_profile(conn, &tenant)?,
        ))
    })
    .await?;
    let profile = profile.ok_or(AppError::NotFound)?;
    let shell = Shell::app(
        &ctx.state,
        &ctx.session,
        &member.auth,
        Some((&member.tenant, &member.workspace)),
        Section::Voice,
        profile.name.clone(),
    )
    .await?;
    Ok(page(
        &ctx.req,
        ProfilePage {
            shell,
            slug: member.workspace.slug.clone(),
            is_default: default.as_ref() == Some(&profile.id),
            can_write: member.tenant.can(Scope::ContentWrite) && !profile.is_preset,
            profile,
        },
        StatusCode::OK,
    ))
}

async fn render_form(
    ctx: &Ctx,
    member: &Member<need::ContentWrite>,
    id: String,
    input: ProfileInput,
    errors: FieldErrors,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let shell = Shell::app(
        &ctx.state,
        &ctx.session,
        &member.auth,
        Some((&member.tenant, &member.workspace)),
        Section::Voice,
        if id.is_empty() {
            "New voice"
        } else {
            "Edit voice"
        },
    )
    .await?;
    Ok(page(
        &ctx.req,
        ProfileFormPage {
            shell,
            slug: member.workspace.slug.clone(),
            id,
            input,
            errors,
        },
        status,
    ))
}

pub async fn new_profile(ctx: Ctx, member: Member<need::ContentWrite>) -> AppResult<HttpResponse> {
    render_form(
        &ctx,
        &member,
        String::new(),
        ProfileInput::default(),
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

pub async fn edit_profile(
    ctx: Ctx,
    member: Member<need::ContentWrite>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let id = profile_id(&path.1)?;
    let tenant = member.tenant.clone();
    let wanted = id.clone();
    // Presets are not the workspace's own: they cannot be edited, so they are not found here.
    let profile = crate::db::run(&ctx.state.pool, move |conn| {
        Ok(repo::voice::find_own(conn, &tenant, &wanted)?)
    })
    .await?
    .ok_or(AppError::NotFound)?;
    let input = ProfileInput {
        name: profile.name,
        description: profile.description,
        tone_description: profile.tone_description,
        signature_phrases: profile.signature_phrases,
        word_choices: profile.word_choices,
        example_excerpts: profile.example_excerpts,
        avoid_patterns: profile.avoid_patterns,
    };
    render_form(
        &ctx,
        &member,
        id.to_string(),
        input,
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

async fn save(
    ctx: Ctx,
    member: Member<need::ContentWrite>,
    existing: Option<VoiceProfileId>,
    input: ProfileInput,
) -> AppResult<HttpResponse> {
    let actor = member.actor(&ctx.req);
    let tenant = member.tenant.clone();
    let (target, data) = (existing.clone(), input.clone());
    let result = crate::db::tx(&ctx.state.pool, move |conn| {
        voice::save_profile(conn, &tenant, &actor, target.as_ref(), &data)
    })
    .await?;
    match result {
        Ok(id) => {
            crate::web::flash::success(&ctx.session, "Voice saved.");
            Ok(see_other(&format!(
                "/w/{}/voice/profiles/{id}",
                member.workspace.slug
            )))
        }
        Err(errors) => {
            let id = existing.map(|e| e.to_string()).unwrap_or_default();
            render_form(
                &ctx,
                &member,
                id,
                input,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

pub async fn create_profile(
    ctx: Ctx,
    member: Member<need::ContentWrite>,
    form: web::Form<ProfileInput>,
) -> AppResult<HttpResponse> {
    save(ctx, member, None, form.into_inner()).await
}

pub async fn update_profile(
    ctx: Ctx,
    member: Member<need::ContentWrite>,
    path: web::Path<(String, String)>,
    form: web::Form<ProfileInput>,
) -> AppResult<HttpResponse> {
    let id = profile_id(&path.1)?;
    save(ctx, member, Some(id), form.into_inner()).await
}

pub async fn delete_profile(
    ctx: Ctx,
    member: Member<need::ContentWrite>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let id = profile_id(&path.1)?;
    let actor = member.actor(&ctx.req);
    let tenant = member.tenant.clone();
    let name = crate::db::tx(&ctx.state.pool, move |conn| {
        let profile = repo::voice::find_own(conn, &tenant, &id)?.ok_or(AppError::NotFound)?;
        repo::voice::delete_profile(conn, &tenant, &id)?;
        audit::workspace(
            conn,
            &tenant,
            &actor,
            Event::new(
                "voice.profile_deleted",
                format!("Deleted voice profile \u{201c}{}\u{201d}", profile.name),
            )
            .on("voice_profile", id.as_str()),
        )?;
        Ok(profile.name)
    })
    .await?;
    crate::web::flash::success(&ctx.session, format!("Deleted \u{201c}{name}\u{201d}."));
    Ok(see_other(&format!("/w/{}/voice", member.workspace.slug)))
}

#[derive(Deserialize)]
pub struct DefaultForm {
    #[serde(default)]
    voice_profile_id: String,
}

/// Chooses the voice the workspace's writing uses by default (empty: none).
pub async fn set_default(
    ctx: Ctx,
    member: Member<need::ContentWrite>,
    form: web::Form<DefaultForm>,
) -> AppResult<HttpResponse> {
    let chosen = match form.voice_profile_id.trim() {
        "" => None,
        raw => Some(
            VoiceProfileId::parse(raw)
                .ok_or_else(|| AppError::BadRequest("Unknown voice.".into()))?,
        ),
    };
    let actor = member.actor(&ctx.req);
    let tenant = member.tenant.clone();
    let name = crate::db::tx(&ctx.state.pool, move |conn| {
        let name = match &chosen {
            Some(id) => Some(
                repo::voice_profiles::find_available(conn, &tenant, id)?
                    .ok_or_else(|| AppError::BadRequest("Unknown voice.".into()))?
                    .name,
            ),
            None => None,
        };
        repo::voice::set_default(conn, &tenant, chosen.as_ref())?;
        audit::workspace(
            conn,
            &tenant,
            &actor,
            Event::new(
                "voice.default_set",
                match &name {
                    Some(n) => format!("Default voice set to \u{201c}{n}\u{201d}"),
                    None => "Default voice cleared".to_string(),
                },
            ),
        )?;
        Ok(name)
    })
    .await?;
    crate::web::flash::success(
        &ctx.session,
        match name {
            Some(n) => format!("\u{201c}{n}\u{201d} is now the workspace's default voice."),
            None => "The workspace has no default voice now.".into(),
        },
    );
    Ok(see_other(&format!("/w/{}/voice", member.workspace.slug)))
}
