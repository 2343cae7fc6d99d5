//! The `esmlog` binary: parse the command line, dispatch, turn the outcome into an exit code
//! (0 ok, 1 findings, 2 error).

use clap::{CommandFactory, Parser};
use esmlog::cli::{Cli, Command};
use esmlog::cmd::{self, Status};
use esmlog::messages;
use std::process::ExitCode;

fn main() -> ExitCode {
    // The config file's settings join the command line before it is parsed, so that they
    // are checked like typed flags.
    let args = match esmlog::settings::with_config(std::env::args_os().collect(), &Cli::command()) {
        Ok(args) => args,
        Err(e) => {
            messages::error(&e.to_string());
            return ExitCode::from(2);
        }
    };
    let cli = Cli::parse_from(args);
    messages::configure(cli.quiet, cli.color);
    if cli.no_redact {
        // Before any input is read: problems and names are redacted as they are read.
        esmlog::redact::set_enabled(false);
        messages::warn(
            "--no-redact: secrets in the logs (bearer tokens, JWTs, passwords, API keys) are printed as they are; do not share this output",
        );
    }
    let outcome = match &cli.command {
        Command::Weekly(args) => cmd::weekly::run(args),
        Command::Monthly(args) => cmd::monthly::run(args),
        Command::Calls(args) => cmd::calls::run(args),
        Command::Check(args) => cmd::check::run(args),
        Command::Rejections(args) => cmd::rejections::run(args),
        Command::Export(args) => cmd::export::run(args),
        Command::Generate(args) => cmd::generate::run(args),
        Command::Report(args) => cmd::report::run(args),
        Command::Watch(args) => cmd::watch::run(args),
        Command::Completions(args) => cmd::shell::completions(args),
        Command::Man => cmd::shell::man(),
    };
    match outcome {
        Err(e) => {
            messages::error(&e.to_string());
            ExitCode::from(2)
        }
        Ok(_) if messages::errored() => ExitCode::from(2),
        Ok(Status::Findings) => ExitCode::from(1),
        Ok(Status::Clean) => ExitCode::SUCCESS,
    }
}
