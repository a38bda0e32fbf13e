//! The gRPC server metrics Crossplane's function SDKs serve, under the same
//! names, labels and help texts (those of the grpc-prometheus interceptor
//! function-sdk-go installs), so dashboards work unchanged:
//! `grpc_server_started_total`, `grpc_server_handled_total`,
//! `grpc_server_msg_received_total` and `grpc_server_msg_sent_total`, for
//! unary methods only, as that interceptor counted. `--metrics-address`
//! serves them at /metrics as OpenMetrics text, with hyper.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http_body::{Body as HttpBody, Frame, SizeHint};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;
use std::convert::Infallible;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio_stream::StreamExt;
use tonic::body::Body;

use super::listen::{self, ConnectionLimits};
use super::service::{Package, V1, V1beta1};

type Labels = Vec<(&'static str, &'static str)>;

/// gRPC status codes by number, spelled as grpc-go spells them, which is
/// what the `grpc_code` label carries.
const CODE_NAMES: [&str; 17] = [
    "OK",
    "Canceled",
    "Unknown",
    "InvalidArgument",
    "DeadlineExceeded",
    "NotFound",
    "AlreadyExists",
    "PermissionDenied",
    "ResourceExhausted",
    "FailedPrecondition",
    "Aborted",
    "OutOfRange",
    "Unimplemented",
    "Internal",
    "Unavailable",
    "DataLoss",
    "Unauthenticated",
];
const UNKNOWN: u32 = 2;
const CANCELED: &str = "Canceled";

/// The counters, shared by the counting layer and the endpoint.
#[derive(Default)]
pub struct GrpcMetrics {
    started: Family<Labels, Counter>,
    handled: Family<Labels, Counter>,
    received: Family<Labels, Counter>,
    sent: Family<Labels, Counter>,
}

/// The unary methods this server carries: (path, service, method).
const UNARY_METHODS: [(&str, &str, &str); 3] = [
    (V1::RUN_FUNCTION, V1::SERVICE, "RunFunction"),
    (V1beta1::RUN_FUNCTION, V1beta1::SERVICE, "RunFunction"),
    ("/grpc.health.v1.Health/Check", "grpc.health.v1.Health", "Check"),
];

impl GrpcMetrics {
    /// Every series starts at zero, so a scrape shows each method from the
    /// start, as grpc-prometheus's initialisation did.
    pub fn new() -> Arc<Self> {
        let metrics = Self::default();
        for (_, service, method) in UNARY_METHODS {
            let labels = method_labels(service, method);
            for family in [&metrics.started, &metrics.received, &metrics.sent] {
                let _ = family.get_or_create(&labels);
            }
            for code in CODE_NAMES {
                let _ = metrics.handled.get_or_create(&code_labels(&labels, code));
            }
        }
        Arc::new(metrics)
    }

    fn registry(&self) -> Registry {
        let mut registry = Registry::default();
        // The encoder appends `_total` to counter names.
        registry.register("grpc_server_started", "Total number of RPCs started on the server", self.started.clone());
        registry.register(
            "grpc_server_handled",
            "Total number of RPCs completed on the server, regardless of success or failure",
            self.handled.clone(),
        );
        registry.register(
            "grpc_server_msg_received",
            "Total number of RPC stream messages received on the server",
            self.received.clone(),
        );
        registry.register(
            "grpc_server_msg_sent",
            "Total number of gRPC stream messages sent by the server",
            self.sent.clone(),
        );
        registry
    }

    /// The registry as OpenMetrics text.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut text, &self.registry());
        text
    }

    fn start(self: &Arc<Self>, path: &str) -> Option<Call> {
        let (_, service, method) = UNARY_METHODS.iter().find(|(known, ..)| *known == path)?;
        let labels = method_labels(service, method);
        self.started.get_or_create(&labels).inc();
        self.received.get_or_create(&labels).inc();
        Some(Call { metrics: Arc::clone(self), labels, done: false })
    }
}

fn method_labels(service: &'static str, method: &'static str) -> Labels {
    vec![("grpc_type", "unary"), ("grpc_service", service), ("grpc_method", method)]
}

