//! What every end-to-end test needs: a real `procos serve` child process on a free port,
//! in a fresh temporary directory, on a fresh store (an SQLite file, or a new PostgreSQL
//! database on the cluster named by `PROCOS_TEST_POSTGRES_URL`), and a small HTTP client
//! for Camunda's REST API.
//!
//! Each behaviour runs once per store: [`on_both_stores!`] turns `async fn x(store: Store)`
//! into the tests `x::sqlite` and `x::postgres`. Without `PROCOS_TEST_POSTGRES_URL` the
//! PostgreSQL variant says it was skipped and passes; `scripts/test` always sets it.

#![allow(dead_code)] // Each test file uses a different part of this module.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

pub mod bpmn;

/// The environment variable naming the PostgreSQL cluster the tests create databases on.
pub const POSTGRES_ENV: &str = "PROCOS_TEST_POSTGRES_URL";

/// How long a test waits for something that must eventually happen (a server to come up,
/// a timer to fire, a file to be deployed). Generous: the tests assert what happens, not
/// how fast.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// Runs `async fn $name(store: Store)` once per store, as the tests `$name::sqlite` and
/// `$name::postgres`.
#[macro_export]
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                super::$name($crate::support::Store::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                if let Some(store) = $crate::support::Store::postgres() {
                    super::$name(store).await
                }
            }
        }
    )*};
}

/// Runs `async fn $name(store: Store)` on PostgreSQL only (clusters of nodes, the
/// large concurrency test), as the test `$name::postgres`.
#[macro_export]
macro_rules! on_postgres {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                if let Some(store) = $crate::support::Store::postgres() {
                    super::$name(store).await
                }
            }
        }
    )*};
}

/// Which store a server runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Store {
    /// An SQLite file in the server's directory.
    Sqlite,
    /// A fresh database on this cluster (the admin URL from `PROCOS_TEST_POSTGRES_URL`).
    Postgres(String),
}

impl Store {
    /// PostgreSQL, or `None` (after saying so) when no cluster is configured.
    pub fn postgres() -> Option<Store> {
        match std::env::var(POSTGRES_ENV) {
            Ok(url) if !url.trim().is_empty() => Some(Store::Postgres(url)),
            _ => {
                println!("SKIPPED: {POSTGRES_ENV} is not set");
                eprintln!("SKIPPED: {POSTGRES_ENV} is not set");
                None
            }
        }
    }

    /// A short name for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Store::Sqlite => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    /// True for PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(self, Store::Postgres(_))
    }
}

/// A unique, readable suffix for directories and database names.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

/// A temporary directory, deleted on drop.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new empty directory.
    pub fn new() -> TempDir {
        let path = std::env::temp_dir().join(unique("procos-test"));
        fs::create_dir_all(&path).expect("create a temporary directory");
        TempDir(path)
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The database of one test: an SQLite file, or a PostgreSQL database created for it and
/// dropped when the last server using it is gone.
#[derive(Debug)]
pub struct Database {
    /// The URL the servers get.
    pub url: String,
    /// For PostgreSQL: the admin URL and the database's name, to drop it.
    postgres: Option<(String, String)>,
}

impl Database {
    /// A fresh database for `store`; SQLite files live in `dir`.
    pub async fn create(store: &Store, dir: &Path) -> Database {
        match store {
            Store::Sqlite => Database {
                url: format!("sqlite://{}", dir.join("data").join("procos.db").display()),
                postgres: None,
            },
            Store::Postgres(admin) => {
                use sqlx::Connection;
                let name = unique("t");
                let mut conn = sqlx::PgConnection::connect(admin)
                    .await
                    .unwrap_or_else(|e| panic!("cannot connect to {POSTGRES_ENV}={admin}: {e}"));
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .expect("create a test database");
                let _ = conn.close().await;
                Database {
                    url: with_database(admin, &name),
                    postgres: Some((admin.clone(), name)),
                }
            }
        }
    }

    /// Runs SQL against this database (for checks no REST endpoint offers).
    pub async fn scalar_i64(&self, sql: &str) -> i64 {
        match &self.postgres {
            Some(_) => {
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(&self.url)
                    .await
                    .expect("connect to the test database");
                let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
                    .fetch_one(&mut conn)
                    .await
                    .expect("query the test database");
                let _ = conn.close().await;
                n
            }
            None => {
                use sqlx::Connection;
                let mut conn = sqlx::SqliteConnection::connect(&self.url)
                    .await
                    .expect("open the test database");
                let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
                    .fetch_one(&mut conn)
                    .await
                    .expect("query the test database");
                let _ = conn.close().await;
                n
            }
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let Some((admin, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs outside any async context we could block on: use a thread with its own
        // small runtime. A leftover database only costs disk on a throwaway cluster.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                use sqlx::Connection;
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = sqlx::query(sqlx::AssertSqlSafe(sql))
                        .execute(&mut conn)
                        .await;
                    let _ = conn.close().await;
                }
            });
        })
        .join();
    }
}

