//! What one call may use, and how each limit is enforced.
//!
//! Memory: a [`ResourceLimiter`] refuses growth past the limit with an
//! error of its own, so the host can name the cause (merely refusing the
//! growth would make Rust's allocator abort with a trap that names none).
//! The instance pool's memory slots are sized to the same limit.
//!
//! CPU: epoch interruption. A ticker thread advances the engine's epoch
//! every [`TICK`]; each call may run through [`Limits::cpu_ticks`] tick
//! boundaries and is stopped at the next, and at each one it yields to the async executor, so a
//! long call never holds a server thread for more than one tick. Epochs
//! cost a load and a compare at loop heads and function entries, a fraction
//! of what fuel metering costs per instruction; the price is that the limit
//! is time, not an instruction count.

use std::fmt;
use std::time::Duration;

use wasmtime::{ResourceLimiter, UpdateDeadline};

/// How often the ticker advances the epoch: the granularity of the CPU
/// limit and the longest a call runs without yielding.
pub const TICK: Duration = Duration::from_millis(10);

/// What one call may use. Exceeding either ends that call with an error; the
/// runtime stays usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Linear memory, in bytes.
    pub memory_bytes: usize,
    /// Time the call may spend running WebAssembly, counted in [`TICK`]s.
    pub cpu_time: Duration,
}

impl Limits {
    pub const DEFAULT_MEMORY_MIB: usize = 64;
    /// Scenario A takes well under a millisecond and 10,000 composed
    /// resources about a hundred milliseconds (measured when this was set);
    /// the default admits inputs many times larger still, while a runaway
    /// call ends within two seconds.
    pub const DEFAULT_CPU_MILLIS: u64 = 2000;

    /// The CPU limit as a number of tick boundaries a call may run through,
    /// at least one. The first boundary comes anywhere within the first
    /// tick, so a call runs at least `cpu_time` and at most one tick more.
    pub fn cpu_ticks(&self) -> u64 {
        let ticks = self.cpu_time.as_nanos().div_ceil(TICK.as_nanos());
        u64::try_from(ticks).unwrap_or(u64::MAX).max(1)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            memory_bytes: Self::DEFAULT_MEMORY_MIB * 1024 * 1024,
            cpu_time: Duration::from_millis(Self::DEFAULT_CPU_MILLIS),
        }
    }
}

/// Refuses memory growth past the limit with [`MemoryLimitExceeded`].
pub(super) struct MemoryLimiter {
    pub(super) max_bytes: usize,
}

/// The error a call ends with when it asks for more memory than its limit.
#[derive(Debug)]
pub(super) struct MemoryLimitExceeded {
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
/// adapter shims); more would mean something is wrong.
pub(super) const MAX_INSTANCES: usize = 16;
/// Function tables of Rust code hold thousands of entries, not millions.
pub(super) const MAX_TABLE_ELEMENTS: usize = 1 << 20;

/// The error a call ends with when it has used its CPU time.
#[derive(Debug)]
pub(super) struct CpuLimitExceeded;

impl fmt::Display for CpuLimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CPU time used up")
    }
}

impl std::error::Error for CpuLimitExceeded {}

/// Counts the tick boundaries one call has run through.
pub(super) struct CpuBudget {
    ticks_left: u64,
}

impl CpuBudget {
    pub(super) fn new(limits: &Limits) -> Self {
        Self { ticks_left: limits.cpu_ticks() }
    }

    /// Called at every tick boundary the call reaches: yield to the executor
    /// and run one more tick, or end the call when its ticks are spent.
    pub(super) fn spend_tick(&mut self) -> wasmtime::Result<UpdateDeadline> {
        if self.ticks_left == 0 {
            return Err(wasmtime::Error::new(CpuLimitExceeded));
        }
        self.ticks_left -= 1;
        Ok(UpdateDeadline::Yield(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cpu_limit_rounds_up_to_whole_ticks_and_is_never_zero() {
        let ticks = |millis| Limits { cpu_time: Duration::from_millis(millis), ..Limits::default() }.cpu_ticks();
        assert_eq!(ticks(0), 1);
        assert_eq!(ticks(1), 1);
        assert_eq!(ticks(10), 1);
        assert_eq!(ticks(11), 2);
        assert_eq!(ticks(2000), 200);
    }
}
