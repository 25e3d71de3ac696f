//! `data_validation`: the original worker's rule list, without its `eval`.
//!
//! Inputs: `data` (a Json map, or JSON text) and `validation_rules` (a Json list, or
//! JSON text, of rules `{type, field, ...}`):
//! - `required`: the field is present, not null and not empty text;
//! - `type`: the field (when present) has `expected_type`: Python's names (`str`, `int`,
//!   `float`, `bool`, `list`, `dict`) or JSON Schema's (`string`, `integer`, `number`,
//!   `boolean`, `array`, `object`, `null`);
//! - `min_length`: text or list at least `min_length` long (an error);
//! - `max_length`: at most `max_length` long (a warning only, as in the original).
//!
//! Outputs (the original names): `valid`, `errors` (Json list of texts), `warnings`
//! (Json list of texts), `validated_fields` (how many rules were checked). It never
//! throws: processes branch on `valid`.

use serde_json::{Map, Value as Json};

use super::common::{finish, json_var, Out, TaskError};
use crate::task::{Handler, Outcome, Task, TypedValue, Variables};

/// The topic.
pub const TOPIC: &str = "data_validation";

/// Serves `data_validation`.
#[derive(Debug, Default)]
pub struct DataValidationHandler;

/// What the rules found.
#[derive(Debug, Default, PartialEq)]
struct Report {
    errors: Vec<String>,
    warnings: Vec<String>,
    checked: i64,
}

fn length(value: &Json) -> Option<usize> {
    match value {
        Json::String(s) => Some(s.chars().count()),
        Json::Array(a) => Some(a.len()),
        Json::Object(o) => Some(o.len()),
        _ => None,
    }
}

fn has_type(value: &Json, expected: &str) -> Option<bool> {
    Some(match expected.trim().to_ascii_lowercase().as_str() {
        "str" | "string" | "text" => value.is_string(),
        "int" | "integer" | "long" => value.as_i64().is_some() || value.as_u64().is_some(),
        "float" | "number" | "double" => value.is_number(),
        "bool" | "boolean" => value.is_boolean(),
        "list" | "array" => value.is_array(),
        "dict" | "object" | "map" => value.is_object(),
        "none" | "null" => value.is_null(),
        _ => return None,
    })
}

