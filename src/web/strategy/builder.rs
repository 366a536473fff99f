//! The strategy builder: six questions one at a time, then a proposed plan to edit and create.
//! Stateless: every step posts all earlier answers in hidden fields and they are checked again.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use askama_web::WebTemplate;

use super::{strategy_url, week_range};
use crate::auth::{need, Member};
use crate::error::AppResult;
use crate::model::PlanSource;
use crate::service::strategy::{
    self as service, planner, Answers, ContentStyle, RawAnswers, RawPlan, ANSWER_FIELDS,
    CHAPTER_KEYS, QUESTIONS,
};
use crate::web::forms::FieldErrors;
use crate::web::shell::{Section, Shell};
use crate::web::{page, see_other, Ctx};

enum Kind {
    Text { placeholder: &'static str },
    Choice,
    Number { min: i32, max: i32 },
}

struct Question {
    prompt: &'static str,
    hint: &'static str,
    kind: Kind,
}

const QUESTION_LIST: [Question; QUESTIONS] = [
    Question {
        prompt: "What do you do?",
        hint: "Your role or work, in a few words.",
        kind: Kind::Text {
            placeholder: "product designer at a fintech start-up",
        },
    },
    Question {
        prompt: "What do you want to be known for?",
        hint: "The one subject you want people to think of when they see your name.",
        kind: Kind::Text {
            placeholder: "making onboarding painless",
        },
    },
    Question {
        prompt: "Who do you want to reach?",
        hint: "The people your posts are for, as a group.",
        kind: Kind::Text {
            placeholder: "founders of early-stage start-ups",
        },
    },
    Question {
        prompt: "What kind of posts do you want to write?",
        hint: "Pick the style that comes most naturally; you can mix later.",
        kind: Kind::Choice,
    },
    Question {
        prompt: "How many posts a week?",
        hint: "Be realistic: a steady rhythm beats a burst. Two or three is a good start.",
        kind: Kind::Number {
            min: service::PER_WEEK_MIN,
            max: service::PER_WEEK_MAX,
        },
    },
    Question {
        prompt: "How many weeks should the series run?",
        hint: "Four to fifty-two. Eight to twelve weeks gives a story room to unfold.",
        kind: Kind::Number {
            min: service::WEEKS_MIN,
            max: service::WEEKS_MAX,
        },
    },
];

pub struct Hidden {
    pub name: &'static str,
    pub value: String,
}

pub struct StyleOption {
    pub key: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub checked: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/strategy/builder.html")]
struct StepPage {
    shell: Shell,
    slug: String,
    number: usize,
    total: usize,
    field: &'static str,
    prompt: &'static str,
    hint: &'static str,
    kind: &'static str,
    placeholder: &'static str,
    min: i32,
    max: i32,
    value: String,
    error: String,
    hidden: Vec<Hidden>,
    styles: Vec<StyleOption>,
    answer_max: usize,
}

fn answer(raw: &RawAnswers, field: &str) -> String {
    match field {
        "role" => raw.role.clone(),
        "known_for" => raw.known_for.clone(),
        "audience" => raw.audience.clone(),
        "style" => raw.style.clone(),
        "per_week" => raw.per_week.clone(),
        "weeks" => raw.weeks.clone(),
        _ => String::new(),
    }
}

/// Every answer except the one being asked, to carry along.
fn hidden_answers(raw: &RawAnswers, except: Option<&str>) -> Vec<Hidden> {
    ANSWER_FIELDS
        .iter()
        .filter(|f| Some(**f) != except)
        .map(|f| Hidden {
            name: f,
            value: answer(raw, f),
        })
        .collect()
}

async fn shell(ctx: &Ctx, member: &Member<need::StrategyWrite>, title: &str) -> AppResult<Shell> {
    Shell::app(
        &ctx.state,
        &ctx.session,
        &member.auth,
        Some((&member.tenant, &member.workspace)),
        Section::Strategy,
        title,
    )
    .await
}

async fn render_step(
    ctx: &Ctx,
    member: &Member<need::StrategyWrite>,
    raw: &RawAnswers,
    number: usize,
    error: String,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let number = number.clamp(1, QUESTIONS);
    let q = &QUESTION_LIST[number - 1];
    let field = ANSWER_FIELDS[number - 1];
    let value = answer(raw, field);
    let (kind, placeholder, min, max) = match q.kind {
        Kind::Text { placeholder } => ("text", placeholder, 0, 0),
        Kind::Choice => ("choice", "", 0, 0),
        Kind::Number { min, max } => ("number", "", min, max),
    };
    // Sensible defaults the first time the number questions come up.
    let value = match (field, value.trim().is_empty()) {
        ("per_week", true) => "2".to_string(),
        ("weeks", true) => "8".to_string(),
        _ => value,
    };
    let styles = ContentStyle::ALL
        .iter()
        .map(|s| StyleOption {
            key: s.key(),
            label: s.label(),
            hint: s.hint(),
            checked: raw.style.trim() == s.key(),
        })
        .collect();
    let shell = shell(ctx, member, "Strategy builder").await?;
    Ok(page(
        &ctx.req,
        StepPage {
            shell,
            slug: member.workspace.slug.clone(),
            number,
            total: QUESTIONS,
            field,
            prompt: q.prompt,
            hint: q.hint,
            kind,
            placeholder,
            min,
            max,
            value,
            error,
            hidden: hidden_answers(raw, Some(field)),
            styles,
            answer_max: service::ANSWER_MAX,
        },
        status,
    ))
}

pub async fn start(ctx: Ctx, member: Member<need::StrategyWrite>) -> AppResult<HttpResponse> {
    render_step(
        &ctx,
        &member,
        &RawAnswers::default(),
        1,
        String::new(),
        StatusCode::OK,
    )
    .await
}

fn pairs_get(pairs: &[(String, String)], key: &str) -> String {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

fn raw_answers(pairs: &[(String, String)]) -> RawAnswers {
    RawAnswers {
        role: pairs_get(pairs, "role"),
        known_for: pairs_get(pairs, "known_for"),
        audience: pairs_get(pairs, "audience"),
        style: pairs_get(pairs, "style"),
        per_week: pairs_get(pairs, "per_week"),
        weeks: pairs_get(pairs, "weeks"),
    }
}

/// One step: `step` is the question just answered (7 = the proposal), `go` is next or back.
pub async fn step(
    ctx: Ctx,
    member: Member<need::StrategyWrite>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let pairs = form.into_inner();
    let raw = raw_answers(&pairs);
    let step = pairs_get(&pairs, "step")
        .trim()
        .parse::<usize>()
        .unwrap_or(1)
        .clamp(1, QUESTIONS + 1);
    if pairs_get(&pairs, "go") == "back" {
        return render_step(
            &ctx,
            &member,
            &raw,
            step.saturating_sub(1).max(1),
            String::new(),
            StatusCode::OK,
        )
        .await;
    }
    if let Some((at, message)) = raw.first_problem(step) {
        return render_step(
            &ctx,
            &member,
            &raw,
            at,
            message,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    if step < QUESTIONS {
        return render_step(&ctx, &member, &raw, step + 1, String::new(), StatusCode::OK).await;
    }
    match raw.answers() {
        Ok(answers) => {
            let proposal = match ctx.state.config.agent.clone() {
                None => service::propose(&answers),
                Some(provider) => {
                    let for_agent = answers.clone();
                    web::block(move || match provider.agent() {
                        Ok(agent) => service::propose_with_agent(agent.as_ref(), &for_agent),
                        Err(e) => service::Proposal {
                            fallback: Some(e.to_string()),
                            ..service::propose(&for_agent)
                        },
                    })
                    .await?
                }
            };
            let plan = RawPlan::from_plan(&proposal.plan);
            render_plan(
                &ctx,
                &member,
                &raw,
                &answers,
                &plan,
                (proposal.source, proposal.fallback),
                FieldErrors::new(),
                StatusCode::OK,
            )
            .await
        }
        Err((at, message)) => {
            render_step(
                &ctx,
                &member,
                &raw,
                at,
                message,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

pub struct ChapterEdit {
    pub number: usize,
    pub weeks: String,
    pub title_key: &'static str,
    pub theme_key: &'static str,
    pub topics_key: &'static str,
    pub title: String,
    pub theme: String,
    pub topics: String,
    pub topic_count: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/strategy/proposal.html")]
struct PlanPage {
    shell: Shell,
    slug: String,
    total: usize,
    hidden: Vec<Hidden>,
    name: String,
    thesis: String,
    chapters: Vec<ChapterEdit>,
    errors: FieldErrors,
    source_note: &'static str,
    /// Carried to the create step so the strategy records how its plan was made.
    source_key: &'static str,
    source_detail: String,
    role: String,
    known_for: String,
    audience: String,
    style: &'static str,
    per_week: i32,
    weeks: i32,
    ideas: usize,
    name_max: usize,
}

#[allow(clippy::too_many_arguments)]
async fn render_plan(
    ctx: &Ctx,
    member: &Member<need::StrategyWrite>,
    raw: &RawAnswers,
    answers: &Answers,
    plan: &RawPlan,
    (source, fallback): (PlanSource, Option<String>),
    errors: FieldErrors,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let ranges = planner::week_ranges(answers.weeks, plan.chapters.len());
    let chapters: Vec<ChapterEdit> = plan
        .chapters
        .iter()
        .zip(CHAPTER_KEYS.iter())
        .zip(ranges)
        .enumerate()
        .map(|(i, ((c, keys), (start, end)))| ChapterEdit {
            number: i + 1,
            weeks: week_range(Some(start), Some(end)),
            title_key: keys.title,
            theme_key: keys.theme,
            topics_key: keys.topics,
            title: c.title.clone(),
            theme: c.theme.clone(),
            topic_count: c.topics.lines().filter(|l| !l.trim().is_empty()).count(),
            topics: c.topics.clone(),
        })
        .collect();
    let shell = shell(ctx, member, "Your proposed strategy").await?;
    Ok(page(
        &ctx.req,
        PlanPage {
            shell,
            slug: member.workspace.slug.clone(),
            total: QUESTIONS,
            hidden: hidden_answers(raw, None),
            name: plan.name.clone(),
            thesis: plan.thesis.clone(),
            ideas: chapters.iter().map(|c| c.topic_count).sum(),
            chapters,
            errors,
            source_note: match source {
                PlanSource::Agent => "Drafted by AI \u{2014} edit anything",
                _ => "Built-in plan \u{2014} no AI was used; edit anything",
            },
            source_key: source.as_str(),
            source_detail: match (source, fallback) {
                (PlanSource::Agent, _) => ctx
                    .state
                    .config
                    .agent
                    .as_ref()
                    .map(|a| format!("Your AI provider ({} \u{b7} {}) drafted this plan from your answers. Check every line before you create it.", a.kind.name(), a.model))
                    .unwrap_or_default(),
                (_, Some(reason)) => format!("The AI could not draft a plan ({reason}), so Postmagiq used its own templates instead."),
                _ => "Postmagiq put this plan together from your answers with its own templates.".into(),
            },
            role: answers.role.clone(),
            known_for: answers.known_for.clone(),
            audience: answers.audience.clone(),
            style: answers.style.label(),
            per_week: answers.per_week,
            weeks: answers.weeks,
            name_max: service::NAME_MAX,
        },
        status,
    ))
}

/// Creates the strategy exactly as edited on the proposal: all of it, or nothing.
pub async fn create(
    ctx: Ctx,
    member: Member<need::StrategyWrite>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let pairs = form.into_inner();
    let raw = raw_answers(&pairs);
    let answers = match raw.answers() {
        Ok(a) => a,
        Err((at, message)) => {
            return render_step(
                &ctx,
                &member,
                &raw,
                at,
                message,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    };
    let source = match pairs_get(&pairs, "plan_source").as_str() {
        "agent" => PlanSource::Agent,
        _ => PlanSource::Builtin,
    };
    let sent = RawPlan::from_pairs(&pairs);
    let plan = match sent.check(answers.weeks) {
        Ok(plan) => plan,
        Err(errors) => {
            return render_plan(
                &ctx,
                &member,
                &raw,
                &answers,
                &sent,
                (source, None),
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    };
    let actor = member.actor(&ctx.req);
    let tenant = member.tenant.clone();
    let ideas: usize = plan.chapters.iter().map(|c| c.topics.len()).sum();
    let chapters = plan.chapters.len();
    let goal = crate::db::tx(&ctx.state.pool, move |conn| {
        service::create_from_plan(conn, &tenant, &actor, &answers, &plan, source)
    })
    .await?;
    crate::web::flash::success(
        &ctx.session,
        format!(
            "Strategy \u{201c}{}\u{201d} created with {chapters} {} and {ideas} post {}.",
            goal.name,
            if chapters == 1 { "chapter" } else { "chapters" },
            if ideas == 1 { "idea" } else { "ideas" },
        ),
    );
    Ok(see_other(&strategy_url(&member.workspace.slug, &goal.id)))
}
