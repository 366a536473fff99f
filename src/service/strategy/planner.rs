//! The built-in strategy planner: a fixed chapter arc per content style, filled in with the
//! person's own words. Deterministic and offline, so the builder works without an AI provider;
//! `super::propose` is the one place a smarter planner would plug in.

/// What the builder asked, checked and tidied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answers {
    /// What the person does ("product designer at a fintech start-up").
    pub role: String,
    /// What they want to be known for ("making onboarding painless").
    pub known_for: String,
    /// Who they write for ("founders of early-stage start-ups").
    pub audience: String,
    pub style: ContentStyle,
    pub per_week: i32,
    pub weeks: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentStyle {
    Stories,
    HowTo,
    Opinion,
    BehindTheScenes,
}

impl ContentStyle {
    pub const ALL: [ContentStyle; 4] = [
        ContentStyle::Stories,
        ContentStyle::HowTo,
        ContentStyle::Opinion,
        ContentStyle::BehindTheScenes,
    ];

    pub fn key(self) -> &'static str {
        match self {
            ContentStyle::Stories => "stories",
            ContentStyle::HowTo => "how-to",
            ContentStyle::Opinion => "opinion",
            ContentStyle::BehindTheScenes => "behind-the-scenes",
        }
    }

    pub fn parse(s: &str) -> Option<ContentStyle> {
        ContentStyle::ALL.into_iter().find(|c| c.key() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            ContentStyle::Stories => "Stories and lessons",
            ContentStyle::HowTo => "How-to",
            ContentStyle::Opinion => "Opinion",
            ContentStyle::BehindTheScenes => "Behind the scenes",
        }
    }

    pub fn hint(self) -> &'static str {
        match self {
            ContentStyle::Stories => "Things that happened to you and what they taught you.",
            ContentStyle::HowTo => "Practical steps your readers can follow.",
            ContentStyle::Opinion => "Clear positions on what your field gets right and wrong.",
            ContentStyle::BehindTheScenes => "How your work really gets done, shared openly.",
        }
    }
}

/// A proposed strategy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub name: String,
    pub thesis: String,
    pub chapters: Vec<PlannedChapter>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedChapter {
    pub title: String,
    pub theme: String,
    pub topics: Vec<String>,
    /// First and last week, 1-based and inclusive.
    pub weeks: (i32, i32),
}

