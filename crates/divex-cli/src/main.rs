//! The `divex` binary: parses the command line, runs the command, and turns failures into a
//! message with a hint and a documented exit code (see `divex --help`).
#![forbid(unsafe_code)]

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use divex_cli::cli::Cli;
use divex_cli::error::{CliError, EXIT_USAGE};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // --help and --version print to stdout and exit 0; usage errors exit 2.
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(EXIT_USAGE));
        }
    };
    let json = cli.json;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match divex_cli::commands::run(cli, &mut out) {
        Ok(()) => {
            let _ = out.flush();
            ExitCode::SUCCESS
        }
        Err(e) => {
            let _ = out.flush();
            report(&e, json);
            ExitCode::from(e.exit_code())
        }
    }
}

fn report(e: &CliError, json: bool) {
    let mut err = std::io::stderr().lock();
    if json {
        let v = serde_json::json!({"error": {
            "code": e.code(),
            "exit_code": e.exit_code(),
            "message": e.to_string(),
            "hint": e.hint(),
        }});
        let _ = writeln!(err, "{v}");
    } else {
        let _ = writeln!(err, "error: {e}");
        if let Some(h) = e.hint() {
            let _ = writeln!(err, "  hint: {h}");
        }
    }
}
