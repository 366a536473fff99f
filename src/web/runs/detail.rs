//! `GET /w/{slug}/runs/{id}`: the live run page, and `GET …/panels`, the server-rendered part
//! of it that the page script swaps in whenever the run's situation changes (waiting, answered,
//! paused, finished), so the server stays the one source of truth.

use std::collections::HashSet;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use askama_web::WebTemplate;

use crate::auth::scopes::RequiredScope;
use crate::auth::{need, AuthUser, Member, Scope, Tenant};
use crate::error::{AppError, AppResult};
use crate::model::{Run, RunControl, RunEvent, RunId, RunMetric, RunOutput, RunStatus, Workspace};
use crate::repo;
use crate::web::shell::{Section, Shell};
use crate::web::{fmt_time, page, Ctx};
use crate::workflow::engine::events::{describe, kind};
use crate::workflow::engine::step::{pending_of, run_config};
use crate::workflow::engine::WaitKind;

use super::graph::{self, Graph};
use super::{
    duration, is_htmx, millis, money, run_id, run_path, status_tone, thousands, DEMO_LABEL,
};

/// Most events the page renders at once; a longer log keeps its newest lines.
const LOG_MAX: i64 = 5_000;

/// The member a page is rendered for, whatever scope let them in.
pub struct Who<'a> {
    pub auth: &'a AuthUser,
    pub tenant: &'a Tenant,
    pub workspace: &'a Workspace,
}

impl<'a, S: RequiredScope> From<&'a Member<S>> for Who<'a> {
    fn from(m: &'a Member<S>) -> Self {
        Who {
            auth: &m.auth,
            tenant: &m.tenant,
            workspace: &m.workspace,
        }
    }
}

/// A message above the panels: the result of the last action or why it was refused.
pub struct Notice {
    pub tone: &'static str,
    pub message: String,
}

pub struct LogLine {
    pub id: i64,
    pub kind: String,
    pub at: String,
    pub iso: String,
    pub text: String,
}

pub struct Meter {
    pub tokens: String,
    pub tokens_raw: i64,
    pub tokens_in: String,
    pub tokens_out: String,
    pub cost: String,
    pub cost_micros: i64,
    pub credits_reserved: i64,
    pub credits_used: i64,
    pub elapsed: String,
    pub started_ms: i64,
    pub finished_ms: i64,
    pub active: String,
}

pub struct AuditView {
    pub agent: String,
    pub score: String,
    pub decision: String,
    pub feedback: String,
}

pub struct PendingView {
    pub circuit_break: bool,
    pub state: String,
    pub prompt: String,
    pub content: String,
    pub audits: Vec<AuditView>,
    pub since: String,
    pub timeout: String,
}

pub struct OutputView {
    pub agent: String,
    pub kind: String,
    pub label: String,
    pub content: String,
    pub score: String,
    pub decision: String,
    pub verdict: bool,
    /// A verdict's own words, read out of its JSON, so nobody has to read the JSON.
    pub feedback: String,
    pub issues: Vec<String>,
    pub questions: Vec<String>,
}

pub struct StepGroup {
    pub step: i32,
    pub state: String,
    pub outputs: Vec<OutputView>,
}

pub struct MetricRow {
    pub name: String,
    pub calls: i64,
    pub failures: i64,
    pub tokens_in: String,
    pub tokens_out: String,
    pub cost: String,
    pub time: String,
}

pub struct MetricTable {
    pub caption: &'static str,
    pub rows: Vec<MetricRow>,
}

