//! The fake LLM server itself: handler mode, latency and hold, and the three wire formats it
//! answers in, exercised through the real provider adapters.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use postmagiq::workflow::agents::{
    AgentError, AgentRequest, Message, ProviderConfig, ProviderKind, Role,
};

use crate::support::fake_llm::{
    error_for, model_of, reply_for, system_text, user_text, verdict_json, wants_json, wire_of,
    FakeLlm, Recorded, Reply, Wire,
};

const FORMATS: [(ProviderKind, &str, Wire); 3] = [
    (ProviderKind::OpenAi, "gpt-4o-mini", Wire::OpenAi),
    (
        ProviderKind::Anthropic,
        "claude-sonnet-4-5",
        Wire::Anthropic,
    ),
    (ProviderKind::Gemini, "gemini-2.0-flash", Wire::Gemini),
];

fn config(kind: ProviderKind, fake: &FakeLlm, model: &str) -> ProviderConfig {
    postmagiq::install_crypto_provider();
    let mut c = ProviderConfig::new(
        kind,
        Some(fake.base_url.clone()),
        Some("sk-test-key".into()),
        Some(model.into()),
    );
    c.timeout = Duration::from_secs(5);
    c
}

/// Echoes what it understood of the request, so the reply proves the request helpers.
fn echo(r: &Recorded) -> Reply {
    reply_for(r, &format!("[{}] {}", model_of(r), user_text(r)))
}

#[test]
fn handler_answers_each_wire_format_in_its_own_shape_with_token_usage() {
    let fake = FakeLlm::with_handler(echo);
    // Prompt "You are terse.\nSay hello." is 25 chars: 7 tokens at four chars a token.
    let expected = [
        ("[gpt-4o-mini] Say hello.", 6),
        ("[claude-sonnet-4-5] Say hello.", 8),
        ("[gemini-2.0-flash] Say hello.", 8),
    ];
    for ((kind, model, wire), (content, out_tokens)) in FORMATS.into_iter().zip(expected) {
        let answer = config(kind, &fake, model)
            .agent()
            .unwrap()
            .invoke(&AgentRequest::single("You are terse.", "Say hello."))
            .unwrap();
        assert_eq!(answer.content, content, "{wire:?}");
        assert_eq!(
            (answer.input_tokens, answer.output_tokens),
            (7, out_tokens),
            "{wire:?}"
        );
        assert_eq!(answer.model, model, "{wire:?}");
        let sent = fake.requests().pop().unwrap();
        assert_eq!(wire_of(&sent), wire);
        assert_eq!(system_text(&sent), "You are terse.", "{wire:?}");
        assert!(!wants_json(&sent), "{wire:?}");
    }
    assert_eq!(fake.requests().len(), 3);
}

#[test]
fn user_text_joins_every_user_turn_but_not_the_assistants() {
    let fake = FakeLlm::with_handler(|r| reply_for(r, &user_text(r)));
    let mut request = AgentRequest::single("sys", "first");
    request.messages.push(Message {
        role: Role::Assistant,
        content: "draft".into(),
    });
    request.messages.push(Message {
        role: Role::User,
        content: "second".into(),
    });
    for (kind, model, wire) in FORMATS {
        let answer = config(kind, &fake, model)
            .agent()
            .unwrap()
            .invoke(&request)
            .unwrap();
        assert_eq!(answer.content, "first\n\nsecond", "{wire:?}");
    }
}

#[test]
fn wants_json_follows_each_adapters_json_mode() {
    let fake = FakeLlm::with_handler(|r| reply_for(r, &verdict_json(8, "proceed", "Solid.")));
    let mut request = AgentRequest::single("Audit this.", "A post.");
    request.json = true;
    for (kind, model, wire) in FORMATS {
        let answer = config(kind, &fake, model)
            .agent()
            .unwrap()
            .invoke(&request)
            .unwrap();
        let verdict: serde_json::Value = serde_json::from_str(&answer.content).unwrap();
        assert_eq!(
            verdict,
            serde_json::json!({"score": 8, "decision": "proceed", "feedback": "Solid."})
        );
        let sent = fake.requests().pop().unwrap();
        // Anthropic has no JSON mode on the wire.
        assert_eq!(wants_json(&sent), wire != Wire::Anthropic, "{wire:?}");
    }
}

