//! The strategy page: a workspace's strategies on the left, the chosen one with its chapters and
//! their posts on the right. Changes live in the submodules.

pub mod builder;
pub mod chapters;
pub mod goals;
pub mod titles;

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::auth::{need, Member, Scope};
use crate::error::{AppError, AppResult};
use crate::model::{ChapterId, Goal, GoalId, PostStatus, StrategyType};
use crate::repo;
use crate::repo::posts::ChapterPost;
use crate::service::strategy as service;
use crate::web::shell::{Section, Shell};
use crate::web::{page, Ctx};

/// Parses a strategy id from the URL; anything malformed is simply not found.
pub fn goal_id(raw: &str) -> AppResult<GoalId> {
    GoalId::parse(raw).ok_or(AppError::NotFound)
}

pub fn type_label(t: StrategyType) -> &'static str {
    match t {
        StrategyType::Series => "Series",
        StrategyType::Daily => "Daily",
        StrategyType::Campaign => "Campaign",
    }
}

/// The badge tone of a post status, from the shared badge palette.
pub fn status_badge(s: PostStatus) -> &'static str {
    match s {
        PostStatus::Idea => "badge-muted",
        PostStatus::Drafting => "badge-editor",
        PostStatus::InReview => "badge-warning",
        PostStatus::ChangesRequested => "badge-danger",
        PostStatus::Approved | PostStatus::Published => "badge-success",
        PostStatus::Scheduled => "badge-admin",
    }
}

/// "Weeks 3–4", "Week 5" or "" for a chapter without a schedule.
pub fn week_range(start: Option<i32>, end: Option<i32>) -> String {
    match (start, end) {
        (Some(s), Some(e)) if s == e => format!("Week {s}"),
        (Some(s), Some(e)) => format!("Weeks {s}\u{2013}{e}"),
        (Some(s), None) => format!("From week {s}"),
        (None, Some(e)) => format!("Until week {e}"),
        (None, None) => String::new(),
    }
}

fn percent(done: i64, total: i64) -> i64 {
    if total == 0 {
        0
    } else {
        done * 100 / total
    }
}

pub fn strategy_url(slug: &str, goal: &GoalId) -> String {
    format!("/w/{slug}/strategy?goal={goal}")
}

/// The strategy page with one chapter opened and scrolled to.
pub fn chapter_url(slug: &str, goal: &GoalId, chapter: &ChapterId) -> String {
    format!("/w/{slug}/strategy?goal={goal}&open={chapter}#chapter-{chapter}")
}

pub struct GoalSummary {
    pub id: String,
    pub name: String,
    pub type_key: &'static str,
    pub type_label: &'static str,
    pub chapters: usize,
    pub done: i64,
    pub total: i64,
    pub percent: i64,
    pub selected: bool,
}

/// A post title on the strategy page, and the fragment that shows it.
pub struct PostTitle {
    pub id: String,
    pub title: String,
}

/// A post in a chapter; the loop variable is `t`, which the title fragment also reads.
pub struct PostRow {
    pub id: String,
    pub title: String,
    pub number: Option<i32>,
    pub status: &'static str,
    pub badge: &'static str,
}

pub struct ChapterView {
    pub id: String,
    pub number: i32,
    pub title: String,
    pub theme: String,
    pub description: String,
    pub weeks: String,
    pub done: i64,
    pub total: i64,
    pub open: bool,
    pub posts: Vec<PostRow>,
    pub delete_warning: String,
    /// Where "add idea" comes back to: this chapter, opened.
    pub back: String,
}

pub struct VoiceOption {
    pub id: String,
    pub name: String,
    pub selected: bool,
}

