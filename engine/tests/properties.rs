//! Property tests of the token machine on random, well-formed fork/join graphs: nested
//! parallel and inclusive split/join blocks (all inclusive conditions true) with external
//! tasks in the branches, completed in a random order.
//!
//! A small independent model computes, from the set of completed tasks alone, which tasks
//! must be open and how many tokens must wait at each join. After every command the engine
//! must agree exactly: no token is lost or duplicated, every task runs exactly once, and
//! the instance ends exactly when no token remains.

mod support;
use support::*;

use std::collections::BTreeSet;
use std::fmt::Write as _;

use proptest::prelude::*;
use proptest::sample::Index;

use procos_engine::runtime::Wait;

/// The shape of a block.
#[derive(Debug, Clone)]
enum Shape {
    Task,
    Seq(Vec<Shape>),
    Fork {
        inclusive: bool,
        branches: Vec<Shape>,
    },
}

/// A block with its element ids.
#[derive(Debug)]
enum Block {
    Task(String),
    Seq(Vec<Block>),
    Fork { join: String, branches: Vec<Block> },
}

fn shape() -> impl Strategy<Value = Shape> {
    Just(Shape::Task).prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 1..=3).prop_map(Shape::Seq),
            (any::<bool>(), prop::collection::vec(inner, 1..=4)).prop_map(
                |(inclusive, branches)| Shape::Fork {
                    inclusive,
                    branches
                }
            ),
        ]
    })
}

#[derive(Default)]
struct Builder {
    elements: String,
    flows: String,
    next: usize,
    tasks: Vec<String>,
}

impl Builder {
    fn fresh(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}{}", self.next)
    }

    /// Emits `shape`; returns the block and its entry and exit nodes.
    fn emit(&mut self, shape: &Shape) -> (Block, String, String) {
        match shape {
            Shape::Task => {
                let id = self.fresh("t");
                self.elements.push_str(&ext(&id));
                self.tasks.push(id.clone());
                (Block::Task(id.clone()), id.clone(), id)
            }
            Shape::Seq(children) => {
                let mut blocks = Vec::new();
                let mut entry = None;
                let mut exit: Option<String> = None;
                for child in children {
                    let (b, i, o) = self.emit(child);
                    if let Some(prev) = &exit {
                        writeln!(self.flows, "{prev} -> {i}").ok();
                    }
                    entry.get_or_insert(i);
                    exit = Some(o);
                    blocks.push(b);
                }
                (
                    Block::Seq(blocks),
                    entry.unwrap_or_default(),
                    exit.unwrap_or_default(),
                )
            }
            Shape::Fork {
                inclusive,
                branches,
            } => {
                let gw = if *inclusive {
                    "inclusiveGateway"
                } else {
                    "parallelGateway"
                };
                let split = self.fresh("split");
                let join = self.fresh("join");
                write!(self.elements, r#"<{gw} id="{split}"/><{gw} id="{join}"/>"#).ok();
                let mut blocks = Vec::new();
                for branch in branches {
                    let (b, i, o) = self.emit(branch);
                    let cond = if *inclusive { " [${true}]" } else { "" };
                    writeln!(self.flows, "{split} -> {i}{cond}").ok();
                    writeln!(self.flows, "{o} -> {join}").ok();
                    blocks.push(b);
                }
                (
                    Block::Fork {
                        join: join.clone(),
                        branches: blocks,
                    },
                    split,
                    join,
                )
            }
        }
    }
}

/// The model: what must be live once the tasks in `done` have completed. Returns true
/// when the block has finished; otherwise adds its open tasks and waiting joins.
fn frontier(
    block: &Block,
    done: &BTreeSet<String>,
    tasks: &mut Vec<String>,
    joins: &mut Vec<(String, usize)>,
) -> bool {
    match block {
        Block::Task(id) => {
            if done.contains(id) {
                return true;
            }
            tasks.push(id.clone());
            false
        }
        Block::Seq(children) => children.iter().all(|c| frontier(c, done, tasks, joins)),
        Block::Fork { join, branches } => {
            let finished = branches
                .iter()
                .filter(|b| frontier(b, done, tasks, joins))
                .count();
            if finished == branches.len() {
                return true;
            }
            joins.push((join.clone(), finished));
            false
        }
    }
}

fn check(shape: &Shape, order: &[Index]) -> Result<(), TestCaseError> {
    let mut b = Builder::default();
    let (root, entry, exit) = b.emit(shape);
    let flows = format!("start -> {entry}\n{exit} -> end\n{}", b.flows);
    let xml = process(&format!("{}{}", start_end("end"), b.elements), &flows);
    let mut h = Harness::new(&xml);
    h.start(none());

    let mut done = BTreeSet::new();
    let mut step = 0;
    loop {
        let (mut tasks, mut joins) = (Vec::new(), Vec::new());
        let finished = frontier(&root, &done, &mut tasks, &mut joins);
        let mut expected: Vec<String> = tasks.iter().map(|t| format!("{t}@{t}")).collect();
        expected.sort();
        prop_assert_eq!(
            h.external_tasks(),
            expected,
            "open tasks after {:?}\n{}",
            done,
            h.dump()
        );
        let waiting: usize = joins.iter().map(|(_, n)| n).sum();
        for (join, n) in &joins {
            let waits = h.waits(join);
            prop_assert_eq!(
                waits.len(),
                *n,
                "tokens at {} after {:?}\n{}",
                join,
                done,
                h.dump()
            );
            prop_assert!(waits.iter().all(|w| *w == Wait::Join));
        }
        prop_assert_eq!(
            h.active().len(),
            tasks.len() + waiting,
            "live tokens\n{}",
            h.dump()
        );
        prop_assert_eq!(
            h.ended(),
            finished,
            "ended iff nothing is left\n{}",
            h.dump()
        );
        if finished {
            break;
        }
        tasks.sort();
        let pick = order[step % order.len()].index(tasks.len());
        let task = tasks[pick].clone();
        h.complete(&task, none());
        done.insert(task);
        step += 1;
    }

    for t in &b.tasks {
        let starts = h
            .history
            .iter()
            .filter(|e| **e == format!("start:{t}"))
            .count();
        let ends = h
            .history
            .iter()
            .filter(|e| **e == format!("end:{t}"))
            .count();
        prop_assert_eq!((starts, ends), (1, 1), "task {} must run exactly once", t);
    }
    prop_assert_eq!(h.history.iter().filter(|e| *e == "end:end").count(), 1);
    prop_assert_eq!(h.history.last().map(String::as_str), Some("instance-end"));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random nested parallel/inclusive fork-join graphs, tasks completed in random order.
    #[test]
    fn fork_join_graphs_never_lose_or_duplicate_tokens(
        shape in shape(),
        order in prop::collection::vec(any::<Index>(), 1..32),
    ) {
        check(&shape, &order)?;
    }
}
