//! The pure engine, no store: how fast procos parses BPMN and moves tokens.
//!
//! `cargo bench --bench engine` runs:
//! - `compile/fifty`: read, validate and compile a 50-node process;
//! - `run/straight`: start → task → end;
//! - `run/xor`: an exclusive gateway with a JUEL condition and one task;
//! - `run/parallel10`: a 10-branch parallel fork and join;
//! - `run/wait_resume_10k`: 10,000 instances started to an external-task wait state,
//!   then each completed.
//!
//! Throughput is reported per instance (elements/s). The fixtures in
//! `benches/fixtures/` are the same files the cross-engine comparison uses.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use procos_engine::bpmn::{self, ProcessGraph};
use procos_engine::ids::SequentialIds;
use procos_engine::runtime::{self, Command, Effect, Env, Start};
use procos_engine::time::Timestamp;
use procos_engine::value::{Value, Variables};

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/benches/fixtures/{name}.bpmn",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn graph(name: &str) -> ProcessGraph {
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

/// Starts one instance and checks that it ran to its end.
fn run_to_end(g: &ProcessGraph, ids: &mut SequentialIds, variables: Variables) {
    let start = Start {
        variables,
        ..Start::default()
    };
    let (instance, outcome) = runtime::start(g, start, &mut env(ids)).expect("start");
    debug_assert!(instance.is_ended());
    black_box((instance, outcome));
}

fn compile(c: &mut Criterion) {
    let text = fixture("fifty");
    let mut group = c.benchmark_group("compile");
    group.throughput(Throughput::Elements(1));
    group.bench_function("fifty", |b| {
        b.iter(|| black_box(bpmn::compile(black_box(&text)).expect("compiles")))
    });
    group.finish();
}

fn run(c: &mut Criterion) {
    let mut group = c.benchmark_group("run");
    group.throughput(Throughput::Elements(1));

    let straight = graph("straight");
    let mut ids = SequentialIds::new(1);
    group.bench_function("straight", |b| {
        b.iter(|| run_to_end(&straight, &mut ids, Variables::new()))
    });

    let xor = graph("xor");
    group.bench_function("xor", |b| {
        let mut n = 0i64;
        b.iter(|| {
            n += 1;
            let mut vars = Variables::new();
            vars.set("amount", Value::Long(n % 200));
            run_to_end(&xor, &mut ids, vars)
        })
    });

    let parallel = graph("parallel10");
    group.bench_function("parallel10", |b| {
        b.iter(|| run_to_end(&parallel, &mut ids, Variables::new()))
    });

    let wait = graph("wait");
    const N: u64 = 10_000;
    group.throughput(Throughput::Elements(N));
    group.sample_size(20);
    group.bench_function("wait_resume_10k", |b| {
        b.iter(|| {
            let mut waiting = Vec::with_capacity(N as usize);
            for _ in 0..N {
                let (instance, outcome) =
                    runtime::start(&wait, Start::default(), &mut env(&mut ids)).expect("start");
                let task = outcome
                    .effects
                    .iter()
                    .find_map(|e| match e {
                        Effect::ExternalTaskCreated(spec) => Some(spec.id),
                        _ => None,
                    })
                    .expect("an external task");
                waiting.push((instance, task));
            }
            for (mut instance, task) in waiting {
                let done = Command::CompleteExternalTask {
                    task,
                    variables: Variables::new(),
                    local_variables: Variables::new(),
                };
                let outcome = runtime::apply(&wait, &mut instance, done, &mut env(&mut ids))
                    .expect("complete");
                debug_assert!(instance.is_ended());
                black_box(outcome);
            }
        })
    });
    group.finish();
}

criterion_group!(benches, compile, run);
criterion_main!(benches);
