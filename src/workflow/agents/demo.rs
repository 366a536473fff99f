//! The offline demo agent: lets the whole workflow run with no AI, no key and no network.
//! Its text is built only from the request (the story's own sentences, rearranged), is the
//! same for the same request, and says plainly on its face that no AI wrote it.

use std::time::Instant;

use serde_json::json;

use super::{Agent, AgentError, AgentRequest, AgentResponse, Role};

/// The label every demo answer carries, so nobody takes it for a model's work.
pub const DEMO_LABEL: &str = "Demo \u{2014} no AI";

const FEEDBACK_HEADING: &str = "## USER FEEDBACK";
const AFTER_INPUTS: [&str; 4] = [
    "## Task",
    "## Reviewer Context",
    "## Previous ",
    FEEDBACK_HEADING,
];
const MAX_POST_SENTENCES: usize = 8;
const MAX_NOTE_SENTENCES: usize = 12;

pub struct DemoAgent {
    model: String,
    delay: std::time::Duration,
}

impl DemoAgent {
    pub fn new(model: impl Into<String>) -> DemoAgent {
        DemoAgent {
            model: model.into(),
            delay: std::time::Duration::ZERO,
        }
    }

    /// Makes each call take this long, like a real model would.
    pub fn with_delay(mut self, delay: std::time::Duration) -> DemoAgent {
        self.delay = delay;
        self
    }
}

impl Agent for DemoAgent {
    fn invoke(&self, request: &AgentRequest) -> Result<AgentResponse, AgentError> {
        let started = Instant::now();
        std::thread::sleep(self.delay);
        let user = request
            .messages
            .iter()
            .rev()
            .find(|m| m.role == Role::User)
            .map(|m| m.content.as_str())
            .unwrap_or("");
        let content = answer(&request.system, user, request.json);
        // Words stand in for tokens: rough, but the meters move the way they would.
        let input_tokens = words(&request.system)
            + request
                .messages
                .iter()
                .map(|m| words(&m.content))
                .sum::<u64>();
        let output_tokens = words(&content);
        Ok(AgentResponse {
            content,
            model: self.model.clone(),
            input_tokens,
            output_tokens,
            cost_usd: 0.0,
            latency_ms: started.elapsed().as_millis() as u64,
        })
    }

    fn describe(&self) -> String {
        DEMO_LABEL.to_string()
    }
}

fn words(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}

#[derive(Debug, PartialEq, Eq)]
enum Kind {
    Verdict,
    Notes,
    Post,
}

/// What the persona in the system prompt asks for, judged from its wording.
fn kind_of(system: &str, json: bool) -> Kind {
    let s = system.to_lowercase();
    if json || s.contains("answer with json") {
        Kind::Verdict
    } else if s.contains("story processor") || s.contains("working notes") {
        Kind::Notes
    } else {
        Kind::Post
    }
}

fn answer(system: &str, user: &str, json: bool) -> String {
    let (material, feedback) = split_feedback(user);
    let sentences = story_sentences(&source_text(material));
    match kind_of(system, json) {
        Kind::Verdict => verdict(&sentences, feedback),
        Kind::Notes => with_feedback(notes(&sentences), feedback),
        Kind::Post => with_feedback(post(&sentences), feedback),
    }
}

/// Separates the pending feedback block (which the prompt puts last) from the material.
fn split_feedback(user: &str) -> (&str, Option<String>) {
    let Some(at) = user.find(FEEDBACK_HEADING) else {
        return (user, None);
    };
    let first_line = user[at + FEEDBACK_HEADING.len()..]
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string);
    (&user[..at], first_line)
}

