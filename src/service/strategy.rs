//! Strategies (goals) and their chapters: validation, changes with their audit rows, and the
//! builder that turns a few answers into a strategy with chapters and post ideas.

pub mod builder;
pub mod planner;

use serde::Deserialize;

use crate::auth::Tenant;
use crate::db::DbConn;
use crate::error::AppError;
use crate::model::{
    now, Chapter, ChapterId, Goal, GoalId, PlanSource, PostStatus, StrategyType, VoiceProfileId,
};
use crate::repo;
use crate::service::audit::{self, Actor, Event};
use crate::web::forms::FieldErrors;

pub use builder::{
    create_from_plan, propose, propose_with_agent, ChapterKeys, Proposal, RawAnswers, RawChapter,
    RawPlan, ANSWER_FIELDS, ANSWER_MAX, CHAPTER_KEYS, PLAN_CHAPTERS_MAX, QUESTIONS, TOPICS_MAX,
    WEEKS_MAX, WEEKS_MIN,
};
pub use planner::{Answers, ContentStyle, Plan, PlannedChapter};

pub const NAME_MAX: usize = 120;
pub const TEXT_MAX: usize = 1000;
pub const AUDIENCE_MAX: usize = 500;
pub const STYLE_MAX: usize = 200;
pub const PER_WEEK_MIN: i32 = 1;
pub const PER_WEEK_MAX: i32 = 14;
pub const CHAPTER_TITLE_MAX: usize = 120;
pub const THEME_MAX: usize = 300;
pub const DESCRIPTION_MAX: usize = 2000;
pub const WEEK_MAX: i32 = 520;

/// Statuses that count as done on progress bars: the writing is finished.
pub fn is_done(status: PostStatus) -> bool {
    matches!(
        status,
        PostStatus::Approved | PostStatus::Scheduled | PostStatus::Published
    )
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// What deleting a strategy takes with it, in words for the confirmation dialog. `ideas` is
/// how many of the `posts` are still ideas: the others keep their status, so "kept as ideas"
/// is only said when it is true.
pub fn goal_delete_warning(name: &str, chapters: usize, posts: usize, ideas: usize) -> String {
    let mut text = format!("Delete the strategy \u{201c}{name}\u{201d}? ");
    if chapters == 0 {
        text.push_str("It has no chapters.");
        return text;
    }
    text.push_str(&format!(
        "Deletes {}. ",
        plural(chapters, "chapter", "chapters")
    ));
    let kept = if ideas == posts {
        "as ideas without a chapter"
    } else {
        "on the board without a chapter"
    };
    text.push_str(&match posts {
        0 => "They hold no posts.".to_string(),
        1 if ideas == 1 => "Their 1 post is kept as an idea without a chapter.".to_string(),
        1 => format!("Their 1 post is kept {kept}."),
        n => format!("Their {n} posts are kept {kept}."),
    });
    text
}

/// What deleting a chapter does to its posts, for the confirmation dialog.
pub fn chapter_delete_warning(number: i32, title: &str, posts: usize, ideas: usize) -> String {
    let what = match (posts, ideas == posts) {
        (0, _) => "It holds no posts.".to_string(),
        (1, true) => "Its 1 post loses its chapter and is kept as an idea.".to_string(),
        (1, false) => "Its 1 post loses its chapter and stays on the board.".to_string(),
        (n, true) => format!("Its {n} posts lose their chapter and are kept as ideas."),
        (n, false) => format!("Its {n} posts lose their chapter and stay on the board."),
    };
    format!("Delete chapter {number}, \u{201c}{title}\u{201d}? {what}")
}

// ---------------------------------------------------------------------------------------------
// Strategies.
// ---------------------------------------------------------------------------------------------

/// A strategy form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct GoalInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub signature_thesis: String,
    #[serde(default)]
    pub positioning: String,
    #[serde(default)]
    pub target_audience: String,
    #[serde(default)]
    pub content_style: String,
    #[serde(default)]
    pub strategy_type: String,
    #[serde(default)]
    pub posts_per_week: String,
}

