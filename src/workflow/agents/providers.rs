//! Where each provider lives and the key to use it, read once from the environment; turns a
//! workflow's agent definition into a ready adapter. Keys never leave this struct except into
//! the request headers of the adapter built from it.

use std::time::Duration;

use super::{Agent, AgentError, DemoAgent, Pricing, ProviderConfig, ProviderKind};
use crate::workflow::config::model::{AgentDef, Price, Provider};

const DEFAULT_TIMEOUT_SECS: u64 = 300;
const DEFAULT_MAX_TOKENS: u32 = 4096;

const KINDS: [ProviderKind; 5] = [
    ProviderKind::Anthropic,
    ProviderKind::OpenAi,
    ProviderKind::Groq,
    ProviderKind::Gemini,
    ProviderKind::Ollama,
];

fn slot(kind: ProviderKind) -> usize {
    match kind {
        ProviderKind::Anthropic => 0,
        ProviderKind::OpenAi => 1,
        ProviderKind::Groq => 2,
        ProviderKind::Gemini => 3,
        ProviderKind::Ollama => 4,
    }
}

/// The provider a workflow's `provider:` names; `None` for the offline demo agent.
pub fn kind_of(provider: Provider) -> Option<ProviderKind> {
    match provider {
        Provider::Anthropic => Some(ProviderKind::Anthropic),
        Provider::Openai => Some(ProviderKind::OpenAi),
        Provider::Groq => Some(ProviderKind::Groq),
        Provider::Gemini => Some(ProviderKind::Gemini),
        Provider::Ollama => Some(ProviderKind::Ollama),
        Provider::Demo => None,
    }
}

#[derive(Clone, Default)]
struct Endpoint {
    base_url: Option<String>,
    api_key: Option<String>,
}

/// Base URL and API key per provider. Unset base URLs mean the provider's public default.
#[derive(Clone, Default)]
pub struct Providers {
    endpoints: [Endpoint; 5],
    /// How long each demo agent call takes, so a newcomer can watch the demo run move
    /// through its states instead of finishing in an instant (DEMO_DELAY_MS).
    pub demo_delay: std::time::Duration,
}

impl std::fmt::Debug for Providers {
    // Shows which keys are present, never their values.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut list = f.debug_map();
        for kind in KINDS {
            let e = &self.endpoints[slot(kind)];
            list.entry(
                &kind.name(),
                &format_args!(
                    "{} (key {})",
                    e.base_url.as_deref().unwrap_or(kind.default_base_url()),
                    if e.api_key.is_some() { "set" } else { "unset" }
                ),
            );
        }
        list.finish()
    }
}

/// The demo's pace when DEMO_DELAY_MS is unset: a run of nine calls takes a few seconds.
pub const DEFAULT_DEMO_DELAY_MS: u64 = 400;

impl Providers {
    /// Reads `<PROVIDER>_API_KEY` and `<PROVIDER>_BASE_URL` (and `OLLAMA_URL`); blank values
    /// count as unset.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Providers {
        let read = |name: &str| -> Option<String> {
            if name.is_empty() {
                return None;
            }
            get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let mut providers = Providers {
            demo_delay: std::time::Duration::from_millis(
                read("DEMO_DELAY_MS")
                    .and_then(|v| v.parse::<u64>().ok())
                    .map_or(DEFAULT_DEMO_DELAY_MS, |ms| ms.min(10_000)),
            ),
            ..Providers::default()
        };
        for kind in KINDS {
            let (key, base, _) = kind.env_names();
            providers.set(kind, read(base), read(key));
        }
        providers
    }

    /// Points one provider somewhere else (tests aim it at a fake server).
    pub fn set(&mut self, kind: ProviderKind, base_url: Option<String>, api_key: Option<String>) {
        self.endpoints[slot(kind)] = Endpoint {
            base_url: base_url.map(|u| u.trim_end_matches('/').to_string()),
            api_key,
        };
    }

