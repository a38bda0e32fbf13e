//! Prepares what the host embeds: the component `connection_details.wasm`,
//! built from the workspace root for `wasm32-wasip2`, so that
//! `cargo build -p function-connection-details` alone yields a working
//! binary, and its SHA-256 digest, which keys the compiled-code cache. Set
//! `FUNCTION_CONNECTION_DETAILS_COMPONENT` to a prebuilt component to skip
//! that build (container images do).
//!
//! It also records what `--version` tells: the git commit the binary is
//! built from (with `-dirty` for uncommitted changes), the component's
//! digest and size, and the wasmtime version in Cargo.lock.
//!
//! A build without the `compiler` feature (the container image's) embeds
//! instead the component's machine code for its target, made beforehand by
//! the `precompile` tool: the file `FUNCTION_CONNECTION_DETAILS_PRECOMPILED`
//! names (package/build does both steps).

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

type BuildResult = Result<(), Box<dyn std::error::Error>>;

const COMPONENT_ENV: &str = "FUNCTION_CONNECTION_DETAILS_COMPONENT";
/// The commit to report where the build has no git checkout (an image
/// built from a copied tree).
const COMMIT_ENV: &str = "FUNCTION_CONNECTION_DETAILS_COMMIT";
const COMPONENT_FILE: &str = "connection_details.wasm";
const PRECOMPILED_ENV: &str = "FUNCTION_CONNECTION_DETAILS_PRECOMPILED";
const PRECOMPILED_FILE: &str = "connection_details.cwasm";
const WASM_TARGET: &str = "wasm32-wasip2";
/// The workspace profile of the component the host embeds: the small
/// `component` with the RunFunction path optimised for speed (Cargo.toml).
const COMPONENT_PROFILE: &str = "component-fast";
fn main() -> BuildResult {
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    let workspace =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR")?).parent().ok_or("host/ has no parent directory")?.to_path_buf();
    // `--version` reports what is embedded: the component, or without a
    // compiler the machine code made from it.
    let bytes = if env::var_os("CARGO_FEATURE_COMPILER").is_none() {
        fs::read(embed_precompiled(&out_dir)?)?
    } else {
        let bytes = fs::read(embed_component(&workspace, &out_dir)?)?;
        let digest: [u8; 32] = Sha256::digest(&bytes).into();
        fs::write(out_dir.join(format!("{COMPONENT_FILE}.sha256")), digest)?;
        bytes
    };
    let digest: [u8; 32] = Sha256::digest(&bytes).into();
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    println!("cargo:rustc-env=FCD_COMPONENT_SHA256={hex}");
    println!("cargo:rustc-env=FCD_COMPONENT_BYTES={}", bytes.len());
    println!("cargo:rustc-env=FCD_GIT_COMMIT={}", git_commit(&workspace));
    println!("cargo:rustc-env=FCD_WASMTIME_VERSION={}", locked_version(&workspace, "wasmtime")?);
    Ok(())
}

/// `HEAD`'s commit, `-dirty` when tracked files differ from it, or
/// `unknown` outside a git checkout.
fn git_commit(workspace: &Path) -> String {
    println!("cargo:rerun-if-env-changed={COMMIT_ENV}");
    if let Ok(commit) = env::var(COMMIT_ENV) {
        return commit;
    }
    let git = |args: &[&str]| {
        Command::new("git")
            .current_dir(workspace)
            // `git status` would otherwise refresh the index, and a changed
            // index would run this script again on every build.
            .env("GIT_OPTIONAL_LOCKS", "0")
            .args(args)
            .output()
            .ok()
            .filter(|output| output.status.success())
            .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
    };
    let Some(commit) = git(&["rev-parse", "HEAD"]) else { return "unknown".to_owned() };
    // A commit, a checkout or staging changes these files.
    for file in ["HEAD", "logs/HEAD", "index"] {
        if let Some(path) = git(&["rev-parse", "--git-path", file]) {
            println!("cargo:rerun-if-changed={}", workspace.join(path).display());
        }
    }
    println!("cargo:rerun-if-changed={}", workspace.join("host/src").display());
    let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|changes| !changes.is_empty());
    if dirty { format!("{commit}-dirty") } else { commit }
}

