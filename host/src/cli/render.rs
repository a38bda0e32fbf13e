//! `render`: a composition to the Secrets it leaves in the cluster.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::files::Files;
use super::runtime_args::RuntimeArgs;
use super::{Failure, Io, describe_input_error, exit};
use crate::runtime::{self, RenderRequest};

pub const EXAMPLE: &str = "\
Example (seed scenario A, as a table):
  function-connection-details render examples/aws-iam/xr.yaml examples/aws-iam/composition.yaml \\
    --observed-resources examples/aws-iam/observed.yaml --secrets examples/aws-iam/secrets.yaml \\
    --xrd examples/aws-iam/xrd.yaml --claim examples/aws-iam/claim.yaml --format table";

#[derive(Debug, Args)]
pub struct RenderArgs {
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
    #[arg(long, value_enum, default_value_t = OutputFormat::Yaml)]
    format: OutputFormat,

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

pub fn render(args: &RenderArgs, io: &mut Io<'_>) -> Result<u8, Failure> {
    let mut files = Files::new(io.stdin);
    let request = RenderRequest {
        composite: files.file(&args.composite, "XR")?,
        composition: files.file(&args.composition, "COMPOSITION")?,
        observed_resources: files.paths(&args.observed_resources, "--observed-resources")?,
        secrets: files.paths(&args.secrets, "--secrets")?,
        required_resources: files.paths(&args.required_resources, "--required-resources")?,
        xrd: args.xrd.as_deref().map(|path| files.file(path, "--xrd")).transpose()?,
        claim: args.claim.as_deref().map(|path| files.file(path, "--claim")).transpose()?,
        function_name: args.function_name.clone(),
    };
    let runtime = args.runtime.load(1)?;
    let rendered = match runtime::block_on(runtime.render(&request, args.format.into())) {
        Ok(Ok(rendered)) => rendered,
        Ok(Err(unusable)) => return Err(Failure::unusable(describe_input_error(&unusable))),
        Err(limit_or_trap) => return Err(Failure { status: exit::FATAL_RESULT, message: limit_or_trap.to_string() }),
    };
    io.stdout
        .write_all(rendered.output.as_bytes())
        .map_err(|error| Failure::unusable(format!("cannot write the output: {error}")))?;
    Ok(if rendered.fatal { exit::FATAL_RESULT } else { exit::SUCCESS })
}
