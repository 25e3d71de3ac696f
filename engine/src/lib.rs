//! The procos BPMN engine as a library: everything that turns a BPMN 2.0 file written in
//! Camunda Modeler into a running token flow, with no IO.
//!
//! - [`bpmn`] reads XML (securely), builds a model, validates it and compiles it into a
//!   [`bpmn::ProcessGraph`].
//! - [`expr`] is the JUEL subset Camunda processes use, parsed once at deploy time.
//! - [`value`] holds typed variable values as Camunda types them.
//! - [`time`] is date arithmetic: Camunda's date format, ISO 8601 durations and
//!   repetitions, Quartz cron.
//! - [`runtime`] is the interpreter: `apply(graph, state, command)` returns the new state
//!   and the effects the caller must persist.
//!
//! None of these modules reads the wall clock, generates random ids or performs IO: the
//! caller passes time and ids in. That keeps BPMN semantics testable in microseconds.

pub mod bpmn;
pub mod expr;
pub mod ids;
pub mod runtime;
pub mod script;
pub mod service;
pub mod store;
pub mod time;
pub mod value;
