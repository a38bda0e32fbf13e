//! The command line: `render`, `run`, `serve` and `convert`, sharing the runtime
//! options defined here.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::runtime::{self, ConvertRequest, File, Limits, RenderRequest, RunError, Runtime, Settings};
use crate::{protocol, server};

const EXIT_CODES: &str = "\
Exit status:
  0  the function ran and reported no FATAL result
  1  the function reported a FATAL result (the output is still printed)
  2  unusable arguments, files or requests (the message names which)";

const RENDER_EXAMPLE: &str = "\
Example (seed scenario A, as a table):
  function-connection-details render examples/aws-iam/xr.yaml examples/aws-iam/composition.yaml \\
    --observed-resources examples/aws-iam/observed.yaml --secrets examples/aws-iam/secrets.yaml \\
    --xrd examples/aws-iam/xrd.yaml --claim examples/aws-iam/claim.yaml -o table";

const SERVE_EXAMPLE: &str = "\
Examples:
  function-connection-details serve --insecure --address 127.0.0.1:9443
  function-connection-details serve --tls-certs-dir /tls/server   # tls.crt, tls.key, ca.crt

On SIGTERM or Ctrl-C the server stops listening, answers new calls UNAVAILABLE,
turns its health checks NOT_SERVING and finishes the calls in flight (for at
most 25 seconds, inside Kubernetes' default grace period of 30).

Exit status: 0 after a clean shutdown; 2 when the server cannot start.";

const CONVERT_EXAMPLE: &str = "\
Examples:
  function-connection-details convert examples/aws-iam-legacy-composition/composition.yaml \\
    --xrd examples/aws-iam-legacy-composition/xrd.yaml -o composition-v2.yaml
  function-connection-details convert examples/pt-migration/composition-pt.yaml

What changed goes to standard error, one line each; the Composition goes to
standard output or -o FILE. A Composition with nothing to convert is printed
unchanged, and says so.

Exit status:
  0  converted, or nothing to convert
  2  unusable arguments or files (the message names which)";

const RUN_EXAMPLE: &str = "\
Example:
  function-connection-details run --input examples/requests/scenario-a.json";

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
#[command(name = "function-connection-details", version, after_help = EXIT_CODES)]
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
    #[command(after_help = EXIT_CODES, after_long_help = with_exit_codes(RENDER_EXAMPLE))]
    Render(RenderArgs),

    /// Run one RunFunctionRequest through the function and print its response.
    ///
    /// Reads protojson (the JSON mapping of protobuf: lowerCamelCase field
    /// names, bytes in base64, enums by name) or, with --format proto, binary
    /// protobuf, and writes the RunFunctionResponse in the same format.
    #[command(after_help = EXIT_CODES, after_long_help = with_exit_codes(RUN_EXAMPLE))]
    Run(RunArgs),

    /// Serve the function to Crossplane over gRPC until SIGTERM or Ctrl-C.
    ///
    /// Speaks apiextensions.fn.proto.v1 FunctionRunnerService (Crossplane
    /// 1.17 and later, and v2) with the flags, mTLS, health checks,
    /// reflection, metrics and JSON logs of Crossplane's Rust function SDK.
    /// Each request runs in a fresh sandbox under the memory and CPU limits
    /// below; a request that exceeds them gets a FATAL result and the
    /// server goes on serving.
    #[command(after_long_help = SERVE_EXAMPLE)]
    Serve(ServeArgs),

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
    /// name, name and namespace. Every other step and field stays.
    #[command(after_long_help = CONVERT_EXAMPLE)]
    Convert(ConvertArgs),
}

#[derive(Debug, Args)]
struct ConvertArgs {
    /// The Composition: a file with one document.
    #[arg(value_name = "COMPOSITION")]
    composition: PathBuf,

    /// The CompositeResourceDefinition: its connectionSecretKeys become the
    /// allow-list, and its apiVersion and scope say whether the XRs are
    /// Crossplane v2 ones.
    #[arg(long, value_name = "PATH")]
    xrd: Option<PathBuf>,

    /// The functionRef name of this function's pipeline step.
    #[arg(long, value_name = "NAME", default_value = "function-connection-details")]
    function_name: String,

    /// Write the Composition here instead of to standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,

    #[command(flatten)]
    runtime: RuntimeArgs,
}

#[derive(Debug, Args)]
struct ServeArgs {
    #[command(flatten)]
    sdk: server::SdkArgs,

    /// How many requests run in the component at once; more wait their turn.
    #[arg(long, value_name = "N", default_value_t = default_concurrency())]
    max_concurrent_calls: usize,

    #[command(flatten)]
    runtime: RuntimeArgs,
}

/// Two calls per core keep every core busy while one call waits on memory.
fn default_concurrency() -> usize {
    std::thread::available_parallelism().map_or(2, |cores| cores.get() * 2)
}

#[derive(Debug, Args)]
struct RunArgs {
    /// The request file; - reads standard input.
    #[arg(long, short, value_name = "FILE", default_value = "-")]
    input: PathBuf,