/// `postgres://user@host:port/other?x` with its database replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{host_part}/{name}?{q}"),
        None => format!("{host_part}/{name}"),
    }
}

/// A response: status, content type and body (JSON when it parses, else null).
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The body as JSON (`Value::Null` when empty or not JSON).
    pub json: Value,
    /// The raw body.
    pub bytes: Vec<u8>,
}

impl Response {
    /// Panics with the body unless the status is `status`.
    #[track_caller]
    pub fn expect(self, status: u16) -> Response {
        assert_eq!(
            self.status,
            status,
            "expected HTTP {status}, got {} with body {}",
            self.status,
            String::from_utf8_lossy(&self.bytes)
        );
        self
    }
}

/// A running `procos serve`, killed when dropped.
pub struct Server {
    child: Option<Child>,
    /// `http://127.0.0.1:port/engine-rest`.
    pub base: String,
    /// The server's directory: `processes/`, `data/`, logs.
    pub dir: Arc<TempDir>,
    /// The store.
    pub db: Arc<Database>,
    /// The store kind.
    pub store: Store,
    /// The HTTP client.
    pub http: reqwest::Client,
    starts: u32,
    name: String,
    args: Vec<String>,
    envs: Vec<(String, String)>,
}

/// The `procos` binary the tests run: the one Cargo built for them, or the one named by
/// `PROCOS_TEST_BIN` (to measure a release build with the same tests).
pub fn procos_bin() -> PathBuf {
    match std::env::var_os("PROCOS_TEST_BIN") {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => PathBuf::from(env!("CARGO_BIN_EXE_procos")),
    }
}

/// A client that never goes through a proxy and waits long enough for long polls.
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(300))
        .pool_max_idle_per_host(64)
        .build()
        .expect("build the HTTP client")
}

impl Server {
    /// A server on a fresh store with an empty processes folder.
    pub async fn start(store: &Store) -> Server {
        Server::start_with(store, &[]).await
    }

    /// A server on a fresh store, with extra `procos serve` flags.
    pub async fn start_with(store: &Store, args: &[&str]) -> Server {
        Server::start_with_processes(store, args, &[]).await
    }

    /// A server on a fresh store whose processes folder holds `files` (name, content)
    /// before it starts.
    pub async fn start_with_processes(
        store: &Store,
        args: &[&str],
        files: &[(&str, &str)],
    ) -> Server {
        Server::start_with_processes_and_env(store, args, files, &[]).await
    }

    /// Like [`Server::start_with_processes`], with extra environment variables for the
    /// server (`--with-workers` reads the bundled workers' settings from them).
    pub async fn start_with_processes_and_env(
        store: &Store,
        args: &[&str],
        files: &[(&str, &str)],
        envs: &[(&str, &str)],
    ) -> Server {
        let dir = Arc::new(TempDir::new());
        fs::create_dir_all(dir.path().join("processes")).expect("create processes/");
        for (name, content) in files {
            fs::write(dir.path().join("processes").join(name), content).expect("write a file");
        }
        let db = Arc::new(Database::create(store, dir.path()).await);
        Server::start_on(store, db, dir, "node", args, envs).await
    }

    /// Another node on the same store, with an empty processes folder of its own
    /// (PostgreSQL clusters).
    pub async fn another_node(&self, name: &str) -> Server {
        self.another_node_with_processes(name, &[]).await
    }

    /// Another node on the same store whose own processes folder holds `files`.
    pub async fn another_node_with_processes(&self, name: &str, files: &[(&str, &str)]) -> Server {
        self.another_node_with_processes_and_args(name, files, &[])
            .await
    }

