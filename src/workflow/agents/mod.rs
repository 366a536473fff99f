//! One `Agent` trait over the LLM providers: Anthropic Messages, OpenAI-compatible chat
//! completions (OpenAI, Groq, Ollama's /v1, any bring-your-own endpoint) and Google Gemini.
//! Each adapter speaks the provider's real wire format, counts tokens from the response,
//! prices the call, times out, and retries 429/5xx with backoff (honouring Retry-After).
//! A built-in offline demo agent stands in for all of them when no AI should be used.

mod anthropic;
pub mod demo;
mod gemini;
mod http;
mod openai;
pub mod pricing;
pub mod providers;

use std::time::Duration;

pub use demo::DemoAgent;
pub use pricing::Pricing;
pub use providers::Providers;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    Assistant,
}

#[derive(Debug, Clone)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

/// One call: a system prompt and the conversation so far.
#[derive(Debug, Clone)]
pub struct AgentRequest {
    pub system: String,
    pub messages: Vec<Message>,
    pub max_tokens: u32,
    pub temperature: f32,
    /// Ask for one JSON object as the whole answer (a verdict); adapters that support a JSON
    /// mode switch it on.
    pub json: bool,
}

impl AgentRequest {
    pub fn single(system: impl Into<String>, user: impl Into<String>) -> AgentRequest {
        AgentRequest {
            system: system.into(),
            messages: vec![Message {
                role: Role::User,
                content: user.into(),
            }],
            max_tokens: 2048,
            temperature: 0.4,
            json: false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct AgentResponse {
    pub content: String,
    pub model: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: f64,
    pub latency_ms: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("{0}")]
    NotConfigured(String),
    #[error("cannot reach {provider} at {url}: {detail}")]
    Unreachable {
        provider: &'static str,
        url: String,
        detail: String,
    },
    #[error("{provider} answered {status}: {message}")]
    Provider {
        provider: &'static str,
        status: u16,
        message: String,
    },
    #[error("{provider} did not answer within {secs} s")]
    Timeout { provider: &'static str, secs: u64 },
    #[error("{provider} sent a response we cannot read: {detail}")]
    BadResponse {
        provider: &'static str,
        detail: String,
    },
}

impl AgentError {
    /// Worth another try: rate limits, server errors, timeouts and dropped connections.
    pub fn is_transient(&self) -> bool {
        match self {
            AgentError::Provider { status, .. } => *status == 429 || *status >= 500,
            AgentError::Timeout { .. } | AgentError::Unreachable { .. } => true,
            _ => false,
        }
    }
}

pub trait Agent: Send + Sync {
    fn invoke(&self, request: &AgentRequest) -> Result<AgentResponse, AgentError>;
    /// "groq · llama-3.3-70b-versatile", for logs and pages.
    fn describe(&self) -> String;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    Anthropic,
    OpenAi,
    Groq,
    Gemini,
    Ollama,
}

impl ProviderKind {
    pub fn name(self) -> &'static str {
        match self {
            ProviderKind::Anthropic => "anthropic",
            ProviderKind::OpenAi => "openai",
            ProviderKind::Groq => "groq",
            ProviderKind::Gemini => "gemini",
            ProviderKind::Ollama => "ollama",
        }
    }

    pub fn default_base_url(self) -> &'static str {
        match self {
            ProviderKind::Anthropic => "https://api.anthropic.com",
            ProviderKind::OpenAi => "https://api.openai.com/v1",
            ProviderKind::Groq => "https://api.groq.com/openai/v1",
            ProviderKind::Gemini => "https://generativelanguage.googleapis.com",
            ProviderKind::Ollama => "http://127.0.0.1:11434",
        }
    }

    fn default_model(self) -> &'static str {
        match self {
            ProviderKind::Anthropic => "claude-sonnet-4-5",
            ProviderKind::OpenAi => "gpt-4o-mini",
            ProviderKind::Groq => "llama-3.3-70b-versatile",
            ProviderKind::Gemini => "gemini-2.0-flash",
            ProviderKind::Ollama => "llama3.1",
        }
    }

    /// The environment variables that configure this provider: (key, base URL, model).
    /// Ollama has no key variable: its key name is empty.
    pub fn env_names(self) -> (&'static str, &'static str, &'static str) {
        match self {
            ProviderKind::Anthropic => {
                ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_MODEL")
            }
            ProviderKind::OpenAi => ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL"),
            ProviderKind::Groq => ("GROQ_API_KEY", "GROQ_BASE_URL", "GROQ_MODEL"),
            ProviderKind::Gemini => ("GEMINI_API_KEY", "GEMINI_BASE_URL", "GEMINI_MODEL"),
            ProviderKind::Ollama => ("", "OLLAMA_URL", "OLLAMA_MODEL"),
        }
    }
}

/// Everything needed to call one provider.
#[derive(Clone)]
pub struct ProviderConfig {
    pub kind: ProviderKind,
    pub base_url: String,
    pub api_key: Option<String>,
    pub model: String,
    pub timeout: Duration,
    pub max_retries: u32,
    pub pricing: Pricing,
    /// A fixed answer-length limit that replaces the request's own (from a workflow agent's
    /// `max_tokens`).
    pub max_tokens: Option<u32>,
}

impl std::fmt::Debug for ProviderConfig {
    // Keys stay out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("kind", &self.kind)
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "***"))
            .finish_non_exhaustive()
    }
}

