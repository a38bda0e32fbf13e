use std::process::ExitCode;

use function_connection_details::cli::{Io, main_with};

fn main() -> ExitCode {
    // Unlocked handles, which lock per write: `serve` logs from other
    // threads, and a lock held here for the whole run would block them.
    let mut io = Io { stdin: &mut std::io::stdin(), stdout: &mut std::io::stdout(), stderr: &mut std::io::stderr() };
    ExitCode::from(main_with(std::env::args_os(), &mut io))
}
