//! Why a component did not load, and why a call returned no response.

use std::fmt;
use std::path::PathBuf;

use super::ComponentError;
use super::limits::{CpuLimitExceeded, MemoryLimitExceeded};

/// Why a component could not be loaded. Each variant keeps wasmtime's (or
/// the file system's) error as its source.
#[derive(Debug)]
pub enum LoadError {
    /// The engine could not be made with this configuration.
    Configure(wasmtime::Error),
    /// The thread that drives the CPU limit could not start.
    Ticker(std::io::Error),
    /// The component file could not be read.
    Read(std::io::Error),
    /// The component of this file did not load.
    File { path: PathBuf, error: Box<LoadError> },
    /// The bytes are not a component wasmtime can compile.
    Compile(wasmtime::Error),
    /// This build has no compiler, and a component other than its own needs one.
    NoCompiler,
    /// The machine code embedded at build time does not load here.
    Precompiled(wasmtime::Error),
    /// WASI could not be added to the linker.
    Link(wasmtime::Error),
    /// The component imports something the host does not provide.
    Imports(wasmtime::Error),
    /// The component imports WASI interfaces beyond what the sandbox allows.
    ForbiddenImports(Vec<String>),
    /// The component does not export the connection-details world.
    World(wasmtime::Error),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Configure(error) => write!(f, "cannot configure wasmtime: {error}"),
            Self::Ticker(error) => write!(f, "cannot start the CPU-limit ticker thread: {error}"),
            Self::Read(error) => write!(f, "cannot read: {error}"),
            Self::File { path, error } => write!(f, "{}: {error}", path.display()),
            Self::Compile(error) => write!(f, "not a WebAssembly component wasmtime can compile: {error:#}"),
            Self::NoCompiler => f.write_str(
                "this build has no compiler and runs only the component compiled into it (the container \
                 image's build); run another component with a build that has the default features",
            ),
            Self::Precompiled(error) => write!(
                f,
                "the machine code built into this binary does not load here ({error:#}); build the binary \
                 again with package/build, which compiles it for the binary's architecture"
            ),
            Self::Link(error) => write!(f, "cannot link WASI: {error}"),
            Self::Imports(error) => write!(f, "the component needs imports this host does not provide: {error:#}"),
            Self::ForbiddenImports(names) => write!(
                f,
                "the component imports {}, which the sandbox does not grant (only wasi:io, wasi:cli and \
                 wasi:random/insecure-seed are allowed)",
                names.join(", ")
            ),
            Self::World(error) => write!(f, "the component does not export the connection-details world: {error:#}"),
        }
    }
}

impl std::error::Error for LoadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Ticker(source) | Self::Read(source) => Some(source),
            Self::File { error, .. } => Some(error.as_ref()),
            Self::ForbiddenImports(_) | Self::NoCompiler => None,
            Self::Configure(error)
            | Self::Compile(error)
            | Self::Precompiled(error)
            | Self::Link(error)
            | Self::Imports(error)
            | Self::World(error) => Some(error.as_ref()),
        }
    }
}

/// Why a call returned no response.
#[derive(Debug)]
pub enum RunError {
    /// The component rejected the request bytes.
    Rejected(ComponentError),
    /// The call used up its CPU time.
    CpuLimit,
    /// The call tried to grow memory past its limit.
    MemoryLimit,
    /// Any other trap (a panic in the component aborts with one).
    Trap(String),
}

impl RunError {
    pub(super) fn from_trap(error: &wasmtime::Error) -> Self {
        if error.downcast_ref::<MemoryLimitExceeded>().is_some() {
            return Self::MemoryLimit;
        }
        if error.downcast_ref::<CpuLimitExceeded>().is_some() {
            return Self::CpuLimit;
        }
        Self::Trap(error.chain().last().map(ToString::to_string).unwrap_or_default())
    }
}

/// Each names the flag that sets the limit, for whoever runs the host.
pub const CPU_LIMIT_MESSAGE: &str = "the function exceeded its CPU time limit and was stopped (see --cpu-limit-ms)";
pub const MEMORY_LIMIT_MESSAGE: &str =
    "the function exceeded its memory limit and was stopped (see --memory-limit-mib)";

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rejected(error) => write!(f, "{}", error.message),
            Self::CpuLimit => f.write_str(CPU_LIMIT_MESSAGE),
            Self::MemoryLimit => f.write_str(MEMORY_LIMIT_MESSAGE),
            Self::Trap(trap) => write!(f, "the function trapped: {trap}"),
        }
    }
}

impl std::error::Error for RunError {}
