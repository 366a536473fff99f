//! The provider adapters against fake servers speaking each provider's wire format.

use postmagiq::workflow::agents::{AgentError, AgentRequest, ProviderConfig, ProviderKind};
use serde_json::json;

use crate::support::fake_llm::{openai_reply, FakeLlm, Reply};

fn config(kind: ProviderKind, base: &str, model: &str) -> ProviderConfig {
    postmagiq::install_crypto_provider();
    let mut c = ProviderConfig::new(
        kind,
        Some(base.to_string()),
        Some("sk-test-key".into()),
        Some(model.into()),
    );
    c.timeout = std::time::Duration::from_secs(5);
    c
}

fn request() -> AgentRequest {
    AgentRequest::single("You are terse.", "Say hello.")
}

#[test]
fn openai_compatible_request_and_response() {
    let fake = FakeLlm::start(vec![openai_reply("Hello there.")]);
    let agent = config(ProviderKind::OpenAi, &fake.base_url, "gpt-4o-mini")
        .agent()
        .unwrap();
    let answer = agent.invoke(&request()).unwrap();
    assert_eq!(answer.content, "Hello there.");
    assert_eq!((answer.input_tokens, answer.output_tokens), (1200, 300));
    assert!((answer.cost_usd - (1200.0 * 0.15 + 300.0 * 0.6) / 1e6).abs() < 1e-12);
    let sent = &fake.requests()[0];
    assert_eq!(
        (sent.method.as_str(), sent.path.as_str()),
        ("POST", "/chat/completions")
    );
    assert_eq!(sent.header("authorization"), Some("Bearer sk-test-key"));
    assert_eq!(sent.body["model"], "gpt-4o-mini");
    assert_eq!(
        sent.body["messages"][0],
        json!({"role": "system", "content": "You are terse."})
    );
    assert_eq!(sent.body["messages"][1]["role"], "user");
    assert!(sent.body.get("response_format").is_none());
}

fn json_request() -> AgentRequest {
    let mut r = request();
    r.json = true;
    r
}

#[test]
fn json_requests_switch_on_each_providers_json_mode() {
    let fake = FakeLlm::start(vec![openai_reply("{\"score\": 8}")]);
    config(
        ProviderKind::Groq,
        &fake.base_url,
        "llama-3.3-70b-versatile",
    )
    .agent()
    .unwrap()
    .invoke(&json_request())
    .unwrap();
    assert_eq!(
        fake.requests()[0].body["response_format"],
        json!({"type": "json_object"})
    );

    let fake = FakeLlm::start(vec![Reply::json(
        200,
        json!({"candidates": [{"content": {"parts": [{"text": "{}"}]}}]}),
    )]);
    config(ProviderKind::Gemini, &fake.base_url, "gemini-2.0-flash")
        .agent()
        .unwrap()
        .invoke(&json_request())
        .unwrap();
    assert_eq!(
        fake.requests()[0].body["generationConfig"]["responseMimeType"],
        "application/json"
    );

    let fake = FakeLlm::start(vec![Reply::json(
        200,
        json!({"content": [{"type": "text", "text": "{}"}], "usage": {}}),
    )]);
    config(ProviderKind::Anthropic, &fake.base_url, "claude-sonnet-4-5")
        .agent()
        .unwrap()
        .invoke(&json_request())
        .unwrap();
    let body = &fake.requests()[0].body;
    assert!(body.get("response_format").is_none() && body.get("generationConfig").is_none());
}

#[test]
fn a_workflow_agents_max_tokens_replaces_the_requests() {
    let fake = FakeLlm::start(vec![openai_reply("ok")]);
    let mut c = config(ProviderKind::OpenAi, &fake.base_url, "gpt-4o-mini");
    c.max_tokens = Some(777);
    c.agent().unwrap().invoke(&request()).unwrap();
    assert_eq!(fake.requests()[0].body["max_tokens"], 777);
}

