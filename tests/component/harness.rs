//! Builds requests as protojson, runs them through the embedded component,
//! and reads responses back as JSON.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::LazyLock;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use function_connection_details::protocol;
use function_connection_details::runtime::{self, Limits, RunError, Runtime, Settings};
use serde_json::{Value, json};

pub static RUNTIME: LazyLock<Runtime> = LazyLock::new(|| runtime_with(Limits::default()));

/// The embedded component under `limits`, for tests running in parallel.
pub fn runtime_with(limits: Limits) -> Runtime {
    Runtime::embedded(&Settings { limits, concurrent_calls: 4, ..Settings::default() })
        .expect("the embedded component loads")
}

/// One `run-function` call, to completion.
pub fn run_bytes(runtime: &Runtime, request: &[u8]) -> Result<Vec<u8>, RunError> {
    runtime::block_on(runtime.run_function(request))
}

pub const API_VERSION: &str = "connection.fn.crossplane.io/v1beta1";

/// Scenario A's combined secret (SPEC §8): key and byte count.
pub const SCENARIO_A_KEYS: [(&str, usize); 7] = [
    ("attribute.secret", 40),
    ("attribute.ses_smtp_password_v4", 44),
    ("key2-secret", 40),
    ("key2-smtp", 44),
    ("key2-user", 20),
    ("password", 40),
    ("username", 20),
];

pub fn repo_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// A function input with the fixed apiVersion and kind and `fields` merged in.
pub fn input(fields: Value) -> Value {
    let mut input = json!({"apiVersion": API_VERSION, "kind": "ConnectionDetails"});
    input.as_object_mut().unwrap().extend(fields.as_object().expect("input fields are an object").clone());
    input
}

#[derive(Clone)]
pub struct Request(pub Value);

impl Request {
    pub fn from_example(name: &str) -> Self {
        let path = repo_path(&format!("examples/requests/{name}"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Self(serde_json::from_str(&text).unwrap())
    }

    /// A cluster-scoped legacy XR named `xr`, no composed resources yet.
    pub fn legacy(input: Value) -> Self {
        Self::with_composite(
            input,
            json!({
                "apiVersion": "example.org/v1alpha1", "kind": "XDatabase",
                "metadata": {"name": "xr", "uid": "0a1b2c3d"},
                "spec": {},
            }),
        )
    }

    /// A namespaced Crossplane v2 XR named `db` in `apps`.
    pub fn modern(input: Value) -> Self {
        Self::with_composite(
            input,
            json!({
                "apiVersion": "example.org/v1alpha1", "kind": "Database",
                "metadata": {"name": "db", "namespace": "apps"},
                "spec": {"crossplane": {"compositionRef": {"name": "databases"}}},
            }),
        )
    }

    /// Any observed composite resource, no composed resources yet.
    pub fn with_composite(input: Value, composite: Value) -> Self {
        Self(json!({
            "meta": {"tag": "test-tag"},
            "observed": {"composite": {"resource": composite}},
            "input": input,
        }))
    }

    /// Adds an observed composed resource with connection details.
    pub fn observed(mut self, name: &str, object: Value, details: &[(&str, &[u8])]) -> Self {
        let details: serde_json::Map<String, Value> =
            details.iter().map(|(k, v)| (k.to_string(), Value::String(BASE64.encode(v)))).collect();
        self.0["observed"]["resources"][name] = json!({"resource": object, "connectionDetails": details});
        self
    }

    pub fn desired(mut self, desired: Value) -> Self {
        self.0["desired"] = desired;
        self
    }

    pub fn capabilities(mut self, capabilities: &[&str]) -> Self {
        self.0["meta"]["capabilities"] = json!(capabilities);
        self
    }

    pub fn encode(&self) -> Vec<u8> {
        protocol::request_from_json(&self.0.to_string()).expect("test requests are valid protojson")
    }

    pub fn run(&self) -> Response {
        Response::decode(&run_bytes(&RUNTIME, &self.encode()).expect("the component answers"))
    }

    pub fn run_with(&self, runtime: &Runtime) -> Result<Response, RunError> {
        run_bytes(runtime, &self.encode()).map(|bytes| Response::decode(&bytes))
    }
}

#[derive(Debug)]
pub struct Response(pub Value);

impl Response {
    pub fn decode(bytes: &[u8]) -> Self {
        Self(serde_json::from_str(&protocol::response_to_json(bytes).unwrap()).unwrap())
    }

    /// `desired.composite.connectionDetails`, decoded.
    pub fn composite_details(&self) -> BTreeMap<String, Vec<u8>> {
        decode_map(&self.0["desired"]["composite"]["connectionDetails"])
    }

    pub fn desired_resource(&self, name: &str) -> Option<&Value> {
        self.0["desired"]["resources"].get(name)
    }

    /// The `data` of a composed Secret, decoded.
    pub fn secret_data(&self, name: &str) -> BTreeMap<String, Vec<u8>> {
        let resource = self.desired_resource(name).unwrap_or_else(|| panic!("no desired resource {name}"));
        decode_map(&resource["resource"]["data"])
    }

    /// Every result as (severity without prefix, message).
    pub fn results(&self) -> Vec<(String, String)> {
        self.0["results"]
            .as_array()
            .map(|results| {
                results
                    .iter()
                    .map(|r| {
                        let severity = r["severity"].as_str().unwrap().trim_start_matches("SEVERITY_").to_owned();
                        (severity, r["message"].as_str().unwrap().to_owned())
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The message of the one result, which must be FATAL.
    pub fn single_fatal(&self) -> String {
        match self.results().as_slice() {
            [(severity, message)] if severity == "FATAL" => message.clone(),
            other => panic!("expected exactly one FATAL result, got {other:?}"),
        }
    }

    pub fn warnings(&self) -> Vec<String> {
        self.results().into_iter().filter(|(s, _)| s == "WARNING").map(|(_, m)| m).collect()
    }

    pub fn ttl(&self) -> &str {
        self.0["meta"]["ttl"].as_str().unwrap_or_default()
    }
}

fn decode_map(value: &Value) -> BTreeMap<String, Vec<u8>> {
    value
        .as_object()
        .map(|map| map.iter().map(|(k, v)| (k.clone(), BASE64.decode(v.as_str().unwrap()).unwrap())).collect())
        .unwrap_or_default()
}

/// A legacy XR whose input has `entries` constant keys: work that grows with
/// each entry (a large value, by contrast, is copied in bulk at almost no
/// cost in fuel).
pub fn many_entries(entries: usize) -> Request {
    let details: Vec<_> = (0..entries).map(|i| json!({"name": format!("k{i}"), "value": "v"})).collect();
    Request::legacy(input(json!({"resources": [{"name": "db", "connectionDetails": details}]}))).observed(
        "db",
        json!({}),
        &[],
    )
}

/// Key name → byte count, the way tests (and users) should look at secrets.
pub fn sizes(map: &BTreeMap<String, Vec<u8>>) -> Vec<(&str, usize)> {
    map.iter().map(|(k, v)| (k.as_str(), v.len())).collect()
}
