//! `input_validation`: validates a variable against a JSON Schema (drafts 4, 6, 7,
//! 2019-09 and 2020-12, with `format` asserted) using the `boon` crate.
//!
//! Inputs: `data` (or the variable named by `data_variable`), `schema` (an inline
//! schema, as Json or JSON text) or `schema_name` (`NAME` or `NAME.json` in
//! `SCHEMAS_DIR`; `$ref`s may name other files in that folder, nothing outside it and
//! nothing remote), `throw_on_invalid` (default true).
//!
//! Outputs: `valid` (Boolean) and `validation_errors` (a Json list of `{path, message}`:
//! every violation, `path` a JSON Pointer into the data, `""` for the whole of it). When
//! the data is invalid the BPMN error `VALIDATION_FAILED` is thrown with those two
//! variables, unless `throw_on_invalid` is false. A schema that does not compile fails
//! the task with no retries.

use std::path::{Path, PathBuf};

use boon::{Compiler, Draft, Schemas, UrlLoader, ValidationError};
use reqwest::Url;
use serde_json::{json, Value as Json};

use super::common::{finish, json_var, Out, TaskError};
use crate::task::{Handler, Outcome, Task, TypedValue, Variables};

/// The topic.
pub const TOPIC: &str = "input_validation";

/// The BPMN error thrown for invalid data.
pub const VALIDATION_FAILED: &str = "VALIDATION_FAILED";

/// The location inline schemas are compiled under.
const INLINE_URL: &str = "urn:procos:inline-schema";

/// Serves `input_validation`.
pub struct InputValidationHandler {
    schemas_dir: Option<PathBuf>,
}

/// One violation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// A JSON Pointer to the offending value (`""` is the whole document).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// Loads `$ref`ed schemas from files inside one folder, and nothing else.
struct FolderLoader {
    root: Option<PathBuf>,
}

impl UrlLoader for FolderLoader {
    fn load(&self, url: &str) -> Result<Json, Box<dyn std::error::Error>> {
        let root = self.root.as_ref().ok_or_else(|| {
            format!("{url}: schemas can only refer to files in SCHEMAS_DIR, which is not set")
        })?;
        let parsed = Url::parse(url)?;
        if parsed.scheme() != "file" {
            return Err(format!("{url}: only schemas in SCHEMAS_DIR can be referred to").into());
        }
        let path = parsed
            .to_file_path()
            .map_err(|()| format!("{url}: not a file path"))?;
        let canonical = path.canonicalize().map_err(|e| format!("{url}: {e}"))?;
        if !canonical.starts_with(root) {
            return Err(format!("{url}: outside SCHEMAS_DIR").into());
        }
        let text = std::fs::read_to_string(&canonical)?;
        Ok(serde_json::from_str(&text)?)
    }
}

/// Every leaf of a validation error tree, as `{path, message}`.
fn collect(error: &ValidationError<'_, '_>, out: &mut Vec<Violation>) {
    if error.causes.is_empty() {
        let violation = Violation {
            path: error.instance_location.to_string(),
            message: error.kind.to_string(),
        };
        if !out.contains(&violation) {
            out.push(violation);
        }
    } else {
        for cause in &error.causes {
            collect(cause, out);
        }
    }
}

/// Validates `data` against `schema` (compiled under `url` with `loader`).
fn validate_with(
    data: &Json,
    schema: Option<Json>,
    url: &str,
    loader: FolderLoader,
) -> Result<Vec<Violation>, TaskError> {
    let mut compiler = Compiler::new();
    compiler.set_default_draft(Draft::V2020_12);
    compiler.enable_format_assertions();
    compiler.use_loader(Box::new(loader));
    if let Some(schema) = schema {
        compiler
            .add_resource(url, schema)
            .map_err(|e| TaskError::fatal(format!("input_validation: invalid schema: {e:#}")))?;
    }
    let mut schemas = Schemas::new();
    let index = compiler
        .compile(url, &mut schemas)
        .map_err(|e| TaskError::fatal(format!("input_validation: invalid schema: {e:#}")))?;
    let mut violations = Vec::new();
    if let Err(error) = schemas.validate(data, index) {
        collect(&error, &mut violations);
    }
    Ok(violations)
}

/// Validates `data` against an inline schema (which may not refer to files).
pub fn validate_inline(data: &Json, schema: &Json) -> Result<Vec<Violation>, String> {
    validate_with(
        data,
        Some(schema.clone()),
        INLINE_URL,
        FolderLoader { root: None },
    )
    .map_err(|e| e.to_string())
}

