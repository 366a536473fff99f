//! A scripted HTTP server on 127.0.0.1 that stands in for an LLM provider. It records every
//! request (method, path, headers, JSON body) and answers from a script or from a handler
//! function, so the real adapter code runs against the provider's wire format.
//!
//! Each connection is served on its own thread, so parallel agents really overlap; an
//! adjustable latency (or `hold`) keeps calls in flight long enough to test aborts.
//!
//! The free functions at the bottom read a recorded request and build answers in whichever
//! wire format (OpenAI chat completions, Anthropic Messages, Gemini generateContent) the
//! caller spoke, so one handler can serve every provider.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: serde_json::Value,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn json(status: u16, body: serde_json::Value) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: body.to_string(),
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }
}

type Handler = dyn Fn(&Recorded) -> Reply + Send + Sync + 'static;

enum Responder {
    /// Replies in order; the last one repeats.
    Script(Mutex<VecDeque<Reply>>),
    Handler(Box<Handler>),
}

impl Responder {
    fn answer(&self, request: &Recorded) -> Reply {
        match self {
            Responder::Script(script) => {
                let mut s = script.lock().expect("lock");
                let next = if s.len() > 1 {
                    s.pop_front()
                } else {
                    s.front().cloned()
                };
                next.unwrap_or_else(|| Reply::json(500, json!({"error": "no scripted reply"})))
            }
            Responder::Handler(f) => f(request),
        }
    }
}

/// What the latency and hold controls share with the serving threads. One condvar wakes
/// sleepers whenever latency, hold or shutdown changes, so nobody sleeps past a release.
struct Gate {
    latency: Duration,
    held: bool,
    stopped: bool,
}

struct Shared {
    requests: Mutex<Vec<Recorded>>,
    arrived: Condvar,
    responder: Responder,
    gate: Mutex<Gate>,
    gate_changed: Condvar,
    in_flight: AtomicUsize,
    peak_in_flight: AtomicUsize,
    stop: AtomicBool,
}

impl Shared {
    /// Waits out the latency that was set when the request arrived, and any hold. Returns
    /// early when the fake shuts down.
    fn delay(&self) {
        let mut gate = self.gate.lock().expect("lock");
        let deadline = Instant::now() + gate.latency;
        loop {
            if gate.stopped {
                return;
            }
            let now = Instant::now();
            if !gate.held && now >= deadline {
                return;
            }
            let wait = if gate.held {
                Duration::from_millis(200)
            } else {
                deadline - now
            };
            gate = self.gate_changed.wait_timeout(gate, wait).expect("lock").0;
        }
    }
}

pub struct FakeLlm {
    pub base_url: String,
    shared: Arc<Shared>,
}

impl FakeLlm {
    /// Answers with `replies` in order; the last one repeats.
    pub fn start(replies: Vec<Reply>) -> FakeLlm {
        FakeLlm::launch(Responder::Script(Mutex::new(VecDeque::from(replies))))
    }

