//! Builds the two texts of one agent call from the shipped persona files. The system text
//! says who the agent is and which rules bind it; the user text carries the material, with
//! any pending feedback last so it is the freshest thing the model reads.

use crate::workflow::config::bundled_text;
use crate::workflow::config::persona::{parse_persona, RulesLevel};

/// The voice used when a persona needs one and the caller names none.
pub const DEFAULT_VOICE: &str = "servant-leader";

/// Every shipped voice preset (`workflows/voices/<slug>.md`); a test keeps this list and
/// the folder in step.
const VOICE_SLUGS: [&str; 3] = ["conversational", "professional", "servant-leader"];

const STRICTNESS: &str = "\
!! Strict mode: your output is checked !!
Follow the persona instructions and every rule below exactly. Another agent reviews your work \
against the source material, and anything that breaks a rule is sent back.
- State nothing that is not in the material you are given: no names, numbers, places, tools \
or quotes from anywhere else.
- Where a detail is missing, stay general. A vague sentence is acceptable; an invented one \
is not.
- Expect every detail you write to be compared with the source.
------------------------------------------------------------";

/// One input file as the agent sees it: a label (its path or origin) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptInput {
    pub label: String,
    pub content: String,
}

/// What one call is made of; see [`compose`].
#[derive(Debug, Clone, Copy, Default)]
pub struct PromptParts<'a> {
    /// Persona slug (`workflows/personas/<slug>.md`).
    pub persona: Option<&'a str>,
    /// Voice preset slug (`workflows/voices/<slug>.md`); used only if the persona needs a
    /// voice, and then [`DEFAULT_VOICE`] when absent.
    pub voice: Option<&'a str>,
    /// Static context from the workflow config.
    pub context: Option<&'a str>,
    /// Orchestrator or extra instruction text.
    pub task: Option<&'a str>,
    pub inputs: &'a [PromptInput],
    /// Pending feedback, already formatted with its heading; goes last in the user message.
    pub feedback: Option<&'a str>,
}

/// Returns `(system, user)`.
///
/// System: the strictness preamble, the rules the persona asks for (full = core + writing,
/// core, or none), the voice when the persona needs one, then the persona itself. Without a
/// persona: the preamble and the core rules.
///
/// User: `## Context`, then `## Input Files` with a `### <label>` block per input, then
/// `## Task`, then the feedback. Empty parts are left out.
pub fn compose(parts: &PromptParts) -> Result<(String, String), String> {
    let mut system = vec![STRICTNESS.to_string()];
    match parts.persona.map(str::trim).filter(|p| !p.is_empty()) {
        None => system.push(shipped("rules/core.md")?),
        Some(slug) => {
            if !is_slug(slug) {
                return Err(format!("`{slug}` is not a valid persona name"));
            }
            let text = bundled_text(&format!("personas/{slug}.md")).ok_or_else(|| {
                format!("unknown persona `{slug}`: there is no workflows/personas/{slug}.md")
            })?;
            let (meta, body) =
                parse_persona(&text).map_err(|e| format!("persona `{slug}`: {e}"))?;
            match meta.needs_rules {
                RulesLevel::Full => {
                    system.push(shipped("rules/core.md")?);
                    system.push(shipped("rules/writing.md")?);
                }
                RulesLevel::Core => system.push(shipped("rules/core.md")?),
                RulesLevel::None => {}
            }
            if meta.needs_voice {
                let voice = parts
                    .voice
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .unwrap_or(DEFAULT_VOICE);
                system.push(voice_text(voice)?);
            }
            system.push(body.to_string());
        }
    }

    let mut user = Vec::new();
    if let Some(context) = non_empty(parts.context) {
        user.push(format!("## Context\n\n{context}"));
    }
    if !parts.inputs.is_empty() {
        user.push("## Input Files".to_string());
        for input in parts.inputs {
            user.push(format!("### {}\n\n{}", input.label, input.content.trim()));
        }
    }
    if let Some(task) = non_empty(parts.task) {
        user.push(format!("## Task\n\n{task}"));
    }
    if let Some(feedback) = non_empty(parts.feedback) {
        user.push(feedback.to_string());
    }
    Ok((join(system), join(user)))
}

/// A voice preset offered to the author.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoicePreset {
    pub slug: String,
    pub name: String,
    pub description: String,
}

/// The shipped voice presets, by slug: the name from each file's first heading (without a
/// leading "Voice:"), the description from its first paragraph.
pub fn voice_presets() -> Vec<VoicePreset> {
    VOICE_SLUGS
        .iter()
        .filter_map(|slug| {
            let text = bundled_text(&format!("voices/{slug}.md"))?;
            let name = text
                .lines()
                .find_map(|l| l.strip_prefix("# "))
                .map(|h| h.trim());
            let name = name
                .map(|h| h.strip_prefix("Voice:").unwrap_or(h).trim())
                .filter(|h| !h.is_empty())
                .map(capitalise)
                .unwrap_or_else(|| slug.to_string());
            let description = text
                .split("\n\n")
                .map(str::trim)
                .find(|p| !p.is_empty() && !p.starts_with('#'))
                .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
                .unwrap_or_default();
            Some(VoicePreset {
                slug: slug.to_string(),
                name,
                description,
            })
        })
        .collect()
}

