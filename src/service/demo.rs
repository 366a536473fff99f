//! Demo content for trying the app and benchmarking it: one strategy with chapters and posts
//! spread over every board column, created through the same services as real content so that
//! versions, history and events are all in place. Operator use only (`admin seed-demo`).

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::auth::tenant;
use crate::db::DbConn;
use crate::error::AppError;
use crate::model::{
    now, Chapter, ChapterId, Goal, GoalId, PlanSource, PostStatus, Priority, StrategyType,
    Workspace,
};
use crate::repo;
use crate::service::audit::{self, Actor, Event};
use crate::service::posts::{self, NewPost};

/// The strategy that marks a workspace as seeded; a second run finds it and changes nothing.
pub const STRATEGY_NAME: &str = "Demo: Notes from building a small product studio";
pub const DEFAULT_POSTS: usize = 60;
pub const MAX_POSTS: usize = 100_000;

#[derive(Debug)]
pub enum Seeded {
    Created {
        workspace: Workspace,
        chapters: usize,
        posts: usize,
    },
    AlreadySeeded {
        workspace: Workspace,
    },
}

/// (title, theme, description) of each chapter, in order.
const CHAPTERS: [(&str, &str, &str); 5] = [
    (
        "Why we started",
        "Origin story",
        "The problem that would not go away, and the first customers who paid for a fix.",
    ),
    (
        "Hiring the first five",
        "Team",
        "What we looked for, the interviews that worked, and the hire we got wrong.",
    ),
    (
        "Shipping small and often",
        "Product",
        "Weekly releases, saying no to features, and learning from support tickets.",
    ),
    (
        "Selling without a sales team",
        "Growth",
        "Founder-led sales, referrals, and the pricing page we rewrote four times.",
    ),
    (
        "Money, runway and calm",
        "Finance",
        "Cash discipline, the numbers we watch every Monday, and avoiding panic decisions.",
    ),
];

const TITLES: [&str; 36] = [
    "The customer email that made us start the company",
    "Three things I would tell myself on day one",
    "Why our first product was a spreadsheet",
    "We almost quit in month four. Here is what changed",
    "How we found our first ten paying customers",
    "The hire who taught me to write better job posts",
    "Interview questions we stopped asking",
    "What a trial week taught us about fit",
    "Onboarding a new teammate in five days",
    "Why we pay for learning, not perks",
    "Shipping every Thursday for a year",
    "The feature we removed and nobody missed",
    "Support tickets are our best roadmap",
    "How we decide what not to build",
    "A bug that cost us a customer, and what we fixed",
    "Writing release notes people actually read",
    "Founder-led sales, honestly",
    "The referral that doubled our pipeline",
    "Our pricing page, version four",
    "Saying no to a big customer",
    "What I learned from fifty sales calls",
    "Why we publish our roadmap",
    "The Monday numbers we never skip",
    "Runway is a feeling until it is a spreadsheet",
    "How we budget for the boring things",
    "The month revenue dipped and what we did",
    "Why we have not raised money (yet)",
    "Calm is a competitive advantage",
    "A checklist for every launch",
    "What remote work changed in our meetings",
    "The tool we stopped paying for",
    "How we run a retro in thirty minutes",
    "Lessons from our first conference talk",
    "Why documentation is a product feature",
    "The question I ask every new customer",
    "What a year of weekly posts taught me",
];

const OPENINGS: [&str; 6] = [
    "A year ago I would not have written this post.",
    "This started with a single message from a customer.",
    "Most advice on this topic is written by people who never had to do it twice.",
    "We got this wrong for months before it clicked.",
    "Here is something I only understood after the third attempt.",
    "A small decision turned out to matter more than any big one.",
];

const MIDDLES: [&str; 6] = [
    "We tried the obvious fix first. It helped for a week, then the old habits came back. What finally worked was writing the rule down and checking it every Friday.",
    "The numbers told one story and the customers told another. When we listened to the customers, the numbers followed about two months later.",
    "None of it needed a new tool. It needed one person to own it and a calendar reminder that nobody was allowed to move.",
    "The team saw the problem before I did. My job was to get out of the way and make the change cheap to try.",
    "We measured three things, dropped two of them, and kept the one that changed how we spent Monday mornings.",
    "It felt slower at first. Six weeks in, it was the reason we could ship twice as often without working late.",
];