impl ProviderConfig {
    pub fn new(
        kind: ProviderKind,
        base_url: Option<String>,
        api_key: Option<String>,
        model: Option<String>,
    ) -> Self {
        let model = model.unwrap_or_else(|| kind.default_model().to_string());
        ProviderConfig {
            kind,
            base_url: base_url
                .unwrap_or_else(|| kind.default_base_url().to_string())
                .trim_end_matches('/')
                .to_string(),
            api_key,
            pricing: Pricing::for_model(&model),
            model,
            timeout: Duration::from_secs(120),
            max_retries: 3,
            max_tokens: None,
        }
    }

    /// The provider configured in the environment, by preference: Anthropic, OpenAI, Groq,
    /// Gemini, then a local Ollama when OLLAMA_URL is set. `None` when none is.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Option<ProviderConfig> {
        let get = |k: &str| -> Option<String> {
            if k.is_empty() {
                None
            } else {
                get(k).filter(|v| !v.trim().is_empty())
            }
        };
        for kind in [
            ProviderKind::Anthropic,
            ProviderKind::OpenAi,
            ProviderKind::Groq,
            ProviderKind::Gemini,
            ProviderKind::Ollama,
        ] {
            let (key, base, model) = kind.env_names();
            let configured = match kind {
                ProviderKind::Ollama => get(base).is_some(),
                _ => get(key).is_some(),
            };
            if configured {
                return Some(ProviderConfig::new(kind, get(base), get(key), get(model)));
            }
        }
        None
    }

    /// The answer-length limit for one call.
    fn max_tokens(&self, request: &AgentRequest) -> u32 {
        self.max_tokens.unwrap_or(request.max_tokens)
    }

    /// The adapter for this provider.
    pub fn agent(&self) -> Result<Box<dyn Agent>, AgentError> {
        let needs_key = !matches!(self.kind, ProviderKind::Ollama);
        if needs_key && self.api_key.is_none() {
            let (key, _, _) = self.kind.env_names();
            return Err(AgentError::NotConfigured(format!(
                "{} needs an API key: set {key}",
                self.kind.name()
            )));
        }
        let client = http::client(self.timeout)
            .map_err(|e| AgentError::NotConfigured(format!("cannot build an HTTP client: {e}")))?;
        Ok(match self.kind {
            ProviderKind::Anthropic => Box::new(anthropic::Anthropic::new(self.clone(), client)),
            ProviderKind::Gemini => Box::new(gemini::Gemini::new(self.clone(), client)),
            ProviderKind::OpenAi | ProviderKind::Groq | ProviderKind::Ollama => {
                Box::new(openai::OpenAiCompatible::new(self.clone(), client))
            }
        })
    }
}

/// The message every "no provider" error gives: exactly what to set.
pub const NO_PROVIDER: &str = "No AI provider is configured. Set one of ANTHROPIC_API_KEY, \
     OPENAI_API_KEY, GROQ_API_KEY or GEMINI_API_KEY, or OLLAMA_URL for a local Ollama, and restart.";

/// Pulls the first JSON object out of a model's answer, which may wrap it in a code fence or
/// surround it with prose.
pub fn extract_json_object(text: &str) -> Option<serde_json::Value> {
    let bytes = text.as_bytes();
    let mut start = 0;
    while let Some(offset) = text[start..].find('{') {
        let open = start + offset;
        let mut depth = 0i32;
        let mut in_string = false;
        let mut escaped = false;
        for (i, &b) in bytes.iter().enumerate().skip(open) {
            if in_string {
                match b {
                    _ if escaped => escaped = false,
                    b'\\' => escaped = true,
                    b'"' => in_string = false,
                    _ => {}
                }
                continue;
            }
            match b {
                b'"' => in_string = true,
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        if let Ok(v) = serde_json::from_str(&text[open..=i]) {
                            return Some(v);
                        }
                        break;
                    }
                }
                _ => {}
            }
        }
        start = open + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_found_inside_fences_and_prose() {
        let text = "Sure! Here it is:\n```json\n{\"tone\": \"warm {not a brace}\", \"n\": [1, {\"a\": 2}]}\n```\nHope it helps.";
        let v = extract_json_object(text).unwrap();
        assert_eq!(v["tone"], "warm {not a brace}");
        assert_eq!(v["n"][1]["a"], 2);
        assert!(extract_json_object("no json here").is_none());
        assert!(extract_json_object("{broken").is_none());
    }

    #[test]
    fn provider_preference_and_missing_keys() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert!(ProviderConfig::from_env(env(&[])).is_none());
        let c = ProviderConfig::from_env(env(&[("GROQ_API_KEY", "g"), ("GEMINI_API_KEY", "x")]))
            .unwrap();
        assert_eq!(c.kind, ProviderKind::Groq);
        assert_eq!(c.base_url, "https://api.groq.com/openai/v1");
        let o = ProviderConfig::from_env(env(&[("OLLAMA_URL", "http://127.0.0.1:9/")])).unwrap();
        assert_eq!(
            (o.kind, o.base_url.as_str()),
            (ProviderKind::Ollama, "http://127.0.0.1:9")
        );
        let keyless = ProviderConfig::new(ProviderKind::OpenAi, None, None, None);
        let err = keyless.agent().err().unwrap().to_string();
        assert!(err.contains("OPENAI_API_KEY"), "{err}");
    }
}
