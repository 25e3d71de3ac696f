//! `procos serve`: boots in phases (store, schema, processes, job executor, API), each
//! logged, and drains on SIGTERM.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use procos_engine::service::instances::RootProcess;
use procos_engine::service::messages::Correlate;
use procos_engine::service::{Engine, EngineConfig, SystemClock};
use procos_engine::store::{self, StoreKind};
use procos_engine::value::{Value, Variables};
use procos_rest::RestConfig;

use crate::config::{redact, Config};
use crate::watch;
use crate::worker;

/// Runs the server until SIGTERM or Ctrl-C.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let started = Instant::now();
    tracing::info!(
        bind = %config.bind,
        database = %redact(&config.database_url),
        processes = %config.processes.display(),
        data_dir = %config.data_dir.display(),
        "procos {} starting",
        env!("CARGO_PKG_VERSION")
    );

    tracing::info!(phase = "store", "opening the store");
    if config.database_url.starts_with("sqlite:") {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!(
                "cannot create the data directory {}",
                config.data_dir.display()
            )
        })?;
    }
    let store = store::connect(&config.database_url, config.db_connections)
        .await
        .with_context(|| format!("cannot open the store {}", redact(&config.database_url)))?;

    tracing::info!(phase = "schema", "applying schema migrations");
    store.migrate().await.context("cannot migrate the schema")?;

    let engine = Engine::new(
        store.clone(),
        Arc::new(SystemClock),
        EngineConfig::default(),
    );

    tracing::info!(phase = "deploy", folder = %config.processes.display(), "deploying the processes folder");
    let deployed = watch::deploy_all(&engine, &config.processes).await;
    tracing::info!(files = deployed, "processes folder deployed");

    let root_instance = match &config.root_process {
        Some(key) => start_root_process(&engine, key, &config.system_mode).await,
        None => None,
    };

    tracing::info!(phase = "jobs", "starting the job executor");
    let jobs = tokio::spawn(engine.clone().run_job_executor());
    let cleanup = (config.history_cleanup_interval > 0).then(|| {
        tokio::spawn(
            engine
                .clone()
                .run_history_cleanup(std::time::Duration::from_secs(
                    config.history_cleanup_interval,
                )),
        )
    });
    let listener_task = (store.kind() == StoreKind::Postgres).then(|| {
        tokio::spawn(procos_engine::service::notify::listen(
            config.database_url.clone(),
            engine.wakeups().clone(),
            engine.shutdown_signal(),
        ))
    });
    let watcher = tokio::spawn(watch::run(
        engine.clone(),
        config.processes.clone(),
        engine.shutdown_signal(),
    ));

    // Who may log in is worth a line; what their passwords are is not.
    tracing::info!(
        phase = "serve",
        auth = if config.users.is_empty() { "off" } else { "basic" },
        users = %config.users.iter().map(|u| u.name.as_str()).collect::<Vec<_>>().join(","),
        cors = %config.cors_origins.join(","),
        "serving the REST API"
    );
    let app = procos_rest::app(
        engine.clone(),
        RestConfig {
            max_body_bytes: config.max_body_bytes,
            users: config
                .users
                .iter()
                .map(|u| (u.name.clone(), u.password.clone()))
                .collect(),
            cors_origins: config.cors_origins.clone(),
            ..RestConfig::default()
        },
    );
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("cannot listen on {}", config.bind))?;
    // The address actually bound: with port 0 the system picks one, and whoever started
    // the server (tests, scripts) learns it from this line.
    let bound = listener.local_addr().unwrap_or(config.bind);
    tracing::info!(
        phase = "ready",
        url = %format!("http://{bound}/engine-rest"),
        ms = started.elapsed().as_millis() as u64,
        "ready"
    );
    let workers = if config.with_workers {
        start_workers(&config, bound)?
    } else {
        None
    };
    let drain_engine = engine.clone();
    let shutdown_message = config.shutdown_message.clone();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            if let (Some(message), Some(instance)) = (shutdown_message, root_instance) {
                send_shutdown_message(&drain_engine, &message, &instance).await;
                if workers.is_some() {
                    // The root process's shutdown path may need the bundled workers.
                    wait_for_end(&drain_engine, &instance, ROOT_SHUTDOWN_GRACE).await;
                }
            }
            if let Some((stop, running)) = workers {
                // The workers report what they finish while the API still answers.
                tracing::info!("stopping the bundled workers");
                stop.send(true).ok();
                for worker in running {
                    worker.await.ok();
                }
            }
            tracing::info!("stopping: no new work; answering waiting long polls");
            drain_engine.drain();
        })
        .await
        .context("the HTTP server failed")?;

    tracing::info!("finishing running jobs");
    jobs.await.ok();
    if let Some(c) = cleanup {
        c.await.ok();
    }
    watcher.await.ok();
    if let Some(l) = listener_task {
        l.await.ok();
    }
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// The bundled workers, polling this server over loopback: a stop switch and their tasks.
type RunningWorkers = (
    tokio::sync::watch::Sender<bool>,
    Vec<tokio::task::JoinHandle<()>>,
);

