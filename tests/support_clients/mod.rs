//! Running the real Camunda client libraries against a `procos serve` started by
//! [`crate::support::Server`]: the scripts under `tests/clients/` (Node.js for
//! `camunda-external-task-client-js` and the Modeler's requests, Python for
//! `camunda-external-task-client-python3` and `pycamunda`), installed by
//! `scripts/setup-clients`.
//!
//! A script takes the engine URL from `PROCOS_ENGINE_URL`, prints `ok: …` per check and
//! `PASS <name>` at the end, and exits non-zero on the first failed expectation.

#![allow(dead_code)] // Each test file uses a different part of this module.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::Server;

/// The longest a client script may run.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(120);

/// `tests/clients/`.
pub fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("clients")
}

/// Which interpreter runs a script.
#[derive(Debug, Clone, Copy)]
pub enum Runtime {
    /// `node`, from `tests/clients/js` (its `node_modules`).
    Node,
    /// The virtual environment `tests/clients/python/.venv`.
    Python,
}

impl Runtime {
    fn dir(self) -> PathBuf {
        clients_dir().join(match self {
            Runtime::Node => "js",
            Runtime::Python => "python",
        })
    }

    /// The interpreter, or a panic that says how to install the clients.
    fn program(self) -> PathBuf {
        let (installed, program) = match self {
            Runtime::Node => (
                self.dir()
                    .join("node_modules")
                    .join("camunda-external-task-client-js"),
                PathBuf::from("node"),
            ),
            Runtime::Python => {
                let python = self.dir().join(".venv").join("bin").join("python");
                (python.clone(), python)
            }
        };
        assert!(
            installed.exists(),
            "the client libraries are not installed ({} is missing): run scripts/setup-clients",
            installed.display()
        );
        program
    }
}

/// What a script printed, and how it ended.
#[derive(Debug)]
pub struct ScriptRun {
    /// stdout and stderr, interleaved.
    pub output: String,
    /// The exit code (`None` when killed).
    pub code: Option<i32>,
    /// How long it ran.
    pub elapsed: Duration,
}

/// Deploys `files` from `tests/clients/processes/` (Camunda Modeler's way).
pub async fn deploy(server: &Server, files: &[&str]) {
    for file in files {
        let path = clients_dir().join("processes").join(file);
        let xml = fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let deployment = server.deploy(file, &xml).await;
        assert!(
            deployment["deployedProcessDefinitions"].is_object(),
            "{file} deployed no process: {deployment}"
        );
    }
}

/// Runs `script` (relative to its runtime's directory) against `server` and returns what
/// it printed. Panics, with the output and the server's log, unless it passed.
pub async fn run_script(server: &Server, runtime: Runtime, script: &str) -> ScriptRun {
    run_script_with(server, runtime, script, &[]).await
}

/// [`run_script`] with extra environment variables.
pub async fn run_script_with(
    server: &Server,
    runtime: Runtime,
    script: &str,
    env: &[(&str, &str)],
) -> ScriptRun {
    let program = runtime.program();
    let dir = runtime.dir();
    let log_path = server
        .dir
        .path()
        .join(format!("{}.out", script.replace(['/', '.'], "_")));
    let log = fs::File::create(&log_path).expect("create the script's output file");
    let mut command = Command::new(&program);
    command
        .arg(script)
        .current_dir(&dir)
        .env("PROCOS_ENGINE_URL", &server.base)
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("NODE_OPTIONS")
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("clone the output file"))
        .stderr(log);
    for (k, v) in env {
        command.env(k, v);
    }
    let started = Instant::now();
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {} {script}: {e}", program.display()));
    let code = loop {
        if let Some(status) = child.try_wait().expect("wait for the script") {
            break status.code();
        }
        if started.elapsed() > SCRIPT_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    let run = ScriptRun {
        output: fs::read_to_string(&log_path).unwrap_or_default(),
        code,
        elapsed: started.elapsed(),
    };
    println!(
        "---- {script} on {} ({} ms) ----\n{}",
        server.store.name(),
        run.elapsed.as_millis(),
        run.output
    );
    assert_eq!(
        run.code,
        Some(0),
        "{script} failed on {} (exit {:?}):\n{}",
        server.store.name(),
        run.code,
        run.output
    );
    run
}

impl ScriptRun {
    /// Asserts that the script printed each of `lines` (as a substring of some line).
    #[track_caller]
    pub fn saw(&self, lines: &[&str]) -> &Self {
        for expected in lines {
            assert!(
                self.output.lines().any(|l| l.contains(expected)),
                "expected the output to contain {expected:?}:\n{}",
                self.output
            );
        }
        self
    }
}
