//! Configuration of `procos serve`, layered: built-in defaults, then an optional TOML
//! file, then `PROCOS_*` environment variables, then command-line flags (clap reads the
//! last two).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use serde::Deserialize;

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// `procos serve` flags; every flag also reads a `PROCOS_*` variable.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to serve the REST API on [default: 127.0.0.1:8080].
    #[arg(long, env = "PROCOS_BIND")]
    pub bind: Option<SocketAddr>,
    /// Store: `postgres://user@host/db` or `sqlite://path` [default: SQLite in the data
    /// directory].
    #[arg(long, env = "PROCOS_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Folder whose BPMN files are deployed at start and whenever they change
    /// [default: ./processes].
    #[arg(long, env = "PROCOS_PROCESSES")]
    pub processes: Option<PathBuf>,
    /// Folder for the embedded database [default: ./data].
    #[arg(long, env = "PROCOS_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Log format [default: text].
    #[arg(long, env = "PROCOS_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    /// A TOML configuration file with the same settings (snake_case keys).
    #[arg(long, env = "PROCOS_CONFIG")]
    pub config: Option<PathBuf>,
    /// Largest accepted request body in bytes [default: 16 MiB].
    #[arg(long, env = "PROCOS_MAX_BODY_BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Database connections per node (PostgreSQL) [default: 16].
    #[arg(long, env = "PROCOS_DB_CONNECTIONS")]
    pub db_connections: Option<u32>,
}

/// The same settings as they appear in the configuration file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    bind: Option<SocketAddr>,
    database_url: Option<String>,
    processes: Option<PathBuf>,
    data_dir: Option<PathBuf>,
    log_format: Option<LogFormat>,
    max_body_bytes: Option<usize>,
    db_connections: Option<u32>,
}

/// The effective configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// REST address.
    pub bind: SocketAddr,
    /// Store URL.
    pub database_url: String,
    /// Watched processes folder.
    pub processes: PathBuf,
    /// Data folder.
    pub data_dir: PathBuf,
    /// Log format.
    pub log_format: LogFormat,
    /// Request body limit.
    pub max_body_bytes: usize,
    /// Pool size.
    pub db_connections: u32,
}

impl Config {
    /// Merges flags and environment (already in `args`) over the file over defaults.
    pub fn load(args: &ServeArgs) -> anyhow::Result<Config> {
        let file = match &args.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let data_dir = args
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("data"));
        let database_url = args
            .database_url
            .clone()
            .or(file.database_url)
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("procos.db").display()));
        if !(database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://")
            || database_url.starts_with("sqlite:"))
        {
            bail!(
                "--database-url must start with postgres:// or sqlite://, got '{}'",
                redact(&database_url)
            );
        }
        Ok(Config {
            bind: args
                .bind
                .or(file.bind)
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
            database_url,
            processes: args
                .processes
                .clone()
                .or(file.processes)
                .unwrap_or_else(|| PathBuf::from("processes")),
            data_dir,
            log_format: args
                .log_format
                .or(file.log_format)
                .unwrap_or(LogFormat::Text),
            max_body_bytes: args
                .max_body_bytes
                .or(file.max_body_bytes)
                .unwrap_or(16 * 1024 * 1024),
            db_connections: args.db_connections.or(file.db_connections).unwrap_or(16),
        })
    }
}

fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the configuration file {}", path.display()))?;
    toml::from_str(&text)
        .with_context(|| format!("the configuration file {} is not valid", path.display()))
}

/// The URL with its password replaced, for logs.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_the_log() {
        assert_eq!(
            redact("postgres://app:secret@db:5432/procos"),
            "postgres://app:***@db:5432/procos"
        );
        assert_eq!(
            redact("postgres://app@db/procos"),
            "postgres://app@db/procos"
        );
        assert_eq!(redact("sqlite://data/procos.db"), "sqlite://data/procos.db");
    }
}
