//! `file_operation`: reads and writes files inside one configured folder (`FILES_DIR`).
//!
//! Inputs (the original names): `operation` (`read`, `write`, `delete`, `exists`, and
//! `list`), `file_path` (relative to the folder), `content` (for `write`: text; other
//! JSON is written as JSON text), `encoding` (`utf-8`, the default, or `base64` for
//! binary content).
//!
//! Outputs (the original names): `read` → `content`, `size`; `write` → `written`, `size`
//! (parent folders are created); `delete` → `deleted`, and `reason = "file_not_found"`
//! when there was nothing to delete; `exists` → `exists`, `is_file`, `is_dir`; `list` →
//! `entries` (Json list of `{name, is_dir, size}`), `count`.
//!
//! Confinement: absolute paths and any `..` are refused, and the path is canonicalized
//! (its deepest existing part, for a file yet to be written) and must stay inside the
//! canonical folder, so a symbolic link that leads outside is refused too. Refusals and
//! bad input fail the task with no retries.

use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};

use base64::Engine as _;
use serde_json::{json, Value as Json};

use super::common::{finish, Out, TaskError};
use crate::task::{Handler, Outcome, Task, TypedValue, Variables};

/// The topic.
pub const TOPIC: &str = "file_operation";

/// Serves `file_operation`.
pub struct FileOperationHandler {
    root: Option<PathBuf>,
    max_bytes: u64,
}

fn fatal(message: impl std::fmt::Display) -> TaskError {
    TaskError::Fatal(format!("file_operation: {message}"))
}

/// A path inside the folder, checked.
#[derive(Debug)]
struct Resolved {
    /// The canonical folder.
    root: PathBuf,
    /// The folder joined with the relative path, as named.
    named: PathBuf,
    /// Where it really is: the canonical path when it exists, else `named`.
    real: PathBuf,
    /// Whether something exists there.
    exists: bool,
}

/// Checks `rel` against `root` as the module docs describe.
fn resolve(root: &Path, rel: &str, allow_root: bool) -> Result<Resolved, TaskError> {
    let root = root
        .canonicalize()
        .map_err(|e| fatal(format!("FILES_DIR {}: {e}", root.display())))?;
    let rel = rel.trim();
    if rel.contains('\0') {
        return Err(fatal("file_path must not contain NUL"));
    }
    if rel.is_empty() && !allow_root {
        return Err(fatal("file_path is required"));
    }
    let path = Path::new(rel);
    for component in path.components() {
        match component {
            Component::Prefix(_) | Component::RootDir => {
                return Err(fatal(format!(
                    "file_path {rel:?} is absolute; give a path relative to FILES_DIR"
                )))
            }
            Component::ParentDir => {
                return Err(fatal(format!("file_path {rel:?} must not contain `..`")))
            }
            Component::CurDir | Component::Normal(_) => {}
        }
    }
    let named = root.join(path);
    let escape = || {
        fatal(format!(
            "file_path {rel:?} leads outside FILES_DIR (through a symbolic link)"
        ))
    };
    // The deepest part of the path that exists (perhaps the whole of it) must resolve
    // inside the folder; what does not exist yet cannot be a link.
    for ancestor in named.ancestors() {
        match std::fs::symlink_metadata(ancestor) {
            Ok(_) => {
                let canonical = ancestor.canonicalize().map_err(|_| escape())?;
                if !canonical.starts_with(&root) {
                    return Err(escape());
                }
                let exists = ancestor == named;
                return Ok(Resolved {
                    real: if exists { canonical } else { named.clone() },
                    root,
                    named,
                    exists,
                });
            }
            Err(e) if e.kind() == ErrorKind::NotFound => continue,
            Err(e) => return Err(fatal(format!("{rel}: {e}"))),
        }
    }
    Err(escape())
}

/// How `content` is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Utf8,
    Base64,
}

