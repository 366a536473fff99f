//! Google Gemini generateContent.

use serde_json::{json, Value};

use super::http::{post_json, tokens};
use super::{Agent, AgentError, AgentRequest, AgentResponse, ProviderConfig, Role};

pub struct Gemini {
    config: ProviderConfig,
    client: reqwest::blocking::Client,
}

impl Gemini {
    pub fn new(config: ProviderConfig, client: reqwest::blocking::Client) -> Self {
        Self { config, client }
    }
}

impl Agent for Gemini {
    fn invoke(&self, request: &AgentRequest) -> Result<AgentResponse, AgentError> {
        let mut body = json!({
            "systemInstruction": { "parts": [{ "text": request.system }] },
            "contents": request.messages.iter().map(|m| json!({
                "role": match m.role { Role::User => "user", Role::Assistant => "model" },
                "parts": [{ "text": m.content }],
            })).collect::<Vec<_>>(),
            "generationConfig": {
                "maxOutputTokens": self.config.max_tokens(request),
                "temperature": request.temperature,
            },
        });
        if request.json {
            body["generationConfig"]["responseMimeType"] = json!("application/json");
        }
        let url = format!(
            "{}/v1beta/models/{}:generateContent",
            self.config.base_url, self.config.model
        );
        // The key goes in a header, not the URL, so it never lands in a log line.
        let headers = vec![(
            "x-goog-api-key",
            self.config.api_key.clone().unwrap_or_default(),
        )];
        let (answer, latency_ms) = post_json(&self.client, &self.config, &url, &headers, &body)?;
        let content: String = answer
            .pointer("/candidates/0/content/parts")
            .and_then(Value::as_array)
            .map(|parts| {
                parts
                    .iter()
                    .filter_map(|p| p.get("text").and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join("")
            })
            .filter(|t| !t.is_empty())
            .ok_or_else(|| AgentError::BadResponse {
                provider: "gemini",
                detail: "no candidates[0].content.parts text".into(),
            })?;
        let input_tokens = tokens(&answer, "/usageMetadata/promptTokenCount");
        let output_tokens = tokens(&answer, "/usageMetadata/candidatesTokenCount");
        Ok(AgentResponse {
            content,
            model: self.config.model.clone(),
            cost_usd: self.config.pricing.cost(input_tokens, output_tokens),
            input_tokens,
            output_tokens,
            latency_ms,
        })
    }

    fn describe(&self) -> String {
        format!("gemini \u{b7} {}", self.config.model)
    }
}
