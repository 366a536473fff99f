//! Strategies, chapters, post ideas in chapters, inline title edits and the strategy builder.

use diesel::prelude::*;
use postmagiq::db::schema::{audit_logs, chapters, goals, posts, voice_profiles, workspaces};
use postmagiq::model::{now, Role, VoiceProfileId};
use postmagiq::service::strategy::{self as strategy, RawAnswers};
use reqwest::StatusCode;

use crate::support::{location, Client, TestApp};
use crate::workspaces::add_member;

/// The value of `key` in a redirect's query string.
fn query_value(location: &str, key: &str) -> String {
    let query = location.split_once('?').map_or("", |(_, q)| q);
    let query = query.split('#').next().unwrap_or_default();
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.to_string())
        .unwrap_or_else(|| panic!("no {key} in {location:?}"))
}

async fn body(res: reqwest::Response) -> String {
    res.text().await.expect("body")
}

async fn create_goal(c: &Client, slug: &str, name: &str) -> String {
    let res = c
        .post(
            &format!("/w/{slug}/strategy"),
            &[
                ("name", name),
                (
                    "signature_thesis",
                    "Small teams ship better when they write.",
                ),
                ("positioning", "A writer who codes"),
                ("target_audience", "engineering leads"),
                ("content_style", "How-to"),
                ("strategy_type", "series"),
                ("posts_per_week", "3"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", body(res).await);
    query_value(&location(&res), "goal")
}

async fn add_chapter(c: &Client, slug: &str, goal: &str, title: &str) -> String {
    let res = c
        .post(
            &format!("/w/{slug}/strategy/{goal}/chapters"),
            &[
                ("title", title),
                ("theme", "A theme"),
                ("description", ""),
                ("weeks_start", "1"),
                ("weeks_end", "2"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", body(res).await);
    query_value(&location(&res), "open")
}

async fn add_idea(c: &Client, slug: &str, chapter: &str, title: &str) -> reqwest::Response {
    c.post(
        &format!("/w/{slug}/posts"),
        &[
            ("title", title),
            ("body", ""),
            ("chapter_id", chapter),
            ("next", &format!("/w/{slug}/strategy")),
        ],
    )
    .await
}

fn audit_actions(app: &TestApp) -> Vec<String> {
    audit_logs::table
        .select(audit_logs::action)
        .load(&mut app.conn())
        .expect("audit rows")
}

fn count_goals(app: &TestApp) -> i64 {
    goals::table.count().get_result(&mut app.conn()).unwrap()
}

fn count_chapters(app: &TestApp) -> i64 {
    chapters::table.count().get_result(&mut app.conn()).unwrap()
}

fn count_posts(app: &TestApp) -> i64 {
    posts::table.count().get_result(&mut app.conn()).unwrap()
}

/// An owner's workspace with an editor and a viewer in it.
async fn team(app: &TestApp) -> (String, Client, Client, Client) {
    let owner = app.client();
    let slug = owner.signup("Olive Owner", "owner@example.com").await;
    let editor = app.client();
    editor.signup("Ed Editor", "editor@example.com").await;
    add_member(app, &slug, "editor@example.com", Role::Editor);
    let viewer = app.client();
    viewer.signup("Vi Viewer", "viewer@example.com").await;
    add_member(app, &slug, "viewer@example.com", Role::Viewer);
    (slug, owner, editor, viewer)
}

#[tokio::test]
async fn strategies_are_validated_created_and_edited_with_audit_rows() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let slug = c.signup("Ann", "ann@example.com").await;

    let (status, page) = c.page(&format!("/w/{slug}/strategy")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("No strategy yet"));
    assert!(page.contains("Build a strategy") && page.contains("Create manually"));
    assert!(
        page.contains(&format!("href=\"/w/{slug}/strategy\"")),
        "nav link"
    );

    let long = "x".repeat(121);
    for (fields, message) in [
        (
            vec![("name", "  "), ("posts_per_week", "2")],
            "Enter a name.",
        ),
        (
            vec![("name", long.as_str()), ("posts_per_week", "2")],
            "Keep it to 120 characters or fewer.",
        ),
        (
            vec![("name", "Ok"), ("posts_per_week", "15")],
            "Enter a whole number from 1 to 14.",
        ),
        (
            vec![
                ("name", "Ok"),
                ("posts_per_week", "2"),
                ("strategy_type", "weekly"),
            ],
            "Choose series, daily or campaign.",
        ),
    ] {
        let mut fields = fields;
        if !fields.iter().any(|(k, _)| *k == "strategy_type") {
            fields.push(("strategy_type", "series"));
        }
        let res = c.post(&format!("/w/{slug}/strategy"), &fields).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = body(res).await;
        assert!(html.contains(message), "{message} missing");
        assert!(html.contains("field-error"));
    }
    assert_eq!(count_goals(&app), 0, "nothing saved on bad input");

    let goal = create_goal(&c, &slug, "Ship it weekly").await;
    let (_, page) = c.page(&format!("/w/{slug}/strategy?goal={goal}")).await;
    assert!(page.contains("Ship it weekly"));
    assert!(page.contains("Small teams ship better when they write."));
    assert!(page.contains("engineering leads"));
    assert!(page.contains("Series"));
    assert!(page.contains("Conversational") && page.contains("Servant leader"));

    let edit = format!("/w/{slug}/strategy/{goal}/edit");
    let (status, form) = c.page(&edit).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("value=\"Ship it weekly\""));
    let res = c
        .post(
            &edit,
            &[
                ("name", "Ship it daily"),
                ("strategy_type", "daily"),
                ("posts_per_week", "0"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = body(res).await;
    assert!(html.contains("Enter a whole number from 1 to 14."));
    assert!(
        html.contains("value=\"Ship it daily\""),
        "keeps what was typed"
    );
    let res = c
        .post(
            &edit,
            &[
                ("name", "Ship it daily"),
                ("signature_thesis", "Daily beats perfect."),
                ("strategy_type", "daily"),
                ("posts_per_week", "7"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (name, ppw, thesis): (String, i32, String) = goals::table
        .select((goals::name, goals::posts_per_week, goals::signature_thesis))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(
        (name.as_str(), ppw, thesis.as_str()),
        ("Ship it daily", 7, "Daily beats perfect.")
    );
    let actions = audit_actions(&app);
    assert!(actions.contains(&"strategy.created".to_string()));
    assert!(actions.contains(&"strategy.updated".to_string()));
}

#[tokio::test]
async fn chapters_are_numbered_validated_edited_and_deleted() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let slug = c.signup("Ann", "ann@example.com").await;
    let goal = create_goal(&c, &slug, "Plan").await;
    let add = format!("/w/{slug}/strategy/{goal}/chapters");

    for (fields, message) in [
        (vec![("title", "")], "Enter a title."),
        (
            vec![("title", "Late"), ("weeks_start", "5"), ("weeks_end", "3")],
            "The last week cannot come before the first week.",
        ),
        (
            vec![("title", "Half"), ("weeks_start", "2")],
            "Enter the last week too, or clear both.",
        ),
        (
            vec![("title", "Far"), ("weeks_start", "1"), ("weeks_end", "999")],
            "Enter a whole number from 1 to 520.",
        ),
    ] {
        let res = c.post(&add, &fields).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = body(res).await;
        assert!(html.contains(message), "{message} missing");
    }
    assert_eq!(count_chapters(&app), 0);

    let first = add_chapter(&c, &slug, &goal, "Foundations").await;
    let second = add_chapter(&c, &slug, &goal, "Practice").await;
    let third = add_chapter(&c, &slug, &goal, "Mastery").await;
    let number = |id: &str| -> i32 {
        chapters::table
            .filter(chapters::id.eq(id))
            .select(chapters::chapter_number)
            .first(&mut app.conn())
            .unwrap()
    };
    assert_eq!((number(&first), number(&second), number(&third)), (1, 2, 3));

    let edit = format!("/w/{slug}/strategy/chapters/{second}/edit");
    let (status, form) = c.page(&edit).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("value=\"Practice\""));
    let res = c
        .post(
            &edit,
            &[
                ("title", "Practice, practice"),
                ("theme", "Reps"),
                ("weeks_start", "3"),
                ("weeks_end", "4"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = c.page(&format!("/w/{slug}/strategy?goal={goal}")).await;
    assert!(page.contains("Practice, practice"));
    assert!(page.contains("Weeks 3\u{2013}4"));

    assert_eq!(
        add_idea(&c, &slug, &first, "First idea").await.status(),
        StatusCode::SEE_OTHER
    );
    let (_, page) = c.page(&format!("/w/{slug}/strategy?goal={goal}")).await;
    assert!(page.contains(
        "Delete chapter 1, &#8220;Foundations&#8221;? Its 1 post loses its chapter and is kept as an idea."
    ) || page.contains(
        "Delete chapter 1, \u{201c}Foundations\u{201d}? Its 1 post loses its chapter and is kept as an idea."
    ), "chapter delete confirm states the post count");

    let res = c
        .post(&format!("/w/{slug}/strategy/chapters/{first}/delete"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(count_chapters(&app), 2);
    assert_eq!((number(&second), number(&third)), (1, 2), "gap closed");
    let chapter: Option<String> = posts::table
        .select(posts::chapter_id)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(chapter, None, "the post stays, without a chapter");
    let actions = audit_actions(&app);
    for a in ["chapter.created", "chapter.updated", "chapter.deleted"] {
        assert!(actions.contains(&a.to_string()), "{a} audited");
    }
}

#[tokio::test]
async fn editors_and_viewers_read_strategies_but_only_editors_add_ideas() {
    let app = TestApp::spawn().await;
    let (slug, owner, editor, viewer) = team(&app).await;
    let goal = create_goal(&owner, &slug, "Team plan").await;
    let chapter = add_chapter(&owner, &slug, &goal, "Kick-off").await;

    for (who, can_add) in [(&editor, true), (&viewer, false)] {
        let (status, page) = who.page(&format!("/w/{slug}/strategy")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Team plan") && page.contains("Kick-off"));
        assert!(!page.contains("Build a strategy"), "no write actions");
        assert!(!page.contains("/delete\""), "no delete forms");
        assert_eq!(page.contains("Add idea"), can_add);

        for (path, fields) in [
            (format!("/w/{slug}/strategy"), vec![("name", "Mine")]),
            (
                format!("/w/{slug}/strategy/{goal}/edit"),
                vec![("name", "Mine")],
            ),
            (format!("/w/{slug}/strategy/{goal}/delete"), vec![]),
            (
                format!("/w/{slug}/strategy/{goal}/voice"),
                vec![("voice_profile_id", "")],
            ),
            (
                format!("/w/{slug}/strategy/{goal}/chapters"),
                vec![("title", "Mine")],
            ),
            (
                format!("/w/{slug}/strategy/chapters/{chapter}/edit"),
                vec![("title", "Mine")],
            ),
            (
                format!("/w/{slug}/strategy/chapters/{chapter}/delete"),
                vec![],
            ),
            (format!("/w/{slug}/strategy/builder"), vec![("step", "1")]),
            (format!("/w/{slug}/strategy/builder/create"), vec![]),
        ] {
            let res = who.post(&path, &fields).await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "POST {path}");
            assert!(body(res).await.contains("strategy:write"));
        }
        for path in [
            format!("/w/{slug}/strategy/new"),
            format!("/w/{slug}/strategy/builder"),
            format!("/w/{slug}/strategy/{goal}/edit"),
        ] {
            assert_eq!(
                who.get(&path).await.status(),
                StatusCode::FORBIDDEN,
                "GET {path}"
            );
        }
    }
    assert_eq!(count_goals(&app), 1);
    assert_eq!(count_chapters(&app), 1);

    let res = add_idea(&editor, &slug, &chapter, "An editor's idea").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = add_idea(&viewer, &slug, &chapter, "A viewer's idea").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let titles: Vec<(String, Option<String>)> = posts::table
        .select((posts::title, posts::chapter_id))
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(
        titles,
        vec![("An editor's idea".to_string(), Some(chapter.clone()))]
    );
    let (_, page) = viewer.page(&format!("/w/{slug}/strategy")).await;
    assert!(page.contains("An editor&#39;s idea") || page.contains("An editor&#x27;s idea"));
    assert!(page.contains("0/1"), "chapter progress counts the idea");
}

#[tokio::test]
async fn deleting_a_strategy_removes_its_chapters_and_keeps_their_posts() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let slug = c.signup("Ann", "ann@example.com").await;
    let goal = create_goal(&c, &slug, "Doomed").await;
    let keep = create_goal(&c, &slug, "Survivor").await;
    let kept_chapter = add_chapter(&c, &slug, &keep, "Stays").await;
    let mut doomed_chapters = Vec::new();
    for title in ["One", "Two", "Three"] {
        doomed_chapters.push(add_chapter(&c, &slug, &goal, title).await);
    }
    for (i, chapter) in doomed_chapters.iter().enumerate() {
        for n in 0..=i {
            add_idea(&c, &slug, chapter, &format!("Idea {i}.{n}")).await;
        }
    }
    add_idea(&c, &slug, &kept_chapter, "Unrelated").await;

    let (_, page) = c.page(&format!("/w/{slug}/strategy?goal={goal}")).await;
    let warning = strategy::goal_delete_warning("Doomed", 3, 6, 6);
    assert!(
        warning.ends_with("Deletes 3 chapters. Their 6 posts are kept as ideas without a chapter.")
    );
    let escaped = warning
        .replace('\u{201c}', "&#8220;")
        .replace('\u{201d}', "&#8221;");
    assert!(
        page.contains(&warning) || page.contains(&escaped),
        "confirm text with counts on the delete form"
    );
    assert!(page.contains("data-confirm="));

    let res = c
        .post(&format!("/w/{slug}/strategy/{goal}/delete"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), format!("/w/{slug}/strategy"));
    assert_eq!(count_goals(&app), 1);
    let left: Vec<String> = chapters::table
        .select(chapters::id)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(left, vec![kept_chapter.clone()]);
    assert_eq!(count_posts(&app), 7, "every post is kept");
    let orphans: i64 = posts::table
        .filter(posts::chapter_id.is_null())
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(orphans, 6);
    let description: String = audit_logs::table
        .filter(audit_logs::action.eq("strategy.deleted"))
        .select(audit_logs::description)
        .first(&mut app.conn())
        .unwrap();
    assert!(description.contains("3 chapters; 6 posts kept without a chapter"));
    let (status, page) = c.page(&format!("/w/{slug}/strategy?goal={goal}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{page}");
}

#[tokio::test]
async fn voice_is_a_preset_or_one_of_the_workspaces_own_profiles() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let slug = c.signup("Ann", "ann@example.com").await;
    let other = app.client();
    let other_slug = other.signup("Bob", "bob@example.com").await;
    let goal = create_goal(&c, &slug, "Voiced").await;
    let own = insert_voice(&app, &slug, "Ann's own voice");
    let foreign = insert_voice(&app, &other_slug, "Bob's secret voice");

    let (_, page) = c.page(&format!("/w/{slug}/strategy")).await;
    assert!(page.contains("Ann&#39;s own voice") || page.contains("Ann&#x27;s own voice"));
    assert!(
        !page.contains("secret voice"),
        "other workspaces' profiles stay hidden"
    );

    let voice = format!("/w/{slug}/strategy/{goal}/voice");
    let preset = "7d7f3c1e-5a0b-4c43-9a51-0f2b3d7a1002";
    let stored = || -> Option<String> {
        goals::table
            .select(goals::voice_profile_id)
            .first(&mut app.conn())
            .unwrap()
    };
    let res = c.post(&voice, &[("voice_profile_id", preset)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(stored().as_deref(), Some(preset));
    let res = c.post(&voice, &[("voice_profile_id", own.as_str())]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(stored(), Some(own.clone()));
    for bad in [
        foreign.as_str(),
        "not-an-id",
        "7d7f3c1e-5a0b-4c43-9a51-0f2b3d7a1999",
    ] {
        let res = c.post(&voice, &[("voice_profile_id", bad)]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    assert_eq!(stored(), Some(own));
    let res = c.post(&voice, &[("voice_profile_id", "")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(stored(), None);
    assert!(audit_actions(&app).contains(&"strategy.voice_changed".to_string()));
}

fn insert_voice(app: &TestApp, slug: &str, name: &str) -> String {
    let mut conn = app.conn();
    let ws: String = workspaces::table
        .filter(workspaces::slug.eq(slug))
        .select(workspaces::id)
        .first(&mut conn)
        .unwrap();
    let id = VoiceProfileId::new().to_string();
    diesel::insert_into(voice_profiles::table)
        .values((
            voice_profiles::id.eq(&id),
            voice_profiles::workspace_id.eq(Some(ws)),
            voice_profiles::is_preset.eq(false),
            voice_profiles::name.eq(name),
            voice_profiles::slug.eq(name.to_lowercase().replace([' ', '\''], "-")),
            voice_profiles::description.eq(""),
            voice_profiles::tone_description.eq(""),
            voice_profiles::signature_phrases.eq(""),
            voice_profiles::word_choices.eq(""),
            voice_profiles::example_excerpts.eq(""),
            voice_profiles::avoid_patterns.eq(""),
            voice_profiles::created_at.eq(now()),
            voice_profiles::updated_at.eq(now()),
        ))
        .execute(&mut conn)
        .unwrap();
    id
}

// ---------------------------------------------------------------------------------------------
// The builder.
// ---------------------------------------------------------------------------------------------

const ANSWERS: [(&str, &str); 6] = [
    ("role", "Product designer at a fintech start-up"),
    ("known_for", "making onboarding painless"),
    ("audience", "founders of early-stage start-ups"),
    ("style", "how-to"),
    ("per_week", "3"),
    ("weeks", "10"),
];

fn answers_upto(n: usize) -> Vec<(&'static str, &'static str)> {
    ANSWERS[..n].to_vec()
}

async fn builder_step(
    c: &Client,
    slug: &str,
    step: &str,
    go: &str,
    answers: &[(&str, &str)],
) -> (StatusCode, String) {
    let mut fields = vec![("step", step), ("go", go)];
    fields.extend_from_slice(answers);
    let res = c
        .post(&format!("/w/{slug}/strategy/builder"), &fields)
        .await;
    (res.status(), body(res).await)
}

#[tokio::test]
async fn the_builder_asks_one_question_at_a_time_and_holds_on_a_missing_answer() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let slug = c.signup("Ann", "ann@example.com").await;

    let (status, page) = c.page(&format!("/w/{slug}/strategy/builder")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Question 1 of 6"));
    assert!(page.contains("What do you do?"));
    assert!(
        !page.contains(">Back<"),
        "no way back from the first question"
    );

    let (status, page) = builder_step(&c, &slug, "1", "next", &[("role", "  ")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Question 1 of 6"));
    assert!(page.contains("Tell us what you do, in a few words."));

    let prompts = [
        "What do you want to be known for?",
        "Who do you want to reach?",
        "What kind of posts do you want to write?",
        "How many posts a week?",
        "How many weeks should the series run?",
    ];
    for (i, prompt) in prompts.iter().enumerate() {
        let step = (i + 1).to_string();
        let (status, page) = builder_step(&c, &slug, &step, "next", &answers_upto(i + 1)).await;
        assert_eq!(status, StatusCode::OK, "step {step}");
        assert!(page.contains(&format!("Question {} of 6", i + 2)));
        assert!(page.contains(prompt));
        // Earlier answers travel along in hidden fields.
        for (k, v) in answers_upto(i + 1) {
            assert!(
                page.contains(&format!("name=\"{k}\" value=\"{v}\"")),
                "{k} carried"
            );
        }
    }

    let mut bad_style = answers_upto(3);
    bad_style.push(("style", "poetry"));
    let (status, page) = builder_step(&c, &slug, "4", "next", &bad_style).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Question 4 of 6"));
    assert!(page.contains("Choose the kind of posts you want to write."));

    let mut too_many = answers_upto(4);
    too_many.push(("per_week", "40"));
    let (status, page) = builder_step(&c, &slug, "5", "next", &too_many).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Question 5 of 6"));
    assert!(page.contains("Enter a whole number from 1 to 14."));

    // A lost earlier answer sends the person back to that question.
    let mut tampered = answers_upto(5);
    tampered[1] = ("known_for", "");
    let (status, page) = builder_step(&c, &slug, "5", "next", &tampered).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Question 2 of 6"));
    assert!(page.contains("Tell us what you want to be known for."));

    let (status, page) = builder_step(&c, &slug, "3", "back", &answers_upto(3)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Question 2 of 6"));
    assert!(
        page.contains("value=\"making onboarding painless\""),
        "answer kept"
    );
    assert_eq!(count_goals(&app), 0, "questions create nothing");
}

fn plan_fields(plan: &strategy::Plan) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = ANSWERS
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    fields.push(("name".into(), plan.name.clone()));
    fields.push(("thesis".into(), plan.thesis.clone()));
    for (c, keys) in plan.chapters.iter().zip(strategy::CHAPTER_KEYS.iter()) {
        fields.push((keys.title.into(), c.title.clone()));
        fields.push((keys.theme.into(), c.theme.clone()));
        fields.push((keys.topics.into(), c.topics.join("\n")));
    }
    fields
}

fn expected_plan() -> strategy::Plan {
    let raw = RawAnswers {
        role: ANSWERS[0].1.into(),
        known_for: ANSWERS[1].1.into(),
        audience: ANSWERS[2].1.into(),
        style: ANSWERS[3].1.into(),
        per_week: ANSWERS[4].1.into(),
        weeks: ANSWERS[5].1.into(),
    };
    strategy::propose(&raw.answers().expect("valid answers")).plan
}

async fn post_pairs(c: &Client, path: &str, pairs: &[(String, String)]) -> reqwest::Response {
    let fields: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    c.post(path, &fields).await
}

#[tokio::test]
async fn the_builder_proposes_a_plan_in_the_users_words_and_creates_it_in_one_go() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let slug = c.signup("Ann", "ann@example.com").await;

    let (status, page) = builder_step(&c, &slug, "6", "next", &ANSWERS).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Built-in plan \u{2014} no AI was used; edit anything"));
    assert!(page.contains("product designer at a fintech start-up"));
    assert!(page.contains("making onboarding painless"));
    assert!(page.contains("founders of early-stage start-ups"));
    let plan = expected_plan();
    assert_eq!(plan.chapters.len(), 5);
    assert!(page.contains(&plan.name), "name {}", plan.name);
    for chapter in &plan.chapters {
        assert!(page.contains(&chapter.title));
        assert_eq!(chapter.topics.len(), 3);
    }
    assert!(page.contains("Weeks 1\u{2013}2") && page.contains("Weeks 9\u{2013}10"));
    assert_eq!(count_goals(&app), 0, "a proposal saves nothing");

    // Back from the proposal returns to the last question.
    let mut back = vec![("step", "7"), ("go", "back")];
    back.extend_from_slice(&ANSWERS);
    let res = c.post(&format!("/w/{slug}/strategy/builder"), &back).await;
    assert!(body(res).await.contains("Question 6 of 6"));

    let mut fields = plan_fields(&plan);
    // An edit made on the proposal is what gets saved.
    fields.retain(|(k, _)| k != "ch1_title");
    fields.push(("ch1_title".into(), "Ground rules".into()));
    let res = post_pairs(&c, &format!("/w/{slug}/strategy/builder/create"), &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let goal = query_value(&location(&res), "goal");

    let (plan_source, name, ppw, audience): (String, String, i32, String) = goals::table
        .filter(goals::id.eq(&goal))
        .select((
            goals::plan_source,
            goals::name,
            goals::posts_per_week,
            goals::target_audience,
        ))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(plan_source, "builtin");
    assert_eq!(name, plan.name);
    assert_eq!(ppw, 3);
    assert_eq!(audience, "founders of early-stage start-ups");
    let chapter_rows: Vec<(i32, String, Option<i32>, Option<i32>)> = chapters::table
        .filter(chapters::goal_id.eq(&goal))
        .order(chapters::chapter_number)
        .select((
            chapters::chapter_number,
            chapters::title,
            chapters::weeks_start,
            chapters::weeks_end,
        ))
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(chapter_rows.len(), 5);
    assert_eq!(
        chapter_rows[0],
        (1, "Ground rules".into(), Some(1), Some(2))
    );
    assert_eq!(chapter_rows[4].3, Some(10));
    let post_rows: Vec<(Option<i32>, String, String)> = posts::table
        .order(posts::post_number)
        .select((posts::post_number, posts::status, posts::title))
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(post_rows.len(), 15);
    assert!(post_rows.iter().all(|(_, status, _)| status == "idea"));
    let numbers: Vec<i32> = post_rows.iter().filter_map(|r| r.0).collect();
    assert_eq!(numbers, (1..=15).collect::<Vec<_>>());
    assert_eq!(post_rows[0].2, plan.chapters[0].topics[0]);

    let (_, page) = c.page(&location(&res)).await;
    assert!(page.contains("Ground rules"));
    assert!(page.contains(&plan.thesis));
    assert!(page.contains("0/15 posts done"));
    assert!(audit_actions(&app).contains(&"strategy.created".to_string()));
}

#[tokio::test]
async fn a_bad_plan_creates_nothing() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let slug = c.signup("Ann", "ann@example.com").await;
    let plan = expected_plan();
    let create = format!("/w/{slug}/strategy/builder/create");

    let mut untitled = plan_fields(&plan);
    for (k, v) in untitled.iter_mut() {
        if k == "ch3_title" {
            v.clear();
        }
    }
    let res = post_pairs(&c, &create, &untitled).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = body(res).await;
    assert!(html.contains("Nothing has been created."));
    assert!(html.contains("Enter a title."));
    assert!(
        html.contains(&plan.chapters[3].title),
        "the rest is kept for fixing"
    );

    let mut long_topic = plan_fields(&plan);
    long_topic.push(("ch6_title".into(), "Extra".into()));
    long_topic.push(("ch6_topics".into(), format!("fine\n{}", "y".repeat(201))));
    let res = post_pairs(&c, &create, &long_topic).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body(res).await.contains("Topic 2 is too long"));

    let mut nameless = plan_fields(&plan);
    nameless.retain(|(k, _)| k != "name");
    let res = post_pairs(&c, &create, &nameless).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body(res).await.contains("Enter a name for the strategy."));

    let mut bad_answers = plan_fields(&plan);
    bad_answers.retain(|(k, _)| k != "weeks");
    bad_answers.push(("weeks".into(), "2".into()));
    let res = post_pairs(&c, &create, &bad_answers).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body(res).await.contains("Question 6 of 6"));

    assert_eq!(count_goals(&app), 0);
    assert_eq!(count_chapters(&app), 0);
    assert_eq!(count_posts(&app), 0);
}

// ---------------------------------------------------------------------------------------------
// Inline title editing and the page's statement count.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_post_title_is_edited_in_place() {
    let app = TestApp::spawn().await;
    let (slug, owner, editor, viewer) = team(&app).await;
    let goal = create_goal(&owner, &slug, "Plan").await;
    let chapter = add_chapter(&owner, &slug, &goal, "One").await;
    add_idea(&owner, &slug, &chapter, "Old title").await;
    let post: String = posts::table
        .select(posts::id)
        .first(&mut app.conn())
        .unwrap();
    diesel::update(posts::table)
        .set(posts::body.eq("Draft text that must survive."))
        .execute(&mut app.conn())
        .unwrap();

    let (status, page) = owner.page(&format!("/w/{slug}/strategy")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!("/w/{slug}/strategy/posts/{post}/title-edit")));

    let edit = format!("/w/{slug}/strategy/posts/{post}/title-edit");
    let (status, fragment) = editor.page(&edit).await;
    assert_eq!(status, StatusCode::OK);
    assert!(fragment.contains("value=\"Old title\""));
    assert!(fragment.contains(&format!("id=\"post-title-{post}\"")));
    assert!(!fragment.contains("<html"), "a fragment, not a page");

    let save = format!("/w/{slug}/strategy/posts/{post}/title");
    let res = editor.post(&save, &[("title", "  New title  ")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let fragment = body(res).await;
    assert!(fragment.contains(">New title</a>"));
    assert!(fragment.contains(&format!("id=\"post-title-{post}\"")));
    let (title, text, version): (String, String, i32) = posts::table
        .select((posts::title, posts::body, posts::current_version))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(title, "New title");
    assert_eq!(text, "Draft text that must survive.");
    assert_eq!(version, 2);

    let res = editor.post(&save, &[("title", "   ")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let fragment = body(res).await;
    assert!(fragment.contains("Give the post a title."));
    assert!(fragment.contains("sp-title-form"), "the form again, to fix");
    let title: String = posts::table
        .select(posts::title)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(title, "New title");

    let (status, fragment) = viewer.page(&save).await;
    assert_eq!(status, StatusCode::OK, "cancel view is readable");
    assert!(fragment.contains(">New title</a>"));
    assert!(
        !fragment.contains("title-edit"),
        "no edit button for viewers"
    );
    assert_eq!(viewer.get(&edit).await.status(), StatusCode::FORBIDDEN);
    let res = viewer.post(&save, &[("title", "Hijack")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_strategy_page_runs_the_same_statements_for_2_or_6_chapters() {
    // No job workers: their polling would add statements while we count.
    let app = TestApp::spawn_with(|config| config.workers = 0).await;
    let c = app.client();
    let slug = c.signup("Ann", "ann@example.com").await;
    let small = create_goal(&c, &slug, "Small").await;
    let large = create_goal(&c, &slug, "Large").await;
    for (goal, chapters) in [(&small, 2), (&large, 6)] {
        for n in 0..chapters {
            let chapter = add_chapter(&c, &slug, goal, &format!("Chapter {n}")).await;
            for i in 0..=n {
                add_idea(&c, &slug, &chapter, &format!("Idea {n}.{i}")).await;
            }
        }
    }
    let statements = |path: String| {
        let c = &c;
        let app = &app;
        async move {
            let before = app.pool.manager().query_count();
            let (status, page) = c.page(&path).await;
            assert_eq!(status, StatusCode::OK);
            (app.pool.manager().query_count() - before, page)
        }
    };
    statements(format!("/w/{slug}/strategy")).await;
    let (for_small, page) = statements(format!("/w/{slug}/strategy?goal={small}")).await;
    assert!(page.contains("Idea 1.1"));
    let (for_large, page) = statements(format!("/w/{slug}/strategy?goal={large}")).await;
    assert!(page.contains("Idea 5.5"));
    assert_eq!(
        for_small, for_large,
        "statements for 2 chapters vs 6 chapters"
    );
    assert!(
        (5..=12).contains(&for_large),
        "{for_large} statements for the page"
    );
}

fn fake_provider(
    fake: &crate::support::fake_llm::FakeLlm,
) -> postmagiq::workflow::agents::ProviderConfig {
    let mut c = postmagiq::workflow::agents::ProviderConfig::new(
        postmagiq::workflow::agents::ProviderKind::OpenAi,
        Some(fake.base_url.clone()),
        Some("sk-test".into()),
        Some("gpt-4o-mini".into()),
    );
    c.timeout = std::time::Duration::from_secs(5);
    c.max_retries = 0;
    c
}

#[tokio::test]
async fn with_an_ai_provider_the_builder_proposes_the_ais_plan() {
    use crate::support::fake_llm::{openai_reply, FakeLlm};
    let plan = serde_json::json!({
        "name": "Onboarding without tears",
        "thesis": "Good onboarding is a series of small promises kept.",
        "chapters": [
            {"title": "The first five minutes", "theme": "First impressions decide", "topics": ["Our empty state", "The welcome email we deleted"]},
            {"title": "Trust by week two", "theme": "Habits form early", "topics": ["Checklists that work", "When to call a customer"]},
            {"title": "Measuring what matters", "theme": "Activation over sign-ups", "topics": ["The metric we dropped"]}
        ]
    });
    let fake = FakeLlm::start(vec![openai_reply(&format!(
        "Here you go:\n```json\n{plan}\n```"
    ))]);
    let provider = fake_provider(&fake);
    let app = TestApp::spawn_with(move |c| c.agent = Some(provider)).await;
    let c = app.client();
    let slug = c.signup("Ann", "ann@example.com").await;
    let (status, page) = builder_step(&c, &slug, "6", "next", &ANSWERS).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Drafted by AI"), "{page}");
    assert!(page.contains("openai \u{b7} gpt-4o-mini"));
    assert!(
        page.contains("The first five minutes") && page.contains("The welcome email we deleted")
    );
    assert!(page.contains("name=\"plan_source\" value=\"agent\""));
    // The model was told the user's own answers.
    let sent = fake.requests();
    let user = sent[0].body["messages"][1]["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(user.contains("founders of early-stage start-ups"), "{user}");
}

#[tokio::test]
async fn when_the_ai_fails_the_builder_falls_back_to_the_built_in_plan() {
    use crate::support::fake_llm::{FakeLlm, Reply};
    let fake = FakeLlm::start(vec![Reply::json(
        401,
        serde_json::json!({"error": {"message": "Invalid API key provided"}}),
    )]);
    let provider = fake_provider(&fake);
    let app = TestApp::spawn_with(move |c| c.agent = Some(provider)).await;
    let c = app.client();
    let slug = c.signup("Ann", "ann@example.com").await;
    let (status, page) = builder_step(&c, &slug, "6", "next", &ANSWERS).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Built-in plan \u{2014} no AI was used"));
    assert!(
        page.contains("Invalid API key provided"),
        "the reason is shown"
    );
    assert!(page.contains(&expected_plan().name));
    assert!(page.contains("name=\"plan_source\" value=\"builtin\""));
}
