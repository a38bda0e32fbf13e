//! The same work natively and inside the component, in one run, so the
//! report reads as a ratio: what the WebAssembly sandbox costs per request.
//!
//!   cargo bench --bench component_vs_native
//!
//! `native` calls the core directly; `component` goes through the host's
//! wasmtime runtime exactly as `run` and `serve` do (fresh store, limits,
//! instantiation, encode and decode included). A larger input shows how
//! both scale with the number of keys. BASELINE=path/to/connection_details.wasm
//! adds a third series, `baseline`, from another build of the component (the
//! previous commit's, another opt-level), measured in the same run.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use function_connection_details::protocol;
use function_connection_details::runtime::{self, Runtime, Settings};
use serde_json::{Value, json};

#[path = "baseline.rs"]
mod baseline;

fn scenario_a() -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/requests/scenario-a.json");
    protocol::request_from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A legacy XR with one resource producing `keys` connection details.
fn many_keys(keys: usize) -> Vec<u8> {
    let details: Vec<Value> = (0..keys).map(|i| json!({"fromConnectionSecretKey": format!("k{i}")})).collect();
    let secret: serde_json::Map<String, Value> = (0..keys).map(|i| (format!("k{i}"), json!("dmFsdWU="))).collect();
    let request = json!({
        "observed": {
            "composite": {"resource": {"apiVersion": "example.org/v1", "kind": "X", "metadata": {"name": "x"}}},
            "resources": {"db": {"resource": {"kind": "Db"}, "connectionDetails": secret}},
        },
        "input": {"apiVersion": "connection.fn.crossplane.io/v1beta1", "kind": "ConnectionDetails",
            "resources": [{"name": "db", "connectionDetails": details}]},
    });
    protocol::request_from_json(&request.to_string()).unwrap()
}

fn bench(c: &mut Criterion) {
    let runtime = Runtime::embedded(&Settings::default()).unwrap();
    let baseline = baseline::baseline(&Settings::default());
    let mut group = c.benchmark_group("run_function");
    for (name, request) in [("scenario-a", scenario_a()), ("100-keys", many_keys(100)), ("1000-keys", many_keys(1000))]
    {
        group.throughput(Throughput::Elements(1));
        group.bench_with_input(BenchmarkId::new("native", name), &request, |b, request| {
            b.iter(|| connection_details::function::run_function(request).unwrap());
        });
        group.bench_with_input(BenchmarkId::new("component", name), &request, |b, request| {
            b.iter(|| runtime::block_on(runtime.run_function(request)).unwrap());
        });
        if let Some(baseline) = &baseline {
            group.bench_with_input(BenchmarkId::new("baseline", name), &request, |b, request| {
                b.iter(|| runtime::block_on(baseline.run_function(request)).unwrap());
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