impl GoalInput {
    pub fn from_goal(goal: &Goal) -> GoalInput {
        GoalInput {
            name: goal.name.clone(),
            signature_thesis: goal.signature_thesis.clone(),
            positioning: goal.positioning.clone(),
            target_audience: goal.target_audience.clone(),
            content_style: goal.content_style.clone(),
            strategy_type: goal.strategy_type.as_str().into(),
            posts_per_week: goal.posts_per_week.to_string(),
        }
    }

    /// A new strategy's starting values.
    pub fn blank() -> GoalInput {
        GoalInput {
            strategy_type: StrategyType::Series.as_str().into(),
            posts_per_week: "2".into(),
            ..GoalInput::default()
        }
    }
}

struct GoalFields {
    name: String,
    thesis: String,
    positioning: String,
    audience: String,
    style: String,
    strategy_type: StrategyType,
    posts_per_week: i32,
}

fn check_len(errors: &mut FieldErrors, field: &'static str, value: &str, max: usize) -> String {
    let value = value.trim();
    if value.chars().count() > max {
        errors.add(field, format!("Keep it to {max} characters or fewer."));
    }
    value.to_string()
}

/// A whole number in `min..=max`, or the message for the field.
pub fn parse_in_range(raw: &str, min: i32, max: i32, what: &str) -> Result<i32, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(format!("Enter {what}."));
    }
    match raw.parse::<i32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!("Enter a whole number from {min} to {max}.")),
    }
}

fn check_goal(input: &GoalInput) -> Result<GoalFields, FieldErrors> {
    let mut errors = FieldErrors::new();
    let name = match crate::web::forms::clean_name(&input.name, NAME_MAX, "a name") {
        Ok(n) => n,
        Err(m) => {
            errors.add("name", m);
            String::new()
        }
    };
    let thesis = check_len(
        &mut errors,
        "signature_thesis",
        &input.signature_thesis,
        TEXT_MAX,
    );
    let positioning = check_len(&mut errors, "positioning", &input.positioning, TEXT_MAX);
    let audience = check_len(
        &mut errors,
        "target_audience",
        &input.target_audience,
        AUDIENCE_MAX,
    );
    let style = check_len(
        &mut errors,
        "content_style",
        &input.content_style,
        STYLE_MAX,
    );
    let strategy_type = StrategyType::parse(input.strategy_type.trim()).unwrap_or_else(|| {
        errors.add("strategy_type", "Choose series, daily or campaign.");
        StrategyType::Series
    });
    let posts_per_week = parse_in_range(
        &input.posts_per_week,
        PER_WEEK_MIN,
        PER_WEEK_MAX,
        "how many posts a week",
    )
    .unwrap_or_else(|m| {
        errors.add("posts_per_week", m);
        0
    });
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(GoalFields {
        name,
        thesis,
        positioning,
        audience,
        style,
        strategy_type,
        posts_per_week,
    })
}

pub fn create_goal(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
    input: &GoalInput,
) -> Result<Result<Goal, FieldErrors>, AppError> {
    let fields = match check_goal(input) {
        Ok(f) => f,
        Err(e) => return Ok(Err(e)),
    };
    let goal = insert_goal(conn, tenant, actor, fields, PlanSource::Manual)?;
    audit::workspace(
        conn,
        tenant,
        actor,
        Event::new(
            "strategy.created",
            format!("Created the strategy \u{201c}{}\u{201d}", goal.name),
        )
        .on("goal", goal.id.as_str()),
    )?;
    Ok(Ok(goal))
}

fn insert_goal(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
    fields: GoalFields,
    source: PlanSource,
) -> Result<Goal, AppError> {
    let at = now();
    let goal = Goal {
        id: GoalId::new(),
        workspace_id: tenant.workspace_id().clone(),
        created_by_id: actor.user_id.clone(),
        name: fields.name,
        signature_thesis: fields.thesis,
        positioning: fields.positioning,
        target_audience: fields.audience,
        content_style: fields.style,
        strategy_type: fields.strategy_type,
        posts_per_week: fields.posts_per_week,
        voice_profile_id: None,
        plan_source: source,
        created_at: at,
        updated_at: at,
    };
    repo::goals::insert(conn, tenant, &goal)?;
    Ok(goal)
}

