//! The host of the connection-details component: loads it into wasmtime
//! ([`runtime`]), speaks Crossplane's protocol around it ([`protocol`]),
//! serves it over gRPC ([`server`]), and offers it on the command line
//! ([`cli`]).

pub mod cli;
pub mod protocol;
pub mod runtime;
pub mod server;