const CLOSINGS: [&str; 6] = [
    "If you are at the same stage, start smaller than feels comfortable.",
    "What would you add? I read every reply.",
    "Next week: what we changed after this, and what we kept.",
    "The lesson, for us: boring and consistent beats clever and occasional.",
    "I would love to hear how your team handles this.",
    "Save this for the week you need it.",
];

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// Picks an index by weight.
fn weighted(rng: &mut StdRng, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut roll = rng.random_range(0..total);
    for (i, w) in weights.iter().enumerate() {
        if roll < *w {
            return i;
        }
        roll -= w;
    }
    weights.len() - 1
}

fn status_for(rng: &mut StdRng) -> PostStatus {
    use PostStatus::*;
    const SPREAD: [(PostStatus, u32); 7] = [
        (Idea, 22),
        (Drafting, 18),
        (InReview, 12),
        (ChangesRequested, 8),
        (Approved, 10),
        (Scheduled, 10),
        (Published, 20),
    ];
    let weights: Vec<u32> = SPREAD.iter().map(|(_, w)| *w).collect();
    SPREAD[weighted(rng, &weights)].0
}

fn priority_for(rng: &mut StdRng) -> Priority {
    [
        Priority::Low,
        Priority::Medium,
        Priority::High,
        Priority::Urgent,
    ][weighted(rng, &[20, 45, 25, 10])]
}

/// Due dates are days (midnight UTC): some overdue, some this week, some later, some none.
fn due_for(rng: &mut StdRng, status: PostStatus) -> Option<chrono::NaiveDateTime> {
    let today = repo::board::day_start(now());
    let days = if status == PostStatus::Published {
        match weighted(rng, &[60, 40]) {
            0 => -rng.random_range(1..60),
            _ => return None,
        }
    } else {
        match weighted(rng, &[20, 25, 35, 20]) {
            0 => -rng.random_range(1..11),
            1 => rng.random_range(0..7),
            2 => rng.random_range(7..46),
            _ => return None,
        }
    };
    Some(today + chrono::Duration::days(days))
}

fn title_for(i: usize) -> String {
    let base = TITLES[i % TITLES.len()];
    match i / TITLES.len() {
        0 => base.to_string(),
        round => format!("{base} (take {})", round + 1),
    }
}

fn body_for(rng: &mut StdRng) -> String {
    let mut body = format!("{}\n\n{}", pick(rng, &OPENINGS), pick(rng, &MIDDLES));
    if rng.random_bool(0.7) {
        body.push_str("\n\n");
        let closing = *pick(rng, &CLOSINGS);
        body.push_str(closing);
    }
    body
}

/// The named workspace, or the oldest one owned by the first system owner.
fn target_workspace(conn: &mut DbConn, slug: Option<&str>) -> Result<Workspace, AppError> {
    if let Some(slug) = slug {
        return repo::workspaces::find_by_slug_for_operator(conn, slug)?.ok_or_else(|| {
            AppError::BadRequest(format!(
                "No workspace has the address \u{201c}{slug}\u{201d}."
            ))
        });
    }
    let owner = repo::users::first_system_owner(conn)?.ok_or_else(|| {
        AppError::BadRequest(
            "There is no system owner yet. Create one with `postmagiq admin create-user \
             --system-owner`, or name a workspace with --workspace."
                .into(),
        )
    })?;
    repo::workspaces::list_for_user(conn, &owner.id)?
        .into_iter()
        .filter(|(w, _)| w.owner_id == owner.id)
        .map(|(w, _)| w)
        .min_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)))
        .ok_or_else(|| {
            AppError::BadRequest(format!(
                "The system owner {} owns no workspace; name one with --workspace.",
                owner.email
            ))
        })
}

