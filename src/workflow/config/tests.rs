//! Each validation rule, with the line it reports, and the shipped workflows.

use super::validate::{check, ConfigError};
use super::{load_all, Source};

const PERSONAS: &[&str] = &["writer", "story-reviewer", "auditor"];

fn errors(yaml: &str) -> Vec<ConfigError> {
    match check(yaml, &|p| PERSONAS.contains(&p)) {
        Ok(_) => Vec::new(),
        Err(e) => e,
    }
}

fn assert_one(yaml: &str, line: usize, needle: &str) {
    let errs = errors(yaml);
    assert!(
        errs.iter()
            .any(|e| e.line == line && e.message.contains(needle)),
        "expected line {line} containing {needle:?}, got {errs:#?}"
    );
}

const VALID: &str = "\
name: Tiny
agents:
  w:
    provider: groq
    model: llama-3.1-8b-instant
states:
  begin:
    type: initial
    next: write
  write:
    agent: w
    persona: writer
    transitions:
      success: done
      failure: done
  done:
    type: terminal
";

#[test]
fn a_small_valid_workflow_passes() {
    let cfg = check(VALID, &|p| PERSONAS.contains(&p)).unwrap();
    assert_eq!(cfg.states.len(), 3);
    assert_eq!(cfg.agents.len(), 1);
}

#[test]
fn unknown_transition_target_names_its_line() {
    let yaml = VALID.replace("      success: done", "      success: publish");
    assert_one(&yaml, 14, "unknown state `publish`");
}

#[test]
fn unknown_next_target_names_its_line() {
    let yaml = VALID.replace("    next: write", "    next: wrte");
    assert_one(
        &yaml,
        9,
        "`next` of state `begin` goes to unknown state `wrte`",
    );
}

#[test]
fn undefined_agent_names_its_line() {
    let yaml = VALID.replace("    agent: w", "    agent: ghost");
    assert_one(&yaml, 11, "agent `ghost`, which is not defined");
}

#[test]
fn missing_persona_names_its_line() {
    let yaml = VALID.replace("    persona: writer", "    persona: poet");
    assert_one(&yaml, 12, "persona `poet`");
}

#[test]
fn unreachable_state_names_its_line() {
    let yaml = format!("{VALID}  orphan:\n    type: terminal\n");
    assert_one(&yaml, 18, "state `orphan` is unreachable");
}

#[test]
fn a_run_that_cannot_finish_is_reported_at_the_start_state() {
    let yaml = VALID
        .replace(
            "      success: done\n      failure: done",
            "      success: begin",
        )
        .replace("  done:\n    type: terminal\n", "");
    assert_one(&yaml, 7, "no terminal state is reachable");
}

#[test]
fn breaker_limits_above_the_hard_ceiling_are_rejected() {
    let yaml = format!(
        "{VALID}circuit_breaker:\n  transition_limit: 51\n  timeout_minutes: 61\n  cost_limit_usd: 10.5\n"
    );
    assert_one(&yaml, 19, "above the hard limit of 50");
    assert_one(&yaml, 20, "above the hard limit of 60 minutes");
    assert_one(&yaml, 21, "above the hard limit of $10.00");
    let at_limit = format!(
        "{VALID}circuit_breaker:\n  transition_limit: 50\n  timeout_minutes: 60\n  cost_limit_usd: 10.0\n"
    );
    assert!(errors(&at_limit).is_empty());
}

#[test]
fn outcomes_a_state_cannot_produce_are_rejected() {
    let yaml = VALID.replace("      failure: done", "      approved: done");
    assert_one(&yaml, 15, "never produces outcome `approved`");
}

#[test]
fn parse_errors_keep_the_parser_location() {
    let yaml = VALID.replace("    type: initial", "    type: beginning");
    let errs = errors(&yaml);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(errs[0].line, 8);
    let unknown_key = VALID.replace("    next: write", "    nxt: write");
    assert_eq!(errors(&unknown_key)[0].line, 9);
}

#[test]
fn a_state_defined_twice_is_a_parse_error_at_the_second_one() {
    let yaml = format!("{VALID}  done:\n    type: terminal\n");
    let errs = errors(&yaml);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(errs[0].line, 18, "{errs:#?}");
}

#[test]
fn several_problems_come_back_together_in_line_order() {
    let yaml = VALID
        .replace("    agent: w", "    agent: ghost")
        .replace("    next: write", "    next: nowhere");
    let lines: Vec<usize> = errors(&yaml).iter().map(|e| e.line).collect();
    assert!(lines.contains(&9) && lines.contains(&11), "{lines:?}");
    assert!(lines.windows(2).all(|w| w[0] <= w[1]), "{lines:?}");
    let first_at_9 = errors(&yaml).into_iter().find(|e| e.line == 9).unwrap();
    assert_eq!(
        first_at_9.in_file("x.yaml"),
        "x.yaml:9: `next` of state `begin` goes to unknown state `nowhere`"
    );
}

#[test]
fn every_shipped_workflow_validates_on_disk_and_embedded() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("workflows");
    for source in [Source::Dir(dir), Source::Embedded] {
        let (registry, loaded) = load_all(&source).unwrap_or_else(|e| panic!("{e:#?}"));
        let slugs: Vec<&str> = loaded.iter().map(|l| l.slug.as_str()).collect();
        for want in ["groq", "claude", "openai", "gemini", "ollama", "demo"] {
            assert!(slugs.contains(&want), "{slugs:?}");
        }
        // Development runs offline by default; production never defaults to the demo.
        assert_eq!(registry.default_for("development"), Some("demo"));
        assert_eq!(registry.default_for("production"), Some("groq"));
        for l in &loaded {
            assert!(l.config.states.len() >= 10, "{}", l.slug);
        }
    }
}

#[test]
fn shipped_personas_rules_and_voices_exist() {
    for f in [
        "personas/story-reviewer.md",
        "personas/story-processor.md",
        "personas/writer.md",
        "personas/fabrication-auditor.md",
        "personas/style-auditor.md",
        "personas/synthesizer.md",
        "personas/auditor.md",
        "rules/core.md",
        "rules/writing.md",
        "voices/conversational.md",
        "voices/professional.md",
        "voices/servant-leader.md",
    ] {
        let text = super::bundled_text(f).unwrap_or_else(|| panic!("{f} missing"));
        assert!(text.len() > 200, "{f} is too short");
    }
}

#[test]
fn registry_with_unknown_default_or_missing_file_is_rejected() {
    let text = "\
workflows:
  one:
    name: One
    config_file: configs/missing.yaml
    environment: production
deployment:
  production:
    default_workflow: two
";
    let errs = super::registry::parse_registry(text, &|_| false).unwrap_err();
    assert_eq!(errs[0].line, 4, "{errs:#?}");
    assert!(errs[0].message.contains("does not exist"));
    assert_eq!(errs[1].line, 8);
    assert!(errs[1].message.contains("default workflow `two`"));
}
