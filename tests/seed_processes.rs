//! End to end: `procos serve` with the repository's `processes/` folder, plus
//! `procos worker ai` and `procos worker generic` as separate child processes, run the
//! seed processes to completion over HTTP, against small servers on 127.0.0.1 that stand
//! in for the outside world:
//!
//! - a fake OpenAI (`POST /v1/chat/completions`) and a fake Ollama (`GET /api/tags`,
//!   `POST /api/chat`) speaking the real wire formats, whose answers a test changes
//!   while the workers run (a failing chat, an unhealthy Ollama);
//! - a real SMTP server (aiosmtpd, `workers/tests/smtp_sink.py` from the virtual
//!   environment `scripts/setup-clients` makes) that records what it receives;
//! - a fake HTTP API (orders, incident details, an echo) for the automation processes.
//!
//! Waits are bounded polls of the REST API (history until the instance ends, the task
//! list until a user task appears); an incident on the instance fails the test at once
//! with its message. `ai_query_end_to_end_time_and_worker_memory` prints the figures of
//! issue 6's note (median end-to-end time of the AI query process with loopback
//! providers, and the workers' memory); it asserts no timing.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response as HttpResponse};
use axum::Router;
use serde_json::{json, Value};
use support::{Server, Store, TempDir, PATIENCE};

on_both_stores!(
    ai_query_answers_falls_back_and_rejects,
    hello_email_sends_through_smtp,
    automation_processes_run_their_main_and_failure_paths,
    system_orchestrator_routes_requests_and_shuts_down,
    serve_with_workers_runs_the_whole_system,
);

// ---------------------------------------------------------------------------------------
// Fake HTTP servers

/// A scripted answer.
#[derive(Clone, Debug)]
struct Reply {
    status: u16,
    body: Value,
}

fn reply(status: u16, body: Value) -> Reply {
    Reply { status, body }
}

/// A request a fake received.
#[derive(Clone, Debug)]
struct Call {
    route: String,
    body: Value,
}

#[derive(Default)]
struct FakeState {
    /// `"METHOD /path"` → the answer (changed by the tests while the workers run).
    routes: Mutex<HashMap<String, Reply>>,
    calls: Mutex<Vec<Call>>,
}

/// An HTTP server on 127.0.0.1 answering from its routes; 404 for any other request.
struct Fake {
    url: String,
    port: u16,
    state: Arc<FakeState>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

async fn answer(
    State(state): State<Arc<FakeState>>,
    method: Method,
    uri: Uri,
    body: Bytes,
) -> HttpResponse {
    let route = format!("{method} {}", uri.path());
    lock(&state.calls).push(Call {
        route: route.clone(),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    });
    let Some(next) = lock(&state.routes).get(&route).cloned() else {
        return (StatusCode::NOT_FOUND, "404 page not found").into_response();
    };
    let mut response = (
        StatusCode::from_u16(next.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        next.body.to_string(),
    )
        .into_response();
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    response
}

impl Fake {
    async fn start(routes: &[(&str, Reply)]) -> Fake {
        let state = Arc::new(FakeState::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a fake server");
        let addr = listener.local_addr().expect("its address");
        let app = Router::new()
            .fallback(answer)
            .with_state(Arc::clone(&state));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let fake = Fake {
            url: format!("http://{addr}"),
            port: addr.port(),
            state,
            server,
        };
        for (route, r) in routes {
            fake.set(route, r.clone());
        }
        fake
    }

    /// Answers `route` (`"POST /api/chat"`) with `r` from now on.
    fn set(&self, route: &str, r: Reply) {
        lock(&self.state.routes).insert(route.to_owned(), r);
    }

    /// The bodies of the calls to `route` so far.
    fn calls(&self, route: &str) -> Vec<Value> {
        lock(&self.state.calls)
            .iter()
            .filter(|c| c.route == route)
            .map(|c| c.body.clone())
            .collect()
    }
}

const OPENAI_CHAT: &str = "POST /v1/chat/completions";
const OLLAMA_CHAT: &str = "POST /api/chat";
const OLLAMA_TAGS: &str = "GET /api/tags";
const OPENAI_KEY: &str = "sk-test-seed-0123456789";
const OPENAI_MODEL: &str = "gpt-4o-mini-2024-07-18";
const OLLAMA_MODEL: &str = "llama3.2:1b";

fn openai_ok(content: &str) -> Reply {
    reply(
        200,
        json!({
            "id": "chatcmpl-seed",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": OPENAI_MODEL,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": null},
                "logprobs": null,
                "finish_reason": "stop"
            }],
            "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17},
            "system_fingerprint": "fp_0123"
        }),
    )
}

fn ollama_ok(content: &str) -> Reply {
    reply(
        200,
        json!({
            "model": OLLAMA_MODEL,
            "created_at": "2024-09-25T12:00:00.000000Z",
            "message": {"role": "assistant", "content": content},
            "done_reason": "stop",
            "done": true,
            "total_duration": 4_883_583_458u64,
            "load_duration": 1_334_875,
            "prompt_eval_count": 20,
            "prompt_eval_duration": 342_546_000,
            "eval_count": 7,
            "eval_duration": 4_535_599_000u64
        }),
    )
}

fn ollama_tags() -> Reply {
    reply(
        200,
        json!({"models": [{
            "name": OLLAMA_MODEL,
            "model": OLLAMA_MODEL,
            "modified_at": "2024-09-25T12:00:00Z",
            "size": 1_321_098_329,
            "digest": "baf6a787fdffd633537aa2eb51cfd54cb93ff08e28040095462bb63daf552878",
            "details": {"format": "gguf", "family": "llama", "parameter_size": "1.2B", "quantization_level": "Q8_0"}
        }]}),
    )
}

fn ollama_down() -> Reply {
    reply(500, json!({"error": "llama runner process has terminated"}))
}

const OLLAMA_ANSWER: &str = "Paris is the capital of France.";
const OPENAI_ANSWER: &str = "The capital of France is Paris.";

/// The fake providers, both healthy.
async fn providers() -> (Fake, Fake) {
    let openai = Fake::start(&[(OPENAI_CHAT, openai_ok(OPENAI_ANSWER))]).await;
    let ollama = Fake::start(&[
        (OLLAMA_TAGS, ollama_tags()),
        (OLLAMA_CHAT, ollama_ok(OLLAMA_ANSWER)),
    ])
    .await;
    (openai, ollama)
}

