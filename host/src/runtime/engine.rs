//! The wasmtime engine: its configuration, each setting for a reason, and
//! the ticker that drives the CPU limit.
//!
//! Per call, the costs that remain after compiling once are instantiation
//! and the call itself. Three settings bring instantiation down to a few
//! microseconds:
//!
//! - **Pooling allocator.** Memories, tables, instances and async stacks
//!   come from slots reserved when the engine is made, sized to the calls
//!   that may run at once, instead of an mmap and munmap per call. A full
//!   pool fails instantiation, so callers bound concurrency to
//!   [`Settings::concurrent_calls`] (the server's semaphore does).
//! - **Copy-on-write memory images.** The component's initial memory is
//!   mapped from an image, not copied in.
//! - **Keeping slots resident.** Up to [`MEMORY_KEEP_RESIDENT`] of a memory slot
//!   is reset with a memset instead of being returned to the kernel, and
//!   `pagemap_scan` (Linux 6.7+) resets only the pages a call dirtied.

use std::thread;

#[cfg(feature = "compiler")]
use wasmtime::OptLevel;
use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use super::limits::{Limits, MAX_INSTANCES, MAX_TABLE_ELEMENTS, TICK};
use super::{LoadError, Settings};

/// Per memory slot, the bytes reset in place rather than decommitted. With
/// `pagemap_scan` only the pages a call wrote are reset, so this costs a
/// small call nothing; a large one (1,000 resources dirty about 8 MiB)
/// then finds its pages still mapped next time instead of faulting each
/// one in again, which took a fifth of such a call (10.9 → 8.4 ms through
/// `serve`; 2 MiB before). The price is memory: a slot keeps up to this
/// much resident after the largest call it served, so the server can hold
/// `concurrent_calls` × 16 MiB more than it otherwise would.
const MEMORY_KEEP_RESIDENT: usize = 16 * 1024 * 1024;
/// The same for a table slot: the component's tables hold thousands of
/// function references, so this covers what a call writes.
const TABLE_KEEP_RESIDENT: usize = 2 * 1024 * 1024;
/// Guest stack: deep recursion traps instead of growing the host stack.
const MAX_WASM_STACK: usize = 1024 * 1024;
/// The fiber stack an async call runs on: the guest stack plus room for
/// the host functions it calls.
const ASYNC_STACK: usize = MAX_WASM_STACK + 512 * 1024;
/// Memories and tables of one component: its core modules have one memory
/// and one table each, and a few shim modules a table.
const MEMORIES_PER_COMPONENT: u32 = 4;
const TABLES_PER_COMPONENT: u32 = 8;

/// Makes an engine sized for `settings` and starts its epoch ticker.
pub(super) fn engine(settings: &Settings) -> Result<Engine, LoadError> {
    let engine = Engine::new(&config(settings)).map_err(LoadError::Configure)?;
    start_ticker(&engine)?;
    Ok(engine)
}

/// The engine settings. Those that shape compiled code (epochs, stack size,
/// optimisation level) are covered by wasmtime's compatibility hash, which
/// keys the compiled-code cache; pool sizes are not and may differ between
/// the process that wrote an entry and one that loads it, or that made
/// precompiled code and one that runs it.
pub(super) fn config(settings: &Settings) -> Config {
    let mut config = Config::new();
    // The function is a component (WIT world), not a core module.
    config.wasm_component_model(true);
    // The CPU limit: see `limits`. Fuel is off, it costs far more per call.
    config.epoch_interruption(true);
    // Compiled once (and cached), run many times.
    #[cfg(feature = "compiler")]
    config.cranelift_opt_level(OptLevel::Speed);
    config.max_wasm_stack(MAX_WASM_STACK);
    config.async_stack_size(ASYNC_STACK);
    config.memory_init_cow(true);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool(settings)));
    config
}

fn pool(settings: &Settings) -> PoolingAllocationConfig {
    let calls = u32::try_from(settings.concurrent_calls.max(1)).unwrap_or(u32::MAX);
    let instances = u32::try_from(MAX_INSTANCES).unwrap_or(u32::MAX);
    let mut pool = PoolingAllocationConfig::new();
    pool.total_component_instances(calls)
        .total_core_instances(calls.saturating_mul(instances))
        .max_core_instances_per_component(instances)
        .total_memories(calls.saturating_mul(MEMORIES_PER_COMPONENT))
        .max_memories_per_component(MEMORIES_PER_COMPONENT)
        .total_tables(calls.saturating_mul(TABLES_PER_COMPONENT))
        .max_tables_per_component(TABLES_PER_COMPONENT)
        .table_elements(MAX_TABLE_ELEMENTS)
        .total_stacks(calls)
        .max_memory_size(memory_slot(&settings.limits))
        .linear_memory_keep_resident(MEMORY_KEEP_RESIDENT)
        .table_keep_resident(TABLE_KEEP_RESIDENT)
        .pagemap_scan(Enabled::Auto);
    pool
}

/// A slot holds the largest memory the limit admits, and never less than
/// [`MIN_SLOT`]: a component whose initial memory does not fit a slot is
/// refused when it is compiled, while one that merely exceeds the limit
/// should fail each call with the memory limit's own error.
fn memory_slot(limits: &Limits) -> usize {
    limits.memory_bytes.max(MIN_SLOT).next_multiple_of(WASM_PAGE)
}

const WASM_PAGE: usize = 64 * 1024;
const MIN_SLOT: usize = 16 * 1024 * 1024;

/// Advances the engine's epoch every [`TICK`] for as long as the engine
/// lives; the thread holds only a weak reference, so it ends with it.
fn start_ticker(engine: &Engine) -> Result<(), LoadError> {
    let weak = engine.weak();
    thread::Builder::new()
        .name("wasm-epoch".to_owned())
        .spawn(move || {
            loop {
                thread::sleep(TICK);
                match weak.upgrade() {
                    Some(engine) => engine.increment_epoch(),
                    None => break,
                }
            }
        })
        .map(drop)
        .map_err(LoadError::Ticker)
}
