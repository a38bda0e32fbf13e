//! `serve` (SPEC §7): the real server on loopback, called by a real gRPC
//! client, insecure and with mutual TLS.

use std::time::Duration;

use std::time::Duration as CpuTime;

use function_connection_details::runtime::{Limits, Runtime, Settings};
use function_connection_details::server::{ConnectionDetailsFunction, SdkArgs, ServerLimits, serve};
use function_sdk_rust::proto::v1 as sdk;
use function_sdk_rust::proto::v1::function_runner_service_client::FunctionRunnerServiceClient;
use prost::Message;
use serde_json::json;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

use crate::harness::{Request, Response, SCENARIO_A_KEYS, input, many_entries, sizes};

/// A server on a free loopback port, stopped when dropped.
pub(crate) struct TestServer {
    pub(crate) port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub(crate) fn args(port: u16) -> SdkArgs {
    SdkArgs {
        debug: false,
        address: format!("127.0.0.1:{port}"),
        tls_certs_dir: None,
        insecure: true,
        max_recv_message_size: None,
        // Empty: no metrics listener, so tests do not fight over :8080.
        metrics_address: String::new(),
    }
}

pub(crate) async fn start(args: SdkArgs, limits: Limits) -> TestServer {
    let port: u16 = args.address.rsplit(':').next().unwrap().parse().unwrap();
    let settings = Settings { limits, concurrent_calls: 4, ..Settings::default() };
    let function = ConnectionDetailsFunction::new(Runtime::embedded(&settings).unwrap());
    let task = tokio::spawn(async move {
        serve(function, &args, &ServerLimits::default()).await.expect("the server runs");
    });
    TestServer { port, task }
}

/// Connects, retrying while the server starts (at most ten seconds).
pub(crate) async fn connect(endpoint: tonic::transport::Endpoint) -> Channel {
    for _ in 0..200 {
        if let Ok(channel) = endpoint.connect().await {
            return channel;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not start");
}

async fn insecure_client(server: &TestServer) -> FunctionRunnerServiceClient<Channel> {
    let endpoint = Channel::from_shared(format!("http://127.0.0.1:{}", server.port)).unwrap();
    FunctionRunnerServiceClient::new(connect(endpoint).await)
}

fn to_sdk(request: &Request) -> sdk::RunFunctionRequest {
    sdk::RunFunctionRequest::decode(request.encode().as_slice()).unwrap()
}

fn from_sdk(response: sdk::RunFunctionResponse) -> Response {
    Response::decode(&response.encode_to_vec())
}

async fn call(client: &mut FunctionRunnerServiceClient<Channel>, request: &Request) -> Response {
    from_sdk(client.run_function(to_sdk(request)).await.expect("RunFunction succeeds").into_inner())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_run_function_over_insecure_grpc() {
    let server = start(args(free_port()), Limits::default()).await;
    let mut client = insecure_client(&server).await;
    let response = call(&mut client, &Request::from_example("scenario-a.json")).await;
    assert_eq!(sizes(&response.composite_details()), SCENARIO_A_KEYS);
    assert_eq!(response.0["meta"]["tag"], "scenario-a");
    assert_eq!(response.warnings().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_serving_on_grpc_health() {
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_client::HealthClient;
    let server = start(args(free_port()), Limits::default()).await;
    let endpoint = Channel::from_shared(format!("http://127.0.0.1:{}", server.port)).unwrap();
    let mut health = HealthClient::new(connect(endpoint).await);
    for service in ["", "apiextensions.fn.proto.v1.FunctionRunnerService"] {
        let status = health.check(HealthCheckRequest { service: service.to_owned() }).await.unwrap().into_inner();
        assert_eq!(status.status, 1, "SERVING for {service:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_input_is_a_fatal_result_not_a_failed_call() {
    let server = start(args(free_port()), Limits::default()).await;
    let mut client = insecure_client(&server).await;
    let response = call(&mut client, &Request::legacy(json!({"apiVersion": "v1", "kind": "Wrong"}))).await;
    assert!(response.single_fatal().starts_with("invalid function input"), "{:?}", response.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_over_the_limit_fails_alone_and_the_server_keeps_serving() {
    let server = start(args(free_port()), Limits { cpu_time: CpuTime::from_millis(1), ..Limits::default() }).await;
    let mut client = insecure_client(&server).await;
    let heavy = call(&mut client, &many_entries(20_000)).await;
    assert_eq!(heavy.single_fatal(), function_connection_details::runtime::CPU_LIMIT_MESSAGE);
    assert_eq!(heavy.0["meta"]["tag"], "test-tag");
    let normal = call(&mut client, &Request::from_example("scenario-a.json")).await;
    assert_eq!(normal.composite_details().len(), 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_above_the_message_size_limit_gets_a_clear_grpc_error() {
    let mut limited = args(free_port());
    limited.max_recv_message_size = Some(64 * 1024);
    let server = start(limited, Limits::default()).await;
    let mut client = insecure_client(&server).await;
    let big = Request::legacy(input(json!({}))).observed("db", json!({}), &[("blob", &vec![b'x'; 128 * 1024])]);
    let status = client.run_function(to_sdk(&big)).await.expect_err("too large");
    assert_eq!(status.code(), tonic::Code::OutOfRange, "{status:?}");
    assert!(status.message().contains("message length too large"), "{}", status.message());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_200_concurrent_requests_each_correctly() {
    let server = start(args(free_port()), Limits::default()).await;
    let client = insecure_client(&server).await;
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..200 {
        let mut client = client.clone();
        let mut request = Request::from_example("scenario-a.json");
        request.0["meta"]["tag"] = json!(format!("call-{i}"));
        calls.spawn(async move { (i, call(&mut client, &request).await) });
    }
    let mut answered = 0;
    while let Some(joined) = calls.join_next().await {
        let (i, response) = joined.unwrap();
        assert_eq!(response.0["meta"]["tag"], format!("call-{i}"));
        assert_eq!(sizes(&response.composite_details()), SCENARIO_A_KEYS);
        answered += 1;
    }
    assert_eq!(answered, 200);
}

#[path = "../support/certificates.rs"]
mod certificates;
use certificates::make_certificates;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_mutual_tls_and_refuses_clients_without_a_certificate() {
    let dir = std::env::temp_dir().join(format!("fcd-mtls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    make_certificates(&dir);
    let mut tls = args(free_port());
    tls.insecure = false;
    tls.tls_certs_dir = Some(dir.clone());
    let server = start(tls, Limits::default()).await;
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap();
    let url = format!("https://localhost:{}", server.port);

    let with_certificate = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(read("ca.crt")))
        .identity(Identity::from_pem(read("client.crt"), read("client.key")))
        .domain_name("localhost");
    let endpoint = Channel::from_shared(url.clone()).unwrap().tls_config(with_certificate).unwrap();
    let mut client = FunctionRunnerServiceClient::new(connect(endpoint).await);
    let response = call(&mut client, &Request::from_example("scenario-b.json")).await;
    assert_eq!(response.composite_details().len(), 3);

    let without_certificate =
        ClientTlsConfig::new().ca_certificate(Certificate::from_pem(read("ca.crt"))).domain_name("localhost");
    let endpoint = Channel::from_shared(url).unwrap().tls_config(without_certificate).unwrap();
    let refused = match endpoint.connect().await {
        Err(_) => true,
        Ok(channel) => FunctionRunnerServiceClient::new(channel)
            .run_function(to_sdk(&Request::from_example("scenario-b.json")))
            .await
            .is_err(),
    };
    assert!(refused, "a client without a certificate must be refused");
    std::fs::remove_dir_all(&dir).ok();
}

#[path = "../support/raw_codec.rs"]
mod raw_codec;
pub(crate) use raw_codec::RawCodec;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_that_are_no_request_get_a_grpc_error_and_the_server_keeps_serving() {
    let server = start(args(free_port()), Limits::default()).await;
    let endpoint = Channel::from_shared(format!("http://127.0.0.1:{}", server.port)).unwrap();
    let channel = connect(endpoint).await;
    let mut raw = tonic::client::Grpc::new(channel.clone());
    raw.ready().await.unwrap();
    let path = http::uri::PathAndQuery::from_static("/apiextensions.fn.proto.v1.FunctionRunnerService/RunFunction");
    let status = raw
        .unary(tonic::Request::new(bytes::Bytes::from_static(&[0xff, 0xff, 0xff, 0xff, 0x0f])), path, RawCodec)
        .await
        .expect_err("garbage is refused");
    assert_ne!(status.code(), tonic::Code::Ok);
    let mut client = FunctionRunnerServiceClient::new(channel);
    assert_eq!(call(&mut client, &Request::from_example("scenario-b.json")).await.composite_details().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_the_v1beta1_package_with_the_same_bytes_as_v1() {
    let server = start(args(free_port()), Limits::default()).await;
    let endpoint = Channel::from_shared(format!("http://127.0.0.1:{}", server.port)).unwrap();
    let mut raw = tonic::client::Grpc::new(connect(endpoint).await);
    let request = Request::from_example("scenario-b.json").encode();
    let mut answers = Vec::new();
    for package in ["v1", "v1beta1"] {
        raw.ready().await.unwrap();
        let path = format!("/apiextensions.fn.proto.{package}.FunctionRunnerService/RunFunction");
        let path = http::uri::PathAndQuery::try_from(path).unwrap();
        let answer =
            raw.unary(tonic::Request::new(bytes::Bytes::from(request.clone())), path, RawCodec).await.expect(package);
        answers.push(answer.into_inner());
    }
    assert_eq!(Response::decode(&answers[1]).composite_details().len(), 3);
    assert_eq!(answers[0], answers[1]);
}
