//! procos's Camunda 7 `engine-rest` API.

pub mod error;
pub mod values;
