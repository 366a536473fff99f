//! Anthropic Messages API.

use serde_json::{json, Value};

use super::http::{post_json, tokens};
use super::{Agent, AgentError, AgentRequest, AgentResponse, ProviderConfig, Role};

pub struct Anthropic {
    config: ProviderConfig,
    client: reqwest::blocking::Client,
}

impl Anthropic {
    pub fn new(config: ProviderConfig, client: reqwest::blocking::Client) -> Self {
        Self { config, client }
    }
}

// Anthropic has no JSON mode switch; `request.json` relies on the prompt alone.
impl Agent for Anthropic {
    fn invoke(&self, request: &AgentRequest) -> Result<AgentResponse, AgentError> {
        let body = json!({
            "model": self.config.model,
            "system": request.system,
            "max_tokens": self.config.max_tokens(request),
            "temperature": request.temperature,
            "messages": request.messages.iter().map(|m| json!({
                "role": match m.role { Role::User => "user", Role::Assistant => "assistant" },
                "content": m.content,
            })).collect::<Vec<_>>(),
        });
        let headers = vec![
            ("x-api-key", self.config.api_key.clone().unwrap_or_default()),
            ("anthropic-version", "2023-06-01".to_string()),
        ];
        let url = format!("{}/v1/messages", self.config.base_url);
        let (answer, latency_ms) = post_json(&self.client, &self.config, &url, &headers, &body)?;
        // The answer is a list of content blocks; the text blocks together are the reply.
        let content: String = answer
            .get("content")
            .and_then(Value::as_array)
            .map(|blocks| {
                blocks
                    .iter()
                    .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
                    .filter_map(|b| b.get("text").and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join("")
            })
            .filter(|t| !t.is_empty())
            .ok_or_else(|| AgentError::BadResponse {
                provider: "anthropic",
                detail: "no text content block".into(),
            })?;
        let input_tokens = tokens(&answer, "/usage/input_tokens");
        let output_tokens = tokens(&answer, "/usage/output_tokens");
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
        format!("anthropic \u{b7} {}", self.config.model)
    }
}
