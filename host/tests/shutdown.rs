//! SIGTERM, as Kubernetes sends it before SIGKILL on every rollout: the
//! real binary finishes the call in flight, answers new calls UNAVAILABLE,
//! and exits 0.

#[path = "../../benches/generate.rs"]
mod generate;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use function_connection_details::protocol;
use function_sdk_rust::proto::v1 as sdk;
use function_sdk_rust::proto::v1::function_runner_service_client::FunctionRunnerServiceClient;
use prost::Message;
use rustix::process::{Pid, Signal, kill_process};
use tonic::transport::Channel;

/// Large enough that its call is still running when the signal arrives
/// (most of a second in the component), small enough for the 16 MiB
/// message limit given below and a Secret's 1 MiB; it needs more memory
/// than the default limit.
const RESOURCES: usize = 6_000;
const KEYS: usize = 4;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Server {
    child: Child,
    grpc: String,
    metrics: String,
}

impl Server {
    fn start() -> Self {
        let (grpc, metrics) = (format!("127.0.0.1:{}", free_port()), format!("127.0.0.1:{}", free_port()));
        let child = Command::new(env!("CARGO_BIN_EXE_function-connection-details"))
            .args(["serve", "--insecure", "--address", &grpc, "--metrics-address", &metrics])
            .args(["--max-recv-message-size", "16777216", "--max-concurrent-calls", "2"])
            .args(["--cpu-limit-ms", "60000", "--memory-limit-mib", "512"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        Self { child, grpc, metrics }
    }

    fn terminate(&self) {
        let pid = Pid::from_raw(i32::try_from(self.child.id()).unwrap()).unwrap();
        kill_process(pid, Signal::TERM).unwrap();
    }

    /// How many RunFunction calls the server has started, from /metrics.
    fn calls_started(&self) -> Option<u64> {
        let mut stream = TcpStream::connect(&self.metrics).ok()?;
        let head = format!("GET /metrics HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", self.metrics);
        stream.write_all(head.as_bytes()).ok()?;
        let mut page = String::new();
        stream.read_to_string(&mut page).ok()?;
        page.lines()
            .filter(|line| line.starts_with("grpc_server_started_total{") && line.contains("RunFunction"))
            .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
            .reduce(|a, b| a + b)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

async fn client(address: &str) -> Result<FunctionRunnerServiceClient<Channel>, tonic::transport::Error> {
    let channel = Channel::from_shared(format!("http://{address}")).unwrap().connect().await?;
    Ok(FunctionRunnerServiceClient::new(channel).max_decoding_message_size(64 << 20))
}

fn request(resources: usize) -> sdk::RunFunctionRequest {
    let json = generate::request_json(resources, KEYS).to_string();
    sdk::RunFunctionRequest::decode(protocol::request_from_json(&json).unwrap().as_slice()).unwrap()
}

async fn wait_until<T>(what: &str, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if let Some(value) = probe().await {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("timed out waiting until {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_calls_in_flight_refuses_new_ones_and_exits_0() {
    let mut server = Server::start();
    // The first start may compile the component.
    let mut in_flight = wait_until("the server answers", async || client(&server.grpc).await.ok()).await;
    let big = request(RESOURCES);
    let call = tokio::spawn(async move {
        let response = in_flight.run_function(big).await;
        (response, Instant::now())
    });
    wait_until("the call has started", async || server.calls_started().filter(|&n| n >= 1)).await;

    server.terminate();
    let signalled = Instant::now();
    let refused = wait_until("a new call is refused", async || match client(&server.grpc).await {
        Err(_) => Some(tonic::Code::Unavailable),
        Ok(mut late) => match late.run_function(request(1)).await {
            Ok(_) => None,
            Err(status) => Some(status.code()),
        },
    })
    .await;
    assert_eq!(refused, tonic::Code::Unavailable);

    let (response, answered) = call.await.unwrap();
    let response = response.expect("the call in flight is answered").into_inner();
    assert!(answered > signalled, "the call was still in flight when the signal came");
    assert!(response.results.iter().all(|r| r.severity != sdk::Severity::Fatal as i32), "{:?}", response.results);
    let secret = response.desired.unwrap().resources.remove("connection-secret").expect("the combined Secret");
    let data = secret.resource.unwrap().fields.remove("data").unwrap();
    let Some(pbjson_types::value::Kind::StructValue(data)) = data.kind else { panic!("data is an object") };
    assert_eq!(data.fields.len(), RESOURCES * KEYS);

    let status = wait_until("the server exits", async || server.child.try_wait().unwrap()).await;
    assert_eq!(status.code(), Some(0), "exit status after SIGTERM");
    let mut logs = String::new();
    server.child.stderr.take().unwrap().read_to_string(&mut logs).unwrap();
    assert!(logs.contains("shutting down"), "{logs}");
}
