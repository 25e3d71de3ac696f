//! BPMN 2.0: read XML securely, check the whole model, compile it to a graph.

mod compile;
mod extensions;
pub mod graph;
mod problem;
mod validate;
pub mod xml;

pub use compile::{compile, compile_with, CompileOptions, CompiledDefinitions, Rejected};
pub use graph::*;
pub use problem::{Problem, Severity};