/// Seeds the workspace in one transaction, unless it already has the demo strategy.
pub fn seed(conn: &mut DbConn, slug: Option<&str>, posts: usize) -> Result<Seeded, AppError> {
    if posts == 0 || posts > MAX_POSTS {
        return Err(AppError::BadRequest(format!(
            "--posts must be between 1 and {MAX_POSTS}."
        )));
    }
    crate::db::write_tx(conn, |conn| {
        let workspace = target_workspace(conn, slug)?;
        let tenant = tenant::for_system(&workspace, &workspace.owner_id);
        if repo::goals::list(conn, &tenant)?
            .iter()
            .any(|g| g.name == STRATEGY_NAME)
        {
            return Ok(Seeded::AlreadySeeded { workspace });
        }
        let actor = Actor::cli().with_user(&workspace.owner_id);
        let at = now();
        let goal = Goal {
            id: GoalId::new(),
            workspace_id: workspace.id.clone(),
            created_by_id: Some(workspace.owner_id.clone()),
            name: STRATEGY_NAME.into(),
            signature_thesis: "Small teams win by being consistent, honest and a little boring."
                .into(),
            positioning: "A founder sharing the real numbers and decisions behind a small, \
                          profitable product studio."
                .into(),
            target_audience: "Founders and early employees of small software companies.".into(),
            content_style: "Plain, first person, one lesson per post, no hype.".into(),
            strategy_type: StrategyType::Series,
            posts_per_week: 3,
            voice_profile_id: None,
            plan_source: PlanSource::Manual,
            created_at: at,
            updated_at: at,
        };
        repo::goals::insert(conn, &tenant, &goal)?;
        let mut chapter_ids: Vec<ChapterId> = Vec::new();
        for (n, (title, theme, description)) in CHAPTERS.iter().enumerate() {
            let number = n as i32 + 1;
            let chapter = Chapter {
                id: ChapterId::new(),
                workspace_id: workspace.id.clone(),
                goal_id: goal.id.clone(),
                chapter_number: number,
                title: (*title).into(),
                theme: (*theme).into(),
                description: (*description).into(),
                weeks_start: Some((number - 1) * 4 + 1),
                weeks_end: Some(number * 4),
                created_at: at,
                updated_at: at,
            };
            repo::chapters::insert(conn, &tenant, &chapter)?;
            chapter_ids.push(chapter.id);
        }
        let members = repo::memberships::member_options(conn, &tenant)?;
        // Deterministic, so that two seeded installations look alike and benchmarks compare.
        let mut rng = StdRng::seed_from_u64(20_261_129);
        for i in 0..posts {
            let status = status_for(&mut rng);
            let chapter_id = rng
                .random_bool(0.8)
                .then(|| pick(&mut rng, &chapter_ids).clone());
            let title = title_for(i);
            let body = body_for(&mut rng);
            // A published post gets there through the normal move, so it has a publish date.
            let created_as = if status == PostStatus::Published {
                PostStatus::Approved
            } else {
                status
            };
            let post = posts::create(
                conn,
                &tenant,
                &actor,
                NewPost {
                    title: &title,
                    body: &body,
                    chapter_id: chapter_id.clone(),
                    status: created_as,
                    post_number: chapter_id.as_ref().map(|_| i as i32 + 1),
                    shape: "",
                    guidance: "",
                },
            )?
            .map_err(|errors| {
                AppError::internal(format!("demo post rejected: {}", errors.get("title")))
            })?;
            repo::posts::set_planning(
                conn,
                &tenant,
                &post.id,
                &repo::posts::Planning {
                    due_date: due_for(&mut rng, status),
                    priority: priority_for(&mut rng),
                    chapter_id: chapter_id.as_ref(),
                    shape: "",
                    guidance: "",
                },
            )?;
            if !members.is_empty() && rng.random_bool(0.85) {
                let (assignee, _) = pick(&mut rng, &members);
                repo::posts::set_assignee(conn, &tenant, &post.id, Some(assignee))?;
            }
            if status == PostStatus::Published {
                posts::move_to(conn, &tenant, &actor, &post.id, PostStatus::Published)?;
            }
        }
        audit::workspace(
            conn,
            &tenant,
            &actor,
            Event::new(
                "demo.seeded",
                format!(
                    "Seeded demo content: \u{201c}{STRATEGY_NAME}\u{201d} with {} chapters and \
                     {posts} posts",
                    CHAPTERS.len()
                ),
            ),
        )?;
        Ok(Seeded::Created {
            workspace,
            chapters: CHAPTERS.len(),
            posts,
        })
    })
}