pub struct SelectedGoal {
    pub id: String,
    pub name: String,
    pub thesis: String,
    pub positioning: String,
    pub audience: String,
    pub style: String,
    pub type_label: &'static str,
    pub type_key: &'static str,
    pub posts_per_week: i32,
    pub built_in: bool,
    pub chapters: Vec<ChapterView>,
    pub total: i64,
    pub done: i64,
    pub ideas: i64,
    pub percent: i64,
    pub delete_warning: String,
    pub voice_name: String,
    pub presets: Vec<VoiceOption>,
    pub own_voices: Vec<VoiceOption>,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/strategy/index.html")]
struct StrategyPage {
    shell: Shell,
    slug: String,
    script: String,
    goals: Vec<GoalSummary>,
    selected: Option<SelectedGoal>,
    can_write: bool,
    can_content: bool,
}

#[derive(Deserialize)]
pub struct IndexQuery {
    goal: Option<String>,
    open: Option<String>,
}

struct Loaded {
    goals: Vec<Goal>,
    chapters: Vec<crate::model::Chapter>,
    counts: Vec<(ChapterId, PostStatus, i64)>,
    posts: Vec<ChapterPost>,
    voices: Vec<crate::model::VoiceProfile>,
    selected: Option<usize>,
}

/// Done and total per chapter, from the per-status counts.
fn tally(counts: &[(ChapterId, PostStatus, i64)]) -> HashMap<&ChapterId, (i64, i64)> {
    let mut map: HashMap<&ChapterId, (i64, i64)> = HashMap::new();
    for (chapter, status, n) in counts {
        let e = map.entry(chapter).or_default();
        e.1 += n;
        if service::is_done(*status) {
            e.0 += n;
        }
    }
    map
}

pub async fn index(
    ctx: Ctx,
    member: Member<need::StrategyRead>,
    query: web::Query<IndexQuery>,
) -> AppResult<HttpResponse> {
    let query = query.into_inner();
    let wanted = match query.goal.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(goal_id(raw)?),
    };
    let tenant = member.tenant.clone();
    // A fixed number of statements however many strategies, chapters and posts there are.
    let data = crate::db::run(&ctx.state.pool, move |conn| {
        let goals = repo::goals::list(conn, &tenant)?;
        let selected = match &wanted {
            Some(id) => Some(
                goals
                    .iter()
                    .position(|g| &g.id == id)
                    .ok_or(AppError::NotFound)?,
            ),
            None => (!goals.is_empty()).then_some(0),
        };
        let chapters = repo::chapters::list(conn, &tenant)?;
        let counts = repo::posts::status_counts_by_chapter(conn, &tenant)?;
        let (posts, voices) = match selected {
            Some(i) => (
                repo::posts::in_goal_chapters(conn, &tenant, &goals[i].id)?,
                repo::voice_profiles::list_available(conn, &tenant)?,
            ),
            None => (Vec::new(), Vec::new()),
        };
        Ok(Loaded {
            goals,
            chapters,
            counts,
            posts,
            voices,
            selected,
        })
    })
    .await?;
    let slug = member.workspace.slug.clone();
    let per_chapter = tally(&data.counts);
    let goals: Vec<GoalSummary> = data
        .goals
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let mine = data.chapters.iter().filter(|c| c.goal_id == g.id);
            let (chapters, done, total) = mine.fold((0, 0, 0), |(n, d, t), c| {
                let (cd, ct) = per_chapter.get(&c.id).copied().unwrap_or_default();
                (n + 1, d + cd, t + ct)
            });
            GoalSummary {
                id: g.id.to_string(),
                name: g.name.clone(),
                type_key: g.strategy_type.as_str(),
                type_label: type_label(g.strategy_type),
                chapters,
                done,
                total,
                percent: percent(done, total),
                selected: Some(i) == data.selected,
            }
        })
        .collect();
    let selected = data
        .selected
        .map(|i| selected_view(&slug, &data, &data.goals[i], query.open.as_deref()));
    let shell = Shell::app(
        &ctx.state,
        &ctx.session,
        &member.auth,
        Some((&member.tenant, &member.workspace)),
        Section::Strategy,
        selected
            .as_ref()
            .map_or_else(|| "Strategy".to_string(), |s| s.name.clone()),
    )
    .await?;
    Ok(page(
        &ctx.req,
        StrategyPage {
            shell,
            slug,
            script: crate::web::assets::url("js/strategy.js"),
            goals,
            selected,
            can_write: member.tenant.can(Scope::StrategyWrite),
            can_content: member.tenant.can(Scope::ContentWrite),
        },
        StatusCode::OK,
    ))
}

