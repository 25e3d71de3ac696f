//! A client for the external tasks of any Camunda-7-compatible engine (procos or Camunda
//! itself), the counterpart of Camunda's JS and Python clients.
//!
//! - [`EngineClient`]: one method per REST call (`fetchAndLock` with long polling,
//!   `complete`, `failure`, `bpmnError`, `extendLock`, `unlock`, `GET /engine`), with
//!   basic or bearer auth; error answers become [`ClientError::Engine`] with Camunda's
//!   `{type, message}`.
//! - [`Worker`]: [`crate::Handler`]s subscribed to topics; one fetch loop for all topics
//!   that asks for no more tasks than it has free slots (`max_in_flight`); each task on
//!   its own tokio task, its lock extended at half the lock duration while the handler
//!   runs; the [`crate::Outcome`] reported, a failure's retries and retry timeout from the
//!   [`RetryPolicy`] unless the handler gives them; exponential backoff while the engine
//!   is unreachable, logged once when it starts and once when it ends; graceful shutdown.
//! - [`ClientConfig`]: the engine URL (with or without `/engine-rest`), worker id, auth,
//!   limits and timeouts; [`ClientConfig::from_env`] reads the original ProcOS workers'
//!   variables (`CAMUNDA_BASE_URL`, `WORKER_ID`, ...).
//!
//! The HTTP client is reqwest with rustls and no built-in crypto provider: a program
//! using `https` must install one first (the `procos` binary installs ring).

mod backoff;
mod config;
mod engine;
mod error;
mod handler_fn;
mod worker;

#[cfg(test)]
mod tests;

pub use config::{
    normalise_base_url, Auth, ClientConfig, EngineUrl, RetryPolicy, TopicOptions,
    MAX_ASYNC_RESPONSE_TIMEOUT_MS,
};
pub use engine::{EngineClient, EngineInfo, FailureReport, FetchTopic};
pub use error::ClientError;
pub use handler_fn::handler_fn;
pub use worker::Worker;
