//! Starting and steering workflow runs: what a workspace may run, start (with its credits
//! reserved in the same transaction), a person's answer, pause, resume and abort.

use serde_json::json;

use crate::auth::Tenant;
use crate::config::DeploymentEnv;
use crate::db::{write_tx, DbConn};
use crate::error::AppError;
use crate::model::{PostId, Run, RunControl, RunId, RunStatus, Tier};
use crate::repo;
use crate::repo::workflow_configs::WorkflowConfigRow;
use crate::service::usage;
use crate::workflow::config::{self, Source};
use crate::workflow::engine::commit::{self, enqueue_step};
use crate::workflow::engine::events::{self, kind};
use crate::workflow::engine::{credit_key, Answer, Decision, MachineState, StepJob};
use crate::workflow::machine::{self, OverlayTier};

/// Longest story a workspace accepts unless its settings say otherwise.
pub const DEFAULT_STORY_LIMIT: usize = 20_000;

/// A workflow as the New run page lists it.
#[derive(Debug, Clone)]
pub struct Offer {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub features: Vec<String>,
    pub is_default: bool,
    /// Why this workspace cannot use it (the tier it needs), if it cannot.
    pub locked: Option<String>,
    pub estimate: i64,
    pub demo: bool,
}

/// The registry environments a deployment offers: production offers only production
/// workflows; staging adds staging ones; development offers everything.
pub fn environments(env: DeploymentEnv) -> &'static [&'static str] {
    match env {
        DeploymentEnv::Production => &["production"],
        DeploymentEnv::Staging => &["production", "staging"],
        DeploymentEnv::Development => &["production", "staging", "development"],
    }
}

fn load_config(row: &WorkflowConfigRow) -> Result<(String, config::WorkflowConfig), AppError> {
    // Rows synced before the text was stored fall back to the built-in copy.
    let text = if row.yaml.trim().is_empty() {
        Source::Embedded.read(&row.config_file).ok_or_else(|| {
            AppError::internal(format!("workflow file {} is missing", row.config_file))
        })?
    } else {
        row.yaml.clone()
    };
    let cfg = config::check(&text, &|p| Source::Embedded.has_persona(p)).map_err(|errs| {
        AppError::internal(format!(
            "workflow {} is invalid: {}",
            row.slug,
            errs.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ))
    })?;
    Ok((text, cfg))
}

fn overlay_for(tier: Tier) -> OverlayTier {
    if tier.is_premium() {
        OverlayTier::Premium
    } else {
        OverlayTier::Standard
    }
}

/// The workflows this deployment offers, each marked with whether the workspace's tier may
/// use it, default first.
pub fn offers(
    conn: &mut DbConn,
    tenant: &Tenant,
    env: DeploymentEnv,
) -> Result<Vec<Offer>, AppError> {
    let tier = usage::tier_of(conn, tenant)?;
    let allowed = environments(env);
    let mut out = Vec::new();
    for row in repo::workflow_configs::list_all_global(conn)? {
        if !row.enabled || !allowed.contains(&row.environment.as_str()) {
            continue;
        }
        let Ok((_, cfg)) = load_config(&row) else {
            tracing::error!(slug = %row.slug, "a synced workflow does not load; not offered");
            continue;
        };
        let cfg = machine::apply_overlay(&cfg, overlay_for(tier));
        let required = row.tier_required.clone().filter(|t| !t.is_empty());
        let locked = match &required {
            Some(t) if !tier.satisfies(t) => Some(format!(
                "Needs the {} plan",
                Tier::parse(t).map_or(t.clone(), |t| t.name().to_string())
            )),
            _ => None,
        };
        let demo = cfg
            .agents
            .0
            .iter()
            .all(|(_, a)| a.provider == config::model::Provider::Demo);
        out.push(Offer {
            slug: row.slug.clone(),
            name: row.name.clone(),
            description: row.description.clone(),
            features: serde_json::from_str(&row.features).unwrap_or_default(),
            is_default: row.is_default,
            locked,
            estimate: i64::from(machine::estimate(&cfg)),
            demo,
        });
    }
    out.sort_by_key(|o| (!o.is_default, o.locked.is_some(), o.name.clone()));
    Ok(out)
}

/// The range a workspace may set its story limit in.
/// The upper bound keeps a form of the longest story, even in a script that takes several
/// bytes a character when form-encoded, under the server's form size limit.
pub const STORY_LIMIT_RANGE: std::ops::RangeInclusive<usize> = 100..=25_000;

