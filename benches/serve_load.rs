//! Load benchmark for `serve` (a benchmark, not a test): requests per second
//! and p50/p99 latency for seed scenario A at concurrency 1 and 16, through
//! the real server and a real gRPC client on loopback.
//!
//!   cargo bench --bench serve_load            # 2000 requests per level
//!   SERVE_LOAD_REQUESTS=500 cargo bench --bench serve_load

use std::time::{Duration, Instant};

use function_connection_details::protocol;
use function_connection_details::runtime::{Limits, Runtime};
use function_connection_details::server::{ConnectionDetailsFunction, SdkArgs, serve};
use function_sdk_rust::proto::v1 as sdk;
use function_sdk_rust::proto::v1::function_runner_service_client::FunctionRunnerServiceClient;
use prost::Message;
use tokio::task::JoinSet;
use tonic::transport::Channel;

const CONCURRENCY_LEVELS: [usize; 2] = [1, 16];
const WARM_UP_REQUESTS: usize = 100;

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let requests: usize = std::env::var("SERVE_LOAD_REQUESTS").ok().and_then(|n| n.parse().ok()).unwrap_or(2000);
    let client = start_server().await;
    let request = scenario_a();
    println!("serve load: scenario A, {requests} requests per level, loopback, insecure gRPC");
    println!("{:>11}  {:>10}  {:>9}  {:>9}", "concurrency", "requests/s", "p50 ms", "p99 ms");
    for concurrency in CONCURRENCY_LEVELS {
        measure(&client, &request, concurrency, WARM_UP_REQUESTS).await;
        let started = Instant::now();
        let mut latencies = measure(&client, &request, concurrency, requests).await;
        let elapsed = started.elapsed();
        latencies.sort();
        println!(
            "{concurrency:>11}  {:>10.0}  {:>9.2}  {:>9.2}",
            requests as f64 / elapsed.as_secs_f64(),
            millis(percentile(&latencies, 50)),
            millis(percentile(&latencies, 99)),
        );
    }
}

async fn start_server() -> FunctionRunnerServiceClient<Channel> {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let args = SdkArgs {
        debug: false,
        address: format!("127.0.0.1:{port}"),
        tls_certs_dir: None,
        insecure: true,
        max_recv_message_size: None,
        metrics_address: String::new(),
    };
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let function = ConnectionDetailsFunction::new(Runtime::embedded(Limits::default()).unwrap(), cores * 2);
    tokio::spawn(async move { serve(function, &args).await.expect("the server runs") });
    let endpoint = Channel::from_shared(format!("http://127.0.0.1:{port}")).unwrap();
    for _ in 0..600 {
        if let Ok(channel) = endpoint.connect().await {
            return FunctionRunnerServiceClient::new(channel);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not start");
}

fn scenario_a() -> sdk::RunFunctionRequest {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/requests/scenario-a.json");
    let bytes = protocol::request_from_json(&std::fs::read_to_string(path).unwrap()).unwrap();
    sdk::RunFunctionRequest::decode(bytes.as_slice()).unwrap()
}

/// Sends `total` requests from `concurrency` callers; each latency is one
/// request's round trip.
async fn measure(
    client: &FunctionRunnerServiceClient<Channel>,
    request: &sdk::RunFunctionRequest,
    concurrency: usize,
    total: usize,
) -> Vec<Duration> {
    let mut callers = JoinSet::new();
    for caller in 0..concurrency {
        let (mut client, request) = (client.clone(), request.clone());
        let share = total / concurrency + usize::from(caller < total % concurrency);
        callers.spawn(async move {
            let mut latencies = Vec::with_capacity(share);
            for _ in 0..share {
                let started = Instant::now();
                let response = client.run_function(request.clone()).await.expect("RunFunction succeeds");
                latencies.push(started.elapsed());
                assert_eq!(response.into_inner().desired.unwrap().composite.unwrap().connection_details.len(), 7);
            }
            latencies
        });
    }
    let mut latencies = Vec::with_capacity(total);
    while let Some(done) = callers.join_next().await {
        latencies.extend(done.unwrap());
    }
    latencies
}

fn percentile(sorted: &[Duration], percent: usize) -> Duration {
    sorted[(sorted.len() * percent / 100).min(sorted.len() - 1)]
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
