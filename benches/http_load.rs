//! procos persisted, over HTTP (issue 7): a load generator that drives real `procos serve`
//! processes over loopback with the workers' client library, and PostgreSQL's own ceiling
//! for the same row work, measured with pgbench in the same run.
//!
//! `benches/http/run` builds and runs it (`cargo bench --bench http_load`) and, when no
//! PostgreSQL is given, starts a throwaway cluster for it. What it measures:
//!
//! - throughput: N workers (1, 4, 16), each looping start (`POST
//!   /process-definition/key/wait/start`) + `fetchAndLock` (long poll, one task) +
//!   `complete` on `benches/fixtures/wait.bpmn` (start → external task → end), on SQLite,
//!   on PostgreSQL, and on two nodes sharing one PostgreSQL (worker i talks to node i % 2);
//!   completed instances per second and p50/p99 of each call, and where the CPU went;
//! - the pgbench ceiling: `benches/http/lifecycle.pgbench`, the rows one instance's three
//!   transactions write (start, fetch-and-lock, complete) against procos's own schema, with
//!   the same client counts; procos's instances/s as a fraction of it;
//! - hand-off latency: `benches/http/handoff.bpmn` (task A → task B); from the `complete`
//!   answer of A to a waiting long poll on B's topic returning B of the same instance;
//! - idle memory (`VmRSS`, `VmHWM`) and start-up (the `ready` line's `ms`, and the wall
//!   time from spawning to the first 200 of `GET /engine`) on SQLite.
//!
//! Every figure is the median over `PROCOS_BENCH_REPS` runs (3), each on a fresh server and
//! a fresh database. Results: a table on stdout, `target/bench-report/http.md` (included
//! in BENCHMARKS.md by `benches/report`) and `target/bench-report/http.json`.
//!
//! Settings (environment): `PROCOS_BENCH_POSTGRES_URL` (a superuser URL; without it the
//! PostgreSQL parts are skipped), `PROCOS_BENCH_SECS` (8, measured seconds per run),
//! `PROCOS_BENCH_WARMUP` (2), `PROCOS_BENCH_REPS` (3), `PROCOS_BENCH_CLIENTS` (1,4,16),
//! `PROCOS_BENCH_HANDOFF_SAMPLES` (200), `PROCOS_BENCH_ONLY` (comma list of parts:
//! startup, sqlite, postgres, cluster, pgbench, handoff; all by default; a partial run
//! writes its report to `http-partial.*` so that it never replaces the full one),
//! `PROCOS_BENCH_BIN` (another `procos` binary, for A/B comparisons).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use procos_workers::client::{ClientConfig, EngineClient, FetchTopic};
use procos_workers::task::Variables;
use serde_json::{json, Value};

/// The `procos` binary; `PROCOS_BENCH_BIN` runs another build (an A/B comparison).
fn bin() -> String {
    std::env::var("PROCOS_BENCH_BIN")
        .ok()
        .filter(|b| !b.trim().is_empty())
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_procos").to_owned())
}
const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const HANDOFF_TARGET_US: f64 = 5_000.0;
const CEILING_TARGET: f64 = 0.5;
const IDLE_RSS_TARGET_KB: f64 = 30.0 * 1024.0;
const READY_TARGET_MS: f64 = 500.0;

// ---------------------------------------------------------------------------------------
// Settings

#[derive(Debug, Clone)]
struct Settings {
    postgres: Option<String>,
    secs: f64,
    warmup: f64,
    reps: usize,
    clients: Vec<usize>,
    handoff_samples: usize,
    only: Option<Vec<String>>,
}

impl Settings {
    fn from_env() -> Settings {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let num = |name: &str, default: f64| {
            var(name)
                .map(|v| {
                    v.trim()
                        .parse::<f64>()
                        .unwrap_or_else(|_| panic!("{name}={v} is not a number"))
                })
                .unwrap_or(default)
        };
        Settings {
            postgres: var("PROCOS_BENCH_POSTGRES_URL"),
            secs: num("PROCOS_BENCH_SECS", 8.0),
            warmup: num("PROCOS_BENCH_WARMUP", 2.0),
            reps: num("PROCOS_BENCH_REPS", 3.0).max(1.0) as usize,
            clients: var("PROCOS_BENCH_CLIENTS")
                .unwrap_or_else(|| "1,4,16".to_owned())
                .split(',')
                .map(|c| c.trim().parse().expect("PROCOS_BENCH_CLIENTS: numbers"))
                .collect(),
            handoff_samples: num("PROCOS_BENCH_HANDOFF_SAMPLES", 200.0) as usize,
            only: var("PROCOS_BENCH_ONLY")
                .map(|v| v.split(',').map(|s| s.trim().to_owned()).collect()),
        }
    }

    fn wants(&self, part: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|only| only.iter().any(|p| p == part))
    }
}

// ---------------------------------------------------------------------------------------
// Small helpers: files, processes, /proc

fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000_000
    )
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(prefix: &str) -> TempDir {
        let path = std::env::temp_dir().join(unique(prefix));
        std::fs::create_dir_all(&path).expect("create a temporary directory");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A field of `/proc/<pid>/status` in kB.
fn status_kb(pid: u32, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find(|l| l.starts_with(field) && l[field.len()..].starts_with(':'))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn clock_ticks() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 {
        t as f64
    } else {
        100.0
    }
}

/// Fields of `/proc/<pid>/stat` after the command name (which may hold spaces), so that
/// index 0 is field 3 (`state`); empty when the process is gone.
fn stat_fields(pid: u32) -> Vec<String> {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|text| text.rsplit_once(')').map(|(_, rest)| rest.to_owned()))
        .map(|rest| rest.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// The sum of two clock-tick fields of `/proc/<pid>/stat` (1-based field numbers), in
/// seconds; 0 when the process is gone.
fn stat_secs(pid: u32, a: usize, b: usize) -> f64 {
    let fields = stat_fields(pid);
    let ticks = |field: usize| {
        fields
            .get(field - 3)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(a) + ticks(b)) / clock_ticks()
}

/// CPU time (user + system: `utime`, `stime`) of a process so far, in seconds.
fn cpu_secs(pid: u32) -> f64 {
    stat_secs(pid, 14, 15)
}

/// CPU time (user + system) of a process's children that have exited and been reaped
/// (`cutime`, `cstime`), in seconds: where the CPU of a PostgreSQL backend goes once its
/// client disconnects, as pgbench's do at the end of a run.
fn reaped_children_cpu_secs(pid: u32) -> f64 {
    stat_secs(pid, 16, 17)
}

fn parent_of(pid: u32) -> Option<u32> {
    // `ppid` is field 4.
    stat_fields(pid).get(1)?.parse().ok()
}

/// The postmaster and every process it started.
fn cluster_pids(postmaster: u32) -> Vec<u32> {
    let mut out = vec![postmaster];
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for e in entries.flatten() {
            if let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) {
                if parent_of(pid) == Some(postmaster) {
                    out.push(pid);
                }
            }
        }
    }
    out
}

