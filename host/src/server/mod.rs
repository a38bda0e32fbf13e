//! `serve`: the component behind Crossplane's FunctionRunnerService.
//!
//! The server is our own tonic server, not the SDK's: the SDK decodes every
//! request into its types, and here request bytes must reach the component
//! untouched (for speed, and so fields newer than any transcription pass
//! through). It keeps the SDK's behaviour flag for flag: its [`SdkArgs`],
//! mutual TLS from `--tls-certs-dir`, gRPC health and reflection, the
//! `grpc_server_*` metrics, JSON logs, and a graceful stop on SIGTERM or
//! Ctrl-C. Beyond the SDK, it also answers the v1beta1 package that
//! Crossplane 1.14–1.16 call.
//!
//! Beyond the SDK, it bounds what a client can hold: connections
//! ([`listen`]), streams per connection, request bytes buffered per
//! connection and in total ([`service::RequestBudget`]), and the time a TLS
//! handshake, an idle connection or a call may take ([`ServerLimits`]).

mod codec;
mod function;
pub mod listen;
mod metrics;
mod service;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tonic::transport::{Certificate, Identity, Server, ServerTlsConfig};
use tonic_health::ServingStatus;

pub use function::ConnectionDetailsFunction;
pub use function_sdk_rust::Args as SdkArgs;
use listen::{BindError, ConnectionLimits};
use metrics::{GrpcMetrics, MetricsLayer};
use service::DEFAULT_MAX_REQUEST_BYTES;
use service::{Package, RequestBudget, RunnerService, V1, V1beta1};

/// What one client can hold of the server, beyond the SDK's flags.
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// HTTP/2 streams one connection may have open at once, advertised as
    /// SETTINGS_MAX_CONCURRENT_STREAMS.
    pub max_concurrent_streams: u32,
    /// Request bytes held at once across all connections (see
    /// [`RequestBudget`]); one connection may take at most half of them.
    pub max_buffered_bytes: usize,
    /// gRPC connections open at once.
    pub max_connections: usize,
    /// How long a client has to complete its TLS handshake.
    pub tls_handshake_timeout: Duration,
    /// A connection without a byte either way for this long is closed.
    pub idle_timeout: Duration,
    /// The longest a call may take from its first byte to its response,
    /// waiting for its turn included; a shorter `grpc-timeout` wins.
    pub request_timeout: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            max_concurrent_streams: 16,
            max_buffered_bytes: 64 << 20,
            max_connections: 256,
            tls_handshake_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(300),
            request_timeout: Duration::from_secs(120),
        }
    }
}

/// `/metrics` is read by one scraper now and then: a few connections, a
/// short wait for a request's head, and no connection kept idle for long.
const METRICS_LIMITS: ConnectionLimits = ConnectionLimits { max_connections: 8, idle_timeout: Duration::from_secs(30) };

/// Why the server could not start or stopped with an error.
#[derive(Debug)]
pub enum ServeError {
    /// An address could not be listened on.
    Bind(BindError),
    /// Neither `--tls-certs-dir` nor `--insecure` was given.
    NoCredentials,
    /// A file of `--tls-certs-dir` could not be read.
    Certificate { path: PathBuf, source: std::io::Error },
    /// The reflection service could not be built.
    Reflection(tonic_reflection::server::Error),
    /// The gRPC transport failed (binding the address, TLS setup).
    Transport(tonic::transport::Error),
}

impl fmt::Display for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bind(error) => write!(f, "cannot listen on {error}"),
            Self::NoCredentials => {
                f.write_str("no credentials: give --tls-certs-dir (or TLS_SERVER_CERTS_DIR), or --insecure")
            }
            Self::Certificate { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            Self::Reflection(error) => write!(f, "cannot build gRPC reflection: {error}"),
            Self::Transport(error) => write!(f, "gRPC server: {}", error_chain(error)),
        }
    }
}

impl std::error::Error for ServeError {}

/// How long calls in flight may go on after SIGTERM. Kubernetes waits 30
/// seconds (`terminationGracePeriodSeconds`) before SIGKILL; a call is
/// bounded by its CPU limit long before this.
pub const GRACE_PERIOD: Duration = Duration::from_secs(25);

