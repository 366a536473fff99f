//! A stand-in for an OpenAI-compatible provider, for the engine benchmark: answers every
//! `POST .../chat/completions` after a fixed delay with a fixed body, one thread per
//! connection so the delays overlap as real calls would. Requests that ask for JSON get a
//! passing verdict; the rest get a short post.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{json, Value};

const VERDICT: &str = r#"{"score":9,"decision":"proceed","feedback":"ok"}"#;
const POST: &str = "We shipped every Thursday for a year. The habit mattered more than any \
single release: small changes, read by real customers within a week, taught us what to \
build next. Some weeks the release was one button. That was fine.\n\nWhat is your team's \
smallest useful release?";
/// Requests larger than this are refused rather than read into memory.
const MAX_BODY: usize = 8 * 1024 * 1024;

pub struct FakeLlm {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    requests: Arc<AtomicU64>,
    acceptor: Option<JoinHandle<()>>,
}

impl FakeLlm {
    pub fn start(latency: Duration) -> Result<FakeLlm, String> {
        let listener =
            TcpListener::bind("127.0.0.1:0").map_err(|e| format!("fake LLM server: {e}"))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("fake LLM server: {e}"))?;
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(AtomicU64::new(0));
        let acceptor = {
            let stop = stop.clone();
            let requests = requests.clone();
            std::thread::Builder::new()
                .name("bench-fake-llm".into())
                .spawn(move || accept(listener, latency, stop, requests))
                .map_err(|e| format!("fake LLM server: {e}"))?
        };
        Ok(FakeLlm {
            addr,
            stop,
            requests,
            acceptor: Some(acceptor),
        })
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for FakeLlm {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the blocking accept so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(handle) = self.acceptor.take() {
            let _ = handle.join();
        }
    }
}

fn accept(
    listener: TcpListener,
    latency: Duration,
    stop: Arc<AtomicBool>,
    requests: Arc<AtomicU64>,
) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        let requests = requests.clone();
        let spawned = std::thread::Builder::new()
            .name("bench-fake-llm-conn".into())
            .spawn(move || {
                if let Err(e) = serve(stream, latency, &requests) {
                    tracing::debug!(error = %e, "fake LLM connection ended");
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "fake LLM server cannot start a connection thread");
        }
    }
}

/// One request per connection: read it, wait, answer and close.
fn serve(stream: TcpStream, latency: Duration, requests: &AtomicU64) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    if length > MAX_BODY {
        return respond(stream, 413, &json!({"error": {"message": "too large"}}));
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    if !request_line.starts_with("POST ") || !request_line.contains("/chat/completions") {
        return respond(stream, 404, &json!({"error": {"message": "not found"}}));
    }
    requests.fetch_add(1, Ordering::SeqCst);
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let content = if request.get("response_format").is_some() {
        VERDICT
    } else {
        POST
    };
    std::thread::sleep(latency);
    let answer = json!({
        "id": "bench",
        "object": "chat.completion",
        "model": request.get("model").and_then(Value::as_str).unwrap_or("bench"),
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content},
            "finish_reason": "stop",
        }],
        // Roughly four bytes a token, so the token and cost meters move.
        "usage": {
            "prompt_tokens": length / 4,
            "completion_tokens": content.len() / 4,
            "total_tokens": length / 4 + content.len() / 4,
        },
    });
    respond(stream, 200, &answer)
}

fn respond(mut stream: TcpStream, status: u16, body: &Value) -> std::io::Result<()> {
    let text = body.to_string();
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Payload Too Large",
    };
    write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{text}",
        text.len()
    )?;
    stream.flush()
}