    /// Another node on the same store, with its own processes and extra flags.
    pub async fn another_node_with_processes_and_args(
        &self,
        name: &str,
        files: &[(&str, &str)],
        args: &[&str],
    ) -> Server {
        let dir = Arc::new(TempDir::new());
        let processes = dir.path().join("processes");
        fs::create_dir_all(&processes).expect("create processes/");
        for (file, content) in files {
            fs::write(processes.join(file), content).expect("write a file");
        }
        Server::start_on(&self.store, self.db.clone(), dir, name, args, &[]).await
    }

    async fn start_on(
        store: &Store,
        db: Arc<Database>,
        dir: Arc<TempDir>,
        name: &str,
        args: &[&str],
        envs: &[(&str, &str)],
    ) -> Server {
        let mut server = Server {
            child: None,
            base: String::new(),
            dir,
            db,
            store: store.clone(),
            http: http_client(),
            starts: 0,
            name: name.to_owned(),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            envs: envs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        server.launch().await;
        server
    }

    /// The log file of the `n`th start.
    fn log_path(&self, n: u32) -> PathBuf {
        self.dir.path().join(format!("{}-{n}.log", self.name))
    }

    /// Everything the server logged, over all its starts.
    pub fn log(&self) -> String {
        (1..=self.starts)
            .filter_map(|n| fs::read_to_string(self.log_path(n)).ok())
            .collect::<Vec<_>>()
            .join("")
    }

    async fn launch(&mut self) {
        self.starts += 1;
        let log_path = self.log_path(self.starts);
        let log = fs::File::create(&log_path).expect("create the server log");
        let child = Command::new(procos_bin())
            .arg("serve")
            .args(["--bind", "127.0.0.1:0"])
            .args(["--database-url", &self.db.url])
            .arg("--processes")
            .arg(self.dir.path().join("processes"))
            .arg("--data-dir")
            .arg(self.dir.path().join("data"))
            .args(["--log-format", "json"])
            .args(&self.args)
            .current_dir(self.dir.path())
            .env_remove("PROCOS_CONFIG")
            .env_remove("PROCOS_BIND")
            .env_remove("PROCOS_DATABASE_URL")
            .env_remove("RUST_LOG")
            .env("PROCOS_LOG", "info,sqlx=warn")
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn procos serve");
        self.child = Some(child);
        // The server logs the address it bound (port 0: the system picks a free one).
        let deadline = Instant::now() + PATIENCE;
        let url = loop {
            if let Some(url) = ready_url(&log_path) {
                break url;
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!(
                    "procos serve exited with {status} before it was ready:\n{}",
                    self.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "procos serve was not ready in time:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        self.base = url;
        // And it answers.
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Ok(r) = self.http.get(self.url("/engine")).send().await {
                if r.status().is_success() {
                    break;
                }
            }
            assert!(Instant::now() < deadline, "GET /engine never answered");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The process id of the running server.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).expect("the server runs")
    }

    /// `kill -9`: the server dies at once, mid-transaction if need be.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends SIGTERM (a graceful stop).
    pub fn sigterm(&self) {
        let pid = libc::pid_t::try_from(self.pid()).expect("a pid");
        // SAFETY: kill(2) on our own child's pid has no memory-safety preconditions.
        let rc = unsafe { libc::kill(pid, libc::SIGTERM) };
        assert_eq!(rc, 0, "cannot send SIGTERM");
    }

    /// Waits for the server to exit by itself; returns its exit code.
    pub async fn wait_exit(&mut self) -> Option<i32> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let child = self.child.as_mut().expect("the server runs");
            if let Some(status) = child.try_wait().expect("wait for the server") {
                self.child = None;
                return status.code();
            }
            assert!(
                Instant::now() < deadline,
                "the server did not exit:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Starts the server again on the same store and folder (after [`Server::kill9`]).
    pub async fn restart(&mut self) {
        self.kill9();
        self.launch().await;
    }

    /// The full URL of an API path (`/process-definition`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The folder the server deploys from.
    pub fn processes(&self) -> PathBuf {
        self.dir.path().join("processes")
    }

    async fn read(r: reqwest::Response) -> Response {
        let status = r.status().as_u16();
        let content_type = r
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned);
        let bytes = r.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Response {
            status,
            content_type,
            json,
            bytes,
        }
    }

    /// GET.
    pub async fn get(&self, path: &str) -> Response {
        let r = self
            .http
            .get(self.url(path))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        Server::read(r).await
    }

    /// POST a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.try_post(path, body)
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    /// POST a JSON body; a transport error (the server died) is returned, not a panic.
    pub async fn try_post(&self, path: &str, body: &Value) -> Result<Response, reqwest::Error> {
        let r = self.http.post(self.url(path)).json(body).send().await?;
        Ok(Server::read(r).await)
    }

    /// POST raw bytes with a content type.
    pub async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> Response {
        let r = self
            .http
            .post(self.url(path))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        Server::read(r).await
    }

    /// PUT a JSON body.
    pub async fn put(&self, path: &str, body: &Value) -> Response {
        let r = self
            .http
            .put(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("PUT {path}: {e}"));
        Server::read(r).await
    }

    /// `POST /deployment/create` with one resource, as Camunda Modeler sends it.
    pub async fn deploy_raw(&self, file_name: &str, content: &[u8]) -> Response {
        let form = reqwest::multipart::Form::new()
            .text("deployment-name", file_name.to_owned())
            .text("deployment-source", "procos tests")
            .text("enable-duplicate-filtering", "true")
            .part(
                file_name.to_owned(),
                reqwest::multipart::Part::bytes(content.to_vec()).file_name(file_name.to_owned()),
            );
        let r = self
            .http
            .post(self.url("/deployment/create"))
            .multipart(form)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST /deployment/create: {e}"));
        Server::read(r).await
    }

    /// Deploys a BPMN document; returns the deployment.
    pub async fn deploy(&self, file_name: &str, xml: &str) -> Value {
        self.deploy_raw(file_name, xml.as_bytes())
            .await
            .expect(200)
            .json
    }

    /// Starts the latest version of `key` with `variables` (Camunda's typed form).
    pub async fn start_instance(&self, key: &str, variables: Value) -> Value {
        self.post(
            &format!("/process-definition/key/{key}/start"),
            &json!({ "variables": variables }),
        )
        .await
        .expect(200)
        .json
    }

    /// fetchAndLock without waiting: up to `max` tasks of `topic`.
    pub async fn fetch(&self, worker: &str, topic: &str, max: u32, lock_ms: u64) -> Vec<Value> {
        let r = self
            .post(
                "/external-task/fetchAndLock",
                &json!({
                    "workerId": worker,
                    "maxTasks": max,
                    "topics": [{ "topicName": topic, "lockDuration": lock_ms }],
                }),
            )
            .await
            .expect(200);
        r.json
            .as_array()
            .cloned()
            .expect("fetchAndLock answers a list")
    }

    /// Completes a task; returns the status.
    pub async fn complete(&self, task: &str, worker: &str, variables: Value) -> Response {
        self.post(
            &format!("/external-task/{task}/complete"),
            &json!({ "workerId": worker, "variables": variables }),
        )
        .await
    }

    /// `GET …/count`.
    pub async fn count(&self, path_and_query: &str) -> i64 {
        let r = self.get(path_and_query).await.expect(200);
        r.json["count"]
            .as_i64()
            .unwrap_or_else(|| panic!("{path_and_query} answered {}", r.json))
    }

    /// Polls `check` until it returns `Some`, or panics after [`PATIENCE`] with `what`.
    pub async fn eventually<T, F, Fut>(&self, what: &str, mut check: F) -> T
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
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
        if std::thread::panicking() {
            eprintln!(
                "---- log of procos serve ({}, {}) ----\n{}",
                self.name,
                self.store.name(),
                tail(&self.log(), 60)
            );
        }
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// The URL from the "ready" line of a JSON log, once it is there.
fn ready_url(log: &Path) -> Option<String> {
    let file = fs::File::open(log).ok()?;
    BufReader::new(file)
        .lines()
        .map_while(Result::ok)
        .filter_map(|line| serde_json::from_str::<Value>(&line).ok())
        .find(|v| v["phase"] == "ready")
        .and_then(|v| v["url"].as_str().map(str::to_owned))
}

/// The ids of a JSON list of objects.
pub fn ids(list: &[Value]) -> Vec<String> {
    list.iter()
        .map(|v| v["id"].as_str().expect("an id").to_owned())
        .collect()
}