fn number(rule: &Map<String, Json>, name: &str) -> Option<usize> {
    match rule.get(name)? {
        Json::Number(n) => n.as_u64().and_then(|n| usize::try_from(n).ok()),
        Json::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn check(data: &Map<String, Json>, rules: &[Json]) -> Report {
    let mut report = Report::default();
    for (index, rule) in rules.iter().enumerate() {
        let Some(rule) = rule.as_object() else {
            report
                .warnings
                .push(format!("Rule {index} is not an object and was skipped"));
            continue;
        };
        let kind = rule.get("type").and_then(Json::as_str).unwrap_or_default();
        let Some(field) = rule.get("field").and_then(Json::as_str) else {
            report.warnings.push(format!(
                "Rule {index} ({kind}) names no field and was skipped"
            ));
            continue;
        };
        report.checked += 1;
        let value = data.get(field);
        match kind {
            "required" => {
                let missing = match value {
                    None | Some(Json::Null) => true,
                    Some(Json::String(s)) => s.is_empty(),
                    _ => false,
                };
                if missing {
                    report.errors.push(format!("Field '{field}' is required"));
                }
            }
            "type" => {
                let expected = rule
                    .get("expected_type")
                    .and_then(Json::as_str)
                    .unwrap_or_default();
                if let Some(value) = value {
                    match has_type(value, expected) {
                        Some(true) => {}
                        Some(false) => report
                            .errors
                            .push(format!("Field '{field}' must be of type {expected}")),
                        None => report.warnings.push(format!(
                            "Rule {index}: unknown expected_type {expected:?} for field '{field}'"
                        )),
                    }
                }
            }
            "min_length" => {
                if let (Some(min), Some(len)) = (number(rule, "min_length"), value.and_then(length))
                {
                    if len < min {
                        report.errors.push(format!(
                            "Field '{field}' must be at least {min} characters long"
                        ));
                    }
                }
            }
            "max_length" => {
                if let (Some(max), Some(len)) = (number(rule, "max_length"), value.and_then(length))
                {
                    if len > max {
                        report
                            .warnings
                            .push(format!("Field '{field}' is longer than {max} characters"));
                    }
                }
            }
            other => report
                .warnings
                .push(format!("Rule {index}: unknown rule type {other:?}")),
        }
    }
    report
}

impl DataValidationHandler {
    fn run(task: &Task) -> Result<Variables, TaskError> {
        let data = match json_var(task, "data") {
            Some(Json::Object(map)) => map,
            None | Some(Json::Null) => Map::new(),
            Some(other) => {
                return Err(TaskError::fatal(format!(
                    "data_validation: data must be a JSON object, not {other}"
                )))
            }
        };
        let rules = match json_var(task, "validation_rules") {
            Some(Json::Array(rules)) => rules,
            None | Some(Json::Null) => Vec::new(),
            Some(other) => {
                return Err(TaskError::fatal(format!(
                    "data_validation: validation_rules must be a JSON list, not {other}"
                )))
            }
        };
        let report = check(&data, &rules);
        let list = |items: Vec<String>| Json::Array(items.into_iter().map(Json::String).collect());
        Ok(Out::new()
            .set("valid", TypedValue::boolean(report.errors.is_empty()))
            .json_typed("errors", &list(report.errors))
            .json_typed("warnings", &list(report.warnings))
            .set("validated_fields", TypedValue::long(report.checked))
            .done())
    }
}

#[async_trait::async_trait]
impl Handler for DataValidationHandler {
    async fn handle(&self, task: &Task) -> Outcome {
        finish(task, DataValidationHandler::run(task))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generic::test_support::task;
    use serde_json::json;

    #[tokio::test]
    async fn the_original_rules_give_errors_warnings_and_a_count() {
        let rules = json!([
            {"type": "required", "field": "name"},
            {"type": "required", "field": "email"},
            {"type": "type", "field": "age", "expected_type": "int"},
            {"type": "type", "field": "tags", "expected_type": "list"},
            {"type": "min_length", "field": "name", "min_length": 3},
            {"type": "max_length", "field": "bio", "max_length": 5},
            {"type": "regex", "field": "x"}
        ]);
        // Rules as JSON text work too (the original failed on them).
        let outcome = DataValidationHandler
            .handle(&task(
                TOPIC,
                json!({"data": {"name": "Al", "age": "12", "tags": ["a"], "bio": "too long"},
                       "validation_rules": rules.to_string()}),
            ))
            .await;
        let Outcome::Complete { variables, .. } = outcome else {
            panic!("data_validation never throws: {outcome:?}");
        };
        assert_eq!(variables["valid"], TypedValue::boolean(false));
        assert_eq!(
            variables["errors"].to_json(),
            json!([
                "Field 'email' is required",
                "Field 'age' must be of type int",
                "Field 'name' must be at least 3 characters long"
            ])
        );
        let warnings = variables["warnings"].to_json();
        assert_eq!(warnings[0], "Field 'bio' is longer than 5 characters");
        assert!(warnings[1].as_str().is_some_and(|w| w.contains("regex")));
        assert_eq!(variables["validated_fields"], TypedValue::long(7));

        let outcome = DataValidationHandler
            .handle(&task(
                TOPIC,
                json!({"data": {"name": "Ada"}, "validation_rules": [{"type": "required", "field": "name"}]}),
            ))
            .await;
        let Outcome::Complete { variables, .. } = outcome else {
            panic!("{outcome:?}");
        };
        assert_eq!(variables["valid"], TypedValue::boolean(true));
    }
}
