//! The board's filters as they travel in the URL, so that a filtered board can be linked.
//! Values that do not parse, or name no member or chapter of the workspace, are dropped and
//! reported instead of failing the page.

use std::collections::HashMap;

use crate::model::{Chapter, ChapterId, Priority, UserId};
use crate::repo::board::{AssigneeFilter, BoardFilter, DueFilter};

/// Longest search text kept; longer input is cut, not refused.
const TEXT_MAX: usize = 100;

/// The query string's parameters; a repeated key keeps its last value.
#[derive(Debug, Default, Clone)]
pub struct Params(HashMap<String, String>);

impl Params {
    pub fn parse(query: &str) -> Params {
        Params(
            url::form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    pub fn get(&self, key: &str) -> &str {
        self.0.get(key).map(String::as_str).unwrap_or("").trim()
    }
}

/// The accepted filter values (as the form shows them) and what they mean as a query.
#[derive(Debug, Default, Clone)]
pub struct Filters {
    pub assignee: String,
    pub chapter: String,
    pub priority: String,
    pub due: String,
    pub q: String,
    pub board: BoardFilter,
    /// Why a value in the URL was not applied, one sentence each.
    pub ignored: Vec<String>,
}

fn quoted(s: &str) -> String {
    let shown: String = s.chars().take(40).collect();
    format!("\u{201c}{shown}\u{201d}")
}

impl Filters {
    pub fn resolve(
        params: &Params,
        me: &UserId,
        members: &[(UserId, String)],
        chapters: &[Chapter],
    ) -> Filters {
        let mut f = Filters::default();

        match params.get("assignee") {
            "" => {}
            "me" => {
                f.assignee = "me".into();
                f.board.assignee = AssigneeFilter::User(me.clone());
            }
            "none" => {
                f.assignee = "none".into();
                f.board.assignee = AssigneeFilter::Nobody;
            }
            raw => match UserId::parse(raw).filter(|id| members.iter().any(|(m, _)| m == id)) {
                Some(id) => {
                    f.assignee = id.to_string();
                    f.board.assignee = AssigneeFilter::User(id);
                }
                None => f.ignored.push(format!(
                    "The assignee filter {} is not a member of this workspace.",
                    quoted(raw)
                )),
            },
        }

        match params.get("chapter") {
            "" => {}
            raw => match ChapterId::parse(raw).filter(|id| chapters.iter().any(|c| &c.id == id)) {
                Some(id) => {
                    f.chapter = id.to_string();
                    f.board.chapter = Some(id);
                }
                None => f.ignored.push(format!(
                    "The chapter filter {} is not a chapter of this workspace.",
                    quoted(raw)
                )),
            },
        }

        match params.get("priority") {
            "" => {}
            raw => match Priority::parse(raw) {
                Some(p) => {
                    f.priority = p.as_str().into();
                    f.board.priority = Some(p);
                }
                None => f.ignored.push(format!(
                    "The priority filter {} is not one of low, medium, high or urgent.",
                    quoted(raw)
                )),
            },
        }

        match params.get("due") {
            "" => {}
            "overdue" => {
                f.due = "overdue".into();
                f.board.due = Some(DueFilter::Overdue);
            }
            "week" => {
                f.due = "week".into();
                f.board.due = Some(DueFilter::Week);
            }
            raw => f.ignored.push(format!(
                "The due filter {} is not \u{201c}overdue\u{201d} or \u{201c}week\u{201d}.",
                quoted(raw)
            )),
        }

        let q: String = params
            .get("q")
            .chars()
            .filter(|c| !c.is_control())
            .take(TEXT_MAX)
            .collect();
        let q = q.trim().to_string();
        if !q.is_empty() {
            f.board.text = Some(q.clone());
            f.q = q;
        }
        f
    }

    pub fn is_active(&self) -> bool {
        !(self.assignee.is_empty()
            && self.chapter.is_empty()
            && self.priority.is_empty()
            && self.due.is_empty()
            && self.q.is_empty())
    }

    /// The accepted filters as a query string (no leading `?`), for links and forms.
    pub fn query(&self) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in [
            ("assignee", &self.assignee),
            ("chapter", &self.chapter),
            ("priority", &self.priority),
            ("due", &self.due),
            ("q", &self.q),
        ] {
            if !value.is_empty() {
                out.append_pair(key, value);
            }
        }
        out.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_values_are_reported_and_good_ones_kept() {
        let me = UserId::new();
        let params = Params::parse("assignee=nobody&priority=high&due=soon&q=%20Launch%20&q=Plan");
        let f = Filters::resolve(&params, &me, &[], &[]);
        assert_eq!(f.priority, "high");
        assert_eq!(f.q, "Plan", "the last value wins and is trimmed");
        assert_eq!(f.ignored.len(), 2, "{:?}", f.ignored);
        assert_eq!(f.query(), "priority=high&q=Plan");
    }

    #[test]
    fn me_and_none_are_words_not_ids() {
        let me = UserId::new();
        let f = Filters::resolve(&Params::parse("assignee=me"), &me, &[], &[]);
        assert_eq!(f.board.assignee, AssigneeFilter::User(me.clone()));
        let f = Filters::resolve(&Params::parse("assignee=none"), &me, &[], &[]);
        assert_eq!(f.board.assignee, AssigneeFilter::Nobody);
        assert!(f.is_active());
    }
}