/// One chapter of an arc: `{role}`, `{known_for}`, `{Known_for}` and `{audience}` are filled in.
struct Arc {
    title: &'static str,
    theme: &'static str,
    topics: [&'static str; 3],
}

const STORIES: [Arc; 6] = [
    Arc {
        title: "Where it started",
        theme: "Why {known_for} matters to me, and how I got here",
        topics: [
            "The moment I realised {known_for} mattered",
            "What I got wrong about {known_for} when I started",
            "How I came to work as {role}, and what it taught me early on",
        ],
    },
    Arc {
        title: "Lessons from the work",
        theme: "Real projects that shaped how I approach {known_for}",
        topics: [
            "A project that went sideways, and what it taught me about {known_for}",
            "The small habit that changed how I work",
            "Advice about {known_for} I ignored, and why I regret it",
        ],
    },
    Arc {
        title: "The people I learn from",
        theme: "What {audience} have taught me along the way",
        topics: [
            "A conversation that changed my mind about {known_for}",
            "What {audience} get right that experts often miss",
            "The question I hear most from {audience}, and my honest answer",
        ],
    },
    Arc {
        title: "Turning points",
        theme: "Decisions and setbacks that moved my work on {known_for} forward",
        topics: [
            "The hardest call I have made as {role}",
            "A failure I am now grateful for",
            "When doing less gave better results",
        ],
    },
    Arc {
        title: "What I wish I had known",
        theme: "Hard-won lessons, told through the stories behind them",
        topics: [
            "Three lessons about {known_for} that took me years",
            "A mistake I see {audience} repeat, and the time I made it myself",
            "What I would tell myself on day one",
        ],
    },
    Arc {
        title: "Where it goes next",
        theme: "What I am still learning, and an invitation to {audience}",
        topics: [
            "What I am still figuring out about {known_for}",
            "How my view of {known_for} has changed",
            "Your turn: the story I would love to hear from {audience}",
        ],
    },
];

const HOW_TO: [Arc; 6] = [
    Arc {
        title: "The foundations",
        theme: "The basics of {known_for}, explained for {audience}",
        topics: [
            "{Known_for}: what it means and why it matters",
            "The ideas you need before you start",
            "A simple first step you can take this week",
        ],
    },
    Arc {
        title: "Getting started",
        theme: "A practical path from zero to a first result",
        topics: [
            "A step-by-step guide to your first win with {known_for}",
            "The tools I actually use, and the ones I skip",
            "A checklist to get going in under an hour",
        ],
    },
    Arc {
        title: "Common mistakes",
        theme: "The traps {audience} fall into, and how to avoid them",
        topics: [
            "Five mistakes I see {audience} make with {known_for}",
            "How to spot a problem before it gets expensive",
            "A mistake I made as {role}, and the fix",
        ],
    },
    Arc {
        title: "Going deeper",
        theme: "Techniques for when the basics are in place",
        topics: [
            "An advanced technique for {known_for}, step by step",
            "How to tell whether it is working",
            "A worked example from start to finish",
        ],
    },
    Arc {
        title: "Making it stick",
        theme: "Habits and systems that keep {known_for} going",
        topics: [
            "A weekly routine for {known_for}",
            "How to bring your team along",
            "What to do when progress stalls",
        ],
    },
    Arc {
        title: "Putting it all together",
        theme: "A complete playbook, and answers to your questions",
        topics: [
            "My complete playbook for {known_for}, in one post",
            "Answers to the questions {audience} asked during this series",
            "Where to go from here: next steps and resources",
        ],
    },
];

const OPINION: [Arc; 6] = [
    Arc {
        title: "What I believe",
        theme: "My stance on {known_for}, and why I hold it",
        topics: [
            "The one thing most people get wrong about {known_for}",
            "Why I care about {known_for} more than most",
            "My rules for {known_for}, from my work as {role}",
        ],
    },
    Arc {
        title: "Myths worth busting",
        theme: "Popular advice about {known_for} that does not hold up",
        topics: [
            "The most overrated advice about {known_for}",
            "A popular best practice I stopped following",
            "Why more is not always better",
        ],
    },
    Arc {
        title: "Unpopular opinions",
        theme: "Views that may ruffle a few feathers among {audience}",
        topics: [
            "An unpopular opinion about {known_for}",
            "What {audience} should stop doing right now",
            "The trend I do not think will last",
        ],
    },
    Arc {
        title: "The evidence",
        theme: "What I have seen that backs my views, and what challenged them",
        topics: [
            "What the numbers told me about {known_for}",
            "A time I was proven wrong",
            "The pattern I keep seeing across teams",
        ],
    },
    Arc {
        title: "Debates and trade-offs",
        theme: "Hard questions without easy answers",
        topics: [
            "Speed or quality? Where I come down, and why",
            "When to break my own rules",
            "The trade-off {audience} rarely talk about",
        ],
    },
    Arc {
        title: "Where this is heading",
        theme: "Predictions, and an open question for {audience}",
        topics: [
            "Where I think {known_for} is heading next",
            "What I would change about our field tomorrow",
            "What do you think? An open question for {audience}",
        ],
    },
];

const BEHIND_THE_SCENES: [Arc; 6] = [
    Arc {
        title: "Meet the work",
        theme: "What working as {role} really looks like",
        topics: [
            "A day in my life as {role}",
            "What people think I do, and what I actually do",
            "The tools and people that make the work happen",
        ],
    },
    Arc {
        title: "How the work gets done",
        theme: "The process behind {known_for}, step by step",
        topics: [
            "How a typical project starts",
            "The messy middle: what happens before anything ships",
            "How I decide what to work on next",
        ],
    },
    Arc {
        title: "Work in progress",
        theme: "Sharing things before they are finished",
        topics: [
            "Something I am building right now, and why",
            "An early draft, and the feedback that changed it",
            "A decision I am still unsure about",
        ],
    },
    Arc {
        title: "Wins and setbacks",
        theme: "The honest results, good and bad",
        topics: [
            "A win worth celebrating, and who made it happen",
            "Something that did not work, and what we changed",
            "The numbers behind {known_for}, shared openly",
        ],
    },
    Arc {
        title: "The people behind it",
        theme: "The team, clients and partners who shape the work",
        topics: [
            "The person who taught me the most this year",
            "What {audience} have taught us",
            "How we work together when things get hard",
        ],
    },
    Arc {
        title: "What comes next",
        theme: "Plans, lessons and an invitation to {audience}",
        topics: [
            "What I am changing next season",
            "The biggest lesson from sharing my work in public",
            "What I would love to hear from {audience}",
        ],
    },
];

fn arc(style: ContentStyle) -> &'static [Arc; 6] {
    match style {
        ContentStyle::Stories => &STORIES,
        ContentStyle::HowTo => &HOW_TO,
        ContentStyle::Opinion => &OPINION,
        ContentStyle::BehindTheScenes => &BEHIND_THE_SCENES,
    }
}