fn voice_text(slug: &str) -> Result<String, String> {
    if !VOICE_SLUGS.contains(&slug) {
        return Err(format!(
            "unknown voice `{slug}` (one of: {})",
            VOICE_SLUGS.join(", ")
        ));
    }
    shipped(&format!("voices/{slug}.md"))
}

fn shipped(rel: &str) -> Result<String, String> {
    bundled_text(rel)
        .map(|t| t.trim().to_string())
        .ok_or_else(|| format!("workflows/{rel} is missing from this build"))
}

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

fn join(blocks: Vec<String>) -> String {
    blocks
        .iter()
        .map(|b| b.trim())
        .filter(|b| !b.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn is_slug(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn core() -> String {
        bundled_text("rules/core.md").unwrap().trim().to_string()
    }

    fn writing() -> String {
        bundled_text("rules/writing.md").unwrap().trim().to_string()
    }

    fn voice(slug: &str) -> String {
        bundled_text(&format!("voices/{slug}.md"))
            .unwrap()
            .trim()
            .to_string()
    }

    fn inputs() -> Vec<PromptInput> {
        vec![
            PromptInput {
                label: "workflow/input/story_input.md".into(),
                content: "The deploy bot merged at 2 a.m.\n".into(),
            },
            PromptInput {
                label: "[database:processed]".into(),
                content: "Shape: SHORT".into(),
            },
        ]
    }

    #[test]
    fn writer_gets_full_rules_then_voice_then_persona() {
        let (system, _) = compose(&PromptParts {
            persona: Some("writer"),
            voice: Some("conversational"),
            ..Default::default()
        })
        .unwrap();
        assert!(system.starts_with("!! Strict mode"), "{system}");
        let at = |needle: &str| system.find(needle).unwrap_or_else(|| panic!("{needle:?}"));
        let (c, w, v, p) = (
            at(&core()),
            at(&writing()),
            at(&voice("conversational")),
            at("# Writer"),
        );
        assert!(c < w && w < v && v < p, "{system}");
        assert!(!system.contains("needs_voice"), "front matter is stripped");
    }

    #[test]
    fn a_writer_without_a_voice_gets_the_default_one() {
        let (system, _) = compose(&PromptParts {
            persona: Some("synthesizer"),
            ..Default::default()
        })
        .unwrap();
        assert!(system.contains(&voice(DEFAULT_VOICE)));
    }

    #[test]
    fn auditors_get_core_rules_and_no_voice() {
        for persona in ["fabrication-auditor", "story-reviewer", "auditor"] {
            let (system, _) = compose(&PromptParts {
                persona: Some(persona),
                voice: Some("professional"),
                ..Default::default()
            })
            .unwrap();
            assert!(system.contains(&core()), "{persona}");
            assert!(!system.contains(&writing()), "{persona}");
            assert!(!system.contains("# Voice:"), "{persona}: {system}");
        }
    }

    #[test]
    fn inputs_appear_under_their_labels_and_feedback_comes_last() {
        let inputs = inputs();
        let (_, user) = compose(&PromptParts {
            persona: Some("writer"),
            context: Some("Audience: engineers."),
            task: Some("Merge the drafts."),
            inputs: &inputs,
            feedback: Some("## USER FEEDBACK\n\nShorter, please."),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            user,
            "## Context\n\nAudience: engineers.\n\n## Input Files\n\n\
             ### workflow/input/story_input.md\n\nThe deploy bot merged at 2 a.m.\n\n\
             ### [database:processed]\n\nShape: SHORT\n\n\
             ## Task\n\nMerge the drafts.\n\n## USER FEEDBACK\n\nShorter, please."
        );
        assert!(user.ends_with("Shorter, please."));
    }

    #[test]
    fn empty_parts_are_left_out() {
        let (system, user) = compose(&PromptParts::default()).unwrap();
        assert!(system.contains(&core()));
        assert_eq!(user, "");
    }

    #[test]
    fn unknown_persona_or_voice_is_an_error_naming_it() {
        let err = compose(&PromptParts {
            persona: Some("ghostwriter"),
            ..Default::default()
        })
        .unwrap_err();
        assert!(err.contains("unknown persona `ghostwriter`"), "{err}");
        assert!(compose(&PromptParts {
            persona: Some("../registry"),
            ..Default::default()
        })
        .is_err());
        let err = compose(&PromptParts {
            persona: Some("writer"),
            voice: Some("pirate"),
            ..Default::default()
        })
        .unwrap_err();
        assert!(err.contains("unknown voice `pirate`"), "{err}");
    }

    #[test]
    fn voice_presets_list_the_shipped_voices() {
        let presets = voice_presets();
        assert_eq!(presets.len(), 3);
        let servant = presets.iter().find(|p| p.slug == "servant-leader").unwrap();
        assert_eq!(servant.name, "Servant leader");
        assert!(servant.description.starts_with("Humble and people-first"));
        assert!(!servant.description.contains('\n'));
        // The list in code and the folder on disk name the same files.
        let mut on_disk: Vec<String> =
            std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/workflows/voices"))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().replace(".md", ""))
                .collect();
        on_disk.sort();
        assert_eq!(on_disk, VOICE_SLUGS);
    }
}
