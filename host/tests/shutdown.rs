//! SIGTERM, as Kubernetes sends it before SIGKILL on every rollout: the
//! real binary finishes the call in flight, answers new calls UNAVAILABLE,
//! and exits 0.

mod common;
#[path = "../../benches/generate.rs"]
mod generate;

use std::time::{Duration, Instant};

use common::{Server, client};
use function_connection_details::protocol;
use function_sdk_rust::proto::v1 as sdk;
use prost::Message;
use tokio::time::timeout;

/// Large enough that its call is still running when the signal arrives
/// (most of a second in the component), small enough for the 16 MiB
/// message limit given below and a Secret's 1 MiB; it needs more memory
/// than the default limit.
const RESOURCES: usize = 6_000;
const KEYS: usize = 4;

fn request(resources: usize) -> sdk::RunFunctionRequest {
    let json = generate::request_json(resources, KEYS).to_string();
    sdk::RunFunctionRequest::decode(protocol::request_from_json(&json).unwrap().as_slice()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_calls_in_flight_refuses_new_ones_and_exits_0() {
    let mut server = Server::start(&[
        "--max-recv-message-size",
        "16777216",
        "--max-concurrent-calls",
        "2",
        "--cpu-limit-ms",
        "60000",
        "--memory-limit-mib",
        "512",
    ]);
    // The first start may compile the component.
    let mut in_flight = common::wait_until("the server answers", async || client(&server.grpc).await.ok()).await;
    let big = request(RESOURCES);
    let call = tokio::spawn(async move {
        let response = in_flight.run_function(big).await;
        (response, Instant::now())
    });
    common::wait_until("the call has started", async || server.calls_started().filter(|&n| n >= 1)).await;

    // A client connected before the signal, as Crossplane's are.
    let mut late = client(&server.grpc).await.unwrap();
    server.terminate();
    let signalled = Instant::now();
    // How the late client's next call is refused depends on timing: the
    // service answers UNAVAILABLE (the signal has come, the connection is
    // still open); or the call races the GOAWAY on its connection and the
    // client library reports the stream cut (grpc-go, Crossplane's client,
    // retries such a call by itself); or the channel reconnects and the
    // closed listener refuses it, UNAVAILABLE again. So wait for
    // UNAVAILABLE, and let nothing else through but an error the client
    // made up itself: a status the server wrote has no source error.
    // Each attempt is bounded, so that a call stuck on a closing connection
    // is tried again rather than waited on forever.
    let attempt = Duration::from_secs(10);
    eprintln!("signalled; waiting for a new call to be refused");
    common::wait_until("a new call is refused UNAVAILABLE", async || {
        match timeout(attempt, late.run_function(request(1))).await {
            Err(_elapsed) => None,
            Ok(Ok(_)) => None,
            Ok(Err(status)) if status.code() == tonic::Code::Unavailable => Some(()),
            Ok(Err(status)) => {
                let cut_by_the_client = std::error::Error::source(&status).is_some();
                assert!(cut_by_the_client, "the server refused a new call with {status:?}, not UNAVAILABLE");
                None
            }
        }
    })
    .await;
    eprintln!("waiting for new connections to be refused");
    common::wait_until("new connections are refused", async || match timeout(attempt, client(&server.grpc)).await {
        Ok(connected) => connected.err(),
        Err(_elapsed) => None,
    })
    .await;

    eprintln!("waiting for the call in flight");
    let (response, answered) =
        timeout(Duration::from_secs(120), call).await.expect("the call in flight ends within 2 minutes").unwrap();
    let response = response.expect("the call in flight is answered").into_inner();
    assert!(answered > signalled, "the call was still in flight when the signal came");
    assert!(response.results.iter().all(|r| r.severity != sdk::Severity::Fatal as i32), "{:?}", response.results);
    let secret = response.desired.unwrap().resources.remove("connection-secret").expect("the combined Secret");
    let data = secret.resource.unwrap().fields.remove("data").unwrap();
    let Some(pbjson_types::value::Kind::StructValue(data)) = data.kind else { panic!("data is an object") };
    assert_eq!(data.fields.len(), RESOURCES * KEYS);

    let status = common::wait_until("the server exits", async || server.child.try_wait().unwrap()).await;
    assert_eq!(status.code(), Some(0), "exit status after SIGTERM");
    let logs = server.output();
    assert!(logs.contains("shutting down"), "{logs}");
}