impl InputValidationHandler {
    /// A handler loading named schemas from `schemas_dir`.
    pub fn new(schemas_dir: Option<PathBuf>) -> InputValidationHandler {
        InputValidationHandler { schemas_dir }
    }

    fn schema_file(&self, name: &str) -> Result<(PathBuf, PathBuf), TaskError> {
        let dir = self.schemas_dir.as_ref().ok_or_else(|| {
            TaskError::fatal("input_validation: schema_name needs a schema folder (SCHEMAS_DIR)")
        })?;
        let root = dir.canonicalize().map_err(|e| {
            TaskError::fatal(format!(
                "input_validation: SCHEMAS_DIR {}: {e}",
                dir.display()
            ))
        })?;
        let plain = !name.is_empty()
            && !name.starts_with('.')
            && !name.contains("..")
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !plain {
            return Err(TaskError::fatal(format!(
                "input_validation: schema_name {name:?} must be a plain file name"
            )));
        }
        let candidates = [root.join(name), root.join(format!("{name}.json"))];
        let found = candidates
            .iter()
            .filter(|p| Path::new(p).is_file())
            .find_map(|p| p.canonicalize().ok())
            .ok_or_else(|| {
                TaskError::fatal(format!(
                    "input_validation: no schema {name:?} in {}",
                    root.display()
                ))
            })?;
        if !found.starts_with(&root) {
            return Err(TaskError::fatal(format!(
                "input_validation: schema {name:?} leads outside SCHEMAS_DIR"
            )));
        }
        Ok((root, found))
    }

    fn validate(&self, task: &Task) -> Result<(Vec<Violation>, bool), TaskError> {
        let data_name = task
            .text("data_variable")
            .unwrap_or_else(|| "data".to_owned());
        let data = json_var(task, &data_name).unwrap_or(Json::Null);
        let throw = task.bool("throw_on_invalid").unwrap_or(true);
        let violations = match (json_var(task, "schema"), task.text("schema_name")) {
            (Some(schema), _) if !schema.is_null() => {
                if !(schema.is_object() || schema.is_boolean()) {
                    return Err(TaskError::fatal(
                        "input_validation: schema must be a JSON object (or true/false)",
                    ));
                }
                validate_with(
                    &data,
                    Some(schema),
                    INLINE_URL,
                    FolderLoader {
                        root: self
                            .schemas_dir
                            .as_ref()
                            .and_then(|d| d.canonicalize().ok()),
                    },
                )?
            }
            (_, Some(name)) => {
                let (root, file) = self.schema_file(name.trim())?;
                let url = Url::from_file_path(&file)
                    .map_err(|()| {
                        TaskError::fatal(format!("input_validation: {} is no URL", file.display()))
                    })?
                    .to_string();
                validate_with(&data, None, &url, FolderLoader { root: Some(root) })?
            }
            _ => {
                return Err(TaskError::fatal(
                    "input_validation: give the schema inline (schema) or by name (schema_name)",
                ))
            }
        };
        Ok((violations, throw))
    }
}

fn variables(violations: &[Violation]) -> Variables {
    let list: Vec<Json> = violations
        .iter()
        .map(|v| json!({"path": v.path, "message": v.message}))
        .collect();
    Out::new()
        .set("valid", TypedValue::boolean(violations.is_empty()))
        .json_typed("validation_errors", &Json::Array(list))
        .done()
}

