//! A persona template (`workflows/personas/<slug>.md`): optional front matter saying what the
//! prompt composer must add around it, then the instructions themselves.

use serde::Deserialize;

use super::validate::{parse_yaml, ConfigError};

/// Which shared rules go in front of a persona.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RulesLevel {
    /// Core rules and writing rules.
    #[default]
    Full,
    Core,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonaMeta {
    #[serde(default = "yes")]
    pub needs_voice: bool,
    #[serde(default)]
    pub needs_rules: RulesLevel,
}

impl Default for PersonaMeta {
    fn default() -> Self {
        PersonaMeta {
            needs_voice: true,
            needs_rules: RulesLevel::Full,
        }
    }
}

fn yes() -> bool {
    true
}

/// Splits a template into its front matter (defaults when there is none) and its body.
pub fn parse_persona(text: &str) -> Result<(PersonaMeta, &str), ConfigError> {
    let Some(rest) = text.strip_prefix("---\n") else {
        return Ok((PersonaMeta::default(), text.trim()));
    };
    let Some(end) = rest.find("\n---\n") else {
        return Err(ConfigError::new(
            1,
            "front matter has no closing `---` line",
        ));
    };
    let meta = parse_yaml::<PersonaMeta>(&rest[..end + 1]).map_err(|e| ConfigError {
        // The front matter starts on line 2 of the file.
        line: e.line + 1,
        ..e
    })?;
    Ok((meta, rest[end + 5..].trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_is_optional_and_defaults_to_voice_and_full_rules() {
        let (meta, body) = parse_persona("# Writer\n\nWrite.\n").unwrap();
        assert_eq!(meta, PersonaMeta::default());
        assert_eq!(body, "# Writer\n\nWrite.");
        let (meta, body) =
            parse_persona("---\nneeds_voice: false\nneeds_rules: core\n---\n# R\n").unwrap();
        assert!(!meta.needs_voice);
        assert_eq!(meta.needs_rules, RulesLevel::Core);
        assert_eq!(body, "# R");
    }

    #[test]
    fn bad_front_matter_reports_the_file_line() {
        let err =
            parse_persona("---\nneeds_voice: false\nneeds_rules: most\n---\nx\n").unwrap_err();
        assert_eq!(err.line, 3, "{err}");
        assert_eq!(
            parse_persona("---\nneeds_voice: true\n").unwrap_err().line,
            1
        );
    }

    #[test]
    fn every_shipped_persona_parses() {
        let slugs = [
            "story-reviewer",
            "story-processor",
            "writer",
            "fabrication-auditor",
            "style-auditor",
            "synthesizer",
            "auditor",
        ];
        for slug in slugs {
            let text = super::super::bundled_text(&format!("personas/{slug}.md")).unwrap();
            let (meta, body) = parse_persona(&text).unwrap_or_else(|e| panic!("{slug}: {e}"));
            assert!(body.starts_with('#'), "{slug}");
            let writes_prose = matches!(slug, "writer" | "style-auditor" | "synthesizer");
            assert_eq!(meta.needs_voice, writes_prose, "{slug}");
        }
    }
}
