//! connection-details: a Crossplane composition function that aggregates the
//! connection details of composed resources into one secret per composite
//! resource (and claim).
//!
//! Everything except [`wit`] is plain Rust with no I/O, tested and
//! benchmarked natively; built for `wasm32-wasip2` the crate is the
//! component `connection_details.wasm`, whose WIT glue only converts.

pub mod aggregate;
pub mod allowlist;
pub mod composite;
pub mod derive;
pub mod diagnostics;
pub mod fanout;
pub mod fieldpath;
pub mod function;
pub mod input;
pub mod names;
pub mod output;
pub mod plan;
pub mod protocol;
pub mod readiness;
pub mod render;
pub mod secret;
pub mod secretref;
pub mod spelling;
pub mod wire;

#[cfg(target_arch = "wasm32")]
mod wit;
