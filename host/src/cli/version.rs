//! `version` (and `--version`): what this binary is, down to the component
//! it embeds; and `completion`: shell completion scripts, from clap's own
//! generator.

use clap::{Args, CommandFactory};

use super::{Cli, Failure, Io, exit};

/// `-V`: the version and the commit.
pub const SHORT: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("FCD_GIT_COMMIT"), ")");

/// `--version` and `version`: the version, the commit it was built from
/// (`-dirty` when it had uncommitted changes), the embedded component's
/// SHA-256 digest and size (the digest the compiled-code cache and the
/// playground show), and the wasmtime that runs it.
pub const LONG: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    "\ncommit:    ",
    env!("FCD_GIT_COMMIT"),
    "\ncomponent: sha256:",
    env!("FCD_COMPONENT_SHA256"),
    " (",
    env!("FCD_COMPONENT_BYTES"),
    " bytes)\nwasmtime:  ",
    env!("FCD_WASMTIME_VERSION"),
);

pub fn version(io: &mut Io<'_>) -> Result<u8, Failure> {
    writeln!(io.stdout, "function-connection-details {LONG}")
        .map_err(|error| Failure::unusable(format!("cannot write: {error}")))?;
    Ok(exit::SUCCESS)
}

pub const COMPLETION_EXAMPLE: &str = "\
Install (each shell loads completions from its own place):
  bash:        function-connection-details completion bash > ~/.local/share/bash-completion/completions/function-connection-details
  zsh:         function-connection-details completion zsh > \"${fpath[1]}/_function-connection-details\"
  fish:        function-connection-details completion fish > ~/.config/fish/completions/function-connection-details.fish
  PowerShell:  function-connection-details completion powershell >> $PROFILE";

#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

pub fn completion(args: &CompletionArgs, io: &mut Io<'_>) -> Result<u8, Failure> {
    let mut command = Cli::command();
    // clap_complete panics when its writer fails; a buffer cannot, and
    // writing it out reports a closed pipe like any other output.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "function-connection-details", &mut script);
    io.stdout.write_all(&script).map_err(|error| Failure::unusable(format!("cannot write: {error}")))?;
    Ok(exit::SUCCESS)
}
