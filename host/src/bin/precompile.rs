//! Compiles the embedded component to machine code for a target, with the
//! engine configuration the runtime uses, for a build without a compiler to
//! embed (see `runtime::precompiled`). package/build runs it once per
//! architecture of the container image:
//!
//! ```sh
//! cargo run -p function-connection-details --features precompile --bin precompile -- \
//!     --target aarch64-unknown-linux-gnu --output connection_details.aarch64.cwasm
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use function_connection_details::runtime::precompiled::precompile;

/// Compile the embedded component to machine code for TARGET.
#[derive(Debug, Parser)]
struct Args {
    /// The target triple of the binary that will embed the code, such as
    /// x86_64-unknown-linux-gnu or aarch64-unknown-linux-gnu.
    #[arg(long)]
    target: String,

    /// Where to write the code.
    #[arg(long, short, value_name = "FILE")]
    output: PathBuf,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let written = precompile(&args.target)
        .map_err(|error| format!("cannot compile the component for {}: {error}", args.target))
        .and_then(|code| {
            std::fs::write(&args.output, code)
                .map_err(|error| format!("{}: cannot write: {error}", args.output.display()))
        });
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}
