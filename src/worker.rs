//! `procos worker ai` and `procos worker generic`: the bundled external-task workers,
//! polling the REST API of procos (or of Camunda 7), and the same workers run inside
//! `procos serve --with-workers`.
//!
//! Settings come from the environment (the original ProcOS names: `CAMUNDA_URL`,
//! `WORKER_ID`, `AI_WORKER_MAX_TASKS`, `OPENAI_API_KEY`, ...), laid over the `[ai]` or
//! `[generic]` table of the configuration file, with the flags on top.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use procos_workers::client::{Auth, ClientConfig, TopicOptions, Worker};
use procos_workers::Handler;
use serde::Deserialize;
use tokio::sync::watch;

/// Which bundled worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// AI queries through OpenAI and Ollama.
    Ai,
    /// HTTP requests, email, validation, transforms, files and the system topics.
    Generic,
}

impl Kind {
    /// The prefix of the worker's environment variables (`AI_WORKER_ID`, `WORKER_ID`).
    fn env_prefix(self) -> &'static str {
        match self {
            Kind::Ai => "AI_",
            Kind::Generic => "",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Ai => "ai",
            Kind::Generic => "generic",
        }
    }
}

/// Flags of `procos worker`.
#[derive(Debug, Clone, clap::Args)]
pub struct WorkerArgs {
    /// The engine's REST API, with or without `/engine-rest`
    /// [env: PROCOS_ENGINE_URL, CAMUNDA_URL or CAMUNDA_BASE_URL;
    /// default: http://localhost:8080/engine-rest].
    #[arg(long)]
    pub engine_url: Option<String>,
    /// The worker id the engine records on locked tasks [env: WORKER_ID, AI_WORKER_ID].
    #[arg(long)]
    pub worker_id: Option<String>,
    /// Most tasks fetched at once and run concurrently [env: WORKER_MAX_TASKS,
    /// AI_WORKER_MAX_TASKS].
    #[arg(long)]
    pub max_tasks: Option<u32>,
    /// A TOML configuration file; the worker reads its `[ai]` or `[generic]` table.
    #[arg(long, env = "PROCOS_CONFIG")]
    pub config: Option<PathBuf>,
}

/// The worker tables of the configuration file (other tables are `procos serve`'s).
#[derive(Debug, Default, Deserialize)]
struct WorkerFile {
    ai: Option<procos_workers::ai::AiConfig>,
    generic: Option<procos_workers::generic::GenericConfig>,
}

fn read_file(path: Option<&PathBuf>) -> anyhow::Result<WorkerFile> {
    let Some(path) = path else {
        return Ok(WorkerFile::default());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the configuration file {}", path.display()))?;
    let table: toml::Table =
        toml::from_str(&text).with_context(|| format!("{} is not valid TOML", path.display()))?;
    let mut file = WorkerFile::default();
    if let Some(ai) = table.get("ai") {
        file.ai = Some(
            ai.clone()
                .try_into()
                .with_context(|| format!("the [ai] table of {}", path.display()))?,
        );
    }
    if let Some(generic) = table.get("generic") {
        file.generic = Some(
            generic
                .clone()
                .try_into()
                .with_context(|| format!("the [generic] table of {}", path.display()))?,
        );
    }
    Ok(file)
}

/// The topics and handlers of `kind`, configured from the file and the environment.
fn handlers(
    kind: Kind,
    file: WorkerFile,
    engine: Option<(&str, Option<(String, String)>)>,
) -> anyhow::Result<Vec<(String, Arc<dyn Handler>)>> {
    let env = |name: &str| std::env::var(name).ok();
    Ok(match kind {
        Kind::Ai => {
            let config = file
                .ai
                .unwrap_or_default()
                .with_env_from(env)
                .context("AI worker settings")?;
            procos_workers::ai::handlers(&config)
        }
        Kind::Generic => {
            let mut config = file
                .generic
                .unwrap_or_default()
                .with_env_from(env)
                .context("generic worker settings")?;
            // The system topics call the engine the worker polls.
            if let Some((url, login)) = engine {
                config.engine_url = Some(url.to_owned());
                config.engine_token = None;
                config.engine_username = login.as_ref().map(|(user, _)| user.clone());
                config.engine_password =
                    login.map(|(_, password)| procos_workers::generic::Secret::new(password));
            }
            procos_workers::generic::handlers(&config)
        }
    })
}

/// Builds the worker of `kind`. `engine` (URL and basic-auth login) overrides the
/// engine of the flags and environment: `procos serve --with-workers` points the
/// workers at itself.
pub fn build(
    kind: Kind,
    args: &WorkerArgs,
    engine: Option<(&str, Option<(String, String)>)>,
) -> anyhow::Result<Worker> {
    let mut client = ClientConfig::from_env(kind.env_prefix())
        .with_context(|| format!("{} worker settings", kind.name()))?;
    if let Some(url) = &args.engine_url {
        client.base_url = url.clone();
    }
    if let Some((url, login)) = &engine {
        client.base_url = (*url).to_owned();
        client.auth = match login.clone() {
            Some((user, password)) => Auth::Basic { user, password },
            None => Auth::None,
        };
    }
    if let Some(id) = &args.worker_id {
        client.worker_id = id.clone();
    } else if std::env::var(format!("{}WORKER_ID", kind.env_prefix())).is_err() {
        client.worker_id = format!("procos-{}-{}", kind.name(), std::process::id());
    }
    if let Some(n) = args.max_tasks {
        client.max_tasks = n;
        client.max_in_flight = n as usize;
    }
    client
        .validate()
        .with_context(|| format!("{} worker settings", kind.name()))?;
    let base_url = client.base_url.clone();
    let handlers = handlers(kind, read_file(args.config.as_ref())?, engine)?;
    let mut worker = Worker::new(client).context("cannot build the engine client")?;
    for (topic, handler) in handlers {
        worker.subscribe(topic, handler, TopicOptions::default());
    }
    tracing::info!(
        worker = kind.name(),
        engine = %redact_url(&base_url),
        topics = %worker.topics().join(","),
        "worker subscribed"
    );
    Ok(worker)
}

/// `procos worker KIND`: runs until SIGTERM or Ctrl-C, then finishes or unlocks what it
/// holds.
pub async fn run(kind: Kind, args: WorkerArgs) -> anyhow::Result<()> {
    let worker = build(kind, &args, None)?;
    let (stop, stopped) = watch::channel(false);
    tokio::spawn(async move {
        crate::serve::shutdown_signal().await;
        tracing::info!("stopping: finishing running tasks, unlocking the others");
        stop.send(true).ok();
    });
    worker
        .run(stopped)
        .await
        .with_context(|| format!("the {} worker stopped", kind.name()))?;
    tracing::info!("stopped");
    Ok(())
}

/// The URL without credentials, for logs.
fn redact_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('@') {
            Some((_, host)) => format!("{scheme}://***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}