/// Everything the panels show.
pub struct RunView {
    pub id: String,
    pub slug: String,
    pub href: String,
    pub csrf: String,
    pub title: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub tone: &'static str,
    pub live: bool,
    pub is_final: bool,
    pub config_name: String,
    pub demo: bool,
    pub started: String,
    pub current_state: String,
    pub final_state: String,
    pub can_execute: bool,
    pub show_pause: bool,
    pub show_resume: bool,
    pub show_abort: bool,
    pub pause_pending: bool,
    pub meter: Meter,
    pub notice: Option<Notice>,
    pub error: String,
    pub pending: Option<PendingView>,
    pub final_text: Option<String>,
    pub final_is_draft: bool,
    pub post_href: Option<String>,
    pub groups: Vec<StepGroup>,
    /// Agent calls by state and by agent; empty before the first call.
    pub tables: Vec<MetricTable>,
    pub graph: Graph,
    pub graph_error: String,
    pub voice: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/runs/show.html")]
struct RunPage {
    shell: Shell,
    run: RunView,
    log: Vec<LogLine>,
    events_url: String,
    panels_url: String,
    script: String,
    demo_label: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "partials/runs/panels.html")]
struct PanelsPartial {
    run: RunView,
}

struct Loaded {
    run: Run,
    outputs: Vec<RunOutput>,
    metrics: Vec<RunMetric>,
    events: Vec<RunEvent>,
    /// The run's workflow, parsed here on the blocking pool rather than on the executor.
    cfg: Result<crate::workflow::config::WorkflowConfig, String>,
}

async fn load(ctx: &Ctx, tenant: &Tenant, id: &RunId) -> AppResult<Loaded> {
    let (tenant, id) = (tenant.clone(), id.clone());
    crate::db::run(&ctx.state.pool, move |conn| {
        let run = repo::runs::find(conn, &tenant, &id)?.ok_or(AppError::NotFound)?;
        let outputs = repo::runs::outputs(conn, &tenant, &id)?;
        let metrics = repo::runs::metrics(conn, &tenant, &id)?;
        // The run row is read first, so an event written after it only repeats news.
        let mut events = Vec::new();
        let mut after = 0;
        loop {
            let batch = repo::runs::events_since(conn, &tenant, &id, after, 1_000)?;
            let n = batch.len();
            after = batch.last().map_or(after, |e| e.id);
            events.extend(batch);
            if n < 1_000 {
                break;
            }
        }
        let keep = events.len().saturating_sub(LOG_MAX as usize);
        events.drain(..keep);
        let cfg = run_config(&run);
        Ok(Loaded {
            run,
            outputs,
            metrics,
            events,
            cfg,
        })
    })
    .await
}

fn type_label(kind: &str) -> String {
    match kind {
        "input" => "Story".into(),
        "story_details" => "Story details".into(),
        "review" => "Review".into(),
        "processed" => "Processed story".into(),
        "draft" => "Draft".into(),
        "audit" => "Audit".into(),
        "final" => "Final post".into(),
        "final_audit" => "Final audit".into(),
        "human_feedback" => "Your feedback".into(),
        other => other.replace('_', " "),
    }
}

fn groups(outputs: &[RunOutput]) -> Vec<StepGroup> {
    let mut out: Vec<StepGroup> = Vec::new();
    for o in outputs {
        let verdict = if o.score.is_some() || o.decision.is_some() {
            crate::workflow::machine::parse_verdict(&o.content, false)
        } else {
            None
        };
        let view = OutputView {
            agent: o.agent.clone(),
            label: type_label(&o.output_type),
            kind: o.output_type.clone(),
            content: o.content.clone(),
            score: o.score.map(|s| format!("{s}/10")).unwrap_or_default(),
            decision: o.decision.clone().unwrap_or_default(),
            verdict: o.score.is_some() || o.decision.is_some(),
            feedback: verdict
                .as_ref()
                .map(|v| v.feedback.clone())
                .unwrap_or_default(),
            issues: verdict
                .as_ref()
                .map(|v| {
                    v.issues
                        .iter()
                        .map(|i| {
                            let fix = if i.fix.trim().is_empty() {
                                String::new()
                            } else {
                                format!(" Fix: {}", i.fix.trim())
                            };
                            format!("{}: {}{fix}", i.severity, i.issue.trim())
                        })
                        .collect()
                })
                .unwrap_or_default(),
            questions: verdict.map(|v| v.questions).unwrap_or_default(),
        };
        match out.last_mut() {
            Some(g) if g.step == o.step && g.state == o.state_name => g.outputs.push(view),
            _ => out.push(StepGroup {
                step: o.step,
                state: o.state_name.clone(),
                outputs: vec![view],
            }),
        }
    }
    out
}

