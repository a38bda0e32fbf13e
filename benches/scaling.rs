//! Cost against size: 100, 1,000 and 10,000 composed resources × 4 keys,
//! natively and through the component in one run, so the report shows
//! both the component/native ratio and that cost per key stays flat
//! (linear growth). Requests come from `generate.rs`.
//!
//!   cargo bench --bench scaling
//!
//! `BASELINE=path/to/connection_details.wasm` adds another build's series.
//!
//! The figure per call through `serve` for 1,000 resources is measured by
//! the `serve_load` benchmark, with the same generator.

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use function_connection_details::protocol;
use function_connection_details::runtime::{self, Limits, Runtime, Settings};

#[path = "baseline.rs"]
mod baseline;
#[path = "generate.rs"]
mod generate;

const KEYS: usize = 4;
const SIZES: [usize; 3] = [100, 1_000, 10_000];

fn request(resources: usize) -> Vec<u8> {
    protocol::request_from_json(&generate::request_json(resources, KEYS).to_string()).unwrap()
}

fn bench(c: &mut Criterion) {
    // 10,000 resources need more than the default 64 MiB.
    let limits = Limits { memory_bytes: 512 * 1024 * 1024, cpu_time: Duration::from_secs(10) };
    let settings = Settings { limits, ..Settings::default() };
    let runtime = Runtime::embedded(&settings).unwrap();
    let baseline = baseline::baseline(&settings);
    let mut group = c.benchmark_group("scaling");
    group.sample_size(10);
    for resources in SIZES {
        let request = request(resources);
        check(&runtime, &request, resources);
        group.throughput(Throughput::Elements((resources * KEYS) as u64));
        group.bench_with_input(BenchmarkId::new("native", resources), &request, |b, request| {
            b.iter(|| connection_details::function::run_function(request).unwrap());
        });
        group.bench_with_input(BenchmarkId::new("component", resources), &request, |b, request| {
            b.iter(|| runtime::block_on(runtime.run_function(request)).unwrap());
        });
        if let Some(baseline) = &baseline {
            group.bench_with_input(BenchmarkId::new("baseline", resources), &request, |b, request| {
                b.iter(|| runtime::block_on(baseline.run_function(request)).unwrap());
            });
        }
    }
    group.finish();
}

/// The response composes one Secret holding every key: a benchmark of a
/// call that failed would measure nothing.
fn check(runtime: &Runtime, request: &[u8], resources: usize) {
    let response = runtime::block_on(runtime.run_function(request)).unwrap();
    let summary = protocol::summarize(&response);
    assert!(!summary.fatal, "{resources} resources: FATAL result");
    let native = connection_details::function::run_function(request).unwrap();
    assert_eq!(response, native, "{resources} resources: component and native answer alike");
    assert!(response.len() > resources * KEYS * 8, "{resources} resources: the Secret holds every value");
}

criterion_group!(benches, bench);
criterion_main!(benches);
