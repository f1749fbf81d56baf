//! `integra`: main → try_main → exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    integra::cli::main()
}