#[test]
fn errors_come_back_in_each_providers_shape_and_rate_limits_are_retried() {
    let fake = FakeLlm::with_handler(|r| {
        if user_text(r).contains("forbidden") {
            error_for(r, 400, "Prompt rejected by policy")
        } else {
            reply_for(r, "ok")
        }
    });
    for (kind, model, wire) in FORMATS {
        let err = config(kind, &fake, model)
            .agent()
            .unwrap()
            .invoke(&AgentRequest::single("sys", "forbidden words"))
            .unwrap_err();
        assert!(
            matches!(err, AgentError::Provider { status: 400, ref message, .. } if message == "Prompt rejected by policy"),
            "{wire:?}: {err}"
        );
    }

    // The first call of each format is rate limited, the retry succeeds.
    let calls = AtomicUsize::new(0);
    let fake = FakeLlm::with_handler(move |r| {
        if calls.fetch_add(1, Ordering::SeqCst).is_multiple_of(2) {
            error_for(r, 429, "slow down").with_header("retry-after", "0")
        } else {
            reply_for(r, "after the wait")
        }
    });
    for (kind, model, wire) in FORMATS {
        let answer = config(kind, &fake, model)
            .agent()
            .unwrap()
            .invoke(&AgentRequest::single("sys", "hi"))
            .unwrap();
        assert_eq!(answer.content, "after the wait", "{wire:?}");
    }
    assert_eq!(fake.requests().len(), 6);
}

#[test]
fn parallel_calls_are_answered_concurrently() {
    let fake = FakeLlm::with_handler(echo);
    // Holding every answer means all three can only be in flight together if the fake serves
    // them on separate threads.
    fake.hold();
    let threads: Vec<_> = FORMATS
        .into_iter()
        .map(|(kind, model, _)| {
            let c = config(kind, &fake, model);
            std::thread::spawn(move || {
                c.agent()
                    .unwrap()
                    .invoke(&AgentRequest::single("sys", "hi"))
            })
        })
        .collect();
    assert!(fake.wait_for_requests(3, Duration::from_secs(10)));
    assert_eq!(fake.in_flight(), 3);
    fake.release();
    let answers: Vec<String> = threads
        .into_iter()
        .map(|t| t.join().unwrap().unwrap().content)
        .collect();
    assert_eq!(
        answers,
        [
            "[gpt-4o-mini] hi",
            "[claude-sonnet-4-5] hi",
            "[gemini-2.0-flash] hi"
        ]
    );
    assert_eq!(fake.peak_in_flight(), 3);
    assert_eq!(fake.in_flight(), 0);
}

#[test]
fn latency_delays_each_answer_and_can_change_between_calls() {
    let fake = FakeLlm::with_handler(echo);
    let agent = config(ProviderKind::OpenAi, &fake, "gpt-4o-mini")
        .agent()
        .unwrap();
    let call = || agent.invoke(&AgentRequest::single("sys", "hi")).unwrap();
    fake.set_latency(Duration::from_millis(1200));
    let slow = call();
    assert!(slow.latency_ms >= 1200, "{}", slow.latency_ms);
    fake.set_latency(Duration::ZERO);
    let fast = call();
    assert!(fast.latency_ms < 1200, "{}", fast.latency_ms);
}

#[test]
fn a_held_request_waits_until_released() {
    let fake = FakeLlm::with_handler(echo);
    fake.hold();
    let c = config(ProviderKind::Anthropic, &fake, "claude-sonnet-4-5");
    let call = std::thread::spawn(move || {
        c.agent()
            .unwrap()
            .invoke(&AgentRequest::single("sys", "hi"))
    });
    assert!(fake.wait_for_requests(1, Duration::from_secs(5)));
    std::thread::sleep(Duration::from_millis(300));
    assert!(!call.is_finished(), "a held request must not be answered");
    assert_eq!(fake.in_flight(), 1);
    fake.release();
    let answer = call.join().unwrap().unwrap();
    assert_eq!(answer.content, "[claude-sonnet-4-5] hi");
    assert!(!fake.wait_for_requests(2, Duration::from_millis(50)));
}

#[test]
fn a_long_latency_call_can_be_abandoned_and_the_fake_still_shuts_down() {
    let fake = FakeLlm::with_handler(echo);
    fake.set_latency(Duration::from_secs(30));
    let mut c = config(ProviderKind::Gemini, &fake, "gemini-2.0-flash");
    c.timeout = Duration::from_secs(1);
    c.max_retries = 0;
    let started = Instant::now();
    let err = c
        .agent()
        .unwrap()
        .invoke(&AgentRequest::single("sys", "hi"))
        .unwrap_err();
    assert!(matches!(err, AgentError::Timeout { .. }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(fake.wait_for_requests(1, Duration::from_secs(1)));
    assert_eq!(fake.in_flight(), 1, "the fake is still sitting on the call");
    drop(fake);
}
