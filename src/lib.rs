//! connection-details: a Crossplane composition function that aggregates the
//! connection details of composed resources into one secret per composite
//! resource (and claim).
//!
//! Everything except [`wit`] is plain Rust with no I/O, tested and
//! benchmarked natively; built for `wasm32-wasip2` the crate is the
//! component `connection_details.wasm`, whose WIT glue only converts.

pub mod aggregate;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod allocator;
pub mod allowlist;
pub mod collisions;
pub mod composite;
pub mod convert;
pub mod derive;
pub mod diagnostics;
pub mod earlier;
pub mod explain;
pub mod fanout;
pub mod fieldpath;
pub mod function;
pub mod input;
pub mod jsonwire;
pub mod keystatus;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod memcmp;
pub mod metadata;
pub mod names;
pub mod output;
pub mod patches;
pub mod plan;
pub mod protocol;
pub mod push;
pub mod readiness;
pub mod render;
pub mod secret;
pub mod secretref;
pub mod secrettype;
pub mod sensitivity;
pub mod spelling;
pub mod transforms;
pub mod wire;

/// Every call gets a fresh instance: see [`allocator`].
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: allocator::SizeClasses = allocator::SizeClasses::new();

/// Only the component has a WIT world; the wasip1 guest of `wasmfn/` links
/// the same core without it.
#[cfg(all(target_arch = "wasm32", target_env = "p2"))]
mod wit;