/// The version of `package` that Cargo.lock pins.
fn locked_version(workspace: &Path, package: &str) -> Result<String, Box<dyn std::error::Error>> {
    let lock = fs::read_to_string(workspace.join("Cargo.lock"))?;
    let entry = format!("name = \"{package}\"\nversion = \"");
    let start = lock.find(&entry).ok_or_else(|| format!("Cargo.lock has no package {package}"))? + entry.len();
    let version = lock[start..].split('"').next().unwrap_or_default();
    Ok(version.to_owned())
}

/// Copies the machine code `precompile` made for this target into OUT_DIR.
fn embed_precompiled(out_dir: &Path) -> Result<PathBuf, Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-env-changed={PRECOMPILED_ENV}");
    let Some(code) = env::var_os(PRECOMPILED_ENV).map(PathBuf::from) else {
        return Err(format!(
            "without the `compiler` feature the host embeds machine code instead of compiling the component: \
             set {PRECOMPILED_ENV} to the file the `precompile` tool writes for this target (package/build does)"
        )
        .into());
    };
    println!("cargo:rerun-if-changed={}", code.display());
    let destination = out_dir.join(PRECOMPILED_FILE);
    fs::copy(&code, &destination).map_err(|e| format!("{PRECOMPILED_ENV}={}: {e}", code.display()))?;
    Ok(destination)
}

/// Builds (or copies) the component into OUT_DIR and returns its path there.
fn embed_component(workspace: &Path, out_dir: &Path) -> Result<PathBuf, Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-env-changed={COMPONENT_ENV}");
    let destination = out_dir.join(COMPONENT_FILE);
    if let Some(prebuilt) = env::var_os(COMPONENT_ENV) {
        fs::copy(&prebuilt, &destination)
            .map_err(|e| format!("{COMPONENT_ENV}={}: {e}", PathBuf::from(&prebuilt).display()))?;
        return Ok(destination);
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
    Ok(destination)
}

/// rustup adds the targets of `rust-toolchain.toml` only when it installs the
/// toolchain itself; a toolchain that was already there lacks them. So add
/// the target here when it is missing and rustup can, and say so; without
/// rustup, fail with the fix.
fn require_wasm_target() -> BuildResult {
    if wasm_target_installed()? {
        return Ok(());
    }
    match add_wasm_target() {
        Ok(()) if wasm_target_installed()? => {
            println!("cargo:warning=added the Rust target {WASM_TARGET} with `rustup target add {WASM_TARGET}`");
            Ok(())
        }
        Ok(()) => Err(format!("`rustup target add {WASM_TARGET}` ran, yet rustc does not find the target").into()),
        Err(why) => Err(format!(
            "the Rust target {WASM_TARGET} is not installed and could not be added ({why}); \
             run `rustup target add {WASM_TARGET}`"
        )
        .into()),
    }
}

fn wasm_target_installed() -> Result<bool, Box<dyn std::error::Error>> {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let output = Command::new(&rustc).args(["--print", "target-libdir", "--target", WASM_TARGET]).output()?;
    let libdir = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    // rustc prints a libdir even for a target whose standard library is
    // absent; the folder holding core is what says it is installed.
    Ok(output.status.success() && Path::new(&libdir).is_dir() && has_core_library(Path::new(&libdir)))
}

fn has_core_library(libdir: &Path) -> bool {
    fs::read_dir(libdir).is_ok_and(|entries| {
        entries.filter_map(Result::ok).any(|entry| entry.file_name().to_string_lossy().starts_with("libcore-"))
    })
}

/// Adds the target to the toolchain this build runs on (cargo's rustup
/// proxy names it in RUSTUP_TOOLCHAIN).
fn add_wasm_target() -> Result<(), String> {
    let mut rustup = Command::new("rustup");
    rustup.args(["target", "add", WASM_TARGET]);
    if let Ok(toolchain) = env::var("RUSTUP_TOOLCHAIN") {
        rustup.args(["--toolchain", &toolchain]);
    }
    let status = rustup.status().map_err(|e| format!("cannot run rustup: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("rustup {status}")) }
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
