//! The HTTP side shared by the adapters: one blocking client, JSON POST with retries.
//! Blocking on purpose: agents run on job worker threads, never on the async executor.

use std::time::{Duration, Instant};

use rand::Rng;
use serde_json::Value;

use super::{AgentError, ProviderConfig};

pub fn client(timeout: Duration) -> reqwest::Result<reqwest::blocking::Client> {
    // reqwest is built without its own TLS provider; make sure ours is installed first.
    crate::install_crypto_provider();
    reqwest::blocking::Client::builder()
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("postmagiq/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// The provider's own error text: `error.message`, a string `error`, or the raw body.
fn provider_message(body: &str) -> String {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let from_json = parsed.as_ref().and_then(|v| {
        v.pointer("/error/message")
            .or_else(|| v.get("error").filter(|e| e.is_string()))
            .or_else(|| v.get("message"))
            .and_then(Value::as_str)
            .map(str::to_string)
    });
    from_json.unwrap_or_else(|| body.chars().take(300).collect())
}

fn wait_before_retry(attempt: u32, retry_after: Option<Duration>) -> Duration {
    if let Some(d) = retry_after {
        return d.min(Duration::from_secs(60));
    }
    let base_ms = 500u64.saturating_mul(1 << attempt.min(6)).min(20_000);
    let jitter = rand::rng().random_range(0..=base_ms / 2);
    Duration::from_millis(base_ms + jitter)
}

/// POSTs `body` as JSON; returns the parsed answer and the latency of the successful attempt.
pub fn post_json(
    client: &reqwest::blocking::Client,
    config: &ProviderConfig,
    url: &str,
    headers: &[(&str, String)],
    body: &Value,
) -> Result<(Value, u64), AgentError> {
    let provider = config.kind.name();
    let mut attempt = 0;
    loop {
        let started = Instant::now();
        let mut request = client.post(url).json(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let (error, retry_after): (AgentError, Option<Duration>) = match request.send() {
            Err(e) if e.is_timeout() => (
                AgentError::Timeout {
                    provider,
                    secs: config.timeout.as_secs(),
                },
                None,
            ),
            Err(e) => (
                AgentError::Unreachable {
                    provider,
                    url: url.split('?').next().unwrap_or(url).to_string(),
                    detail: e.to_string(),
                },
                None,
            ),
            Ok(response) => {
                let status = response.status();
                let retry_after = response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                let text = response.text().unwrap_or_default();
                if status.is_success() {
                    return serde_json::from_str::<Value>(&text)
                        .map(|v| (v, started.elapsed().as_millis() as u64))
                        .map_err(|e| AgentError::BadResponse {
                            provider,
                            detail: format!("not JSON: {e}"),
                        });
                }
                (
                    AgentError::Provider {
                        provider,
                        status: status.as_u16(),
                        message: provider_message(&text),
                    },
                    retry_after,
                )
            }
        };
        if !error.is_transient() || attempt >= config.max_retries {
            return Err(error);
        }
        let pause = wait_before_retry(attempt, retry_after);
        tracing::warn!(provider, attempt = attempt + 1, error = %error, wait_ms = pause.as_millis() as u64, "retrying provider call");
        std::thread::sleep(pause);
        attempt += 1;
    }
}

/// Reads a token count, accepting a missing field as zero.
pub fn tokens(v: &Value, pointer: &str) -> u64 {
    v.pointer(pointer).and_then(Value::as_u64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_messages_are_extracted() {
        assert_eq!(
            provider_message(r#"{"error":{"message":"Invalid API key","type":"auth"}}"#),
            "Invalid API key"
        );
        assert_eq!(
            provider_message(r#"{"error":"model not found"}"#),
            "model not found"
        );
        assert_eq!(provider_message("Bad Gateway"), "Bad Gateway");
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        assert_eq!(
            wait_before_retry(0, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(
            wait_before_retry(0, Some(Duration::from_secs(600))),
            Duration::from_secs(60)
        );
        assert!(wait_before_retry(2, None) >= Duration::from_millis(2000));
    }
}
