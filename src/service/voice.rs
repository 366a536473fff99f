//! Voice: writing samples, learning a voice profile from them through the AI provider, and
//! the workspace's own profiles beside the read-only presets.

use serde::{Deserialize, Serialize};

use crate::auth::{tenant, Tenant};
use crate::db::{DbConn, DbPool};
use crate::error::AppError;
use crate::jobs::{self, JobKind};
use crate::model::{
    now, AnalysisStatus, SampleSource, UserId, VoiceAnalysis, VoiceAnalysisId, VoiceProfile,
    VoiceProfileId, WorkspaceId, WritingSample, WritingSampleId,
};
use crate::repo;
use crate::service::audit::{self, Actor, Event};
use crate::web::forms::FieldErrors;
use crate::workflow::agents::{extract_json_object, Agent, AgentRequest};

/// Below this the analysis has too little to go on.
pub const MIN_WORDS: usize = 300;
/// Enough for a confident profile.
pub const RECOMMENDED_WORDS: usize = 1500;
pub const SAMPLE_MAX_CHARS: usize = 50_000;
const FIELD_MAX_CHARS: usize = 5_000;
/// What the analysis sends to the model at most, so a large library stays one call.
const PROMPT_SAMPLE_CHARS: usize = 24_000;

/// Writing prompts that bring out how someone tells a story: (id, prompt).
pub const PROMPTS: &[(&str, &str)] = &[
    ("mistake", "Describe a professional mistake you made and what it taught you."),
    ("turning-point", "Tell the story of a turning point in your career, as you would tell it to a friend."),
    ("unpopular", "What is an opinion about your field that most of your peers would disagree with? Why do you hold it?"),
    ("mentor", "Write about someone who shaped how you work, and one thing they did that you still copy."),
    ("small-win", "Describe a small, unglamorous win from last month and why it mattered."),
    ("advice", "What advice would you give to someone starting in your role today?"),
];

pub fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

/// Saves a sample after checking it. Call inside a transaction.
pub fn add_sample(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
    title: &str,
    content: &str,
    prompt_id: Option<&str>,
) -> Result<Result<WritingSample, FieldErrors>, AppError> {
    let mut errors = FieldErrors::new();
    let content = content.trim();
    let words = word_count(content);
    if words == 0 {
        errors.add("content", "Paste or write some text first.");
    } else if words < 20 {
        errors.add(
            "content",
            "A sample needs at least 20 words to say anything about your voice.",
        );
    } else if content.chars().count() > SAMPLE_MAX_CHARS {
        errors.add(
            "content",
            format!("Keep one sample under {SAMPLE_MAX_CHARS} characters; split longer texts."),
        );
    }
    if title.trim().chars().count() > 200 {
        errors.add("title", "Keep the title to 200 characters or fewer.");
    }
    let prompt = match prompt_id.map(str::trim).filter(|p| !p.is_empty()) {
        None => None,
        Some(p) => match PROMPTS.iter().find(|(id, _)| *id == p) {
            Some((id, _)) => Some(id.to_string()),
            None => {
                errors.add("prompt_id", "Choose one of the listed prompts.");
                None
            }
        },
    };
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let sample = WritingSample {
        id: WritingSampleId::new(),
        workspace_id: tenant.workspace_id().clone(),
        user_id: actor.user_id.clone(),
        source_type: if prompt.is_some() {
            SampleSource::Prompt
        } else {
            SampleSource::Paste
        },
        prompt_id: prompt,
        title: title.trim().to_string(),
        content: content.to_string(),
        word_count: words as i32,
        created_at: now(),
    };
    repo::voice::insert_sample(conn, tenant, &sample)?;
    audit::workspace(
        conn,
        tenant,
        actor,
        Event::new(
            "voice.sample_added",
            format!("Added a writing sample of {words} words"),
        )
        .on("writing_sample", sample.id.as_str()),
    )?;
    Ok(Ok(sample))
}

#[derive(Debug, Serialize, Deserialize)]
pub struct AnalysisJob {
    pub analysis_id: VoiceAnalysisId,
    pub workspace_id: WorkspaceId,
    pub requested_by: UserId,
}