/// Calls, tokens, cost and time per key (state or agent), in the order first seen.
fn totals(metrics: &[RunMetric], key: impl Fn(&RunMetric) -> String) -> Vec<MetricRow> {
    struct Acc {
        name: String,
        calls: i64,
        failures: i64,
        tin: i64,
        tout: i64,
        cost: i64,
        ms: i64,
    }
    let mut acc: Vec<Acc> = Vec::new();
    for m in metrics {
        let k = key(m);
        let i = match acc.iter().position(|a| a.name == k) {
            Some(i) => i,
            None => {
                acc.push(Acc {
                    name: k,
                    calls: 0,
                    failures: 0,
                    tin: 0,
                    tout: 0,
                    cost: 0,
                    ms: 0,
                });
                acc.len() - 1
            }
        };
        let a = &mut acc[i];
        a.calls += 1;
        a.failures += i64::from(!m.success);
        a.tin += m.input_tokens;
        a.tout += m.output_tokens;
        a.cost += m.cost_micros;
        a.ms += m.latency_ms;
    }
    acc.into_iter()
        .map(|a| MetricRow {
            name: a.name,
            calls: a.calls,
            failures: a.failures,
            tokens_in: thousands(a.tin),
            tokens_out: thousands(a.tout),
            cost: money(a.cost),
            time: millis(a.ms),
        })
        .collect()
}

fn pending_view(run: &Run) -> Option<PendingView> {
    if run.status != RunStatus::AwaitingInput {
        return None;
    }
    let p = pending_of(run)?;
    Some(PendingView {
        circuit_break: p.kind == WaitKind::CircuitBreak,
        state: p.state,
        prompt: p.prompt,
        content: p.content,
        audits: p
            .audits
            .into_iter()
            .map(|a| AuditView {
                agent: a.agent,
                score: a.score.map(|s| format!("{s}/10")).unwrap_or_default(),
                decision: a.decision.unwrap_or_default(),
                feedback: a.feedback,
            })
            .collect(),
        since: fmt_time(p.since),
        timeout: if p.timeout_secs == 0 {
            String::new()
        } else {
            duration(chrono::Duration::seconds(p.timeout_secs as i64))
        },
    })
}

/// The post a finished run produced: its latest final text, else its latest draft.
fn final_text(outputs: &[RunOutput]) -> Option<(String, bool)> {
    let latest = |t: &str| outputs.iter().rev().find(|o| o.output_type == t);
    latest("final")
        .map(|o| (o.content.clone(), false))
        .or_else(|| latest("draft").map(|o| (o.content.clone(), true)))
}

fn visited(l: &Loaded) -> HashSet<String> {
    let mut v: HashSet<String> = l
        .events
        .iter()
        .filter(|e| e.kind == kind::STATE_ENTERED)
        .filter_map(|e| serde_json::from_str::<serde_json::Value>(&e.payload).ok())
        .filter_map(|p| p.get("state").and_then(|s| s.as_str()).map(str::to_string))
        .collect();
    v.extend(l.outputs.iter().map(|o| o.state_name.clone()));
    v.extend(l.metrics.iter().map(|m| m.state_name.clone()));
    v.insert(l.run.current_state.clone());
    if let Some(f) = &l.run.final_state {
        v.insert(f.clone());
    }
    v
}

fn epoch_ms(t: chrono::NaiveDateTime) -> i64 {
    t.and_utc().timestamp_millis()
}

