//! `serve`'s logs on standard error: JSON lines, as the SDKs write them, or
//! with `--debug` text for a person, coloured only when standard error is a
//! terminal, so a redirected file holds no escape codes.

use std::io::IsTerminal;

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Crates under the host whose DEBUG lines are about their own machinery
/// (h2 logs every frame, wasmtime its allocator's pools); `--debug` keeps
/// them at INFO, so it shows the function's lines and the host's.
const MACHINERY: [&str; 9] =
    ["h2", "hyper", "hyper_util", "tonic", "tower", "rustls", "wasmtime", "cranelift", "regalloc2"];

/// Installs the process's logger. `RUST_LOG`, when set and valid
/// (`target=level` directives), replaces the level selection; an invalid
/// one is reported and ignored.
pub fn configure(debug: bool) {
    let (filter, invalid) = filter(debug, std::env::var("RUST_LOG").ok().as_deref());
    let output = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let registry = tracing_subscriber::registry().with(filter);
    if debug {
        let _ = registry.with(output.with_ansi(std::io::stderr().is_terminal())).try_init();
    } else {
        let _ = registry.with(output.json().with_ansi(false)).try_init();
    }
    if let Some(error) = invalid {
        tracing::warn!(%error, "RUST_LOG ignored: it takes target=level directives, such as info,h2=debug");
    }
}

fn filter(debug: bool, rust_log: Option<&str>) -> (Targets, Option<String>) {
    let invalid = match rust_log.map(str::trim).filter(|set| !set.is_empty()) {
        None => None,
        Some(set) => match set.parse::<Targets>() {
            Ok(filter) => return (filter, None),
            Err(error) => Some(error.to_string()),
        },
    };
    let filter = if debug {
        MACHINERY.iter().fold(Targets::new().with_default(LevelFilter::DEBUG), |filter, target| {
            filter.with_target(*target, LevelFilter::INFO)
        })
    } else {
        Targets::new().with_default(LevelFilter::INFO)
    };
    (filter, invalid)
}

#[cfg(test)]
mod tests {
    use tracing::Level;

    use super::*;

    #[test]
    fn debug_shows_the_host_and_holds_back_the_machinery_beneath_it() {
        let (filter, _) = filter(true, None);
        assert!(filter.would_enable("function_connection_details::server", &Level::DEBUG));
        for target in
            ["wasmtime::runtime::vm::instance::allocator::pooling", "wasmtime_internal_cranelift", "h2::codec"]
        {
            assert!(!filter.would_enable(target, &Level::DEBUG), "{target}");
            assert!(filter.would_enable(target, &Level::INFO), "{target}");
        }
    }

    #[test]
    fn without_debug_everything_is_info_and_rust_log_replaces_the_choice() {
        let (filter, _) = filter(false, None);
        assert!(!filter.would_enable("function_connection_details", &Level::DEBUG));
        let (filter, invalid) = filter_from("info,wasmtime=debug");
        assert!(invalid.is_none());
        assert!(filter.would_enable("wasmtime", &Level::DEBUG));
        let (filter, invalid) = filter_from("wasmtime=loud");
        assert!(invalid.is_some());
        assert!(filter.would_enable("wasmtime", &Level::INFO));
    }

    fn filter_from(rust_log: &str) -> (Targets, Option<String>) {
        filter(false, Some(rust_log))
    }
}