/// Binds `--address` and `--metrics-address` (unless empty), then serves
/// until SIGTERM or Ctrl-C, then stops taking calls (new ones are answered
/// UNAVAILABLE, health turns NOT_SERVING) and finishes those in flight,
/// waiting at most [`GRACE_PERIOD`]. Nothing says "serving" before both
/// addresses are bound.
pub async fn serve(
    function: Arc<ConnectionDetailsFunction>,
    args: &SdkArgs,
    limits: &ServerLimits,
) -> Result<(), ServeError> {
    let mut builder =
        Server::builder().max_concurrent_streams(limits.max_concurrent_streams).timeout(limits.request_timeout);
    if !args.insecure {
        let dir = args.tls_certs_dir.as_deref().ok_or(ServeError::NoCredentials)?;
        let tls = tls_config(dir)?.timeout(limits.tls_handshake_timeout);
        builder = builder.tls_config(tls).map_err(ServeError::Transport)?;
    }
    let max_request_bytes = args.max_recv_message_size.unwrap_or(DEFAULT_MAX_REQUEST_BYTES);
    let budget = Arc::new(RequestBudget::new(limits.max_buffered_bytes, max_request_bytes));
    // Half the budget per connection, so another client always has room.
    let builder = builder.concurrency_limit_per_connection((budget.calls() / 2).max(1));

    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(function_sdk_rust::proto::FILE_DESCRIPTOR_SET)
        .build_v1()
        .map_err(ServeError::Reflection)?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(function_sdk_rust::proto::FILE_DESCRIPTOR_SET)
        .build_v1alpha()
        .map_err(ServeError::Reflection)?;

    let grpc_listener = listen::bind(&args.address, "--address").await.map_err(ServeError::Bind)?;
    let metrics_listener = match args.metrics_address.as_str() {
        "" => None,
        address => Some(listen::bind(address, "--metrics-address").await.map_err(ServeError::Bind)?),
    };

    // The component is loaded before the server listens, so no probe sees
    // SERVING before it can answer.
    let (health, health_service) = tonic_health::server::health_reporter();
    for service in ["", V1::SERVICE, V1beta1::SERVICE] {
        health.set_service_status(service, ServingStatus::Serving).await;
    }

    let metrics = GrpcMetrics::new();
    if let Some(listener) = metrics_listener {
        let address = local_address(&listener);
        tokio::spawn(metrics::serve(listener, METRICS_LIMITS, Arc::clone(&metrics)));
        tracing::info!(%address, "serving metrics at /metrics");
    }

    tracing::debug!(
        max_concurrent_streams = limits.max_concurrent_streams,
        max_buffered_bytes = limits.max_buffered_bytes,
        buffered_calls = budget.calls(),
        max_connections = limits.max_connections,
        tls_handshake_timeout = ?limits.tls_handshake_timeout,
        idle_timeout = ?limits.idle_timeout,
        request_timeout = ?limits.request_timeout,
        "server limits"
    );
    let address = local_address(&grpc_listener);
    let connections = ConnectionLimits { max_connections: limits.max_connections, idle_timeout: limits.idle_timeout };
    let incoming = listen::incoming(grpc_listener, connections);
    tracing::info!(%address, insecure = args.insecure, "serving FunctionRunnerService");
    let (stopping, stopped) = tokio::sync::oneshot::channel();
    let draining = Arc::clone(&function);
    let shutdown = async move {
        shutdown_signal().await;
        draining.stop_taking_calls();
        for service in ["", V1::SERVICE, V1beta1::SERVICE] {
            health.set_service_status(service, ServingStatus::NotServing).await;
        }
        let _ = stopping.send(());
    };
    let server = builder
        .layer(MetricsLayer(metrics))
        .add_service(RunnerService::<V1>::new(Arc::clone(&function), max_request_bytes, Arc::clone(&budget)))
        .add_service(RunnerService::<V1beta1>::new(function, max_request_bytes, budget))
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .serve_with_incoming_shutdown(incoming, shutdown);
    let grace_over = async {
        if stopped.await.is_ok() {
            tokio::time::sleep(GRACE_PERIOD).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        served = server => served.map_err(ServeError::Transport),
        () = grace_over => {
            tracing::warn!(grace_period = ?GRACE_PERIOD, "calls still in flight after the grace period; stopping");
            Ok(())
        }
    }
}

/// The address a listener is bound to: with port 0 asked for, the one the
/// system chose.
fn local_address(listener: &tokio::net::TcpListener) -> String {
    listener.local_addr().map_or_else(|_| "unknown".to_owned(), |address| address.to_string())
}

/// An error and its causes, "a: b: c": tonic's transport error alone says
/// only "transport error".
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(source) = cause {
        text.push_str(": ");
        text.push_str(&source.to_string());
        cause = source.source();
    }
    text
}

/// The server's certificate and key, and the CA that client certificates
/// must chain to; a client without a certificate is refused.
fn tls_config(dir: &Path) -> Result<ServerTlsConfig, ServeError> {
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read(&path).map_err(|source| ServeError::Certificate { path, source })
    };
    Ok(ServerTlsConfig::new()
        .identity(Identity::from_pem(read("tls.crt")?, read("tls.key")?))
        .client_ca_root(Certificate::from_pem(read("ca.crt")?))
        .client_auth_optional(false))
}

async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            // Without a handler only Ctrl-C stops the server.
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        () = terminate => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    tracing::info!("shutting down");
}
