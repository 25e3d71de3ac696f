//! External-task workers for Camunda-7-compatible engines (procos or Camunda itself).
//!
//! [`task`] holds what a handler sees and returns; the client that fetches, locks and
//! reports tasks over the `engine-rest` API lives in [`client`]; the bundled workers
//! (`ai`, `generic`) are sets of handlers subscribed to topics.

pub mod ai;
pub mod client;
pub mod generic;
pub mod task;

pub use task::{Handler, Outcome, Task, TypedValue, Variables};
