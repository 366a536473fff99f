//! The workflow engine end to end: real configs, real provider adapters, a fake LLM server on
//! 127.0.0.1 speaking the providers' wire formats, and the job queue's worker threads.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use postmagiq::config::Config;
use postmagiq::db::schema::{
    credit_reservations as cr, workflow_outputs as o, workflow_runs as r, workspaces as w,
};
use postmagiq::model::{Run, RunOutput, RunStatus};
use postmagiq::workflow::agents::ProviderKind;
use reqwest::StatusCode;

use crate::support::fake_llm::{
    error_for, reply_for, system_text, user_text, verdict_json, FakeLlm, Recorded, Reply,
};
use crate::support::{location, Client, TestApp};

pub const STORY: &str = "The deploy failed at 2am because I trusted a green dashboard.\n\
    I thought the checks covered the migration. They did not. I wrote a runbook the next day.";

/// Which persona a request was written for, from the heading of its system prompt.
pub fn persona(r: &Recorded) -> &'static str {
    let sys = system_text(r);
    for (needle, name) in [
        ("# Story reviewer", "reviewer"),
        ("# Story processor", "processor"),
        ("# Fabrication auditor", "fabrication"),
        ("# Style auditor", "style"),
        ("# Synthesizer", "synthesizer"),
        ("# Auditor (combined)", "final-audit"),
        ("# Writer", "writer"),
    ] {
        if sys.contains(needle) {
            return name;
        }
    }
    "unknown"
}

/// Answers like a cooperative model: the reviewer and auditors approve, writers write.
pub fn happy(r: &Recorded) -> Reply {
    match persona(r) {
        "reviewer" | "fabrication" | "style" | "final-audit" => reply_for(
            r,
            &verdict_json(9, "proceed", "Solid and true to the story."),
        ),
        "processor" => reply_for(r, "Shape: FULL. Hook: the green dashboard."),
        "writer" => reply_for(r, "I trusted a green dashboard at 2am. It lied."),
        "synthesizer" => reply_for(r, "FINAL: I trusted a green dashboard at 2am."),
        _ => error_for(r, 400, "unexpected request"),
    }
}

/// An app whose Groq, Anthropic and Gemini providers all point at `fake`.
pub async fn app_with(fake: &FakeLlm, tweak: impl FnOnce(&mut Config)) -> TestApp {
    let base = fake.base_url.clone();
    TestApp::spawn_with(move |c| {
        c.workers = 4;
        c.providers.set(
            ProviderKind::Groq,
            Some(format!("{base}/openai/v1")),
            Some("gsk-test".into()),
        );
        c.providers.set(
            ProviderKind::Anthropic,
            Some(base.clone()),
            Some("sk-ant-test".into()),
        );
        c.providers.set(
            ProviderKind::Gemini,
            Some(base.clone()),
            Some("gem-test".into()),
        );
        tweak(c);
    })
    .await
}

/// Signs up an owner whose workspace is on the largest plan; returns the client and slug.
pub async fn owner(app: &TestApp, email: &str) -> (Client, String) {
    let client = app.client();
    let slug = client.signup("Olive Owner", email).await;
    set_tier(app, &slug, "max");
    (client, slug)
}

pub fn set_tier(app: &TestApp, slug: &str, tier: &str) {
    diesel::update(w::table.filter(w::slug.eq(slug)))
        .set(w::tier.eq(tier))
        .execute(&mut app.conn())
        .expect("set tier");
}

