//! The wasmtime side: one engine and one pre-instantiated component, and a
//! fresh, sandboxed, limited store for every call.
//!
//! The component is compiled once, when a [`Runtime`] is made; each call
//! then only instantiates it, so calls are independent (nothing leaks from
//! one request to the next) and cheap.

use std::fmt;
use std::path::Path;
use std::sync::OnceLock;

use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, OptLevel, ResourceLimiter, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

mod bindings {
    wasmtime::component::bindgen!({ world: "connection-details", path: "../wit" });
}

pub use bindings::exports::crossplane::connection_details::function_runner::{Error as ComponentError, ErrorKind};
pub use bindings::exports::crossplane::connection_details::renderer::{
    File, InputError, OutputFormat, RenderRequest, Rendered,
};
use bindings::{ConnectionDetails, ConnectionDetailsPre};

/// The component built from this workspace when the host was built.
pub static EMBEDDED_COMPONENT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/connection_details.wasm"));

/// What one call may use. Exceeding either ends that call with an error; the
/// runtime stays usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Linear memory, in bytes.
    pub memory_bytes: usize,
    /// Wasmtime fuel: roughly one unit per WebAssembly instruction.
    pub fuel: u64,
}

impl Limits {
    pub const DEFAULT_MEMORY_MIB: usize = 64;
    /// Scenario A takes under a million units and an input of 10,000 keys
    /// about 400 million (measured when this was set); the default admits
    /// inputs several times larger still, while a runaway call ends within
    /// a few seconds.
    pub const DEFAULT_FUEL: u64 = 2_000_000_000;
}

impl Default for Limits {
    fn default() -> Self {
        Self { memory_bytes: Self::DEFAULT_MEMORY_MIB * 1024 * 1024, fuel: Self::DEFAULT_FUEL }
    }
}

/// Why a call returned no response.
#[derive(Debug)]
pub enum RunError {
    /// The component rejected the request bytes.
    Rejected(ComponentError),
    /// The call used up its fuel.
    CpuLimit,
    /// The call tried to grow memory past its limit.
    MemoryLimit,
    /// Any other trap (a panic in the component aborts with one).
    Trap(String),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rejected(error) => write!(f, "{}", error.message),
            Self::CpuLimit => f.write_str("the function exceeded its CPU limit (fuel) and was stopped"),
            Self::MemoryLimit => f.write_str("the function exceeded its memory limit and was stopped"),
            Self::Trap(trap) => write!(f, "the function trapped: {trap}"),
        }
    }
}

impl std::error::Error for RunError {}

/// Why a component could not be loaded.
#[derive(Debug)]
pub struct LoadError(String);

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LoadError {}

pub struct Runtime {
    compiled: Compiled,
    limits: Limits,
}

/// A compiled, linked component, ready to instantiate. Cheap to clone.
#[derive(Clone)]
struct Compiled {
    engine: Engine,
    pre: ConnectionDetailsPre<CallState>,
}

impl Compiled {
    fn new(component: &[u8]) -> Result<Self, LoadError> {
        let engine = Engine::new(&engine_config()).map_err(|e| LoadError(format!("cannot configure wasmtime: {e}")))?;
        let component = Component::new(&engine, component)
            .map_err(|e| LoadError(format!("not a WebAssembly component wasmtime can compile: {e}")))?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(|e| LoadError(format!("cannot link WASI: {e}")))?;
        let instance_pre = linker
            .instantiate_pre(&component)
            .map_err(|e| LoadError(format!("the component needs imports this host does not provide: {e}")))?;
        let pre = ConnectionDetailsPre::new(instance_pre)
            .map_err(|e| LoadError(format!("the component does not export the connection-details world: {e}")))?;
        Ok(Self { engine, pre })
    }
}

/// Everything one call's store owns.
struct CallState {
    wasi: WasiCtx,
    table: ResourceTable,
    limiter: MemoryLimiter,
}

/// Traps a call, with an error the host can recognise, when it asks for more
/// linear memory than its limit. (Merely refusing the growth would make
/// Rust's allocator abort with a trap that names no cause.)
struct MemoryLimiter {
    max_bytes: usize,
}

#[derive(Debug)]
struct MemoryLimitExceeded {
    requested_bytes: usize,
}

impl fmt::Display for MemoryLimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "memory growth to {} bytes refused", self.requested_bytes)
    }
}

impl std::error::Error for MemoryLimitExceeded {}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.max_bytes {
            return Err(wasmtime::Error::new(MemoryLimitExceeded { requested_bytes: desired }));
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }

    fn instances(&self) -> usize {
        MAX_INSTANCES
    }
}

