//! Prepares what the host embeds:
//!
//! 1. the protocol, v1 and v1beta1, as prost types and as a descriptor set
//!    (for protojson), compiled by protox so no `protoc` is needed;
//! 2. the component `connection_details.wasm`, built from the workspace root
//!    for `wasm32-wasip2`, so that `cargo build -p function-connection-details`
//!    alone yields a working binary. Set `FUNCTION_CONNECTION_DETAILS_COMPONENT`
//!    to a prebuilt component to skip that build (container images do).

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

type BuildResult = Result<(), Box<dyn std::error::Error>>;

const COMPONENT_ENV: &str = "FUNCTION_CONNECTION_DETAILS_COMPONENT";
const COMPONENT_FILE: &str = "connection_details.wasm";
const WASM_TARGET: &str = "wasm32-wasip2";
/// The workspace profile that makes the component small (see Cargo.toml).
const COMPONENT_PROFILE: &str = "component";
const V1_PROTO: &str = "apiextensions/fn/proto/v1/run_function.proto";
const V1_PACKAGE: &str = "package apiextensions.fn.proto.v1;";
const V1BETA1_PACKAGE: &str = "package apiextensions.fn.proto.v1beta1;";

fn main() -> BuildResult {
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    let workspace =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR")?).parent().ok_or("host/ has no parent directory")?.to_path_buf();
    compile_protocol(&workspace, &out_dir)?;
    embed_component(&workspace, &out_dir)
}

/// v1 is transcribed once, in proto/; v1beta1, the same contract under the
/// package Crossplane 1.14–1.16 call, is derived from it here.
fn compile_protocol(workspace: &Path, out_dir: &Path) -> BuildResult {
    let proto_dir = workspace.join("proto");
    let v1 = proto_dir.join(V1_PROTO);
    println!("cargo:rerun-if-changed={}", v1.display());
    let v1_text = fs::read_to_string(&v1).map_err(|e| format!("{}: {e}", v1.display()))?;
    let v1beta1_text = v1_text.replacen(V1_PACKAGE, V1BETA1_PACKAGE, 1);
    if v1beta1_text == v1_text {
        return Err(format!("{}: no line `{V1_PACKAGE}` to derive v1beta1 from", v1.display()).into());
    }
    let derived_dir = out_dir.join("proto");
    let v1beta1 = derived_dir.join(V1_PROTO.replacen("/v1/", "/v1beta1/", 1));
    fs::create_dir_all(v1beta1.parent().ok_or("derived proto path has no parent")?)?;
    fs::write(&v1beta1, v1beta1_text)?;

    let descriptors = protox::compile([&v1, &v1beta1], [&proto_dir, &derived_dir])?;
    fs::write(out_dir.join("run_function_descriptors.bin"), prost::Message::encode_to_vec(&descriptors))?;
    prost_build::Config::new().btree_map(["."]).include_file("run_function.rs").compile_fds(descriptors)?;
    Ok(())
}

fn embed_component(workspace: &Path, out_dir: &Path) -> BuildResult {
    println!("cargo:rerun-if-env-changed={COMPONENT_ENV}");
    let destination = out_dir.join(COMPONENT_FILE);
    if let Some(prebuilt) = env::var_os(COMPONENT_ENV) {
        fs::copy(&prebuilt, &destination)
            .map_err(|e| format!("{COMPONENT_ENV}={}: {e}", PathBuf::from(&prebuilt).display()))?;
        return Ok(());
    }
    for input in ["src", "wit", "proto", "build.rs", "Cargo.toml", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", workspace.join(input).display());
    }
    require_wasm_target()?;
    let target_dir = component_target_dir(out_dir)?;
    let status = nested_cargo()
        .current_dir(workspace)
        .args(["build", "--locked", "--package", "connection-details", "--lib"])
        .args(["--target", WASM_TARGET, "--profile", COMPONENT_PROFILE])
        .arg("--target-dir")
        .arg(&target_dir)
        .status()?;
    if !status.success() {
        return Err(format!("building the component for {WASM_TARGET} failed ({status}); see the output above").into());
    }
    let built = target_dir.join(WASM_TARGET).join(COMPONENT_PROFILE).join(COMPONENT_FILE);
    fs::copy(&built, &destination).map_err(|e| format!("{}: {e}", built.display()))?;
    Ok(())
}

/// Fails early, with the fix, when the toolchain lacks the wasm target.
fn require_wasm_target() -> BuildResult {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let output = Command::new(&rustc).args(["--print", "target-libdir", "--target", WASM_TARGET]).output()?;
    let libdir = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if output.status.success() && Path::new(&libdir).is_dir() {
        Ok(())
    } else {
        Err(format!("the Rust target {WASM_TARGET} is not installed; run `rustup target add {WASM_TARGET}`").into())
    }
}

/// A target directory of its own, beside the outer build's, so the nested
/// cargo does not wait on the lock the outer cargo holds.
fn component_target_dir(out_dir: &Path) -> Result<PathBuf, String> {
    // OUT_DIR is <target>/<profile>/build/<package>-<hash>/out.
    out_dir
        .ancestors()
        .nth(4)
        .map(|target| target.join("component-build"))
        .ok_or_else(|| format!("unexpected OUT_DIR layout: {}", out_dir.display()))
}

/// The cargo running this script, without the settings it passes to build
/// scripts that would redirect or alter the nested build.
fn nested_cargo() -> Command {
    let mut command = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    for variable in [
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_LLVM_COV",
    ] {
        command.env_remove(variable);
    }
    command
}
