//! `convert`: a Composition's connection details onto this function, by
//! editing the file.

use std::path::PathBuf;

use clap::Args;

use super::files::{self, Files};
use super::runtime_args::RuntimeArgs;
use super::{Failure, Io, describe_input_error, exit};
use crate::runtime::{self, ConvertRequest};

pub const EXAMPLE: &str = "\
Examples:
  function-connection-details convert examples/aws-iam-legacy-composition/composition.yaml \\
    --xrd examples/aws-iam-legacy-composition/xrd.yaml > composition-v2.yaml
  function-connection-details convert --in-place examples/pt-migration/composition-pt.yaml
  cat composition.yaml | function-connection-details convert - --output-file composition-v2.yaml

The file is edited, not written anew: comments, key order, quoting, blank
lines and other documents stay byte for byte; only what moves changes, and
what moves keeps its own text. What changed goes to standard error, one
line each; the file goes to standard output, to --output-file, or back to
itself with --in-place. A file with nothing to convert is printed unchanged
(and --in-place leaves it alone), and says so.

The input convert writes for this function's step is checked as the
function will check it in the cluster. A problem (a misspelled field or
type in the moved connection details, a patch the function does not take)
is reported at its file, line and field path in the source, and nothing is
written: fix the source and run convert again, or give --force to write it
anyway, marked with a comment above the step.";

pub const EXIT_CODES: &str = "\
Exit status:
  0  converted, or nothing to convert
  1  the function would refuse the converted input; nothing written (with
     --force: written, marked)
  2  unusable arguments or files (the message names which)";

#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// The file holding the Composition (one or more documents; each
    /// Composition in it is converted, the rest stays as it is); - reads
    /// standard input.
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

    /// Write the converted file here instead of to standard output.
    #[arg(long, value_name = "FILE", conflicts_with = "in_place")]
    output_file: Option<PathBuf>,

    /// Replace COMPOSITION with the converted file (a temporary file beside
    /// it, renamed over it), as sed -i and yq -i do.
    #[arg(long)]
    in_place: bool,

    /// Write the converted file even when the function would refuse its
    /// input, with a comment above the step naming each problem; the exit
    /// status is still 1.
    #[arg(long)]
    force: bool,

    #[command(flatten)]
    runtime: RuntimeArgs,
}

pub fn convert(args: &ConvertArgs, io: &mut Io<'_>) -> Result<u8, Failure> {
    if args.in_place && files::is_stdin(&args.composition) {
        return Err(Failure::unusable("--in-place needs a file to replace, not standard input (-); use --output-file"));
    }
    let mut inputs = Files::new(io.stdin);
    let request = ConvertRequest {
        composition: inputs.file(&args.composition, "COMPOSITION")?,
        xrd: args.xrd.as_deref().map(|xrd| inputs.file(xrd, "--xrd")).transpose()?,
        function_name: args.function_name.clone(),
        force: args.force,
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
    for problem in &converted.problems {
        let _ = writeln!(io.stderr, "error: {problem}");
    }
    let refused = !converted.problems.is_empty();
    if refused && !args.force {
        let _ = writeln!(
            io.stderr,
            "error: the function would refuse the converted input ({} problem{}); nothing was written. Fix {} and \
             run convert again, or give --force to write it marked",
            converted.problems.len(),
            if converted.problems.len() == 1 { "" } else { "s" },
            request.composition.name,
        );
        return Ok(exit::FATAL_RESULT);
    }
    let output = converted.output.as_bytes();
    match (&args.output_file, args.in_place) {
        (Some(path), _) => files::replace(path, output)?,
        (None, true) if converted.changed => files::replace(&args.composition, output)?,
        (None, true) => {}
        (None, false) => {
            io.stdout.write_all(output).map_err(|error| Failure::unusable(format!("cannot write: {error}")))?;
        }
    }
    Ok(if refused { exit::FATAL_RESULT } else { exit::SUCCESS })
}
