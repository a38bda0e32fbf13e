//! The function-wasm guest (`wasmfn/`) against the component: the host side
//! of function-wasm's guest ABI v1 as its `docs/abi.md` describes it, and
//! the checks its loader makes, applied to the guest built for
//! `wasm32-wasip1`; then every protocol request the suite keeps (the
//! examples and the fuzzers' corpus) through both, byte for byte.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use function_connection_details::protocol;
use function_connection_details::runtime::{self, Runtime, Settings};
use wasmtime::{Engine, ExternType, FuncType, Linker, Module, Store, ValType};
use wasmtime_wasi::WasiCtxBuilder;
use wasmtime_wasi::p1::{self, WasiP1Ctx};

const GUEST_TARGET: &str = "wasm32-wasip1";
/// The playground's small profile (Cargo.toml), which the guest shares.
const GUEST_PROFILE: &str = "component";
const GUEST_FILE: &str = "connection_details_wasmfn.wasm";
/// The guest's size budget. It met issue 8's 1 MiB (973,542 bytes) until
/// the secret-name patches gained function-patch-and-transform's transforms
/// (regex-lite, SHA-1/2) and templates their bounds and named errors: 1,173,223
/// bytes on 2026-12-03. Raised to 1.25 MiB so that growth past that is seen;
/// BENCHMARKS.md and the README say what would win the rest back.
const SIZE_BUDGET: usize = 1280 * 1024;
/// What the loader lets a guest import besides WASI preview 1.
const WASMFN_IMPORTS: [(&str, &[ValType], &[ValType]); 2] = [
    ("log", &[ValType::I32, ValType::I32, ValType::I32], &[]),
    ("http", &[ValType::I32, ValType::I32], &[ValType::I64]),
];

fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("host/ is inside the workspace")
}

/// The guest, built once per test run the way the README says, into a
/// target directory of its own.
fn guest() -> &'static Path {
    static GUEST: OnceLock<PathBuf> = OnceLock::new();
    GUEST.get_or_init(|| {
        let target_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("wasmfn-build");
        let mut cargo = Command::new(env!("CARGO"));
        for variable in ["CARGO_TARGET_DIR", "CARGO_BUILD_TARGET", "CARGO_ENCODED_RUSTFLAGS", "RUSTFLAGS"] {
            cargo.env_remove(variable);
        }
        let status = cargo
            .current_dir(workspace())
            .args(["build", "--locked", "--package", "connection-details-wasmfn"])
            .args(["--target", GUEST_TARGET, "--profile", GUEST_PROFILE, "--target-dir"])
            .arg(&target_dir)
            .status()
            .expect("cargo runs");
        assert!(
            status.success(),
            "building the guest failed; is the target installed? `rustup target add {GUEST_TARGET}`"
        );
        target_dir.join(GUEST_TARGET).join(GUEST_PROFILE).join(GUEST_FILE)
    })
}

fn signature(ty: &FuncType) -> (Vec<String>, Vec<String>) {
    (ty.params().map(|p| p.to_string()).collect(), ty.results().map(|r| r.to_string()).collect())
}

fn same_signature(ty: &FuncType, params: &[ValType], results: &[ValType]) -> bool {
    signature(ty)
        == (params.iter().map(ToString::to_string).collect(), results.iter().map(ToString::to_string).collect())
}

/// The loader's checks: the three exports with their exact types, an
/// `_initialize` without parameters or results if there is one, and no
/// import from anywhere but WASI preview 1 and the two `wasmfn` functions.
fn abi_problems(module: &Module) -> Vec<String> {
    let mut problems = Vec::new();
    if !matches!(module.get_export("memory"), Some(ExternType::Memory(_))) {
        problems.push("module does not export a memory named \"memory\"".to_owned());
    }
    let required: [(&str, &[ValType], &[ValType]); 3] = [
        ("wasmfn_alloc", &[ValType::I32], &[ValType::I32]),
        ("wasmfn_run", &[ValType::I32, ValType::I32], &[ValType::I64]),
        ("_initialize", &[], &[]),
    ];
    for (name, params, results) in required {
        match module.get_export(name) {
            None if name == "_initialize" => {}
            None => problems.push(format!("module does not export {name:?}")),
            Some(ExternType::Func(ty)) if same_signature(&ty, params, results) => {}
            Some(ExternType::Func(ty)) => problems.push(format!("export {name:?} has signature {:?}", signature(&ty))),
            Some(_) => problems.push(format!("export {name:?} is not a function")),
        }
    }
    for import in module.imports() {
        let allowed = match (import.module(), import.ty()) {
            ("wasi_snapshot_preview1", _) => true,
            ("wasmfn", ExternType::Func(ty)) => WASMFN_IMPORTS
                .iter()
                .any(|(name, params, results)| *name == import.name() && same_signature(&ty, params, results)),
            _ => false,
        };
        if !allowed {
            problems.push(format!(
                "module imports {}.{}, which the host does not provide",
                import.module(),
                import.name()
            ));
        }
    }
    problems
}