/// Busy and total jiffies of the whole machine, from `/proc/stat`.
fn machine_jiffies() -> (f64, f64) {
    let text = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let line = text.lines().next().unwrap_or("");
    let v: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    let total: f64 = v.iter().take(8).sum();
    let idle = v.get(3).copied().unwrap_or(0.0) + v.get(4).copied().unwrap_or(0.0);
    (total - idle, total)
}

/// CPU seconds used by groups of processes and the machine between two points.
#[derive(Debug, Clone, Copy, Default)]
struct CpuUse {
    procos: f64,
    postgres: f64,
    generator: f64,
    busy: f64,
}

struct CpuMeter {
    procos: Vec<u32>,
    postmaster: Option<u32>,
    start: (f64, f64, f64, (f64, f64)),
}

impl CpuMeter {
    fn start(procos: Vec<u32>, postmaster: Option<u32>) -> CpuMeter {
        let mut m = CpuMeter {
            procos,
            postmaster,
            start: (0.0, 0.0, 0.0, (0.0, 0.0)),
        };
        m.start = m.sample();
        m
    }

    fn sample(&self) -> (f64, f64, f64, (f64, f64)) {
        let procos = self.procos.iter().map(|p| cpu_secs(*p)).sum();
        // Live processes plus what exited in between: the sum over the processes alive at
        // the end, minus the sum over those alive at the start, plus the growth of the
        // reaped children's total, is exactly the cluster's CPU in the window, also for
        // backends that started and ended inside it.
        let postgres = self
            .postmaster
            .map(|pm| {
                cluster_pids(pm).into_iter().map(cpu_secs).sum::<f64>()
                    + reaped_children_cpu_secs(pm)
            })
            .unwrap_or(0.0);
        (
            procos,
            postgres,
            cpu_secs(std::process::id()),
            machine_jiffies(),
        )
    }

    fn stop(&self) -> CpuUse {
        let end = self.sample();
        let (b0, t0) = self.start.3;
        let (b1, t1) = end.3;
        CpuUse {
            procos: end.0 - self.start.0,
            postgres: end.1 - self.start.1,
            generator: end.2 - self.start.2,
            busy: if t1 > t0 { (b1 - b0) / (t1 - t0) } else { 0.0 },
        }
    }
}

// ---------------------------------------------------------------------------------------
// PostgreSQL databases

