//! External-task client for Camunda-7-compatible engines, and procos's bundled workers.