pub fn update_goal(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
    id: &GoalId,
    input: &GoalInput,
) -> Result<Result<Goal, FieldErrors>, AppError> {
    let old = repo::goals::find(conn, tenant, id)?.ok_or(AppError::NotFound)?;
    let fields = match check_goal(input) {
        Ok(f) => f,
        Err(e) => return Ok(Err(e)),
    };
    let goal = Goal {
        name: fields.name,
        signature_thesis: fields.thesis,
        positioning: fields.positioning,
        target_audience: fields.audience,
        content_style: fields.style,
        strategy_type: fields.strategy_type,
        posts_per_week: fields.posts_per_week,
        updated_at: now(),
        ..old.clone()
    };
    repo::goals::update(conn, tenant, &goal)?;
    audit::workspace(
        conn,
        tenant,
        actor,
        Event::new(
            "strategy.updated",
            format!("Edited the strategy \u{201c}{}\u{201d}", goal.name),
        )
        .on("goal", goal.id.as_str())
        .change(
            serde_json::json!({"name": old.name, "strategy_type": old.strategy_type,
                "posts_per_week": old.posts_per_week}),
            serde_json::json!({"name": goal.name, "strategy_type": goal.strategy_type,
                "posts_per_week": goal.posts_per_week}),
        ),
    )?;
    Ok(Ok(goal))
}

/// What went with a deleted strategy.
pub struct Deleted {
    pub name: String,
    pub chapters: usize,
    pub posts: usize,
}

pub fn delete_goal(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
    id: &GoalId,
) -> Result<Deleted, AppError> {
    let goal = repo::goals::find(conn, tenant, id)?.ok_or(AppError::NotFound)?;
    let chapters = repo::chapters::for_goal(conn, tenant, id)?.len();
    let posts = repo::posts::in_goal_chapters(conn, tenant, id)?.len();
    repo::goals::delete(conn, tenant, id)?;
    audit::workspace(
        conn,
        tenant,
        actor,
        Event::new(
            "strategy.deleted",
            format!(
                "Deleted the strategy \u{201c}{}\u{201d} with {}; {} kept without a chapter",
                goal.name,
                plural(chapters, "chapter", "chapters"),
                plural(posts, "post", "posts"),
            ),
        )
        .on("goal", id.as_str()),
    )?;
    Ok(Deleted {
        name: goal.name,
        chapters,
        posts,
    })
}

/// Sets the strategy's voice: a preset or one of the workspace's own profiles; "" clears it.
pub fn set_voice(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
    id: &GoalId,
    raw: &str,
) -> Result<(Goal, Option<String>), AppError> {
    let goal = repo::goals::find(conn, tenant, id)?.ok_or(AppError::NotFound)?;
    let unknown = || AppError::BadRequest("Choose one of the voice profiles listed.".into());
    let voice = match raw.trim() {
        "" => None,
        raw => {
            let vid = VoiceProfileId::parse(raw).ok_or_else(unknown)?;
            Some(repo::voice_profiles::find_available(conn, tenant, &vid)?.ok_or_else(unknown)?)
        }
    };
    let new_id = voice.as_ref().map(|v| v.id.clone());
    if goal.voice_profile_id == new_id {
        return Ok((goal, voice.map(|v| v.name)));
    }
    repo::goals::set_voice(conn, tenant, id, new_id.as_ref())?;
    let name = voice.map(|v| v.name);
    audit::workspace(
        conn,
        tenant,
        actor,
        Event::new(
            "strategy.voice_changed",
            match &name {
                Some(n) => format!("Set the voice of \u{201c}{}\u{201d} to {n}", goal.name),
                None => format!(
                    "Set the voice of \u{201c}{}\u{201d} to the workspace default",
                    goal.name
                ),
            },
        )
        .on("goal", id.as_str())
        .change(
            serde_json::json!({"voice_profile_id": goal.voice_profile_id}),
            serde_json::json!({"voice_profile_id": new_id}),
        ),
    )?;
    Ok((goal, name))
}