    /// Whether calls to this provider can be made at all (a key where one is needed).
    pub fn is_configured(&self, kind: ProviderKind) -> bool {
        kind == ProviderKind::Ollama || self.endpoints[slot(kind)].api_key.is_some()
    }

    /// An agent for one workflow agent definition. `pricing` = the workflow's `pricing:`
    /// overrides (model -> Price, per 1000 tokens); the agent's own `cost_per_1k` wins over
    /// both those and the built-in list. Timeout from `def.timeout` (default 300 s), answer
    /// length from `def.max_tokens` (default 4096). A missing key fails here, naming the
    /// variable to set.
    pub fn agent(
        &self,
        def: &AgentDef,
        pricing: &[(String, Price)],
    ) -> Result<Box<dyn Agent>, AgentError> {
        let Some(kind) = kind_of(def.provider) else {
            return Ok(Box::new(
                DemoAgent::new(def.model.clone()).with_delay(self.demo_delay),
            ));
        };
        self.provider_config(kind, def, pricing).agent()
    }

    fn provider_config(
        &self,
        kind: ProviderKind,
        def: &AgentDef,
        pricing: &[(String, Price)],
    ) -> ProviderConfig {
        let endpoint = &self.endpoints[slot(kind)];
        let mut config = ProviderConfig::new(
            kind,
            endpoint.base_url.clone(),
            endpoint.api_key.clone(),
            Some(def.model.clone()),
        );
        config.timeout = Duration::from_secs(def.timeout.unwrap_or(DEFAULT_TIMEOUT_SECS).max(1));
        config.max_tokens = Some(def.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS));
        let price = def.cost_per_1k.as_ref().map(|p| p.value).or_else(|| {
            pricing
                .iter()
                .find(|(model, _)| *model == def.model)
                .map(|(_, p)| *p)
        });
        if let Some(p) = price {
            config.pricing = per_million(p);
        } else if kind == ProviderKind::Ollama {
            // Local models cost nothing, whatever a similarly named hosted model costs.
            config.pricing = Pricing::FREE;
        }
        config
    }
}