/// How many chapters a series of `weeks` gets: enough to change theme every couple of weeks.
pub fn chapter_count(weeks: i32) -> usize {
    match weeks {
        ..=7 => 4,
        8..=11 => 5,
        _ => 6,
    }
}

/// Splits `weeks` into `n` consecutive, non-empty ranges as evenly as possible.
pub fn week_ranges(weeks: i32, n: usize) -> Vec<(i32, i32)> {
    let weeks = weeks.max(1);
    let n = n.max(1) as i32;
    (0..n)
        .map(|i| {
            let start = (i * weeks / n + 1).min(weeks);
            let end = ((i + 1) * weeks / n).max(start);
            (start, end)
        })
        .collect()
}

fn upper_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Lower-cases a sentence-style capital ("Making onboarding painless") so the phrase reads
/// well mid-sentence; acronyms and mixed-case words ("UX", "iOS", "B2B") are left alone.
pub fn tidy_phrase(s: &str) -> String {
    let s = s.trim();
    let first = s.split_whitespace().next().unwrap_or_default();
    let mut chars = first.chars();
    let title_case = chars.next().is_some_and(char::is_uppercase)
        && first.chars().count() > 1
        && chars.all(|c| c.is_lowercase() || c == '-' || c == '\'');
    if title_case {
        let mut chars = s.chars();
        chars
            .next()
            .map(|c| c.to_lowercase().chain(chars).collect())
            .unwrap_or_default()
    } else {
        s.to_string()
    }
}

/// A role without a leading "I am" / "I'm", tidied like any phrase.
pub fn tidy_role(s: &str) -> String {
    let s = s.trim();
    let lower = s.to_lowercase();
    let rest = ["i am ", "i'm ", "i\u{2019}m ", "i work as "]
        .iter()
        .find(|p| lower.starts_with(*p))
        .map_or(s, |p| &s[p.len()..]);
    tidy_phrase(rest)
}

