//! The four workloads of issue 7 on the pure engine (no store), shared by the
//! cross-engine driver (`examples/compare.rs`) and the peak-memory bench
//! (`benches/peak_rss.rs`), which include this file with `#[path]`.
//!
//! - `straight`: start → task → end, nothing else;
//! - `xor`: an exclusive gateway with a JUEL condition (`${amount > 100}`) choosing one
//!   of two tasks; instance `i` starts with `amount = i % 200`, so both branches run;
//! - `parallel10`: a 10-branch parallel fork and join;
//! - `wait`: instances started to an external-task wait state, then each completed.
//!
//! The BPMN files are `benches/fixtures/{straight,xor,parallel10,wait}.bpmn`, the same
//! files the other engines run in `benches/compare/`.

#![allow(dead_code)]

use std::hint::black_box;

use procos_engine::bpmn::{self, ProcessGraph};
use procos_engine::ids::{Id, SequentialIds};
use procos_engine::runtime::{self, Command, Effect, Env, Instance, Start};
use procos_engine::time::Timestamp;
use procos_engine::value::{Value, Variables};

pub const WORKLOADS: [&str; 4] = ["straight", "xor", "parallel10", "wait"];

pub fn fixture(name: &str) -> String {
    let path = format!(
        "{}/benches/fixtures/{name}.bpmn",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Reads and compiles a fixture's process (once; every instance shares it).
pub fn graph(name: &str) -> ProcessGraph {
    let mut defs = bpmn::compile(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    defs.processes.remove(0)
}

fn env(ids: &mut SequentialIds) -> Env<'_> {
    Env {
        now: Timestamp(1_767_225_600_000),
        ids,
        definition_id: "bench:1:1",
        tenant_id: None,
        user: None,
    }
}

/// One workload with its compiled process and an id source.
pub struct Workload {
    pub name: &'static str,
    graph: ProcessGraph,
    ids: SequentialIds,
    started: u64,
}

impl Workload {
    pub fn new(name: &str) -> Workload {
        let name = WORKLOADS
            .iter()
            .copied()
            .find(|w| *w == name)
            .unwrap_or_else(|| panic!("unknown workload {name:?}; one of {WORKLOADS:?}"));
        Workload {
            name,
            graph: graph(name),
            ids: SequentialIds::new(1),
            started: 0,
        }
    }

    /// Runs `n` instances of the workload, each to its end. For `wait`, all `n` are
    /// started to the wait state first, then each is completed.
    pub fn run(&mut self, n: u64) {
        if self.name == "wait" {
            let waiting = self.start_waiting(n);
            self.complete_all(waiting);
        } else {
            for _ in 0..n {
                self.run_one();
            }
        }
    }

    /// Starts one instance of a workload without wait states and checks it ended.
    fn run_one(&mut self) {
        let mut variables = Variables::new();
        if self.name == "xor" {
            variables.set("amount", Value::Long((self.started % 200) as i64));
        }
        self.started += 1;
        let start = Start {
            variables,
            ..Start::default()
        };
        let (instance, outcome) =
            runtime::start(&self.graph, start, &mut env(&mut self.ids)).expect("start");
        assert!(
            instance.is_ended(),
            "{}: the instance did not end",
            self.name
        );
        black_box((instance, outcome));
    }

    /// Starts `n` instances of `wait`, each to its external task; returns them with
    /// their task ids.
    pub fn start_waiting(&mut self, n: u64) -> Vec<(Instance, Id)> {
        let mut waiting = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let (instance, outcome) =
                runtime::start(&self.graph, Start::default(), &mut env(&mut self.ids))
                    .expect("start");
            let task = outcome
                .effects
                .iter()
                .find_map(|e| match e {
                    Effect::ExternalTaskCreated(spec) => Some(spec.id),
                    _ => None,
                })
                .expect("an external task");
            assert!(!instance.is_ended());
            waiting.push((instance, task));
        }
        self.started += n;
        waiting
    }

    /// Completes each waiting instance's external task and checks it ended.
    pub fn complete_all(&mut self, waiting: Vec<(Instance, Id)>) {
        for (mut instance, task) in waiting {
            let done = Command::CompleteExternalTask {
                task,
                variables: Variables::new(),
                local_variables: Variables::new(),
            };
            let outcome = runtime::apply(&self.graph, &mut instance, done, &mut env(&mut self.ids))
                .expect("complete");
            assert!(instance.is_ended(), "wait: the instance did not end");
            black_box(outcome);
        }
    }
}

/// A field of `/proc/self/status` in KiB (`VmHWM` is the peak resident set size).
pub fn proc_status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        rest.trim().trim_end_matches("kB").trim().parse().ok()
    })
}
