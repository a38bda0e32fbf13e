//! `render`: a composition to the Secrets it leaves in the cluster, with
//! `crossplane composition render`'s command line (crossplane/cli's
//! `cmd/crossplane/render/xr/cmd.go`): its positionals, and its flags with
//! their short forms, each doing what it does there where it applies here.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::files::Files;
use super::runtime_args::RuntimeArgs;
use super::{Failure, Io, describe_input_error, exit};
use crate::protocol;
use crate::runtime::{self, ContextEntry, File, RenderOptions, RenderRequest};

pub const EXAMPLE: &str = "\
Examples:
  # Seed scenario A, as a table:
  function-connection-details render examples/aws-iam/xr.yaml examples/aws-iam/composition.yaml \\
    --observed-resources examples/aws-iam/observed.yaml --secrets examples/aws-iam/secrets.yaml \\
    --xrd examples/aws-iam/xrd.yaml --claim examples/aws-iam/claim.yaml --format table

  # A crossplane render command line, FUNCTIONS and short flags included:
  function-connection-details render xr.yaml composition.yaml functions.yaml -o observed.yaml -e required.yaml -r

  # The RunFunctionRequest Crossplane would send this function's step, for run or another host:
  function-connection-details render xr.yaml composition.yaml --format request > request.json
  function-connection-details run --input request.json";

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The composite resource (XR): a file with one document; - reads
    /// standard input.
    #[arg(value_name = "XR")]
    composite: PathBuf,

    /// The Composition: a file with one document, Pipeline or legacy.
    #[arg(value_name = "COMPOSITION")]
    composition: PathBuf,

    /// crossplane render's Functions (a file or folder): checked to list
    /// the Function of this function's step (--function-name); render runs
    /// this function itself and no other, so nothing is pulled or started.
    #[arg(value_name = "FUNCTIONS")]
    functions: Option<PathBuf>,

    /// Composed resources as Crossplane observes them (repeatable).
    #[arg(short = 'o', long, value_name = "PATH", help_heading = "Inputs, as crossplane render reads them")]
    observed_resources: Vec<PathBuf>,

    /// Objects that answer the function's requirements (repeatable);
    /// --extra-resources is the older name.
    #[arg(
        short = 'e',
        long,
        visible_alias = "extra-resources",
        value_name = "PATH",
        help_heading = "Inputs, as crossplane render reads them"
    )]
    required_resources: Vec<PathBuf>,

    /// The CompositeResourceDefinition: its connectionSecretKeys filter a
    /// legacy XR's secret, as Crossplane filters it.
    #[arg(long, value_name = "PATH", help_heading = "Inputs, as crossplane render reads them")]
    xrd: Option<PathBuf>,

    /// A context key and a file holding its JSON or YAML value, for the
    /// pipeline's context (repeatable).
    #[arg(long, value_name = "KEY=FILE", value_parser = key_value::<PathBuf>, help_heading = "Inputs, as crossplane render reads them")]
    context_files: Vec<(String, PathBuf)>,

    /// A context key and its JSON or YAML value (repeatable); wins over
    /// --context-files for the same key.
    #[arg(long, value_name = "KEY=VALUE", value_parser = key_value::<String>, help_heading = "Inputs, as crossplane render reads them")]
    context_values: Vec<(String, String)>,

    /// Also print the context the function returns, as a Context document
    /// (its keys, in a table).
    #[arg(short = 'c', long, help_heading = "Inputs, as crossplane render reads them")]
    include_context: bool,

    /// Secrets in the cluster, such as the composed resources' connection
    /// Secrets (repeatable). crossplane render has no such input; here it
    /// is what the connection details are read from.
    #[arg(long, value_name = "PATH", help_heading = "Inputs of this render")]
    secrets: Vec<PathBuf>,

    /// The claim, whose connection secret Crossplane also writes.
    #[arg(long, value_name = "PATH", help_heading = "Inputs of this render")]
    claim: Option<PathBuf>,

    /// The functionRef name of this function's pipeline step.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "function-connection-details",
        help_heading = "Inputs of this render"
    )]
    function_name: String,

    /// yaml: a YAML stream of the objects, then Explanation, Result,
    /// Condition and Readiness documents. json: the same as a JSON array.
    /// table: listings with byte counts, never values. request: the
    /// RunFunctionRequest Crossplane would send this function's step, as
    /// protojson (what run reads); request-proto: the same as protobuf.
    #[arg(long, value_enum, default_value_t = OutputFormat::Yaml, help_heading = "Output")]
    format: OutputFormat,

    /// Changes nothing: render always prints the function's results.
    #[arg(short = 'r', long, help_heading = "Output")]
    include_function_results: bool,

    #[command(flatten)]
    ignored: Ignored,

    #[command(flatten)]
    runtime: RuntimeArgs,
}

