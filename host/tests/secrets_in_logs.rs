//! Secret values never reach the logs, even at the most verbose levels:
//! the real binary with `--debug`, and with `RUST_LOG=trace` (every crate,
//! the gRPC transport included), answers a request that delivers a secret,
//! one whose secret is too large for the memory limit, and one whose input
//! is invalid where the secret is; then its whole output is searched.

mod common;

use common::{Server, client, wait_until};
use function_connection_details::protocol;
use function_sdk_rust::proto::v1 as sdk;
use prost::Message;
use serde_json::json;

const SENTINEL: &str = "S3NTINEL-value-that-must-not-leak";

fn request(value: &str) -> sdk::RunFunctionRequest {
    let encoded = base64_encode(value.as_bytes());
    let json = json!({
        "meta": {"tag": "logs"},
        "observed": {
            "composite": {"resource": {"apiVersion": "example.org/v1", "kind": "XDatabase",
                                       "metadata": {"name": "xr", "uid": "0a1b2c3d"}}},
            "resources": {"db": {"resource": {"kind": "Instance"}, "connectionDetails": {"password": encoded}}},
        },
        "input": {"apiVersion": "connection.fn.crossplane.io/v1beta1", "kind": "ConnectionDetails",
                  "resources": [{"name": "db", "connectionDetails": [
                      {"fromConnectionSecretKey": "password"},
                      {"name": "literal", "value": SENTINEL},
                  ]}]},
    });
    sdk::RunFunctionRequest::decode(protocol::request_from_json(&json.to_string()).unwrap().as_slice()).unwrap()
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

async fn exercise(server: &Server) {
    let mut client = wait_until("the server answers", async || client(&server.grpc).await.ok()).await;
    let delivered = client.run_function(request(SENTINEL)).await.unwrap().into_inner();
    let composite = delivered.desired.unwrap().composite.unwrap();
    assert_eq!(composite.connection_details["password"], SENTINEL.as_bytes(), "the value itself is delivered");

    let too_large = client.run_function(request(&SENTINEL.repeat(60_000))).await.unwrap().into_inner();
    assert!(too_large.results.iter().any(|r| r.message.contains("memory limit")), "{:?}", too_large.results);

    let mut invalid = request(SENTINEL);
    let input = invalid.input.as_mut().unwrap();
    input.fields.insert("mode".to_owned(), pbjson_types::Value::from(SENTINEL.to_owned()));
    let refused = client.run_function(invalid).await.unwrap().into_inner();
    assert!(refused.results.iter().any(|r| r.message.contains("mode: must be one of")), "{:?}", refused.results);
}

async fn output_of(flags: &[&str], env: &[(&str, &str)]) -> String {
    let server = Server::start_with(flags, env);
    exercise(&server).await;
    server.stop_and_read_output().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_logs_hold_no_value() {
    let output = output_of(&["--debug", "--memory-limit-mib", "4"], &[]).await;
    assert!(output.contains("RunFunction"), "the calls were logged: {output}");
    assert!(!output.contains(SENTINEL), "a value in the debug logs:\n{output}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_logs_of_every_crate_hold_no_value() {
    let output = output_of(&["--debug", "--memory-limit-mib", "4"], &[("RUST_LOG", "trace")]).await;
    assert!(output.lines().count() > 100, "trace logging is on: {} lines", output.lines().count());
    let leaks: Vec<&str> = output.lines().filter(|line| line.contains(SENTINEL)).take(3).collect();
    assert!(leaks.is_empty(), "a value in the trace logs:\n{}", leaks.join("\n"));
}
