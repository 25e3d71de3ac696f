//! procos's Camunda 7 `engine-rest` API.