    /// Answers every request with `f(request)`. `f` runs on the connection's own thread,
    /// concurrently with other calls.
    pub fn with_handler(f: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> FakeLlm {
        FakeLlm::launch(Responder::Handler(Box::new(f)))
    }

    fn launch(responder: Responder) -> FakeLlm {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind fake llm");
        listener.set_nonblocking(true).expect("nonblocking");
        let base_url = format!("http://{}", listener.local_addr().expect("addr"));
        let shared = Arc::new(Shared {
            requests: Mutex::new(Vec::new()),
            arrived: Condvar::new(),
            responder,
            gate: Mutex::new(Gate {
                latency: Duration::ZERO,
                held: false,
                stopped: false,
            }),
            gate_changed: Condvar::new(),
            in_flight: AtomicUsize::new(0),
            peak_in_flight: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
        });
        let accept_shared = shared.clone();
        std::thread::spawn(move || {
            while !accept_shared.stop.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let shared = accept_shared.clone();
                        std::thread::spawn(move || {
                            let _ = serve(stream, &shared);
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        FakeLlm { base_url, shared }
    }

    /// Every request received so far, in arrival order (including ones still being answered).
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().expect("lock").clone()
    }

    /// Delay applied before each answer, read when a request arrives. `30 s` makes a call
    /// hang long enough to abort it; the fake's drop ends the wait.
    pub fn set_latency(&self, d: Duration) {
        self.shared.gate.lock().expect("lock").latency = d;
        self.shared.gate_changed.notify_all();
    }

    /// Requests that arrive (or are waiting) while held get no answer until `release`.
    pub fn hold(&self) {
        self.shared.gate.lock().expect("lock").held = true;
        self.shared.gate_changed.notify_all();
    }

    /// Lets held requests be answered (after whatever latency remains).
    pub fn release(&self) {
        self.shared.gate.lock().expect("lock").held = false;
        self.shared.gate_changed.notify_all();
    }

    /// True once at least `n` requests have arrived; false if `timeout` passes first.
    pub fn wait_for_requests(&self, n: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut requests = self.shared.requests.lock().expect("lock");
        while requests.len() < n {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            requests = self
                .shared
                .arrived
                .wait_timeout(requests, deadline - now)
                .expect("lock")
                .0;
        }
        true
    }

    /// Requests received but not yet answered.
    pub fn in_flight(&self) -> usize {
        self.shared.in_flight.load(Ordering::SeqCst)
    }

    /// The most requests that were being answered at the same moment.
    pub fn peak_in_flight(&self) -> usize {
        self.shared.peak_in_flight.load(Ordering::SeqCst)
    }
}

impl Drop for FakeLlm {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.gate.lock().expect("lock").stopped = true;
        self.shared.gate_changed.notify_all();
    }
}

/// Decrements the in-flight count however the answer ends (written, client gone, panic).
struct InFlight<'a>(&'a AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn serve(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut out = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let mut headers = Vec::new();
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        reader.read_line(&mut h)?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            }
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    let recorded = Recorded {
        method,
        path,
        headers,
        body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
    };
    let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    shared.peak_in_flight.fetch_max(now, Ordering::SeqCst);
    let _in_flight = InFlight(&shared.in_flight);
    shared.requests.lock().expect("lock").push(recorded.clone());
    shared.arrived.notify_all();
    shared.delay();
    let reply = shared.responder.answer(&recorded);
    let mut response = format!(
        "HTTP/1.1 {} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        reply.status,
        reply.body.len()
    );
    for (k, v) in &reply.headers {
        response.push_str(&format!("{k}: {v}\r\n"));
    }
    response.push_str("\r\n");
    out.write_all(response.as_bytes())?;
    out.write_all(reply.body.as_bytes())?;
    out.flush()
}

/// An OpenAI chat-completions answer with `content`.
pub fn openai_reply(content: &str) -> Reply {
    Reply::json(
        200,
        serde_json::json!({
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "model": "gpt-4o-mini",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500}
        }),
    )
}

/// The provider wire format a request was sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    OpenAi,
    Anthropic,
    Gemini,
}

/// By path; a request on an unexpected path is judged by its body's shape.
pub fn wire_of(r: &Recorded) -> Wire {
    let path = r.path.split('?').next().unwrap_or(&r.path);
    if path.ends_with("/chat/completions") {
        Wire::OpenAi
    } else if path.ends_with("/v1/messages") {
        Wire::Anthropic
    } else if path.contains(":generateContent") || r.body.get("contents").is_some() {
        Wire::Gemini
    } else if r.body.get("system").is_some() {
        Wire::Anthropic
    } else {
        Wire::OpenAi
    }
}

/// The model asked for: the body's `model`, or for Gemini the `models/<m>:generateContent`
/// path segment.
pub fn model_of(r: &Recorded) -> String {
    match wire_of(r) {
        Wire::Gemini => r
            .path
            .split("models/")
            .nth(1)
            .and_then(|rest| rest.split(':').next())
            .unwrap_or_default()
            .to_string(),
        Wire::OpenAi | Wire::Anthropic => r.body["model"].as_str().unwrap_or_default().to_string(),
    }
}

/// Text of a message `content`: a plain string or a list of `{type: text, text}` blocks.
fn content_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(""),
        _ => String::new(),
    }
}

/// Gemini `parts[].text`, joined.
fn parts_text(parts: &Value) -> String {
    parts
        .as_array()
        .map(|ps| {
            ps.iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join("")
        })
        .unwrap_or_default()
}

/// The conversation as (role, text), roles normalised to "system" / "user" / "assistant".
fn messages_of(r: &Recorded) -> Vec<(String, String)> {
    let list = |key: &str| r.body[key].as_array().cloned().unwrap_or_default();
    match wire_of(r) {
        Wire::OpenAi | Wire::Anthropic => list("messages")
            .iter()
            .map(|m| {
                (
                    m["role"].as_str().unwrap_or_default().to_string(),
                    content_text(&m["content"]),
                )
            })
            .collect(),
        Wire::Gemini => list("contents")
            .iter()
            .map(|c| {
                let role = match c["role"].as_str() {
                    Some("model") => "assistant",
                    _ => "user",
                };
                (role.to_string(), parts_text(&c["parts"]))
            })
            .collect(),
    }
}

