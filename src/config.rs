//! Configuration of `procos serve`, layered: built-in defaults, then an optional TOML
//! file, then `PROCOS_*` environment variables, then command-line flags (clap reads the
//! last two).

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

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
    /// Turns on HTTP basic authentication for these users: `user:password,user2:password2`
    /// [default: off]. The value is never shown or logged.
    #[arg(long, env = "PROCOS_AUTH_USERS", hide_env_values = true)]
    pub auth_users: Option<Secret>,
    /// Origins allowed by CORS, comma-separated, `*` for any [default: CORS off].
    #[arg(long, env = "PROCOS_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Seconds between history clean-ups, which remove finished instances' history once
    /// their `camunda:historyTimeToLive` has passed; 0 turns them off [default: 300].
    #[arg(long, env = "PROCOS_HISTORY_CLEANUP_INTERVAL")]
    pub history_cleanup_interval: Option<u64>,
    /// The root process: after deploying, start the latest version of this process key
    /// unless an instance of it is already running [default: none].
    #[arg(long, env = "PROCOS_ROOT_PROCESS")]
    pub root_process: Option<String>,
    /// On SIGTERM, correlate this message to the root process instance before draining
    /// [default: none].
    #[arg(long, env = "PROCOS_SHUTDOWN_MESSAGE")]
    pub shutdown_message: Option<String>,
    /// The `system_mode` variable the root process starts with [default: production].
    #[arg(long, env = "PROCOS_SYSTEM_MODE")]
    pub system_mode: Option<String>,
    /// Also run the bundled workers (AI and generic) in this process, polling this
    /// server over loopback; they read their settings as `procos worker` does.
    #[arg(long, env = "PROCOS_WITH_WORKERS")]
    pub with_workers: bool,
}

/// Text that must never be shown: `Debug` writes `***`. clap keeps `--auth-users` as
/// one, because clap's own error for a value it cannot parse repeats the value; procos
/// parses it in [`Config::load`] with a message that does not.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Secret(text.to_owned()))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A user of HTTP basic authentication (`[[users]]` in the configuration file).
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// The user name.
    pub name: String,
    /// The password.
    pub password: String,
}

// By hand, so that the password never reaches a log or an error message.
impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("name", &self.name)
            .field("password", &"***")
            .finish()
    }
}

/// The users of `--auth-users`: `user:password` pairs separated by commas. A password
/// may contain `:` (the first one separates the name) but not `,`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Users(pub Vec<User>);

