//! Soak (a benchmark, not a test): `serve` under a long load, its resident
//! memory sampled every second.
//!
//!   cargo bench --bench soak                   # needs h2load (Debian: nghttp2-client)
//!   SOAK_REQUESTS=1000000 cargo bench --bench soak
//!
//! Two runs of SOAK_REQUESTS requests (default 100,000) from 16 clients:
//! - clean: scenario A only;
//! - mixed: every tenth request is hostile, half of those bytes that are no
//!   RunFunctionRequest, half a request of 400 composed resources that
//!   exceeds the server's memory limit (4 MiB here; scenario A needs
//!   less than 2).
//!
//! Errors are counted twice: requests h2load got no answer to, and the
//! server's own count of gRPC status codes from its /metrics. After the
//! first fifth of a run (warm-up) the samples are cut into five windows:
//! memory is flat when every window's median is within 10% of the first
//! (a leak shows as a rising median; requests in flight only as spread
//! within a window).

use std::time::{Duration, Instant};

#[path = "generate.rs"]
mod generate;
#[path = "metrics_page.rs"]
mod metrics_page;
#[allow(dead_code)]
#[path = "servers.rs"]
mod servers;

use function_connection_details::protocol;
use metrics_page::metrics_page;
use servers::{Server, free_port, grpc_frame, h2load, role, scenario_a, start};

const CLIENTS: usize = 16;
const MEMORY_LIMIT_MIB: usize = 4;
/// Composed resources in the request that exceeds the memory limit.
const HEAVY_RESOURCES: usize = 400;

fn main() {
    if std::env::var(servers::ROLE).is_ok() {
        return servers::serve_ours();
    }
    let requests: usize = std::env::var("SOAK_REQUESTS").ok().and_then(|n| n.parse().ok()).unwrap_or(100_000);
    let metrics = format!("127.0.0.1:{}", free_port());
    let mut command = role("ours");
    command.env("SERVE_LOAD_FLAGS", format!("--metrics-address {metrics} --memory-limit-mib {MEMORY_LIMIT_MIB}"));
    let server = start("serve", command, &scenario_a(None));
    wait_for_metrics(&metrics);
    check_the_hostile_requests(&server);

    println!("soak: scenario A, {requests} requests a run, {CLIENTS} clients (h2load), loopback");
    let clean = soak_run(&server, &metrics, &[Load { body: server.body.clone(), requests, clients: CLIENTS }]);
    clean.report("clean");

    let malformed = body_file(&server, "malformed", &[0xff; 64]);
    let heavy = body_file(&server, "heavy", &heavy_request());
    let hostile = requests / 20;
    let mixed = soak_run(
        &server,
        &metrics,
        &[
            Load { body: server.body.clone(), requests: requests - 2 * hostile, clients: CLIENTS - 2 },
            Load { body: malformed.clone(), requests: hostile, clients: 1 },
            Load { body: heavy.clone(), requests: hostile, clients: 1 },
        ],
    );
    mixed.report("mixed (1 in 10 hostile)");
    for file in [malformed, heavy] {
        let _ = std::fs::remove_file(file);
    }
}

/// One h2load run: `requests` frames of `body` from `clients` connections.
struct Load {
    body: std::path::PathBuf,
    requests: usize,
    clients: usize,
}

struct Run {
    seconds: f64,
    requests: usize,
    unanswered: usize,
    /// gRPC status codes the server counted during the run.
    codes: Vec<(String, u64)>,
    /// Resident memory, one sample a second, in MiB.
    rss: Vec<f64>,
}

/// Runs the loads at once, sampling the server's memory every second.
fn soak_run(server: &Server, metrics: &str, loads: &[Load]) -> Run {
    let before = handled_by_code(metrics);
    let started = Instant::now();
    let port = server.port;
    let (unanswered, rss) = std::thread::scope(|scope| {
        let runs: Vec<_> = loads
            .iter()
            .map(|load| scope.spawn(move || h2load(port, &load.body, load.requests, load.clients).failed))
            .collect();
        let mut rss = Vec::new();
        while runs.iter().any(|run| !run.is_finished()) {
            rss.push(resident_mib(server.child.id()));
            std::thread::sleep(Duration::from_secs(1));
        }
        (runs.into_iter().map(|run| run.join().unwrap()).sum(), rss)
    });
    let after = handled_by_code(metrics);
    let codes = after
        .into_iter()
        .map(|(code, count)| {
            let earlier = before.get(&code).copied().unwrap_or_default();
            (code, count - earlier)
        })
        .filter(|(_, count)| *count > 0)
        .collect();
    let requests = loads.iter().map(|load| load.requests).sum();
    Run { seconds: started.elapsed().as_secs_f64(), requests, unanswered, codes, rss }
}

