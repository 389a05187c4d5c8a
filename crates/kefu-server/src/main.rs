//! The `kefu-server` binary: parses the command line, then runs the escalation server until
//! Ctrl-C or SIGTERM.

use std::process::ExitCode;

use anyhow::Context as _;
use kefu_server::{Command, Config, USAGE};

/// The exit status for a command line that cannot be understood, as is conventional for Unix tools.
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let config = match Config::from_args(std::env::args().skip(1)) {
        Ok(Command::Help) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Command::Run(config)) => config,
        Err(err) => {
            eprintln!("kefu-server: {err}\nRun `kefu-server --help` for usage.");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    match run(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("kefu-server: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(config: Config) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("could not start the async runtime")?;
    runtime.block_on(kefu_server::run(config))?;
    Ok(())
}