fn code_labels(labels: &Labels, code: &'static str) -> Labels {
    let mut labels = labels.clone();
    labels.push(("grpc_code", code));
    labels
}

/// One unary call in flight: counted as handled once, with its status, or
/// as Canceled when it is dropped before it had one (the client left).
struct Call {
    metrics: Arc<GrpcMetrics>,
    labels: Labels,
    done: bool,
}

impl Call {
    fn finish(&mut self, code: u32) {
        if std::mem::replace(&mut self.done, true) {
            return;
        }
        let name = usize::try_from(code).ok().and_then(|index| CODE_NAMES.get(index)).copied().unwrap_or("Unknown");
        self.metrics.handled.get_or_create(&code_labels(&self.labels, name)).inc();
        if code == 0 {
            self.metrics.sent.get_or_create(&self.labels).inc();
        }
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        if !std::mem::replace(&mut self.done, true) {
            self.metrics.handled.get_or_create(&code_labels(&self.labels, CANCELED)).inc();
        }
    }
}

fn grpc_status(headers: &http::HeaderMap) -> Option<u32> {
    headers.get("grpc-status")?.to_str().ok()?.parse().ok()
}

/// Wraps the whole router, so health checks are counted as well.
#[derive(Clone)]
pub struct MetricsLayer(pub Arc<GrpcMetrics>);

impl<S> tower_layer::Layer<S> for MetricsLayer {
    type Service = Counted<S>;

    fn layer(&self, inner: S) -> Counted<S> {
        Counted { inner, metrics: Arc::clone(&self.0) }
    }
}

#[derive(Clone)]
pub struct Counted<S> {
    inner: S,
    metrics: Arc<GrpcMetrics>,
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S, B> tower_service::Service<http::Request<B>> for Counted<S>
where
    S: tower_service::Service<http::Request<B>, Response = http::Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = http::Response<CountedBody>;
    type Error = S::Error;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let mut call = self.metrics.start(request.uri().path());
        // The service that was polled ready takes the call; a clone stays.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            let (head, body) = inner.call(request).await?.into_parts();
            // A trailers-only response carries its status in the headers.
            if let (Some(started), Some(code)) = (call.as_mut(), grpc_status(&head.headers)) {
                started.finish(code);
            }
            Ok(http::Response::from_parts(head, CountedBody { inner: body, call }))
        })
    }
}

/// The response body, finishing its call's count at the trailers.
pub struct CountedBody {
    inner: Body,
    call: Option<Call>,
}