/// Starts an analysis of every sample, or returns the one already under way. `Err(message)`
/// when there is not enough text yet.
pub fn request_analysis(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
    agent: &str,
) -> Result<Result<VoiceAnalysis, String>, AppError> {
    if let Some(active) = repo::voice::active_analysis(conn, tenant)? {
        return Ok(Ok(active));
    }
    let samples = repo::voice::samples(conn, tenant)?;
    let words: usize = samples.iter().map(|s| s.word_count.max(0) as usize).sum();
    if words < MIN_WORDS {
        return Ok(Err(format!(
            "Add more writing first: {words} of the {MIN_WORDS} words needed."
        )));
    }
    let requested_by = actor
        .user_id
        .clone()
        .ok_or_else(|| AppError::internal("analysis without a user"))?;
    let analysis = VoiceAnalysis {
        id: VoiceAnalysisId::new(),
        workspace_id: tenant.workspace_id().clone(),
        requested_by_id: Some(requested_by.clone()),
        status: AnalysisStatus::Queued,
        sample_count: samples.len() as i32,
        word_count: words as i32,
        voice_profile_id: None,
        error: None,
        agent: agent.to_string(),
        created_at: now(),
        finished_at: None,
    };
    repo::voice::insert_analysis(conn, tenant, &analysis)?;
    let payload = serde_json::to_string(&AnalysisJob {
        analysis_id: analysis.id.clone(),
        workspace_id: tenant.workspace_id().clone(),
        requested_by,
    })
    .map_err(|e| AppError::internal(format!("job payload: {e}")))?;
    jobs::queue::enqueue(conn, JobKind::AnalyzeVoice, &payload)?;
    audit::workspace(
        conn,
        tenant,
        actor,
        Event::new(
            "voice.analysis_requested",
            format!(
                "Asked for a voice analysis of {} samples ({words} words)",
                samples.len()
            ),
        )
        .on("voice_analysis", analysis.id.as_str()),
    )?;
    Ok(Ok(analysis))
}

/// How a job ended: done, retry later, or give up with a message for the user.
pub enum AnalysisOutcome {
    Done,
    Retry(String),
    Failed(String),
}

const SYSTEM_PROMPT: &str = "You study writing samples and describe the author's voice so \
that another writer can imitate it faithfully. Describe only what the samples show; never \
invent biography. Answer with one JSON object and nothing else, with these keys: \
\"name\" (2-4 words naming the voice), \"description\" (one sentence), \"tone_description\" \
(3-5 sentences on tone, rhythm, sentence length, point of view), \"signature_phrases\" (a list \
of up to 6 short phrases or openers the author really uses or would use), \"word_choices\" \
(2-4 sentences on vocabulary), \"example_excerpts\" (a list of 2-3 short quotes taken verbatim \
from the samples), \"avoid_patterns\" (a list of habits that would sound unlike this author).";

fn text_of(value: &serde_json::Value, key: &str) -> String {
    match value.get(key) {
        Some(serde_json::Value::String(s)) => s.trim().to_string(),
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str())
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
    .chars()
    .take(FIELD_MAX_CHARS)
    .collect()
}

