//! One RunFunction call: request bytes into the component, response bytes
//! out, one log line.
//!
//! The call runs on the server's own thread: the component is called
//! asynchronously and yields at every CPU tick, so a slow or hostile call
//! shares its thread instead of holding it. A trap or exhausted limit is a
//! FATAL result for that request; the server goes on.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use bytes::Bytes;
use tonic::Status;

use crate::protocol;
use crate::runtime::{RunError, Runtime};

/// The component behind the RunFunction services. The runtime bounds how
/// many calls run at once (`Settings::concurrent_calls`); the rest wait.
pub struct ConnectionDetailsFunction {
    runtime: Runtime,
    /// Set on SIGTERM: calls that start after it are turned away with
    /// UNAVAILABLE (Crossplane retries them on another replica), while the
    /// calls already started, their request still arriving or running,
    /// finish. HTTP/2's GOAWAY alone is not enough: a call that races it
    /// can see its stream reset, which clients report as INTERNAL.
    stopping: AtomicBool,
}

impl ConnectionDetailsFunction {
    pub fn new(runtime: Runtime) -> Arc<Self> {
        Arc::new(Self { runtime, stopping: AtomicBool::new(false) })
    }

    pub(super) fn stop_taking_calls(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    /// `Err(UNAVAILABLE)` once the server is stopping.
    pub(super) fn take_call(&self) -> Result<(), Status> {
        if self.stopping.load(Ordering::SeqCst) {
            return Err(Status::unavailable("the function is shutting down; call another replica"));
        }
        Ok(())
    }

    pub(super) async fn run_function(&self, request: Bytes) -> Result<Bytes, Status> {
        let started = Instant::now();
        let ran = self.runtime.run_function(&request).await;
        let answer = answer(&request, ran);
        log(&request, started, &answer);
        answer.map(|answered| Bytes::from(answered.response))
    }
}

/// How one request ended, for its log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Ok,
    Fatal,
    CpuLimit,
    MemoryLimit,
    Trap,
    Rejected,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Fatal => "fatal-result",
            Self::CpuLimit => "cpu-limit",
            Self::MemoryLimit => "memory-limit",
            Self::Trap => "trap",
            Self::Rejected => "rejected",
        }
    }
}

/// A response and what the log line says of it.
struct Answered {
    response: Vec<u8>,
    outcome: Outcome,
    results: usize,
}

/// The response for one call and how it ended: the component's response;
/// for a limit or trap, a FATAL result built from the request; for bytes
/// the component refused as no request, INVALID_ARGUMENT.
fn answer(request: &[u8], ran: Result<Vec<u8>, RunError>) -> Result<Answered, Status> {
    let (response, outcome) = match ran {
        Ok(response) => (response, Outcome::Ok),
        Err(RunError::Rejected(error)) => return Err(Status::invalid_argument(error.message)),
        Err(error) => {
            let outcome = match error {
                RunError::CpuLimit => Outcome::CpuLimit,
                RunError::MemoryLimit => Outcome::MemoryLimit,
                _ => Outcome::Trap,
            };
            (protocol::fatal_response(request, &error.to_string()), outcome)
        }
    };
    let summary = protocol::summarize(&response);
    let outcome = if outcome == Outcome::Ok && summary.fatal { Outcome::Fatal } else { outcome };
    Ok(Answered { response, outcome, results: summary.results })
}

/// One line per request: tag, duration, outcome, how many results. Never
/// a value: neither request nor response is logged.
fn log(request: &[u8], started: Instant, answer: &Result<Answered, Status>) {
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    let tag = protocol::request_tag(request);
    let (outcome, results) = match answer {
        Ok(answered) => (answered.outcome, answered.results),
        Err(_) => (Outcome::Rejected, 0),
    };
    tracing::info!(tag, duration_ms, outcome = outcome.as_str(), results, "RunFunction");
}