/// The text of the input files when the prompt lists them, else the whole message.
fn source_text(material: &str) -> String {
    let Some(at) = material.find("## Input Files") else {
        return material.to_string();
    };
    let mut out = String::new();
    for line in material[at..].lines().skip(1) {
        // The prompt's own sections after the inputs end them; headings inside a file do not.
        if AFTER_INPUTS.iter().any(|h| line.starts_with(h)) {
            break;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The story's own sentences, in order, once each: markup, labels, JSON and earlier demo
/// output are left out so a chain of demo steps keeps quoting the author, not itself.
fn story_sentences(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut in_fence = false;
    for raw in text.lines() {
        let line = raw.trim();
        if line.starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence || line.is_empty() || skip_line(line) {
            continue;
        }
        let line = strip_list_marker(line);
        for sentence in split_sentences(line) {
            if sentence.split_whitespace().count() >= 3 && !out.contains(&sentence) {
                out.push(sentence);
            }
        }
    }
    out
}

fn skip_line(line: &str) -> bool {
    line.starts_with('#')
        || line.starts_with('{')
        || line.starts_with('}')
        || (line.starts_with('"') && (line.contains("\": ") || line.ends_with(',')))
        || line.contains(DEMO_LABEL)
        || line.starts_with("Revised after feedback:")
        // "Shape: SHORT", "**Tags:** ..." and the other labels of processed notes.
        || line
            .split_once(':')
            .is_some_and(|(label, _)| NOTE_LABELS.contains(&label.trim_matches('*').trim()))
}

const NOTE_LABELS: [&str; 9] = [
    "Title",
    "Shape",
    "Cadence",
    "Tags",
    "Failure",
    "Misunderstanding",
    "AI amplification",
    "Fix",
    "Scar",
];

fn strip_list_marker(line: &str) -> &str {
    let l = line.trim_start_matches(['-', '*', '>', ' ']);
    let digits = l.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 {
        if let Some(rest) = l[digits..].strip_prefix(['.', ')']) {
            return rest.trim_start();
        }
    }
    l
}

/// Splits after `.`, `!` or `?` (and any closing quote or bracket) followed by a space.
fn split_sentences(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        current.push(c);
        if matches!(c, '.' | '!' | '?') {
            while let Some(&close) = chars.peek() {
                if matches!(close, '"' | '\'' | ')' | '\u{201d}' | '\u{2019}') {
                    current.push(close);
                    chars.next();
                } else {
                    break;
                }
            }
            if chars.peek().is_none_or(|n| n.is_whitespace()) {
                push_sentence(&mut out, &mut current);
            }
        }
    }
    push_sentence(&mut out, &mut current);
    out
}

fn push_sentence(out: &mut Vec<String>, current: &mut String) {
    let s = current.trim();
    if !s.is_empty() {
        out.push(s.to_string());
    }
    current.clear();
}

fn with_feedback(text: String, feedback: Option<String>) -> String {
    match feedback {
        Some(line) => format!("{text}\n\nRevised after feedback: {line}"),
        None => text,
    }
}

fn notes(sentences: &[String]) -> String {
    let shape = match sentences.len() {
        0..=4 => "SHORT",
        5..=9 => "PARTIAL",
        _ => "FULL",
    };
    let mut out = format!(
        "# Title: {DEMO_LABEL} notes\n\
         _{DEMO_LABEL}: offline demo output. No model read this story; these notes only \
         regroup its own sentences._\n\n\
         Shape: {shape}\nCadence: steady\nTags: [SYSTEM]\n\n## Raw material\n"
    );
    if sentences.is_empty() {
        out.push_str("- (the story had no sentences to work from)\n");
    }
    for s in sentences.iter().take(MAX_NOTE_SENTENCES) {
        out.push_str(&format!("- {s}\n"));
    }
    out.push_str("\n## Hook options\n");
    for (i, s) in sentences.iter().take(3).enumerate() {
        out.push_str(&format!("{}. {s}\n", i + 1));
    }
    out.push_str(
        "\n## Notes for writers\n\
         Demo mode: use only the sentences above; nothing here was inferred.",
    );
    out
}

fn post(sentences: &[String]) -> String {
    let mut out = format!(
        "[{DEMO_LABEL}: this draft was assembled offline from your story's own sentences.]\n\n"
    );
    if sentences.is_empty() {
        out.push_str("There was no story text to build a post from.");
        return out;
    }
    let chosen: Vec<&str> = sentences
        .iter()
        .take(MAX_POST_SENTENCES)
        .map(String::as_str)
        .collect();
    // Short paragraphs of up to three sentences read like a post rather than a list.
    let paragraphs: Vec<String> = chosen.chunks(3).map(|c| c.join(" ")).collect();
    out.push_str(&paragraphs.join("\n\n"));
    out
}

fn verdict(sentences: &[String], feedback: Option<String>) -> String {
    let mut text = format!(
        "{DEMO_LABEL}: a fixed passing verdict; no model checked the {} sentence(s) it was given.",
        sentences.len()
    );
    if let Some(line) = feedback {
        text.push_str(&format!(" Revised after feedback: {line}"));
    }
    json!({
        "score": 9,
        "decision": "proceed",
        "feedback": text,
        "questions": [],
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const STORY: &str = "## Input Files\n\n### workflow/input/story_input.md\n\n\
        Last spring our deploy bot merged a change at 2 a.m. Nobody reviewed it. \
        I had trusted the green checks! The fix was a second approval.\n\n\
        ## Task\n\nWrite the post.";

    fn ask(system: &str, user: &str, json: bool) -> AgentResponse {
        let mut req = AgentRequest::single(system, user);
        req.json = json;
        DemoAgent::new("offline").invoke(&req).unwrap()
    }

    #[test]
    fn json_requests_get_a_passing_verdict() {
        let a = ask("# Fabrication auditor", STORY, true);
        let v: serde_json::Value = serde_json::from_str(&a.content).unwrap();
        assert_eq!(v["score"], 9);
        assert_eq!(v["decision"], "proceed");
        assert!(v["feedback"].as_str().unwrap().starts_with(DEMO_LABEL));
        assert_eq!(v["questions"], json!([]));
        assert_eq!(a.cost_usd, 0.0);
        assert_eq!(a.model, "offline");
    }

    #[test]
    fn posts_use_only_the_storys_sentences_and_are_labelled() {
        let a = ask("# Writer\n\nWrite one post.", STORY, false);
        assert!(
            a.content.starts_with(&format!("[{DEMO_LABEL}")),
            "{}",
            a.content
        );
        assert!(a
            .content
            .contains("Last spring our deploy bot merged a change at 2 a.m."));
        assert!(a.content.contains("I had trusted the green checks!"));
        assert!(
            !a.content.contains("Write the post"),
            "the task is not story text"
        );
        assert!(a.output_tokens > 10 && a.input_tokens > a.output_tokens / 2);
        let again = ask("# Writer\n\nWrite one post.", STORY, false);
        assert_eq!(a.content, again.content, "same input, same output");
    }

    #[test]
    fn processor_notes_feed_a_writer_that_still_quotes_the_author() {
        let notes = ask("# Story processor\n\nExtract.", STORY, false).content;
        assert!(notes.contains("## Raw material"), "{notes}");
        assert!(notes.contains("- Nobody reviewed it."));
        assert!(notes.contains(DEMO_LABEL));
        let user = format!("## Input Files\n\n### processed\n\n{notes}\n");
        let post = ask("# Writer", &user, false).content;
        assert!(
            post.contains("Nobody reviewed it. I had trusted the green checks!"),
            "{post}"
        );
        assert!(
            !post.contains("Shape:") && !post.contains("offline demo output"),
            "{post}"
        );
    }

    #[test]
    fn feedback_visibly_changes_the_answer() {
        let plain = ask("# Synthesizer", STORY, false).content;
        let with =
            format!("{STORY}\n\n## USER FEEDBACK\n\nMention the 2 a.m. timing first.\nMore.");
        let revised = ask("# Synthesizer", &with, false).content;
        assert_ne!(plain, revised);
        assert!(revised.ends_with("Revised after feedback: Mention the 2 a.m. timing first."));
        assert!(!revised.contains("More."), "only the first line is echoed");
    }

    #[test]
    fn each_shipped_persona_gets_the_kind_of_answer_its_step_expects() {
        use crate::workflow::prompt::{compose, PromptParts};
        for (persona, want) in [
            ("story-reviewer", Kind::Verdict),
            ("story-processor", Kind::Notes),
            ("writer", Kind::Post),
            ("fabrication-auditor", Kind::Verdict),
            ("style-auditor", Kind::Verdict),
            ("synthesizer", Kind::Post),
            ("auditor", Kind::Verdict),
        ] {
            let (system, _) = compose(&PromptParts {
                persona: Some(persona),
                ..Default::default()
            })
            .unwrap();
            assert_eq!(kind_of(&system, false), want, "{persona}");
        }
    }

    #[test]
    fn sentences_split_on_end_punctuation_only() {
        assert_eq!(
            split_sentences("He said \"stop.\" Then v1.2 shipped? Yes"),
            vec!["He said \"stop.\"", "Then v1.2 shipped?", "Yes"]
        );
    }
}
