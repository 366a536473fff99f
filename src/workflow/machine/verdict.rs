//! Reading an auditor's answer as a verdict, and combining several auditors' verdicts
//! (spec §2.4). Models wrap their JSON in prose and code fences and sometimes add stray
//! closing braces, so extraction is forgiving; the verdict itself is not: anything that is
//! JSON-shaped but unreadable fails closed as a low-score retry.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What an auditor wants to happen, ordered from lenient to strict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Proceed,
    Retry,
    Halt,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Proceed => "proceed",
            Decision::Retry => "retry",
            Decision::Halt => "halt",
        }
    }

    /// Higher is stricter: when auditors disagree the strictest one wins.
    pub fn strictness(self) -> u8 {
        match self {
            Decision::Proceed => 0,
            Decision::Retry => 1,
            Decision::Halt => 2,
        }
    }

    /// Accepts the three names in any case, surrounded by any whitespace.
    pub fn parse(s: &str) -> Option<Decision> {
        match s.trim().to_ascii_lowercase().as_str() {
            "proceed" => Some(Decision::Proceed),
            "retry" => Some(Decision::Retry),
            "halt" => Some(Decision::Halt),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    pub severity: String,
    pub issue: String,
    pub fix: String,
    pub line_reference: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub score: u8,
    pub decision: Decision,
    pub feedback: String,
    pub issues: Vec<Issue>,
    pub questions: Vec<String>,
    /// true when the text was unusable and we failed closed
    pub malformed: bool,
}

const SEVERITIES: [&str; 3] = ["critical", "major", "minor"];

const INVALID_JSON_FEEDBACK: &str = "Your previous answer was not valid JSON, so it could not be \
read. Answer again with exactly one valid JSON object and nothing else, with the fields \
\"score\" (an integer from 1 to 10), \"decision\" (\"proceed\", \"retry\" or \"halt\") and \
\"feedback\" (a string).";

/// The JSON object inside a model's answer, if any (spec §2.4, §6.10).
///
/// Looks inside the first code fence when that fence holds a `{`, starts at the first `{`,
/// and when the text ends in `}` drops trailing braces one at a time until the text parses.
/// Otherwise (prose after the object, or nothing parses) it is the span from the first `{`
/// to the last `}` (or to the end when there is none), which may still be invalid: the caller
/// decides what invalid means.
pub fn extract_json(text: &str) -> Option<String> {
    let text = text.trim();
    let body = fenced(text).filter(|f| f.contains('{')).unwrap_or(text);
    let start = body.find('{')?;
    let candidate = body[start..].trim_end();
    if candidate.ends_with('}') {
        let mut attempt = candidate;
        while attempt.ends_with('}') {
            if serde_json::from_str::<Value>(attempt).is_ok() {
                return Some(attempt.to_string());
            }
            attempt = attempt[..attempt.len() - 1].trim_end();
        }
    }
    // A `{` with no `}` is a truncated answer: hand it on so the caller fails closed rather
    // than mistaking it for plain text.
    let end = candidate.rfind('}').map_or(candidate.len(), |e| e + 1);
    Some(candidate[..end].to_string())
}

/// The inside of the first ``` fence (its language tag dropped), to the closing fence or the
/// end of the text when the model forgot to close it.
fn fenced(text: &str) -> Option<&str> {
    let open = text.find("```")?;
    let after = &text[open + 3..];
    // The rest of the opening line is a language tag such as `json`.
    let body = match after.find('\n') {
        Some(nl) => &after[nl + 1..],
        None => after,
    };
    Some(match body.find("```") {
        Some(close) => &body[..close],
        None => body,
    })
}

/// The verdict in an auditor's answer. `None` when the text holds no JSON object at all, so
/// the caller falls back to counting successes. `reviewer_rule` applies the story reviewer's
/// rule: below 9 with open questions, the author must be asked, so the decision is retry.
pub fn parse_verdict(text: &str, reviewer_rule: bool) -> Option<Verdict> {
    let json = extract_json(text)?;
    let value: Value = match serde_json::from_str(&json) {
        Ok(v) => v,
        Err(_) => return Some(fail_closed(INVALID_JSON_FEEDBACK.to_string())),
    };
    let Some(obj) = value.as_object() else {
        return Some(fail_closed(INVALID_JSON_FEEDBACK.to_string()));
    };
    match validate(obj) {
        Ok(mut verdict) => {
            if reviewer_rule && verdict.score < 9 && !verdict.questions.is_empty() {
                verdict.decision = Decision::Retry;
            }
            Some(verdict)
        }
        Err(problem) => Some(fail_closed(format!(
            "Your previous answer failed audit validation: {problem}. Answer again with exactly \
             one valid JSON object: \"score\" an integer from 1 to 10, \"decision\" one of \
             \"proceed\", \"retry\" or \"halt\", \"feedback\" a string, and optionally \"issues\" \
             as a list of {{\"severity\": \"critical|major|minor\", \"issue\", \"fix\"}}."
        ))),
    }
}

fn fail_closed(feedback: String) -> Verdict {
    Verdict {
        score: 1,
        decision: Decision::Retry,
        feedback,
        issues: Vec::new(),
        questions: Vec::new(),
        malformed: true,
    }
}

fn validate(obj: &Map<String, Value>) -> Result<Verdict, String> {
    let score = match obj.get("score") {
        None => return Err("\"score\" is missing".into()),
        Some(v) => whole_number(v)
            .filter(|n| (1..=10).contains(n))
            .ok_or_else(|| format!("\"score\" must be an integer from 1 to 10, not {v}"))?,
    };
    let decision = match obj.get("decision") {
        None => return Err("\"decision\" is missing".into()),
        Some(v) => v.as_str().and_then(Decision::parse).ok_or_else(|| {
            format!("\"decision\" must be \"proceed\", \"retry\" or \"halt\", not {v}")
        })?,
    };
    let feedback = match obj.get("feedback") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => return Err(format!("\"feedback\" must be a string, not {v}")),
    };
    let issues = match obj.get("issues") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| issue(item).map_err(|e| format!("issue {}: {e}", i + 1)))
            .collect::<Result<Vec<_>, _>>()?,
        Some(v) => return Err(format!("\"issues\" must be a list, not {v}")),
    };
    // Questions belong to the reviewer's own format, not the verdict schema, so a malformed
    // list is ignored rather than failing the verdict.
    let questions = obj
        .get("questions")
        .and_then(Value::as_array)
        .map(|qs| {
            qs.iter()
                .filter_map(Value::as_str)
                .map(str::trim)
                .filter(|q| !q.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    Ok(Verdict {
        // The range check above makes the narrowing lossless.
        score: score as u8,
        decision,
        feedback,
        issues,
        questions,
        malformed: false,
    })
}

/// An integer given as a number (8 or 8.0) or as a numeric string ("8"), which models emit
/// interchangeably; fractions and words are not scores.
fn whole_number(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 1e9)
                .map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn issue(item: &Value) -> Result<Issue, String> {
    let obj = item.as_object().ok_or("must be an object")?;
    let text = |key: &str| -> Result<String, String> {
        match obj.get(key) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(v) => Err(format!("\"{key}\" must be a string, not {v}")),
            None => Err(format!("\"{key}\" is missing")),
        }
    };
    let severity = text("severity")?.trim().to_ascii_lowercase();
    if !SEVERITIES.contains(&severity.as_str()) {
        return Err(format!(
            "\"severity\" must be critical, major or minor, not \"{severity}\""
        ));
    }
    let line_reference = match obj.get("line_reference") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(v) => return Err(format!("\"line_reference\" must be a string, not {v}")),
    };
    Ok(Issue {
        severity,
        issue: text("issue")?,
        fix: text("fix")?,
        line_reference,
    })
}