fn encoding(task: &Task) -> Result<Encoding, TaskError> {
    match task.text("encoding") {
        None => Ok(Encoding::Utf8),
        Some(e) => match e.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "" | "utf-8" | "utf8" => Ok(Encoding::Utf8),
            "base64" => Ok(Encoding::Base64),
            other => Err(fatal(format!(
                "unsupported encoding {other:?} (utf-8 or base64)"
            ))),
        },
    }
}

/// The inputs of one task.
#[derive(Debug)]
struct Job {
    operation: String,
    file_path: String,
    content: Option<Json>,
    encoding: Encoding,
}

impl FileOperationHandler {
    /// A handler confined to `root` (None: every task fails, asking for `FILES_DIR`),
    /// reading files of at most `max_bytes`.
    pub fn new(root: Option<PathBuf>, max_bytes: u64) -> FileOperationHandler {
        FileOperationHandler { root, max_bytes }
    }

    fn run(root: &Path, max_bytes: u64, job: &Job) -> Result<Variables, TaskError> {
        let rel = job.file_path.as_str();
        match job.operation.as_str() {
            "read" => {
                let r = resolve(root, rel, false)?;
                if !r.exists {
                    return Err(fatal(format!("{rel}: no such file")));
                }
                let meta = std::fs::metadata(&r.real).map_err(|e| fatal(format!("{rel}: {e}")))?;
                if !meta.is_file() {
                    return Err(fatal(format!("{rel} is not a file")));
                }
                if meta.len() > max_bytes {
                    return Err(fatal(format!(
                        "{rel} is {} bytes, more than the {max_bytes} allowed (FILES_MAX_BYTES)",
                        meta.len()
                    )));
                }
                let bytes = std::fs::read(&r.real).map_err(|e| fatal(format!("{rel}: {e}")))?;
                let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
                let content = match job.encoding {
                    Encoding::Utf8 => String::from_utf8(bytes).map_err(|_| {
                        fatal(format!(
                            "{rel} is not UTF-8 text; read it with encoding base64"
                        ))
                    })?,
                    Encoding::Base64 => base64::engine::general_purpose::STANDARD.encode(bytes),
                };
                Ok(Out::new()
                    .set("content", TypedValue::string(content))
                    .set("size", TypedValue::long(size))
                    .done())
            }
            "write" => {
                let content = match &job.content {
                    None | Some(Json::Null) => {
                        return Err(fatal("write needs the variable content"))
                    }
                    Some(Json::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                };
                let bytes = match job.encoding {
                    Encoding::Utf8 => content.into_bytes(),
                    Encoding::Base64 => base64::engine::general_purpose::STANDARD
                        .decode(content.trim())
                        .map_err(|e| fatal(format!("content is not valid base64: {e}")))?,
                };
                let r = resolve(root, rel, false)?;
                if r.exists && r.real.is_dir() {
                    return Err(fatal(format!("{rel} is a folder")));
                }
                if let Some(parent) = r.named.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| fatal(format!("{rel}: {e}")))?;
                    let parent = parent
                        .canonicalize()
                        .map_err(|e| fatal(format!("{rel}: {e}")))?;
                    if !parent.starts_with(&r.root) {
                        return Err(fatal(format!("file_path {rel:?} leads outside FILES_DIR")));
                    }
                }
                std::fs::write(&r.real, &bytes).map_err(|e| fatal(format!("{rel}: {e}")))?;
                Ok(Out::new()
                    .set("written", TypedValue::boolean(true))
                    .set(
                        "size",
                        TypedValue::long(i64::try_from(bytes.len()).unwrap_or(i64::MAX)),
                    )
                    .done())
            }
            "delete" => {
                let r = resolve(root, rel, false)?;
                if !r.exists {
                    return Ok(Out::new()
                        .set("deleted", TypedValue::boolean(false))
                        .set("reason", TypedValue::string("file_not_found"))
                        .done());
                }
                if r.real.is_dir() {
                    return Err(fatal(format!("{rel} is a folder; only files are deleted")));
                }
                // A link is removed itself, never what it points to.
                std::fs::remove_file(&r.named).map_err(|e| fatal(format!("{rel}: {e}")))?;
                Ok(Out::new().set("deleted", TypedValue::boolean(true)).done())
            }
            "exists" => {
                let r = resolve(root, rel, true)?;
                Ok(Out::new()
                    .set("exists", TypedValue::boolean(r.exists))
                    .set("is_file", TypedValue::boolean(r.exists && r.real.is_file()))
                    .set("is_dir", TypedValue::boolean(r.exists && r.real.is_dir()))
                    .done())
            }
            "list" => {
                let r = resolve(root, rel, true)?;
                if !r.exists || !r.real.is_dir() {
                    return Err(fatal(format!("{rel:?} is not a folder")));
                }
                let mut entries = Vec::new();
                for entry in std::fs::read_dir(&r.real).map_err(|e| fatal(format!("{rel}: {e}")))? {
                    let entry = entry.map_err(|e| fatal(format!("{rel}: {e}")))?;
                    let meta = entry.metadata().map_err(|e| fatal(format!("{rel}: {e}")))?;
                    entries.push(json!({
                        "name": entry.file_name().to_string_lossy(),
                        "is_dir": meta.is_dir(),
                        "size": meta.len(),
                    }));
                }
                entries.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
                let count = i64::try_from(entries.len()).unwrap_or(i64::MAX);
                Ok(Out::new()
                    .json_typed("entries", &Json::Array(entries))
                    .set("count", TypedValue::long(count))
                    .done())
            }
            other => Err(fatal(format!(
                "unknown operation {other:?} (read, write, delete, exists or list)"
            ))),
        }
    }

    async fn handle_task(&self, task: &Task) -> Result<Variables, TaskError> {
        let root = self
            .root
            .clone()
            .ok_or_else(|| fatal("no folder is configured (FILES_DIR)"))?;
        let job = Job {
            operation: task
                .text("operation")
                .map(|o| o.trim().to_ascii_lowercase())
                .ok_or_else(|| fatal("the variable operation is required"))?,
            file_path: task.text("file_path").unwrap_or_default(),
            content: task.json("content"),
            encoding: encoding(task)?,
        };
        let max_bytes = self.max_bytes;
        tokio::task::spawn_blocking(move || FileOperationHandler::run(&root, max_bytes, &job))
            .await
            .map_err(|e| TaskError::Retry(format!("file_operation: the operation stopped: {e}")))?
    }
}