/// `--with-workers`: the AI and generic workers run in this process and poll this server
/// over loopback, as separate `procos worker` processes would.
fn start_workers(
    config: &Config,
    bound: std::net::SocketAddr,
) -> anyhow::Result<Option<RunningWorkers>> {
    let host = if bound.ip().is_unspecified() {
        std::net::SocketAddr::from(([127, 0, 0, 1], bound.port()))
    } else {
        bound
    };
    let url = format!("http://{host}/engine-rest");
    // With authentication on, the workers log in as the first configured user.
    let login = config
        .users
        .first()
        .map(|u| (u.name.clone(), u.password.clone()));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut running = Vec::new();
    for kind in [worker::Kind::Ai, worker::Kind::Generic] {
        let args = worker::WorkerArgs {
            engine_url: None,
            worker_id: None,
            max_tasks: None,
            config: config.config_file.clone(),
        };
        let built = worker::build(kind, &args, Some((&url, login.clone())))?;
        let stopped = stopped.clone();
        running.push(tokio::spawn(async move {
            if let Err(e) = built.run(stopped).await {
                tracing::error!(error = %e, "a bundled worker stopped");
            }
        }));
    }
    tracing::info!(phase = "workers", "bundled workers polling over loopback");
    Ok(Some((stop, running)))
}

/// The microkernel's phase after deploying: the root process runs, started now unless an
/// instance already runs (on this node or another one sharing the database). A failure
/// is logged, not fatal: the API still serves, and the operator can start it by hand.
async fn start_root_process(engine: &Engine, key: &str, system_mode: &str) -> Option<String> {
    tracing::info!(phase = "root", process = key, "starting the root process");
    let startup_time = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let mut variables = Variables::new();
    variables.set("system_mode", Value::String(system_mode.to_owned()));
    variables.set(
        "kernel_version",
        Value::String(env!("CARGO_PKG_VERSION").to_owned()),
    );
    variables.set("startup_time", Value::Long(startup_time));
    match engine.ensure_running(key, variables).await {
        Ok(RootProcess::Started(id)) => {
            tracing::info!(process = key, instance = %id, "root process started");
            Some(id)
        }
        Ok(RootProcess::AlreadyRunning(id)) => {
            tracing::info!(process = key, instance = %id, "root process already running");
            Some(id)
        }
        Err(e) => {
            tracing::error!(process = key, error = %e, "cannot start the root process");
            None
        }
    }
}

/// How long the bundled workers keep serving the root process's shutdown path.
const ROOT_SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(15);

/// Waits until the instance `id` has ended, at most `grace`.
async fn wait_for_end(engine: &Engine, id: &str, grace: std::time::Duration) {
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        match engine.instance(id).await {
            Ok((_, state)) if !state.is_ended() => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            _ => {
                tracing::info!(instance = id, "the root process has ended");
                return;
            }
        }
    }
    tracing::warn!(
        instance = id,
        seconds = grace.as_secs(),
        "the root process did not end within the shutdown grace period; stopping anyway"
    );
}

/// Tells the root process that the system shuts down, before the node drains.
async fn send_shutdown_message(engine: &Engine, message: &str, instance: &str) {
    let correlate = Correlate {
        message: message.to_owned(),
        instance_id: Some(instance.to_owned()),
        ..Correlate::default()
    };
    match engine.correlate(&correlate).await {
        Ok(_) => tracing::info!(
            message,
            instance,
            "shutdown message delivered to the root process"
        ),
        Err(e) => {
            tracing::warn!(message, instance, error = %e, "the root process did not take the shutdown message")
        }
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        tokio::signal::ctrl_c().await.ok();
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
