//! `quired`: the Quire validator application and its command line (the
//! library `quired` holds everything; this is its entry point).

use clap::Parser;
use quired::cli::{self, Cli};

fn main() -> std::process::ExitCode {
    // The client config gives flag defaults, so it is read first.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Err(error) = cli::client_config::init(&args) {
        // Only the client commands read it: a broken client file must not
        // stop a node from starting (nor `quired config` from saying so).
        if cli::client_config::is_client_command(&args) {
            eprintln!("error: client config: {}", cli::error_line(&error));
            return std::process::ExitCode::FAILURE;
        }
        eprintln!(
            "warning: client config ignored: {}",
            cli::error_line(&error)
        );
    }
    let cli = Cli::parse_from(args);
    let result = cli.run();
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", cli::error_line(&error));
            if std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0") {
                eprintln!("\n{error:?}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}