/// The fake automation API: an order endpoint, a failing one, incident details, an echo.
async fn automation_api() -> Fake {
    Fake::start(&[
        (
            "POST /orders",
            reply(201, json!({"order_ref": "ORD-REF-1", "status": "accepted"})),
        ),
        (
            "POST /orders-down",
            reply(503, json!({"error": "maintenance"})),
        ),
        (
            "GET /incidents/INC-7",
            reply(
                200,
                json!({"status": "investigating", "owner": "db-team", "affected": ["orders"]}),
            ),
        ),
        (
            "GET /echo",
            reply(200, json!({"hello": "procos", "items": [1, 2, 3]})),
        ),
    ])
    .await
}

// ---------------------------------------------------------------------------------------
// The SMTP sink (aiosmtpd)

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `smtp_sink.py` on a free port; killed when dropped. Each accepted message becomes
/// `N.json` (`{mail_from, rcpt_tos, data, login}`) in its folder.
struct SmtpSink {
    child: Child,
    folder: TempDir,
    port: u16,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl SmtpSink {
    async fn start() -> SmtpSink {
        let python = repo().join("tests/clients/python/.venv/bin/python");
        assert!(
            python.exists(),
            "the Python test packages are not installed ({} is missing): run scripts/setup-clients",
            python.display()
        );
        let folder = TempDir::new();
        let port = free_port();
        let mut child = Command::new(&python)
            .arg(repo().join("workers/tests/smtp_sink.py"))
            .arg("--port")
            .arg(port.to_string())
            .arg("--folder")
            .arg(folder.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start smtp_sink.py");
        let stdout = child.stdout.take().expect("piped stdout");
        let line = tokio::time::timeout(
            Duration::from_secs(30),
            tokio::task::spawn_blocking(move || {
                let mut line = String::new();
                let _ = BufReader::new(stdout).read_line(&mut line);
                line
            }),
        )
        .await;
        let ready = matches!(&line, Ok(Ok(l)) if l.trim() == "READY");
        if !ready {
            let _ = child.kill();
            let stderr = child
                .wait_with_output()
                .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
                .unwrap_or_default();
            panic!("the SMTP sink did not start (run scripts/setup-clients): {stderr}");
        }
        SmtpSink {
            child,
            folder,
            port,
        }
    }

    /// The messages received so far, in order.
    fn messages(&self) -> Vec<Value> {
        let mut found = Vec::new();
        for n in 1.. {
            match std::fs::read_to_string(self.folder.path().join(format!("{n}.json"))) {
                Ok(text) => found.push(serde_json::from_str(&text).expect("a JSON record")),
                Err(_) => break,
            }
        }
        found
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The header `name` of a raw message (unfolded), if present.
fn header(data: &str, name: &str) -> Option<String> {
    let head = data.split("\r\n\r\n").next().unwrap_or(data);
    let mut value: Option<String> = None;
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            if let Some(v) = value.as_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
            continue;
        }
        if value.is_some() {
            break;
        }
        if let Some((n, v)) = line.split_once(':') {
            if n.eq_ignore_ascii_case(name) {
                value = Some(v.trim().to_owned());
            }
        }
    }
    value
}

/// The body of a raw message: after the headers, quoted-printable soft breaks and
/// `=XX` escapes undone when the message says it is quoted-printable.
fn body(data: &str) -> String {
    let raw = data.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    let qp = header(data, "Content-Transfer-Encoding")
        .is_some_and(|e| e.eq_ignore_ascii_case("quoted-printable"));
    if !qp {
        return raw.replace("\r\n", "\n");
    }
    let joined = raw.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Some(b) = joined
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).replace("\r\n", "\n")
}

// ---------------------------------------------------------------------------------------
// `procos worker` child processes

/// A running `procos worker KIND`, killed when dropped.
struct WorkerProcess {
    kind: &'static str,
    child: Option<Child>,
    log: PathBuf,
}

impl WorkerProcess {
    /// Starts `procos worker kind` with only `env` (and the log level) in its
    /// environment, logging to a file in `dir`.
    fn start(kind: &'static str, dir: &Path, env: &[(String, String)]) -> WorkerProcess {
        let log = dir.join(format!("worker-{kind}-{}.log", support::unique("w")));
        let file = std::fs::File::create(&log).expect("create the worker log");
        let child = Command::new(support::procos_bin())
            .args(["worker", kind])
            .env_clear()
            .env("PROCOS_LOG", "info")
            .env("NO_COLOR", "1")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("spawn procos worker");
        WorkerProcess {
            kind,
            child: Some(child),
            log,
        }
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).expect("the worker runs")
    }

