//! The strategy builder's side of the service: the answers carried between questions, the
//! proposal, the edited plan as posted, and creating it all in one transaction.

use serde::Deserialize;

use super::planner::{self, Answers, ContentStyle, Plan, PlannedChapter};
use super::{
    insert_chapter, insert_goal, parse_in_range, plural, ChapterFields, GoalFields,
    CHAPTER_TITLE_MAX, NAME_MAX, PER_WEEK_MAX, PER_WEEK_MIN, TEXT_MAX, THEME_MAX,
};
use crate::auth::Tenant;
use crate::db::DbConn;
use crate::error::AppError;
use crate::model::{Goal, PlanSource, PostStatus, StrategyType};
use crate::service::audit::{self, Actor, Event};
use crate::service::posts::{self, NewPost};
use crate::web::forms::FieldErrors;
use crate::workflow::agents::{extract_json_object, Agent, AgentRequest};

/// The builder's answers as typed, carried from step to step in hidden fields.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RawAnswers {
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub known_for: String,
    #[serde(default)]
    pub audience: String,
    #[serde(default)]
    pub style: String,
    #[serde(default)]
    pub per_week: String,
    #[serde(default)]
    pub weeks: String,
}

pub const QUESTIONS: usize = 6;
pub const ANSWER_MAX: usize = 120;
pub const WEEKS_MIN: i32 = 4;
pub const WEEKS_MAX: i32 = 52;

/// The field each question fills, in order.
pub const ANSWER_FIELDS: [&str; QUESTIONS] = [
    "role",
    "known_for",
    "audience",
    "style",
    "per_week",
    "weeks",
];

fn check_words(raw: &str, missing: &str) -> Result<String, String> {
    let text = raw.trim().trim_end_matches(['.', '!']).trim();
    if text.is_empty() {
        return Err(missing.into());
    }
    if text.chars().count() > ANSWER_MAX {
        return Err(format!("Keep it to {ANSWER_MAX} characters or fewer."));
    }
    if text.chars().any(char::is_control) {
        return Err("Remove the control characters.".into());
    }
    Ok(text.to_string())
}

impl RawAnswers {
    /// The problem with the answer to question `step` (1-based), if any.
    pub fn problem(&self, step: usize) -> Option<String> {
        match step {
            1 => check_words(&self.role, "Tell us what you do, in a few words.").err(),
            2 => check_words(&self.known_for, "Tell us what you want to be known for.").err(),
            3 => check_words(&self.audience, "Tell us who you are writing for.").err(),
            4 => ContentStyle::parse(self.style.trim())
                .is_none()
                .then(|| "Choose the kind of posts you want to write.".to_string()),
            5 => parse_in_range(
                &self.per_week,
                PER_WEEK_MIN,
                PER_WEEK_MAX,
                "how many posts a week",
            )
            .err(),
            6 => parse_in_range(&self.weeks, WEEKS_MIN, WEEKS_MAX, "how many weeks").err(),
            _ => None,
        }
    }

    /// The first question up to `upto` whose answer is missing or wrong, with its message.
    pub fn first_problem(&self, upto: usize) -> Option<(usize, String)> {
        (1..=upto.min(QUESTIONS)).find_map(|s| self.problem(s).map(|m| (s, m)))
    }

    /// All answers, checked.
    pub fn answers(&self) -> Result<Answers, (usize, String)> {
        if let Some(p) = self.first_problem(QUESTIONS) {
            return Err(p);
        }
        let words = |raw: &str| check_words(raw, "").unwrap_or_default();
        Ok(Answers {
            role: planner::tidy_role(&words(&self.role)),
            known_for: planner::tidy_phrase(&words(&self.known_for)),
            audience: planner::tidy_phrase(&words(&self.audience)),
            style: ContentStyle::parse(self.style.trim()).unwrap_or(ContentStyle::Stories),
            per_week: parse_in_range(&self.per_week, PER_WEEK_MIN, PER_WEEK_MAX, "")
                .unwrap_or(PER_WEEK_MIN),
            weeks: parse_in_range(&self.weeks, WEEKS_MIN, WEEKS_MAX, "").unwrap_or(WEEKS_MIN),
        })
    }
}

