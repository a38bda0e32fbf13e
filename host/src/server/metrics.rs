//! The gRPC server metrics Crossplane's function SDKs serve, under the same
//! names, labels and help texts (those of the grpc-prometheus interceptor
//! function-sdk-go installs), so dashboards work unchanged:
//! `grpc_server_started_total`, `grpc_server_handled_total`,
//! `grpc_server_msg_received_total` and `grpc_server_msg_sent_total`, for
//! unary methods only, as that interceptor counted. `--metrics-address`
//! serves them at /metrics as OpenMetrics text.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http_body::{Body as HttpBody, Frame, SizeHint};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic::body::Body;

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

/// Serves the counters at /metrics on `address` (`:8080` means every
/// interface) until the process ends; anything else is a 404.
pub async fn serve(address: &str, metrics: Arc<GrpcMetrics>) -> std::io::Result<()> {
    let address = if address.starts_with(':') { format!("0.0.0.0{address}") } else { address.to_owned() };
    let listener = tokio::net::TcpListener::bind(&address).await?;
    tracing::info!(%address, "serving metrics");
    loop {
        let Ok((mut connection, _)) = listener.accept().await else { continue };
        let metrics = Arc::clone(&metrics);
        tokio::spawn(async move {
            let head = read_head(&mut connection).await;
            let is_metrics = head.starts_with(b"GET /metrics ") || head.starts_with(b"GET /metrics?");
            let response = if is_metrics {
                let body = metrics.render();
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/openmetrics-text; version=1.0.0; charset=utf-8\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
            } else {
                "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned()
            };
            let _ = connection.write_all(response.as_bytes()).await;
        });
    }
}

/// The request up to the end of its headers (at most 8 KiB): a request
/// that arrives in pieces is read whole, and the connection is not closed
/// on unread bytes, which would reset it under the client's answer.
async fn read_head(connection: &mut tokio::net::TcpStream) -> Vec<u8> {
    const MAX_HEAD: usize = 8 * 1024;
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while head.len() < MAX_HEAD && !head.windows(4).any(|end| end == b"\r\n\r\n") {
        match connection.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(read) => head.extend_from_slice(&chunk[..read]),
        }
    }
    head
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

    #[test]
    fn a_request_that_arrives_in_pieces_is_answered() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        let executor = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        executor.block_on(async {
            let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let address = format!("127.0.0.1:{port}");
            let listening = address.clone();
            tokio::spawn(async move { serve(&listening, GrpcMetrics::new()).await });
            let mut client = loop {
                if let Ok(client) = tokio::net::TcpStream::connect(&address).await {
                    break client;
                }
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            };
            client.write_all(b"GET /metr").await.unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            client.write_all(b"ics HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
            let mut answer = String::new();
            client.read_to_string(&mut answer).await.unwrap();
            assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
            assert!(answer.ends_with("# EOF\n"));
        });
    }
}
