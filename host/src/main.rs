use std::process::ExitCode;

use function_connection_details::cli::{Io, main_with};

fn main() -> ExitCode {
    let (stdin, stdout, stderr) = (std::io::stdin(), std::io::stdout(), std::io::stderr());
    let mut io = Io { stdin: &mut stdin.lock(), stdout: &mut stdout.lock(), stderr: &mut stderr.lock() };
    ExitCode::from(main_with(std::env::args_os(), &mut io))
}
