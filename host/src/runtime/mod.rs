//! The wasmtime side: one engine and one pre-instantiated component, and a
//! fresh, sandboxed, limited store for every call.
//!
//! The component is compiled once per machine: compiled code is kept in a
//! cache ([`cache`]) and mapped by later processes. A build without the
//! `compiler` feature (the container image's) compiles nothing: it runs
//! machine code made when it was built ([`precompiled`]). Each call then only
//! instantiates it from a pool ([`engine`]), so calls are independent
//! (nothing leaks from one request to the next) and cheap. Calls are async:
//! a long call yields at every CPU tick ([`limits`]) instead of holding a
//! server thread, and callers without an executor use [`block_on`].

#[cfg(feature = "compiler")]
pub mod cache;
mod engine;
mod error;
mod limits;
pub mod precompiled;
mod sandbox;

use std::future::Future;
use std::path::{Path, PathBuf};

use tokio::sync::Semaphore;
use wasmtime::component::{Component, Linker};
use wasmtime::{Engine, Store};

pub use error::{CPU_LIMIT_MESSAGE, LoadError, MEMORY_LIMIT_MESSAGE, RunError};
pub use limits::{Limits, TICK};
use sandbox::CallState;

mod bindings {
    wasmtime::component::bindgen!({
        world: "connection-details",
        path: "../wit",
        exports: { default: async },
    });
}

pub use bindings::exports::crossplane::connection_details::function_runner::{Error as ComponentError, ErrorKind};
pub use bindings::exports::crossplane::connection_details::renderer::{
    ContextEntry, ConvertRequest, Converted, File, InputError, OutputFormat, RenderOptions, RenderRequest, Rendered,
};
use bindings::{ConnectionDetails, ConnectionDetailsPre};

/// The component built from this workspace when the host was built.
#[cfg(feature = "compiler")]
pub static EMBEDDED_COMPONENT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/connection_details.wasm"));
/// Its SHA-256 digest, computed by the build script so that starting up
/// does not hash two megabytes.
#[cfg(feature = "compiler")]
static EMBEDDED_DIGEST: &[u8; 32] = include_bytes!(concat!(env!("OUT_DIR"), "/connection_details.wasm.sha256"));

/// How a runtime is made: what each call may use, how many calls may run
/// at once, and where compiled code is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub limits: Limits,
    /// Calls that may run at once; the instance pool holds this many, and
    /// further calls wait their turn.
    pub concurrent_calls: usize,
    /// The folder for compiled code; `None` compiles at every start.
    pub compiled_cache: Option<PathBuf>,
}

impl Default for Settings {
    /// Default limits, one call at a time, and the conventional cache folder.
    fn default() -> Self {
        Self { limits: Limits::default(), concurrent_calls: 1, compiled_cache: default_cache_dir() }
    }
}

/// The folder for compiled code the conventions name ([`cache`]); a build
/// without a compiler has nothing to keep there.
pub fn default_cache_dir() -> Option<PathBuf> {
    #[cfg(feature = "compiler")]
    let dir = cache::default_dir();
    #[cfg(not(feature = "compiler"))]
    let dir = None;
    dir
}

pub struct Runtime {
    engine: Engine,
    pre: ConnectionDetailsPre<CallState>,
    limits: Limits,
    /// One permit per instance the pool holds: a call beyond them waits.
    calls: Semaphore,
}

impl Runtime {
    /// The component embedded at build time, compiled now or taken from
    /// the cache.
    #[cfg(feature = "compiler")]
    pub fn embedded(settings: &Settings) -> Result<Self, LoadError> {
        Self::load(EMBEDDED_COMPONENT, EMBEDDED_DIGEST, settings)
    }

    /// The component's machine code embedded at build time.
    #[cfg(not(feature = "compiler"))]
    pub fn embedded(settings: &Settings) -> Result<Self, LoadError> {
        let engine = engine::engine(settings)?;
        let component = precompiled::load(&engine)?;
        Self::ready(engine, &component, settings)
    }

    /// Another build of the component, from a file.
    pub fn from_file(path: &Path, settings: &Settings) -> Result<Self, LoadError> {
        let in_file = |error| LoadError::File { path: path.to_path_buf(), error: Box::new(error) };
        let bytes = std::fs::read(path).map_err(|error| in_file(LoadError::Read(error)))?;
        Self::from_bytes(&bytes, settings).map_err(in_file)
    }

    #[cfg(feature = "compiler")]
    pub fn from_bytes(component: &[u8], settings: &Settings) -> Result<Self, LoadError> {
        Self::load(component, &cache::digest(component), settings)
    }

    /// Another build of the component needs compiling, which this build
    /// cannot do.
    #[cfg(not(feature = "compiler"))]
    pub fn from_bytes(_component: &[u8], _settings: &Settings) -> Result<Self, LoadError> {
        Err(LoadError::NoCompiler)
    }

    #[cfg(feature = "compiler")]
    fn load(component: &[u8], digest: &[u8; 32], settings: &Settings) -> Result<Self, LoadError> {
        let engine = engine::engine(settings)?;
        let component = compile_or_reuse(&engine, component, digest, settings.compiled_cache.as_deref())?;
        Self::ready(engine, &component, settings)
    }

    /// Checks what the component imports, links WASI and pre-instantiates it.
    fn ready(engine: Engine, component: &Component, settings: &Settings) -> Result<Self, LoadError> {
        refuse_unsandboxed_imports(&engine, component)?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(LoadError::Link)?;
        let instance_pre = linker.instantiate_pre(component).map_err(LoadError::Imports)?;
        let pre = ConnectionDetailsPre::new(instance_pre).map_err(LoadError::World)?;
        Ok(Self { engine, pre, limits: settings.limits, calls: Semaphore::new(settings.concurrent_calls.max(1)) })
    }