/// Starts a run through the New run form; returns its id.
pub async fn start(client: &Client, slug: &str, config: &str, story: &str) -> String {
    let res = client
        .post(
            &format!("/w/{slug}/runs"),
            &[
                ("config", config),
                ("story", story),
                ("voice", "professional"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "start should redirect");
    location(&res)
        .rsplit('/')
        .next()
        .expect("run id in the redirect")
        .to_string()
}

pub fn run_row(app: &TestApp, id: &str) -> Run {
    r::table
        .filter(r::id.eq(id))
        .select(Run::as_select())
        .first(&mut app.conn())
        .expect("run row")
}

pub fn outputs(app: &TestApp, id: &str) -> Vec<RunOutput> {
    o::table
        .filter(o::run_id.eq(id))
        .order((o::step.asc(), o::agent.asc()))
        .select(RunOutput::as_select())
        .load(&mut app.conn())
        .expect("outputs")
}

/// Waits until the run satisfies `done`, failing with its state after `secs`.
pub async fn wait_for(app: &TestApp, id: &str, secs: u64, done: impl Fn(&Run) -> bool) -> Run {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let run = run_row(app, id);
        if done(&run) {
            return run;
        }
        assert!(
            Instant::now() < deadline,
            "run did not get there in {secs} s: status {} at {} (error {:?}); events: {:?}",
            run.status,
            run.current_state,
            run.error,
            event_kinds(app, id)
        );
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
}

pub async fn wait_status(app: &TestApp, id: &str, status: RunStatus) -> Run {
    let run = wait_for(app, id, 30, |r| r.status == status || r.status.is_final()).await;
    assert_eq!(
        run.status, status,
        "run ended at {} ({:?})",
        run.current_state, run.error
    );
    run
}

pub async fn answer(client: &Client, slug: &str, id: &str, decision: &str, feedback: &str) {
    let res = client
        .post(
            &format!("/w/{slug}/runs/{id}/answer"),
            &[
                ("decision", decision),
                ("feedback", feedback),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert!(
        res.status() == StatusCode::SEE_OTHER || res.status().is_success(),
        "answer refused: {}",
        res.status()
    );
}

fn count_type(outs: &[RunOutput], t: &str) -> usize {
    outs.iter().filter(|o| o.output_type == t).count()
}

fn reservation(app: &TestApp, id: &str) -> (String, i64, i64) {
    cr::table
        .filter(cr::idempotency_key.eq(format!("workflow-run:{id}")))
        .select((cr::status, cr::amount, cr::confirmed_amount))
        .first(&mut app.conn())
        .expect("reservation")
}

#[actix_web::test]
async fn groq_run_goes_from_story_to_approved_post() {
    let fake = FakeLlm::with_handler(happy);
    let app = app_with(&fake, |_| {}).await;
    let (client, slug) = owner(&app, "olive@example.com").await;
    let id = start(&client, &slug, "groq", STORY).await;
    let run = wait_status(&app, &id, RunStatus::AwaitingInput).await;
    assert_eq!(run.current_state, "human-approval");
    let outs = outputs(&app, &id);
    assert_eq!(count_type(&outs, "review"), 1);
    assert_eq!(count_type(&outs, "processed"), 1);
    assert_eq!(
        count_type(&outs, "draft"),
        3,
        "three writers drafted in parallel"
    );
    assert_eq!(count_type(&outs, "audit"), 2, "two auditors");
    assert_eq!(
        count_type(&outs, "final"),
        1,
        "the synthesizer's post is stored"
    );
    assert_eq!(count_type(&outs, "final_audit"), 1);
    assert!(
        run.input_tokens > 0 && run.cost_micros > 0,
        "tokens and cost add up"
    );
    let (status, amount, _) = reservation(&app, &id);
    assert_eq!(status, "pending");
    assert!(amount > 0 && amount == run.credits_reserved);

    // Prompts carry the persona, the voice and the story.
    let reqs = fake.requests();
    let writer = reqs
        .iter()
        .find(|r| persona(r) == "writer")
        .expect("a writer call");
    assert!(
        user_text(writer).contains("Shape: FULL"),
        "the writer reads the processed notes"
    );
    assert!(system_text(writer).to_lowercase().contains("voice"));

    answer(&client, &slug, &id, "approved", "").await;
    let run = wait_status(&app, &id, RunStatus::Complete).await;
    assert_eq!(run.final_state.as_deref(), Some("complete"));
    let (status, amount, confirmed) = reservation(&app, &id);
    assert_eq!(status, "confirmed");
    assert!(confirmed > 0 && confirmed <= amount);
    assert_eq!(run.credits_used, confirmed);
    let (_, page) = client.page(&format!("/w/{slug}/runs/{id}")).await;
    assert!(
        page.contains("FINAL: I trusted a green dashboard"),
        "the final post is shown"
    );
    assert!(
        page.contains(r#"<p class="run-verdict-feedback">Solid and true to the story.</p>"#),
        "verdicts are shown in words, not only as JSON"
    );
}

#[actix_web::test]
async fn audit_retry_sends_feedback_back_to_the_writers() {
    let audits = Arc::new(AtomicUsize::new(0));
    let seen = audits.clone();
    let fake = FakeLlm::with_handler(move |r| match persona(r) {
        "fabrication" => {
            // The first audit round asks for a change; later rounds approve.
            if seen.fetch_add(1, Ordering::SeqCst) == 0 {
                reply_for(
                    r,
                    &verdict_json(5, "retry", "Remove the invented 40-person team."),
                )
            } else {
                reply_for(r, &verdict_json(9, "proceed", "Fixed."))
            }
        }
        _ => happy(r),
    });
    let app = app_with(&fake, |_| {}).await;
    let (client, slug) = owner(&app, "olive@example.com").await;
    let id = start(&client, &slug, "groq", STORY).await;
    wait_status(&app, &id, RunStatus::AwaitingInput).await;
    let outs = outputs(&app, &id);
    assert_eq!(count_type(&outs, "draft"), 6, "the writers drafted twice");
    let retry_prompts: Vec<String> = fake
        .requests()
        .iter()
        .filter(|r| persona(r) == "writer")
        .map(user_text)
        .filter(|t| t.contains("Remove the invented 40-person team."))
        .collect();
    assert_eq!(
        retry_prompts.len(),
        3,
        "every second-round writer sees the feedback"
    );
    assert!(retry_prompts[0].contains("USER FEEDBACK"));
    let audit_rows: Vec<_> = outs.iter().filter(|o| o.output_type == "audit").collect();
    assert!(audit_rows
        .iter()
        .any(|o| o.decision.as_deref() == Some("retry") && o.score == Some(5)));
}

#[actix_web::test]
async fn strictest_auditor_wins_and_halts_the_run() {
    let fake = FakeLlm::with_handler(|r| match persona(r) {
        "fabrication" => reply_for(r, &verdict_json(2, "halt", "The whole story is invented.")),
        "style" => reply_for(r, &verdict_json(9, "proceed", "Reads well.")),
        _ => happy(r),
    });
    let app = app_with(&fake, |_| {}).await;
    let (client, slug) = owner(&app, "olive@example.com").await;
    let id = start(&client, &slug, "groq", STORY).await;
    let run = wait_status(&app, &id, RunStatus::Halted).await;
    assert_eq!(run.final_state.as_deref(), Some("stopped"));
    assert_eq!(
        count_type(&outputs(&app, &id), "final"),
        0,
        "nothing was synthesized"
    );
    let (status, _, confirmed) = reservation(&app, &id);
    assert_eq!(
        (status.as_str(), confirmed),
        ("released", 0),
        "a halted run costs no credits"
    );
}

#[actix_web::test]
async fn one_failing_writer_still_lets_the_run_continue() {
    let fake = FakeLlm::with_handler(|r| {
        if persona(r) == "writer"
            && crate::support::fake_llm::model_of(r) == "llama-3.3-70b-versatile"
        {
            return error_for(r, 400, "model overloaded with nonsense");
        }
        happy(r)
    });
    let app = app_with(&fake, |_| {}).await;
    let (client, slug) = owner(&app, "olive@example.com").await;
    let id = start(&client, &slug, "groq", STORY).await;
    wait_status(&app, &id, RunStatus::AwaitingInput).await;
    assert_eq!(
        count_type(&outputs(&app, &id), "draft"),
        2,
        "partial success keeps two drafts"
    );
}

#[actix_web::test]
async fn all_writers_failing_fails_the_run_with_the_providers_message() {
    let fake = FakeLlm::with_handler(|r| {
        if persona(r) == "writer" {
            return error_for(r, 400, "context length exceeded");
        }
        happy(r)
    });
    let app = app_with(&fake, |_| {}).await;
    let (client, slug) = owner(&app, "olive@example.com").await;
    let id = start(&client, &slug, "groq", STORY).await;
    let run = wait_status(&app, &id, RunStatus::Failed).await;
    assert_eq!(run.final_state.as_deref(), Some("failed"));
    assert!(
        run.error
            .as_deref()
            .is_some_and(|e| e.contains("context length exceeded")),
        "{:?}",
        run.error
    );
    assert_eq!(reservation(&app, &id).0, "released");
}

#[actix_web::test]
async fn a_missing_key_fails_at_the_first_call_saying_what_to_set() {
    let fake = FakeLlm::with_handler(happy);
    let app = app_with(&fake, |c| {
        c.providers.set(ProviderKind::Groq, None, None);
    })
    .await;
    let (client, slug) = owner(&app, "olive@example.com").await;
    let id = start(&client, &slug, "groq", STORY).await;
    let run = wait_status(&app, &id, RunStatus::Failed).await;
    assert!(
        run.error
            .as_deref()
            .is_some_and(|e| e.contains("GROQ_API_KEY")),
        "{:?}",
        run.error
    );
    assert!(fake.requests().is_empty(), "nothing was sent without a key");
}

#[actix_web::test]
async fn human_feedback_revises_the_post_and_abort_stops_it() {
    let fake = FakeLlm::with_handler(|r| {
        if persona(r) == "synthesizer" && user_text(r).contains("Make it shorter") {
            return reply_for(r, "FINAL v2: shorter.");
        }
        happy(r)
    });
    let app = app_with(&fake, |_| {}).await;
    let (client, slug) = owner(&app, "olive@example.com").await;
    let id = start(&client, &slug, "groq", STORY).await;
    wait_status(&app, &id, RunStatus::AwaitingInput).await;

    // Feedback without text is refused and changes nothing.
    let res = client
        .post(
            &format!("/w/{slug}/runs/{id}/answer"),
            &[("decision", "feedback"), ("feedback", " ")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    let step = run_row(&app, &id).step;
    answer(&client, &slug, &id, "feedback", "Make it shorter").await;
    let run = wait_for(&app, &id, 30, |r| {
        r.status == RunStatus::AwaitingInput && r.step > step + 1
    })
    .await;
    let synth = fake
        .requests()
        .into_iter()
        .rfind(|r| persona(r) == "synthesizer")
        .expect("a second synthesis");
    let text = user_text(&synth);
    assert!(text.contains("Make it shorter") && text.contains("Reviewer Context"));
    assert!(
        text.contains("FINAL: I trusted"),
        "the revision sees its previous version"
    );
    assert!(
        pending_shows(&run, "FINAL v2"),
        "the revised post is shown for approval"
    );

    answer(&client, &slug, &id, "abort", "").await;
    let run = wait_status(&app, &id, RunStatus::Aborted).await;
    assert!(run.finished_at.is_some());
    assert_eq!(reservation(&app, &id).0, "released");
}

fn pending_shows(run: &Run, needle: &str) -> bool {
    run.pending_input
        .as_deref()
        .is_some_and(|p| p.contains(needle))
}

#[actix_web::test]
async fn story_details_from_the_author_reach_the_processor() {
    let reviews = Arc::new(AtomicUsize::new(0));
    let n = reviews.clone();
    let fake = FakeLlm::with_handler(move |r| match persona(r) {
        "reviewer" => {
            if n.fetch_add(1, Ordering::SeqCst) == 0 {
                let mut v: serde_json::Value =
                    serde_json::from_str(&verdict_json(6, "retry", "What did the runbook change?"))
                        .unwrap();
                v["questions"] = serde_json::json!(["What did the runbook change?"]);
                reply_for(r, &v.to_string())
            } else {
                reply_for(r, &verdict_json(9, "proceed", "Enough now."))
            }
        }
        _ => happy(r),
    });
    let app = app_with(&fake, |_| {}).await;
    let (client, slug) = owner(&app, "olive@example.com").await;
    let id = start(&client, &slug, "groq", STORY).await;
    let run = wait_status(&app, &id, RunStatus::AwaitingInput).await;
    assert_eq!(run.current_state, "story-questions");
    answer(
        &client,
        &slug,
        &id,
        "feedback",
        "It added a migration dry-run step.",
    )
    .await;
    wait_for(&app, &id, 30, |r| r.current_state == "human-approval").await;
    let processor = fake
        .requests()
        .into_iter()
        .find(|r| persona(r) == "processor")
        .expect("processor call");
    assert!(user_text(&processor).contains("It added a migration dry-run step."));
}

#[actix_web::test]
async fn soft_break_carries_on_when_the_score_is_good_enough() {
    // Auditors keep asking for another pass, but with a high score.
    let fake = FakeLlm::with_handler(|r| match persona(r) {
        "fabrication" | "style" => reply_for(r, &verdict_json(8, "retry", "Polish the ending.")),
        _ => happy(r),
    });
    let app = app_with(&fake, |_| {}).await;
    let (client, slug) = owner(&app, "olive@example.com").await;
    let id = start(&client, &slug, "groq", STORY).await;
    let run = wait_status(&app, &id, RunStatus::AwaitingInput).await;
    assert_eq!(
        run.current_state, "human-approval",
        "the breaker skipped to synthesis"
    );
    let kinds = event_kinds(&app, &id);
    assert!(kinds.contains(&"circuit_break".to_string()));
    assert!(kinds.contains(&"circuit_break_auto_skip".to_string()));
}

#[actix_web::test]
async fn soft_break_asks_the_person_when_the_score_is_low() {
    let fake = FakeLlm::with_handler(|r| match persona(r) {
        "fabrication" | "style" => reply_for(r, &verdict_json(5, "retry", "Still generic.")),
        _ => happy(r),
    });
    let app = app_with(&fake, |_| {}).await;
    let (client, slug) = owner(&app, "olive@example.com").await;
    let id = start(&client, &slug, "groq", STORY).await;
    let run = wait_status(&app, &id, RunStatus::AwaitingInput).await;
    assert_eq!(run.current_state, "audit");
    let pending = run.pending_input.clone().unwrap_or_default();
    assert!(
        pending.contains("circuit_break") && pending.contains("5/10"),
        "{pending}"
    );
    let (_, page) = client.page(&format!("/w/{slug}/runs/{id}")).await;
    assert!(
        page.contains("Still generic."),
        "the audits are shown to the person"
    );
    answer(&client, &slug, &id, "approved", "").await;
    let run = wait_status(&app, &id, RunStatus::AwaitingInput).await;
    assert_eq!(
        run.current_state, "human-approval",
        "approval skips ahead to synthesis"
    );
}

#[actix_web::test]
async fn hard_cost_limit_halts_the_run() {
    // Every answer claims an enormous token count, so cost passes $10 at once.
    let fake = FakeLlm::with_handler(|r| {
        let mut reply = happy(r);
        if let Ok(mut v) = serde_json::from_str::<serde_json::Value>(&reply.body) {
            if v.get("usage").is_some() {
                v["usage"]["prompt_tokens"] = serde_json::json!(200_000_000u64);
                reply.body = v.to_string();
            }
        }
        reply
    });
    let app = app_with(&fake, |_| {}).await;
    let (client, slug) = owner(&app, "olive@example.com").await;
    let id = start(&client, &slug, "groq", STORY).await;
    let run = wait_status(&app, &id, RunStatus::Halted).await;
    assert!(
        run.error
            .as_deref()
            .is_some_and(|e| e.contains("Hard limit")),
        "{:?}",
        run.error
    );
    assert!(event_kinds(&app, &id).contains(&"hard_limit".to_string()));
}

#[actix_web::test]
async fn pause_waits_for_the_state_to_end_and_resume_continues() {
    let fake = FakeLlm::with_handler(happy);
    fake.set_latency(Duration::from_millis(400));
    let app = app_with(&fake, |_| {}).await;
    let (client, slug) = owner(&app, "olive@example.com").await;
    let id = start(&client, &slug, "groq", STORY).await;
    wait_for(&app, &id, 30, |r| r.status == RunStatus::Running).await;
    let res = client
        .post(&format!("/w/{slug}/runs/{id}/pause"), &[])
        .await;
    assert!(res.status().is_redirection() || res.status().is_success());
    let paused = wait_status(&app, &id, RunStatus::Paused).await;
    let requests = fake.requests().len();
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(fake.requests().len(), requests, "nothing runs while paused");
    assert_eq!(run_row(&app, &id).step, paused.step);
    let res = client
        .post(&format!("/w/{slug}/runs/{id}/resume"), &[])
        .await;
    assert!(res.status().is_redirection() || res.status().is_success());
    wait_status(&app, &id, RunStatus::AwaitingInput).await;
}

#[actix_web::test]
async fn abort_cancels_a_call_in_flight() {
    let fake = FakeLlm::with_handler(happy);
    fake.set_latency(Duration::from_secs(30));
    let app = app_with(&fake, |_| {}).await;
    let (client, slug) = owner(&app, "olive@example.com").await;
    let id = start(&client, &slug, "groq", STORY).await;
    assert!(
        fake.wait_for_requests(1, Duration::from_secs(10)),
        "the reviewer was called"
    );
    let t = Instant::now();
    let res = client
        .post(&format!("/w/{slug}/runs/{id}/abort"), &[("confirm", "yes")])
        .await;
    assert!(res.status().is_redirection() || res.status().is_success());
    let run = wait_status(&app, &id, RunStatus::Aborted).await;
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "did not wait for the 30 s call"
    );
    assert_eq!(
        count_type(&outputs(&app, &id), "review"),
        0,
        "the abandoned answer is dropped"
    );
    assert_eq!(run.credits_used, 0);
}

#[actix_web::test]
async fn twenty_runs_in_two_workspaces_do_not_cross_talk() {
    // Every answer quotes the story's tag, so each output can be traced to its run.
    let fake = FakeLlm::with_handler(|r| {
        let text = user_text(r);
        let tag = text
            .split_whitespace()
            .find(|w| w.starts_with("TAG-"))
            .unwrap_or("TAG-none")
            .to_string();
        match persona(r) {
            "reviewer" | "fabrication" | "style" | "final-audit" => {
                reply_for(r, &verdict_json(9, "proceed", &format!("ok {tag}")))
            }
            _ => reply_for(r, &format!("text for {tag}")),
        }
    });
    fake.set_latency(Duration::from_millis(20));
    let app = app_with(&fake, |c| c.workers = 6).await;
    let (a, slug_a) = owner(&app, "ann@example.com").await;
    let (b, slug_b) = owner(&app, "bob@example.com").await;
    let mut runs = Vec::new();
    for i in 0..10 {
        let tag_a = format!("TAG-a{i}");
        runs.push((
            start(&a, &slug_a, "groq", &format!("{STORY} {tag_a}")).await,
            tag_a,
        ));
        let tag_b = format!("TAG-b{i}");
        runs.push((
            start(&b, &slug_b, "groq", &format!("{STORY} {tag_b}")).await,
            tag_b,
        ));
    }
    for (id, tag) in &runs {
        let run = wait_for(&app, id, 120, |r| r.status == RunStatus::AwaitingInput).await;
        assert_eq!(run.current_state, "human-approval");
        for out in outputs(&app, id) {
            assert!(
                out.content.contains(tag.as_str()),
                "{id}: {} has {:?}",
                out.output_type,
                out.content
            );
        }
        for ev in events_of(&app, id) {
            assert_eq!(
                ev.0,
                run.workspace_id.to_string(),
                "event stored in its own workspace"
            );
        }
    }
    // Each workspace's history shows only its own runs.
    let (_, page_a) = a.page(&format!("/w/{slug_a}/runs")).await;
    assert!(!page_a.contains("TAG-b"));
}

fn event_kinds(app: &TestApp, id: &str) -> Vec<String> {
    use postmagiq::db::schema::workflow_events as e;
    e::table
        .filter(e::run_id.eq(id))
        .order(e::id.asc())
        .select(e::kind)
        .load(&mut app.conn())
        .expect("events")
}

fn events_of(app: &TestApp, id: &str) -> Vec<(String, String)> {
    use postmagiq::db::schema::workflow_events as e;
    e::table
        .filter(e::run_id.eq(id))
        .select((e::workspace_id, e::kind))
        .load(&mut app.conn())
        .expect("events")
}

#[actix_web::test]
async fn out_of_credits_is_refused_before_anything_runs() {
    let fake = FakeLlm::with_handler(happy);
    let app = app_with(&fake, |_| {}).await;
    let client = app.client();
    let slug = client.signup("Fran Free", "fran@example.com").await;
    // The free plan's monthly credits are used up.
    set_tier(&app, &slug, "free");
    let first = start(&client, &slug, "groq", STORY).await;
    let res = client
        .post(
            &format!("/w/{slug}/runs"),
            &[("config", "groq"), ("story", STORY)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::PAYMENT_REQUIRED);
    let body = res.text().await.unwrap_or_default();
    assert!(body.contains("credits"), "{body}");
    let count: i64 = r::table.count().get_result(&mut app.conn()).expect("count");
    assert_eq!(count, 1, "the refused run was not recorded");
    let _ = first;
}

/// A `postmagiq serve` process working on the test's database with one worker and a short
/// job lease, its providers pointing at `fake`.
fn server_process(app: &TestApp, fake: &FakeLlm, data: &std::path::Path) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_postmagiq"))
        .env_clear()
        .env("DATABASE_URL", app.database_url())
        .env("DATA_DIR", data)
        .env("BIND", "127.0.0.1:0")
        .env("WORKERS", "1")
        .env("JOB_LEASE_SECS", "2")
        .env("BCRYPT_COST", "4")
        .env("GROQ_API_KEY", "gsk-test")
        .env("GROQ_BASE_URL", format!("{}/openai/v1", fake.base_url))
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .arg("serve")
        .spawn()
        .expect("start the server process")
}

#[actix_web::test]
async fn a_killed_server_resumes_the_run_from_its_last_state() {
    let writers = Arc::new(AtomicUsize::new(0));
    let seen = writers.clone();
    let fake = FakeLlm::with_handler(move |r| {
        if persona(r) == "writer" {
            seen.fetch_add(1, Ordering::SeqCst);
            // Long enough for the test to kill the process mid-state.
            std::thread::sleep(Duration::from_millis(1500));
        }
        happy(r)
    });
    // No workers in the test app: only the server processes run the job.
    let app = app_with(&fake, |c| c.workers = 0).await;
    let (client, slug) = owner(&app, "olive@example.com").await;
    let id = start(&client, &slug, "groq", STORY).await;
    let data = tempfile::tempdir().expect("temp dir");

    let mut first = server_process(&app, &fake, data.path());
    let deadline = Instant::now() + Duration::from_secs(60);
    while writers.load(Ordering::SeqCst) == 0 {
        assert!(
            Instant::now() < deadline,
            "the first server never reached the drafts"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill().expect("kill -9");
    let _ = first.wait();
    let run = run_row(&app, &id);
    assert_eq!(run.current_state, "draft", "killed while drafting");
    let before = outputs(&app, &id);
    assert_eq!(count_type(&before, "draft"), 0);

    let mut second = server_process(&app, &fake, data.path());
    let run = wait_for(&app, &id, 90, |r| {
        r.status == RunStatus::AwaitingInput || r.status.is_final()
    })
    .await;
    let _ = second.kill();
    let _ = second.wait();
    assert_eq!(run.current_state, "human-approval", "{:?}", run.error);
    let after = outputs(&app, &id);
    for (t, n) in [
        ("review", 1),
        ("processed", 1),
        ("draft", 3),
        ("audit", 2),
        ("final", 1),
    ] {
        assert_eq!(count_type(&after, t), n, "{t} outputs after the resume");
    }
}

#[actix_web::test]
async fn claude_and_gemini_configs_run_over_their_own_wire_formats() {
    let fake = FakeLlm::with_handler(happy);
    let app = app_with(&fake, |_| {}).await;
    let (client, slug) = owner(&app, "olive@example.com").await;
    for (config, wire) in [
        ("claude", crate::support::fake_llm::Wire::Anthropic),
        ("gemini", crate::support::fake_llm::Wire::Gemini),
    ] {
        let id = start(&client, &slug, config, STORY).await;
        let run = wait_status(&app, &id, RunStatus::AwaitingInput).await;
        assert_eq!(run.current_state, "human-approval", "{config}");
        assert!(run.input_tokens > 0, "{config} counted tokens");
        assert_eq!(count_type(&outputs(&app, &id), "final"), 1, "{config}");
        answer(&client, &slug, &id, "approved", "").await;
        wait_status(&app, &id, RunStatus::Complete).await;
        let calls: Vec<_> = fake
            .requests()
            .into_iter()
            .filter(|r| crate::support::fake_llm::wire_of(r) == wire)
            .collect();
        assert!(calls.len() >= 8, "{config} spoke its provider's format");
    }
}

#[actix_web::test]
async fn rate_limits_and_server_errors_are_retried_within_a_state() {
    let calls = Arc::new(AtomicUsize::new(0));
    let n = calls.clone();
    let fake = FakeLlm::with_handler(move |r| {
        if persona(r) == "reviewer" {
            match n.fetch_add(1, Ordering::SeqCst) {
                0 => return error_for(r, 429, "slow down").with_header("retry-after", "0"),
                1 => return error_for(r, 500, "upstream hiccup").with_header("retry-after", "0"),
                _ => {}
            }
        }
        happy(r)
    });
    let app = app_with(&fake, |_| {}).await;
    let (client, slug) = owner(&app, "olive@example.com").await;
    let id = start(&client, &slug, "groq", STORY).await;
    let run = wait_status(&app, &id, RunStatus::AwaitingInput).await;
    assert_eq!(run.current_state, "human-approval");
    assert_eq!(
        calls.load(Ordering::SeqCst),
        3,
        "two failures, then the answer"
    );
    assert_eq!(count_type(&outputs(&app, &id), "review"), 1);
}

#[actix_web::test]
async fn a_malformed_verdict_fails_closed_and_the_audit_is_retried() {
    let audits = Arc::new(AtomicUsize::new(0));
    let n = audits.clone();
    let fake = FakeLlm::with_handler(move |r| match persona(r) {
        "style" if n.fetch_add(1, Ordering::SeqCst) == 0 => reply_for(
            r,
            "Here you go: {\"score\": 9, \"decision\": \"proceed\", \"feedback\": ",
        ),
        _ => happy(r),
    });
    let app = app_with(&fake, |_| {}).await;
    let (client, slug) = owner(&app, "olive@example.com").await;
    let id = start(&client, &slug, "groq", STORY).await;
    wait_status(&app, &id, RunStatus::AwaitingInput).await;
    let outs = outputs(&app, &id);
    let broken = outs
        .iter()
        .find(|o| o.output_type == "audit" && o.agent == "style-checker" && o.score == Some(1))
        .expect("the unreadable audit is recorded as score 1");
    assert_eq!(broken.decision.as_deref(), Some("retry"));
    assert_eq!(
        count_type(&outs, "draft"),
        6,
        "the writers went round again"
    );
    assert_eq!(count_type(&outs, "final"), 1);
}

#[actix_web::test]
async fn write_with_ai_turns_the_final_post_into_the_posts_next_version() {
    let app = TestApp::spawn_with(|c| c.workers = 2).await;
    let (client, slug) = owner(&app, "olive@example.com").await;
    let post = crate::finished::new_post(&app, &client, &slug, "Green dashboards", STORY).await;
    let (_, page) = client.page(&format!("/w/{slug}/posts/{post}")).await;
    assert!(
        page.contains(&format!("/w/{slug}/runs/new?post={post}")),
        "Write with AI link"
    );
    let res = client
        .post(
            &format!("/w/{slug}/runs"),
            &[
                ("config", "demo"),
                ("story", STORY),
                ("post_id", post.as_str()),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let id = location(&res)
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    wait_status(&app, &id, RunStatus::AwaitingInput).await;
    answer(&client, &slug, &id, "approved", "").await;
    wait_status(&app, &id, RunStatus::Complete).await;
    let final_text = outputs(&app, &id)
        .into_iter()
        .rfind(|o| o.output_type == "final")
        .expect("a final post")
        .content;
    use postmagiq::db::schema::{post_versions as v, posts as p};
    let body: String = p::table
        .filter(p::id.eq(&post))
        .select(p::body)
        .first(&mut app.conn())
        .expect("post");
    assert_eq!(body.trim(), final_text.trim());
    let source: String = v::table
        .filter(v::post_id.eq(&post))
        .order(v::version.desc())
        .select(v::source)
        .first(&mut app.conn())
        .expect("version");
    assert_eq!(source, "workflow");
}

#[actix_web::test]
async fn the_story_limit_is_a_workspace_setting_the_new_run_form_enforces() {
    let app = TestApp::spawn().await;
    let (owner, _editor, viewer) = crate::workspaces::team_space(&app).await;
    let res = owner
        .post("/w/team/settings/runs", &[("story_char_limit", "lots")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .text()
        .await
        .unwrap_or_default()
        .contains("whole number"));
    let res = owner
        .post("/w/team/settings/runs", &[("story_char_limit", "50")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = viewer
        .post("/w/team/settings/runs", &[("story_char_limit", "5000")])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let res = owner
        .post("/w/team/settings/runs", &[("story_char_limit", "200")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, form) = owner.page("/w/team/runs/new").await;
    assert!(
        form.contains("200"),
        "the form counts against the new limit"
    );
    let long = "x".repeat(250);
    let res = owner
        .post(
            "/w/team/runs",
            &[("config", "demo"), ("story", long.as_str())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap_or_default().contains("up to 200"));
    start(&owner, "team", "demo", &"y".repeat(200)).await;
}

#[actix_web::test]
async fn the_dashboard_offers_a_run_and_lists_recent_ones() {
    let app = TestApp::spawn_with(|c| c.workers = 2).await;
    let (owner, _editor, viewer) = crate::workspaces::team_space(&app).await;
    let (_, empty) = owner.page("/w/team").await;
    assert!(empty.contains("No writing runs yet."));
    assert!(
        empty.contains(r#"href="/w/team/runs/new""#),
        "Write a post with AI"
    );
    set_tier(&app, "team", "max");
    let id = start(&owner, "team", "demo", STORY).await;
    wait_status(&app, &id, RunStatus::AwaitingInput).await;
    let (_, page) = viewer.page("/w/team").await;
    assert!(
        page.contains(&format!("/w/team/runs/{id}")),
        "the run is listed"
    );
    assert!(page.contains("Needs you"));
    assert!(page.contains("credits left this month"));
    assert!(
        !page.contains("Write a post with AI"),
        "viewers cannot start runs"
    );
}

#[actix_web::test]
async fn bad_requests_get_clear_answers_and_change_nothing() {
    let app = TestApp::spawn_with(|c| c.workers = 2).await;
    let (client, slug) = owner(&app, "olive@example.com").await;
    let res = client
        .post(
            &format!("/w/{slug}/runs"),
            &[("config", "no-such-workflow"), ("story", STORY)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res
        .text()
        .await
        .unwrap_or_default()
        .contains("not available"));
    let res = client
        .post(
            &format!("/w/{slug}/runs"),
            &[("config", "demo"), ("story", STORY), ("voice", "pirate")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let (status, _) = client.page(&format!("/w/{slug}/runs/not-a-uuid")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let count: i64 = r::table.count().get_result(&mut app.conn()).expect("count");
    assert_eq!(count, 0, "nothing was recorded");

    let id = start(&client, &slug, "demo", STORY).await;
    wait_status(&app, &id, RunStatus::AwaitingInput).await;
    let res = client
        .post(
            &format!("/w/{slug}/runs/{id}/answer"),
            &[("decision", "maybe"), ("feedback", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = client
        .post(&format!("/w/{slug}/runs/{id}/pause"), &[])
        .await;
    assert_eq!(
        res.status(),
        StatusCode::CONFLICT,
        "a waiting run cannot be paused"
    );
    answer(&client, &slug, &id, "approved", "").await;
    wait_status(&app, &id, RunStatus::Complete).await;
    let res = client
        .post(
            &format!("/w/{slug}/runs/{id}/answer"),
            &[("decision", "approved"), ("feedback", "")],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::CONFLICT,
        "an ended run takes no answers"
    );
    let res = client
        .post(&format!("/w/{slug}/runs/{id}/abort"), &[("confirm", "yes")])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(run_row(&app, &id).status, RunStatus::Complete);
}

#[actix_web::test]
async fn an_abort_overrides_a_pending_pause_and_a_second_answer_is_refused() {
    let fake = FakeLlm::with_handler(happy);
    fake.set_latency(Duration::from_millis(600));
    let app = app_with(&fake, |_| {}).await;
    let (client, slug) = owner(&app, "olive@example.com").await;
    let id = start(&client, &slug, "groq", STORY).await;
    assert!(fake.wait_for_requests(1, Duration::from_secs(10)));
    let res = client
        .post(&format!("/w/{slug}/runs/{id}/pause"), &[])
        .await;
    assert!(res.status().is_redirection() || res.status().is_success());
    let res = client
        .post(&format!("/w/{slug}/runs/{id}/abort"), &[("confirm", "yes")])
        .await;
    assert!(res.status().is_redirection() || res.status().is_success());
    let run = wait_for(&app, &id, 30, |r| {
        r.status.is_final() || r.status == RunStatus::Paused
    })
    .await;
    assert_eq!(
        run.status,
        RunStatus::Aborted,
        "the abort wins over the pause"
    );

    fake.set_latency(Duration::ZERO);
    let id = start(&client, &slug, "groq", STORY).await;
    wait_status(&app, &id, RunStatus::AwaitingInput).await;
    answer(&client, &slug, &id, "feedback", "Shorter, please").await;
    let res = client
        .post(
            &format!("/w/{slug}/runs/{id}/answer"),
            &[("decision", "approved"), ("feedback", "")],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::CONFLICT,
        "the question was already answered"
    );
    let run = wait_status(&app, &id, RunStatus::AwaitingInput).await;
    assert!(run.step > 0);
    let fed_back = outputs(&app, &id)
        .iter()
        .filter(|o| o.output_type == "human_feedback")
        .count();
    assert_eq!(fed_back, 1, "only the first answer was applied");
}

#[actix_web::test]
async fn an_abort_mid_fan_out_keeps_what_the_finished_calls_produced_and_cost() {
    let slow_started = Arc::new(AtomicUsize::new(0));
    let seen = slow_started.clone();
    let fake = FakeLlm::with_handler(move |r| {
        let slow = persona(r) == "writer"
            && crate::support::fake_llm::model_of(r) == "llama-3.3-70b-versatile";
        if slow {
            seen.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_secs(8));
        }
        happy(r)
    });
    let app = app_with(&fake, |_| {}).await;
    let (client, slug) = owner(&app, "olive@example.com").await;
    let id = start(&client, &slug, "groq", STORY).await;
    // Both quick writers have answered and the slow one is still writing.
    wait_for(&app, &id, 30, |_| {
        slow_started.load(Ordering::SeqCst) > 0
            && fake
                .requests()
                .iter()
                .filter(|r| persona(r) == "writer")
                .count()
                == 3
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = run_row(&app, &id);
    let res = client
        .post(&format!("/w/{slug}/runs/{id}/abort"), &[("confirm", "yes")])
        .await;
    assert!(res.status().is_redirection() || res.status().is_success());
    let run = wait_status(&app, &id, RunStatus::Aborted).await;
    assert_eq!(
        count_type(&outputs(&app, &id), "draft"),
        2,
        "the finished drafts are kept"
    );
    assert!(
        run.cost_micros > before.cost_micros,
        "what they cost is counted: {} then {}, tokens {} then {}",
        before.cost_micros,
        run.cost_micros,
        before.input_tokens,
        run.input_tokens
    );
    assert_eq!(
        reservation(&app, &id).0,
        "released",
        "an aborted run is not charged"
    );
}