/// The job: checks the requester still belongs to the workspace, asks the model, and saves
/// the profile. Safe to run twice: a finished analysis is left alone.
pub fn run_analysis(
    pool: &DbPool,
    agent: &dyn Agent,
    job: &AnalysisJob,
) -> Result<AnalysisOutcome, AppError> {
    let mut conn = pool.get()?;
    let Some(slug) = repo::workspaces::slug_of(&mut conn, &job.workspace_id)? else {
        return Ok(AnalysisOutcome::Failed(
            "The workspace no longer exists.".into(),
        ));
    };
    // The same membership check as a request: someone who left cannot spend the workspace's AI.
    let Some((tenant, _)) = tenant::check_membership(&mut conn, &job.requested_by, &slug)? else {
        return Ok(AnalysisOutcome::Failed(
            "The requester is no longer a member.".into(),
        ));
    };
    let Some(analysis) = repo::voice::find_analysis(&mut conn, &tenant, &job.analysis_id)? else {
        return Ok(AnalysisOutcome::Failed("The analysis was removed.".into()));
    };
    if matches!(
        analysis.status,
        AnalysisStatus::Done | AnalysisStatus::Failed
    ) {
        return Ok(AnalysisOutcome::Done);
    }
    repo::voice::set_analysis_status(
        &mut conn,
        &tenant,
        &analysis.id,
        &[AnalysisStatus::Queued, AnalysisStatus::Running],
        AnalysisStatus::Running,
        None,
        None,
    )?;
    let samples = repo::voice::samples(&mut conn, &tenant)?;
    // No connection is held during the model call, which can take a minute.
    drop(conn);
    let mut corpus = String::new();
    for (i, s) in samples.iter().enumerate() {
        if corpus.len() >= PROMPT_SAMPLE_CHARS {
            break;
        }
        let title = if s.title.is_empty() {
            format!("Sample {}", i + 1)
        } else {
            s.title.clone()
        };
        corpus.push_str(&format!("### {title}\n{}\n\n", s.content));
    }
    let corpus: String = corpus.chars().take(PROMPT_SAMPLE_CHARS).collect();
    let request = AgentRequest::single(
        SYSTEM_PROMPT,
        format!("Here are the writing samples.\n\n{corpus}\nDescribe this author's voice as the JSON object."),
    );
    let answer = match agent.invoke(&request) {
        Ok(a) => a,
        Err(e) if e.is_transient() => return Ok(AnalysisOutcome::Retry(e.to_string())),
        Err(e) => return fail(pool, &tenant, &analysis.id, &e.to_string()),
    };
    let Some(json) = extract_json_object(&answer.content) else {
        return Ok(AnalysisOutcome::Retry(
            "the model's answer held no JSON object".into(),
        ));
    };
    let tone = text_of(&json, "tone_description");
    if tone.is_empty() {
        return Ok(AnalysisOutcome::Retry(
            "the model's answer had no tone description".into(),
        ));
    }
    let mut conn = pool.get()?;
    crate::db::write_tx(&mut conn, |conn| -> Result<(), AppError> {
        let base_name = match text_of(&json, "name") {
            n if n.is_empty() => "My voice".to_string(),
            n => n.chars().take(60).collect(),
        };
        let mut slug = crate::service::workspaces::slugify(&base_name);
        let mut n = 2;
        while repo::voice::slug_taken(conn, &tenant, &slug, None)? {
            slug = format!("{}-{n}", crate::service::workspaces::slugify(&base_name));
            n += 1;
        }
        let at = now();
        let profile = VoiceProfile {
            id: VoiceProfileId::new(),
            workspace_id: Some(tenant.workspace_id().clone()),
            is_preset: false,
            name: base_name,
            slug,
            description: text_of(&json, "description"),
            tone_description: tone,
            signature_phrases: text_of(&json, "signature_phrases"),
            word_choices: text_of(&json, "word_choices"),
            example_excerpts: text_of(&json, "example_excerpts"),
            avoid_patterns: text_of(&json, "avoid_patterns"),
            created_by_id: analysis.requested_by_id.clone(),
            created_at: at,
            updated_at: at,
        };
        if !repo::voice::set_analysis_status(
            conn,
            &tenant,
            &analysis.id,
            &[AnalysisStatus::Running],
            AnalysisStatus::Done,
            None,
            None,
        )? {
            // Someone else finished it meanwhile.
            return Ok(());
        }
        repo::voice::insert_profile(conn, &tenant, &profile)?;
        repo::voice::set_analysis_status(
            conn,
            &tenant,
            &analysis.id,
            &[AnalysisStatus::Done],
            AnalysisStatus::Done,
            Some(&profile.id),
            None,
        )?;
        let actor = Actor {
            user_id: analysis.requested_by_id.clone(),
            ip: None,
            user_agent: Some(format!("voice analysis ({})", agent.describe())),
        };
        audit::workspace(
            conn,
            &tenant,
            &actor,
            Event::new(
                "voice.profile_learned",
                format!(
                    "Learned voice profile \u{201c}{}\u{201d} ({} tokens, ${:.4})",
                    profile.name,
                    answer.input_tokens + answer.output_tokens,
                    answer.cost_usd
                ),
            )
            .on("voice_profile", profile.id.as_str()),
        )?;
        if let Some(requester) = &analysis.requested_by_id {
            crate::service::notify::notify(
                conn,
                &tenant,
                None,
                crate::service::notify::Notice {
                    recipient: requester,
                    kind: crate::model::NotificationKind::VoiceReady,
                    title: format!(
                        "Your voice profile \u{201c}{}\u{201d} is ready",
                        profile.name
                    ),
                    body: profile.description.clone(),
                    link: format!("/voice/profiles/{}", profile.id),
                },
            )?;
        }
        Ok(())
    })?;
    Ok(AnalysisOutcome::Done)
}

