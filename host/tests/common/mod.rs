//! The real binary as a server process, for the tests that need one: its
//! exit status, signals and logs are the point.

#![allow(dead_code)]

#[path = "../../../benches/metrics_page.rs"]
mod metrics_page;

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use function_connection_details::protocol;
use function_sdk_rust::proto::v1 as sdk;
use function_sdk_rust::proto::v1::function_runner_service_client::FunctionRunnerServiceClient;
use prost::Message;
use rustix::process::{Pid, Signal, kill_process};
use tonic::transport::Channel;

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `function-connection-details serve --insecure` on free loopback ports,
/// with metrics; what it prints is read as it comes (a full pipe would stop
/// the server) and kept. Killed when dropped.
pub struct Server {
    pub child: Child,
    pub grpc: String,
    pub metrics: String,
    readers: Vec<std::thread::JoinHandle<String>>,
}

impl Server {
    pub fn start(flags: &[&str]) -> Self {
        Self::start_with(flags, &[])
    }

    pub fn start_with(flags: &[&str], env: &[(&str, &str)]) -> Self {
        Self::launch(&[], &["--insecure"], flags, env)
    }

    /// `serve` with `credentials` (`--insecure`, or `--tls-certs-dir DIR`),
    /// run through `wrapper` (such as `prlimit --nofile=64`) when it is
    /// not empty; the wrapper must exec the binary, keeping its pid.
    pub fn launch(wrapper: &[&str], credentials: &[&str], flags: &[&str], env: &[(&str, &str)]) -> Self {
        let (grpc, metrics) = (format!("127.0.0.1:{}", free_port()), format!("127.0.0.1:{}", free_port()));
        let binary = env!("CARGO_BIN_EXE_function-connection-details");
        let mut command = match wrapper.split_first() {
            Some((program, wrapper_args)) => {
                let mut command = Command::new(program);
                command.args(wrapper_args).arg(binary);
                command
            }
            None => Command::new(binary),
        };
        let mut child = command
            .arg("serve")
            .args(credentials)
            .args(["--address", &grpc, "--metrics-address", &metrics])
            .args(flags)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let readers = vec![read_all(child.stdout.take().unwrap()), read_all(child.stderr.take().unwrap())];
        Self { child, grpc, metrics, readers }
    }

    pub fn terminate(&self) {
        let pid = Pid::from_raw(i32::try_from(self.child.id()).unwrap()).unwrap();
        kill_process(pid, Signal::TERM).unwrap();
    }

    /// How many RunFunction calls the server has started, from /metrics.
    pub fn calls_started(&self) -> Option<u64> {
        let page = metrics_page::metrics_page(&self.metrics).ok()?;
        page.lines()
            .filter(|line| line.starts_with("grpc_server_started_total{") && line.contains("RunFunction"))
            .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
            .reduce(|a, b| a + b)
    }

    /// Everything the server printed, standard output then standard
    /// error; waits for it to exit.
    pub fn output(&mut self) -> String {
        std::mem::take(&mut self.readers).into_iter().map(|reader| reader.join().unwrap()).collect()
    }

    /// Stops the server with SIGTERM and returns everything it printed.
    pub async fn stop_and_read_output(mut self) -> String {
        self.terminate();
        wait_until("the server exits", async || self.child.try_wait().unwrap()).await;
        self.output()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn read_all(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// `examples/requests/scenario-b.json`: three keys for the combined Secret.
pub fn scenario_b() -> sdk::RunFunctionRequest {
    let json =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/requests/scenario-b.json")).unwrap();
    sdk::RunFunctionRequest::decode(protocol::request_from_json(&json).unwrap().as_slice()).unwrap()
}

pub async fn client(address: &str) -> Result<FunctionRunnerServiceClient<Channel>, tonic::transport::Error> {
    let channel = Channel::from_shared(format!("http://{address}")).unwrap().connect().await?;
    Ok(FunctionRunnerServiceClient::new(channel).max_decoding_message_size(64 << 20))
}

pub async fn wait_until<T>(what: &str, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if let Some(value) = probe().await {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("timed out waiting until {what}");
}
