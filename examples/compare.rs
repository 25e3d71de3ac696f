//! procos's driver for the cross-engine comparison (`benches/compare/run`).
//!
//! `compare WORKLOAD COUNT MIN_SECONDS` runs the workload the same way the other
//! engines' drivers in `benches/compare/` do, and prints one JSON line:
//! - compile the fixture once (`benches/fixtures/WORKLOAD.bpmn`);
//! - warm up with COUNT/10 instances (untimed);
//! - then run batches of COUNT instances until MIN_SECONDS have passed (at least one
//!   batch), and report instances per second over all timed batches. For `wait`, a
//!   batch starts COUNT instances to the external task, then completes each.
//!
//! Build with `cargo build --release --example compare`.

#[path = "../benches/support/workloads.rs"]
mod workloads;

use std::time::Instant;

use workloads::{proc_status_kb, Workload};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [workload, count, min_seconds] = args.as_slice() else {
        eprintln!("usage: compare WORKLOAD COUNT MIN_SECONDS");
        std::process::exit(2);
    };
    let count: u64 = count.parse().expect("COUNT is a number");
    let min_seconds: f64 = min_seconds.parse().expect("MIN_SECONDS is a number");

    let mut w = Workload::new(workload);
    w.run((count / 10).max(1));

    let started = Instant::now();
    let mut instances = 0u64;
    loop {
        w.run(count);
        instances += count;
        if started.elapsed().as_secs_f64() >= min_seconds {
            break;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{{\"engine\":\"procos\",\"version\":\"{}\",\"workload\":\"{}\",\"count\":{count},\
         \"instances\":{instances},\"seconds\":{seconds:.6},\"rate\":{:.1},\"peak_rss_kb\":{}}}",
        env!("CARGO_PKG_VERSION"),
        w.name,
        instances as f64 / seconds,
        proc_status_kb("VmHWM").unwrap_or(0)
    );
}
