//! Runs one state's agent calls: concurrently for a fan-out (one thread each), under one
//! deadline for the batch, while watching for an abort. A call still running when the run is
//! aborted or the deadline passes is abandoned: its thread finishes on its own (bounded by the
//! agent's timeout) and its answer is dropped, so nothing it returns reaches the run.

use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::workflow::agents::{Agent, AgentRequest, AgentResponse};

pub struct Call {
    pub agent_name: String,
    pub agent: Arc<dyn Agent>,
    pub request: AgentRequest,
}

pub struct CallResult {
    pub agent_name: String,
    pub model: String,
    pub outcome: Result<AgentResponse, String>,
    pub latency_ms: u64,
}

/// What the watcher says between polls.
pub enum Watch {
    Continue,
    Abort,
}

pub enum Batch {
    Done(Vec<CallResult>),
    /// Stopped by the watcher; holds the calls that had already answered, which were paid for.
    Aborted(Vec<CallResult>),
}

/// How often the watcher runs while calls are out.
const TICK: Duration = Duration::from_millis(100);

/// Runs the calls; `on_start` and `on_result` report progress as it happens (from this
/// thread), `watch` is asked every tick whether to go on.
pub fn run_batch(
    calls: Vec<Call>,
    parallel: bool,
    deadline: Duration,
    on_start: &mut dyn FnMut(&Call),
    on_result: &mut dyn FnMut(&CallResult),
    watch: &mut dyn FnMut() -> Watch,
) -> Batch {
    let started = Instant::now();
    let mut results: Vec<Option<CallResult>> = (0..calls.len()).map(|_| None).collect();
    let (tx, rx) = mpsc::channel::<(usize, CallResult)>();
    let total = calls.len();
    let mut pending: Vec<(usize, Call)> = calls.into_iter().enumerate().collect();
    pending.reverse();
    let mut in_flight: Vec<(usize, String, String)> = Vec::new();
    let launch = |(i, call): (usize, Call), tx: mpsc::Sender<(usize, CallResult)>| {
        let describe = call.agent.describe();
        let spawned = std::thread::Builder::new()
            .name(format!("agent-{}", call.agent_name))
            .spawn(move || {
                let t = Instant::now();
                let outcome = call.agent.invoke(&call.request).map_err(|e| e.to_string());
                let result = CallResult {
                    agent_name: call.agent_name,
                    model: describe,
                    outcome,
                    latency_ms: t.elapsed().as_millis() as u64,
                };
                let _ = tx.send((i, result));
            });
        spawned.map_err(|e| e.to_string())
    };
    let mut done = 0;
    while done < total {
        // Start what may start: everything at once in parallel mode, else one at a time.
        while let Some((i, call)) = pending.pop() {
            if !parallel && !in_flight.is_empty() {
                pending.push((i, call));
                break;
            }
            on_start(&call);
            let name = call.agent_name.clone();
            let model = call.agent.describe();
            if let Err(e) = launch((i, call), tx.clone()) {
                let r = CallResult {
                    agent_name: name,
                    model,
                    outcome: Err(format!("could not start the call: {e}")),
                    latency_ms: 0,
                };
                on_result(&r);
                results[i] = Some(r);
                done += 1;
            } else {
                in_flight.push((i, name, model));
            }
        }
        if done >= total {
            break;
        }
        if let Watch::Abort = watch() {
            return Batch::Aborted(results.into_iter().flatten().collect());
        }
        if started.elapsed() >= deadline {
            for (i, name, model) in in_flight.drain(..) {
                let r = CallResult {
                    agent_name: name,
                    model,
                    outcome: Err(format!(
                        "timed out after {} s (the state's time limit)",
                        deadline.as_secs()
                    )),
                    latency_ms: started.elapsed().as_millis() as u64,
                };
                on_result(&r);
                results[i] = Some(r);
            }
            // Calls that never started count as timed out too.
            while let Some((i, call)) = pending.pop() {
                let r = CallResult {
                    agent_name: call.agent_name.clone(),
                    model: call.agent.describe(),
                    outcome: Err("not started: the state ran out of time".into()),
                    latency_ms: 0,
                };
                on_result(&r);
                results[i] = Some(r);
            }
            break;
        }
        match rx.recv_timeout(TICK) {
            Ok((i, r)) => {
                in_flight.retain(|(j, _, _)| *j != i);
                on_result(&r);
                results[i] = Some(r);
                done += 1;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    Batch::Done(results.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::agents::AgentError;

    struct Slow(u64, &'static str);
    impl Agent for Slow {
        fn invoke(&self, _: &AgentRequest) -> Result<AgentResponse, AgentError> {
            std::thread::sleep(Duration::from_millis(self.0));
            if self.1 == "fail" {
                return Err(AgentError::NotConfigured("broken".into()));
            }
            Ok(AgentResponse {
                content: self.1.into(),
                model: "m".into(),
                input_tokens: 1,
                output_tokens: 1,
                cost_usd: 0.0,
                latency_ms: self.0,
            })
        }
        fn describe(&self) -> String {
            "slow".into()
        }
    }

    fn call(name: &str, ms: u64, text: &'static str) -> Call {
        Call {
            agent_name: name.into(),
            agent: Arc::new(Slow(ms, text)),
            request: AgentRequest::single("s", "u"),
        }
    }

    #[test]
    fn parallel_calls_overlap_and_keep_their_order() {
        let t = Instant::now();
        let out = run_batch(
            vec![
                call("a", 300, "A"),
                call("b", 300, "B"),
                call("c", 10, "fail"),
            ],
            true,
            Duration::from_secs(5),
            &mut |_| {},
            &mut |_| {},
            &mut || Watch::Continue,
        );
        let Batch::Done(results) = out else {
            panic!("not aborted")
        };
        assert!(t.elapsed() < Duration::from_millis(550), "ran concurrently");
        let names: Vec<_> = results.iter().map(|r| r.agent_name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert!(results[2].outcome.is_err());
    }

    #[test]
    fn the_deadline_fails_stragglers_and_abort_stops_waiting() {
        let out = run_batch(
            vec![call("quick", 10, "Q"), call("stuck", 5_000, "S")],
            true,
            Duration::from_millis(300),
            &mut |_| {},
            &mut |_| {},
            &mut || Watch::Continue,
        );
        let Batch::Done(results) = out else {
            panic!("not aborted")
        };
        assert!(results[0].outcome.is_ok());
        assert!(results[1]
            .outcome
            .as_ref()
            .is_err_and(|e| e.contains("timed out")));
        let t = Instant::now();
        let aborted = run_batch(
            vec![call("stuck", 5_000, "S")],
            false,
            Duration::from_secs(10),
            &mut |_| {},
            &mut |_| {},
            &mut || {
                if t.elapsed() > Duration::from_millis(200) {
                    Watch::Abort
                } else {
                    Watch::Continue
                }
            },
        );
        assert!(matches!(aborted, Batch::Aborted(ref done) if done.is_empty()));
        assert!(t.elapsed() < Duration::from_secs(1));
    }
}