impl FromStr for Users {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut users = Vec::new();
        for (i, entry) in text.split(',').map(str::trim).enumerate() {
            if entry.is_empty() {
                continue;
            }
            // The message names the entry by position only: it must not echo a password.
            match entry.split_once(':') {
                Some((name, password)) if !name.is_empty() && !password.is_empty() => {
                    users.push(User {
                        name: name.to_owned(),
                        password: password.to_owned(),
                    })
                }
                _ => {
                    return Err(format!(
                        "entry {} is not user:password (both parts are needed)",
                        i + 1
                    ))
                }
            }
        }
        Ok(Users(users))
    }
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
    users: Option<Vec<User>>,
    cors_origins: Option<Vec<String>>,
    history_cleanup_interval: Option<u64>,
    root_process: Option<String>,
    shutdown_message: Option<String>,
    system_mode: Option<String>,
    with_workers: Option<bool>,
    /// The bundled workers' tables, read by `procos worker` and `--with-workers`
    /// (`src/worker.rs`); accepted here so one file configures everything.
    #[serde(rename = "ai")]
    _ai: Option<toml::Table>,
    /// See `_ai`.
    #[serde(rename = "generic")]
    _generic: Option<toml::Table>,
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
    /// Basic-authentication users; empty means authentication is off.
    pub users: Vec<User>,
    /// CORS origins; empty means CORS is off.
    pub cors_origins: Vec<String>,
    /// Seconds between history clean-ups; 0 = never.
    pub history_cleanup_interval: u64,
    /// The process key started at boot unless already running.
    pub root_process: Option<String>,
    /// The message correlated to the root instance on SIGTERM.
    pub shutdown_message: Option<String>,
    /// The root process's `system_mode` variable.
    pub system_mode: String,
    /// Run the bundled workers in-process.
    pub with_workers: bool,
    /// The configuration file, which the bundled workers read too.
    pub config_file: Option<PathBuf>,
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
            users: match &args.auth_users {
                Some(secret) => {
                    secret
                        .0
                        .parse::<Users>()
                        .map_err(|e| anyhow::anyhow!("--auth-users (PROCOS_AUTH_USERS): {e}"))?
                        .0
                }
                None => file.users.unwrap_or_default(),
            },
            cors_origins: if args.cors_origins.is_empty() {
                file.cors_origins.unwrap_or_default()
            } else {
                args.cors_origins.clone()
            },
            history_cleanup_interval: args
                .history_cleanup_interval
                .or(file.history_cleanup_interval)
                .unwrap_or(300),
            root_process: args.root_process.clone().or(file.root_process),
            shutdown_message: args.shutdown_message.clone().or(file.shutdown_message),
            system_mode: args
                .system_mode
                .clone()
                .or(file.system_mode)
                .unwrap_or_else(|| "production".to_owned()),
            with_workers: args.with_workers || file.with_workers.unwrap_or(false),
            config_file: args.config.clone(),
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

    #[test]
    fn auth_users_parse_without_echoing_passwords() {
        let users: Users = "demo:demo, ops:a:b:c,".parse().unwrap();
        assert_eq!(
            users.0,
            vec![
                User {
                    name: "demo".into(),
                    password: "demo".into()
                },
                User {
                    name: "ops".into(),
                    password: "a:b:c".into()
                },
            ]
        );
        let e = "demo:secret,oops".parse::<Users>().unwrap_err();
        assert_eq!(e, "entry 2 is not user:password (both parts are needed)");
        assert!("demo:".parse::<Users>().is_err());
        assert!(!format!("{users:?}").contains("a:b:c"));
    }

    #[test]
    fn users_and_origins_come_from_the_file_unless_given() {
        let file: FileConfig = toml::from_str(
            "cors_origins = [\"http://a\"]\n[[users]]\nname = \"demo\"\npassword = \"pw\"\n",
        )
        .unwrap();
        assert_eq!(
            file.users,
            Some(vec![User {
                name: "demo".into(),
                password: "pw".into()
            }])
        );
        assert_eq!(file.cors_origins, Some(vec!["http://a".to_owned()]));
        let dir = std::env::temp_dir().join(format!("procos-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("procos.toml");
        std::fs::write(
            &path,
            "cors_origins = [\"http://a\"]\n[[users]]\nname = \"demo\"\npassword = \"pw\"\n",
        )
        .unwrap();
        let mut args = ServeArgs {
            bind: None,
            database_url: None,
            processes: None,
            data_dir: None,
            log_format: None,
            config: Some(path),
            max_body_bytes: None,
            db_connections: None,
            auth_users: None,
            cors_origins: Vec::new(),
            history_cleanup_interval: None,
            root_process: None,
            shutdown_message: None,
            system_mode: None,
            with_workers: false,
        };
        let config = Config::load(&args).unwrap();
        assert_eq!(config.users.len(), 1);
        assert_eq!(config.cors_origins, ["http://a"]);
        args.auth_users = Some(Secret("x:y".into()));
        args.cors_origins = vec!["*".into()];
        let config = Config::load(&args).unwrap();
        assert_eq!(config.users[0].name, "x");
        assert_eq!(config.cors_origins, ["*"]);
        args.auth_users = Some(Secret("x:topsecret,oops".into()));
        let e = Config::load(&args).unwrap_err().to_string();
        assert!(!e.contains("topsecret"), "{e}");
        assert!(!format!("{args:?}").contains("topsecret"));
        std::fs::remove_dir_all(&dir).ok();
    }
}