/// Several auditors' verdicts as one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Aggregate {
    pub decision: Decision,
    pub min_score: u8,
    pub feedback: String,
}

/// Strictest wins, min score kept, feedback = one block per auditor "### <agent> — score N/10, <decision>\n<feedback>".
/// `None` when no auditor produced a verdict.
pub fn aggregate(verdicts: &[(String, Verdict)]) -> Option<Aggregate> {
    let decision = verdicts.iter().map(|(_, v)| v.decision).max()?;
    let min_score = verdicts.iter().map(|(_, v)| v.score).min()?;
    let feedback = verdicts
        .iter()
        .map(|(agent, v)| {
            format!(
                "### {agent} — score {}/10, {}\n{}",
                v.score,
                v.decision.as_str(),
                v.feedback.trim()
            )
        })
        .collect::<Vec<_>>()
        .join("\n\n");
    Some(Aggregate {
        decision,
        min_score,
        feedback,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(score: u8, decision: Decision, feedback: &str) -> Verdict {
        Verdict {
            score,
            decision,
            feedback: feedback.into(),
            issues: Vec::new(),
            questions: Vec::new(),
            malformed: false,
        }
    }

    fn parsed(text: &str) -> Verdict {
        parse_verdict(text, false).expect("a verdict")
    }

    #[test]
    fn a_bare_json_verdict_parses() {
        let v = parsed(r#"{"score": 8, "decision": "proceed", "feedback": "Good."}"#);
        assert_eq!(v, verdict(8, Decision::Proceed, "Good."));
    }

    #[test]
    fn fenced_json_with_surrounding_prose_parses() {
        let text = "Here is my audit of the drafts.\n\n```json\n{\"score\": 6, \"decision\": \
                    \"retry\", \"feedback\": \"Hook is weak.\"}\n```\n\nLet me know if you need more.";
        let v = parsed(text);
        assert_eq!(v.decision, Decision::Retry);
        assert_eq!(v.score, 6);
        assert_eq!(v.feedback, "Hook is weak.");
        assert!(!v.malformed);
    }

    #[test]
    fn an_untagged_fence_parses() {
        let v = parsed("```\n{\"score\": 9, \"decision\": \"proceed\", \"feedback\": \"ok\"}\n```");
        assert_eq!(v.score, 9);
    }

    #[test]
    fn prose_after_an_unfenced_object_is_ignored() {
        let v = parsed(
            "Verdict: {\"score\": 7, \"decision\": \"retry\", \"feedback\": \"x\"} -- hope this helps",
        );
        assert_eq!(v.decision, Decision::Retry);
    }

    #[test]
    fn trailing_extra_braces_outside_a_fence_are_dropped() {
        for garbage in ["}", "}}", "}}}", " }\n}"] {
            let text = format!(
                "{{\"score\": 8, \"decision\": \"proceed\", \"feedback\": \"f\"}}{garbage}"
            );
            let v = parsed(&text);
            assert!(!v.malformed, "{text}");
            assert_eq!(v.score, 8);
        }
    }

    #[test]
    fn trailing_extra_braces_inside_a_fence_are_dropped() {
        let text = "```json\n{\"score\": 5, \"decision\": \"retry\", \"feedback\": \"f\", \
                    \"issues\": [{\"severity\": \"major\", \"issue\": \"i\", \"fix\": \"x\"}]}}}\n```";
        let v = parsed(text);
        assert!(!v.malformed);
        assert_eq!(v.issues.len(), 1);
        assert_eq!(v.issues[0].severity, "major");
    }

    #[test]
    fn extraction_keeps_nested_objects_whole() {
        let text = "{\"a\": {\"b\": 1}}}}";
        assert_eq!(extract_json(text).as_deref(), Some("{\"a\": {\"b\": 1}}"));
    }

    #[test]
    fn a_fence_without_json_does_not_hide_json_elsewhere() {
        let text =
            "```\nsome code\n```\n{\"score\": 8, \"decision\": \"proceed\", \"feedback\": \"\"}";
        assert_eq!(parsed(text).score, 8);
    }

    #[test]
    fn plain_text_has_no_verdict() {
        assert_eq!(parse_verdict("The post looks great, ship it.", false), None);
        assert_eq!(parse_verdict("", false), None);
        assert_eq!(extract_json("no braces here"), None);
    }

    #[test]
    fn invalid_json_fails_closed_as_a_low_retry() {
        for text in [
            "{\"score\": 8, \"decision\": \"proceed\",",
            "{score: 8, decision: proceed}",
            "```json\n{\"score\": 8 \"decision\": \"proceed\"}\n```",
        ] {
            let v = parsed(text);
            assert!(v.malformed, "{text}");
            assert_eq!(v.score, 1);
            assert_eq!(v.decision, Decision::Retry);
            assert!(v.feedback.contains("valid JSON"), "{}", v.feedback);
        }
    }

    #[test]
    fn schema_failures_fail_closed_as_a_low_retry() {
        for text in [
            r#"{"score": 11, "decision": "proceed", "feedback": ""}"#,
            r#"{"score": 0, "decision": "proceed", "feedback": ""}"#,
            r#"{"score": 8, "decision": "maybe", "feedback": ""}"#,
            r#"{"score": "x", "decision": "proceed", "feedback": ""}"#,
            r#"{"score": 7.5, "decision": "proceed", "feedback": ""}"#,
            r#"{"decision": "proceed", "feedback": ""}"#,
            r#"{"score": 8, "feedback": ""}"#,
            r#"{"score": 8, "decision": "proceed", "feedback": 3}"#,
            r#"{"score": 8, "decision": "proceed", "issues": [{"severity": "huge", "issue": "i", "fix": "f"}]}"#,
            r#"{"score": 8, "decision": "proceed", "issues": [{"severity": "minor", "issue": "i"}]}"#,
            r#"{"score": 8, "decision": "proceed", "issues": "none"}"#,
        ] {
            let v = parsed(text);
            assert!(v.malformed, "{text}");
            assert_eq!((v.score, v.decision), (1, Decision::Retry), "{text}");
            assert!(
                v.feedback.contains("failed audit validation"),
                "{}",
                v.feedback
            );
        }
    }

    #[test]
    fn lenient_forms_of_valid_fields_are_accepted() {
        let v = parsed(
            r#"{"score": "9", "decision": " Proceed ", "extra": [1, 2],
                "issues": [{"severity": "Minor", "issue": "i", "fix": "f", "line_reference": 4}]}"#,
        );
        assert!(!v.malformed);
        assert_eq!((v.score, v.decision), (9, Decision::Proceed));
        assert_eq!(v.feedback, "");
        assert_eq!(v.issues[0].severity, "minor");
        assert_eq!(v.issues[0].line_reference.as_deref(), Some("4"));
        assert_eq!(parsed(r#"{"score": 8.0, "decision": "halt"}"#).score, 8);
    }

    #[test]
    fn reviewer_rule_forces_retry_below_nine_with_questions() {
        let text =
            r#"{"score": 8, "decision": "proceed", "feedback": "f", "questions": ["What broke?"]}"#;
        let v = parse_verdict(text, true).unwrap();
        assert_eq!(v.decision, Decision::Retry);
        assert_eq!(v.questions, vec!["What broke?".to_string()]);
        // The rule belongs to the reviewer only.
        assert_eq!(parsed(text).decision, Decision::Proceed);
    }

    #[test]
    fn reviewer_rule_spares_high_scores_and_empty_questions() {
        let nine =
            r#"{"score": 9, "decision": "proceed", "feedback": "", "questions": ["Any more?"]}"#;
        assert_eq!(
            parse_verdict(nine, true).unwrap().decision,
            Decision::Proceed
        );
        let none = r#"{"score": 5, "decision": "proceed", "feedback": "", "questions": []}"#;
        assert_eq!(
            parse_verdict(none, true).unwrap().decision,
            Decision::Proceed
        );
        let blank = r#"{"score": 5, "decision": "proceed", "feedback": "", "questions": ["  "]}"#;
        assert_eq!(
            parse_verdict(blank, true).unwrap().decision,
            Decision::Proceed
        );
    }

    #[test]
    fn decisions_order_by_strictness() {
        assert!(Decision::Halt > Decision::Retry && Decision::Retry > Decision::Proceed);
        assert!(Decision::Halt.strictness() > Decision::Retry.strictness());
        assert_eq!(Decision::Retry.as_str(), "retry");
        assert_eq!(serde_json::to_string(&Decision::Halt).unwrap(), "\"halt\"");
    }

    #[test]
    fn aggregate_of_all_proceed_is_proceed_with_the_lowest_score() {
        let agg = aggregate(&[
            ("fab".into(), verdict(9, Decision::Proceed, "clean")),
            ("style".into(), verdict(8, Decision::Proceed, "fine")),
        ])
        .unwrap();
        assert_eq!(agg.decision, Decision::Proceed);
        assert_eq!(agg.min_score, 8);
    }

    #[test]
    fn one_retry_makes_the_aggregate_retry_with_every_auditors_feedback() {
        let agg = aggregate(&[
            (
                "fab".into(),
                verdict(9, Decision::Proceed, "No fabrications."),
            ),
            (
                "style".into(),
                verdict(6, Decision::Retry, "Remove the em dashes."),
            ),
        ])
        .unwrap();
        assert_eq!(agg.decision, Decision::Retry);
        assert_eq!(agg.min_score, 6);
        assert_eq!(
            agg.feedback,
            "### fab — score 9/10, proceed\nNo fabrications.\n\n\
             ### style — score 6/10, retry\nRemove the em dashes."
        );
    }

    #[test]
    fn halt_beats_retry_and_the_minimum_score_is_kept() {
        let agg = aggregate(&[
            ("a".into(), verdict(5, Decision::Retry, "")),
            ("b".into(), verdict(7, Decision::Halt, "")),
            ("c".into(), verdict(3, Decision::Retry, "")),
        ])
        .unwrap();
        assert_eq!(agg.decision, Decision::Halt);
        assert_eq!(agg.min_score, 3);
    }

    #[test]
    fn aggregate_of_nothing_is_none() {
        assert_eq!(aggregate(&[]), None);
    }

    #[test]
    fn verdicts_round_trip_through_json() {
        let v = parsed(r#"{"score": 4, "decision": "halt", "feedback": "no"}"#);
        let back: Verdict = serde_json::from_str(&serde_json::to_string(&v).unwrap()).unwrap();
        assert_eq!(back, v);
    }
}
