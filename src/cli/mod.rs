//! Command-line interface.

mod validate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// procos: a native BPMN 2.0 engine that speaks Camunda 7's REST API.
#[derive(Debug, Parser)]
#[command(name = "procos", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check BPMN files: list the processes each defines, or every problem found.
    ///
    /// Exits with 0 only when every file is valid.
    Validate {
        /// BPMN files (`.bpmn`, `.bpmn20.xml`).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print the report as JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// Runs the command the user asked for.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Validate { files, json } => validate::run(&files, json),
    }
}