fn selected_view(slug: &str, data: &Loaded, goal: &Goal, open: Option<&str>) -> SelectedGoal {
    let chapters: Vec<&crate::model::Chapter> = data
        .chapters
        .iter()
        .filter(|c| c.goal_id == goal.id)
        .collect();
    // Without a choice in the URL, the first chapter with work left is open.
    let first_unfinished = chapters
        .iter()
        .find(|c| {
            data.posts
                .iter()
                .any(|p| p.chapter_id == c.id && !service::is_done(p.status))
        })
        .or(chapters.first())
        .map(|c| c.id.to_string());
    let open = open.map(str::to_string).or(first_unfinished);
    let views: Vec<ChapterView> = chapters
        .iter()
        .map(|c| {
            let posts: Vec<PostRow> = data
                .posts
                .iter()
                .filter(|p| p.chapter_id == c.id)
                .map(|p| PostRow {
                    id: p.id.to_string(),
                    title: p.title.clone(),
                    number: p.post_number,
                    status: p.status.label(),
                    badge: status_badge(p.status),
                })
                .collect();
            let done = data
                .posts
                .iter()
                .filter(|p| p.chapter_id == c.id && service::is_done(p.status))
                .count() as i64;
            let ideas = data
                .posts
                .iter()
                .filter(|p| p.chapter_id == c.id && p.status == PostStatus::Idea)
                .count();
            ChapterView {
                id: c.id.to_string(),
                number: c.chapter_number,
                title: c.title.clone(),
                theme: c.theme.clone(),
                description: c.description.clone(),
                weeks: week_range(c.weeks_start, c.weeks_end),
                done,
                total: posts.len() as i64,
                open: open.as_deref() == Some(c.id.as_str()),
                delete_warning: service::chapter_delete_warning(
                    c.chapter_number,
                    &c.title,
                    posts.len(),
                    ideas,
                ),
                back: chapter_url(slug, &goal.id, &c.id),
                posts,
            }
        })
        .collect();
    let total = data.posts.len() as i64;
    let done = data
        .posts
        .iter()
        .filter(|p| service::is_done(p.status))
        .count() as i64;
    let ideas = data
        .posts
        .iter()
        .filter(|p| p.status == PostStatus::Idea)
        .count() as i64;
    let option = |v: &crate::model::VoiceProfile| VoiceOption {
        id: v.id.to_string(),
        name: v.name.clone(),
        selected: goal.voice_profile_id.as_ref() == Some(&v.id),
    };
    SelectedGoal {
        id: goal.id.to_string(),
        name: goal.name.clone(),
        thesis: goal.signature_thesis.clone(),
        positioning: goal.positioning.clone(),
        audience: goal.target_audience.clone(),
        style: goal.content_style.clone(),
        type_label: type_label(goal.strategy_type),
        type_key: goal.strategy_type.as_str(),
        posts_per_week: goal.posts_per_week,
        built_in: goal.plan_source == crate::model::PlanSource::Builtin,
        delete_warning: service::goal_delete_warning(
            &goal.name,
            views.len(),
            total as usize,
            ideas as usize,
        ),
        chapters: views,
        total,
        done,
        ideas,
        percent: percent(done, total),
        voice_name: goal
            .voice_profile_id
            .as_ref()
            .and_then(|id| data.voices.iter().find(|v| &v.id == id))
            .map_or_else(|| "Workspace default".to_string(), |v| v.name.clone()),
        presets: data
            .voices
            .iter()
            .filter(|v| v.is_preset)
            .map(option)
            .collect(),
        own_voices: data
            .voices
            .iter()
            .filter(|v| !v.is_preset)
            .map(option)
            .collect(),
    }
}