/// The role with an indefinite article where English wants one: "a product designer",
/// "an engineer"; "head of design", "CTO at Acme" and "the founder" stay as they are.
pub fn role_with_article(role: &str) -> String {
    let first = role.split_whitespace().next().unwrap_or_default();
    let lower = first.to_lowercase();
    let keep = [
        "a", "an", "the", "my", "our", "head", "chief", "director", "vp", "lead",
    ]
    .contains(&lower.as_str())
        || first.chars().next().is_none_or(|c| !c.is_lowercase());
    if keep {
        return role.to_string();
    }
    let article = if lower.starts_with(['a', 'e', 'i', 'o']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {role}")
}

/// The strategy's positioning line: who the person is and what they stand for.
pub fn positioning(a: &Answers) -> String {
    format!(
        "{}, known for {}.",
        upper_first(&role_with_article(&a.role)),
        a.known_for
    )
}

fn fill(template: &str, a: &Answers) -> String {
    template
        .replace("{Known_for}", &upper_first(&a.known_for))
        .replace("{known_for}", &a.known_for)
        .replace("{audience}", &a.audience)
        .replace("{role}", &role_with_article(&a.role))
}

fn thesis(a: &Answers) -> String {
    let template = match a.style {
        ContentStyle::Stories => {
            "Real stories from my work as {role} that show {audience} what {known_for} looks like in practice."
        }
        ContentStyle::HowTo => {
            "Practical, step-by-step help with {known_for} for {audience}, drawn from my work as {role}."
        }
        ContentStyle::Opinion => {
            "Clear, honest opinions on {known_for} that help {audience} think differently, from my work as {role}."
        }
        ContentStyle::BehindTheScenes => {
            "An open look behind the scenes of my work as {role}, so {audience} can see the real work behind {known_for}."
        }
    };
    fill(template, a)
}

fn name(a: &Answers) -> String {
    let article = if matches!(a.weeks, 8 | 11 | 18) {
        "an"
    } else {
        "a"
    };
    let suffix = format!(": {article} {}-week series", a.weeks);
    let room = super::NAME_MAX - suffix.chars().count();
    let topic = upper_first(&a.known_for);
    let topic = if topic.chars().count() > room {
        let cut: String = topic.chars().take(room - 1).collect();
        format!("{}\u{2026}", cut.trim_end())
    } else {
        topic
    };
    format!("{topic}{suffix}")
}

/// The built-in plan: a name, a one-sentence thesis and 4–6 chapters of three post topics,
/// the last chapter always the arc's closing one.
pub fn builtin(a: &Answers) -> Plan {
    let arcs = arc(a.style);
    let n = chapter_count(a.weeks);
    let chosen = arcs[..n - 1].iter().chain(std::iter::once(&arcs[5]));
    let chapters = chosen
        .zip(week_ranges(a.weeks, n))
        .map(|(arc, weeks)| PlannedChapter {
            title: fill(arc.title, a),
            theme: fill(arc.theme, a),
            topics: arc.topics.iter().map(|t| fill(t, a)).collect(),
            weeks,
        })
        .collect();
    Plan {
        name: name(a),
        thesis: thesis(a),
        chapters,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(style: ContentStyle, weeks: i32) -> Answers {
        Answers {
            role: tidy_role("I'm Product designer at a fintech start-up"),
            known_for: tidy_phrase("Making onboarding painless"),
            audience: "founders of early-stage start-ups".into(),
            style,
            per_week: 3,
            weeks,
        }
    }

    #[test]
    fn the_plan_uses_the_persons_words() {
        let plan = builtin(&answers(ContentStyle::HowTo, 8));
        assert_eq!(plan.name, "Making onboarding painless: an 8-week series");
        assert_eq!(
            plan.thesis,
            "Practical, step-by-step help with making onboarding painless for founders of \
             early-stage start-ups, drawn from my work as a product designer at a fintech start-up."
        );
        assert_eq!(plan.chapters.len(), 5);
        assert_eq!(plan.chapters[4].title, "Putting it all together");
        assert!(plan.chapters.iter().all(|c| c.topics.len() == 3));
        assert_eq!(
            plan.chapters[0].topics[0],
            "Making onboarding painless: what it means and why it matters"
        );
        assert!(plan
            .chapters
            .iter()
            .flat_map(|c| c.topics.iter().chain([&c.title, &c.theme]))
            .all(|t| !t.contains('{')));
    }

    #[test]
    fn chapters_cover_the_weeks_in_order() {
        for weeks in 4..=52 {
            let n = chapter_count(weeks);
            let ranges = week_ranges(weeks, n);
            assert_eq!(ranges[0].0, 1);
            assert_eq!(ranges[n - 1].1, weeks);
            for pair in ranges.windows(2) {
                assert_eq!(pair[0].1 + 1, pair[1].0, "{weeks} weeks: {ranges:?}");
            }
        }
        for style in ContentStyle::ALL {
            assert_eq!(builtin(&answers(style, 4)).chapters.len(), 4);
            assert_eq!(builtin(&answers(style, 30)).chapters.len(), 6);
        }
    }

    #[test]
    fn roles_get_an_article_only_when_needed() {
        assert_eq!(role_with_article("engineer"), "an engineer");
        assert_eq!(role_with_article("head of design"), "head of design");
        assert_eq!(role_with_article("CTO at Acme"), "CTO at Acme");
        assert_eq!(role_with_article("a baker"), "a baker");
        assert_eq!(tidy_phrase("UX research"), "UX research");
    }
}