/// A plan to show, and how it was made.
pub struct Proposal {
    pub plan: Plan,
    pub source: PlanSource,
    /// Why the AI could not draft it, when the built-in plan stands in.
    pub fallback: Option<String>,
}

/// The deterministic built-in plan.
pub fn propose(answers: &Answers) -> Proposal {
    Proposal {
        plan: planner::builtin(answers),
        source: PlanSource::Builtin,
        fallback: None,
    }
}

/// Asks the AI provider for the plan; when it fails or answers nonsense, the built-in plan
/// stands in and the reason is kept for the page. Blocking: call off the executor.
pub fn propose_with_agent(agent: &dyn Agent, answers: &Answers) -> Proposal {
    match agent_plan(agent, answers) {
        Ok(plan) => Proposal {
            plan,
            source: PlanSource::Agent,
            fallback: None,
        },
        Err(reason) => {
            tracing::warn!(reason = %reason, "AI strategy proposal failed; using the built-in plan");
            Proposal {
                fallback: Some(reason),
                ..propose(answers)
            }
        }
    }
}

const PLANNER_PROMPT: &str = "You plan LinkedIn content series. From the author's answers, propose a strategy: a short name, a one-sentence core message (thesis), and 4 to 6 chapters, each with a title, a one-sentence theme and 3 concrete post topics drawn from the author's own experience. Write plainly, no hype, no emoji. Answer with one JSON object and nothing else: {\"name\": \"...\", \"thesis\": \"...\", \"chapters\": [{\"title\": \"...\", \"theme\": \"...\", \"topics\": [\"...\"]}]}";

fn clip(value: Option<&serde_json::Value>, max: usize) -> String {
    value
        .and_then(serde_json::Value::as_str)
        .map(str::trim)
        .unwrap_or_default()
        .chars()
        .take(max)
        .collect()
}

fn agent_plan(agent: &dyn Agent, answers: &Answers) -> Result<Plan, String> {
    let request = AgentRequest::single(
        PLANNER_PROMPT,
        format!(
            "I am {}. I want to be known for {}. I write for {}. Style: {}.              {} posts a week for {} weeks.",
            answers.role,
            answers.known_for,
            answers.audience,
            answers.style.label(),
            answers.per_week,
            answers.weeks
        ),
    );
    let answer = agent.invoke(&request).map_err(|e| e.to_string())?;
    let json = extract_json_object(&answer.content)
        .ok_or_else(|| "the AI's answer held no JSON plan".to_string())?;
    let chapters: Vec<&serde_json::Value> = json
        .get("chapters")
        .and_then(serde_json::Value::as_array)
        .map(|c| c.iter().take(PLAN_CHAPTERS_MAX).collect())
        .unwrap_or_default();
    if chapters.len() < 2 {
        return Err("the AI proposed fewer than two chapters".into());
    }
    let ranges = planner::week_ranges(answers.weeks, chapters.len());
    let chapters: Vec<PlannedChapter> = chapters
        .iter()
        .zip(ranges)
        .map(|(c, weeks)| PlannedChapter {
            title: clip(c.get("title"), CHAPTER_TITLE_MAX),
            theme: clip(c.get("theme"), THEME_MAX),
            topics: c
                .get("topics")
                .and_then(serde_json::Value::as_array)
                .map(|t| {
                    t.iter()
                        .filter_map(serde_json::Value::as_str)
                        .map(|s| s.trim().chars().take(posts::TITLE_MAX).collect::<String>())
                        .filter(|s| !s.is_empty())
                        .take(TOPICS_MAX)
                        .collect()
                })
                .unwrap_or_default(),
            weeks,
        })
        .filter(|c| !c.title.is_empty())
        .collect();
    let name = clip(json.get("name"), NAME_MAX);
    if chapters.len() < 2 || name.is_empty() {
        return Err("the AI's plan was incomplete".into());
    }
    Ok(Plan {
        name,
        thesis: clip(json.get("thesis"), TEXT_MAX),
        chapters,
    })
}

pub const PLAN_CHAPTERS_MAX: usize = 8;
pub const TOPICS_MAX: usize = 20;

