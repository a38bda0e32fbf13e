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

mod codec;
mod function;
mod metrics;
mod service;

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tonic::transport::{Certificate, Identity, Server, ServerTlsConfig};
use tonic_health::ServingStatus;

pub use function::ConnectionDetailsFunction;
pub use function_sdk_rust::Args as SdkArgs;
use metrics::{GrpcMetrics, MetricsLayer};
use service::{Package, RunnerService, V1, V1beta1};

/// Why the server could not start or stopped with an error.
#[derive(Debug)]
pub enum ServeError {
    /// `--address` is not `host:port`.
    Address(std::net::AddrParseError),
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
            Self::Address(error) => write!(f, "--address must be host:port, such as 0.0.0.0:9443: {error}"),
            Self::NoCredentials => {
                f.write_str("no credentials: give --tls-certs-dir (or TLS_SERVER_CERTS_DIR), or --insecure")
            }
            Self::Certificate { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            Self::Reflection(error) => write!(f, "cannot build gRPC reflection: {error}"),
            Self::Transport(error) => write!(f, "gRPC server: {error}"),
        }
    }
}

impl std::error::Error for ServeError {}

/// How long calls in flight may go on after SIGTERM. Kubernetes waits 30
/// seconds (`terminationGracePeriodSeconds`) before SIGKILL; a call is
/// bounded by its CPU limit long before this.
pub const GRACE_PERIOD: Duration = Duration::from_secs(25);

/// Serves until SIGTERM or Ctrl-C, then stops taking calls (new ones are
/// answered UNAVAILABLE, health turns NOT_SERVING) and finishes those in
/// flight, waiting at most [`GRACE_PERIOD`].
pub async fn serve(function: Arc<ConnectionDetailsFunction>, args: &SdkArgs) -> Result<(), ServeError> {
    let address: SocketAddr = args.address.parse().map_err(ServeError::Address)?;
    let mut builder = Server::builder();
    if !args.insecure {
        let dir = args.tls_certs_dir.as_deref().ok_or(ServeError::NoCredentials)?;
        builder = builder.tls_config(tls_config(dir)?).map_err(ServeError::Transport)?;
    }

    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(function_sdk_rust::proto::FILE_DESCRIPTOR_SET)
        .build_v1()
        .map_err(ServeError::Reflection)?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(function_sdk_rust::proto::FILE_DESCRIPTOR_SET)
        .build_v1alpha()
        .map_err(ServeError::Reflection)?;

    // The component is loaded before the server listens, so no probe sees
    // SERVING before it can answer.
    let (health, health_service) = tonic_health::server::health_reporter();
    for service in ["", V1::SERVICE, V1beta1::SERVICE] {
        health.set_service_status(service, ServingStatus::Serving).await;
    }

    let metrics = GrpcMetrics::new();
    if !args.metrics_address.is_empty() {
        let (address, metrics) = (args.metrics_address.clone(), Arc::clone(&metrics));
        tokio::spawn(async move {
            if let Err(error) = metrics::serve(&address, metrics).await {
                tracing::error!(%error, "cannot serve metrics");
            }
        });
    }

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
        .add_service(RunnerService::<V1>::new(Arc::clone(&function), args.max_recv_message_size))
        .add_service(RunnerService::<V1beta1>::new(function, args.max_recv_message_size))
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .serve_with_shutdown(address, shutdown);
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
