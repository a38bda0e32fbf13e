//! Servers under load, for `serve_load` and `soak`: each server a process of
//! its own (the benchmark started again in a server role, or another
//! program), driven by h2load with gRPC frames read from a file.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use function_connection_details::protocol;

pub const ROLE: &str = "SERVE_LOAD_ROLE";
pub const RUN_FUNCTION: &str = "/apiextensions.fn.proto.v1.FunctionRunnerService/RunFunction";

/// `function-connection-details serve`, as the binary runs it, with the
/// further flags of SERVE_LOAD_FLAGS (separated by spaces); no metrics
/// listener unless they give one.
pub fn serve_ours() {
    let address = std::env::var("SERVE_LOAD_ADDRESS").unwrap();
    let flags = std::env::var("SERVE_LOAD_FLAGS").unwrap_or_default();
    let mut io = function_connection_details::cli::Io {
        stdin: &mut std::io::empty(),
        stdout: &mut std::io::stdout(),
        stderr: &mut std::io::stderr(),
    };
    let mut args: Vec<String> = ["function-connection-details", "serve", "--insecure", "--address", &address]
        .iter()
        .map(|arg| arg.to_string())
        .chain(flags.split_whitespace().map(String::from))
        .collect();
    if !flags.contains("--metrics-address") {
        args.extend(["--metrics-address".to_owned(), String::new()]);
    }
    std::process::exit(i32::from(function_connection_details::cli::main_with(args, &mut io)));
}

pub struct Server {
    pub name: &'static str,
    pub port: u16,
    /// The request it answers, as a gRPC frame in a file for h2load.
    pub body: PathBuf,
    pub child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.body);
    }
}

/// This benchmark again, as the server `name` (see `ROLE`).
pub fn role(name: &str) -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.env(ROLE, name);
    command
}

/// Starts a server on a free loopback port; `command` takes the address
/// as its last argument or in SERVE_LOAD_ADDRESS.
pub fn start(name: &'static str, mut command: Command, request: &[u8]) -> Server {
    let port = free_port();
    let address = format!("127.0.0.1:{port}");
    let is_role = command.get_envs().any(|(key, _)| key == ROLE);
    if is_role {
        command.env("SERVE_LOAD_ADDRESS", &address);
    } else {
        command.arg(&address);
    }
    let child = command.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap_or_else(|e| panic!("{name}: {e}"));
    let body = std::env::temp_dir().join(format!("serve-load-{}-{port}.grpc", std::process::id()));
    std::fs::write(&body, grpc_frame(request)).unwrap();
    Server { name, port, body, child }
}

/// A loopback port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Connects, waiting up to a minute for the server to listen.
pub async fn connect(port: u16) -> tonic::transport::Channel {
    let endpoint = tonic::transport::Channel::from_shared(format!("http://127.0.0.1:{port}")).unwrap();
    let started = Instant::now();
    loop {
        match endpoint.connect().await {
            Ok(channel) => return channel,
            Err(_) if started.elapsed() < Duration::from_secs(60) => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(error) => panic!("no server on port {port}: {error}"),
        }
    }
}

/// What h2load reported of one run.
pub struct H2load {
    pub requests_per_second: f64,
    /// Requests that got no HTTP/2 answer; a gRPC error status still
    /// arrives as HTTP 200 and counts as succeeded here.
    pub failed: usize,
}

/// Runs h2load: `requests` frames of `body`, `clients` connections, one
/// stream each.
pub fn h2load(port: u16, body: &Path, requests: usize, clients: usize) -> H2load {
    let output = Command::new("h2load")
        .args(["-n", &requests.to_string(), "-c", &clients.to_string(), "-m", "1", "-t", "1"])
        .arg("-d")
        .arg(body)
        .args(["-H", "content-type: application/grpc", "-H", "te: trailers"])
        .arg(format!("http://127.0.0.1:{port}{RUN_FUNCTION}"))
        .output()
        .expect("h2load runs (Debian: apt-get install nghttp2-client)");
    let text = String::from_utf8_lossy(&output.stdout);
    let line = |prefix: &str| text.lines().find(|line| line.trim_start().starts_with(prefix)).unwrap_or_default();
    let succeeded: usize = line("requests:")
        .split(", ")
        .find_map(|part| part.strip_suffix(" succeeded")?.parse().ok())
        .unwrap_or_else(|| panic!("no count of succeeded requests in h2load's output:\n{text}"));
    let requests_per_second = line("finished in")
        .split(", ")
        .nth(1)
        .and_then(|rate| rate.strip_suffix(" req/s"))
        .and_then(|rate| rate.parse().ok())
        .unwrap_or_else(|| panic!("no req/s in h2load's output:\n{text}"));
    H2load { requests_per_second, failed: requests.saturating_sub(succeeded) }
}

/// A gRPC message on the wire: not compressed, length, message.
pub fn grpc_frame(message: &[u8]) -> Vec<u8> {
    let mut frame = vec![0];
    frame.extend_from_slice(&u32::try_from(message.len()).unwrap().to_be_bytes());
    frame.extend_from_slice(message);
    frame
}

/// Scenario A, with another function input when one is given.
pub fn scenario_a(input: Option<serde_json::Value>) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/requests/scenario-a.json");
    let mut request: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    if let Some(input) = input {
        request["input"] = input;
    }
    protocol::request_from_json(&request.to_string()).unwrap()
}
