//! The runtime's limits end one call and leave the runtime serving.

use std::time::Duration;

use function_connection_details::runtime::{Limits, RunError, Runtime, Settings};
use serde_json::json;

use crate::harness::{Request, input, many_entries, runtime_with};

fn request_with_value_of(bytes: usize) -> Request {
    Request::legacy(input(json!({"resources": [{"name": "db", "connectionDetails": [
        {"fromConnectionSecretKey": "blob"},
    ]}]})))
    .observed("db", json!({}), &[("blob", &vec![b'x'; bytes])])
}

#[test]
fn exceeding_the_memory_limit_fails_that_call_only() {
    let runtime = runtime_with(Limits { memory_bytes: 8 * 1024 * 1024, ..Limits::default() });
    match request_with_value_of(16 * 1024 * 1024).run_with(&runtime) {
        Err(RunError::MemoryLimit) => {}
        other => panic!("expected the memory limit, got {other:?}"),
    }
    let after = Request::from_example("scenario-a.json").run_with(&runtime).expect("the next call succeeds");
    assert_eq!(after.composite_details().len(), 7);
}

#[test]
fn exceeding_the_cpu_limit_fails_that_call_only() {
    // One tick (at most 10 ms of running); 20,000 entries take far longer
    // (tens of milliseconds natively when this test was written). The
    // endless loop of `hostile.rs` shows the limit without any such margin.
    let runtime = runtime_with(Limits { cpu_time: Duration::from_millis(1), ..Limits::default() });
    match many_entries(20_000).run_with(&runtime) {
        Err(RunError::CpuLimit) => {}
        other => panic!("expected the CPU limit, got {other:?}"),
    }
    let after = Request::from_example("scenario-a.json").run_with(&runtime).expect("the next call succeeds");
    assert_eq!(after.composite_details().len(), 7);
}

#[test]
fn a_component_file_that_is_not_a_component_is_a_load_error() {
    let path = std::env::temp_dir().join(format!("not-a-component-{}.wasm", std::process::id()));
    std::fs::write(&path, b"\0asm not really").unwrap();
    let error = Runtime::from_file(&path, &Settings::default()).err().expect("refused");
    std::fs::remove_file(&path).ok();
    assert!(error.to_string().contains("not a WebAssembly component"), "{error}");
}
