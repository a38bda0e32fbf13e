//! `serve`: the function over gRPC, for Crossplane.

use clap::Args;

use super::runtime_args::RuntimeArgs;
use super::{Failure, exit};
use crate::server;

pub const EXAMPLE: &str = "\
Examples:
  function-connection-details serve --insecure --address 127.0.0.1:9443
  function-connection-details serve --tls-certs-dir /tls/server   # tls.crt, tls.key, ca.crt

On SIGTERM or Ctrl-C the server stops listening, answers new calls UNAVAILABLE,
turns its health checks NOT_SERVING and finishes the calls in flight (for at
most 25 seconds, inside Kubernetes' default grace period of 30).

Exit status: 0 after a clean shutdown; 2 when the server cannot start.";

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    sdk: server::SdkArgs,

    /// How many requests run in the component at once; more wait their turn.
    #[arg(long, value_name = "N", default_value_t = default_concurrency())]
    max_concurrent_calls: usize,

    #[command(flatten)]
    runtime: RuntimeArgs,
}

/// Two calls per core keep every core busy while one call waits on memory.
fn default_concurrency() -> usize {
    std::thread::available_parallelism().map_or(2, |cores| cores.get() * 2)
}

pub fn serve(args: &ServeArgs) -> Result<u8, Failure> {
    function_sdk_rust::logging::configure(args.sdk.debug);
    // Compile before listening, so a bad --component fails at once.
    let runtime = args.runtime.load(args.max_concurrent_calls)?;
    let function = server::ConnectionDetailsFunction::new(runtime);
    let executor = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| Failure::unusable(format!("cannot start the async runtime: {error}")))?;
    executor
        .block_on(server::serve(function, &args.sdk))
        .map_err(|error| Failure::unusable(format!("cannot serve: {error}")))?;
    Ok(exit::SUCCESS)
}