/// Workflow prices are per 1000 tokens; the adapters price per million.
fn per_million(p: Price) -> Pricing {
    Pricing {
        input_per_mtok: p.input * 1000.0,
        output_per_mtok: p.output * 1000.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    fn def(yaml: &str) -> AgentDef {
        serde_saphyr::from_str(yaml).unwrap()
    }

    #[test]
    fn a_missing_key_names_the_variable_to_set() {
        let providers = Providers::from_env(env(&[("OPENAI_API_KEY", "sk-o")]));
        let err = providers
            .agent(&def("provider: groq\nmodel: llama-3.1-8b-instant\n"), &[])
            .err()
            .unwrap();
        assert!(matches!(err, AgentError::NotConfigured(_)));
        assert_eq!(err.to_string(), "groq needs an API key: set GROQ_API_KEY");
        let blank = Providers::from_env(env(&[("ANTHROPIC_API_KEY", "  ")]));
        assert!(!blank.is_configured(ProviderKind::Anthropic));
        assert!(providers.is_configured(ProviderKind::OpenAi));
        assert!(
            providers.is_configured(ProviderKind::Ollama),
            "no key needed"
        );
    }

    #[test]
    fn keys_and_base_urls_come_from_the_environment() {
        let providers = Providers::from_env(env(&[
            ("GEMINI_API_KEY", "g-key"),
            ("GEMINI_BASE_URL", "http://127.0.0.1:9/"),
            ("OLLAMA_URL", "http://10.0.0.2:11434"),
        ]));
        let gemini = &providers.endpoints[slot(ProviderKind::Gemini)];
        assert_eq!(gemini.api_key.as_deref(), Some("g-key"));
        assert_eq!(gemini.base_url.as_deref(), Some("http://127.0.0.1:9"));
        let ollama = &providers.endpoints[slot(ProviderKind::Ollama)];
        assert_eq!(ollama.base_url.as_deref(), Some("http://10.0.0.2:11434"));
        let shown = format!("{providers:?}");
        assert!(!shown.contains("g-key"), "{shown}");
        assert!(shown.contains("http://127.0.0.1:9 (key set)"), "{shown}");
        assert!(
            shown.contains("https://api.groq.com/openai/v1 (key unset)"),
            "{shown}"
        );
        let agent = providers
            .agent(&def("provider: gemini\nmodel: gemini-2.0-flash\n"), &[])
            .unwrap();
        assert_eq!(agent.describe(), "gemini \u{b7} gemini-2.0-flash");
    }

    #[test]
    fn set_overrides_one_provider() {
        let mut providers = Providers::from_env(env(&[("GROQ_API_KEY", "old")]));
        providers.set(
            ProviderKind::Groq,
            Some("http://fake/".into()),
            Some("new".into()),
        );
        let groq = &providers.endpoints[slot(ProviderKind::Groq)];
        assert_eq!(groq.base_url.as_deref(), Some("http://fake"));
        assert_eq!(groq.api_key.as_deref(), Some("new"));
    }

    #[test]
    fn demo_needs_no_key_and_says_it_is_not_ai() {
        let providers = Providers::default();
        let agent = providers
            .agent(&def("provider: demo\nmodel: offline\n"), &[])
            .unwrap();
        assert_eq!(agent.describe(), "Demo \u{2014} no AI");
    }

    #[test]
    fn the_demo_pace_comes_from_the_environment_with_a_watchable_default() {
        let paced = Providers::from_env(env(&[("DEMO_DELAY_MS", "25")]));
        assert_eq!(paced.demo_delay, std::time::Duration::from_millis(25));
        let default = Providers::from_env(env(&[]));
        assert_eq!(
            default.demo_delay,
            std::time::Duration::from_millis(DEFAULT_DEMO_DELAY_MS)
        );
        let agent = paced
            .agent(&def("provider: demo\nmodel: offline\n"), &[])
            .unwrap();
        let t = std::time::Instant::now();
        agent
            .invoke(&crate::workflow::agents::AgentRequest::single(
                "s", "A story.",
            ))
            .unwrap();
        assert!(t.elapsed() >= std::time::Duration::from_millis(25));
    }

    #[test]
    fn workflow_prices_are_per_thousand_tokens_and_the_agents_own_price_wins() {
        let p = per_million(Price {
            input: 0.003,
            output: 0.015,
        });
        assert!((p.cost(1000, 1000) - 0.018).abs() < 1e-12);
        let providers = Providers::default();
        let workflow = [(
            "m".to_string(),
            Price {
                input: 0.01,
                output: 0.01,
            },
        )];
        let own = def("provider: groq\nmodel: m\ncost_per_1k:\n  input: 0.001\n  output: 0.002\n");
        let c = providers.provider_config(ProviderKind::Groq, &own, &workflow);
        assert!((c.pricing.cost(1000, 1000) - 0.003).abs() < 1e-12);
        let plain = def("provider: groq\nmodel: m\ntimeout: 30\nmax_tokens: 900\n");
        let c = providers.provider_config(ProviderKind::Groq, &plain, &workflow);
        assert!((c.pricing.cost(1000, 1000) - 0.02).abs() < 1e-12);
        assert_eq!((c.timeout.as_secs(), c.max_tokens), (30, Some(900)));
        let builtin = def("provider: anthropic\nmodel: claude-sonnet-4-5\n");
        let c = providers.provider_config(ProviderKind::Anthropic, &builtin, &[]);
        assert_eq!(c.pricing, Pricing::for_model("claude-sonnet-4-5"));
        assert_eq!((c.timeout.as_secs(), c.max_tokens), (300, Some(4096)));
    }
}
