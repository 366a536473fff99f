//! Voice: samples, analysis through a fake provider, and profiles.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use postmagiq::db::schema::{voice_analyses, voice_profiles, writing_samples};
use postmagiq::model::Role;
use postmagiq::workflow::agents::{ProviderConfig, ProviderKind};
use reqwest::StatusCode;

use crate::support::fake_llm::{openai_reply, FakeLlm, Reply};
use crate::support::{location, Client, TestApp};
use crate::workspaces::add_member;

const SAMPLE: &str =
    "Last spring I shipped a feature nobody asked for, and it taught me more than \
any launch that went to plan. We had spent weeks polishing a dashboard that looked great in \
demos. Then a customer called and asked one plain question: where is my invoice? I realised we \
had been building for ourselves. So we stopped, listened to ten customers in a week, and cut \
half the roadmap. It felt like failure at the time. It was the best decision of my year.";

fn provider(fake: &FakeLlm) -> ProviderConfig {
    let mut c = ProviderConfig::new(
        ProviderKind::OpenAi,
        Some(fake.base_url.clone()),
        Some("sk-test".into()),
        Some("gpt-4o-mini".into()),
    );
    c.timeout = Duration::from_secs(5);
    c.max_retries = 0;
    c
}

async fn add_samples(c: &Client, slug: &str, n: usize) {
    for i in 0..n {
        let res = c
            .post(
                &format!("/w/{slug}/voice/samples"),
                &[
                    ("title", &format!("Story {i}")),
                    ("content", SAMPLE),
                    ("prompt_id", ""),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
}

fn analysis_row(app: &TestApp) -> (String, Option<String>, Option<String>) {
    let mut conn = app.conn();
    voice_analyses::table
        .select((
            voice_analyses::status,
            voice_analyses::error,
            voice_analyses::voice_profile_id,
        ))
        .first(&mut conn)
        .unwrap()
}

async fn wait_for_analysis(
    app: &TestApp,
    done: &[&str],
) -> (String, Option<String>, Option<String>) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let row = analysis_row(app);
        if done.contains(&row.0.as_str()) {
            return row;
        }
        assert!(Instant::now() < deadline, "analysis stuck at {row:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn samples_are_validated_counted_and_deleted() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let slug = c.signup("Ann", "ann@example.com").await;
    let (_, body) = c.page(&format!("/w/{slug}/voice")).await;
    assert!(body.contains("No samples yet") && body.contains("0 words so far"));
    let res = c
        .post(
            &format!("/w/{slug}/voice/samples"),
            &[("content", "too short"), ("prompt_id", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("at least 20 words"));
    let res = c
        .post(
            &format!("/w/{slug}/voice/samples"),
            &[("content", SAMPLE), ("prompt_id", "not-a-prompt")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    add_samples(&c, &slug, 1).await;
    let words = SAMPLE.split_whitespace().count();
    let (_, body) = c.page(&format!("/w/{slug}/voice")).await;
    assert!(body.contains(&format!("{words} words so far")), "{body}");
    let mut conn = app.conn();
    let id: String = writing_samples::table
        .select(writing_samples::id)
        .first(&mut conn)
        .unwrap();
    let res = c
        .post(&format!("/w/{slug}/voice/samples/{id}/delete"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let left: i64 = writing_samples::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn analysis_without_a_provider_says_what_to_set() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let slug = c.signup("Ann", "ann@example.com").await;
    add_samples(&c, &slug, 4).await;
    let res = c.post(&format!("/w/{slug}/voice/analyze"), &[]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("OPENAI_API_KEY") && body.contains("OLLAMA_URL"),
        "{body}"
    );
}

#[tokio::test]
async fn analysis_needs_enough_words() {
    let fake = FakeLlm::start(vec![openai_reply("{}")]);
    let cfg = provider(&fake);
    let app = TestApp::spawn_with(move |c| c.agent = Some(cfg)).await;
    let c = app.client();
    let slug = c.signup("Ann", "ann@example.com").await;
    add_samples(&c, &slug, 1).await;
    let res = c.post(&format!("/w/{slug}/voice/analyze"), &[]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("of the 300 words needed"));
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn analysis_through_the_provider_creates_a_voice_profile() {
    let answer = "Here is the profile:\n```json\n{\"name\": \"Candid builder\", \"description\": \"Plain-spoken lessons from shipping.\", \
        \"tone_description\": \"Warm, direct, first person; short sentences.\", \
        \"signature_phrases\": [\"It felt like failure at the time.\", \"So we stopped.\"], \
        \"word_choices\": \"Everyday words.\", \"example_excerpts\": [\"It was the best decision of my year.\"], \
        \"avoid_patterns\": [\"Buzzwords\"]}\n```";
    let fake = FakeLlm::start(vec![openai_reply(answer)]);
    let cfg = provider(&fake);
    let app = TestApp::spawn_with(move |c| c.agent = Some(cfg)).await;
    let c = app.client();
    let slug = c.signup("Ann", "ann@example.com").await;
    add_samples(&c, &slug, 4).await;
    let res = c.post(&format!("/w/{slug}/voice/analyze"), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (status, error, profile) = wait_for_analysis(&app, &["done", "failed"]).await;
    assert_eq!(status, "done", "{error:?}");
    let profile = profile.expect("profile linked");

    // The samples went to the model, in the provider's format.
    let sent = &fake.requests()[0];
    assert_eq!(sent.path, "/chat/completions");
    let user = sent.body["messages"][1]["content"].as_str().unwrap();
    assert!(user.contains("### Story 0") && user.contains("where is my invoice"));

    let (_, body) = c.page(&format!("/w/{slug}/voice/profiles/{profile}")).await;
    assert!(body.contains("Candid builder"));
    assert!(body.contains("So we stopped."));
    let mut conn = app.conn();
    let tone: String = voice_profiles::table
        .find(&profile)
        .select(voice_profiles::tone_description)
        .first(&mut conn)
        .unwrap();
    assert_eq!(tone, "Warm, direct, first person; short sentences.");
    let (_, body) = c.page(&format!("/w/{slug}/voice")).await;
    assert!(body.contains("Candid builder"));
}

#[tokio::test]
async fn a_provider_refusal_fails_the_analysis_with_its_message() {
    let fake = FakeLlm::start(vec![Reply::json(
        401,
        serde_json::json!({"error": {"message": "Invalid API key provided"}}),
    )]);
    let cfg = provider(&fake);
    let app = TestApp::spawn_with(move |c| c.agent = Some(cfg)).await;
    let c = app.client();
    let slug = c.signup("Ann", "ann@example.com").await;
    add_samples(&c, &slug, 4).await;
    c.post(&format!("/w/{slug}/voice/analyze"), &[]).await;
    let (status, error, _) = wait_for_analysis(&app, &["done", "failed"]).await;
    assert_eq!(status, "failed");
    assert!(error.unwrap().contains("Invalid API key provided"));
    let mut conn = app.conn();
    let id: String = voice_analyses::table
        .select(voice_analyses::id)
        .first(&mut conn)
        .unwrap();
    let (_, fragment) = c.page(&format!("/w/{slug}/voice/analyses/{id}")).await;
    assert!(fragment.contains("The analysis failed") && fragment.contains("Invalid API key"));
}

#[tokio::test]
async fn profiles_can_be_written_edited_made_default_and_deleted() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let slug = c.signup("Ann", "ann@example.com").await;
    let res = c
        .post(
            &format!("/w/{slug}/voice/profiles"),
            &[("name", ""), ("tone_description", "x")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("Give the voice a name."));
    let res = c
        .post(
            &format!("/w/{slug}/voice/profiles"),
            &[
                ("name", "Quiet expert"),
                ("tone_description", "Calm <b>and</b> exact."),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = location(&res);
    let id = page.rsplit('/').next().unwrap().to_string();
    let (_, body) = c.page(&page).await;
    assert!(
        body.contains("Calm &#60;b&#62;and&#60;/b&#62; exact."),
        "escaped: {body}"
    );
    let dup = c
        .post(
            &format!("/w/{slug}/voice/profiles"),
            &[("name", "Quiet Expert")],
        )
        .await;
    assert_eq!(dup.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let res = c
        .post(
            &format!("/w/{slug}/voice/profiles/{id}"),
            &[("name", "Quiet expert v2"), ("tone_description", "Calm.")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = c
        .post(
            &format!("/w/{slug}/voice/default"),
            &[("voice_profile_id", &id)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, body) = c.page(&format!("/w/{slug}/voice")).await;
    assert!(
        body.contains("Quiet expert v2</a> <span class=\"badge badge-success\">Default"),
        "{body}"
    );

    // Presets are readable but never editable.
    let mut conn = app.conn();
    let preset: String = voice_profiles::table
        .filter(voice_profiles::is_preset.eq(true))
        .select(voice_profiles::id)
        .first(&mut conn)
        .unwrap();
    assert_eq!(
        c.get(&format!("/w/{slug}/voice/profiles/{preset}"))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        c.get(&format!("/w/{slug}/voice/profiles/{preset}/edit"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let res = c
        .post(&format!("/w/{slug}/voice/profiles/{preset}/delete"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    let res = c
        .post(&format!("/w/{slug}/voice/profiles/{id}/delete"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, body) = c.page(&format!("/w/{slug}/voice")).await;
    assert!(body.contains("Deleted \u{201c}Quiet expert v2\u{201d}."));
    assert!(
        !body.contains(&format!("/voice/profiles/{id}\"")),
        "gone from the list"
    );
}

#[tokio::test]
async fn viewers_see_voices_but_cannot_change_them() {
    let app = TestApp::spawn().await;
    let owner = app.client();
    let slug = owner.signup("Ann", "ann@example.com").await;
    let viewer = app.client();
    viewer.signup("Vic", "vic@example.com").await;
    add_member(&app, &slug, "vic@example.com", Role::Viewer);
    let (status, body) = viewer.page(&format!("/w/{slug}/voice")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Conversational") && !body.contains("Save sample"));
    for path in [
        "voice/samples",
        "voice/analyze",
        "voice/profiles",
        "voice/default",
    ] {
        let res = viewer
            .post(
                &format!("/w/{slug}/{path}"),
                &[("content", SAMPLE), ("name", "x")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
    }
}
