//! What a call costs: US dollars per million input and output tokens, by model. Unknown
//! models (and local Ollama) cost nothing rather than a guess.

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pricing {
    pub input_per_mtok: f64,
    pub output_per_mtok: f64,
}

impl Pricing {
    pub const FREE: Pricing = Pricing {
        input_per_mtok: 0.0,
        output_per_mtok: 0.0,
    };

    pub fn for_model(model: &str) -> Pricing {
        let m = model.to_ascii_lowercase();
        let (i, o) = if m.contains("opus") {
            (15.0, 75.0)
        } else if m.contains("sonnet") {
            (3.0, 15.0)
        } else if m.contains("haiku") {
            (0.8, 4.0)
        } else if m.starts_with("gpt-4o-mini") {
            (0.15, 0.6)
        } else if m.starts_with("gpt-4o") {
            (2.5, 10.0)
        } else if m.starts_with("gpt-4.1-mini") {
            (0.4, 1.6)
        } else if m.starts_with("gpt-4.1") {
            (2.0, 8.0)
        } else if m.contains("gpt-oss-120b") {
            (0.15, 0.6)
        } else if m.contains("gpt-oss-20b") {
            (0.075, 0.3)
        } else if m.contains("llama-guard") {
            (0.2, 0.2)
        } else if m.contains("llama-3.3-70b") {
            (0.59, 0.79)
        } else if m.contains("llama-3.1-8b") {
            (0.05, 0.08)
        } else if m.contains("gemini-2.5-flash") {
            (0.3, 2.5)
        } else if m.contains("gemini-2.0-flash") || m.contains("gemini-1.5-flash") {
            (0.1, 0.4)
        } else if m.contains("gemini") && m.contains("pro") {
            (1.25, 10.0)
        } else {
            return Pricing::FREE;
        };
        Pricing {
            input_per_mtok: i,
            output_per_mtok: o,
        }
    }

    pub fn cost(&self, input_tokens: u64, output_tokens: u64) -> f64 {
        (input_tokens as f64 * self.input_per_mtok + output_tokens as f64 * self.output_per_mtok)
            / 1_000_000.0
    }
}

#[cfg(test)]
mod tests {
    use super::Pricing;

    #[test]
    fn cost_is_per_million_tokens() {
        let p = Pricing::for_model("claude-sonnet-4-5");
        assert!((p.cost(1_000_000, 0) - 3.0).abs() < 1e-9);
        assert!((p.cost(1000, 2000) - 0.033).abs() < 1e-9);
        assert_eq!(Pricing::for_model("my-local-model"), Pricing::FREE);
    }

    #[test]
    fn every_hosted_model_the_shipped_workflows_use_has_a_price() {
        for model in [
            "claude-haiku-4-5",
            "claude-opus-4-1",
            "claude-sonnet-4-5",
            "gemini-2.5-flash",
            "gemini-2.5-pro",
            "gpt-4.1",
            "gpt-4.1-mini",
            "gpt-4o",
            "llama-3.3-70b-versatile",
            "openai/gpt-oss-120b",
            "openai/gpt-oss-20b",
        ] {
            let p = Pricing::for_model(model);
            assert!(
                p.input_per_mtok > 0.0 && p.output_per_mtok > 0.0,
                "{model} has no price"
            );
        }
    }
}
