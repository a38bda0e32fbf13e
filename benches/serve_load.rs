//! Load benchmark for `serve` (a benchmark, not a test): requests per second
//! of seed scenario A from 16 concurrent HTTP/2 clients (h2load, a C load
//! generator), against `serve` and, in the same run, against the SDK's own
//! server with a function that only copies desired state forward — the
//! limit of the stack. With FUNCTION_PYTHONIC naming a `function-pythonic`
//! executable (PyPI crossplane-function-pythonic 0.6.3, Python 3.12), a Python
//! function doing the same aggregation (benches/pythonic/) is measured too.
//!
//!   cargo bench --bench serve_load                  # needs h2load (Debian: nghttp2-client)
//!   SERVE_LOAD_REQUESTS=50000 SERVE_LOAD_ROUNDS=5 cargo bench --bench serve_load
//!
//! Each server is a process of its own (this benchmark started again in a
//! server role), measured in turn, round after round; the report gives
//! each one's median and the ratios of the medians, and each server's CPU
//! time per request from /proc. Before measuring, every server answers
//! scenario A through a real gRPC client and the answer is checked.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use function_connection_details::protocol;
use function_sdk_rust::proto::v1 as sdk;
use function_sdk_rust::proto::v1::function_runner_service_client::FunctionRunnerServiceClient;
use function_sdk_rust::proto::v1::function_runner_service_server::FunctionRunnerService;
use prost::Message;

#[path = "generate.rs"]
mod generate;
#[path = "servers.rs"]
mod servers;

use servers::{ROLE, Server, connect, grpc_frame, h2load, role, scenario_a, serve_ours, start};

const CLIENTS: usize = 16;

/// A server and what each round measured of it.
struct Measured {
    server: Server,
    requests_per_second: Vec<f64>,
    cpu_per_request: Vec<Duration>,
}

fn main() {
    match std::env::var(ROLE).as_deref() {
        Ok("ours") => serve_ours(),
        Ok("noop") => serve_noop(),
        _ => measure_all(),
    }
}

/// The SDK's server with a function that does nothing but copy the
/// request's desired state and context into its response.
fn serve_noop() {
    struct CopyForward;

    #[tonic::async_trait]
    impl FunctionRunnerService for CopyForward {
        async fn run_function(
            &self,
            request: tonic::Request<sdk::RunFunctionRequest>,
        ) -> Result<tonic::Response<sdk::RunFunctionResponse>, tonic::Status> {
            let request = request.into_inner();
            Ok(tonic::Response::new(function_sdk_rust::response::to(&request, Duration::from_secs(60))))
        }
    }

    let args = function_sdk_rust::Args {
        debug: false,
        address: std::env::var("SERVE_LOAD_ADDRESS").unwrap(),
        tls_certs_dir: None,
        insecure: true,
        max_recv_message_size: None,
        metrics_address: String::new(),
    };
    function_sdk_rust::logging::configure(false);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(function_sdk_rust::serve(CopyForward, &args)).unwrap();
}

fn measure_all() {
    let requests: usize = env_number("SERVE_LOAD_REQUESTS", 20_000);
    let rounds: usize = env_number("SERVE_LOAD_ROUNDS", 3);
    let request = scenario_a(None);
    let mut started = vec![start("serve", role("ours"), &request), start("sdk do-nothing", role("noop"), &request)];
    if let Ok(pythonic) = std::env::var("FUNCTION_PYTHONIC") {
        let mut command = Command::new(pythonic);
        command.args(["grpc", "--insecure", "--address"]);
        started.push(start("function-pythonic", command, &scenario_a(Some(pythonic_input()))));
    }
    let executor = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    for server in &started {
        executor.block_on(check_answer(server));
    }
    let mut servers: Vec<Measured> = started
        .into_iter()
        .map(|server| Measured { server, requests_per_second: Vec::new(), cpu_per_request: Vec::new() })
        .collect();

    println!("serve load: scenario A, {requests} requests x {rounds} rounds, {CLIENTS} clients (h2load), loopback");
    for round in 0..rounds {
        for measured in &mut servers {
            let server = &measured.server;
            // function-pythonic answers ~600 requests/s: give it fewer.
            let count = if server.name == "function-pythonic" { requests / 20 } else { requests };
            let cpu_before = cpu_time(server.child.id());
            let rate = answered_rate(server, &server.body, count, CLIENTS);
            let cpu = cpu_time(server.child.id()).saturating_sub(cpu_before);
            println!(
                "  round {}: {:<18} {rate:>9.0} req/s  {:>6.0} µs CPU/request",
                round + 1,
                server.name,
                micros(cpu, count)
            );
            measured.requests_per_second.push(rate);
            measured.cpu_per_request.push(cpu / u32::try_from(count).unwrap());
        }
    }
    report(&servers);
    let servers: Vec<Server> = servers.into_iter().map(|measured| measured.server).collect();
    executor.block_on(large_requests(&servers));
}

