//! Helpers for the generic handlers' tests.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value as Json;

use crate::task::{Task, TypedValue};

/// A task of `topic` whose variables are the fields of `vars`, each with its natural type.
pub fn task(topic: &str, vars: Json) -> Task {
    let variables = match vars {
        Json::Object(map) => map
            .iter()
            .map(|(name, value)| (name.clone(), TypedValue::from_json(value)))
            .collect(),
        _ => Default::default(),
    };
    Task {
        id: "task-1".to_owned(),
        topic_name: topic.to_owned(),
        variables,
        ..Task::default()
    }
}

/// A new empty folder under the system's temporary folder.
pub fn temp_dir(name: &str) -> PathBuf {
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "procos-generic-{name}-{}-{}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a temporary folder");
    dir
}