    /// Runs `run-function` on encoded RunFunctionRequest bytes in a fresh
    /// store, returning the encoded RunFunctionResponse.
    pub async fn run_function(&self, request: &[u8]) -> Result<Vec<u8>, RunError> {
        let _turn = self.calls.acquire().await;
        let mut store = self.new_store();
        let instance = self.instantiate(&mut store).await?;
        let runner = instance.crossplane_connection_details_function_runner();
        runner
            .call_run_function(&mut store, request)
            .await
            .map_err(|error| RunError::from_trap(&error))?
            .map_err(RunError::Rejected)
    }

    /// Runs `render` in a fresh store. The inner `Err` is the component's
    /// word that the inputs were unusable.
    pub async fn render(
        &self,
        request: &RenderRequest,
        format: OutputFormat,
    ) -> Result<Result<Rendered, InputError>, RunError> {
        let _turn = self.calls.acquire().await;
        let mut store = self.new_store();
        let instance = self.instantiate(&mut store).await?;
        let renderer = instance.crossplane_connection_details_renderer();
        renderer.call_render(&mut store, request, format).await.map_err(|error| RunError::from_trap(&error))
    }

    /// Runs `function-request` in a fresh store: the encoded
    /// RunFunctionRequest render sends for these inputs.
    pub async fn function_request(&self, request: &RenderRequest) -> Result<Result<Vec<u8>, InputError>, RunError> {
        let _turn = self.calls.acquire().await;
        let mut store = self.new_store();
        let instance = self.instantiate(&mut store).await?;
        let renderer = instance.crossplane_connection_details_renderer();
        renderer.call_function_request(&mut store, request).await.map_err(|error| RunError::from_trap(&error))
    }

    /// Runs `convert` in a fresh store. The inner `Err` is the component's
    /// word that the files were unusable.
    pub async fn convert(&self, request: &ConvertRequest) -> Result<Result<Converted, InputError>, RunError> {
        let _turn = self.calls.acquire().await;
        let mut store = self.new_store();
        let instance = self.instantiate(&mut store).await?;
        let renderer = instance.crossplane_connection_details_renderer();
        renderer.call_convert(&mut store, request).await.map_err(|error| RunError::from_trap(&error))
    }

    async fn instantiate(&self, store: &mut Store<CallState>) -> Result<ConnectionDetails, RunError> {
        self.pre.instantiate_async(store).await.map_err(|error| RunError::from_trap(&error))
    }

    fn new_store(&self) -> Store<CallState> {
        let mut store = Store::new(&self.engine, CallState::new(&self.limits));
        store.limiter(|state| &mut state.memory);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|mut store| store.data_mut().cpu.spend_tick());
        store
    }
}

/// WASI interfaces a component may import: what Rust's std needs for
/// stdio, environment and exit (all answered with nothing), and HashMap
/// seeds. The host could link all of WASI and deny it at run time; a
/// component that asks for files, sockets, clocks or HTTP is refused at load
/// instead, naming the import, so a build that grew such a need is caught
/// before it serves.
const ALLOWED_IMPORTS: [&str; 3] = ["wasi:io/", "wasi:cli/", "wasi:random/insecure-seed@"];

fn refuse_unsandboxed_imports(engine: &Engine, component: &Component) -> Result<(), LoadError> {
    let forbidden: Vec<String> = component
        .component_type()
        .imports(engine)
        .map(|(name, _)| name)
        .filter(|name| !ALLOWED_IMPORTS.iter().any(|allowed| name.starts_with(allowed)))
        .map(str::to_owned)
        .collect();
    if forbidden.is_empty() { Ok(()) } else { Err(LoadError::ForbiddenImports(forbidden)) }
}

/// The compiled component from the cache, else compiled now and cached.
#[cfg(feature = "compiler")]
fn compile_or_reuse(
    engine: &Engine,
    component: &[u8],
    digest: &[u8; 32],
    cache_dir: Option<&Path>,
) -> Result<Component, LoadError> {
    let entry = cache_dir.map(|dir| cache::Entry::new(dir, engine, digest));
    if let Some(cached) = entry.as_ref().and_then(|entry| entry.load(engine)) {
        return Ok(cached);
    }
    let compiled = Component::new(engine, component).map_err(LoadError::Compile)?;
    if let Some(entry) = &entry {
        entry.store(&compiled);
    }
    Ok(compiled)
}

/// Runs a call to completion on the current thread, for callers without an
/// async executor (the CLI, tests). Must not be called from within one.
pub fn block_on<F: Future>(call: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread executor needs no resources that can fail")
        .block_on(call)
}

#[cfg(all(test, feature = "compiler"))]
mod tests {
    use super::*;

    /// The sandbox grants nothing, but the surest sandbox is a component
    /// that asks for nothing: std's stdio, environment and exit, and the
    /// seed std's HashMap draws. A new dependency that wants files, sockets
    /// or clocks fails here first.
    #[test]
    fn the_component_imports_only_what_std_needs() {
        let engine = Engine::default();
        let component = Component::new(&engine, EMBEDDED_COMPONENT).unwrap();
        assert!(component.component_type().imports(&engine).next().is_some());
        refuse_unsandboxed_imports(&engine, &component).expect("the embedded component asks for nothing more");
    }

    #[test]
    fn the_embedded_digest_is_the_embedded_component_s() {
        assert_eq!(EMBEDDED_DIGEST, &cache::digest(EMBEDDED_COMPONENT));
    }
}
