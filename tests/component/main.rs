//! Integration tests: the real component, built for wasm32-wasip2 and
//! embedded in the host, run through the host's wasmtime runtime. One test
//! binary, so the component is compiled once per run.

mod adoption;
mod aso;
mod catalogue;
mod cli;
mod collisions;
mod conformance;
mod convert;
mod crossplane_render;
mod external_secrets;
mod harness;
mod hostile;
mod hygiene;
mod input_errors;
mod keystatus;
mod limits;
mod openapi;
mod package;
mod pipeline;
mod readiness;
mod render;
mod scenarios;
mod serve;
mod sources;
