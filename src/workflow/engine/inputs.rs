//! What a state reads. Configs name inputs as paths (`workflow/drafts/*.md`), the shape the
//! original file-based engine used; here every output lives in `workflow_outputs`, so each
//! path is mapped to the output type it stands for and the newest matching rows are used.

use crate::model::RunOutput;
use crate::workflow::config::model::Inputs;
use crate::workflow::prompt::PromptInput;

/// The output type for the story the user submitted; stored as the run's first output.
pub const STORY: &str = "input";
/// What the author added when the reviewer asked for details; it belongs with the story.
pub const STORY_DETAILS: &str = "story_details";
/// A person's feedback at an approval step.
pub const HUMAN_FEEDBACK: &str = "human_feedback";

/// The output type a configured input path stands for. Order matters: `final_audit` before
/// `audit` and `final`.
pub fn type_of_path(path: &str) -> Option<&'static str> {
    let p = path.to_ascii_lowercase();
    let table: [(&str, &str); 7] = [
        ("final_audit", "final_audit"),
        ("audit", "audit"),
        ("draft", "draft"),
        ("processed", "processed"),
        ("review", "review"),
        ("final", "final"),
        ("input", STORY),
    ];
    table
        .iter()
        .find(|(needle, _)| p.contains(needle))
        .map(|(_, t)| *t)
        .or_else(|| p.contains("story").then_some(STORY))
}

fn label_of(output_type: &str, agent: &str) -> String {
    match output_type {
        "draft" => format!("Draft by {agent}"),
        "audit" => format!("Audit by {agent}"),
        "final_audit" => "Final audit".into(),
        "processed" => "Processed story".into(),
        "review" => "Story review".into(),
        "final" => "Final post".into(),
        other => other.replace('_', " "),
    }
}

/// The story as the agents should see it: the original plus any details the author added
/// when asked.
pub fn story_text(outputs: &[RunOutput]) -> String {
    let mut text = outputs
        .iter()
        .find(|o| o.output_type == STORY)
        .map(|o| o.content.clone())
        .unwrap_or_default();
    let details: Vec<&str> = outputs
        .iter()
        .filter(|o| o.output_type == STORY_DETAILS)
        .map(|o| o.content.as_str())
        .collect();
    if !details.is_empty() {
        text.push_str("\n\n## Details the author added\n");
        for d in details {
            text.push_str("\n- ");
            text.push_str(d.trim());
        }
    }
    text
}

/// The newest outputs of one type: for types several agents write at once (drafts, audits),
/// every agent's output from the latest step that wrote that type.
pub fn latest_of<'a>(outputs: &'a [RunOutput], output_type: &str) -> Vec<&'a RunOutput> {
    let Some(step) = outputs
        .iter()
        .filter(|o| o.output_type == output_type)
        .map(|o| o.step)
        .max()
    else {
        return Vec::new();
    };
    outputs
        .iter()
        .filter(|o| o.output_type == output_type && o.step == step)
        .collect()
}

/// Resolves a state's configured inputs against the run's outputs.
pub fn resolve(spec: Option<&Inputs>, outputs: &[RunOutput]) -> Vec<PromptInput> {
    let paths: Vec<&str> = match spec {
        None => Vec::new(),
        Some(Inputs::One(p)) => vec![p.as_str()],
        Some(Inputs::Many(ps)) => ps.iter().map(String::as_str).collect(),
    };
    let mut out: Vec<PromptInput> = Vec::new();
    for path in paths {
        let Some(output_type) = type_of_path(path) else {
            continue;
        };
        if output_type == STORY {
            push_unique(&mut out, "Story".into(), story_text(outputs));
            continue;
        }
        for o in latest_of(outputs, output_type) {
            push_unique(&mut out, label_of(output_type, &o.agent), o.content.clone());
        }
    }
    out
}

fn push_unique(out: &mut Vec<PromptInput>, label: String, content: String) {
    if !out.iter().any(|i| i.label == label) {
        out.push(PromptInput { label, content });
    }
}

/// The text a person judges at an approval step: its first input, else the final post, else
/// the newest draft.
pub fn shown_content(
    spec: Option<&Inputs>,
    outputs: &[RunOutput],
) -> (String, Option<&'static str>) {
    let first = match spec {
        Some(Inputs::One(p)) => Some(p.as_str()),
        Some(Inputs::Many(ps)) => ps.first().map(String::as_str),
        None => None,
    };
    let wanted = first.and_then(type_of_path);
    for t in wanted.into_iter().chain(["final", "draft"]) {
        if t == STORY {
            return (story_text(outputs), Some(STORY));
        }
        let rows = latest_of(outputs, t);
        if !rows.is_empty() {
            let text = rows
                .iter()
                .map(|o| {
                    if rows.len() > 1 {
                        format!("### {}\n{}", label_of(t, &o.agent), o.content)
                    } else {
                        o.content.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join("\n\n");
            return (text, Some(t));
        }
    }
    (String::new(), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_output_types() {
        assert_eq!(
            type_of_path("workflow/final/final_audit.json"),
            Some("final_audit")
        );
        assert_eq!(type_of_path("workflow/audits/*.json"), Some("audit"));
        assert_eq!(type_of_path("workflow/drafts/*.md"), Some("draft"));
        assert_eq!(type_of_path("workflow/final/final_post.md"), Some("final"));
        assert_eq!(type_of_path("workflow/input/story_input.md"), Some(STORY));
        assert_eq!(
            type_of_path("workflow/review/review_result.json"),
            Some("review")
        );
        assert_eq!(type_of_path("elsewhere.txt"), None);
    }
}