/// Form field names of the proposal's chapters, by position.
pub struct ChapterKeys {
    pub title: &'static str,
    pub theme: &'static str,
    pub topics: &'static str,
}

pub const CHAPTER_KEYS: [ChapterKeys; PLAN_CHAPTERS_MAX] = [
    ChapterKeys {
        title: "ch1_title",
        theme: "ch1_theme",
        topics: "ch1_topics",
    },
    ChapterKeys {
        title: "ch2_title",
        theme: "ch2_theme",
        topics: "ch2_topics",
    },
    ChapterKeys {
        title: "ch3_title",
        theme: "ch3_theme",
        topics: "ch3_topics",
    },
    ChapterKeys {
        title: "ch4_title",
        theme: "ch4_theme",
        topics: "ch4_topics",
    },
    ChapterKeys {
        title: "ch5_title",
        theme: "ch5_theme",
        topics: "ch5_topics",
    },
    ChapterKeys {
        title: "ch6_title",
        theme: "ch6_theme",
        topics: "ch6_topics",
    },
    ChapterKeys {
        title: "ch7_title",
        theme: "ch7_theme",
        topics: "ch7_topics",
    },
    ChapterKeys {
        title: "ch8_title",
        theme: "ch8_theme",
        topics: "ch8_topics",
    },
];

/// An edited proposal as posted: name, thesis and per chapter a title, a theme and topic lines.
#[derive(Debug, Clone, Default)]
pub struct RawPlan {
    pub name: String,
    pub thesis: String,
    pub chapters: Vec<RawChapter>,
}

#[derive(Debug, Clone, Default)]
pub struct RawChapter {
    pub title: String,
    pub theme: String,
    pub topics: String,
}

impl RawPlan {
    /// Reads the proposal fields out of a posted form; unknown keys are ignored.
    pub fn from_pairs(pairs: &[(String, String)]) -> RawPlan {
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        let chapters = CHAPTER_KEYS
            .iter()
            .map_while(|k| {
                let title = get(k.title);
                let theme = get(k.theme);
                let topics = get(k.topics);
                (title.is_some() || theme.is_some() || topics.is_some()).then(|| RawChapter {
                    title: title.unwrap_or_default(),
                    theme: theme.unwrap_or_default(),
                    topics: topics.unwrap_or_default(),
                })
            })
            .collect();
        RawPlan {
            name: get("name").unwrap_or_default(),
            thesis: get("thesis").unwrap_or_default(),
            chapters,
        }
    }

    pub fn from_plan(plan: &Plan) -> RawPlan {
        RawPlan {
            name: plan.name.clone(),
            thesis: plan.thesis.clone(),
            chapters: plan
                .chapters
                .iter()
                .map(|c| RawChapter {
                    title: c.title.clone(),
                    theme: c.theme.clone(),
                    topics: c.topics.join("\n"),
                })
                .collect(),
        }
    }

    /// The plan, checked: a chapter left completely blank is dropped; any other problem is
    /// reported against its field, and nothing is created.
    pub fn check(&self, weeks: i32) -> Result<Plan, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = crate::web::forms::clean_name(&self.name, NAME_MAX, "a name for the strategy")
            .unwrap_or_else(|m| {
                errors.add("name", m);
                String::new()
            });
        let thesis = self.thesis.trim();
        if thesis.is_empty() {
            errors.add("thesis", "Write the core message in one sentence.");
        } else if thesis.chars().count() > TEXT_MAX {
            errors.add(
                "thesis",
                format!("Keep it to {TEXT_MAX} characters or fewer."),
            );
        }
        let mut chapters = Vec::new();
        for (raw, keys) in self.chapters.iter().zip(CHAPTER_KEYS.iter()) {
            let topics: Vec<String> = raw
                .topics
                .lines()
                .map(|l| l.trim().trim_start_matches(['-', '*', '\u{2022}']).trim())
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect();
            if raw.title.trim().is_empty() && raw.theme.trim().is_empty() && topics.is_empty() {
                continue;
            }
            let title = crate::web::forms::clean_name(&raw.title, CHAPTER_TITLE_MAX, "a title")
                .unwrap_or_else(|m| {
                    errors.add(keys.title, m);
                    String::new()
                });
            let theme = raw.theme.trim().to_string();
            if theme.chars().count() > THEME_MAX {
                errors.add(
                    keys.theme,
                    format!("Keep it to {THEME_MAX} characters or fewer."),
                );
            }
            if topics.len() > TOPICS_MAX {
                errors.add(
                    keys.topics,
                    format!("Keep it to {TOPICS_MAX} topics; add more later."),
                );
            } else if let Some(long) = topics
                .iter()
                .position(|t| t.chars().count() > posts::TITLE_MAX)
            {
                errors.add(
                    keys.topics,
                    format!(
                        "Topic {} is too long: keep each to {} characters.",
                        long + 1,
                        posts::TITLE_MAX
                    ),
                );
            }
            chapters.push(PlannedChapter {
                title,
                theme,
                topics,
                weeks: (0, 0),
            });
        }
        if chapters.is_empty() && errors.is_empty() {
            errors.add("chapters", "Keep at least one chapter.");
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let ranges = planner::week_ranges(weeks, chapters.len());
        for (c, w) in chapters.iter_mut().zip(ranges) {
            c.weeks = w;
        }
        Ok(Plan {
            name,
            thesis: thesis.to_string(),
            chapters,
        })
    }
}

