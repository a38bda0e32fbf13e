//! `serve`: the component behind Crossplane's FunctionRunnerService, on the
//! server of Crossplane's official Rust SDK (its flags, mTLS, health,
//! reflection, metrics and logging).
//!
//! Each request is handed to the component as bytes on a blocking thread,
//! so a slow or trapping call never holds up the async executor, and a
//! semaphore bounds how many calls (each with its own memory limit) run at
//! once. A trap or exhausted limit is a FATAL result for that request; the
//! server goes on serving.

use std::sync::Arc;
use std::time::Instant;

use function_sdk_rust::proto::v1::function_runner_service_server::FunctionRunnerService;
use function_sdk_rust::proto::v1::{RunFunctionRequest, RunFunctionResponse, Severity};
use prost::Message;
use tokio::sync::Semaphore;
use tonic::{Request, Response, Status};

use crate::protocol;
use crate::runtime::{RunError, Runtime};

pub use function_sdk_rust::Args as SdkArgs;

/// The function as the SDK's server calls it.
pub struct ConnectionDetailsFunction {
    runtime: Arc<Runtime>,
    calls: Arc<Semaphore>,
}

impl ConnectionDetailsFunction {
    pub fn new(runtime: Runtime, max_concurrent_calls: usize) -> Self {
        Self { runtime: Arc::new(runtime), calls: Arc::new(Semaphore::new(max_concurrent_calls.max(1))) }
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

#[tonic::async_trait]
impl FunctionRunnerService for ConnectionDetailsFunction {
    async fn run_function(
        &self,
        request: Request<RunFunctionRequest>,
    ) -> Result<Response<RunFunctionResponse>, Status> {
        let started = Instant::now();
        let request = request.into_inner();
        let tag = request.meta.as_ref().map(|meta| meta.tag.clone()).unwrap_or_default();
        let bytes = request.encode_to_vec();
        let permit = Arc::clone(&self.calls)
            .acquire_owned()
            .await
            .map_err(|_| Status::unavailable("the server is shutting down"))?;
        let runtime = Arc::clone(&self.runtime);
        let (bytes, ran) = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let ran = runtime.run_function(&bytes);
            (bytes, ran)
        })
        .await
        .map_err(|_| Status::internal("the call to the component was lost"))?;
        let (response, outcome) = match ran {
            Ok(response) => (response, Outcome::Ok),
            Err(RunError::Rejected(error)) => {
                log(&tag, started, Outcome::Rejected, 0);
                return Err(Status::invalid_argument(error.message));
            }
            Err(error) => {
                let outcome = match error {
                    RunError::CpuLimit => Outcome::CpuLimit,
                    RunError::MemoryLimit => Outcome::MemoryLimit,
                    _ => Outcome::Trap,
                };
                (protocol::fatal_response(&bytes, &error.to_string()), outcome)
            }
        };
        let response = RunFunctionResponse::decode(response.as_slice())
            .map_err(|error| Status::internal(format!("the component returned an undecodable response: {error}")))?;
        let fatal = response.results.iter().any(|result| result.severity() == Severity::Fatal);
        let outcome = if outcome == Outcome::Ok && fatal { Outcome::Fatal } else { outcome };
        log(&tag, started, outcome, response.results.len());
        Ok(Response::new(response))
    }
}

/// One line per request: tag, duration, outcome, how many results. Never
/// a value: the response is not logged.
fn log(tag: &str, started: Instant, outcome: Outcome, results: usize) {
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    tracing::info!(tag, duration_ms, outcome = outcome.as_str(), results, "RunFunction");
}

/// Serves until SIGTERM or Ctrl-C.
pub async fn serve(function: ConnectionDetailsFunction, args: &SdkArgs) -> Result<(), function_sdk_rust::Error> {
    function_sdk_rust::Server::new(function, args).serve().await
}
