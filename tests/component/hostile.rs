//! Components that misbehave on purpose, loaded exactly as `--component
//! PATH` loads a file: each is contained by the host's limits, and the
//! runtime goes on answering.

use function_connection_details::runtime::{Limits, RunError, Runtime, Settings};
use std::time::Duration;

use crate::harness::{Request, run_bytes};

/// A component of this project's world whose `run-function` does `body`
/// (WebAssembly text) and whose `render`, `function-request` and `convert`
/// trap.
fn component(body: &str) -> Vec<u8> {
    let module = format!(
        r#"(module
            (memory (export "memory") 1)
            (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 1024)
            (func (export "crossplane:connection-details/function-runner@0.1.0#run-function")
                (param i32 i32) (result i32)
                {body})
            (func (export "crossplane:connection-details/renderer@0.1.0#render") (param i32) (result i32)
                unreachable)
            (func (export "crossplane:connection-details/renderer@0.1.0#function-request") (param i32) (result i32)
                unreachable)
            (func (export "crossplane:connection-details/renderer@0.1.0#convert")
                (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
                unreachable))"#
    );
    let mut module = wat::parse_str(module).expect("the test's WebAssembly text parses");
    let mut resolve = wit_parser::Resolve::default();
    let (package, _) = resolve.push_dir(crate::harness::repo_path("wit")).expect("wit/ parses");
    let world = resolve.select_world(&[package], Some("connection-details")).expect("the world exists");
    wit_component::embed_component_metadata(&mut module, &resolve, world, wit_component::StringEncoding::UTF8)
        .expect("the world's types embed");
    wit_component::ComponentEncoder::default()
        .module(&module)
        .expect("the module is accepted")
        .validate(true)
        .encode()
        .expect("the component encodes")
}

fn load(component: &[u8], limits: Limits) -> Runtime {
    let path =
        std::env::temp_dir().join(format!("hostile-{}-{:?}.wasm", std::process::id(), std::thread::current().id()));
    std::fs::write(&path, component).unwrap();
    let settings = Settings { limits, compiled_cache: None, ..Settings::default() };
    let runtime = Runtime::from_file(&path, &settings).expect("the hostile component loads");
    std::fs::remove_file(&path).ok();
    runtime
}

fn scenario_a() -> Vec<u8> {
    Request::from_example("scenario-a.json").encode()
}

const SHORT_CPU: Limits = Limits { memory_bytes: 64 * 1024 * 1024, cpu_time: Duration::from_millis(50) };

#[test]
fn an_endless_loop_ends_at_the_cpu_limit_every_time() {
    let runtime = load(&component("(loop $forever (br $forever)) unreachable"), SHORT_CPU);
    for _ in 0..2 {
        match run_bytes(&runtime, &scenario_a()) {
            Err(RunError::CpuLimit) => {}
            other => panic!("expected the CPU limit, got {other:?}"),
        }
    }
}

#[test]
fn a_memory_bomb_ends_at_the_memory_limit() {
    let bomb = "(loop $grow (drop (memory.grow (i32.const 16))) (br $grow)) unreachable";
    let runtime = load(&component(bomb), Limits { memory_bytes: 8 * 1024 * 1024, ..SHORT_CPU });
    match run_bytes(&runtime, &scenario_a()) {
        Err(RunError::MemoryLimit) => {}
        other => panic!("expected the memory limit, got {other:?}"),
    }
}

#[test]
fn a_trap_is_a_trap_and_the_next_call_runs_again() {
    let runtime = load(&component("unreachable"), SHORT_CPU);
    for _ in 0..2 {
        match run_bytes(&runtime, &scenario_a()) {
            Err(RunError::Trap(message)) => assert!(message.contains("unreachable"), "{message}"),
            other => panic!("expected a trap, got {other:?}"),
        }
    }
}

fn load_error(component: &[u8]) -> String {
    let settings = Settings { compiled_cache: None, ..Settings::default() };
    match Runtime::from_bytes(component, &settings) {
        Ok(_) => panic!("the component loaded"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn a_component_that_asks_for_files_sockets_or_http_is_refused_at_load_naming_the_import() {
    for import in ["wasi:filesystem/preopens@0.2.6", "wasi:sockets/tcp@0.2.6", "wasi:http/outgoing-handler@0.2.6"] {
        let text = format!(r#"(component (import "{import}" (instance)))"#);
        let error = load_error(&wat::parse_str(text).unwrap());
        assert!(
            error.starts_with(&format!("the component imports {import}, which the sandbox does not grant")),
            "{error}"
        );
    }
}

#[test]
fn a_component_of_another_world_is_refused_at_load() {
    let error = load_error(&wat::parse_str("(component)").unwrap());
    assert!(error.starts_with("the component does not export the connection-details world"), "{error}");
}
