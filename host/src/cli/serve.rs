//! `serve`: the function over gRPC, for Crossplane.

use std::time::Duration;

use clap::Args;

use super::runtime_args::RuntimeArgs;
use super::{Failure, exit, logging};
use crate::server;

pub const EXAMPLE: &str = "\
Examples:
  function-connection-details serve --insecure --address 127.0.0.1:9443
  function-connection-details serve --tls-certs-dir /tls/server   # tls.crt, tls.key, ca.crt

Both addresses are bound before the server says it is serving; one in use
ends it at once, naming the address and the reason.

What one client can hold is bounded: connections (--max-connections), streams
per connection (--max-concurrent-streams), the request bytes held at once
(--max-buffered-mib, at most half of them for one connection), the TLS
handshake, idle connections and each call's time. /metrics takes 8
connections, a request head within 5 s, and closes connections idle for 30 s.

On SIGTERM or Ctrl-C the server stops listening, answers new calls UNAVAILABLE,
turns its health checks NOT_SERVING and finishes the calls in flight (for at
most 25 seconds, inside Kubernetes' default grace period of 30).

Exit status: 0 after a clean shutdown; 2 when the server cannot start (an
address in use, unreadable certificates) or fails.";

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    sdk: server::SdkArgs,

    /// How many requests run in the component at once; more wait their turn.
    #[arg(long, value_name = "N", default_value_t = default_concurrency())]
    max_concurrent_calls: usize,

    /// HTTP/2 streams one connection may have open at once, advertised to
    /// clients as SETTINGS_MAX_CONCURRENT_STREAMS [default: 4 × --max-concurrent-calls].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    max_concurrent_streams: Option<u32>,

    /// Request bytes the server holds at once, across connections, in MiB.
    /// Each call reserves --max-recv-message-size of it before its request
    /// is read, until its response is ready; others wait, their bytes
    /// still with the client. One connection may take at most half.
    #[arg(long, value_name = "MIB", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..))]
    max_buffered_mib: u32,

    /// gRPC connections open at once; more wait to be accepted.
    #[arg(long, value_name = "N", default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,

    /// How long a client has to complete its TLS handshake.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = duration)]
    tls_handshake_timeout: Duration,

    /// A connection without a byte either way for this long is closed
    /// (gRPC clients reconnect when they next call).
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = duration)]
    idle_timeout: Duration,

    /// The longest one call may take, waiting for its turn included; a
    /// shorter deadline from the client (grpc-timeout) wins.
    #[arg(long, value_name = "DURATION", default_value = "2m", value_parser = duration)]
    request_timeout: Duration,

    #[command(flatten)]
    runtime: RuntimeArgs,
}

/// Two calls per core keep every core busy while one call waits on memory.
fn default_concurrency() -> usize {
    std::thread::available_parallelism().map_or(2, |cores| cores.get() * 2)
}

/// A duration as kubectl and Go write them: `10s`, `5m`, `1m30s`, `500ms`.
fn duration(text: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(text)
        .map_err(|error| format!("{error}; write a number and a unit, such as 10s, 5m or 500ms"))?;
    if duration.is_zero() {
        return Err("must be more than zero".to_owned());
    }
    Ok(duration)
}

impl ServeArgs {
    /// The server's limits, refused when one undoes another.
    fn limits(&self) -> Result<server::ServerLimits, Failure> {
        // A call's connection is often silent while the call runs; closing
        // it as idle would cut the call off.
        if self.idle_timeout <= self.request_timeout {
            return Err(Failure::unusable(format!(
                "--idle-timeout ({}) must be longer than --request-timeout ({}), or a connection could be \
                 closed under a call that is still running",
                humantime::format_duration(self.idle_timeout),
                humantime::format_duration(self.request_timeout)
            )));
        }
        let calls = u32::try_from(self.max_concurrent_calls).unwrap_or(u32::MAX);
        Ok(server::ServerLimits {
            max_concurrent_streams: self.max_concurrent_streams.unwrap_or(calls.saturating_mul(4)),
            max_buffered_bytes: usize::try_from(self.max_buffered_mib).unwrap_or(usize::MAX).saturating_mul(1 << 20),
            max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
            tls_handshake_timeout: self.tls_handshake_timeout,
            idle_timeout: self.idle_timeout,
            request_timeout: self.request_timeout,
        })
    }
}

pub fn serve(args: &ServeArgs) -> Result<u8, Failure> {
    let limits = args.limits()?;
    logging::configure(args.sdk.debug);
    // Compile before listening, so a bad --component fails at once.
    let runtime = args.runtime.load(args.max_concurrent_calls)?;
    let function = server::ConnectionDetailsFunction::new(runtime);
    let executor = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| Failure::unusable(format!("cannot start the async runtime: {error}")))?;
    executor
        .block_on(server::serve(function, &args.sdk, &limits))
        .map_err(|error| Failure::unusable(format!("cannot serve: {error}")))?;
    Ok(exit::SUCCESS)
}
