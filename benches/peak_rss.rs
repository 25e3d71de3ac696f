//! Peak memory of the pure engine holding 10,000 instances at an external-task wait
//! state (issue 7: target under 30 MB).
//!
//! `cargo bench --bench peak_rss` compiles `benches/fixtures/wait.bpmn`, starts 10,000
//! instances to their external task and keeps them all, reads the peak resident set
//! size (`VmHWM` in `/proc/self/status`), then completes every task. It prints one
//! human line and one JSON line (`{"peak_rss_kb": …}`) that `benches/compare/run`
//! records for `BENCHMARKS.md`. The figure is the whole process: the binary, the
//! compiled process and the 10,000 waiting instances (with their ids and tokens).

#[path = "support/workloads.rs"]
mod workloads;

use workloads::{proc_status_kb, Workload};

const WAITING: u64 = 10_000;
const TARGET_KB: u64 = 30 * 1024;

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing useful
    // either: this bench takes no arguments.
    let before_kb = proc_status_kb("VmHWM").unwrap_or(0);
    let mut wait = Workload::new("wait");
    let waiting = wait.start_waiting(WAITING);
    let rss_waiting_kb = proc_status_kb("VmRSS").unwrap_or(0);
    let peak_waiting_kb = proc_status_kb("VmHWM").expect("/proc/self/status has VmHWM");
    let held = waiting.len();
    wait.complete_all(waiting);
    // The kernel updates VmHWM lazily: a VmRSS read a moment earlier can exceed it.
    let peak_kb = proc_status_kb("VmHWM")
        .unwrap_or(peak_waiting_kb)
        .max(rss_waiting_kb);
    let met = peak_kb < TARGET_KB;
    println!(
        "peak RSS with {held} instances waiting at an external task: {:.1} MiB \
         (at start {:.1} MiB, RSS while waiting {:.1} MiB); target < 30 MiB: {}",
        peak_kb as f64 / 1024.0,
        before_kb as f64 / 1024.0,
        rss_waiting_kb as f64 / 1024.0,
        if met { "met" } else { "NOT met" }
    );
    println!(
        "{{\"bench\":\"peak_rss\",\"workload\":\"wait\",\"waiting\":{held},\
         \"peak_rss_kb\":{peak_kb},\"start_rss_kb\":{before_kb},\
         \"rss_while_waiting_kb\":{rss_waiting_kb},\"target_kb\":{TARGET_KB},\"met\":{met}}}"
    );
}