#[async_trait::async_trait]
impl Handler for FileOperationHandler {
    async fn handle(&self, task: &Task) -> Outcome {
        finish(task, self.handle_task(task).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generic::test_support::{task, temp_dir};

    fn completed(outcome: Outcome) -> Variables {
        match outcome {
            Outcome::Complete { variables, .. } => variables,
            other => panic!("expected completion, got {other:?}"),
        }
    }

    fn fatal_message(outcome: Outcome) -> String {
        match outcome {
            Outcome::Failure {
                message, retries, ..
            } => {
                assert_eq!(retries, Some(0), "{message}");
                message
            }
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn write_read_exists_list_delete_inside_the_folder() {
        let root = temp_dir("files");
        let h = FileOperationHandler::new(Some(root.clone()), 1024);
        let run = |vars: Json| {
            let t = task(TOPIC, vars);
            let h = &h;
            async move { h.handle(&t).await }
        };
        let v = completed(
            run(json!({"operation": "write", "file_path": "out/report.txt", "content": "héllo"}))
                .await,
        );
        assert_eq!(v["written"], TypedValue::boolean(true));
        assert_eq!(v["size"], TypedValue::long(6));
        assert_eq!(
            std::fs::read_to_string(root.join("out/report.txt")).expect("written"),
            "héllo"
        );
        let v = completed(run(json!({"operation": "read", "file_path": "out/report.txt"})).await);
        assert_eq!(v["content"], TypedValue::string("héllo"));
        assert_eq!(v["size"], TypedValue::long(6));
        let v = completed(
            run(
                json!({"operation": "read", "file_path": "./out/report.txt", "encoding": "base64"}),
            )
            .await,
        );
        assert_eq!(v["content"], TypedValue::string("aMOpbGxv"));
        let v = completed(run(json!({"operation": "exists", "file_path": "out"})).await);
        assert_eq!(v["exists"], TypedValue::boolean(true));
        assert_eq!(v["is_dir"], TypedValue::boolean(true));
        assert_eq!(v["is_file"], TypedValue::boolean(false));
        let v = completed(run(json!({"operation": "list", "file_path": "out"})).await);
        assert_eq!(v["count"], TypedValue::long(1));
        assert_eq!(
            v["entries"].to_json(),
            json!([{"name": "report.txt", "is_dir": false, "size": 6}])
        );
        let v = completed(run(json!({"operation": "delete", "file_path": "out/report.txt"})).await);
        assert_eq!(v["deleted"], TypedValue::boolean(true));
        let v = completed(run(json!({"operation": "delete", "file_path": "out/report.txt"})).await);
        assert_eq!(v["deleted"], TypedValue::boolean(false));
        assert_eq!(v["reason"], TypedValue::string("file_not_found"));
        let big = "x".repeat(2000);
        completed(run(json!({"operation": "write", "file_path": "big.txt", "content": big})).await);
        let message =
            fatal_message(run(json!({"operation": "read", "file_path": "big.txt"})).await);
        assert!(message.contains("FILES_MAX_BYTES"), "{message}");
        let _ = std::fs::remove_dir_all(root);
    }

    #[tokio::test]
    async fn escapes_are_refused() {
        let base = temp_dir("confined");
        let root = base.join("root");
        let outside = base.join("outside");
        std::fs::create_dir_all(&root).expect("mkdir");
        std::fs::create_dir_all(&outside).expect("mkdir");
        std::fs::write(outside.join("secret.txt"), "secret").expect("write");
        std::os::unix::fs::symlink(&outside, root.join("link-dir")).expect("symlink");
        std::os::unix::fs::symlink(outside.join("secret.txt"), root.join("link-file"))
            .expect("symlink");
        std::os::unix::fs::symlink(outside.join("new.txt"), root.join("dangling"))
            .expect("symlink");
        let h = FileOperationHandler::new(Some(root.clone()), 1024);
        for (op, path, needle) in [
            ("read", "/etc/passwd", "absolute"),
            ("read", "../outside/secret.txt", "`..`"),
            ("write", "a/../../outside/x.txt", "`..`"),
            ("read", "link-file", "outside FILES_DIR"),
            ("read", "link-dir/secret.txt", "outside FILES_DIR"),
            ("write", "link-dir/new.txt", "outside FILES_DIR"),
            ("write", "link-dir/deeper/new.txt", "outside FILES_DIR"),
            ("write", "dangling", "outside FILES_DIR"),
            ("exists", "link-dir", "outside FILES_DIR"),
            ("delete", "link-file", "outside FILES_DIR"),
            ("list", "link-dir", "outside FILES_DIR"),
            ("read", "", "required"),
            ("chmod", "x", "unknown operation"),
        ] {
            let message = fatal_message(
                h.handle(&task(
                    TOPIC,
                    json!({"operation": op, "file_path": path, "content": "x"}),
                ))
                .await,
            );
            assert!(message.contains(needle), "{op} {path}: {message}");
        }
        assert!(!outside.join("new.txt").exists());
        assert!(!outside.join("x.txt").exists());
        assert!(outside.join("secret.txt").exists());
        let unconfigured = FileOperationHandler::new(None, 1024);
        let message = fatal_message(
            unconfigured
                .handle(&task(
                    TOPIC,
                    json!({"operation": "exists", "file_path": "a"}),
                ))
                .await,
        );
        assert!(message.contains("FILES_DIR"), "{message}");
        let _ = std::fs::remove_dir_all(base);
    }
}