/// Flags of crossplane render that have no meaning here: accepted, so that
/// its command lines run, and each named as ignored when given.
#[derive(Debug, Args)]
#[command(next_help_heading = "Accepted from crossplane render, ignored here")]
struct Ignored {
    /// Ignored: render prints the Secrets a composition leaves, not the XR.
    #[arg(short = 'x', long)]
    include_full_xr: bool,

    /// Ignored: this function reads no credentials.
    #[arg(long, value_name = "PATH")]
    function_credentials: Option<PathBuf>,

    /// Ignored: this function asks for no schemas.
    #[arg(short = 's', long, value_name = "DIR")]
    required_schemas: Option<PathBuf>,

    /// Ignored: no Function runs in Docker here.
    #[arg(short = 'a', long, value_name = "KEY=VALUE")]
    function_annotations: Vec<String>,

    /// Ignored: each call is limited by --cpu-limit-ms instead.
    #[arg(long, value_name = "DURATION")]
    timeout: Option<String>,

    /// Ignored: render runs Crossplane's publishing built in, not a
    /// Crossplane image or binary.
    #[arg(long, value_name = "VERSION")]
    crossplane_version: Option<String>,

    /// Ignored, as --crossplane-version.
    #[arg(long, value_name = "IMAGE")]
    crossplane_image: Option<String>,

    /// Ignored, as --crossplane-version.
    #[arg(long, value_name = "PATH")]
    crossplane_binary: Option<PathBuf>,

    /// Ignored: give FUNCTIONS instead of a project.
    #[arg(short = 'f', long, value_name = "PATH")]
    project_file: Option<PathBuf>,

    /// Ignored: nothing is pulled.
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,

    /// Ignored: nothing is built.
    #[arg(long, value_name = "N")]
    max_concurrency: Option<u32>,
}

impl Ignored {
    /// `note: --flag is ignored here: why` for each flag given.
    fn notes(&self) -> Vec<String> {
        let given = [
            (self.include_full_xr, "--include-full-xr", "render prints the Secrets a composition leaves, not the XR"),
            (self.function_credentials.is_some(), "--function-credentials", "this function reads no credentials"),
            (self.required_schemas.is_some(), "--required-schemas", "this function asks for no schemas"),
            (!self.function_annotations.is_empty(), "--function-annotations", "no Function runs in Docker here"),
            (self.timeout.is_some(), "--timeout", "each call is limited by --cpu-limit-ms instead"),
            (self.crossplane_version.is_some(), "--crossplane-version", "Crossplane's publishing is built in"),
            (self.crossplane_image.is_some(), "--crossplane-image", "Crossplane's publishing is built in"),
            (self.crossplane_binary.is_some(), "--crossplane-binary", "Crossplane's publishing is built in"),
            (self.project_file.is_some(), "--project-file", "give FUNCTIONS instead of a project"),
            (self.cache_dir.is_some(), "--cache-dir", "nothing is pulled"),
            (self.max_concurrency.is_some(), "--max-concurrency", "nothing is built"),
        ];
        given
            .iter()
            .filter(|(set, ..)| *set)
            .map(|(_, flag, why)| format!("note: {flag} is ignored here: {why}"))
            .collect()
    }
}

