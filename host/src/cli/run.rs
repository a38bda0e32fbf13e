//! `run`: one RunFunctionRequest through the function.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::files::{Files, display};
use super::runtime_args::RuntimeArgs;
use super::{Failure, Io, exit};
use crate::protocol;
use crate::runtime::{self, RunError};

pub const EXAMPLE: &str = "\
Example:
  function-connection-details run --input examples/requests/scenario-a.json";

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The request file; - reads standard input.
    #[arg(long, short, value_name = "FILE", default_value = "-")]
    input: PathBuf,

    /// The wire format of the request and of the response.
    #[arg(long, value_enum, default_value_t = WireFormat::Json)]
    format: WireFormat,

    #[command(flatten)]
    runtime: RuntimeArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum WireFormat {
    /// protojson, as `crossplane render` tooling writes it.
    Json,
    /// Binary protobuf, as on the gRPC wire.
    Proto,
}

pub fn run(args: &RunArgs, io: &mut Io<'_>) -> Result<u8, Failure> {
    let source = display(&args.input);
    let raw = Files::new(io.stdin).bytes(&args.input, "--input")?;
    let request = match args.format {
        WireFormat::Proto => raw,
        WireFormat::Json => {
            let text = String::from_utf8(raw).map_err(|_| Failure::unusable(format!("{source}: not UTF-8 text")))?;
            protocol::request_from_json(&text).map_err(|error| Failure::unusable(format!("{source}: {error}")))?
        }
    };
    let runtime = args.runtime.load(1)?;
    let response = match runtime::block_on(runtime.run_function(&request)) {
        Ok(response) => response,
        Err(RunError::Rejected(error)) => return Err(Failure::unusable(format!("{source}: {}", error.message))),
        Err(limit_or_trap) => protocol::fatal_response(&request, &limit_or_trap.to_string()),
    };
    let written = match args.format {
        WireFormat::Proto => io.stdout.write_all(&response),
        WireFormat::Json => {
            let json = protocol::response_to_json(&response).map_err(|error| Failure::unusable(error.to_string()))?;
            writeln!(io.stdout, "{json}")
        }
    };
    written.map_err(|error| Failure::unusable(format!("cannot write the response: {error}")))?;
    Ok(if protocol::summarize(&response).fatal { exit::FATAL_RESULT } else { exit::SUCCESS })
}
