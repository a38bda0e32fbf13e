//! What a call's store holds: a WASI context that grants nothing, and the
//! call's limits.

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use super::limits::{CpuBudget, Limits, MemoryLimiter};

/// Everything one call's store owns.
pub(super) struct CallState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(super) memory: MemoryLimiter,
    pub(super) cpu: CpuBudget,
}

impl CallState {
    pub(super) fn new(limits: &Limits) -> Self {
        Self {
            wasi: sandbox(),
            table: ResourceTable::new(),
            memory: MemoryLimiter { max_bytes: limits.memory_bytes },
            cpu: CpuBudget::new(limits),
        }
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

/// A WASI context that grants nothing: no arguments, environment, files,
/// stdin, or network; stdout and stderr are discarded. Clocks and random
/// numbers remain, because Rust's std uses them.
fn sandbox() -> WasiCtx {
    WasiCtxBuilder::new().allow_tcp(false).allow_udp(false).allow_ip_name_lookup(false).build()
}