/// A component instantiates a handful of core modules (its code and the
/// WASI adapter's); more would mean something is wrong.
const MAX_INSTANCES: usize = 64;
/// Function tables of Rust code hold thousands of entries, not millions.
const MAX_TABLE_ELEMENTS: usize = 1 << 20;

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl Runtime {
    /// The component embedded at build time. It is compiled once per
    /// process: limits belong to each call's store, so every runtime can
    /// share one engine and one pre-instantiated component.
    pub fn embedded(limits: Limits) -> Result<Self, LoadError> {
        static COMPILED: OnceLock<Result<Compiled, String>> = OnceLock::new();
        let compiled = COMPILED.get_or_init(|| Compiled::new(EMBEDDED_COMPONENT).map_err(|e| e.0));
        match compiled {
            Ok(compiled) => Ok(Self { compiled: compiled.clone(), limits }),
            Err(message) => Err(LoadError(message.clone())),
        }
    }

    /// Another build of the component, from a file.
    pub fn from_file(path: &Path, limits: Limits) -> Result<Self, LoadError> {
        let bytes = std::fs::read(path).map_err(|e| LoadError(format!("{}: {e}", path.display())))?;
        Self::from_bytes(&bytes, limits).map_err(|e| LoadError(format!("{}: {e}", path.display())))
    }

    pub fn from_bytes(component: &[u8], limits: Limits) -> Result<Self, LoadError> {
        Ok(Self { compiled: Compiled::new(component)?, limits })
    }

    /// Runs `run-function` on encoded RunFunctionRequest bytes in a fresh
    /// store, returning the encoded RunFunctionResponse.
    pub fn run_function(&self, request: &[u8]) -> Result<Vec<u8>, RunError> {
        self.call(|instance, store| {
            instance.crossplane_connection_details_function_runner().call_run_function(store, request)
        })?
        .map_err(RunError::Rejected)
    }

    /// Runs `render` in a fresh store. The inner `Err` is the component's
    /// word that the inputs were unusable.
    pub fn render(
        &self,
        request: &RenderRequest,
        format: OutputFormat,
    ) -> Result<Result<Rendered, InputError>, RunError> {
        self.call(|instance, store| {
            instance.crossplane_connection_details_renderer().call_render(store, request, format)
        })
    }

    /// Instantiates the component in a fresh, limited store and makes one
    /// call; traps and exhausted limits become [`RunError`]s.
    fn call<R>(
        &self,
        export: impl FnOnce(&ConnectionDetails, &mut Store<CallState>) -> wasmtime::Result<R>,
    ) -> Result<R, RunError> {
        let mut store = self.new_store();
        let instance = self.compiled.pre.instantiate(&mut store).map_err(|error| classify_trap(&error))?;
        export(&instance, &mut store).map_err(|error| classify_trap(&error))
    }

    fn new_store(&self) -> Store<CallState> {
        let state = CallState {
            wasi: sandbox(),
            table: ResourceTable::new(),
            limiter: MemoryLimiter { max_bytes: self.limits.memory_bytes },
        };
        let mut store = Store::new(&self.compiled.engine, state);
        store.limiter(|state| &mut state.limiter);
        // Fuel is enabled in `engine_config`, so setting it cannot fail.
        let _ = store.set_fuel(self.limits.fuel);
        store
    }
}

/// The engine settings, each for a reason:
fn engine_config() -> Config {
    let mut config = Config::new();
    // The function is a component (WIT world), not a core module.
    config.wasm_component_model(true);
    // Deterministic CPU limit: a call stops after `Limits::fuel` units
    // whatever the machine's speed, and a test can exceed it reliably.
    config.consume_fuel(true);
    // Compiled once per process, run many times.
    config.cranelift_opt_level(OptLevel::Speed);
    // Deep recursion in the guest traps instead of growing the host stack.
    config.max_wasm_stack(1024 * 1024);
    config
}

/// A WASI context that grants nothing: no arguments, environment, files,
/// stdin, or network; stdout and stderr are discarded. Clocks and random
/// numbers remain, because Rust's std uses them.
fn sandbox() -> WasiCtx {
    WasiCtxBuilder::new().allow_tcp(false).allow_udp(false).allow_ip_name_lookup(false).build()
}

fn classify_trap(error: &wasmtime::Error) -> RunError {
    if error.downcast_ref::<MemoryLimitExceeded>().is_some() {
        return RunError::MemoryLimit;
    }
    match error.downcast_ref::<wasmtime::Trap>() {
        Some(wasmtime::Trap::OutOfFuel) => RunError::CpuLimit,
        _ => RunError::Trap(root_cause(error)),
    }
}

fn root_cause(error: &wasmtime::Error) -> String {
    error.chain().last().map(ToString::to_string).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sandbox grants nothing, but the surest sandbox is a component
    /// that asks for nothing: std's stdio, environment and exit, and the
    /// seed std's HashMap draws. A new dependency that wants files, sockets
    /// or clocks fails here first.
    #[test]
    fn the_component_imports_only_what_std_needs() {
        let engine = Engine::new(&engine_config()).unwrap();
        let component = Component::new(&engine, EMBEDDED_COMPONENT).unwrap();
        let imports: Vec<String> =
            component.component_type().imports(&engine).map(|(name, _)| name.to_owned()).collect();
        assert!(!imports.is_empty());
        let allowed = |name: &str| {
            name.starts_with("wasi:io/")
                || name.starts_with("wasi:cli/")
                || name.starts_with("wasi:random/insecure-seed@")
        };
        let unexpected: Vec<&String> = imports.iter().filter(|name| !allowed(name)).collect();
        assert!(unexpected.is_empty(), "the component imports more than it should: {unexpected:?}");
    }
}