/// Sets the longest story the workspace accepts. Call inside a transaction.
pub fn set_story_limit(
    conn: &mut DbConn,
    tenant: &Tenant,
    raw: &str,
    actor: &crate::service::audit::Actor,
) -> Result<Result<usize, String>, AppError> {
    let Ok(limit) = raw.trim().replace([',', '_', ' '], "").parse::<usize>() else {
        return Ok(Err(
            "Enter the limit as a whole number of characters.".into()
        ));
    };
    if !STORY_LIMIT_RANGE.contains(&limit) {
        return Ok(Err(format!(
            "Choose a limit from {} to {} characters.",
            STORY_LIMIT_RANGE.start(),
            STORY_LIMIT_RANGE.end()
        )));
    }
    let mut settings = repo::workspaces::settings(conn, tenant)?;
    settings.insert("story_char_limit".into(), json!(limit));
    repo::workspaces::set_settings(conn, tenant, &settings)?;
    crate::service::audit::workspace(
        conn,
        tenant,
        actor,
        crate::service::audit::Event::new(
            "workspace.story_limit_changed",
            format!("Set the story limit for runs to {limit} characters"),
        )
        .on("workspace", tenant.workspace_id().as_str()),
    )?;
    Ok(Ok(limit))
}

/// The story length limit from the workspace's settings.
pub fn story_limit(conn: &mut DbConn, tenant: &Tenant) -> Result<usize, AppError> {
    let settings = repo::workspaces::settings(conn, tenant)?;
    Ok(settings
        .get("story_char_limit")
        .and_then(serde_json::Value::as_u64)
        .map(|n| n as usize)
        .filter(|n| *n >= 100)
        .unwrap_or(DEFAULT_STORY_LIMIT))
}

pub struct StartRun {
    pub config_slug: String,
    pub story: String,
    pub voice: Option<String>,
    pub post_id: Option<PostId>,
}

/// A short title from the story's first line.
fn title_of(story: &str) -> String {
    let first = story
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("Untitled story");
    let mut title: String = first.chars().take(80).collect();
    if first.chars().count() > 80 {
        title.push('…');
    }
    title
}

/// Starts a run: checks the input, reserves the estimated credits, records the run and its
/// story, and queues the first state, all in one transaction.
pub fn start(
    conn: &mut DbConn,
    tenant: &Tenant,
    env: DeploymentEnv,
    req: StartRun,
) -> Result<RunId, AppError> {
    let story = req.story.trim().to_string();
    if story.is_empty() {
        return Err(AppError::BadRequest(
            "Write or paste a story to start from.".into(),
        ));
    }
    let limit = story_limit(conn, tenant)?;
    let length = story.chars().count();
    if length > limit {
        return Err(AppError::BadRequest(format!(
            "The story is {length} characters; this workspace accepts up to {limit}."
        )));
    }
    if let Some(voice) = &req.voice {
        if !crate::workflow::prompt::voice_presets()
            .iter()
            .any(|v| &v.slug == voice)
        {
            return Err(AppError::BadRequest(format!(
                "There is no voice preset called {voice}."
            )));
        }
    }
    let offer = offers(conn, tenant, env)?
        .into_iter()
        .find(|o| o.slug == req.config_slug)
        .ok_or_else(|| {
            AppError::BadRequest(format!(
                "The workflow {} is not available here.",
                req.config_slug
            ))
        })?;
    if let Some(why) = offer.locked {
        return Err(AppError::PaymentRequired(format!(
            "{} is not included in this workspace's plan. {why}.",
            offer.name
        )));
    }
    if let Some(post) = &req.post_id {
        repo::posts::find(conn, tenant, post)?.ok_or(AppError::NotFound)?;
    }
    let row = repo::workflow_configs::find_by_slug_global(conn, &req.config_slug)?
        .ok_or(AppError::NotFound)?;
    let (yaml, cfg) = load_config(&row)?;
    let tier = usage::tier_of(conn, tenant)?;
    let overlay = overlay_for(tier);
    let effective = machine::apply_overlay(&cfg, overlay);
    let estimate = i64::from(machine::estimate(&effective));
    let start_state = effective
        .start
        .as_ref()
        .map(|s| s.value.clone())
        .or_else(|| {
            effective
                .states
                .0
                .iter()
                .find(|(_, s)| s.kind == config::model::StateType::Initial)
                .map(|(k, _)| k.value.clone())
        })
        .ok_or_else(|| AppError::internal("the workflow has no start state"))?;
    let machine_json = serde_json::to_string(&MachineState::default())
        .map_err(|e| AppError::internal(e.to_string()))?;
    let hash = {
        use sha2::Digest;
        hex::encode(&sha2::Sha256::digest(yaml.as_bytes())[..4])
    };
    let id = RunId::new();
    let title = title_of(&story);
    write_tx(conn, |conn| {
        if estimate > 0 {
            usage::reserve(
                conn,
                tenant,
                &credit_key(&id),
                estimate,
                Some(id.as_str()),
                // Longer than a run can reasonably last, waits and pauses included; a run
                // paused for longer than this completes without a charge.
                chrono::Duration::days(30),
            )?;
        }
        repo::runs::insert(
            conn,
            tenant,
            &repo::runs::NewRun {
                id: &id,
                started_by: tenant.user_id(),
                post_id: req.post_id.as_ref(),
                config_slug: &row.slug,
                config_name: &row.name,
                config_yaml: &yaml,
                config_hash: &hash,
                overlay: match overlay {
                    OverlayTier::Premium => "premium",
                    OverlayTier::Standard => "standard",
                },
                voice: req.voice.as_deref(),
                title: &title,
                story: &story,
                start_state: &start_state,
                machine: &machine_json,
                credits_reserved: estimate,
            },
        )?;
        repo::runs::insert_output(
            conn,
            tenant,
            &id,
            &repo::runs::NewOutput {
                step: 0,
                state_name: "input",
                agent: "author",
                output_type: crate::workflow::engine::inputs::STORY,
                content: &story,
                score: None,
                decision: None,
            },
        )?;
        events::append(
            conn,
            tenant,
            &id,
            kind::RUN_STARTED,
            json!({ "config": row.name, "slug": row.slug, "credits_reserved": estimate }),
        )?;
        enqueue_step(conn, &step_job(tenant, &id, tenant.user_id(), 0), None)
            .map_err(|e| AppError::internal(format!("{e:?}")))?;
        Ok::<_, AppError>(())
    })?;
    Ok(id)
}