/// Creates the strategy, its chapters and their post ideas. The caller runs this in one
/// transaction: any failure leaves nothing behind.
pub fn create_from_plan(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
    answers: &Answers,
    plan: &Plan,
    source: PlanSource,
) -> Result<Goal, AppError> {
    let goal = insert_goal(
        conn,
        tenant,
        actor,
        GoalFields {
            name: plan.name.clone(),
            thesis: plan.thesis.clone(),
            positioning: planner::positioning(answers),
            audience: answers.audience.clone(),
            style: answers.style.label().to_string(),
            strategy_type: StrategyType::Series,
            posts_per_week: answers.per_week,
        },
        source,
    )?;
    let mut number = 0;
    for (i, planned) in plan.chapters.iter().enumerate() {
        let chapter = insert_chapter(
            conn,
            tenant,
            &goal.id,
            i as i32 + 1,
            ChapterFields {
                title: planned.title.clone(),
                theme: planned.theme.clone(),
                description: String::new(),
                weeks: Some(planned.weeks),
            },
        )?;
        for topic in &planned.topics {
            number += 1;
            posts::create(
                conn,
                tenant,
                actor,
                NewPost {
                    title: topic,
                    body: "",
                    chapter_id: Some(chapter.id.clone()),
                    status: PostStatus::Idea,
                    post_number: Some(number),
                    shape: "",
                    guidance: "",
                },
            )?
            // Checked above; a refusal here still aborts the whole transaction.
            .map_err(|_| {
                AppError::BadRequest(format!(
                    "The topic \u{201c}{topic}\u{201d} cannot be saved."
                ))
            })?;
        }
    }
    audit::workspace(
        conn,
        tenant,
        actor,
        Event::new(
            "strategy.created",
            format!(
                "Created the strategy \u{201c}{}\u{201d} with the {} ({}, {})",
                goal.name,
                match source {
                    PlanSource::Agent => "AI builder",
                    _ => "built-in builder",
                },
                plural(plan.chapters.len(), "chapter", "chapters"),
                plural(number as usize, "post idea", "post ideas"),
            ),
        )
        .on("goal", goal.id.as_str()),
    )?;
    Ok(goal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blank_chapter_is_dropped_but_a_titleless_one_is_refused() {
        let mut raw = RawPlan {
            name: "Plan".into(),
            thesis: "One line.".into(),
            chapters: vec![
                RawChapter {
                    title: "One".into(),
                    theme: String::new(),
                    topics: "a\n\n- b\n".into(),
                },
                RawChapter::default(),
            ],
        };
        let plan = raw.check(8).expect("valid");
        assert_eq!(plan.chapters.len(), 1);
        assert_eq!(plan.chapters[0].topics, vec!["a", "b"]);
        assert_eq!(plan.chapters[0].weeks, (1, 8));
        raw.chapters[1].topics = "orphan topic".into();
        let errors = raw.check(8).expect_err("refused");
        assert!(errors.has("ch2_title"));
    }
}