#[test]
fn anthropic_messages_request_and_response() {
    let fake = FakeLlm::start(vec![Reply::json(
        200,
        json!({
            "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
            "content": [{"type": "text", "text": "Hi "}, {"type": "text", "text": "you."}],
            "usage": {"input_tokens": 10, "output_tokens": 4}
        }),
    )]);
    let agent = config(ProviderKind::Anthropic, &fake.base_url, "claude-sonnet-4-5")
        .agent()
        .unwrap();
    let answer = agent.invoke(&request()).unwrap();
    assert_eq!(answer.content, "Hi you.");
    assert_eq!((answer.input_tokens, answer.output_tokens), (10, 4));
    let sent = &fake.requests()[0];
    assert_eq!(sent.path, "/v1/messages");
    assert_eq!(sent.header("x-api-key"), Some("sk-test-key"));
    assert_eq!(sent.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(sent.body["system"], "You are terse.");
    assert_eq!(
        sent.body["messages"][0],
        json!({"role": "user", "content": "Say hello."})
    );
}

#[test]
fn gemini_generate_content_request_and_response() {
    let fake = FakeLlm::start(vec![Reply::json(
        200,
        json!({
            "candidates": [{"content": {"role": "model", "parts": [{"text": "Hello from Gemini"}]}}],
            "usageMetadata": {"promptTokenCount": 7, "candidatesTokenCount": 3}
        }),
    )]);
    let agent = config(ProviderKind::Gemini, &fake.base_url, "gemini-2.0-flash")
        .agent()
        .unwrap();
    let answer = agent.invoke(&request()).unwrap();
    assert_eq!(answer.content, "Hello from Gemini");
    assert_eq!((answer.input_tokens, answer.output_tokens), (7, 3));
    let sent = &fake.requests()[0];
    assert_eq!(sent.path, "/v1beta/models/gemini-2.0-flash:generateContent");
    assert_eq!(sent.header("x-goog-api-key"), Some("sk-test-key"));
    assert!(!sent.path.contains("key="), "the key stays out of the URL");
    assert_eq!(
        sent.body["systemInstruction"]["parts"][0]["text"],
        "You are terse."
    );
    assert_eq!(sent.body["contents"][0]["parts"][0]["text"], "Say hello.");
    assert!(sent.body["generationConfig"]
        .get("responseMimeType")
        .is_none());
}

#[test]
fn rate_limits_are_retried_honouring_retry_after() {
    let fake = FakeLlm::start(vec![
        Reply::json(429, json!({"error": {"message": "slow down"}}))
            .with_header("retry-after", "0"),
        Reply::json(503, json!({"error": {"message": "overloaded"}}))
            .with_header("retry-after", "0"),
        openai_reply("finally"),
    ]);
    let agent = config(
        ProviderKind::Groq,
        &fake.base_url,
        "llama-3.3-70b-versatile",
    )
    .agent()
    .unwrap();
    assert_eq!(agent.invoke(&request()).unwrap().content, "finally");
    assert_eq!(fake.requests().len(), 3);
}

#[test]
fn client_errors_fail_fast_with_the_providers_message() {
    let fake = FakeLlm::start(vec![Reply::json(
        401,
        json!({"error": {"message": "Invalid API key provided"}}),
    )]);
    let agent = config(ProviderKind::OpenAi, &fake.base_url, "gpt-4o-mini")
        .agent()
        .unwrap();
    let err = agent.invoke(&request()).unwrap_err();
    assert!(matches!(err, AgentError::Provider { status: 401, .. }));
    assert!(
        err.to_string().contains("Invalid API key provided"),
        "{err}"
    );
    assert_eq!(fake.requests().len(), 1, "no retry on 401");
}

#[test]
fn an_unreachable_ollama_says_where_it_looked() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut c = ProviderConfig::new(
        ProviderKind::Ollama,
        Some(format!("http://127.0.0.1:{port}")),
        None,
        None,
    );
    c.max_retries = 0;
    let err = c.agent().unwrap().invoke(&request()).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, AgentError::Unreachable { .. }));
    assert!(
        text.contains(&format!("127.0.0.1:{port}/v1/chat/completions")),
        "{text}"
    );
    assert!(
        text.contains("Start Ollama") && text.contains("OLLAMA_URL"),
        "{text}"
    );
}
