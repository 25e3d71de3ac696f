//! The processes folder: every `.bpmn` / `.bpmn20.xml` file is deployed at start and
//! again whenever its content changes.
//!
//! The folder is polled once a second rather than watched with inotify: it works the
//! same on every filesystem (network shares, container volumes), costs nothing, and
//! makes the "never deploy a half-written file" rule easy: a changed file is deployed
//! only once its size and modification time have stayed the same for a whole poll.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use procos_engine::service::deploy::is_bpmn_resource;
use procos_engine::service::{DeployRequest, Engine, ServiceError};
use tokio::sync::watch;

/// The deployment source recorded for files from the folder.
pub const SOURCE: &str = "procos processes folder";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
}

/// What the watcher knows about one file.
#[derive(Debug, Default)]
struct Seen {
    /// The stamp at the last poll.
    stamp: Option<Stamp>,
    /// The stamp of the content last deployed (or found invalid).
    handled: Option<Stamp>,
}

/// Deploys every BPMN file of `dir` now; returns how many were deployed or unchanged.
pub async fn deploy_all(engine: &Engine, dir: &Path) -> usize {
    let mut ok = 0;
    for path in bpmn_files(dir) {
        if deploy_file(engine, &path).await {
            ok += 1;
        }
    }
    ok
}

/// Polls `dir` until `stop` fires.
pub async fn run(engine: Arc<Engine>, dir: PathBuf, mut stop: watch::Receiver<bool>) {
    let mut seen: HashMap<PathBuf, Seen> = HashMap::new();
    // Files deployed at start count as handled.
    for path in bpmn_files(&dir) {
        let stamp = stamp(&path);
        seen.insert(
            path,
            Seen {
                stamp,
                handled: stamp,
            },
        );
    }
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
        for path in bpmn_files(&dir) {
            let now = stamp(&path);
            let entry = seen.entry(path.clone()).or_default();
            let settled = now.is_some() && now == entry.stamp;
            entry.stamp = now;
            if settled && entry.handled != now {
                entry.handled = now;
                deploy_file(&engine, &path).await;
            }
        }
        seen.retain(|p, _| p.exists());
    }
}

fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some(Stamp {
        len: meta.len(),
        modified: meta.modified().ok(),
    })
}

fn bpmn_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(is_bpmn_resource)
        })
        .collect();
    files.sort();
    files
}

/// Deploys one file; logs the outcome. Returns false when the file is invalid or could
/// not be deployed.
async fn deploy_file(engine: &Engine, path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("process.bpmn")
        .to_owned();
    let content = match std::fs::read(path) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(file = %path.display(), error = %e, "cannot read a process file");
            return false;
        }
    };
    let request = DeployRequest {
        name: Some(name.clone()),
        source: Some(SOURCE.to_owned()),
        tenant_id: None,
        duplicate_filtering: true,
        changed_only: true,
        resources: vec![(name.clone(), content)],
    };
    match engine.deploy(request).await {
        Ok(result) => {
            match &result.definitions {
                None => tracing::debug!(file = %name, "unchanged; nothing deployed"),
                Some(defs) => {
                    for d in defs {
                        tracing::info!(file = %name, key = %d.key, version = d.version, "deployed");
                    }
                }
            }
            for (_, w) in &result.warnings {
                tracing::warn!(file = %name, "{w}");
            }
            true
        }
        Err(ServiceError::Parse { rejected, .. }) => {
            for e in &rejected.errors {
                tracing::error!(file = %name, "{e}");
            }
            tracing::error!(file = %name, errors = rejected.errors.len(), "not deployed: the file is invalid");
            false
        }
        Err(e) => {
            tracing::error!(file = %name, error = %e, "not deployed");
            false
        }
    }
}