/// Records a final failure on the analysis so the page can say what went wrong.
pub fn fail(
    pool: &DbPool,
    tenant: &Tenant,
    id: &VoiceAnalysisId,
    message: &str,
) -> Result<AnalysisOutcome, AppError> {
    let mut conn = pool.get()?;
    repo::voice::set_analysis_status(
        &mut conn,
        tenant,
        id,
        &[AnalysisStatus::Queued, AnalysisStatus::Running],
        AnalysisStatus::Failed,
        None,
        Some(message),
    )?;
    Ok(AnalysisOutcome::Failed(message.to_string()))
}

/// Marks the analysis failed after the job ran out of attempts.
pub fn give_up(pool: &DbPool, job: &AnalysisJob, message: &str) -> Result<(), AppError> {
    let mut conn = pool.get()?;
    if let Some(slug) = repo::workspaces::slug_of(&mut conn, &job.workspace_id)? {
        if let Some((tenant, _)) = tenant::check_membership(&mut conn, &job.requested_by, &slug)? {
            drop(conn);
            fail(pool, &tenant, &job.analysis_id, message)?;
        }
    }
    Ok(())
}

/// Fields of a voice profile as a person typed them.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ProfileInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub tone_description: String,
    #[serde(default)]
    pub signature_phrases: String,
    #[serde(default)]
    pub word_choices: String,
    #[serde(default)]
    pub example_excerpts: String,
    #[serde(default)]
    pub avoid_patterns: String,
}

fn check_profile(input: &ProfileInput) -> FieldErrors {
    let mut errors = FieldErrors::new();
    let name = input.name.trim();
    if name.is_empty() {
        errors.add("name", "Give the voice a name.");
    } else if name.chars().count() > 80 {
        errors.add("name", "Keep the name to 80 characters or fewer.");
    }
    for (field, value) in [
        ("description", &input.description),
        ("tone_description", &input.tone_description),
        ("signature_phrases", &input.signature_phrases),
        ("word_choices", &input.word_choices),
        ("example_excerpts", &input.example_excerpts),
        ("avoid_patterns", &input.avoid_patterns),
    ] {
        if value.chars().count() > FIELD_MAX_CHARS {
            errors.add(
                field,
                format!("Keep this to {FIELD_MAX_CHARS} characters or fewer."),
            );
        }
    }
    errors
}

/// Creates a profile, or updates one the workspace owns. Presets cannot be changed.
pub fn save_profile(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
    existing: Option<&VoiceProfileId>,
    input: &ProfileInput,
) -> Result<Result<VoiceProfileId, FieldErrors>, AppError> {
    let mut errors = check_profile(input);
    let slug = crate::service::workspaces::slugify(input.name.trim());
    if errors.is_empty() && repo::voice::slug_taken(conn, tenant, &slug, existing)? {
        errors.add("name", "This workspace already has a voice with that name.");
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let at = now();
    let (id, created_at, created_by) = match existing {
        Some(id) => {
            let old = repo::voice::find_own(conn, tenant, id)?.ok_or(AppError::NotFound)?;
            (old.id, old.created_at, old.created_by_id)
        }
        None => (VoiceProfileId::new(), at, actor.user_id.clone()),
    };
    let profile = VoiceProfile {
        id: id.clone(),
        workspace_id: Some(tenant.workspace_id().clone()),
        is_preset: false,
        name: input.name.trim().to_string(),
        slug,
        description: input.description.trim().to_string(),
        tone_description: input.tone_description.trim().to_string(),
        signature_phrases: input.signature_phrases.trim().to_string(),
        word_choices: input.word_choices.trim().to_string(),
        example_excerpts: input.example_excerpts.trim().to_string(),
        avoid_patterns: input.avoid_patterns.trim().to_string(),
        created_by_id: created_by,
        created_at,
        updated_at: at,
    };
    if existing.is_some() {
        repo::voice::update_profile(conn, tenant, &profile)?;
    } else {
        repo::voice::insert_profile(conn, tenant, &profile)?;
    }
    audit::workspace(
        conn,
        tenant,
        actor,
        Event::new(
            if existing.is_some() {
                "voice.profile_updated"
            } else {
                "voice.profile_created"
            },
            format!("Saved voice profile \u{201c}{}\u{201d}", profile.name),
        )
        .on("voice_profile", id.as_str()),
    )?;
    Ok(Ok(id))
}