/// One request as function-wasm runs it: a fresh store and instance,
/// `_initialize` if exported, `wasmfn_alloc`, the copy, `wasmfn_run`, and
/// the response read from the packed address and length.
fn run_guest(engine: &Engine, linker: &Linker<WasiP1Ctx>, module: &Module, request: &[u8]) -> Vec<u8> {
    let wasi = WasiCtxBuilder::new().args(&["function"]).build_p1();
    let mut store = Store::new(engine, wasi);
    let instance = linker.instantiate(&mut store, module).expect("the guest instantiates");
    if let Ok(initialize) = instance.get_typed_func::<(), ()>(&mut store, "_initialize") {
        initialize.call(&mut store, ()).expect("_initialize runs");
    }
    let alloc = instance.get_typed_func::<i32, i32>(&mut store, "wasmfn_alloc").unwrap();
    let run = instance.get_typed_func::<(i32, i32), i64>(&mut store, "wasmfn_run").unwrap();
    let memory = instance.get_memory(&mut store, "memory").unwrap();
    let length = i32::try_from(request.len()).unwrap();
    let pointer = alloc.call(&mut store, length).expect("wasmfn_alloc runs");
    memory.write(&mut store, pointer as u32 as usize, request).expect("the request buffer lies inside memory");
    let packed = run.call(&mut store, (pointer, length)).expect("wasmfn_run runs") as u64;
    let (address, length) = ((packed >> 32) as usize, (packed & 0xFFFF_FFFF) as usize);
    let mut response = vec![0; length];
    memory.read(&store, address, &mut response).expect("the response buffer lies inside memory");
    response
}

fn loaded_guest() -> (Engine, Linker<WasiP1Ctx>, Module) {
    let engine = Engine::default();
    let module = Module::from_file(&engine, guest()).expect("the guest compiles");
    let mut linker = Linker::new(&engine);
    p1::add_to_linker_sync(&mut linker, |wasi| wasi).unwrap();
    (engine, linker, module)
}

/// The protocol requests the suite keeps: the examples' raw requests and
/// the run_function fuzzer's corpus and regressions.
fn kept_requests() -> Vec<(PathBuf, Vec<u8>)> {
    let mut requests = Vec::new();
    for entry in std::fs::read_dir(workspace().join("examples/requests")).unwrap() {
        let path = entry.unwrap().path();
        let json = std::fs::read_to_string(&path).unwrap();
        requests.push((path, protocol::request_from_json(&json).unwrap()));
    }
    for folder in ["fuzz/corpus/run_function", "fuzz/regressions/run_function"] {
        for entry in std::fs::read_dir(workspace().join(folder)).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            requests.push((path, bytes));
        }
    }
    requests
}

#[test]
fn the_guest_passes_the_loader_s_checks() {
    let (_, _, module) = loaded_guest();
    assert_eq!(abi_problems(&module), Vec::<String>::new());
    let size = std::fs::metadata(guest()).unwrap().len() as usize;
    assert!(size < SIZE_BUDGET, "the guest is {size} bytes, over the budget of {SIZE_BUDGET}");
}

#[test]
fn the_checks_refuse_what_the_loader_refuses() {
    let engine = Engine::default();
    let module = |text: &str| Module::new(&engine, wat::parse_str(text).unwrap()).unwrap();
    let wrong = module(
        r#"(module
            (import "env" "abort" (func))
            (import "wasmfn" "log" (func (param i32)))
            (memory (export "memory") 1)
            (func (export "wasmfn_alloc") (param i64) (result i32) i32.const 0)
            (func (export "_initialize") (param i32)))"#,
    );
    assert_eq!(
        abi_problems(&wrong),
        [
            "export \"wasmfn_alloc\" has signature ([\"i64\"], [\"i32\"])",
            "module does not export \"wasmfn_run\"",
            "export \"_initialize\" has signature ([\"i32\"], [])",
            "module imports env.abort, which the host does not provide",
            "module imports wasmfn.log, which the host does not provide",
        ]
    );
}

#[test]
fn the_guest_answers_every_kept_request_as_the_component_does() {
    let (engine, linker, module) = loaded_guest();
    let component = Runtime::embedded(&Settings::default()).expect("the embedded component loads");
    let requests = kept_requests();
    assert!(requests.len() > 100, "only {} kept requests", requests.len());
    let mut compared = 0;
    for (path, request) in &requests {
        let from_guest = run_guest(&engine, &linker, &module, request);
        match runtime::block_on(component.run_function(request)) {
            Ok(from_component) => {
                assert!(from_guest == from_component, "{}: the responses differ", path.display());
                compared += 1;
            }
            Err(_) => {
                // The component's export refuses bytes that are no request;
                // the ABI has only responses, so the guest answers FATAL.
                let response = protocol::response_to_json(&from_guest).unwrap();
                assert!(response.contains("SEVERITY_FATAL"), "{}: {response}", path.display());
                assert!(response.contains("is not a protobuf RunFunctionRequest"), "{}", path.display());
                assert!(!path.starts_with(workspace().join("examples")), "{}: an example is malformed", path.display());
            }
        }
    }
    // Most of the fuzzers' corpus is not a request at all; what is must
    // still be a good share.
    assert!(compared >= 200, "only {compared} of {} requests decoded", requests.len());
}

#[test]
fn the_guest_reads_its_input_from_function_wasm_s_config() {
    let (engine, linker, module) = loaded_guest();
    let component = Runtime::embedded(&Settings::default()).expect("the embedded component loads");
    let path = workspace().join("examples/requests/scenario-a.json");
    let direct: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut wrapped = direct.clone();
    wrapped["input"] = serde_json::json!({
        "apiVersion": "wasm.fn.crossplane.io/v1beta1", "kind": "Input",
        "module": {"type": "OCI", "oci": {"ref": "registry.example.com/fcd@sha256:0000"}},
        "config": direct["input"],
    });
    let direct = protocol::request_from_json(&direct.to_string()).unwrap();
    let wrapped = protocol::request_from_json(&wrapped.to_string()).unwrap();
    let expected = runtime::block_on(component.run_function(&direct)).unwrap();
    assert!(run_guest(&engine, &linker, &module, &wrapped) == expected, "the unwrapped input answers differently");
}