fn build(ctx: &Ctx, who: &Who<'_>, l: &Loaded, notice: Option<Notice>) -> RunView {
    let run = &l.run;
    let slug = who.workspace.slug.clone();
    let is_final = run.status.is_final();
    let can_execute = who.tenant.can(Scope::WorkflowExecute);
    let cfg = &l.cfg;
    let (graph, graph_error) = match cfg {
        Ok(cfg) => {
            let active = if is_final {
                run.final_state.as_deref()
            } else {
                Some(run.current_state.as_str())
            };
            (graph::draw(cfg, active, &visited(l)), String::new())
        }
        Err(e) => {
            tracing::warn!(run_id = %run.id, error = %e, "the run's config does not load");
            (
                Graph {
                    svg: String::new(),
                    items: Vec::new(),
                    failure_note: String::new(),
                },
                "The graph cannot be drawn: this run's workflow no longer loads.".into(),
            )
        }
    };
    let demo = !run.config_name.contains(DEMO_LABEL)
        && (run.config_slug == "demo"
            || cfg.as_ref().is_ok_and(|c| {
                !c.agents.is_empty()
                    && c.agents
                        .0
                        .iter()
                        .all(|(_, a)| a.provider == crate::workflow::config::model::Provider::Demo)
            }));
    let final_pair = if is_final {
        final_text(&l.outputs)
    } else {
        None
    };
    let pause_pending = run.control == Some(RunControl::Pause) && !is_final;
    RunView {
        id: run.id.to_string(),
        href: run_path(&slug, &run.id),
        csrf: crate::auth::csrf::token(&ctx.session),
        title: run.title.clone(),
        status: run.status.as_str(),
        status_label: run.status.label(),
        tone: status_tone(run.status),
        live: !is_final,
        is_final,
        config_name: run.config_name.clone(),
        demo,
        started: fmt_time(run.started_at),
        current_state: run.current_state.clone(),
        final_state: run.final_state.clone().unwrap_or_default(),
        can_execute,
        show_pause: can_execute
            && matches!(run.status, RunStatus::Queued | RunStatus::Running)
            && !pause_pending,
        show_resume: can_execute && (run.status == RunStatus::Paused || pause_pending),
        show_abort: can_execute && !is_final,
        pause_pending,
        meter: Meter {
            tokens: thousands(run.total_tokens()),
            tokens_raw: run.total_tokens(),
            tokens_in: thousands(run.input_tokens),
            tokens_out: thousands(run.output_tokens),
            cost: money(run.cost_micros),
            cost_micros: run.cost_micros,
            credits_reserved: run.credits_reserved,
            credits_used: run.credits_used,
            elapsed: duration(run.duration()),
            started_ms: epoch_ms(run.started_at),
            finished_ms: run.finished_at.map_or(0, epoch_ms),
            active: millis(run.active_ms),
        },
        notice,
        error: if matches!(
            run.status,
            RunStatus::Failed | RunStatus::Halted | RunStatus::Aborted
        ) {
            run.error.clone().unwrap_or_default()
        } else {
            String::new()
        },
        pending: pending_view(run),
        final_is_draft: final_pair.as_ref().is_some_and(|(_, d)| *d),
        final_text: final_pair.map(|(t, _)| t),
        post_href: run.post_id.as_ref().map(|p| format!("/w/{slug}/posts/{p}")),
        groups: groups(&l.outputs),
        tables: if l.metrics.is_empty() {
            Vec::new()
        } else {
            vec![
                MetricTable {
                    caption: "By state",
                    rows: totals(&l.metrics, |m| m.state_name.clone()),
                },
                MetricTable {
                    caption: "By agent",
                    rows: totals(&l.metrics, |m| {
                        if m.model.is_empty() {
                            m.agent.clone()
                        } else {
                            format!("{} ({})", m.agent, m.model)
                        }
                    }),
                },
            ]
        },
        graph,
        graph_error,
        voice: run.voice.clone().unwrap_or_default(),
        slug,
    }
}

