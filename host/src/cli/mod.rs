//! The command line: `render`, `run`, `serve` and `convert`, a file each,
//! sharing how files are read ([`files`]) and how the component is loaded
//! ([`runtime_args`]).

mod convert;
mod files;
mod logging;
mod render;
mod run;
mod runtime_args;
mod serve;
mod version;

use std::ffi::OsString;
use std::io::{Read, Write};

use clap::{Parser, Subcommand};

use crate::runtime;

/// Exit statuses of `render` and `run`.
const EXIT_CODES: &str = "\
Exit status:
  0  the function ran and reported no FATAL result
  1  the function reported a FATAL result (the output is still printed)
  2  unusable arguments, files or requests (the message names which)";

/// The top-level summary: what each status means differs by subcommand.
const EXIT_CODES_BY_COMMAND: &str = "\
Exit status (each subcommand's --help says what it means there):
  0  success
  1  render, run: the function reported a FATAL result (the output is still printed)
     convert: the function would refuse the converted input (nothing is written)
  2  unusable arguments, files or requests (the message names which)";

fn with_exit_codes(example: &str) -> String {
    format!("{example}\n\n{EXIT_CODES}")
}

/// Crossplane composition function that gathers the connection details of
/// composed resources into one secret per composite resource and claim.
///
/// The function is a WebAssembly component embedded in this binary; every
/// subcommand runs it in a sandbox with no files, network or environment,
/// under a memory and a CPU limit.
#[derive(Debug, Parser)]
#[command(
    name = "function-connection-details",
    version = version::SHORT,
    long_version = version::LONG,
    after_help = EXIT_CODES_BY_COMMAND
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Render the Secrets (and ConfigMaps) a composition leaves in the cluster.
    ///
    /// Runs the function on XR and COMPOSITION the way Crossplane would, with
    /// the observed resources and Secrets given, answering the function's
    /// requirements from --required-resources, then publishes the result as
    /// Crossplane does: for a legacy XR, the XR's connection secret (named by
    /// its UID in the Composition's writeConnectionSecretsToNamespace unless
    /// the XR names one) filtered by the XRD's connectionSecretKeys, and the
    /// claim's secret; for a Crossplane v2 XR, the composed Secret.
    ///
    /// COMPOSITION may be Pipeline-mode (the step whose functionRef is
    /// --function-name supplies the input) or legacy (spec.resources).
    /// Every PATH may be a file or a folder of .yaml/.yml files, each file
    /// holding one or more documents. Observed resources are matched to
    /// composition resources by the annotation
    /// crossplane.io/composition-resource-name.
    #[command(after_help = EXIT_CODES, after_long_help = with_exit_codes(render::EXAMPLE))]
    Render(Box<render::RenderArgs>),

    /// Run one RunFunctionRequest through the function and print its response.
    ///
    /// Reads protojson (the JSON mapping of protobuf: lowerCamelCase field
    /// names, bytes in base64, enums by name) or, with --format proto, binary
    /// protobuf, and writes the RunFunctionResponse in the same format.
    #[command(after_help = EXIT_CODES, after_long_help = with_exit_codes(run::EXAMPLE))]
    Run(run::RunArgs),

    /// Serve the function to Crossplane over gRPC until SIGTERM or Ctrl-C.
    ///
    /// Speaks apiextensions.fn.proto.v1 FunctionRunnerService (Crossplane
    /// 1.17 and later, and v2) with the flags, mTLS, health checks,
    /// reflection, metrics and JSON logs of Crossplane's Rust function SDK.
    /// Each request runs in a fresh sandbox under the memory and CPU limits
    /// below; a request that exceeds them gets a FATAL result and the
    /// server goes on serving.
    #[command(after_long_help = serve::EXAMPLE)]
    Serve(serve::ServeArgs),

    /// Move a Composition's connection details onto this function, for
    /// Crossplane v2.
    ///
    /// Crossplane v2 dropped the connection details of spec.resources
    /// Compositions, and a Composition whose function-patch-and-transform step
    /// composes the connection Secret ties it to that step. A legacy
    /// Composition becomes a Pipeline: its resources go, bases and patches
    /// unchanged, into a function-patch-and-transform step, followed by a step
    /// of this function with the connection details, the Composition's
    /// writeConnectionSecretsToNamespace and the XRD's connectionSecretKeys.
    /// In a Pipeline, each function-patch-and-transform step gives its
    /// connectionDetails and writeConnectionSecretToRef to this function's
    /// step (added after it, or updated), which keeps the Secret's resource
    /// name, name and namespace. The file is edited: every other step,
    /// field and comment stays as it was.
    #[command(after_help = convert::EXIT_CODES, after_long_help = format!("{}\n\n{}", convert::EXAMPLE, convert::EXIT_CODES))]
    Convert(convert::ConvertArgs),

    /// Print the version, the git commit built from, the embedded
    /// component's SHA-256 and size, and the wasmtime version (as
    /// --version does).
    Version,

    /// Print a shell completion script for bash, zsh, fish or PowerShell.
    #[command(after_help = version::COMPLETION_EXAMPLE)]
    Completion(version::CompletionArgs),
}

/// The standard streams, passed in so the CLI runs in-process in tests.
pub struct Io<'a> {
    pub stdin: &'a mut dyn Read,
    pub stdout: &'a mut dyn Write,
    pub stderr: &'a mut dyn Write,
}

/// Exit statuses, as `--help` lists them.
pub mod exit {
    pub const SUCCESS: u8 = 0;
    pub const FATAL_RESULT: u8 = 1;
    pub const UNUSABLE: u8 = 2;
}

/// Something that ends a command early, with its exit status.
#[derive(Debug)]
struct Failure {
    status: u8,
    message: String,
}

impl Failure {
    fn unusable(message: impl Into<String>) -> Self {
        Self { status: exit::UNUSABLE, message: message.into() }
    }
}

/// Parses `args` (the program name first) and runs the command; returns the
/// exit status.
pub fn main_with<I, T>(args: I, io: &mut Io<'_>) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            let rendered = error.render().to_string();
            let stream = if error.use_stderr() { &mut *io.stderr } else { &mut *io.stdout };
            let _ = stream.write_all(rendered.as_bytes());
            return if error.use_stderr() { exit::UNUSABLE } else { exit::SUCCESS };
        }
    };
    let outcome = match cli.command {
        Command::Render(args) => render::render(&args, io),
        Command::Run(args) => run::run(&args, io),
        Command::Serve(args) => serve::serve(&args),
        Command::Convert(args) => convert::convert(&args, io),
        Command::Version => version::version(io),
        Command::Completion(args) => version::completion(&args, io),
    };
    match outcome {
        Ok(status) => status,
        Err(failure) => {
            let _ = writeln!(io.stderr, "error: {}", failure.message);
            failure.status
        }
    }
}

fn describe_input_error(error: &runtime::InputError) -> String {
    match (&error.file, error.line) {
        (Some(file), Some(line)) => format!("{file}:{line}: {}", error.message),
        (Some(file), None) => format!("{file}: {}", error.message),
        _ => error.message.clone(),
    }
}