fn step_job(tenant: &Tenant, run: &RunId, started_by: &crate::model::UserId, step: i32) -> StepJob {
    StepJob {
        run_id: run.clone(),
        workspace_id: tenant.workspace_id().clone(),
        user_id: started_by.clone(),
        step,
        timeout: false,
    }
}

fn load(conn: &mut DbConn, tenant: &Tenant, id: &RunId) -> Result<Run, AppError> {
    repo::runs::find(conn, tenant, id)?.ok_or(AppError::NotFound)
}

fn moved_on(run: &Run) -> AppError {
    AppError::Conflict(format!(
        "This run has moved on (it is {} now); reload the page to see where it is.",
        run.status.label().to_lowercase()
    ))
}

/// A person's answer to the question the run waits on.
pub fn answer(
    conn: &mut DbConn,
    tenant: &Tenant,
    id: &RunId,
    decision: Decision,
    feedback: &str,
) -> Result<(), AppError> {
    let feedback = feedback.trim();
    if decision == Decision::Feedback && feedback.is_empty() {
        return Err(AppError::BadRequest(
            "Write what should change before sending feedback.".into(),
        ));
    }
    if feedback.chars().count() > 10_000 {
        return Err(AppError::BadRequest(
            "Feedback is limited to 10,000 characters.".into(),
        ));
    }
    write_tx(conn, |conn| {
        let run = load(conn, tenant, id)?;
        if run.status != RunStatus::AwaitingInput {
            return Err(AppError::Conflict(format!(
                "This run is not waiting for an answer (it is {}).",
                run.status.label().to_lowercase()
            )));
        }
        let mut ms: MachineState = serde_json::from_str(&run.machine)
            .map_err(|e| AppError::internal(format!("unreadable run state: {e}")))?;
        ms.answer = Some(Answer {
            decision,
            feedback: feedback.to_string(),
            by: Some(tenant.user_id().to_string()),
        });
        let machine_json =
            serde_json::to_string(&ms).map_err(|e| AppError::internal(e.to_string()))?;
        // Moving the step on settles a race with a second answer or the wait's timeout:
        // whichever lands first wins, the other finds the run moved on.
        let applied = repo::runs::steer(
            conn,
            tenant,
            id,
            &repo::runs::Steer {
                expect_step: run.step,
                expect_status: &[RunStatus::AwaitingInput],
                status: RunStatus::Running,
                bump_step: true,
                machine: Some(&machine_json),
                clear_pending_input: true,
            },
        )?;
        if !applied {
            return Err(moved_on(&run));
        }
        enqueue_step(
            conn,
            &step_job(tenant, id, &run.started_by, run.step + 1),
            None,
        )
        .map_err(|e| AppError::internal(format!("{e:?}")))?;
        Ok(())
    })
}