    /// The wire format of the request and of the response.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,

    #[command(flatten)]
    runtime: RuntimeArgs,
}

#[derive(Debug, Args)]
struct RenderArgs {
    /// The composite resource (XR): a file with one document.
    #[arg(value_name = "XR")]
    composite: PathBuf,

    /// The Composition: a file with one document.
    #[arg(value_name = "COMPOSITION")]
    composition: PathBuf,

    /// Composed resources as Crossplane observes them (repeatable).
    #[arg(long, value_name = "PATH")]
    observed_resources: Vec<PathBuf>,

    /// Secrets in the cluster, such as the composed resources' connection
    /// Secrets (repeatable).
    #[arg(long, value_name = "PATH")]
    secrets: Vec<PathBuf>,

    /// Objects that answer the function's requirements (repeatable).
    #[arg(long, value_name = "PATH")]
    required_resources: Vec<PathBuf>,

    /// The CompositeResourceDefinition, for its connectionSecretKeys.
    #[arg(long, value_name = "PATH")]
    xrd: Option<PathBuf>,

    /// The claim, whose connection secret Crossplane also writes.
    #[arg(long, value_name = "PATH")]
    claim: Option<PathBuf>,

    /// The functionRef name of this function's pipeline step.
    #[arg(long, value_name = "NAME", default_value = "function-connection-details")]
    function_name: String,

    /// yaml: a YAML stream of the objects, then Result documents. json: the
    /// same as a JSON array. table: listings with byte counts, never values.
    #[arg(short, long, value_enum, default_value_t = OutputFormat::Yaml)]
    output: OutputFormat,

    #[command(flatten)]
    runtime: RuntimeArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    Yaml,
    Json,
    Table,
}