/// h2load's requests per second, every request answered.
fn answered_rate(server: &Server, body: &std::path::Path, requests: usize, clients: usize) -> f64 {
    let run = h2load(server.port, body, requests, clients);
    assert_eq!(run.failed, 0, "{}: requests without an answer", server.name);
    run.requests_per_second
}

/// One client, one call at a time, 1,000 composed resources × 4 keys, sent
/// as bytes by h2load: what a call costs the server, with no client-side
/// protobuf work in the figure. Each answer is first checked once.
async fn large_requests(servers: &[Server]) {
    const RESOURCES: usize = 1000;
    const CALLS: usize = 50;
    let request = protocol::request_from_json(&generate::request_json(RESOURCES, 4).to_string()).unwrap();
    println!(
        "\n{RESOURCES} resources x 4 keys ({:.2} MB request), one h2load client, {CALLS} calls:",
        request.len() as f64 / 1e6
    );
    let mut per_call = Vec::new();
    for server in servers.iter().filter(|server| server.name != "function-pythonic") {
        let typed = sdk::RunFunctionRequest::decode(request.as_slice()).unwrap();
        let mut client =
            FunctionRunnerServiceClient::new(connect(server.port).await).max_decoding_message_size(64 << 20);
        let response = client.run_function(typed).await.unwrap().into_inner();
        assert!(response.results.iter().all(|result| result.severity() != sdk::Severity::Fatal), "{}", server.name);
        let body = server.body.with_extension("large");
        std::fs::write(&body, grpc_frame(&request)).unwrap();
        let millis = 1e3 / answered_rate(server, &body, CALLS, 1);
        let _ = std::fs::remove_file(&body);
        println!("  {:<18} {millis:>8.2} ms per call", server.name);
        per_call.push(millis);
    }
    println!("serve / sdk do-nothing, time per call: {:.2}x", per_call[0] / per_call[1]);
}

fn report(servers: &[Measured]) {
    println!("\n{:<18} {:>12} {:>16}", "server", "median req/s", "median CPU/req");
    for server in servers {
        let cpu = median(&server.cpu_per_request);
        println!(
            "{:<18} {:>12.0} {:>13.0} µs",
            server.server.name,
            median(&server.requests_per_second),
            cpu.as_secs_f64() * 1e6
        );
    }
    let ours = median(&servers[0].requests_per_second);
    for other in &servers[1..] {
        println!("serve / {}: {:.2}x", other.server.name, ours / median(&other.requests_per_second));
    }
}

/// Waits for the server, then checks its answer to scenario A with a real
/// gRPC client: this function composes the 7 keys the XRD allows, the
/// Python script all 8; the do-nothing server copies desired state forward.
async fn check_answer(server: &Server) {
    let channel = connect(server.port).await;
    let frame = std::fs::read(&server.body).unwrap();
    let request = sdk::RunFunctionRequest::decode(&frame[5..]).unwrap();
    let response = FunctionRunnerServiceClient::new(channel).run_function(request).await.unwrap().into_inner();
    assert_eq!(response.meta.unwrap().tag, "scenario-a", "{}", server.name);
    let keys = response.desired.and_then(|desired| desired.composite).map_or(0, |xr| xr.connection_details.len());
    let expected = match server.name {
        "serve" => 7,
        "function-pythonic" => 8,
        _ => 0,
    };
    assert_eq!(keys, expected, "{}: keys in the composite's connection details", server.name);
}

/// User plus system CPU time of a process, from /proc.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name, which is in parentheses.
    let fields: Vec<&str> = stat.rsplit_once(')').unwrap().1.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_secs_f64(ticks as f64 / USER_HZ)
}

/// Linux reports process times in clock ticks of 1/100 s (USER_HZ) on every
/// architecture Rust targets.
const USER_HZ: f64 = 100.0;

/// function-pythonic's input: the script of benches/pythonic/.
fn pythonic_input() -> serde_json::Value {
    let script = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/pythonic/connection_details.py"),
    )
    .unwrap();
    serde_json::json!({"apiVersion": "pythonic.fn.crossplane.io/v1alpha1", "kind": "Composite", "composite": script})
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|value| value.parse().ok()).unwrap_or(default)
}

/// The middle value; NaN-free input assumed, as rates and times are.
fn median<T: Copy + PartialOrd>(values: &[T]) -> T {
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    sorted[sorted.len() / 2]
}

fn micros(total: Duration, count: usize) -> f64 {
    total.as_secs_f64() * 1e6 / count as f64
}