    /// A `kB` field of `/proc/<pid>/status` (`VmRSS`, `VmHWM`).
    fn status_kb(&self, field: &str) -> Option<u64> {
        let text = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        text.lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, then waits (bounded) for it to finish what it holds and exit.
    async fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let pid = libc::pid_t::try_from(child.id()).expect("a pid");
        // SAFETY: kill(2) on our own child's pid has no memory-safety preconditions.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let deadline = Instant::now() + PATIENCE;
        loop {
            if child.try_wait().ok().flatten().is_some() {
                return;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("procos worker {} did not stop:\n{}", self.kind, self.log());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// True once the worker has exited (a zombie until reaped, or gone).
    fn exited(&self) -> bool {
        let Some(child) = &self.child else {
            return true;
        };
        match std::fs::read_to_string(format!("/proc/{}/stat", child.id())) {
            // pid (comm) STATE ...: the state follows the last ')'.
            Ok(stat) => stat
                .rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
            Err(_) => true,
        }
    }

    /// Panics with the log if the worker has exited.
    #[track_caller]
    fn assert_running(&self) {
        assert!(
            !self.exited(),
            "procos worker {} exited:\n{}",
            self.kind,
            self.log()
        );
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

// ---------------------------------------------------------------------------------------
// The whole system

/// The files of the repository's `processes/` folder (name, content).
fn seed_processes() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(repo().join("processes"))
        .expect("read processes/")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "bpmn"))
        .map(|p| {
            (
                p.file_name()
                    .expect("a name")
                    .to_string_lossy()
                    .into_owned(),
                std::fs::read_to_string(&p).expect("read a process"),
            )
        })
        .collect();
    files.sort();
    assert!(files.len() >= 6, "processes/ holds the seed processes");
    files
}

/// The AI worker's environment for the fakes (`openai` None: no API key).
fn ai_env(server: &str, openai: Option<&Fake>, ollama: &Fake) -> Vec<(String, String)> {
    let mut e = env(&[
        ("PROCOS_ENGINE_URL", server),
        ("OLLAMA_BASE_URL", &ollama.url),
        // Every task asks Ollama's health anew: the tests switch it on and off.
        ("OLLAMA_HEALTH_TTL", "0.001"),
        ("OLLAMA_TIMEOUT", "10"),
        ("OPENAI_TIMEOUT", "10"),
        ("AI_RETRY_BASE_DELAY_MS", "5"),
        ("AI_RETRY_MAX_DELAY_MS", "100"),
    ]);
    if let Some(openai) = openai {
        e.extend(env(&[
            ("OPENAI_API_KEY", OPENAI_KEY),
            ("OPENAI_BASE_URL", &format!("{}/v1", openai.url)),
        ]));
    }
    e
}

/// The generic worker's environment: the SMTP sink, the API allowed, the files folder.
fn generic_env(server: &str, smtp: &SmtpSink, api: &Fake, files: &Path) -> Vec<(String, String)> {
    env(&[
        ("PROCOS_ENGINE_URL", server),
        ("SMTP_SERVER", "127.0.0.1"),
        ("SMTP_PORT", &smtp.port.to_string()),
        ("SMTP_TLS", "none"),
        ("SMTP_FROM", "procos@example.test"),
        ("HTTP_ALLOWED_HOSTS", &format!("127.0.0.1:{}", api.port)),
        ("FILES_DIR", &files.display().to_string()),
    ])
}

/// `procos serve` with `processes/`, both workers, the fakes and the SMTP sink.
struct System {
    server: Server,
    openai: Fake,
    ollama: Fake,
    api: Fake,
    smtp: SmtpSink,
    files: TempDir,
    ai: WorkerProcess,
    generic: WorkerProcess,
}

impl System {
    async fn boot(store: &Store) -> System {
        System::boot_with(store, &[]).await
    }

    async fn boot_with(store: &Store, args: &[&str]) -> System {
        let (openai, ollama) = providers().await;
        let api = automation_api().await;
        let smtp = SmtpSink::start().await;
        let files = TempDir::new();
        let processes = seed_processes();
        let refs: Vec<(&str, &str)> = processes
            .iter()
            .map(|(n, c)| (n.as_str(), c.as_str()))
            .collect();
        let server = Server::start_with_processes(store, args, &refs).await;
        let dir = server.dir.path().to_owned();
        let ai = WorkerProcess::start("ai", &dir, &ai_env(&server.base, Some(&openai), &ollama));
        let generic = WorkerProcess::start(
            "generic",
            &dir,
            &generic_env(&server.base, &smtp, &api, files.path()),
        );
        System {
            server,
            openai,
            ollama,
            api,
            smtp,
            files,
            ai,
            generic,
        }
    }

    /// Replaces the AI worker by one with `openai` (None: no API key).
    async fn restart_ai_worker(&mut self, with_openai: bool) {
        self.ai.stop().await;
        let openai = with_openai.then_some(&self.openai);
        self.ai = WorkerProcess::start(
            "ai",
            self.server.dir.path(),
            &ai_env(&self.server.base, openai, &self.ollama),
        );
    }

    /// Everything logged so far, for failure messages.
    fn logs(&self) -> String {
        format!(
            "---- procos serve ----\n{}\n---- procos worker ai ----\n{}\n---- procos worker generic ----\n{}",
            tail(&self.server.log(), 40),
            tail(&self.ai.log(), 40),
            tail(&self.generic.log(), 40)
        )
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Polls `check` until it returns `Some`; panics after [`PATIENCE`] with `what` and `logs`.
async fn eventually<T, F, Fut>(what: &str, logs: impl Fn() -> String, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: did not happen within {PATIENCE:?}\n{}",
            logs()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A finished instance as history shows it.
#[derive(Debug)]
struct Ended {
    id: String,
    state: String,
    /// The activity ids it went through, in start order.
    activities: Vec<String>,
    /// Its process-level variables: name → `{type, value, …}`.
    vars: BTreeMap<String, Value>,
}

impl Ended {
    #[track_caller]
    fn var(&self, name: &str) -> &Value {
        match self.vars.get(name) {
            Some(v) => &v["value"],
            None => panic!("no variable {name} in {:#?}", self.vars.keys()),
        }
    }

    #[track_caller]
    fn var_type(&self, name: &str) -> &str {
        self.vars
            .get(name)
            .and_then(|v| v["type"].as_str())
            .unwrap_or_else(|| panic!("no variable {name}"))
    }

    /// A Json variable's value, parsed (the REST API gives it as a string).
    #[track_caller]
    fn json(&self, name: &str) -> Value {
        match self.var(name) {
            Value::String(s) => {
                serde_json::from_str(s).unwrap_or_else(|e| panic!("{name} is not JSON ({e}): {s}"))
            }
            other => other.clone(),
        }
    }

    fn went_through(&self, activity: &str) -> bool {
        self.activities.iter().any(|a| a == activity)
    }

    #[track_caller]
    fn assert_path(&self, through: &[&str], not_through: &[&str]) {
        assert_eq!(self.state, "COMPLETED", "{self:#?}");
        for a in through {
            assert!(self.went_through(a), "{a} not in {:?}", self.activities);
        }
        for a in not_through {
            assert!(!self.went_through(a), "{a} in {:?}", self.activities);
        }
    }
}

impl System {
    /// Starts `key` with plain JSON `variables` (typed by the REST API's rules).
    async fn start(&self, key: &str, variables: Value) -> String {
        let r = self.server.start_instance(key, typed(variables)).await;
        r["id"].as_str().expect("an instance id").to_owned()
    }

    /// Fails at once when the instance has an incident (a task failed for good) or a
    /// worker has exited.
    async fn no_incident(&self, instance: &str) {
        for worker in [&self.ai, &self.generic] {
            if worker.exited() {
                panic!("procos worker {} exited:\n{}", worker.kind, self.logs());
            }
        }
        let r = self
            .server
            .get(&format!("/incident?processInstanceId={instance}"))
            .await
            .expect(200);
        if let Some(incident) = r.json.as_array().and_then(|l| l.first()) {
            panic!(
                "instance {instance} has an incident at {}: {}\n{}",
                incident["activityId"],
                incident["incidentMessage"],
                self.logs()
            );
        }
    }

    /// Waits for the instance to end; its history.
    async fn ended(&self, instance: &str) -> Ended {
        let server = &self.server;
        let state = eventually(
            &format!("instance {instance} ends"),
            || self.logs(),
            || async {
                self.no_incident(instance).await;
                let r = server
                    .get(&format!("/history/process-instance/{instance}"))
                    .await
                    .expect(200);
                let state = r.json["state"].as_str().unwrap_or_default().to_owned();
                (state != "ACTIVE").then_some(state)
            },
        )
        .await;
        self.history(instance, state).await
    }

    async fn history(&self, instance: &str, state: String) -> Ended {
        history(&self.server, instance, state).await
    }

    /// Waits for the user task `key` of `instance`; its id.
    async fn user_task(&self, instance: &str, key: &str) -> String {
        let server = &self.server;
        eventually(
            &format!("user task {key} of {instance}"),
            || self.logs(),
            || async {
                self.no_incident(instance).await;
                let r = server
                    .get(&format!(
                        "/task?processInstanceId={instance}&taskDefinitionKey={key}"
                    ))
                    .await
                    .expect(200);
                r.json.as_array()?.first()?["id"]
                    .as_str()
                    .map(str::to_owned)
            },
        )
        .await
    }

    /// Completes the user task `key` of `instance` with plain JSON `variables`.
    async fn complete_user_task(&self, instance: &str, key: &str, variables: Value) {
        let task = self.user_task(instance, key).await;
        self.server
            .post(
                &format!("/task/{task}/complete"),
                &json!({ "variables": typed(variables) }),
            )
            .await
            .expect(204);
    }

    /// Waits until `instance` has a subscription to the message `event`.
    async fn waiting_for(&self, instance: &str, event: &str) {
        let server = &self.server;
        eventually(
            &format!("{instance} waits for {event}"),
            || self.logs(),
            || async {
                self.no_incident(instance).await;
                let r = server
                    .get(&format!(
                        "/event-subscription?processInstanceId={instance}&eventName={event}"
                    ))
                    .await
                    .expect(200);
                (!r.json.as_array()?.is_empty()).then_some(())
            },
        )
        .await
    }

    /// Waits for `n` messages at the SMTP sink.
    async fn mails(&self, n: usize) -> Vec<Value> {
        eventually(
            &format!("{n} messages at the SMTP sink"),
            || self.logs(),
            || async {
                let m = self.smtp.messages();
                (m.len() >= n).then_some(m)
            },
        )
        .await
    }
}

/// The history of `instance` (whose state is `state`): its activities and process-level
/// variables.
async fn history(server: &Server, instance: &str, state: String) -> Ended {
    let acts = server
        .get(&format!(
            "/history/activity-instance?processInstanceId={instance}&sortBy=startTime&sortOrder=asc"
        ))
        .await
        .expect(200)
        .json;
    let activities = acts
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|a| a["activityId"].as_str().map(str::to_owned))
        .collect();
    let vars = server
        .get(&format!(
            "/history/variable-instance?processInstanceId={instance}"
        ))
        .await
        .expect(200)
        .json;
    let vars = vars
        .as_array()
        .expect("a list")
        .iter()
        .filter(|v| v["activityInstanceId"] == instance)
        .filter_map(|v| Some((v["name"].as_str()?.to_owned(), v.clone())))
        .collect();
    Ended {
        id: instance.to_owned(),
        state,
        activities,
        vars,
    }
}

/// Plain JSON variables in Camunda's typed form: strings, booleans, whole numbers
/// (Long), other numbers (Double), objects and lists (Json).
fn typed(variables: Value) -> Value {
    let Value::Object(map) = variables else {
        panic!("variables are an object");
    };
    let mut out = serde_json::Map::new();
    for (name, value) in map {
        let v = match &value {
            Value::String(_) => json!({"value": value, "type": "String"}),
            Value::Bool(_) => json!({"value": value, "type": "Boolean"}),
            Value::Number(n) if n.is_i64() => json!({"value": value, "type": "Long"}),
            Value::Number(_) => json!({"value": value, "type": "Double"}),
            Value::Null => json!({"value": null, "type": "Null"}),
            Value::Object(_) | Value::Array(_) => {
                json!({"value": value.to_string(), "type": "Json"})
            }
        };
        out.insert(name, v);
    }
    Value::Object(out)
}

// ---------------------------------------------------------------------------------------
// ai_query_process

/// Checks a completed AI answer and the record the generic worker stored for it.
#[track_caller]
fn assert_answered(system: &System, e: &Ended, provider: &str, model: &str, content: &str) {
    e.assert_path(
        &[
            "validate_input",
            "select_provider",
            "query_ai",
            "format_response",
            "store_response",
            "response_stored",
        ],
        &["use_fallback_answer", "query_rejected"],
    );
    assert_eq!(e.var("ai_response"), content);
    assert_eq!(e.var("provider"), provider);
    assert_eq!(e.var("model_used"), model);
    assert_eq!(e.var("ai_fallback_used"), false);
    let usage = e.json("usage");
    for field in ["prompt_tokens", "completion_tokens", "total_tokens"] {
        assert!(usage[field].as_i64().is_some(), "usage {usage}");
    }
    assert_eq!(
        usage["total_tokens"].as_i64(),
        Some(
            usage["prompt_tokens"].as_i64().unwrap() + usage["completion_tokens"].as_i64().unwrap()
        )
    );
    assert_eq!(e.var_type("response_time_ms"), "Long");
    let ms = e.var("response_time_ms").as_i64().expect("a number");
    assert!(
        (0..60_000).contains(&ms),
        "response_time_ms {ms} is a duration"
    );
    // The formatted record is stored under FILES_DIR.
    let stored = system
        .files
        .path()
        .join("ai_responses")
        .join(format!("{}.json", e.id));
    let text = std::fs::read_to_string(&stored)
        .unwrap_or_else(|err| panic!("{} was not stored: {err}", stored.display()));
    let record: Value = serde_json::from_str(&text).expect("the stored record is JSON");
    assert_eq!(record["ai_response"], content, "{record}");
    assert_eq!(record["provider"], provider, "{record}");
    assert_eq!(record["model"], model, "{record}");
    assert!(record.get("timestamp").is_some(), "add_timestamp: {record}");
    assert_eq!(e.json("ai_result"), record);
}

async fn ai_query_answers_falls_back_and_rejects(store: Store) {
    let mut system = System::boot(&store).await;

    // A short, simple question goes to the local provider.
    let id = system
        .start(
            "ai_query_process",
            json!({"user_query": "What is the capital of France?", "ai_provider": "auto", "max_tokens": 200, "user_id": "u-1"}),
        )
        .await;
    let e = system.ended(&id).await;
    assert_answered(&system, &e, "ollama", OLLAMA_MODEL, OLLAMA_ANSWER);
    assert_eq!(e.var("selected_provider"), "ollama");
    let chats = system.ollama.calls(OLLAMA_CHAT);
    assert_eq!(chats.len(), 1);
    assert_eq!(chats[0]["stream"], false);
    assert_eq!(chats[0]["options"]["num_predict"], 200);
    let messages = chats[0]["messages"].as_array().expect("messages");
    assert!(messages
        .iter()
        .any(|m| m["role"] == "user" && m["content"] == "What is the capital of France?"));
    assert!(messages.iter().any(|m| m["role"] == "system"));
    assert!(system.openai.calls(OPENAI_CHAT).is_empty());

    // Asked for OpenAI by name.
    let id = system
        .start(
            "ai_query_process",
            json!({"user_query": "What is the capital of France?", "ai_provider": "openai"}),
        )
        .await;
    let e = system.ended(&id).await;
    assert_answered(&system, &e, "openai", OPENAI_MODEL, OPENAI_ANSWER);
    let calls = system.openai.calls(OPENAI_CHAT);
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["stream"], Value::Null);

    // Fallback: Ollama is healthy but its chats fail with 500; the worker retries, then
    // OpenAI answers.
    system.ollama.set(OLLAMA_CHAT, ollama_down());
    let before = system.ollama.calls(OLLAMA_CHAT).len();
    let id = system
        .start(
            "ai_query_process",
            json!({"user_query": "What is the capital of France?"}),
        )
        .await;
    let e = system.ended(&id).await;
    assert_answered(&system, &e, "openai", OPENAI_MODEL, OPENAI_ANSWER);
    assert_eq!(e.var("selected_provider"), "ollama");
    assert!(
        system.ollama.calls(OLLAMA_CHAT).len() - before >= 2,
        "Ollama was retried before the fallback"
    );

    // Fallback at selection: Ollama does not answer its health check; OpenAI is chosen.
    system.ollama.set(OLLAMA_TAGS, ollama_down());
    let id = system
        .start(
            "ai_query_process",
            json!({"user_query": "What is the capital of France?"}),
        )
        .await;
    let e = system.ended(&id).await;
    assert_answered(&system, &e, "openai", OPENAI_MODEL, OPENAI_ANSWER);
    assert_eq!(e.var("selected_provider"), "openai");

    // Validation failures end at "Query rejected" with the violations, and call no model.
    let calls_before = (
        system.ollama.calls(OLLAMA_CHAT).len(),
        system.openai.calls(OPENAI_CHAT).len(),
    );
    for query in [String::new(), "x".repeat(4001)] {
        let id = system
            .start("ai_query_process", json!({"user_query": query}))
            .await;
        let e = system.ended(&id).await;
        e.assert_path(
            &["validate_input", "validation_failed", "query_rejected"],
            &["select_provider", "query_ai", "response_stored"],
        );
        assert_eq!(e.var("valid"), false);
        let errors = e.json("validation_errors");
        let errors = errors.as_array().expect("a list of violations");
        assert!(!errors.is_empty());
        assert!(
            errors.iter().any(|v| v["path"]
                .as_str()
                .unwrap_or_default()
                .contains("user_query")),
            "{errors:?}"
        );
    }
    let id = system
        .start("ai_query_process", json!({"ai_provider": "auto"}))
        .await;
    let e = system.ended(&id).await;
    e.assert_path(&["validation_failed", "query_rejected"], &["query_ai"]);
    assert_eq!(
        (
            system.ollama.calls(OLLAMA_CHAT).len(),
            system.openai.calls(OPENAI_CHAT).len()
        ),
        calls_before
    );

    // No provider at all (no OpenAI key, Ollama unhealthy): AI_PROVIDER_UNAVAILABLE is
    // caught and the process answers with its fixed message.
    system.restart_ai_worker(false).await;
    let id = system
        .start(
            "ai_query_process",
            json!({"user_query": "What is the capital of France?", "user_id": "u-2"}),
        )
        .await;
    let e = system.ended(&id).await;
    e.assert_path(
        &[
            "use_fallback_answer",
            "format_response",
            "store_response",
            "response_stored",
        ],
        &["query_rejected"],
    );
    assert_eq!(e.var("ai_fallback_used"), true);
    assert_eq!(e.var("provider"), "none");
    assert_eq!(e.var("model_used"), "none");
    assert!(e
        .var("ai_response")
        .as_str()
        .unwrap_or_default()
        .starts_with("No AI provider is available"));
    let message = e.var("ai_error_message").as_str().unwrap_or_default();
    assert!(message.contains("no AI provider is available"), "{message}");
    let record: Value = serde_json::from_str(
        &std::fs::read_to_string(
            system
                .files
                .path()
                .join("ai_responses")
                .join(format!("{id}.json")),
        )
        .expect("the fallback answer is stored"),
    )
    .expect("JSON");
    assert_eq!(record["fallback_used"], true);
    assert_eq!(record["user_id"], "u-2");
    system.ai.assert_running();
    system.generic.assert_running();
}

// ---------------------------------------------------------------------------------------
// hello_email_process

async fn hello_email_sends_through_smtp(store: Store) {
    let system = System::boot(&store).await;

    let id = system.start("hello_email_process", json!({})).await;
    system
        .complete_user_task(
            &id,
            "get_email_details",
            json!({"recipient_email": "ada@example.test", "message": "Hello Ada,\nthe engine says hi."}),
        )
        .await;
    system
        .complete_user_task(&id, "confirm_sent", json!({}))
        .await;
    let e = system.ended(&id).await;
    e.assert_path(
        &[
            "validate_email",
            "send_hello_email",
            "confirm_sent",
            "end_success",
        ],
        &["show_error", "end_error"],
    );
    assert_eq!(e.var("email_valid"), true);
    assert_eq!(e.var("sent"), true);
    let message_id = e
        .var("message_id")
        .as_str()
        .expect("a message id")
        .to_owned();
    assert!(!message_id.is_empty());

    let mails = system.mails(1).await;
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail["rcpt_tos"], json!(["ada@example.test"]));
    assert_eq!(mail["mail_from"], "procos@example.test");
    let data = mail["data"].as_str().expect("the raw message");
    assert_eq!(
        header(data, "Subject").as_deref(),
        Some("Hello from ProcOS")
    );
    assert_eq!(header(data, "To").as_deref(), Some("ada@example.test"));
    let id_header = header(data, "Message-ID").expect("a Message-ID");
    assert!(
        id_header.contains(message_id.trim_matches(['<', '>'])),
        "{id_header} vs {message_id}"
    );
    assert!(
        body(data).contains("Hello Ada,\nthe engine says hi."),
        "{}",
        body(data)
    );

    // An invalid address is shown back and nothing is sent.
    let id = system.start("hello_email_process", json!({})).await;
    system
        .complete_user_task(
            &id,
            "get_email_details",
            json!({"recipient_email": "not-an-address", "message": "lost"}),
        )
        .await;
    system
        .complete_user_task(&id, "show_error", json!({}))
        .await;
    let e = system.ended(&id).await;
    e.assert_path(
        &["validate_email", "show_error", "end_error"],
        &["send_hello_email", "end_success"],
    );
    assert_eq!(e.var("email_valid"), false);
    assert!(!e.var("email_error").as_str().unwrap_or_default().is_empty());
    assert_eq!(system.smtp.messages().len(), 1);
}

// ---------------------------------------------------------------------------------------
// test_http_request, order_intake, incident_notification

fn order(order_id: &str, email: &str) -> Value {
    json!({
        "order_id": order_id,
        "customer": {"name": "Grace Hopper", "email": email},
        "items": [
            {"sku": "COBOL-1", "quantity": 2, "unit_price": 9.5},
            {"sku": "NANO-2", "quantity": 3, "unit_price": 0.25}
        ],
        "currency": "USD"
    })
}

async fn automation_processes_run_their_main_and_failure_paths(store: Store) {
    let system = System::boot(&store).await;
    let api = &system.api.url;

    // test_http_request: one GET.
    let id = system
        .start("test_http_request", json!({"url": format!("{api}/echo")}))
        .await;
    let e = system.ended(&id).await;
    e.assert_path(&["http_task", "EndEvent_1"], &[]);
    assert_eq!(e.var("status_code"), 200);
    assert_eq!(e.var("success"), true);
    assert_eq!(
        e.json("json"),
        json!({"hello": "procos", "items": [1, 2, 3]})
    );

    // order_intake, main path: validated, mapped, posted, confirmed by email.
    let id = system
        .start(
            "order_intake",
            json!({"order": order("A-100", "grace@example.test"), "order_api_url": format!("{api}/orders")}),
        )
        .await;
    let e = system.ended(&id).await;
    e.assert_path(
        &[
            "validate_order",
            "prepare_payload",
            "submit_order",
            "send_confirmation",
            "order_confirmed",
        ],
        &["review_invalid_order", "resolve_submission"],
    );
    let payload = e.json("order_payload");
    assert_eq!(payload["order_id"], "A-100");
    assert_eq!(payload["item_count"], 2);
    assert_eq!(payload["total_quantity"], 5);
    assert_eq!(payload["currency"], "USD");
    assert_eq!(system.api.calls("POST /orders"), vec![payload.clone()]);
    assert_eq!(e.var("order_api_status"), 201);
    assert_eq!(e.json("order_api_response")["order_ref"], "ORD-REF-1");
    assert_eq!(e.var("sent"), true);
    let mails = system.mails(1).await;
    assert_eq!(mails[0]["rcpt_tos"], json!(["grace@example.test"]));
    let data = mails[0]["data"].as_str().unwrap_or_default();
    assert_eq!(
        header(data, "Subject").as_deref(),
        Some("Your order A-100 has been received")
    );
    assert!(body(data).contains("Dear Grace Hopper,"), "{}", body(data));

    // order_intake: the API refuses (503); sales correct the URL and post again.
    let id = system
        .start(
            "order_intake",
            json!({"order": order("A-101", "grace@example.test"), "order_api_url": format!("{api}/orders-down")}),
        )
        .await;
    system
        .complete_user_task(
            &id,
            "resolve_submission",
            json!({"order_api_url": format!("{api}/orders"), "retry_submission": true}),
        )
        .await;
    let e = system.ended(&id).await;
    e.assert_path(
        &[
            "submission_failed",
            "resolve_submission",
            "send_confirmation",
            "order_confirmed",
        ],
        &["order_not_submitted"],
    );
    assert!(e
        .var("submission_error")
        .as_str()
        .unwrap_or_default()
        .contains("503"));
    assert_eq!(system.api.calls("POST /orders-down").len(), 1);
    assert_eq!(e.var("order_api_status"), 201);
    system.mails(2).await;

    // order_intake: an invalid order goes to the sales team and is rejected.
    let id = system
        .start(
            "order_intake",
            json!({"order": {"order_id": "A-102", "customer": {"name": "X", "email": "nope"}, "items": []}, "order_api_url": format!("{api}/orders")}),
        )
        .await;
    system
        .complete_user_task(
            &id,
            "review_invalid_order",
            json!({"review_note": "called the customer"}),
        )
        .await;
    let e = system.ended(&id).await;
    e.assert_path(
        &["order_invalid", "review_invalid_order", "order_rejected"],
        &["prepare_payload", "submit_order", "send_confirmation"],
    );
    let errors = e.json("validation_errors");
    let paths: Vec<&str> = errors
        .as_array()
        .expect("violations")
        .iter()
        .filter_map(|v| v["path"].as_str())
        .collect();
    assert!(paths.iter().any(|p| p.contains("email")), "{paths:?}");
    assert!(paths.iter().any(|p| p.contains("items")), "{paths:?}");

    // incident_notification, main path: started by its message, details fetched,
    // approved, emailed.
    let r = system
        .server
        .post(
            "/message",
            &json!({
                "messageName": "incident_reported",
                "resultEnabled": true,
                "processVariables": typed(json!({
                    "incident_id": "INC-7",
                    "summary": "Order database slow",
                    "severity": "high",
                    "details_url": format!("{api}/incidents/INC-7"),
                    "notify_email": "ops@example.test",
                })),
            }),
        )
        .await
        .expect(200);
    let id = r.json[0]["processInstance"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("a started instance: {}", r.json))
        .to_owned();
    system
        .complete_user_task(
            &id,
            "approve_notification",
            json!({"approved": true, "approver_comment": "DB team is on it"}),
        )
        .await;
    let e = system.ended(&id).await;
    e.assert_path(
        &[
            "validate_report",
            "fetch_details",
            "prepare_notification",
            "approve_notification",
            "send_notification",
            "incident_notified",
        ],
        &[
            "details_unavailable",
            "notification_withheld",
            "report_ignored",
        ],
    );
    assert_eq!(e.json("incident_details")["owner"], "db-team");
    let notification = e.json("notification");
    assert_eq!(notification["status"], "investigating");
    assert_eq!(notification["incident_id"], "INC-7");
    let mails = system.mails(3).await;
    let mail = &mails[2];
    assert_eq!(mail["rcpt_tos"], json!(["ops@example.test"]));
    let data = mail["data"].as_str().unwrap_or_default();
    assert_eq!(
        header(data, "Subject").as_deref(),
        Some("[high] Incident INC-7: Order database slow")
    );
    let text = body(data);
    assert!(
        text.contains("Operator comment: DB team is on it"),
        "{text}"
    );
    assert!(text.contains("investigating"), "{text}");

    // incident_notification: the details service answers 404; the notification goes on
    // without details, and the operator withholds it.
    let id = system
        .start(
            "incident_notification",
            json!({
                "incident_id": "INC-8",
                "summary": "Disk almost full",
                "severity": "low",
                "details_url": format!("{api}/incidents/INC-8"),
                "notify_email": "ops@example.test",
            }),
        )
        .await;
    let task = system.user_task(&id, "approve_notification").await;
    let vars = system
        .server
        .get(&format!("/task/{task}/variables"))
        .await
        .expect(200)
        .json;
    let notification: Value =
        serde_json::from_str(vars["notification"]["value"].as_str().unwrap_or("null"))
            .expect("the prepared notification");
    assert_eq!(notification["status"], "unknown", "{notification}");
    system
        .complete_user_task(&id, "approve_notification", json!({"approved": false}))
        .await;
    let e = system.ended(&id).await;
    e.assert_path(
        &[
            "details_unavailable",
            "prepare_notification",
            "notification_withheld",
        ],
        &["send_notification", "incident_notified"],
    );
    assert!(e
        .var("details_error")
        .as_str()
        .unwrap_or_default()
        .contains("404"));

    // incident_notification: an invalid report is ignored.
    let id = system
        .start(
            "incident_notification",
            json!({"incident_id": "INC-9", "summary": "x", "severity": "apocalyptic", "details_url": "ftp://x", "notify_email": "ops@example.test"}),
        )
        .await;
    let e = system.ended(&id).await;
    e.assert_path(&["report_invalid", "report_ignored"], &["fetch_details"]);
    assert_eq!(system.smtp.messages().len(), 3);
}

// ---------------------------------------------------------------------------------------
// system_orchestrator

async fn system_orchestrator_routes_requests_and_shuts_down(store: Store) {
    let system = System::boot_with(&store, &["--root-process", "system_orchestrator"]).await;
    let server = &system.server;
    let root = eventually(
        "the root process runs",
        || system.logs(),
        || async {
            let r = server
                .get("/process-instance?processDefinitionKey=system_orchestrator")
                .await
                .expect(200);
            r.json.as_array()?.first()?["id"]
                .as_str()
                .map(str::to_owned)
        },
    )
    .await;

    // Initialization, worker check and health monitoring pass; it waits for events.
    system.waiting_for(&root, "user_request").await;
    let e = system.history(&root, "ACTIVE".to_owned()).await;
    for a in [
        "initialize_system",
        "check_workers",
        "start_health_monitoring",
        "wait_for_events",
    ] {
        assert!(e.went_through(a), "{a} not in {:?}", e.activities);
    }
    assert_eq!(e.var("system_status"), "initialized");
    assert_eq!(e.var("system_healthy"), true);
    assert_eq!(e.var("workers_ready"), true);
    assert_eq!(e.var("system_mode"), "production");
    assert!(e.vars.contains_key("kernel_version"));
    assert!(e.vars.contains_key("startup_time"));

    // A user request runs the process it names as a child.
    let api = &system.api.url;
    server
        .post(
            "/message",
            &json!({
                "messageName": "user_request",
                "processInstanceId": root,
                "processVariables": typed(json!({
                    "process_to_execute": "test_http_request",
                    "url": format!("{api}/echo"),
                })),
            }),
        )
        .await
        .expect(204);
    let child = eventually("the requested process ran", || system.logs(), || async {
        let r = server
            .get(&format!(
                "/history/process-instance?superProcessInstanceId={root}&processDefinitionKey=test_http_request"
            ))
            .await
            .expect(200);
        let first = r.json.as_array()?.first()?.clone();
        (first["state"] == "COMPLETED").then_some(first)
    })
    .await;
    let child = system
        .history(child["id"].as_str().expect("an id"), "COMPLETED".to_owned())
        .await;
    assert_eq!(child.var("status_code"), 200);
    system.waiting_for(&root, "user_request").await;
    let e = system.history(&root, "ACTIVE".to_owned()).await;
    for a in ["user_request_received", "route_request", "execute_request"] {
        assert!(e.went_through(a), "{a} not in {:?}", e.activities);
    }
    assert_eq!(e.var("route_valid"), true);
    // `camunda:out variables="all"` brings the child's results back.
    assert_eq!(e.var("status_code"), 200);
    assert_eq!(system.api.calls("GET /echo").len(), 1);

    // A request naming no deployed process is rejected and the loop goes on.
    server
        .post(
            "/message",
            &json!({
                "messageName": "user_request",
                "processInstanceId": root,
                "processVariables": typed(json!({"process_to_execute": "no_such_process"})),
            }),
        )
        .await
        .expect(204);
    eventually(
        "the unknown request is rejected",
        || system.logs(),
        || async {
            let e = system.history(&root, "ACTIVE".to_owned()).await;
            e.went_through("unknown_process").then_some(())
        },
    )
    .await;
    system.waiting_for(&root, "shutdown_signal").await;

    // The shutdown message ends it.
    server
        .post(
            "/message",
            &json!({"messageName": "shutdown_signal", "processInstanceId": root}),
        )
        .await
        .expect(204);
    let e = system.ended(&root).await;
    e.assert_path(
        &[
            "shutdown_signal_received",
            "shut_down_system",
            "system_stopped",
        ],
        &[],
    );
    assert_eq!(e.var("system_status"), "shutdown");
    assert!(e.vars.contains_key("shutdown_at"));
}

// ---------------------------------------------------------------------------------------
// procos serve --with-workers

/// The seeds' whole system in one command: `procos serve --with-workers --root-process
/// system_orchestrator --shutdown-message shutdown_signal`. An AI query started by key
/// and one routed through the orchestrator complete; SIGTERM sends the shutdown message,
/// and the orchestrator's shutdown path runs to its end before the server exits.
async fn serve_with_workers_runs_the_whole_system(store: Store) {
    let (openai, ollama) = providers().await;
    let api = automation_api().await;
    let smtp = SmtpSink::start().await;
    let files = TempDir::new();
    let processes = seed_processes();
    let refs: Vec<(&str, &str)> = processes
        .iter()
        .map(|(n, c)| (n.as_str(), c.as_str()))
        .collect();
    // The bundled workers read their settings from the server's environment; the engine
    // URL is the server's own.
    let mut envs = ai_env("unused", Some(&openai), &ollama);
    envs.extend(generic_env("unused", &smtp, &api, files.path()));
    envs.retain(|(k, _)| k != "PROCOS_ENGINE_URL");
    let env_refs: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut server = Server::start_with_processes_and_env(
        &store,
        &[
            "--with-workers",
            "--root-process",
            "system_orchestrator",
            "--shutdown-message",
            "shutdown_signal",
        ],
        &refs,
        &env_refs,
    )
    .await;
    let ended = |id: String| {
        let server = &server;
        async move {
            let state = server
                .eventually(&format!("{id} ends"), || async {
                    let r = server
                        .get(&format!("/history/process-instance/{id}"))
                        .await
                        .expect(200);
                    let state = r.json["state"].as_str().unwrap_or_default().to_owned();
                    (state != "ACTIVE").then_some(state)
                })
                .await;
            history(server, &id, state).await
        }
    };

    // By key.
    let r = server
        .start_instance(
            "ai_query_process",
            typed(json!({"user_query": "What is the capital of France?"})),
        )
        .await;
    let id = r["id"].as_str().expect("an id").to_owned();
    let e = ended(id.clone()).await;
    e.assert_path(
        &["query_ai", "store_response", "response_stored"],
        &["use_fallback_answer"],
    );
    assert_eq!(e.var("ai_response"), OLLAMA_ANSWER);
    assert_eq!(e.var("provider"), "ollama");
    assert!(files
        .path()
        .join("ai_responses")
        .join(format!("{id}.json"))
        .exists());
    assert_eq!(ollama.calls(OLLAMA_CHAT).len(), 1);
    assert!(server
        .log()
        .contains("bundled workers polling over loopback"));

    // Through the orchestrator, which the kernel started.
    let root = server
        .eventually("the root process waits for user requests", || async {
            let r = server
                .get("/event-subscription?eventName=user_request")
                .await
                .expect(200);
            r.json.as_array()?.first()?["processInstanceId"]
                .as_str()
                .map(str::to_owned)
        })
        .await;
    server
        .post(
            "/message",
            &json!({
                "messageName": "user_request",
                "processInstanceId": root,
                "processVariables": typed(json!({
                    "process_to_execute": "ai_query_process",
                    "user_query": "And the capital of Italy?",
                    "ai_provider": "openai",
                })),
            }),
        )
        .await
        .expect(204);
    let child = server
        .eventually("the routed AI query runs", || async {
            let r = server
                .get(&format!(
                    "/history/process-instance?superProcessInstanceId={root}"
                ))
                .await
                .expect(200);
            r.json.as_array()?.first()?["id"]
                .as_str()
                .map(str::to_owned)
        })
        .await;
    let e = ended(child).await;
    e.assert_path(&["query_ai", "response_stored"], &[]);
    assert_eq!(e.var("provider"), "openai");
    assert_eq!(e.var("ai_response"), OPENAI_ANSWER);
    server
        .eventually("the orchestrator waits again", || async {
            let n = server
                .count(&format!(
                    "/event-subscription/count?processInstanceId={root}&eventName=shutdown_signal"
                ))
                .await;
            (n == 1).then_some(())
        })
        .await;
    let e = history(&server, &root, "ACTIVE".to_owned()).await;
    assert_eq!(e.var("ai_response"), OPENAI_ANSWER, "out variables=all");

    // SIGTERM: the shutdown message reaches the orchestrator, whose shutdown task the
    // bundled generic worker completes before the server stops.
    server.sigterm();
    assert_eq!(server.wait_exit().await, Some(0));
    assert!(server.log().contains("shutdown message delivered"));
    server.restart().await;
    let e = history(&server, &root, String::new()).await;
    let state = server
        .get(&format!("/history/process-instance/{root}"))
        .await
        .expect(200)
        .json["state"]
        .clone();
    assert_eq!(state, "COMPLETED", "{:?}\n{}", e.activities, server.log());
    assert!(e.went_through("shut_down_system") && e.went_through("system_stopped"));
    assert_eq!(e.var("system_status"), "shutdown");
}

// ---------------------------------------------------------------------------------------
// Measurements for issue 6's note

/// The median of `values` (sorted in place).
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// Runs ai_query_process `RUNS` times against the loopback Ollama fake, each from the
/// POST that starts it to the end in history (polled every 2 ms), and prints the median,
/// then the workers' VmRSS and VmHWM. Run with `-- --nocapture` to see the figures; set
/// `PROCOS_TEST_BIN=target/release/procos` to measure a release build.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ai_query_end_to_end_time_and_worker_memory() {
    const WARM_UP: usize = 3;
    const RUNS: usize = 20;
    let system = System::boot(&Store::Sqlite).await;
    let server = &system.server;
    let mut times = Vec::new();
    for run in 0..WARM_UP + RUNS {
        let started = Instant::now();
        let id = system
            .start(
                "ai_query_process",
                json!({"user_query": format!("What is the capital of France? ({run})"), "user_id": "bench"}),
            )
            .await;
        let deadline = Instant::now() + PATIENCE;
        loop {
            let r = server
                .get(&format!("/history/process-instance/{id}"))
                .await
                .expect(200);
            if r.json["state"] != "ACTIVE" {
                assert_eq!(r.json["state"], "COMPLETED");
                break;
            }
            if Instant::now() > deadline {
                system.no_incident(&id).await;
                panic!("run {run} did not end\n{}", system.logs());
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        if run >= WARM_UP {
            times.push(ms);
        }
    }
    let mut sorted = times.clone();
    let med = median(&mut sorted);
    let (min, max) = (sorted[0], sorted[sorted.len() - 1]);
    let memory = |w: &WorkerProcess| {
        (
            w.status_kb("VmRSS").unwrap_or(0),
            w.status_kb("VmHWM").unwrap_or(0),
        )
    };
    let (ai_rss, ai_hwm) = memory(&system.ai);
    let (generic_rss, generic_hwm) = memory(&system.generic);
    let binary = support::procos_bin();
    println!(
        "ai_query_process end to end ({RUNS} runs after {WARM_UP} warm-up, SQLite, loopback Ollama fake, {}): median {med:.1} ms, min {min:.1} ms, max {max:.1} ms",
        binary.display()
    );
    println!("procos worker ai: VmRSS {ai_rss} kB, VmHWM {ai_hwm} kB");
    println!("procos worker generic: VmRSS {generic_rss} kB, VmHWM {generic_hwm} kB");
    println!(
        "{}",
        json!({
            "ai_query_e2e_ms": {"median": med, "min": min, "max": max, "runs": RUNS},
            "worker_ai_kb": {"VmRSS": ai_rss, "VmHWM": ai_hwm},
            "worker_generic_kb": {"VmRSS": generic_rss, "VmHWM": generic_hwm},
        })
    );
    assert!(
        ai_rss > 0 && generic_rss > 0,
        "the workers' /proc status is readable"
    );
    assert_eq!(system.ollama.calls(OLLAMA_CHAT).len(), WARM_UP + RUNS);
}
