//! The generic worker (`procos worker generic`): everyday automation handlers, one module
//! per topic, with the original ProcOS worker's variable names where it had the topic.
//!
//! | topic | module |
//! |---|---|
//! | `http_request` | [`http_request`] (with the [`net_guard`] against request forgery) |
//! | `email_send` | [`email_send`] (SMTP through `lettre`) |
//! | `input_validation` | [`input_validation`] (JSON Schema through `boon`) |
//! | `data_validation` | [`data_validation`] (the original rule list) |
//! | `email_validation` | [`email_validation`] |
//! | `data_transform` | [`data_transform`] (JMESPath through `jmespath`) |
//! | `file_operation` | [`file_operation`] (confined to `FILES_DIR`) |
//! | `system_initialization`, `worker_management`, `health_monitoring`, `request_routing`, `system_shutdown` | [`system`] |
//!
//! Build the handlers with [`handlers`] from a [`GenericConfig`], which comes from a TOML
//! `[generic]` table or from these environment variables ([`GenericConfig::from_env`];
//! empty values count as unset):
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `PROCOS_ENGINE_URL`, `CAMUNDA_URL`, `CAMUNDA_BASE_URL` | `http://localhost:8080/engine-rest` | the engine, for the system topics (`/engine-rest` is added when missing) |
//! | `PROCOS_ENGINE_USER`, `PROCOS_ENGINE_PASSWORD` | unset | basic auth for the engine |
//! | `PROCOS_ENGINE_TOKEN` | unset | bearer token for the engine (instead of basic auth) |
//! | `HTTP_ALLOWED_HOSTS` | empty | comma list of hosts `http_request` may reach although they are loopback, private or otherwise non-global: `host`, `host:port`, `[v6]:port`, an address, a CIDR range, `*.domain` |
//! | `HTTP_TIMEOUT` | 30 | seconds, when the task gives no `timeout` |
//! | `HTTP_MAX_REDIRECTS` | 10 | redirects followed (each target checked) |
//! | `HTTP_MAX_RESPONSE_BYTES` | 10485760 | larger responses fail the task |
//! | `SMTP_SERVER` | unset | the SMTP server (`email_send` fails without one) |
//! | `SMTP_PORT` | 587 | its port |
//! | `SMTP_USERNAME`, `SMTP_PASSWORD` | unset | AUTH credentials (the password is never logged) |
//! | `SMTP_TLS` | `starttls` on 587, `tls` on 465, else `none` | `none`, `starttls` (required, never downgraded) or `tls` (implicit) |
//! | `SMTP_FROM` | the username | the sender when the task gives no `from_email` |
//! | `SMTP_TIMEOUT` | 30 | seconds |
//! | `SMTP_HELO_NAME` | `[127.0.0.1]` | the EHLO name |
//! | `SMTP_ALLOW_TASK_OVERRIDE` | false | whether tasks may set `smtp_server`, `smtp_port`, `smtp_username`, `smtp_password` |
//! | `FILES_DIR` | unset | the folder `file_operation` is confined to (the topic fails without it) |
//! | `FILES_MAX_BYTES` | 10485760 | the largest file `file_operation` reads |
//! | `SCHEMAS_DIR` | unset | the folder of named JSON Schemas (`schema_name`) |
//! | `EMAIL_TEMPLATES_DIR` | unset | the folder of named email templates (`template_name`) |
//! | `GENERIC_TOPICS` | all | comma list: serve only these topics |
//!
//! A refused or malformed input fails the task with no retries (an incident, with the
//! reason as its message); network errors and timeouts are left to the client's retry
//! policy; business outcomes the process can route are BPMN errors:
//! `HTTP_STATUS_UNEXPECTED`, `VALIDATION_FAILED`, `UNKNOWN_PROCESS`.

use std::sync::Arc;

use crate::task::Handler;

mod common;
pub mod config;
pub mod data_transform;
pub mod data_validation;
pub mod email_send;
pub mod email_validation;
pub mod file_operation;
pub mod http_request;
pub mod input_validation;
pub mod net_guard;
pub mod system;
#[cfg(test)]
mod test_support;
mod tls;

pub use config::{ConfigError, GenericConfig, HttpConfig, Secret, SmtpConfig, SmtpTls};

/// Every topic the generic worker can serve.
pub const TOPICS: [&str; 12] = [
    http_request::TOPIC,
    email_send::TOPIC,
    input_validation::TOPIC,
    data_validation::TOPIC,
    email_validation::TOPIC,
    data_transform::TOPIC,
    file_operation::TOPIC,
    "system_initialization",
    "worker_management",
    "health_monitoring",
    "request_routing",
    "system_shutdown",
];

/// The handlers for the topics `config` selects (all of [`TOPICS`] by default), each
/// with its topic name, ready to subscribe. An unknown name in `config.topics` is
/// logged and skipped.
pub fn handlers(config: &GenericConfig) -> Vec<(String, Arc<dyn Handler>)> {
    let selected: Vec<String> = if config.topics.is_empty() {
        TOPICS.iter().map(|t| (*t).to_owned()).collect()
    } else {
        for unknown in config
            .topics
            .iter()
            .filter(|t| !TOPICS.contains(&t.as_str()))
        {
            tracing::warn!("the generic worker has no topic {unknown:?}; skipped");
        }
        TOPICS
            .iter()
            .filter(|t| config.topics.iter().any(|c| c == *t))
            .map(|t| (*t).to_owned())
            .collect()
    };
    let engine = system::EngineApi::new(config);
    let mut out: Vec<(String, Arc<dyn Handler>)> = Vec::new();
    for topic in &selected {
        let handler: Arc<dyn Handler> = match topic.as_str() {
            http_request::TOPIC => Arc::new(http_request::HttpRequestHandler::new(&config.http)),
            email_send::TOPIC => Arc::new(email_send::EmailSendHandler::new(
                &config.smtp,
                config.email_templates_dir.clone(),
            )),
            input_validation::TOPIC => Arc::new(input_validation::InputValidationHandler::new(
                config.schemas_dir.clone(),
            )),
            data_validation::TOPIC => Arc::new(data_validation::DataValidationHandler),
            email_validation::TOPIC => Arc::new(email_validation::EmailValidationHandler),
            data_transform::TOPIC => Arc::new(data_transform::DataTransformHandler),
            file_operation::TOPIC => Arc::new(file_operation::FileOperationHandler::new(
                config.files_dir.clone(),
                config.files_max_bytes,
            )),
            other => match system::SystemTopic::ALL.iter().find(|s| s.topic() == other) {
                Some(kind) => Arc::new(system::SystemHandler::new(
                    *kind,
                    engine.clone(),
                    selected.clone(),
                )),
                None => continue,
            },
        };
        out.push((topic.clone(), handler));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_topic_gets_a_handler_and_the_selection_is_honoured() {
        let all = handlers(&GenericConfig::default());
        let names: Vec<&str> = all.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(names, TOPICS);
        let some = handlers(&GenericConfig {
            topics: vec!["data_transform".to_owned(), "nonsense".to_owned()],
            ..GenericConfig::default()
        });
        assert_eq!(some.len(), 1);
        assert_eq!(some[0].0, "data_transform");
    }
}
