//! How the component is loaded and limited: flags every subcommand that
//! runs it shares.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::Failure;
use crate::runtime::{self, Limits, Runtime, Settings};

#[derive(Debug, Args)]
pub struct RuntimeArgs {
    /// Run this build of the component instead of the one embedded at build
    /// time (for example target/component-build/wasm32-wasip2/component/connection_details.wasm).
    #[arg(long, value_name = "PATH")]
    component: Option<PathBuf>,

    /// Linear memory one request may use, in MiB. A request that asks for
    /// more ends with a FATAL result.
    #[arg(long, value_name = "MIB", default_value_t = Limits::DEFAULT_MEMORY_MIB)]
    memory_limit_mib: usize,

    /// Time one request may spend running the component, in milliseconds
    /// (counted in 10 ms ticks). A request that runs longer ends with a
    /// FATAL result.
    #[arg(long, value_name = "MS", default_value_t = Limits::DEFAULT_CPU_MILLIS)]
    cpu_limit_ms: u64,

    /// Compile the component at every start instead of keeping compiled
    /// code in $XDG_CACHE_HOME/function-connection-details (else
    /// ~/.cache/function-connection-details). Without a writable cache
    /// folder every start compiles anyway, which takes a few seconds.
    #[arg(long)]
    no_cache: bool,
}

impl RuntimeArgs {
    /// What the flags ask for, for `concurrent_calls` calls at once.
    fn settings(&self, concurrent_calls: usize) -> Settings {
        Settings {
            limits: Limits {
                memory_bytes: self.memory_limit_mib.saturating_mul(1024 * 1024),
                cpu_time: Duration::from_millis(self.cpu_limit_ms),
            },
            concurrent_calls,
            compiled_cache: if self.no_cache { None } else { runtime::default_cache_dir() },
        }
    }

    pub fn load(&self, concurrent_calls: usize) -> Result<Runtime, Failure> {
        let settings = self.settings(concurrent_calls);
        match &self.component {
            Some(path) => Runtime::from_file(path, &settings),
            None => Runtime::embedded(&settings),
        }
        .map_err(|error| Failure::unusable(format!("cannot load the component: {error}")))
    }
}
