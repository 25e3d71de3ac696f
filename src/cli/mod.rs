//! Command-line interface.

mod validate;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::config::{Config, LogFormat, ServeArgs};

/// procos: a native BPMN 2.0 engine that speaks Camunda 7's REST API.
#[derive(Debug, Parser)]
#[command(name = "procos", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the engine and serve Camunda's REST API under /engine-rest.
    Serve(Box<ServeArgs>),
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
    /// Run a bundled external-task worker against procos or Camunda 7.
    Worker {
        /// `ai` (OpenAI and Ollama) or `generic` (HTTP, email, validation, transforms,
        /// files, system topics).
        #[arg(value_enum)]
        kind: crate::worker::Kind,
        #[command(flatten)]
        args: crate::worker::WorkerArgs,
        /// Log format [default: text].
        #[arg(long, env = "PROCOS_LOG_FORMAT", value_enum)]
        log_format: Option<LogFormat>,
    },
    /// Deploy BPMN files to a running server through its REST API.
    Deploy {
        /// BPMN files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The server's REST API.
        #[arg(
            long,
            env = "PROCOS_URL",
            default_value = "http://127.0.0.1:8080/engine-rest"
        )]
        url: String,
        /// Deployment name [default: the file name].
        #[arg(long)]
        name: Option<String>,
    },
}

/// Runs the command the user asked for.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Validate { files, json } => validate::run(&files, json),
        Command::Serve(args) => {
            let config = Config::load(&args)?;
            crate::logging::init(config.log_format);
            runtime()?.block_on(crate::serve::run(config))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Worker {
            kind,
            args,
            log_format,
        } => {
            crate::logging::init(log_format.unwrap_or(LogFormat::Text));
            runtime()?.block_on(crate::worker::run(kind, args))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Deploy { files, url, name } => {
            crate::logging::init(LogFormat::Text);
            runtime()?.block_on(crate::deploy::run(&url, &files, name))
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    // TLS for outgoing HTTPS (deploy to a remote server, the bundled workers).
    let _ = rustls::crypto::ring::default_provider().install_default();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}