#[async_trait::async_trait]
impl Handler for InputValidationHandler {
    async fn handle(&self, task: &Task) -> Outcome {
        match self.validate(task) {
            Ok((violations, throw)) if !violations.is_empty() && throw => {
                let summary = violations
                    .iter()
                    .map(|v| {
                        format!(
                            "{}: {}",
                            if v.path.is_empty() { "/" } else { &v.path },
                            v.message
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                tracing::info!(task = %task.id, count = violations.len(), "input is invalid");
                Outcome::BpmnError {
                    code: VALIDATION_FAILED.to_owned(),
                    message: format!("{} validation error(s): {summary}", violations.len()),
                    variables: variables(&violations),
                }
            }
            Ok((violations, _)) => finish(task, Ok(variables(&violations))),
            Err(e) => e.into_outcome(task),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generic::test_support::{task, temp_dir};

    fn order_schema() -> Json {
        json!({
            "type": "object",
            "required": ["id", "email", "items"],
            "properties": {
                "id": {"type": "integer", "minimum": 1},
                "email": {"type": "string", "format": "email"},
                "items": {"type": "array", "minItems": 1,
                          "items": {"type": "object", "required": ["sku"],
                                    "properties": {"qty": {"type": "integer", "minimum": 1}}}}
            },
            "additionalProperties": false
        })
    }

    #[tokio::test]
    async fn every_violation_is_listed_and_routed_as_a_bpmn_error() {
        let handler = InputValidationHandler::new(None);
        let bad = json!({"id": 0, "email": "not-an-email", "items": [{"qty": 0}], "extra": true});
        match handler
            .handle(&task(TOPIC, json!({"data": bad, "schema": order_schema()})))
            .await
        {
            Outcome::BpmnError {
                code,
                variables,
                message,
            } => {
                assert_eq!(code, VALIDATION_FAILED);
                assert_eq!(variables["valid"], TypedValue::boolean(false));
                let errors = variables["validation_errors"].to_json();
                let errors = errors.as_array().expect("a list");
                let paths: Vec<&str> = errors.iter().filter_map(|e| e["path"].as_str()).collect();
                for expected in ["/id", "/email", "/items/0", "/items/0/qty", ""] {
                    assert!(
                        paths.contains(&expected),
                        "{expected} missing in {errors:?}"
                    );
                }
                assert!(errors.len() >= 5, "{errors:?}");
                assert!(errors
                    .iter()
                    .all(|e| e["message"].as_str().is_some_and(|m| !m.is_empty())));
                assert!(message.contains("/email"), "{message}");
            }
            other => panic!("expected VALIDATION_FAILED, got {other:?}"),
        }
        // Without throwing, the same variables complete the task.
        match handler
            .handle(&task(
                TOPIC,
                json!({"data": {"id": 1}, "schema": order_schema(), "throw_on_invalid": false}),
            ))
            .await
        {
            Outcome::Complete { variables, .. } => {
                assert_eq!(variables["valid"], TypedValue::boolean(false));
            }
            other => panic!("expected completion, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn valid_data_completes_and_schemas_load_by_name_from_the_folder() {
        let dir = temp_dir("schemas");
        std::fs::write(
            dir.join("order.json"),
            json!({"type": "object", "properties": {"customer": {"$ref": "customer.json"}}})
                .to_string(),
        )
        .expect("write");
        std::fs::write(
            dir.join("customer.json"),
            json!({"type": "object", "required": ["name"]}).to_string(),
        )
        .expect("write");
        let handler = InputValidationHandler::new(Some(dir.clone()));
        let ok = handler
            .handle(&task(
                TOPIC,
                json!({"payload": {"customer": {"name": "Ada"}}, "data_variable": "payload",
                       "schema_name": "order"}),
            ))
            .await;
        match ok {
            Outcome::Complete { variables, .. } => {
                assert_eq!(variables["valid"], TypedValue::boolean(true));
                assert_eq!(variables["validation_errors"].to_json(), json!([]));
            }
            other => panic!("expected completion, got {other:?}"),
        }
        match handler
            .handle(&task(
                TOPIC,
                json!({"data": {"customer": {}}, "schema_name": "order.json"}),
            ))
            .await
        {
            Outcome::BpmnError { variables, .. } => {
                let errors = variables["validation_errors"].to_json();
                assert_eq!(errors[0]["path"], "/customer", "{errors}");
            }
            other => panic!("expected VALIDATION_FAILED, got {other:?}"),
        }
        for name in ["../order", "/etc/passwd", "missing"] {
            match handler
                .handle(&task(TOPIC, json!({"data": {}, "schema_name": name})))
                .await
            {
                Outcome::Failure { retries, .. } => assert_eq!(retries, Some(0)),
                other => panic!("{name}: expected a failure, got {other:?}"),
            }
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn schemas_cannot_reach_files_or_the_network() {
        let handler = InputValidationHandler::new(None);
        for schema in [
            json!({"$ref": "file:///etc/passwd"}),
            json!({"$ref": "http://127.0.0.1:1/schema.json"}),
            json!({"type": "no-such-type"}),
        ] {
            match handler
                .handle(&task(TOPIC, json!({"data": {}, "schema": schema})))
                .await
            {
                Outcome::Failure {
                    message, retries, ..
                } => {
                    assert_eq!(retries, Some(0));
                    assert!(message.contains("invalid schema"), "{message}");
                }
                other => panic!("expected a failure, got {other:?}"),
            }
        }
    }
}