/// Asks the run to pause when its current state ends.
pub fn pause(conn: &mut DbConn, tenant: &Tenant, id: &RunId) -> Result<(), AppError> {
    write_tx(conn, |conn| {
        let run = load(conn, tenant, id)?;
        if !matches!(run.status, RunStatus::Queued | RunStatus::Running) {
            return Err(AppError::Conflict(format!(
                "Only a running run can be paused; this one is {}.",
                run.status.label().to_lowercase()
            )));
        }
        match run.control {
            Some(RunControl::Pause) => return Ok(()),
            Some(RunControl::Abort) => {
                return Err(AppError::Conflict("This run is being aborted.".into()))
            }
            None => {}
        }
        if !repo::runs::swap_control(conn, tenant, id, None, Some(RunControl::Pause))? {
            return Err(moved_on(&run));
        }
        events::append(
            conn,
            tenant,
            id,
            kind::PAUSE_REQUESTED,
            json!({ "state": run.current_state }),
        )?;
        Ok(())
    })
}

pub fn resume(conn: &mut DbConn, tenant: &Tenant, id: &RunId) -> Result<(), AppError> {
    write_tx(conn, |conn| {
        let run = load(conn, tenant, id)?;
        let applied = match (run.status, run.control) {
            // Not paused yet: simply take the request back.
            (RunStatus::Queued | RunStatus::Running, Some(RunControl::Pause)) => {
                repo::runs::swap_control(conn, tenant, id, Some(RunControl::Pause), None)?
            }
            (RunStatus::Paused, _) => {
                let applied = repo::runs::steer(
                    conn,
                    tenant,
                    id,
                    &repo::runs::Steer {
                        expect_step: run.step,
                        expect_status: &[RunStatus::Paused],
                        status: RunStatus::Running,
                        bump_step: true,
                        machine: None,
                        clear_pending_input: false,
                    },
                )?;
                if applied {
                    enqueue_step(
                        conn,
                        &step_job(tenant, id, &run.started_by, run.step + 1),
                        None,
                    )
                    .map_err(|e| AppError::internal(format!("{e:?}")))?;
                }
                applied
            }
            _ => return Err(AppError::Conflict("This run is not paused.".into())),
        };
        if !applied {
            return Err(moved_on(&run));
        }
        events::append(
            conn,
            tenant,
            id,
            kind::RESUMED,
            json!({ "state": run.current_state }),
        )?;
        Ok(())
    })
}

/// Stops the run. A waiting or paused run ends at once; a working one at its next check,
/// which also abandons the agent calls in flight.
pub fn abort(conn: &mut DbConn, tenant: &Tenant, id: &RunId) -> Result<(), AppError> {
    write_tx(conn, |conn| {
        let run = load(conn, tenant, id)?;
        if run.status.is_final() {
            return Err(AppError::Conflict(format!(
                "This run has already ended ({}).",
                run.status.label().to_lowercase()
            )));
        }
        if run.control == Some(RunControl::Abort) {
            return Ok(());
        }
        events::append(
            conn,
            tenant,
            id,
            kind::ABORT_REQUESTED,
            json!({ "state": run.current_state }),
        )?;
        if matches!(run.status, RunStatus::AwaitingInput | RunStatus::Paused) {
            // Ending it moves the step on, so a job already queued for it (an answer being
            // applied, a wait's timeout) finds it ended and does nothing.
            let ms: MachineState = serde_json::from_str(&run.machine).unwrap_or_default();
            let ended = commit::finish_in_tx(
                conn,
                tenant,
                &run,
                &ms,
                RunStatus::Aborted,
                None,
                Some("Aborted by a person."),
            )
            .map_err(|e| AppError::internal(format!("{e:?}")))?;
            if !ended {
                return Err(moved_on(&run));
            }
        } else if !repo::runs::swap_control(conn, tenant, id, run.control, Some(RunControl::Abort))?
        {
            return Err(moved_on(&run));
        }
        Ok(())
    })
}