/// `KEY=VALUE`, split at the first `=`.
fn key_value<T: From<String>>(text: &str) -> Result<(String, T), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), T::from(value.to_owned()))),
        _ => Err(format!("expected KEY=VALUE, as crossplane render takes it (got {text:?})")),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    Yaml,
    Json,
    Table,
    Request,
    RequestProto,
}

pub fn render(args: &RenderArgs, io: &mut Io<'_>) -> Result<u8, Failure> {
    let mut notes = args.ignored.notes();
    if args.include_function_results {
        notes.push("note: --include-function-results changes nothing here: render always prints the results".into());
    }
    for note in notes {
        let _ = writeln!(io.stderr, "{note}");
    }
    let request = read(args, &mut Files::new(io.stdin))?;
    let runtime = args.runtime.load(1)?;
    let format = match args.format {
        OutputFormat::Yaml => runtime::OutputFormat::Yaml,
        OutputFormat::Json => runtime::OutputFormat::Json,
        OutputFormat::Table => runtime::OutputFormat::Table,
        OutputFormat::Request | OutputFormat::RequestProto => {
            return write_request(&runtime, &request, args.format == OutputFormat::RequestProto, io);
        }
    };
    let rendered = match runtime::block_on(runtime.render(&request, format)) {
        Ok(Ok(rendered)) => rendered,
        Ok(Err(unusable)) => return Err(Failure::unusable(describe_input_error(&unusable))),
        Err(limit_or_trap) => return Err(Failure { status: exit::FATAL_RESULT, message: limit_or_trap.to_string() }),
    };
    io.stdout
        .write_all(rendered.output.as_bytes())
        .map_err(|error| Failure::unusable(format!("cannot write the output: {error}")))?;
    Ok(if rendered.fatal { exit::FATAL_RESULT } else { exit::SUCCESS })
}

/// Every file the arguments name, standard input at most once.
fn read(args: &RenderArgs, files: &mut Files<'_>) -> Result<RenderRequest, Failure> {
    let mut context = Vec::new();
    for (key, path) in &args.context_files {
        context.push(ContextEntry { key: key.clone(), value: files.file(path, "--context-files")? });
    }
    for (key, value) in &args.context_values {
        let value = File { name: format!("--context-values {key}"), text: value.clone() };
        context.push(ContextEntry { key: key.clone(), value });
    }
    let functions = args.functions.as_slice();
    Ok(RenderRequest {
        composite: files.file(&args.composite, "XR")?,
        composition: files.file(&args.composition, "COMPOSITION")?,
        observed_resources: files.paths(&args.observed_resources, "--observed-resources")?,
        secrets: files.paths(&args.secrets, "--secrets")?,
        required_resources: files.paths(&args.required_resources, "--required-resources")?,
        xrd: args.xrd.as_deref().map(|path| files.file(path, "--xrd")).transpose()?,
        claim: args.claim.as_deref().map(|path| files.file(path, "--claim")).transpose()?,
        function_name: args.function_name.clone(),
        options: Some(RenderOptions {
            functions: files.paths(functions, "FUNCTIONS")?,
            context,
            include_context: args.include_context,
        }),
    })
}

/// The RunFunctionRequest of this function's step, as protojson or
/// protobuf.
fn write_request(
    runtime: &runtime::Runtime,
    request: &RenderRequest,
    proto: bool,
    io: &mut Io<'_>,
) -> Result<u8, Failure> {
    let bytes = match runtime::block_on(runtime.function_request(request)) {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(unusable)) => return Err(Failure::unusable(describe_input_error(&unusable))),
        Err(limit_or_trap) => return Err(Failure { status: exit::FATAL_RESULT, message: limit_or_trap.to_string() }),
    };
    let written = if proto {
        io.stdout.write_all(&bytes)
    } else {
        let json = protocol::request_to_json(&bytes).map_err(|error| Failure::unusable(error.to_string()))?;
        writeln!(io.stdout, "{json}")
    };
    written.map_err(|error| Failure::unusable(format!("cannot write the request: {error}")))?;
    Ok(exit::SUCCESS)
}
