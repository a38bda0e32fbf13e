//! Generates the protocol types from `proto/` with protox (pure Rust, no
//! `protoc`). The component needs only v1: v1beta1 is the same wire format.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto = "proto/apiextensions/fn/proto/v1/run_function.proto";
    println!("cargo:rerun-if-changed={proto}");
    let descriptors = protox::compile([proto], ["proto"])?;
    prost_build::Config::new()
        // Ordered maps make the encoded response deterministic.
        .btree_map(["."])
        // One file of nested modules, whatever the package is called.
        .include_file("run_function.rs")
        .compile_fds(descriptors)?;
    Ok(())
}