impl Run {
    fn report(&self, name: &str) {
        let rate = self.requests as f64 / self.seconds;
        println!("\n{name}: {} requests in {:.1} s ({rate:.0} req/s)", self.requests, self.seconds);
        println!("  unanswered (h2load): {}", self.unanswered);
        println!("  gRPC status counted by the server: {:?}", self.codes);
        let curve: Vec<String> = self.rss.iter().map(|mib| format!("{mib:.1}")).collect();
        println!("  resident memory, MiB, each second: {}", curve.join(" "));
        let warm = &self.rss[self.rss.len() / 5..];
        let windows: Vec<(f64, f64, f64)> = warm.chunks(warm.len().div_ceil(5).max(1)).map(spread).collect();
        for (i, (low, median, high)) in windows.iter().enumerate() {
            println!("  window {}: median {median:.1} MiB (min {low:.1}, max {high:.1})", i + 1);
        }
        let first = windows[0].1;
        let drift = windows.iter().map(|(_, median, _)| (median - first).abs() / first).fold(0.0, f64::max);
        let verdict = if drift <= 0.1 { "flat within 10%" } else { "NOT flat within 10%" };
        println!("  largest drift of a window's median from the first: {:.1}% ({verdict})", drift * 100.0);
    }
}

/// Smallest, median and largest of some samples.
fn spread(samples: &[f64]) -> (f64, f64, f64) {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    (sorted[0], sorted[sorted.len() / 2], sorted[sorted.len() - 1])
}

/// More than MEMORY_LIMIT_MIB of guest memory.
fn heavy_request() -> Vec<u8> {
    protocol::request_from_json(&generate::request_json(HEAVY_RESOURCES, 4).to_string()).unwrap()
}

/// Before the soak, a real client sees what the hostile requests get: a
/// FATAL memory-limit result, and INVALID_ARGUMENT for bytes that are no
/// request.
fn check_the_hostile_requests(server: &Server) {
    use function_sdk_rust::proto::v1 as sdk;
    use function_sdk_rust::proto::v1::function_runner_service_client::FunctionRunnerServiceClient;
    use prost::Message;

    let executor = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    executor.block_on(async {
        let channel = servers::connect(server.port).await;
        let mut client = FunctionRunnerServiceClient::new(channel);
        let heavy = sdk::RunFunctionRequest::decode(heavy_request().as_slice()).unwrap();
        let response = client.run_function(heavy).await.unwrap().into_inner();
        let fatal = response.results.iter().find(|result| result.severity() == sdk::Severity::Fatal);
        assert!(fatal.is_some_and(|result| result.message.contains("memory limit")), "{:?}", response.results);
    });
    let malformed = body_file(server, "check", &[0xff; 64]);
    let run = h2load(server.port, &malformed, 1, 1);
    assert_eq!(run.failed, 0, "malformed bytes get an answer");
    let _ = std::fs::remove_file(malformed);
}

fn body_file(server: &Server, name: &str, message: &[u8]) -> std::path::PathBuf {
    let path = server.body.with_extension(name);
    std::fs::write(&path, grpc_frame(message)).unwrap();
    path
}

fn resident_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kib / 1024.0
}

fn wait_for_metrics(address: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while metrics_page(address).is_err() {
        assert!(Instant::now() < deadline, "no metrics at {address}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// RunFunction calls handled, by gRPC status code, over v1 and v1beta1.
fn handled_by_code(address: &str) -> std::collections::BTreeMap<String, u64> {
    let page = metrics_page(address).unwrap_or_else(|error| panic!("metrics at {address}: {error}"));
    let mut codes = std::collections::BTreeMap::new();
    let counts = page
        .lines()
        .filter(|line| line.starts_with("grpc_server_handled_total{") && line.contains("RunFunction"))
        .filter_map(|line| {
            let code = line.split("grpc_code=\"").nth(1)?.split('"').next()?.to_owned();
            let count = line.rsplit(' ').next()?.parse::<f64>().ok()? as u64;
            Some((code, count))
        });
    for (code, count) in counts {
        *codes.entry(code).or_insert(0) += count;
    }
    codes
}