impl From<OutputFormat> for runtime::OutputFormat {
    fn from(format: OutputFormat) -> Self {
        match format {
            OutputFormat::Yaml => Self::Yaml,
            OutputFormat::Json => Self::Json,
            OutputFormat::Table => Self::Table,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// protojson, as `crossplane render` tooling writes it.
    Json,
    /// Binary protobuf, as on the gRPC wire.
    Proto,
}

/// How the component is loaded and limited.
#[derive(Debug, Args)]
struct RuntimeArgs {
    /// Run this build of the component instead of the one embedded at build
    /// time (for example target/component-build/wasm32-wasip2/component/connection_details.wasm).
    #[arg(long, value_name = "PATH")]
    component: Option<PathBuf>,

    /// Linear memory one request may use, in MiB. A request that asks for
    /// more ends with a FATAL result.
    #[arg(long, value_name = "MIB", default_value_t = Limits::DEFAULT_MEMORY_MIB)]
    memory_limit_mib: usize,

    /// Time one request may spend running the component, in milliseconds
    /// (counted in 10 ms ticks). A request that runs longer ends with a
    /// FATAL result.
    #[arg(long, value_name = "MS", default_value_t = Limits::DEFAULT_CPU_MILLIS)]
    cpu_limit_ms: u64,

    /// Compile the component at every start instead of keeping compiled
    /// code in $XDG_CACHE_HOME/function-connection-details (else
    /// ~/.cache/function-connection-details). Without a writable cache
    /// folder every start compiles anyway, which takes a few seconds.
    #[arg(long)]
    no_cache: bool,
}

impl RuntimeArgs {
    /// What the flags ask for, for `concurrent_calls` calls at once.
    fn settings(&self, concurrent_calls: usize) -> Settings {
        Settings {
            limits: Limits {
                memory_bytes: self.memory_limit_mib.saturating_mul(1024 * 1024),
                cpu_time: Duration::from_millis(self.cpu_limit_ms),
            },
            concurrent_calls,
            compiled_cache: if self.no_cache { None } else { runtime::default_cache_dir() },
        }
    }

    fn load(&self, concurrent_calls: usize) -> Result<Runtime, Failure> {
        let settings = self.settings(concurrent_calls);
        match &self.component {
            Some(path) => Runtime::from_file(path, &settings),
            None => Runtime::embedded(&settings),
        }
        .map_err(|error| Failure::unusable(format!("cannot load the component: {error}")))
    }
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
        Command::Render(args) => render(&args, io),
        Command::Run(args) => run(&args, io),
        Command::Serve(args) => serve(&args),
        Command::Convert(args) => convert(&args, io),
    };
    match outcome {
        Ok(status) => status,
        Err(failure) => {
            let _ = writeln!(io.stderr, "error: {}", failure.message);
            failure.status
        }
    }
}

fn run(args: &RunArgs, io: &mut Io<'_>) -> Result<u8, Failure> {
    let source = display_source(&args.input);
    let raw = read_input(&args.input, io)?;
    let request = match args.format {
        Format::Proto => raw,
        Format::Json => {
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
        Format::Proto => io.stdout.write_all(&response),
        Format::Json => {
            let json = protocol::response_to_json(&response).map_err(|error| Failure::unusable(error.to_string()))?;
            writeln!(io.stdout, "{json}")
        }
    };
    written.map_err(|error| Failure::unusable(format!("cannot write the response: {error}")))?;
    Ok(if protocol::summarize(&response).fatal { exit::FATAL_RESULT } else { exit::SUCCESS })
}

fn serve(args: &ServeArgs) -> Result<u8, Failure> {
    function_sdk_rust::logging::configure(args.sdk.debug);
    // Compile before listening, so a bad --component fails at once.
    let runtime = args.runtime.load(args.max_concurrent_calls)?;
    let function = server::ConnectionDetailsFunction::new(runtime);
    let executor = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| Failure::unusable(format!("cannot start the async runtime: {error}")))?;
    executor
        .block_on(server::serve(function, &args.sdk))
        .map_err(|error| Failure::unusable(format!("cannot serve: {error}")))?;
    Ok(exit::SUCCESS)
}

fn render(args: &RenderArgs, io: &mut Io<'_>) -> Result<u8, Failure> {
    let request = RenderRequest {
        composite: read_file(&args.composite)?,
        composition: read_file(&args.composition)?,
        observed_resources: read_paths(&args.observed_resources)?,
        secrets: read_paths(&args.secrets)?,
        required_resources: read_paths(&args.required_resources)?,
        xrd: args.xrd.as_deref().map(read_file).transpose()?,
        claim: args.claim.as_deref().map(read_file).transpose()?,
        function_name: args.function_name.clone(),
    };
    let runtime = args.runtime.load(1)?;
    let rendered = match runtime::block_on(runtime.render(&request, args.output.into())) {
        Ok(Ok(rendered)) => rendered,
        Ok(Err(unusable)) => return Err(Failure::unusable(describe_input_error(&unusable))),
        Err(limit_or_trap) => return Err(Failure { status: exit::FATAL_RESULT, message: limit_or_trap.to_string() }),
    };
    io.stdout
        .write_all(rendered.output.as_bytes())
        .map_err(|error| Failure::unusable(format!("cannot write the output: {error}")))?;
    Ok(if rendered.fatal { exit::FATAL_RESULT } else { exit::SUCCESS })
}

fn convert(args: &ConvertArgs, io: &mut Io<'_>) -> Result<u8, Failure> {
    let request = ConvertRequest {
        composition: read_file(&args.composition)?,
        xrd: args.xrd.as_deref().map(read_file).transpose()?,
        function_name: args.function_name.clone(),
    };
    let runtime = args.runtime.load(1)?;
    let converted = match runtime::block_on(runtime.convert(&request)) {
        Ok(Ok(converted)) => converted,
        Ok(Err(unusable)) => return Err(Failure::unusable(describe_input_error(&unusable))),
        Err(limit_or_trap) => return Err(Failure::unusable(limit_or_trap.to_string())),
    };
    for note in &converted.notes {
        let _ = writeln!(io.stderr, "{note}");
    }
    let written = match &args.output {
        Some(path) => std::fs::write(path, &converted.output)
            .map_err(|error| format!("{}: cannot write: {error}", path.display())),
        None => io.stdout.write_all(converted.output.as_bytes()).map_err(|error| format!("cannot write: {error}")),
    };
    written.map_err(Failure::unusable)?;
    Ok(exit::SUCCESS)
}

fn describe_input_error(error: &runtime::InputError) -> String {
    match (&error.file, error.line) {
        (Some(file), Some(line)) => format!("{file}:{line}: {}", error.message),
        (Some(file), None) => format!("{file}: {}", error.message),
        _ => error.message.clone(),
    }
}

/// Each PATH's files: the file itself, or a folder's .yaml and .yml files in
/// name order.
fn read_paths(paths: &[PathBuf]) -> Result<Vec<File>, Failure> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = std::fs::read_dir(path)
                .map_err(|error| Failure::unusable(format!("{}: cannot list: {error}", path.display())))?;
            let mut yaml_files: Vec<PathBuf> = entries
                .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .filter(|file| file.is_file() && file.extension().is_some_and(|ext| ext == "yaml" || ext == "yml"))
                .collect();
            yaml_files.sort();
            for file in yaml_files {
                files.push(read_file(&file)?);
            }
        } else {
            files.push(read_file(path)?);
        }
    }
    Ok(files)
}

fn read_file(path: &Path) -> Result<File, Failure> {
    let bytes =
        std::fs::read(path).map_err(|error| Failure::unusable(format!("{}: cannot read: {error}", path.display())))?;
    let text =
        String::from_utf8(bytes).map_err(|_| Failure::unusable(format!("{}: not UTF-8 text", path.display())))?;
    Ok(File { name: path.display().to_string(), text })
}

fn read_input(path: &Path, io: &mut Io<'_>) -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    let read = if is_stdin(path) {
        io.stdin.read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::read(path).map(|content| bytes = content)
    };
    read.map_err(|error| Failure::unusable(format!("{}: cannot read: {error}", display_source(path))))?;
    Ok(bytes)
}

fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

fn display_source(path: &Path) -> String {
    if is_stdin(path) { "standard input".to_owned() } else { path.display().to_string() }
}