// ---------------------------------------------------------------------------------------------
// Chapters.
// ---------------------------------------------------------------------------------------------

/// A chapter form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ChapterInput {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub theme: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub weeks_start: String,
    #[serde(default)]
    pub weeks_end: String,
}

impl ChapterInput {
    pub fn from_chapter(c: &Chapter) -> ChapterInput {
        ChapterInput {
            title: c.title.clone(),
            theme: c.theme.clone(),
            description: c.description.clone(),
            weeks_start: c.weeks_start.map(|w| w.to_string()).unwrap_or_default(),
            weeks_end: c.weeks_end.map(|w| w.to_string()).unwrap_or_default(),
        }
    }
}

struct ChapterFields {
    title: String,
    theme: String,
    description: String,
    weeks: Option<(i32, i32)>,
}

fn check_chapter(input: &ChapterInput) -> Result<ChapterFields, FieldErrors> {
    let mut errors = FieldErrors::new();
    let title = match crate::web::forms::clean_name(&input.title, CHAPTER_TITLE_MAX, "a title") {
        Ok(t) => t,
        Err(m) => {
            errors.add("title", m);
            String::new()
        }
    };
    let theme = check_len(&mut errors, "theme", &input.theme, THEME_MAX);
    let description = check_len(
        &mut errors,
        "description",
        &input.description,
        DESCRIPTION_MAX,
    );
    let (start, end) = (input.weeks_start.trim(), input.weeks_end.trim());
    let weeks = match (start.is_empty(), end.is_empty()) {
        (true, true) => None,
        (false, true) => {
            errors.add("weeks_end", "Enter the last week too, or clear both.");
            None
        }
        (true, false) => {
            errors.add("weeks_start", "Enter the first week too, or clear both.");
            None
        }
        (false, false) => {
            let s = parse_in_range(start, 1, WEEK_MAX, "the first week");
            let e = parse_in_range(end, 1, WEEK_MAX, "the last week");
            match (s, e) {
                (Ok(s), Ok(e)) if s <= e => Some((s, e)),
                (Ok(_), Ok(_)) => {
                    errors.add(
                        "weeks_end",
                        "The last week cannot come before the first week.",
                    );
                    None
                }
                (s, e) => {
                    if let Err(m) = s {
                        errors.add("weeks_start", m);
                    }
                    if let Err(m) = e {
                        errors.add("weeks_end", m);
                    }
                    None
                }
            }
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ChapterFields {
        title,
        theme,
        description,
        weeks,
    })
}

pub fn add_chapter(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
    goal_id: &GoalId,
    input: &ChapterInput,
) -> Result<Result<Chapter, FieldErrors>, AppError> {
    let goal = repo::goals::find(conn, tenant, goal_id)?.ok_or(AppError::NotFound)?;
    let fields = match check_chapter(input) {
        Ok(f) => f,
        Err(e) => return Ok(Err(e)),
    };
    let number = repo::chapters::next_number(conn, tenant, goal_id)?;
    let chapter = insert_chapter(conn, tenant, goal_id, number, fields)?;
    audit::workspace(
        conn,
        tenant,
        actor,
        Event::new(
            "chapter.created",
            format!(
                "Added chapter {} \u{201c}{}\u{201d} to \u{201c}{}\u{201d}",
                chapter.chapter_number, chapter.title, goal.name
            ),
        )
        .on("chapter", chapter.id.as_str()),
    )?;
    Ok(Ok(chapter))
}

fn insert_chapter(
    conn: &mut DbConn,
    tenant: &Tenant,
    goal_id: &GoalId,
    number: i32,
    fields: ChapterFields,
) -> Result<Chapter, AppError> {
    let at = now();
    let chapter = Chapter {
        id: ChapterId::new(),
        workspace_id: tenant.workspace_id().clone(),
        goal_id: goal_id.clone(),
        chapter_number: number,
        title: fields.title,
        theme: fields.theme,
        description: fields.description,
        weeks_start: fields.weeks.map(|w| w.0),
        weeks_end: fields.weeks.map(|w| w.1),
        created_at: at,
        updated_at: at,
    };
    repo::chapters::insert(conn, tenant, &chapter)?;
    Ok(chapter)
}

pub fn update_chapter(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
    id: &ChapterId,
    input: &ChapterInput,
) -> Result<Result<Chapter, FieldErrors>, AppError> {
    let old = repo::chapters::find(conn, tenant, id)?.ok_or(AppError::NotFound)?;
    let fields = match check_chapter(input) {
        Ok(f) => f,
        Err(e) => return Ok(Err(e)),
    };
    let chapter = Chapter {
        title: fields.title,
        theme: fields.theme,
        description: fields.description,
        weeks_start: fields.weeks.map(|w| w.0),
        weeks_end: fields.weeks.map(|w| w.1),
        updated_at: now(),
        ..old.clone()
    };
    repo::chapters::update(conn, tenant, &chapter)?;
    audit::workspace(
        conn,
        tenant,
        actor,
        Event::new(
            "chapter.updated",
            format!(
                "Edited chapter {} \u{201c}{}\u{201d}",
                chapter.chapter_number, chapter.title
            ),
        )
        .on("chapter", id.as_str())
        .change(
            serde_json::json!({"title": old.title, "weeks_start": old.weeks_start,
                "weeks_end": old.weeks_end}),
            serde_json::json!({"title": chapter.title, "weeks_start": chapter.weeks_start,
                "weeks_end": chapter.weeks_end}),
        ),
    )?;
    Ok(Ok(chapter))
}

/// Deletes a chapter; its posts stay, without a chapter, and later chapters move up.
/// Returns the chapter and how many posts lost it.
pub fn delete_chapter(
    conn: &mut DbConn,
    tenant: &Tenant,
    actor: &Actor,
    id: &ChapterId,
) -> Result<(Chapter, usize), AppError> {
    let chapter = repo::chapters::find(conn, tenant, id)?.ok_or(AppError::NotFound)?;
    let posts = repo::posts::in_goal_chapters(conn, tenant, &chapter.goal_id)?
        .iter()
        .filter(|p| &p.chapter_id == id)
        .count();
    repo::chapters::delete(conn, tenant, id)?;
    repo::chapters::close_gap(conn, tenant, &chapter.goal_id, chapter.chapter_number)?;
    audit::workspace(
        conn,
        tenant,
        actor,
        Event::new(
            "chapter.deleted",
            format!(
                "Deleted chapter {} \u{201c}{}\u{201d}; {} kept without a chapter",
                chapter.chapter_number,
                chapter.title,
                plural(posts, "post", "posts")
            ),
        )
        .on("chapter", id.as_str()),
    )?;
    Ok((chapter, posts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delete_warnings_state_the_counts() {
        assert_eq!(
            goal_delete_warning("Q1", 3, 12, 12),
            "Delete the strategy \u{201c}Q1\u{201d}? Deletes 3 chapters. Their 12 posts are kept as ideas without a chapter."
        );
        assert!(
            goal_delete_warning("Q1", 1, 1, 1).contains("Deletes 1 chapter. Their 1 post is kept")
        );
        assert!(goal_delete_warning("Q1", 0, 0, 0).contains("no chapters"));
        assert!(goal_delete_warning("Q1", 2, 5, 3)
            .ends_with("Their 5 posts are kept on the board without a chapter."));
        assert!(chapter_delete_warning(2, "Start", 4, 4).contains("Its 4 posts lose their chapter"));
    }

    #[test]
    fn chapter_weeks_must_be_in_order() {
        let mut input = ChapterInput {
            title: "Basics".into(),
            weeks_start: "5".into(),
            weeks_end: "3".into(),
            ..ChapterInput::default()
        };
        let errors = check_chapter(&input).err().expect("rejected");
        assert!(errors.get("weeks_end").contains("cannot come before"));
        input.weeks_end = "6".into();
        assert!(check_chapter(&input).is_ok());
    }
}
