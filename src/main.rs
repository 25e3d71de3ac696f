//! The `procos` binary: a BPMN engine that serves Camunda 7's engine-rest API.

mod cli;
mod config;
mod deploy;
mod logging;
mod serve;
mod watch;
mod worker;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
