//! Word-level differences between two texts, as plain segments for a template to render (and
//! escape). No HTML is built here.

use std::time::Duration;

use similar::{ChangeTag, TextDiff};

/// How long a diff may search for the smallest answer before settling for a coarser one: two
/// 20,000-character versions that share nothing must not hold a worker for seconds.
const TIME_LIMIT: Duration = Duration::from_millis(250);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Same,
    Added,
    Removed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub kind: Kind,
    pub text: String,
}

impl Segment {
    pub fn added(&self) -> bool {
        self.kind == Kind::Added
    }

    pub fn removed(&self) -> bool {
        self.kind == Kind::Removed
    }
}

/// The words of `old` and `new`, each kept, removed or added. Within one changed stretch all
/// removed words come before all added ones, so a rewritten sentence reads as "old, then new"
/// instead of alternating word by word.
pub fn words(old: &str, new: &str) -> Vec<Segment> {
    let diff = TextDiff::configure()
        .timeout(TIME_LIMIT)
        .diff_words(old, new);
    let tokens: Vec<(Kind, &str)> = diff
        .iter_all_changes()
        .map(|c| {
            let kind = match c.tag() {
                ChangeTag::Equal => Kind::Same,
                ChangeTag::Insert => Kind::Added,
                ChangeTag::Delete => Kind::Removed,
            };
            (kind, c.value())
        })
        .collect();
    group(&tokens)
}

/// Whether anything differs.
pub fn changed(segments: &[Segment]) -> bool {
    segments.iter().any(|s| s.kind != Kind::Same)
}

fn group(tokens: &[(Kind, &str)]) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    let (mut removed, mut added) = (String::new(), String::new());
    let changed_at = |i: usize| tokens.get(i).is_some_and(|(k, _)| *k != Kind::Same);
    for (i, (kind, text)) in tokens.iter().enumerate() {
        // A lone space between two changed words belongs to the change on both sides.
        let bridging = *kind == Kind::Same
            && text.chars().all(char::is_whitespace)
            && i > 0
            && changed_at(i - 1)
            && changed_at(i + 1);
        match kind {
            Kind::Removed => removed.push_str(text),
            Kind::Added => added.push_str(text),
            Kind::Same if bridging => {
                removed.push_str(text);
                added.push_str(text);
            }
            Kind::Same => {
                flush(&mut out, &mut removed, &mut added);
                push(&mut out, Kind::Same, text);
            }
        }
    }
    flush(&mut out, &mut removed, &mut added);
    out
}

fn flush(out: &mut Vec<Segment>, removed: &mut String, added: &mut String) {
    if !removed.is_empty() {
        push(out, Kind::Removed, removed);
        removed.clear();
    }
    if !added.is_empty() {
        push(out, Kind::Added, added);
        added.clear();
    }
}

fn push(out: &mut Vec<Segment>, kind: Kind, text: &str) {
    match out.last_mut() {
        Some(last) if last.kind == kind => last.text.push_str(text),
        _ => out.push(Segment {
            kind,
            text: text.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(segments: &[Segment]) -> String {
        segments
            .iter()
            .map(|s| match s.kind {
                Kind::Same => s.text.clone(),
                Kind::Added => format!("[+{}]", s.text),
                Kind::Removed => format!("[-{}]", s.text),
            })
            .collect()
    }

    #[test]
    fn identical_texts_are_one_unchanged_segment() {
        let s = words("the same words", "the same words");
        assert_eq!(show(&s), "the same words");
        assert!(!changed(&s));
        assert!(!changed(&words("", "")));
    }

    #[test]
    fn inserted_and_deleted_words_are_marked() {
        assert_eq!(
            show(&words("a quick fox", "a quick brown fox")),
            "a quick [+brown ]fox"
        );
        assert_eq!(
            show(&words("a quick brown fox", "a fox")),
            "a [-quick brown ]fox"
        );
    }

    #[test]
    fn a_rewritten_stretch_reads_old_then_new() {
        assert_eq!(
            show(&words(
                "we sell red apples today",
                "we buy green pears today"
            )),
            "we [-sell red apples][+buy green pears] today"
        );
    }

    #[test]
    fn line_breaks_survive() {
        let s = words("one\n\ntwo", "one\n\ntwo three");
        assert_eq!(show(&s), "one\n\ntwo[+ three]");
        assert!(changed(&s));
    }

    #[test]
    fn from_or_to_nothing() {
        assert_eq!(show(&words("", "hello world")), "[+hello world]");
        assert_eq!(show(&words("hello", "")), "[-hello]");
    }
}
