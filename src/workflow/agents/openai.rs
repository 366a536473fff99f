//! OpenAI-compatible chat completions: OpenAI, Groq, Ollama's /v1 and any compatible endpoint.

use serde_json::{json, Value};

use super::http::{post_json, tokens};
use super::{Agent, AgentError, AgentRequest, AgentResponse, ProviderConfig, ProviderKind, Role};

pub struct OpenAiCompatible {
    config: ProviderConfig,
    client: reqwest::blocking::Client,
}

impl OpenAiCompatible {
    pub fn new(config: ProviderConfig, client: reqwest::blocking::Client) -> Self {
        Self { config, client }
    }

    /// A local Ollama that does not answer is almost always one that is not running; say
    /// how to fix that rather than only where we looked.
    fn explain(&self, error: AgentError) -> AgentError {
        match error {
            AgentError::Unreachable {
                provider,
                url,
                detail,
            } if self.config.kind == ProviderKind::Ollama => AgentError::Unreachable {
                provider,
                url,
                detail: format!(
                    "{detail}. Start Ollama (`ollama serve`) or set OLLAMA_URL to the address \
                     it listens on"
                ),
            },
            other => other,
        }
    }

    fn url(&self) -> String {
        // Ollama's OpenAI-compatible API lives under /v1 of its base URL.
        match self.config.kind {
            ProviderKind::Ollama if !self.config.base_url.ends_with("/v1") => {
                format!("{}/v1/chat/completions", self.config.base_url)
            }
            _ => format!("{}/chat/completions", self.config.base_url),
        }
    }
}

impl Agent for OpenAiCompatible {
    fn invoke(&self, request: &AgentRequest) -> Result<AgentResponse, AgentError> {
        let mut messages = vec![json!({"role": "system", "content": request.system})];
        messages.extend(request.messages.iter().map(|m| {
            json!({
                "role": match m.role { Role::User => "user", Role::Assistant => "assistant" },
                "content": m.content,
            })
        }));
        let mut body = json!({
            "model": self.config.model,
            "messages": messages,
            "max_tokens": self.config.max_tokens(request),
            "temperature": request.temperature,
        });
        if request.json {
            body["response_format"] = json!({"type": "json_object"});
        }
        let mut headers = Vec::new();
        if let Some(key) = &self.config.api_key {
            headers.push(("authorization", format!("Bearer {key}")));
        }
        let (answer, latency_ms) =
            post_json(&self.client, &self.config, &self.url(), &headers, &body)
                .map_err(|e| self.explain(e))?;
        let content = answer
            .pointer("/choices/0/message/content")
            .and_then(Value::as_str)
            .ok_or_else(|| AgentError::BadResponse {
                provider: self.config.kind.name(),
                detail: "no choices[0].message.content".into(),
            })?
            .to_string();
        let input_tokens = tokens(&answer, "/usage/prompt_tokens");
        let output_tokens = tokens(&answer, "/usage/completion_tokens");
        Ok(AgentResponse {
            content,
            model: answer
                .get("model")
                .and_then(Value::as_str)
                .unwrap_or(&self.config.model)
                .to_string(),
            cost_usd: self.config.pricing.cost(input_tokens, output_tokens),
            input_tokens,
            output_tokens,
            latency_ms,
        })
    }

    fn describe(&self) -> String {
        format!("{} \u{b7} {}", self.config.kind.name(), self.config.model)
    }
}
