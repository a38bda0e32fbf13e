//! One client cannot take the server (issue 24, item 6). The real binary
//! serves mutual TLS with one call at a time and fewer file handles than
//! the flood's connections (`prlimit --nofile`); then:
//!
//! - connections that never say a word, more than it has handles for: it
//!   does not spin on EMFILE while they hold every handle, and drops them
//!   at the TLS handshake timeout;
//! - one connection with calls of 4 MB each, far more than its streams and
//!   budget admit: resident memory stays under a stated bound (an earlier
//!   server buffered every body and reached 1.98 GB on 500 such calls);
//! - meanwhile a well-behaved mTLS client, connected before, is answered.
//!
//! RELIABILITY.md's Boundaries section records the figures.

#[path = "../../tests/support/certificates.rs"]
mod certificates;
mod common;
#[path = "../../tests/support/raw_codec.rs"]
mod raw_codec;

use std::path::Path;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{Server, scenario_b, wait_until};
use function_sdk_rust::proto::v1::function_runner_service_client::FunctionRunnerServiceClient;
use raw_codec::RawCodec;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

/// File handles the server may hold: fewer than the silent connections.
const FILE_HANDLES: usize = 96;
const SILENT_CONNECTIONS: usize = 150;
const FLOOD_CALLS: usize = 200;
const FLOOD_CALL_BYTES: usize = 4_000_000;
/// What the server may hold at its peak: its own memory at rest, the
/// request budget (64 MiB by default), one call's component memory (64 MiB
/// by default) and HTTP/2's windows, with room to spare.
const PEAK_RESIDENT_BOUND_MIB: u64 = 320;
/// The most CPU time the server may use in two seconds with nothing but
/// silent connections: well under the two seconds that spinning takes.
const IDLE_CPU_BOUND: Duration = Duration::from_millis(400);

fn status_field_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|line| line.starts_with(field)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// User and system CPU time of the whole process, all threads.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name, which is in parentheses: state is 3,
    // utime 14 and stime 15, in clock ticks (USER_HZ, 100 on Linux).
    let fields: Vec<&str> = stat.rsplit_once(')').unwrap().1.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_millis(ticks * 10)
}

fn tls_endpoint(dir: &Path, address: &str) -> Endpoint {
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap();
    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(read("ca.crt")))
        .identity(Identity::from_pem(read("client.crt"), read("client.key")))
        .domain_name("localhost");
    let port = address.rsplit(':').next().unwrap();
    Channel::from_shared(format!("https://localhost:{port}")).unwrap().tls_config(tls).unwrap()
}

async fn answered(client: &mut FunctionRunnerServiceClient<Channel>) -> usize {
    let response = client.run_function(scenario_b()).await.expect("the well-behaved client is answered");
    response.into_inner().desired.unwrap().composite.unwrap().connection_details.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn silent_connections_and_a_stream_flood_neither_spin_nor_swell_the_server_and_a_good_client_is_answered() {
    let dir = std::env::temp_dir().join(format!("fcd-flood-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    certificates::make_certificates(&dir);
    let nofile = format!("--nofile={FILE_HANDLES}");
    let server = Server::launch(
        &["prlimit", &nofile],
        &["--tls-certs-dir", dir.to_str().unwrap()],
        &["--max-concurrent-calls", "1", "--tls-handshake-timeout", "4s"],
        &[],
    );
    let pid = server.child.id();
    let endpoint = tls_endpoint(&dir, &server.grpc);
    let channel = wait_until("the server answers over mTLS", async || endpoint.connect().await.ok()).await;
    let mut good = FunctionRunnerServiceClient::new(channel);
    assert_eq!(answered(&mut good).await, 3);

    // Silent connections, more than the server has file handles for: for
    // the next four seconds (the handshake timeout) every accept fails.
    let silent: Vec<std::net::TcpStream> =
        (0..SILENT_CONNECTIONS).map(|_| std::net::TcpStream::connect(&server.grpc).unwrap()).collect();
    let before = cpu_time(pid);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let spent = cpu_time(pid) - before;
    assert!(spent < IDLE_CPU_BOUND, "the server used {spent:?} of CPU in 2 s with only silent connections");
    assert_eq!(answered(&mut good).await, 3, "answered while silent connections wait");

    // One connection, many large calls at once.
    let flood_channel = tls_endpoint(&dir, &server.grpc).connect().await.expect("the flood connects");
    let body = Bytes::from(vec![0xffu8; FLOOD_CALL_BYTES]);
    let path = "/apiextensions.fn.proto.v1.FunctionRunnerService/RunFunction";
    let flood: Vec<_> = (0..FLOOD_CALLS)
        .map(|_| {
            let (channel, body) = (flood_channel.clone(), body.clone());
            tokio::spawn(async move {
                let mut raw = tonic::client::Grpc::new(channel);
                raw.ready().await.ok()?;
                let path = http::uri::PathAndQuery::from_static(path);
                raw.unary(tonic::Request::new(body), path, RawCodec).await.err()
            })
        })
        .collect();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(2) {
        assert_eq!(answered(&mut good).await, 3, "answered during the flood");
    }
    let mut refused = 0;
    for call in flood {
        if call.await.unwrap().is_some() {
            refused += 1;
        }
    }
    assert_eq!(refused, FLOOD_CALLS, "every flood call is refused as no request");
    let peak_mib = status_field_kib(pid, "VmHWM:") / 1024;
    eprintln!("flood: peak resident {peak_mib} MiB; {spent:?} of CPU in 2 s of silent connections");
    assert!(peak_mib < PEAK_RESIDENT_BOUND_MIB, "peak resident memory {peak_mib} MiB");
    assert_eq!(answered(&mut good).await, 3);
    drop(silent);
    std::fs::remove_dir_all(&dir).ok();
}
