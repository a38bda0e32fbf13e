//! `serve` starts as an operator expects (issue 21, item 4): an address in
//! use ends it at once, naming the address, the flag and the reason, before
//! anything says it is serving; logs carry no colour codes into a file or
//! pipe, and `--debug` shows the host's lines, not wasmtime's machinery.

mod common;

use std::process::{Command, Output};
use std::time::Duration;

use common::{Server, client, scenario_b, wait_until};

/// `serve` with these flags, to its end; it must end within a minute.
fn serve_until_it_ends(flags: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_function-connection-details"))
        .arg("serve")
        .args(["--insecure"])
        .args(flags)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    for _ in 0..600 {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("serve did not end with its address in use");
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

#[test]
fn a_grpc_address_in_use_ends_serve_naming_it_and_nothing_says_serving() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let output = serve_until_it_ends(&["--address", &address, "--metrics-address", ""]);
    let printed = text(&output);
    assert_eq!(output.status.code(), Some(2), "{printed}");
    assert!(
        printed.contains(&format!("cannot listen on {address}: address already in use (from --address)")),
        "{printed}"
    );
    assert!(!printed.contains("serving"), "{printed}");
}

#[test]
fn a_metrics_address_in_use_ends_serve_too() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let metrics = taken.local_addr().unwrap().to_string();
    let grpc = format!("127.0.0.1:{}", common::free_port());
    let output = serve_until_it_ends(&["--address", &grpc, "--metrics-address", &metrics]);
    let printed = text(&output);
    assert_eq!(output.status.code(), Some(2), "{printed}");
    assert!(
        printed.contains(&format!("cannot listen on {metrics}: address already in use (from --metrics-address)")),
        "{printed}"
    );
    assert!(!printed.contains("serving"), "{printed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_logs_into_a_pipe_have_no_colour_and_no_wasmtime_internals() {
    let server = Server::start(&["--debug"]);
    let mut client = wait_until("the server answers", async || client(&server.grpc).await.ok()).await;
    client.run_function(scenario_b()).await.unwrap();
    let output = server.stop_and_read_output().await;
    assert!(!output.contains('\u{1b}'), "an escape code in a redirected log:\n{output}");
    assert!(output.contains("DEBUG") && output.contains("server limits"), "no debug line of the host's:\n{output}");
    let machinery: Vec<&str> = output
        .lines()
        .filter(|line| line.contains("DEBUG") && (line.contains("wasmtime") || line.contains("cranelift")))
        .collect();
    assert!(machinery.is_empty(), "wasmtime's own debug lines:\n{}", machinery.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_debug_every_line_is_json() {
    let server = Server::start(&[]);
    let mut client = wait_until("the server answers", async || client(&server.grpc).await.ok()).await;
    client.run_function(scenario_b()).await.unwrap();
    let output = server.stop_and_read_output().await;
    for line in output.lines() {
        let parsed: Result<serde_json::Value, _> = serde_json::from_str(line);
        assert!(parsed.is_ok(), "not a JSON line: {line}");
    }
    assert!(output.contains("\"RunFunction\""), "{output}");
}

#[test]
fn an_idle_timeout_that_would_cut_off_a_running_call_is_refused() {
    let output = serve_until_it_ends(&["--idle-timeout", "30s", "--request-timeout", "1m"]);
    let printed = text(&output);
    assert_eq!(output.status.code(), Some(2), "{printed}");
    assert!(printed.contains("--idle-timeout (30s) must be longer than --request-timeout (1m)"), "{printed}");
}