/// The system prompt, wherever the wire format puts it.
pub fn system_text(r: &Recorded) -> String {
    match wire_of(r) {
        Wire::OpenAi => messages_of(r)
            .into_iter()
            .filter(|(role, _)| role == "system" || role == "developer")
            .map(|(_, text)| text)
            .collect::<Vec<_>>()
            .join("\n\n"),
        Wire::Anthropic => content_text(&r.body["system"]),
        Wire::Gemini => {
            let instruction = if r.body.get("systemInstruction").is_some() {
                &r.body["systemInstruction"]
            } else {
                &r.body["system_instruction"]
            };
            parts_text(&instruction["parts"])
        }
    }
}

/// Every user message, joined with blank lines.
pub fn user_text(r: &Recorded) -> String {
    messages_of(r)
        .into_iter()
        .filter(|(role, _)| role == "user")
        .map(|(_, text)| text)
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Whether the caller asked for a JSON-only answer (OpenAI `response_format`, Gemini
/// `responseMimeType`); Anthropic has no such switch.
pub fn wants_json(r: &Recorded) -> bool {
    match wire_of(r) {
        Wire::OpenAi => matches!(
            r.body
                .pointer("/response_format/type")
                .and_then(Value::as_str),
            Some("json_object" | "json_schema")
        ),
        Wire::Anthropic => false,
        Wire::Gemini => {
            let config = if r.body.get("generationConfig").is_some() {
                &r.body["generationConfig"]
            } else {
                &r.body["generation_config"]
            };
            let mime = config
                .get("responseMimeType")
                .or_else(|| config.get("response_mime_type"))
                .and_then(Value::as_str);
            mime == Some("application/json")
        }
    }
}

/// A rough token count: one per four characters, at least one.
pub fn approx_tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4).max(1)
}

/// The (input, output) token usage `reply_for` reports: the whole prompt (system and every
/// message) in, `text` out.
pub fn usage_for(r: &Recorded, text: &str) -> (u64, u64) {
    let prompt: String = std::iter::once(system_text(r))
        .chain(
            messages_of(r)
                .into_iter()
                .filter(|(role, _)| role != "system" && role != "developer")
                .map(|(_, t)| t),
        )
        .collect::<Vec<_>>()
        .join("\n");
    (approx_tokens(&prompt), approx_tokens(text))
}

/// A 200 answer carrying `text`, in the caller's wire format, with `usage_for` token counts.
pub fn reply_for(r: &Recorded, text: &str) -> Reply {
    let (input, output) = usage_for(r, text);
    let model = model_of(r);
    let body = match wire_of(r) {
        Wire::OpenAi => json!({
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "model": model,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop"
            }],
            "usage": {
                "prompt_tokens": input,
                "completion_tokens": output,
                "total_tokens": input + output
            }
        }),
        Wire::Anthropic => json!({
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": input, "output_tokens": output}
        }),
        Wire::Gemini => json!({
            "candidates": [{
                "content": {"role": "model", "parts": [{"text": text}]},
                "finishReason": "STOP",
                "index": 0
            }],
            "usageMetadata": {
                "promptTokenCount": input,
                "candidatesTokenCount": output,
                "totalTokenCount": input + output
            },
            "modelVersion": model
        }),
    };
    Reply::json(200, body)
}

/// An error answer in the caller's wire format. Add `.with_header("retry-after", "0")` to a
/// 429/5xx so the adapter's retry does not wait.
pub fn error_for(r: &Recorded, status: u16, message: &str) -> Reply {
    let body = match wire_of(r) {
        Wire::OpenAi => json!({
            "error": {
                "message": message,
                "type": match status {
                    401 => "invalid_request_error",
                    429 => "rate_limit_exceeded",
                    s if s >= 500 => "server_error",
                    _ => "invalid_request_error",
                },
                "param": null,
                "code": null
            }
        }),
        Wire::Anthropic => json!({
            "type": "error",
            "error": {
                "type": match status {
                    401 => "authentication_error",
                    404 => "not_found_error",
                    429 => "rate_limit_error",
                    529 => "overloaded_error",
                    s if s >= 500 => "api_error",
                    _ => "invalid_request_error",
                },
                "message": message
            }
        }),
        Wire::Gemini => json!({
            "error": {
                "code": status,
                "message": message,
                "status": match status {
                    401 => "UNAUTHENTICATED",
                    403 => "PERMISSION_DENIED",
                    404 => "NOT_FOUND",
                    429 => "RESOURCE_EXHAUSTED",
                    503 => "UNAVAILABLE",
                    s if s >= 500 => "INTERNAL",
                    _ => "INVALID_ARGUMENT",
                }
            }
        }),
    };
    Reply::json(status, body)
}

/// An audit verdict as an auditor agent would write it.
pub fn verdict_json(score: u8, decision: &str, feedback: &str) -> String {
    json!({"score": score, "decision": decision, "feedback": feedback}).to_string()
}
