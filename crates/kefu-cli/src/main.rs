//! The `kefu` command: compile, check and search Kefu knowledge bases; read tickets and reports.

mod args;
mod kb;
mod serve;
mod terminal;
mod tickets;

use std::process::ExitCode;

use crate::args::{Command, USAGE, UsageError};

fn main() -> ExitCode {
    let command = match args::parse(std::env::args_os().skip(1).collect()) {
        Ok(command) => command,
        Err(UsageError(message)) => {
            eprintln!("error: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(command) {
        Ok(code) => code,
        // Output piped into `head` closes early; that is the reader's choice, not a failure.
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Help => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Version => {
            println!("kefu {}", env!("CARGO_PKG_VERSION"));
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { kb_dir } => kb::check(&kb_dir),
        Command::Build {
            kb_dir,
            output,
            stats,
        } => kb::build(&kb_dir, &output, stats),
        Command::Search(search_args) => kb::search(&search_args),
        Command::Data(data_args) => tickets::run(&data_args),
        Command::Synonyms {
            kb_dir,
            learned_only,
        } => kb::synonyms(&kb_dir, learned_only),
        Command::Serve(serve_args) => serve::serve(&serve_args),
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
