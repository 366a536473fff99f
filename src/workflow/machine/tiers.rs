//! Tier overlays (checklist 56): a subscription tier swaps the agents of the draft and audit
//! fan-outs while the rest of the workflow stays as written.

use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use crate::workflow::config::model::{Entries, OutputType, Overlay, StateType, WorkflowConfig};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OverlayTier {
    Standard,
    Premium,
}

impl OverlayTier {
    pub fn as_str(self) -> &'static str {
        match self {
            OverlayTier::Standard => "standard",
            OverlayTier::Premium => "premium",
        }
    }

    pub fn parse(s: &str) -> Option<OverlayTier> {
        match s.trim().to_ascii_lowercase().as_str() {
            "standard" => Some(OverlayTier::Standard),
            "premium" => Some(OverlayTier::Premium),
            _ => None,
        }
    }
}

/// Returns a copy where fan-out states with output_type draft use the overlay's draft_agents
/// and fan-out states with output_type audit use audit_agents. No overlay block => unchanged clone.
///
/// A fan-out with per-agent personas keeps one persona per agent: an agent the map already
/// names keeps its entry, any other takes the persona at its own position in the old map
/// (wrapping round), so two new auditors still split fabrication and style between them.
/// Entries for agents no longer in the list are dropped.
pub fn apply_overlay(cfg: &WorkflowConfig, tier: OverlayTier) -> WorkflowConfig {
    let mut out = cfg.clone();
    let Some(overlay) = overlay_for(cfg, tier) else {
        return out;
    };
    for (_, state) in out.states.0.iter_mut() {
        if state.kind != StateType::FanOut {
            continue;
        }
        let agents = match state.output_type {
            Some(OutputType::Draft) => &overlay.draft_agents,
            Some(OutputType::Audit) => &overlay.audit_agents,
            _ => continue,
        };
        if agents.is_empty() {
            continue;
        }
        state.personas = remap_personas(&state.personas, agents);
        state.agents = agents.clone();
    }
    out
}

fn overlay_for(cfg: &WorkflowConfig, tier: OverlayTier) -> Option<&Overlay> {
    let tiers = cfg.tiers.as_ref()?;
    match tier {
        OverlayTier::Standard => tiers.standard.as_ref(),
        OverlayTier::Premium => tiers.premium.as_ref(),
    }
}

fn remap_personas(
    old: &Entries<Spanned<String>>,
    agents: &[Spanned<String>],
) -> Entries<Spanned<String>> {
    // Without a map the state's shared `persona` covers every agent already.
    if old.is_empty() {
        return Entries::default();
    }
    let entries = agents
        .iter()
        .enumerate()
        .map(|(i, agent)| {
            let persona = old
                .get(&agent.value)
                .unwrap_or_else(|| &old.0[i % old.0.len()].1);
            (agent.clone(), persona.clone())
        })
        .collect();
    Entries(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::machine::testing::{config, shipped};

    const BASE: &str = "\
name: Tiered
agents:
  a: {provider: groq, model: m}
  b: {provider: groq, model: m}
  c: {provider: groq, model: m}
  d: {provider: groq, model: m}
tiers:
  premium:
    draft_agents: [c, d]
    audit_agents: [d, c, a]
states:
  begin: {type: initial, next: draft}
  draft:
    type: fan-out
    agents: [a]
    persona: writer
    output_type: draft
    transitions: {all_success: audit, partial_success: audit, all_failure: done}
  audit:
    type: fan-out
    agents: [a, b]
    personas: {a: fabrication-auditor, b: style-auditor}
    output_type: audit
    transitions: {proceed: other, retry: draft, halt: done}
  other:
    type: fan-out
    agents: [b]
    persona: writer
    transitions: {all_success: done, partial_success: done, all_failure: done}
  done: {type: terminal}
";

    fn names(v: &[Spanned<String>]) -> Vec<&str> {
        v.iter().map(|s| s.value.as_str()).collect()
    }

    fn personas(cfg: &WorkflowConfig, state: &str) -> Vec<(String, String)> {
        cfg.states
            .get(state)
            .unwrap()
            .personas
            .0
            .iter()
            .map(|(k, v)| (k.value.clone(), v.value.clone()))
            .collect()
    }

    #[test]
    fn the_overlay_replaces_draft_and_audit_fan_out_agents() {
        let cfg = config(BASE);
        let premium = apply_overlay(&cfg, OverlayTier::Premium);
        assert_eq!(
            names(&premium.states.get("draft").unwrap().agents),
            ["c", "d"]
        );
        assert_eq!(
            names(&premium.states.get("audit").unwrap().agents),
            ["d", "c", "a"]
        );
        // A fan-out that is neither drafting nor auditing is left alone.
        assert_eq!(names(&premium.states.get("other").unwrap().agents), ["b"]);
        // The original is untouched.
        assert_eq!(names(&cfg.states.get("draft").unwrap().agents), ["a"]);
    }

    #[test]
    fn every_new_auditor_gets_a_persona() {
        let premium = apply_overlay(&config(BASE), OverlayTier::Premium);
        assert_eq!(
            personas(&premium, "audit"),
            [
                ("d".to_string(), "fabrication-auditor".to_string()),
                ("c".to_string(), "style-auditor".to_string()),
                ("a".to_string(), "fabrication-auditor".to_string()),
            ]
        );
        // Shared-persona fan-outs need no map.
        assert!(personas(&premium, "draft").is_empty());
    }

    #[test]
    fn a_missing_tier_block_leaves_the_workflow_as_it_is() {
        let cfg = config(BASE);
        let standard = apply_overlay(&cfg, OverlayTier::Standard);
        assert_eq!(
            names(&standard.states.get("audit").unwrap().agents),
            ["a", "b"]
        );
        let plain = config(&BASE.replace(
            "tiers:\n  premium:\n    draft_agents: [c, d]\n    audit_agents: [d, c, a]\n",
            "",
        ));
        let same = apply_overlay(&plain, OverlayTier::Premium);
        assert_eq!(names(&same.states.get("draft").unwrap().agents), ["a"]);
    }

    #[test]
    fn the_shipped_groq_tiers_apply() {
        let groq = shipped("groq");
        for tier in [OverlayTier::Standard, OverlayTier::Premium] {
            let applied = apply_overlay(&groq, tier);
            let audit = applied.states.get("audit").unwrap();
            assert!(!audit.agents.is_empty());
            for agent in &audit.agents {
                assert!(
                    applied.agents.get(&agent.value).is_some(),
                    "{}",
                    agent.value
                );
                assert!(
                    audit.personas.get(&agent.value).is_some(),
                    "{}",
                    agent.value
                );
            }
        }
        let standard = apply_overlay(&groq, OverlayTier::Standard);
        assert!(standard.states.get("draft").unwrap().agents.len() < 3);
    }

    #[test]
    fn tier_names_parse() {
        assert_eq!(OverlayTier::parse("Premium"), Some(OverlayTier::Premium));
        assert_eq!(OverlayTier::parse("free"), None);
        assert_eq!(OverlayTier::Standard.as_str(), "standard");
    }
}