fn log_line(e: &RunEvent) -> LogLine {
    let payload = serde_json::from_str(&e.payload).unwrap_or(serde_json::Value::Null);
    LogLine {
        id: e.id,
        kind: e.kind.clone(),
        at: e.created_at.format("%H:%M:%S").to_string(),
        iso: e.created_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        text: describe(&e.kind, &payload),
    }
}

/// The panels alone (for htmx), or the whole page.
pub async fn render(
    ctx: &Ctx,
    who: Who<'_>,
    id: &RunId,
    notice: Option<Notice>,
    status: StatusCode,
    fragment: bool,
) -> AppResult<HttpResponse> {
    let loaded = load(ctx, who.tenant, id).await?;
    let run = build(ctx, &who, &loaded, notice);
    if fragment {
        let mut res = page(&ctx.req, PanelsPartial { run }, status);
        res.headers_mut().insert(
            actix_web::http::header::VARY,
            actix_web::http::header::HeaderValue::from_static("HX-Request"),
        );
        res.headers_mut().insert(
            actix_web::http::header::CACHE_CONTROL,
            actix_web::http::header::HeaderValue::from_static("no-store"),
        );
        return Ok(res);
    }
    let shell = Shell::app(
        &ctx.state,
        &ctx.session,
        who.auth,
        Some((who.tenant, who.workspace)),
        Section::Runs,
        loaded.run.title.clone(),
    )
    .await?;
    let last = loaded.events.last().map_or(0, |e| e.id);
    let view = RunPage {
        shell,
        log: loaded.events.iter().map(log_line).collect(),
        events_url: format!("{}/events?after={last}", run.href),
        panels_url: format!("{}/panels", run.href),
        script: crate::web::assets::url("js/run.js"),
        demo_label: DEMO_LABEL,
        run,
    };
    Ok(page(&ctx.req, view, status))
}

/// `GET /w/{slug}/runs/{id}`
pub async fn show(
    ctx: Ctx,
    member: Member<need::WorkflowRead>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let id = run_id(&path.1)?;
    let fragment = is_htmx(&ctx);
    render(&ctx, (&member).into(), &id, None, StatusCode::OK, fragment).await
}

/// `GET /w/{slug}/runs/{id}/panels`: the panels fragment, always.
pub async fn panels(
    ctx: Ctx,
    member: Member<need::WorkflowRead>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let id = run_id(&path.1)?;
    render(&ctx, (&member).into(), &id, None, StatusCode::OK, true).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(step: i32, state: &str, agent: &str, kind: &str, content: &str) -> RunOutput {
        RunOutput {
            id: crate::model::RunOutputId::new(),
            workspace_id: crate::model::WorkspaceId::new(),
            run_id: RunId::new(),
            step,
            state_name: state.into(),
            agent: agent.into(),
            output_type: kind.into(),
            content: content.into(),
            score: None,
            decision: None,
            created_at: crate::model::now(),
        }
    }

    #[test]
    fn outputs_group_by_step_and_state_in_order() {
        let outs = vec![
            output(0, "input", "author", "input", "story"),
            output(3, "draft", "a", "draft", "d1"),
            output(3, "draft", "b", "draft", "d2"),
            output(4, "audit", "a", "audit", "{}"),
        ];
        let g = groups(&outs);
        assert_eq!(g.len(), 3);
        assert_eq!(g[1].outputs.len(), 2);
        assert_eq!(g[2].state, "audit");
    }

    #[test]
    fn the_final_post_prefers_final_over_draft() {
        let mut outs = vec![
            output(3, "draft", "a", "draft", "first draft"),
            output(5, "draft", "a", "draft", "second draft"),
        ];
        assert_eq!(final_text(&outs), Some(("second draft".into(), true)));
        outs.push(output(6, "synthesize", "a", "final", "the post"));
        assert_eq!(final_text(&outs), Some(("the post".into(), false)));
    }
}