impl HttpBody for CountedBody {
    type Data = bytes::Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = &mut *self;
        let frame = std::task::ready!(Pin::new(&mut this.inner).poll_frame(cx));
        if let Some(call) = this.call.as_mut() {
            match &frame {
                Some(Ok(frame)) => {
                    if let Some(trailers) = frame.trailers_ref() {
                        call.finish(grpc_status(trailers).unwrap_or(UNKNOWN));
                    }
                }
                // An error, or an end without trailers, carries no status.
                Some(Err(_)) | None => call.finish(UNKNOWN),
            }
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The longest a scraper may take to send a request's head.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);

/// Serves the counters at /metrics with hyper's HTTP/1.1 server until the
/// process ends; any other path is a 404. Connections are admitted under
/// `limits`, and a request head that is not complete within
/// [`HEADER_READ_TIMEOUT`] closes its connection.
pub async fn serve(listener: TcpListener, limits: ConnectionLimits, metrics: Arc<GrpcMetrics>) {
    let mut connections = listen::incoming(listener, limits);
    while let Some(Ok(connection)) = connections.next().await {
        let metrics = Arc::clone(&metrics);
        tokio::spawn(async move {
            let page = service_fn(move |request| {
                let answer = answer(&request, &metrics);
                async move { Ok::<_, Infallible>(answer) }
            });
            let served = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .max_buf_size(16 * 1024)
                .serve_connection(TokioIo::new(connection), page)
                .await;
            if let Err(error) = served {
                tracing::debug!(%error, "metrics connection ended");
            }
        });
    }
}

fn answer<B>(request: &http::Request<B>, metrics: &GrpcMetrics) -> http::Response<String> {
    let response = http::Response::builder();
    if request.method() == http::Method::GET && request.uri().path() == "/metrics" {
        response
            .header(http::header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")
            .body(metrics.render())
    } else {
        response.status(http::StatusCode::NOT_FOUND).body(String::new())
    }
    // Every header above is valid, so building cannot fail.
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(metrics: &GrpcMetrics, line_start: &str) -> String {
        metrics.render().lines().find(|line| line.starts_with(line_start)).unwrap_or_default().to_owned()
    }

    #[test]
    fn series_carry_the_go_sdk_names_and_start_at_zero() {
        let metrics = GrpcMetrics::new();
        let text = metrics.render();
        assert!(text.contains("# HELP grpc_server_started Total number of RPCs started on the server."), "{text}");
        assert!(text.contains("# TYPE grpc_server_handled counter"), "{text}");
        let run_function = r#"grpc_server_started_total{grpc_type="unary",grpc_service="apiextensions.fn.proto.v1.FunctionRunnerService",grpc_method="RunFunction"}"#;
        assert_eq!(sample(&metrics, run_function), format!("{run_function} 0"));
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn a_call_counts_once_with_its_code_and_a_dropped_one_as_canceled() {
        let metrics = GrpcMetrics::new();
        let handled = |code: &str| {
            format!(
                r#"grpc_server_handled_total{{grpc_type="unary",grpc_service="apiextensions.fn.proto.v1.FunctionRunnerService",grpc_method="RunFunction",grpc_code="{code}"}}"#
            )
        };
        let mut call = metrics.start(V1::RUN_FUNCTION).unwrap();
        call.finish(0);
        call.finish(13);
        drop(call);
        assert_eq!(sample(&metrics, &handled("OK")), format!("{} 1", handled("OK")));
        assert_eq!(sample(&metrics, &handled("Internal")), format!("{} 0", handled("Internal")));
        assert_eq!(sample(&metrics, &handled("Canceled")), format!("{} 0", handled("Canceled")));
        drop(metrics.start(V1::RUN_FUNCTION).unwrap());
        assert_eq!(sample(&metrics, &handled("Canceled")), format!("{} 1", handled("Canceled")));
        assert!(metrics.start("/grpc.health.v1.Health/Watch").is_none(), "streams are not counted");
    }

    async fn metrics_server() -> String {
        let listener = listen::bind("127.0.0.1:0", "--metrics-address").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        tokio::spawn(serve(listener, METRICS_TEST_LIMITS, GrpcMetrics::new()));
        address
    }

    const METRICS_TEST_LIMITS: ConnectionLimits =
        ConnectionLimits { max_connections: 2, idle_timeout: Duration::from_secs(30) };

    #[tokio::test]
    async fn a_request_that_arrives_in_pieces_is_answered() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        let address = metrics_server().await;
        let mut client = tokio::net::TcpStream::connect(&address).await.unwrap();
        client.write_all(b"GET /metr").await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        client.write_all(b"ics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
        let mut answer = String::new();
        client.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
        assert!(answer.ends_with("# EOF\n"));
    }

    /// The old reader waited for a request head forever; with two slots,
    /// two silent clients would have kept a scraper out for good.
    #[tokio::test]
    async fn silent_clients_are_dropped_and_a_scraper_is_answered() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        let address = metrics_server().await;
        let silent = [
            tokio::net::TcpStream::connect(&address).await.unwrap(),
            tokio::net::TcpStream::connect(&address).await.unwrap(),
        ];
        let mut scraper = tokio::net::TcpStream::connect(&address).await.unwrap();
        scraper.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
        let mut answer = String::new();
        // Answered once the silent clients' header timeout (5 s) closes them.
        scraper.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
        drop(silent);
    }

    #[tokio::test]
    async fn another_path_is_not_found() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        let address = metrics_server().await;
        let mut client = tokio::net::TcpStream::connect(&address).await.unwrap();
        client.write_all(b"GET /debug HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
        let mut answer = String::new();
        client.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 404 Not Found"), "{answer}");
    }
}