fn with_database(admin: &str, name: &str) -> String {
    let (base, query) = match admin.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (admin, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut url = format!("{}/{name}", &base[..path_start]);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

fn psql(url: &str, args: &[&str]) -> String {
    let out = Command::new("psql")
        .arg(url)
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-At"])
        .args(args)
        .output()
        .expect("run psql (PostgreSQL's client)");
    assert!(
        out.status.success(),
        "psql {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A fresh database on the cluster, dropped with this value.
struct PgDatabase {
    admin: String,
    name: String,
    url: String,
}

impl PgDatabase {
    fn create(admin: &str) -> PgDatabase {
        let name = unique("procos_bench");
        psql(admin, &["-c", &format!("CREATE DATABASE {name}")]);
        PgDatabase {
            admin: admin.to_owned(),
            url: with_database(admin, &name),
            name,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .arg(&self.admin)
            .args(["-X", "-q", "-c"])
            .arg(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// The postmaster of the cluster behind `admin`, for CPU accounting (None when its
/// data directory is not readable here).
fn postmaster_pid(admin: &str) -> Option<u32> {
    let dir = psql(admin, &["-c", "SHOW data_directory"]);
    let text = std::fs::read_to_string(Path::new(&dir).join("postmaster.pid")).ok()?;
    text.lines().next()?.trim().parse().ok()
}

fn pg_setting(admin: &str, name: &str) -> String {
    psql(admin, &["-c", &format!("SHOW {name}")])
}

// ---------------------------------------------------------------------------------------
// procos serve

struct Server {
    child: Child,
    pid: u32,
    base: String,
    ready_ms: f64,
    spawn_to_200_ms: f64,
    log: PathBuf,
}

/// One blocking `GET /engine-rest/engine`; true on a 200.
fn engine_answers(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    if s.write_all(
        b"GET /engine-rest/engine HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    )
    .is_err()
    {
        return false;
    }
    let mut buf = [0u8; 12];
    let mut got = 0;
    while got < buf.len() {
        match s.read(&mut buf[got..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    buf.starts_with(b"HTTP/1.1 200")
}

fn ready_ms(log: &Path) -> Option<f64> {
    let text = std::fs::read_to_string(log).ok()?;
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["phase"] == "ready")
        .and_then(|v| v["ms"].as_f64())
}

impl Server {
    /// Spawns `procos serve` in `dir` on `database_url` and waits for its first 200.
    fn start(dir: &Path, database_url: &str, name: &str) -> Server {
        let processes = dir.join("processes");
        if !processes.exists() {
            std::fs::create_dir_all(&processes).expect("create processes/");
            std::fs::copy(
                Path::new(ROOT).join("benches/fixtures/wait.bpmn"),
                processes.join("wait.bpmn"),
            )
            .expect("copy wait.bpmn");
            std::fs::copy(
                Path::new(ROOT).join("benches/http/handoff.bpmn"),
                processes.join("handoff.bpmn"),
            )
            .expect("copy handoff.bpmn");
        }
        let port = free_port();
        let log = dir.join(format!("{name}.log"));
        let log_file = std::fs::File::create(&log).expect("create the server log");
        let spawned = Instant::now();
        let child = Command::new(bin())
            .arg("serve")
            .args(["--bind", &format!("127.0.0.1:{port}")])
            .args(["--database-url", database_url])
            .arg("--processes")
            .arg(&processes)
            .arg("--data-dir")
            .arg(dir.join("data"))
            .args(["--log-format", "json"])
            .current_dir(dir)
            .env_remove("PROCOS_CONFIG")
            .env_remove("PROCOS_BIND")
            .env_remove("PROCOS_DATABASE_URL")
            .env_remove("PROCOS_DB_CONNECTIONS")
            .env_remove("PROCOS_LOG")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .expect("spawn procos serve");
        let pid = child.id();
        let mut server = Server {
            child,
            pid,
            base: format!("http://127.0.0.1:{port}/engine-rest"),
            ready_ms: f64::NAN,
            spawn_to_200_ms: f64::NAN,
            log,
        };
        loop {
            if engine_answers(port) {
                server.spawn_to_200_ms = spawned.elapsed().as_secs_f64() * 1e3;
                break;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!(
                    "procos serve exited with {status}:\n{}",
                    std::fs::read_to_string(&server.log).unwrap_or_default()
                );
            }
            assert!(
                spawned.elapsed() < Duration::from_secs(60),
                "procos serve did not answer within 60 s"
            );
            std::thread::sleep(Duration::from_micros(500));
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while server.ready_ms.is_nan() && Instant::now() < deadline {
            if let Some(ms) = ready_ms(&server.log) {
                server.ready_ms = ms;
            } else {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        server
    }

    /// SIGTERM, then wait (kill after 20 s).
    fn stop(mut self) {
        // SAFETY: kill has no memory preconditions; the pid is our child's.
        unsafe {
            libc::kill(self.pid as libc::pid_t, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

// ---------------------------------------------------------------------------------------
// Statistics

/// p50 and p99 (nearest rank) of samples in µs.
fn percentiles(samples: &mut [f64]) -> (f64, f64, f64) {
    if samples.is_empty() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    samples.sort_by(f64::total_cmp);
    let at = |p: f64| {
        let rank = (p * samples.len() as f64).ceil() as usize;
        samples[rank.clamp(1, samples.len()) - 1]
    };
    (at(0.50), at(0.99), samples[samples.len() - 1])
}

fn median(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn ms(us: f64) -> String {
    if us.is_nan() {
        "–".to_owned()
    } else if us.abs() >= 100_000.0 {
        format!("{:.0}", us / 1e3)
    } else if us.abs() >= 10_000.0 {
        format!("{:.1}", us / 1e3)
    } else {
        format!("{:.2}", us / 1e3)
    }
}

fn thousands(x: f64) -> String {
    if x.is_nan() {
        return "–".to_owned();
    }
    let n = x.round() as i64;
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

fn pct(x: f64) -> String {
    if x.is_nan() {
        "–".to_owned()
    } else {
        format!("{:.0}%", x * 100.0)
    }
}

// ---------------------------------------------------------------------------------------
// Throughput

fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(8)
        .timeout(Duration::from_secs(60))
        .build()
        .expect("build an HTTP client")
}

fn worker_client(http: &reqwest::Client, base: &str, worker: &str) -> EngineClient {
    let mut config = ClientConfig::new(base);
    config.worker_id = worker.to_owned();
    config.async_response_timeout_ms = 5_000;
    config.lock_duration_ms = 60_000;
    config.max_tasks = 1;
    EngineClient::with_http_client(config, http.clone()).expect("a client")
}

fn topic(name: &str) -> FetchTopic {
    FetchTopic {
        topic_name: name.to_owned(),
        lock_duration: 60_000,
        variables: None,
        local_variables: false,
        include_extension_properties: false,
    }
}

async fn start_instance(http: &reqwest::Client, base: &str, key: &str) -> Result<String, String> {
    let r = http
        .post(format!("{base}/process-definition/key/{key}/start"))
        .json(&json!({}))
        .send()
        .await
        .map_err(|e| format!("start: {e}"))?;
    let status = r.status();
    let body: Value = r.json().await.map_err(|e| format!("start: {e}"))?;
    if !status.is_success() {
        return Err(format!("start: {status} {body}"));
    }
    Ok(body["id"].as_str().unwrap_or_default().to_owned())
}

#[derive(Debug, Default)]
struct WorkerOutcome {
    completed: u64,
    start: Vec<f64>,
    fetch: Vec<f64>,
    complete: Vec<f64>,
    empty_fetches: u64,
    errors: u64,
    first_error: Option<String>,
}

#[derive(Debug, Clone)]
struct RunResult {
    instances_per_s: f64,
    /// (p50, p99) in µs per call.
    start: (f64, f64),
    fetch: (f64, f64),
    complete: (f64, f64),
    errors: u64,
    empty_fetches: u64,
    cpu: CpuUse,
    /// CPU µs per completed instance: procos, PostgreSQL, load generator.
    cpu_per_instance: (f64, f64, f64),
    hwm_kb: u64,
}

async fn worker_loop(
    base: String,
    index: usize,
    measure_from: Instant,
    end: Instant,
) -> WorkerOutcome {
    let http = http_client();
    let client = worker_client(&http, &base, &format!("bench-{index}"));
    let topics = [topic("work")];
    let none = Variables::new();
    let mut out = WorkerOutcome::default();
    let fail = |out: &mut WorkerOutcome, e: String| {
        out.errors += 1;
        if out.first_error.is_none() {
            out.first_error = Some(e);
        }
    };
    while Instant::now() < end {
        let t = Instant::now();
        let measuring = t >= measure_from;
        match start_instance(&http, &base, "wait").await {
            Ok(_) if measuring => out.start.push(t.elapsed().as_secs_f64() * 1e6),
            Ok(_) => {}
            Err(e) => {
                fail(&mut out, e);
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        }
        let t = Instant::now();
        let measuring = t >= measure_from;
        let tasks = match client.fetch_and_lock(1, &topics).await {
            Ok(tasks) => tasks,
            Err(e) => {
                fail(&mut out, format!("fetchAndLock: {e}"));
                continue;
            }
        };
        if measuring {
            out.fetch.push(t.elapsed().as_secs_f64() * 1e6);
        }
        if tasks.is_empty() {
            out.empty_fetches += 1;
        }
        for task in tasks {
            let t = Instant::now();
            match client.complete(&task.id, &none, &none).await {
                Ok(()) => {
                    let done = Instant::now();
                    if t >= measure_from {
                        out.complete.push((done - t).as_secs_f64() * 1e6);
                    }
                    if done >= measure_from && done < end {
                        out.completed += 1;
                    }
                }
                Err(e) => fail(&mut out, format!("complete: {e}")),
            }
        }
    }
    out
}

async fn throughput(
    servers: &[&Server],
    clients: usize,
    settings: &Settings,
    postmaster: Option<u32>,
) -> RunResult {
    let measure_from = Instant::now() + Duration::from_secs_f64(settings.warmup);
    let end = measure_from + Duration::from_secs_f64(settings.secs);
    let mut handles = Vec::new();
    for i in 0..clients {
        let base = servers[i % servers.len()].base.clone();
        handles.push(tokio::spawn(worker_loop(base, i, measure_from, end)));
    }
    // CPU accounting covers the measured window only.
    tokio::time::sleep_until(measure_from.into()).await;
    let meter = CpuMeter::start(servers.iter().map(|s| s.pid).collect(), postmaster);
    tokio::time::sleep_until(end.into()).await;
    let cpu = meter.stop();
    let mut all = WorkerOutcome::default();
    for h in handles {
        let o = h.await.expect("a worker");
        all.completed += o.completed;
        all.start.extend(o.start);
        all.fetch.extend(o.fetch);
        all.complete.extend(o.complete);
        all.errors += o.errors;
        all.empty_fetches += o.empty_fetches;
        if all.first_error.is_none() {
            all.first_error = o.first_error;
        }
    }
    if let Some(e) = &all.first_error {
        eprintln!("    {} errors; the first: {e}", all.errors);
    }
    let (s50, s99, _) = percentiles(&mut all.start);
    let (f50, f99, _) = percentiles(&mut all.fetch);
    let (c50, c99, _) = percentiles(&mut all.complete);
    let per = |secs: f64| {
        if all.completed == 0 {
            f64::NAN
        } else {
            secs * 1e6 / all.completed as f64
        }
    };
    RunResult {
        instances_per_s: all.completed as f64 / settings.secs,
        start: (s50, s99),
        fetch: (f50, f99),
        complete: (c50, c99),
        errors: all.errors,
        empty_fetches: all.empty_fetches,
        cpu,
        cpu_per_instance: (per(cpu.procos), per(cpu.postgres), per(cpu.generator)),
        hwm_kb: servers
            .iter()
            .filter_map(|s| status_kb(s.pid, "VmHWM"))
            .max()
            .unwrap_or(0),
    }
}

// ---------------------------------------------------------------------------------------
// Hand-off latency

#[derive(Debug, Clone)]
struct Handoff {
    /// From the `complete` answer to the long poll's answer, µs (negative: the poll
    /// answered first).
    from_answer: (f64, f64, f64),
    /// From sending `complete` to the long poll's answer, µs.
    from_request: (f64, f64, f64),
    samples: usize,
    wrong: usize,
}

async fn handoff(complete_base: &str, poll_base: &str, samples: usize) -> Handoff {
    let http = http_client();
    let driver = worker_client(&http, complete_base, "handoff-driver");
    let poll_http = http_client();
    let poller = worker_client(&poll_http, poll_base, "handoff-waiter");
    let none = Variables::new();
    let mut from_answer = Vec::with_capacity(samples);
    let mut from_request = Vec::with_capacity(samples);
    let mut wrong = 0;
    // A few untimed rounds warm connections and caches.
    for round in 0..samples + 5 {
        let instance = start_instance(&http, complete_base, "handoff")
            .await
            .expect("start a hand-off instance");
        let a = loop {
            let tasks = driver
                .fetch_and_lock(1, &[topic("handoff-a")])
                .await
                .expect("fetch task A");
            if let Some(t) = tasks.into_iter().next() {
                break t;
            }
        };
        let waiter = {
            let poller = poller.clone();
            tokio::spawn(async move {
                let tasks = poller.fetch_and_lock(1, &[topic("handoff-b")]).await;
                (Instant::now(), tasks)
            })
        };
        // Let the long poll find nothing and settle into its wait.
        tokio::time::sleep(Duration::from_millis(20)).await;
        let sent = Instant::now();
        driver
            .complete(&a.id, &none, &none)
            .await
            .expect("complete task A");
        let answered = Instant::now();
        let (received, tasks) = waiter.await.expect("the waiter");
        let tasks = tasks.expect("the long poll");
        let Some(b) = tasks.into_iter().next() else {
            wrong += 1;
            continue;
        };
        if b.process_instance_id.as_deref() != Some(instance.as_str()) {
            wrong += 1;
        } else if round >= 5 {
            let signed = |later: Instant, earlier: Instant| {
                if later >= earlier {
                    (later - earlier).as_secs_f64() * 1e6
                } else {
                    -((earlier - later).as_secs_f64() * 1e6)
                }
            };
            from_answer.push(signed(received, answered));
            from_request.push(signed(received, sent));
        }
        poller
            .complete(&b.id, &none, &none)
            .await
            .expect("complete task B");
    }
    Handoff {
        samples: from_answer.len(),
        from_answer: percentiles(&mut from_answer),
        from_request: percentiles(&mut from_request),
        wrong,
    }
}

// ---------------------------------------------------------------------------------------
// pgbench

#[derive(Debug, Clone)]
struct PgbenchResult {
    tps: f64,
    failed: String,
    pg_cpu_per_instance: f64,
    pgbench_cpu_per_instance: f64,
    busy: f64,
}

fn prepare_pgbench_db(admin: &str) -> PgDatabase {
    let db = PgDatabase::create(admin);
    psql(
        &db.url,
        &[
            "-f",
            &Path::new(ROOT)
                .join("migrations/postgres/0001_schema.sql")
                .display()
                .to_string(),
        ],
    );
    psql(
        &db.url,
        &[
            "-c",
            "INSERT INTO deployment (id, name, source, tenant_id, deploy_time) VALUES ('bench', 'bench', 'process application', NULL, 0); \
             INSERT INTO process_definition (id, key, version, version_tag, name, category, description, tenant_id, deployment_id, resource_name, history_ttl, startable, suspended) \
             VALUES ('wait:1:01a201ba-b659-740b-ba95-1e66fd0a5125', 'wait', 1, NULL, 'Wait for a worker', 'http://bpmn.io/schema/bpmn', NULL, NULL, 'bench', 'wait.bpmn', 1, TRUE, FALSE)",
        ],
    );
    db
}

fn run_pgbench(url: &str, clients: usize, secs: f64) -> (f64, String) {
    let script = Path::new(ROOT).join("benches/http/lifecycle.pgbench");
    let out = Command::new("pgbench")
        .args(["-n", "-M", "prepared", "-f"])
        .arg(&script)
        .args(["-c", &clients.to_string()])
        .args(["-j", &clients.clamp(1, 2).to_string()])
        .args(["-T", &format!("{}", secs.round().max(1.0) as u64)])
        .arg(url)
        .output()
        .expect("run pgbench");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let tps = stdout
        .lines()
        .find(|l| l.starts_with("tps = "))
        .and_then(|l| l["tps = ".len()..].split_whitespace().next())
        .and_then(|n| n.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("pgbench printed no tps:\n{stdout}\n{stderr}"));
    let failed = stdout
        .lines()
        .find(|l| l.starts_with("number of failed transactions"))
        .map(|l| l.trim().to_owned())
        .unwrap_or_default();
    if !out.status.success() || stderr.contains("aborted") {
        eprintln!("    pgbench reported problems:\n{stderr}");
    }
    (tps, failed)
}

fn pgbench(
    admin: &str,
    clients: usize,
    settings: &Settings,
    postmaster: Option<u32>,
) -> PgbenchResult {
    let db = prepare_pgbench_db(admin);
    run_pgbench(&db.url, clients, settings.warmup.max(1.0));
    // pgbench is a child of ours: its CPU shows in our children's times after it exits.
    let children_before = children_cpu();
    let meter = CpuMeter::start(Vec::new(), postmaster);
    let (tps, failed) = run_pgbench(&db.url, clients, settings.secs);
    let cpu = meter.stop();
    let pgbench_cpu = children_cpu() - children_before;
    let instances = tps * settings.secs;
    PgbenchResult {
        tps,
        failed,
        pg_cpu_per_instance: cpu.postgres * 1e6 / instances,
        pgbench_cpu_per_instance: pgbench_cpu * 1e6 / instances,
        busy: cpu.busy,
    }
}

/// CPU seconds of our waited-for children (pgbench, psql).
fn children_cpu() -> f64 {
    // SAFETY: getrusage writes into the struct we pass.
    unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
        t(usage.ru_utime) + t(usage.ru_stime)
    }
}

// ---------------------------------------------------------------------------------------
// Start-up and idle memory

#[derive(Debug, Clone)]
struct Startup {
    ready_ms: f64,
    spawn_to_200_ms: f64,
    rss_kb: f64,
    hwm_kb: f64,
}

fn startup() -> Startup {
    let dir = TempDir::new("procos-bench-startup");
    let server = Server::start(
        &dir.0,
        &format!("sqlite://{}", dir.0.join("data/procos.db").display()),
        "startup",
    );
    std::thread::sleep(Duration::from_secs(1));
    let result = Startup {
        ready_ms: server.ready_ms,
        spawn_to_200_ms: server.spawn_to_200_ms,
        rss_kb: status_kb(server.pid, "VmRSS").unwrap_or(0) as f64,
        hwm_kb: status_kb(server.pid, "VmHWM").unwrap_or(0) as f64,
    };
    server.stop();
    result
}

// ---------------------------------------------------------------------------------------
// The run

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Config {
    store: &'static str,
    nodes: usize,
    clients: usize,
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let settings = Settings::from_env();
    let started = Instant::now();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let postmaster = settings.postgres.as_deref().and_then(postmaster_pid);
    if let Some(admin) = &settings.postgres {
        for s in [
            "synchronous_commit",
            "fsync",
            "shared_buffers",
            "max_connections",
        ] {
            println!("PostgreSQL {s} = {}", pg_setting(admin, s));
        }
        assert_eq!(
            pg_setting(admin, "synchronous_commit"),
            "on",
            "the benchmark runs with synchronous_commit on"
        );
    } else {
        println!("PROCOS_BENCH_POSTGRES_URL is not set: PostgreSQL parts are skipped");
    }
    println!(
        "{} s per run after {} s warm-up, {} repetitions, clients {:?}",
        settings.secs, settings.warmup, settings.reps, settings.clients
    );

    // Start-up and idle memory.
    let mut startups = Vec::new();
    if settings.wants("startup") {
        for _ in 0..settings.reps.max(5) {
            let s = startup();
            println!(
                "startup: ready {:.0} ms (log), first 200 after {:.0} ms, RSS {:.1} MiB, HWM {:.1} MiB",
                s.ready_ms,
                s.spawn_to_200_ms,
                s.rss_kb / 1024.0,
                s.hwm_kb / 1024.0
            );
            startups.push(s);
        }
    }

    // Throughput and pgbench, repetitions interleaved so that drifts spread evenly.
    let mut configs: Vec<Config> = Vec::new();
    for &clients in &settings.clients {
        if settings.wants("sqlite") {
            configs.push(Config {
                store: "sqlite",
                nodes: 1,
                clients,
            });
        }
        if settings.postgres.is_some() && settings.wants("postgres") {
            configs.push(Config {
                store: "postgres",
                nodes: 1,
                clients,
            });
        }
        if settings.postgres.is_some() && settings.wants("cluster") && clients >= 2 {
            configs.push(Config {
                store: "postgres",
                nodes: 2,
                clients,
            });
        }
    }
    let mut runs: BTreeMap<Config, Vec<RunResult>> = BTreeMap::new();
    let mut ceilings: BTreeMap<usize, Vec<PgbenchResult>> = BTreeMap::new();
    for rep in 0..settings.reps {
        for config in &configs {
            let dir = TempDir::new("procos-bench");
            let pg = (config.store == "postgres")
                .then(|| PgDatabase::create(settings.postgres.as_deref().expect("a cluster")));
            let url = match &pg {
                Some(db) => db.url.clone(),
                None => format!("sqlite://{}", dir.0.join("node0/data/procos.db").display()),
            };
            let mut servers = Vec::new();
            for n in 0..config.nodes {
                let node_dir = dir.0.join(format!("node{n}"));
                std::fs::create_dir_all(&node_dir).expect("a node directory");
                servers.push(Server::start(&node_dir, &url, "server"));
            }
            let refs: Vec<&Server> = servers.iter().collect();
            let r = rt.block_on(throughput(
                &refs,
                config.clients,
                &settings,
                if pg.is_some() { postmaster } else { None },
            ));
            println!(
                "rep {} {} x{} {:>2} workers: {:>7.1} instances/s  start {}/{}  fetch {}/{}  complete {}/{} ms (p50/p99)  cpu busy {:.0}%  µs/instance procos {:.0} pg {:.0} gen {:.0}",
                rep + 1,
                config.store,
                config.nodes,
                config.clients,
                r.instances_per_s,
                ms(r.start.0),
                ms(r.start.1),
                ms(r.fetch.0),
                ms(r.fetch.1),
                ms(r.complete.0),
                ms(r.complete.1),
                r.cpu.busy * 100.0,
                r.cpu_per_instance.0,
                r.cpu_per_instance.1,
                r.cpu_per_instance.2,
            );
            runs.entry(config.clone()).or_default().push(r);
            for s in servers {
                s.stop();
            }
            drop(pg);
        }
        if let (Some(admin), true) = (&settings.postgres, settings.wants("pgbench")) {
            for &clients in &settings.clients {
                let r = pgbench(admin, clients, &settings, postmaster);
                println!(
                    "rep {} pgbench {:>2} clients: {:>7.1} instances/s (3 transactions each)  cpu busy {:.0}%  µs/instance pg {:.0} pgbench {:.0}  {}",
                    rep + 1,
                    clients,
                    r.tps,
                    r.busy * 100.0,
                    r.pg_cpu_per_instance,
                    r.pgbench_cpu_per_instance,
                    r.failed
                );
                ceilings.entry(clients).or_default().push(r);
            }
        }
    }

    // Hand-off latency.
    let mut handoffs: Vec<(String, Handoff)> = Vec::new();
    if settings.wants("handoff") {
        let mut cases: Vec<(&str, usize)> = vec![("SQLite", 1)];
        if settings.postgres.is_some() {
            cases.push(("PostgreSQL", 1));
            cases.push((
                "PostgreSQL, two nodes (complete on one, long poll on the other)",
                2,
            ));
        }
        for (name, nodes) in cases {
            let dir = TempDir::new("procos-bench-handoff");
            let pg = name
                .starts_with("PostgreSQL")
                .then(|| PgDatabase::create(settings.postgres.as_deref().expect("a cluster")));
            let url = match &pg {
                Some(db) => db.url.clone(),
                None => format!("sqlite://{}", dir.0.join("node0/data/procos.db").display()),
            };
            let servers: Vec<Server> = (0..nodes)
                .map(|n| {
                    let d = dir.0.join(format!("node{n}"));
                    std::fs::create_dir_all(&d).expect("a node directory");
                    Server::start(&d, &url, "server")
                })
                .collect();
            let h = rt.block_on(handoff(
                &servers[0].base,
                &servers[servers.len() - 1].base,
                settings.handoff_samples,
            ));
            println!(
                "hand-off {name}: p50 {} ms, p99 {} ms, max {} ms from the complete answer ({} samples, {} wrong)",
                ms(h.from_answer.0),
                ms(h.from_answer.1),
                ms(h.from_answer.2),
                h.samples,
                h.wrong
            );
            handoffs.push((name.to_owned(), h));
            for s in servers {
                s.stop();
            }
            drop(pg);
        }
    }

    let report = Report {
        settings: &settings,
        startups: &startups,
        runs: &runs,
        ceilings: &ceilings,
        handoffs: &handoffs,
        postgres_settings: settings.postgres.as_deref().map(|admin| {
            [
                "synchronous_commit",
                "fsync",
                "shared_buffers",
                "server_version",
            ]
            .iter()
            .map(|s| (s.to_string(), pg_setting(admin, s)))
            .collect()
        }),
        elapsed: started.elapsed().as_secs_f64(),
    };
    let md = report.markdown();
    println!("\n{md}");
    let dir = Path::new(ROOT).join("target/bench-report");
    std::fs::create_dir_all(&dir).expect("create target/bench-report");
    let stem = if settings.only.is_some() {
        "http-partial"
    } else {
        "http"
    };
    std::fs::write(dir.join(format!("{stem}.md")), &md).expect("write http.md");
    std::fs::write(
        dir.join(format!("{stem}.json")),
        serde_json::to_string_pretty(&report.json()).expect("json") + "\n",
    )
    .expect("write http.json");
    println!(
        "wrote target/bench-report/{stem}.md and {stem}.json in {:.0} s",
        started.elapsed().as_secs_f64()
    );
}

// ---------------------------------------------------------------------------------------
// Reporting

struct Report<'a> {
    settings: &'a Settings,
    startups: &'a [Startup],
    runs: &'a BTreeMap<Config, Vec<RunResult>>,
    ceilings: &'a BTreeMap<usize, Vec<PgbenchResult>>,
    handoffs: &'a [(String, Handoff)],
    postgres_settings: Option<Vec<(String, String)>>,
    elapsed: f64,
}

/// Medians of one configuration's repetitions.
#[derive(Debug, Clone)]
struct Medians {
    rate: f64,
    start: (f64, f64),
    fetch: (f64, f64),
    complete: (f64, f64),
    cpu: (f64, f64, f64),
    busy: f64,
    errors: u64,
    hwm_kb: f64,
}

fn medians(runs: &[RunResult]) -> Medians {
    let m = |f: &dyn Fn(&RunResult) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
    Medians {
        rate: m(&|r| r.instances_per_s),
        start: (m(&|r| r.start.0), m(&|r| r.start.1)),
        fetch: (m(&|r| r.fetch.0), m(&|r| r.fetch.1)),
        complete: (m(&|r| r.complete.0), m(&|r| r.complete.1)),
        cpu: (
            m(&|r| r.cpu_per_instance.0),
            m(&|r| r.cpu_per_instance.1),
            m(&|r| r.cpu_per_instance.2),
        ),
        busy: m(&|r| r.cpu.busy),
        errors: runs.iter().map(|r| r.errors).sum(),
        hwm_kb: m(&|r| r.hwm_kb as f64),
    }
}

fn git_commit() -> String {
    Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(ROOT)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default()
}

impl Report<'_> {
    fn ceiling(&self, clients: usize) -> Option<f64> {
        self.ceilings
            .get(&clients)
            .map(|v| median(&v.iter().map(|r| r.tps).collect::<Vec<_>>()))
    }

    fn run(&self, store: &'static str, nodes: usize, clients: usize) -> Option<Medians> {
        self.runs
            .get(&Config {
                store,
                nodes,
                clients,
            })
            .map(|v| medians(v))
    }

    fn startup_medians(&self) -> Option<(f64, f64, f64, f64)> {
        if self.startups.is_empty() {
            return None;
        }
        let m =
            |f: &dyn Fn(&Startup) -> f64| median(&self.startups.iter().map(f).collect::<Vec<_>>());
        Some((
            m(&|s| s.ready_ms),
            m(&|s| s.spawn_to_200_ms),
            m(&|s| s.rss_kb),
            m(&|s| s.hwm_kb),
        ))
    }

    /// The best fraction of the ceiling, on one node and on two: (fraction, clients).
    fn best_fraction(&self, nodes: usize) -> Option<(f64, usize, f64, f64)> {
        self.settings
            .clients
            .iter()
            .filter_map(|&c| {
                let r = self.run("postgres", nodes, c)?;
                let ceil = self.ceiling(c)?;
                Some((r.rate / ceil, c, r.rate, ceil))
            })
            .max_by(|a, b| a.0.total_cmp(&b.0))
    }

    fn targets(&self) -> Vec<(String, Option<bool>, String)> {
        let mut out = Vec::new();
        let verdict = |ok: bool| Some(ok);
        match self.best_fraction(1) {
            Some((f, c, rate, ceil)) => out.push((
                "PostgreSQL: at least 50% of the pgbench ceiling".to_owned(),
                verdict(f >= CEILING_TARGET),
                format!(
                    "{} at {c} workers: {} instances/s against pgbench's {} ({} per instance, same clients)",
                    pct(f),
                    thousands(rate),
                    thousands(ceil),
                    "3 transactions"
                ),
            )),
            None => out.push((
                "PostgreSQL: at least 50% of the pgbench ceiling".to_owned(),
                None,
                "not measured".to_owned(),
            )),
        }
        // The "from complete" read both ways: from the complete's answer (the
        // wake-up itself), and from sending it (the complete's own commit included).
        for (name, h) in self.handoffs {
            out.push((
                format!("hand-off p99 under 5 ms ({name}, from the complete answer)"),
                verdict(h.from_answer.1 < HANDOFF_TARGET_US),
                format!(
                    "p99 {} ms, p50 {} ms",
                    ms(h.from_answer.1),
                    ms(h.from_answer.0)
                ),
            ));
            out.push((
                format!("hand-off p99 under 5 ms ({name}, from sending complete)"),
                verdict(h.from_request.1 < HANDOFF_TARGET_US),
                format!(
                    "p99 {} ms, p50 {} ms",
                    ms(h.from_request.1),
                    ms(h.from_request.0)
                ),
            ));
        }
        if let Some((ready, first, rss, hwm)) = self.startup_medians() {
            out.push((
                "idle memory under 30 MB (SQLite)".to_owned(),
                verdict(rss < IDLE_RSS_TARGET_KB && hwm < IDLE_RSS_TARGET_KB),
                format!(
                    "VmRSS {:.1} MiB, VmHWM {:.1} MiB",
                    rss / 1024.0,
                    hwm / 1024.0
                ),
            ));
            out.push((
                "start to ready under 500 ms (SQLite)".to_owned(),
                verdict(ready < READY_TARGET_MS && first < READY_TARGET_MS),
                format!(
                    "ready line {ready:.0} ms; spawn to first 200 of GET /engine {first:.0} ms"
                ),
            ));
        }
        out
    }

    fn markdown(&self) -> String {
        let s = self.settings;
        let mut md = String::new();
        let w = &mut md;
        let _ = writeln!(
            w,
            "`benches/http/run` (builds procos in release, starts a throwaway PostgreSQL cluster \
             unless `PROCOS_BENCH_POSTGRES_URL` names one, and runs `cargo bench --bench \
             http_load`, `benches/http_load.rs`). Real `procos serve` processes on loopback, \
             driven by the workers' client library (`procos_workers::client::EngineClient`) \
             from a load generator in the same machine: {} ({} cores), commit `{}`. Each \
             figure is the median of {} runs of {} s (after {} s of warm-up), each on a fresh \
             server and a fresh database; the whole run took {:.0} s.",
            cpu_model(),
            std::thread::available_parallelism().map_or(0, |n| n.get()),
            git_commit(),
            s.reps,
            s.secs,
            s.warmup,
            self.elapsed
        );
        if let Some(pg) = &self.postgres_settings {
            let _ = writeln!(
                w,
                "PostgreSQL: {} (a local cluster on the same 2 cores; {}).",
                pg.iter()
                    .find(|(k, _)| k == "server_version")
                    .map_or("", |(_, v)| v.as_str()),
                pg.iter()
                    .filter(|(k, _)| k != "server_version")
                    .map(|(k, v)| format!("`{k} = {v}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        let _ = writeln!(w);
        let _ = writeln!(w, "### Targets\n");
        for (name, ok, figure) in self.targets() {
            let _ = writeln!(
                w,
                "- {name}: **{}** — {figure}.",
                match ok {
                    Some(true) => "met",
                    Some(false) => "not met",
                    None => "not measured",
                }
            );
        }
        let _ = writeln!(w);

        let _ = writeln!(w, "### Throughput: start + fetchAndLock + complete\n");
        let _ = writeln!(
            w,
            "Each worker loops: `POST /process-definition/key/wait/start` \
             (`benches/fixtures/wait.bpmn`: start → external task → end), \
             `POST /external-task/fetchAndLock` (one task, long poll), `POST \
             /external-task/{{id}}/complete`. An instance counts when its `complete` is \
             answered; latencies are per call, in ms, as the client sees them. On two \
             nodes, worker *i* talks to node *i* mod 2 for all three calls. The ceiling \
             column is the pgbench figure below for the same number of clients. CPU per \
             instance is the CPU time of procos, of PostgreSQL (all its processes) and of the \
             load generator over the measured window, divided by the instances completed.\n"
        );
        let _ = writeln!(
            w,
            "| store | nodes | workers | instances/s | of ceiling | start p50 / p99 | fetchAndLock p50 / p99 | complete p50 / p99 | CPU busy | CPU µs per instance: procos / PostgreSQL / generator | peak RSS per node |"
        );
        let _ = writeln!(w, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        for (config, runs) in self.runs {
            let m = medians(runs);
            let of_ceiling = if config.store == "postgres" {
                self.ceiling(config.clients)
                    .map_or("–".to_owned(), |c| pct(m.rate / c))
            } else {
                "–".to_owned()
            };
            let _ = writeln!(
                w,
                "| {} | {} | {} | {} | {} | {} / {} | {} / {} | {} / {} | {:.0}% | {} / {} / {} | {:.1} MiB |{}",
                if config.store == "sqlite" { "SQLite" } else { "PostgreSQL" },
                config.nodes,
                config.clients,
                thousands(m.rate),
                of_ceiling,
                ms(m.start.0),
                ms(m.start.1),
                ms(m.fetch.0),
                ms(m.fetch.1),
                ms(m.complete.0),
                ms(m.complete.1),
                m.busy * 100.0,
                thousands(m.cpu.0),
                if config.store == "postgres" { thousands(m.cpu.1) } else { "–".to_owned() },
                thousands(m.cpu.2),
                m.hwm_kb / 1024.0,
                if m.errors > 0 { format!(" {} errors", m.errors) } else { String::new() }
            );
        }
        let _ = writeln!(w);

        if !self.ceilings.is_empty() {
            let _ = writeln!(
                w,
                "### PostgreSQL's ceiling: pgbench with the same row work\n"
            );
            let _ = writeln!(
                w,
                "`pgbench -n -M prepared -f benches/http/lifecycle.pgbench -c N -j min(N,2)`, \
                 on a fresh database with procos's schema (`migrations/postgres/0001_schema.sql`). \
                 One script run is one instance's life as procos writes it, in the same three \
                 transactions, each committed with `synchronous_commit = on`: **start** (insert \
                 the instance with a state document of procos's size, its external task, its \
                 historic instance and two historic activities, `pg_notify`), **fetchAndLock** \
                 (procos's `FOR UPDATE SKIP LOCKED` pick-and-lock of one task, and the read of \
                 the instance state for its variables), **complete** (lock the instance row, \
                 read the task, delete it, end its historic activity, insert the end event's, \
                 end the historic instance, delete the instance). What it leaves out is procos's \
                 own work: HTTP, JSON, the BPMN step, and any statement beyond those rows. So \
                 pgbench's script runs per second are the most instances per second this \
                 PostgreSQL can complete through procos's schema, and the comparison is \
                 instances/s to instances/s, with the same number of clients.\n"
            );
            let _ = writeln!(
                w,
                "| clients | pgbench instances/s | procos, 1 node | fraction | procos, 2 nodes | fraction | CPU busy | PostgreSQL CPU µs per instance: pgbench / procos 1 node |"
            );
            let _ = writeln!(w, "|--:|--:|--:|--:|--:|--:|--:|--:|");
            for (&clients, rs) in self.ceilings {
                let ceil = median(&rs.iter().map(|r| r.tps).collect::<Vec<_>>());
                let one = self.run("postgres", 1, clients);
                let two = self.run("postgres", 2, clients);
                let _ = writeln!(
                    w,
                    "| {clients} | {} | {} | {} | {} | {} | {:.0}% | {} / {} |",
                    thousands(ceil),
                    one.as_ref().map_or("–".to_owned(), |m| thousands(m.rate)),
                    one.as_ref().map_or("–".to_owned(), |m| pct(m.rate / ceil)),
                    two.as_ref().map_or("–".to_owned(), |m| thousands(m.rate)),
                    two.as_ref().map_or("–".to_owned(), |m| pct(m.rate / ceil)),
                    median(&rs.iter().map(|r| r.busy).collect::<Vec<_>>()) * 100.0,
                    thousands(median(
                        &rs.iter().map(|r| r.pg_cpu_per_instance).collect::<Vec<_>>()
                    )),
                    one.as_ref().map_or("–".to_owned(), |m| thousands(m.cpu.1)),
                );
            }
            let _ = writeln!(w);
        }

        if !self.handoffs.is_empty() {
            let _ = writeln!(w, "### Hand-off latency\n");
            let _ = writeln!(
                w,
                "`benches/http/handoff.bpmn` (external task A → external task B). A waiter \
                 long-polls topic B (`asyncResponseTimeout` 5 s) and has settled into its wait \
                 (20 ms); the driver completes A; the figure is from the driver receiving the \
                 `complete` answer to the waiter receiving task B of the same instance \
                 (negative when the long poll answered first: the wake-up follows the commit, \
                 as the answer does). In ms, {} samples each, one at a time.\n",
                s.handoff_samples
            );
            let _ = writeln!(
                w,
                "| setup | p50 | p99 | max | from sending complete: p50 / p99 |"
            );
            let _ = writeln!(w, "|---|--:|--:|--:|--:|");
            for (name, h) in self.handoffs {
                let _ = writeln!(
                    w,
                    "| {name} | {} | {} | {} | {} / {} |{}",
                    ms(h.from_answer.0),
                    ms(h.from_answer.1),
                    ms(h.from_answer.2),
                    ms(h.from_request.0),
                    ms(h.from_request.1),
                    if h.wrong > 0 {
                        format!(" {} wrong", h.wrong)
                    } else {
                        String::new()
                    }
                );
            }
            let _ = writeln!(w);
        }

        if let Some((ready, first, rss, hwm)) = self.startup_medians() {
            let _ = writeln!(w, "### Start-up and idle memory (SQLite)\n");
            let _ = writeln!(
                w,
                "`procos serve` on a new SQLite file (the schema is created) with the two \
                 processes above in its folder (deployed at boot); median of {} starts. \
                 *ready* is the `ms` of the server's `ready` log line (from the start of `main` \
                 to listening); *first 200* is the wall time from spawning the process to the \
                 first 200 answer of `GET /engine-rest/engine`; memory is read from \
                 `/proc/<pid>/status` one second after that.\n",
                self.startups.len()
            );
            let _ = writeln!(
                w,
                "| ready (log) | spawn to first 200 | VmRSS idle | VmHWM |"
            );
            let _ = writeln!(w, "|--:|--:|--:|--:|");
            let _ = writeln!(
                w,
                "| {ready:.0} ms | {first:.0} ms | {:.1} MiB | {:.1} MiB |\n",
                rss / 1024.0,
                hwm / 1024.0
            );
        }
        md
    }

    fn json(&self) -> Value {
        let run_json = |r: &RunResult| {
            json!({
                "instances_per_s": r.instances_per_s,
                "start_us": [r.start.0, r.start.1],
                "fetch_us": [r.fetch.0, r.fetch.1],
                "complete_us": [r.complete.0, r.complete.1],
                "errors": r.errors,
                "empty_fetches": r.empty_fetches,
                "cpu_s": {"procos": r.cpu.procos, "postgres": r.cpu.postgres, "generator": r.cpu.generator, "busy": r.cpu.busy},
                "hwm_kb": r.hwm_kb,
            })
        };
        json!({
            "commit": git_commit(),
            "cpu": cpu_model(),
            "settings": {
                "secs": self.settings.secs,
                "warmup": self.settings.warmup,
                "reps": self.settings.reps,
                "clients": self.settings.clients,
                "handoff_samples": self.settings.handoff_samples,
                "postgres": self.postgres_settings.as_ref().map(|v| v.iter().cloned().collect::<BTreeMap<_, _>>()),
            },
            "targets": self.targets().into_iter().map(|(name, ok, figure)| json!({"target": name, "met": ok, "figure": figure})).collect::<Vec<_>>(),
            "throughput": self.runs.iter().map(|(c, runs)| {
                let m = medians(runs);
                json!({
                    "store": c.store, "nodes": c.nodes, "clients": c.clients,
                    "median": {
                        "instances_per_s": m.rate,
                        "start_us": [m.start.0, m.start.1],
                        "fetch_us": [m.fetch.0, m.fetch.1],
                        "complete_us": [m.complete.0, m.complete.1],
                        "cpu_us_per_instance": {"procos": m.cpu.0, "postgres": m.cpu.1, "generator": m.cpu.2},
                        "busy": m.busy,
                        "ceiling_fraction": if c.store == "postgres" { self.ceiling(c.clients).map(|x| m.rate / x) } else { None },
                    },
                    "runs": runs.iter().map(run_json).collect::<Vec<_>>(),
                })
            }).collect::<Vec<_>>(),
            "pgbench": self.ceilings.iter().map(|(c, rs)| json!({
                "clients": c,
                "median_instances_per_s": median(&rs.iter().map(|r| r.tps).collect::<Vec<_>>()),
                "runs": rs.iter().map(|r| json!({"instances_per_s": r.tps, "pg_cpu_us_per_instance": r.pg_cpu_per_instance, "pgbench_cpu_us_per_instance": r.pgbench_cpu_per_instance, "busy": r.busy, "failed": r.failed})).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "handoff": self.handoffs.iter().map(|(name, h)| json!({
                "setup": name,
                "samples": h.samples,
                "wrong": h.wrong,
                "from_complete_answer_us": {"p50": h.from_answer.0, "p99": h.from_answer.1, "max": h.from_answer.2},
                "from_complete_request_us": {"p50": h.from_request.0, "p99": h.from_request.1, "max": h.from_request.2},
            })).collect::<Vec<_>>(),
            "startup": self.startup_medians().map(|(ready, first, rss, hwm)| json!({
                "ready_ms": ready, "spawn_to_first_200_ms": first, "vmrss_kb": rss, "vmhwm_kb": hwm,
                "runs": self.startups.iter().map(|s| json!({"ready_ms": s.ready_ms, "spawn_to_first_200_ms": s.spawn_to_200_ms, "vmrss_kb": s.rss_kb, "vmhwm_kb": s.hwm_kb})).collect::<Vec<_>>(),
            })),
            "elapsed_s": self.elapsed,
        })
    }
}
