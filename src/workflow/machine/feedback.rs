//! Feedback waiting for a state: an auditor's retry notes, a person's answer at an approval,
//! a person's answer at a circuit break. Each is keyed by the state that must act on it and is
//! handed over exactly once, on that state's next run (spec §2.3, §4.3).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

const USER_HEADING: &str = "## USER FEEDBACK — MUST INCORPORATE";
const REVIEWER_HEADING: &str = "## Reviewer Context";

#[derive(Default, Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FeedbackStore {
    pending: BTreeMap<String, String>,
}

impl FeedbackStore {
    /// Leaves `text` for `state`. Feedback already waiting there is kept and the new text is
    /// added after it, so nothing a person or an auditor said is lost.
    pub fn put(&mut self, state: &str, text: String) {
        if text.trim().is_empty() {
            return;
        }
        match self.pending.get_mut(state) {
            Some(existing) => {
                existing.push_str("\n\n");
                existing.push_str(&text);
            }
            None => {
                self.pending.insert(state.to_string(), text);
            }
        }
    }

    /// The feedback for `state`, removed so the state's later runs do not see it again.
    pub fn take(&mut self, state: &str) -> Option<String> {
        self.pending.remove(state)
    }

    pub fn peek(&self, state: &str) -> Option<&str> {
        self.pending.get(state).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Drops everything pending, as a full restart after a circuit break does.
    pub fn clear(&mut self) {
        self.pending.clear();
    }
}

/// A person's words as the block the prompt puts last and the model must follow.
pub fn user_feedback(text: &str) -> String {
    format!("{USER_HEADING}\n{}", text.trim())
}

/// A person's answer at an approval, with what they were shown when there was something:
/// the model needs both to know what "this" in the answer refers to.
pub fn reviewer_feedback(shown: &str, text: &str) -> String {
    let shown = shown.trim();
    if shown.is_empty() {
        user_feedback(text)
    } else {
        format!("{REVIEWER_HEADING}\n{shown}\n\n{}", user_feedback(text))
    }
}

/// An auditor's notes (one verdict's feedback or an aggregate's blocks) for the state that
/// must redo its work. Text that is already a feedback block is kept as it is.
pub fn auditor_feedback(agg_or_single_feedback: &str) -> String {
    if has_feedback_heading(agg_or_single_feedback) {
        agg_or_single_feedback.to_string()
    } else {
        format!(
            "{USER_HEADING}\nPrevious attempt feedback:\n{}",
            agg_or_single_feedback.trim()
        )
    }
}

/// Whether a context text carries feedback, which the prompt builder places last.
pub fn has_feedback_heading(text: &str) -> bool {
    text.contains("## USER FEEDBACK") || text.contains(REVIEWER_HEADING)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feedback_is_handed_over_once() {
        let mut store = FeedbackStore::default();
        assert!(store.is_empty());
        store.put("draft", "Shorter hook.".into());
        assert_eq!(store.peek("draft"), Some("Shorter hook."));
        assert_eq!(store.take("draft").as_deref(), Some("Shorter hook."));
        assert_eq!(store.take("draft"), None);
        assert!(store.is_empty());
    }

    #[test]
    fn feedback_is_kept_per_target_state() {
        let mut store = FeedbackStore::default();
        store.put("draft", "a".into());
        store.put("synthesize", "b".into());
        assert_eq!(store.take("synthesize").as_deref(), Some("b"));
        assert_eq!(store.peek("draft"), Some("a"));
        assert_eq!(store.peek("audit"), None);
    }

    #[test]
    fn a_second_put_appends_instead_of_replacing() {
        let mut store = FeedbackStore::default();
        store.put("draft", "first".into());
        store.put("draft", "second".into());
        assert_eq!(store.take("draft").as_deref(), Some("first\n\nsecond"));
    }

    #[test]
    fn blank_feedback_is_not_stored() {
        let mut store = FeedbackStore::default();
        store.put("draft", "  \n".into());
        assert!(store.is_empty());
    }

    #[test]
    fn the_store_round_trips_through_json() {
        let mut store = FeedbackStore::default();
        store.put("draft", "x".into());
        let json = serde_json::to_string(&store).unwrap();
        assert_eq!(serde_json::from_str::<FeedbackStore>(&json).unwrap(), store);
    }

    #[test]
    fn user_feedback_has_the_must_incorporate_heading() {
        assert_eq!(
            user_feedback("  Mention the outage. \n"),
            "## USER FEEDBACK — MUST INCORPORATE\nMention the outage."
        );
    }

    #[test]
    fn reviewer_feedback_shows_the_content_then_the_request() {
        assert_eq!(
            reviewer_feedback("The post text.", "Cut the last line."),
            "## Reviewer Context\nThe post text.\n\n## USER FEEDBACK — MUST INCORPORATE\nCut the last line."
        );
        assert_eq!(
            reviewer_feedback(" \n", "Cut it."),
            "## USER FEEDBACK — MUST INCORPORATE\nCut it."
        );
    }

    #[test]
    fn auditor_feedback_is_wrapped_unless_it_is_already_a_block() {
        assert_eq!(
            auditor_feedback("### fab — score 6/10, retry\nInvented a date."),
            "## USER FEEDBACK — MUST INCORPORATE\nPrevious attempt feedback:\n\
             ### fab — score 6/10, retry\nInvented a date."
        );
        let block = user_feedback("already wrapped");
        assert_eq!(auditor_feedback(&block), block);
        let reviewer = reviewer_feedback("shown", "asked");
        assert_eq!(auditor_feedback(&reviewer), reviewer);
    }
}
