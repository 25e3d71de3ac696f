//! `data_transform`: maps data with a JMESPath expression (the `jmespath` crate), or with
//! one of the original worker's fixed transformations.
//!
//! Inputs: `data` (any JSON; when absent, the expression sees all process variables as
//! one object) and either `expression` (JMESPath, e.g.
//! `{total: sum(items[].price), skus: items[].sku}`) or the original
//! `transformation_type` (`uppercase`, `lowercase`, `json_parse`, `json_stringify`,
//! `extract_field`, `add_timestamp`) with `transformation_config` (`{field}` for
//! `extract_field`; a dotted path such as `customer.name` works too). `output_variable`
//! optionally names one more variable to receive the result.
//!
//! Outputs: `transformed_data`, `original_data` (the original names). An expression that
//! does not parse or cannot be evaluated fails the task with no retries, with a message
//! that names the expression and the position (line, column, offset) with a caret.

use serde_json::{Map, Value as Json};

use super::common::{epoch_seconds, finish, json_var, variables_object, Out, TaskError};
use crate::task::{Handler, Outcome, Task, Variables};

/// The topic.
pub const TOPIC: &str = "data_transform";

/// Serves `data_transform`.
#[derive(Debug, Default)]
pub struct DataTransformHandler;

/// Evaluates a JMESPath `expression` over `data`; the error names the expression and
/// where in it the problem is.
pub fn jmespath(expression: &str, data: &Json) -> Result<Json, String> {
    let describe = |phase: &str, e: jmespath::JmespathError| {
        // The offending line, and a caret under the position.
        let line = expression.lines().nth(e.line).unwrap_or(expression);
        format!(
            "data_transform: cannot {phase} the expression `{expression}`: {} at line {}, column {} (offset {})\n{line}\n{}^",
            e.reason,
            e.line + 1,
            e.column + 1,
            e.offset,
            " ".repeat(e.column)
        )
    };
    let compiled = jmespath::compile(expression).map_err(|e| describe("parse", e))?;
    let result = compiled.search(data).map_err(|e| describe("evaluate", e))?;
    serde_json::to_value(&*result)
        .map(whole_numbers)
        .map_err(|e| format!("data_transform: the result of `{expression}` is not JSON: {e}"))
}

/// The `jmespath` crate computes in f64: `sum`, `max`, `abs`, `ceil` give `5.0` where
/// JMESPath's reference implementation gives `5`, and a strict consumer (Go's
/// `encoding/json` into an int, a JSON Schema `integer`) refuses `5.0`. Whole numbers
/// within f64's exact range become integers again; JSON makes no other difference.
fn whole_numbers(value: Json) -> Json {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    match value {
        Json::Number(n) if !n.is_i64() && !n.is_u64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() <= EXACT => Json::from(f as i64),
            _ => Json::Number(n),
        },
        Json::Array(items) => Json::Array(items.into_iter().map(whole_numbers).collect()),
        Json::Object(map) => Json::Object(
            map.into_iter()
                .map(|(k, v)| (k, whole_numbers(v)))
                .collect::<Map<_, _>>(),
        ),
        other => other,
    }
}

fn map_strings(value: Json, f: &dyn Fn(&str) -> String) -> Json {
    match value {
        Json::String(s) => Json::String(f(&s)),
        Json::Array(items) => Json::Array(items.into_iter().map(|v| map_strings(v, f)).collect()),
        Json::Object(map) => Json::Object(
            map.into_iter()
                .map(|(k, v)| (k, map_strings(v, f)))
                .collect::<Map<_, _>>(),
        ),
        other => other,
    }
}

/// One of the original worker's transformations.
fn fixed(kind: &str, data: Json, config: &Json) -> Result<Json, String> {
    Ok(match kind {
        "uppercase" => map_strings(data, &str::to_uppercase),
        "lowercase" => map_strings(data, &str::to_lowercase),
        "json_parse" => match data {
            Json::String(text) => serde_json::from_str(&text).map_err(|e| {
                format!(
                    "data_transform: json_parse: invalid JSON at line {}, column {}: {e}",
                    e.line(),
                    e.column()
                )
            })?,
            other => other,
        },
        "json_stringify" => Json::String(data.to_string()),
        "extract_field" => {
            let field = config
                .get("field")
                .and_then(Json::as_str)
                .ok_or("data_transform: extract_field needs transformation_config {\"field\": ...}")?;
            let mut value = &data;
            if let Some(direct) = data.get(field) {
                value = direct;
            } else {
                for part in field.split('.') {
                    value = match value {
                        Json::Array(items) => part
                            .parse::<usize>()
                            .ok()
                            .and_then(|i| items.get(i))
                            .unwrap_or(&Json::Null),
                        other => other.get(part).unwrap_or(&Json::Null),
                    };
                }
            }
            value.clone()
        }
        "add_timestamp" => match data {
            Json::Object(mut map) => {
                map.insert("timestamp".to_owned(), Json::from(epoch_seconds()));
                Json::Object(map)
            }
            other => {
                return Err(format!(
                    "data_transform: add_timestamp needs a JSON object, not {other}"
                ))
            }
        },
        other => {
            return Err(format!(
                "data_transform: unknown transformation_type {other:?} (uppercase, lowercase, json_parse, json_stringify, extract_field, add_timestamp; or give an expression)"
            ))
        }
    })
}

impl DataTransformHandler {
    fn run(task: &Task) -> Result<Variables, TaskError> {
        let given = json_var(task, "data");
        let expression = task.text("expression").filter(|e| !e.trim().is_empty());
        let kind = task
            .text("transformation_type")
            .filter(|t| !t.trim().is_empty());
        let (original, result) = match (expression, kind) {
            (Some(expression), _) => {
                let data = given.clone().unwrap_or_else(|| variables_object(task));
                let result = jmespath(&expression, &data).map_err(TaskError::Fatal)?;
                (given.unwrap_or(Json::Null), result)
            }
            (None, Some(kind)) => {
                let data = given.ok_or_else(|| {
                    TaskError::fatal("data_transform: the variable data is required")
                })?;
                let config = json_var(task, "transformation_config").unwrap_or(Json::Null);
                let result = fixed(kind.trim(), data.clone(), &config).map_err(TaskError::Fatal)?;
                (data, result)
            }
            (None, None) => {
                return Err(TaskError::fatal(
                    "data_transform: give an expression (JMESPath) or a transformation_type",
                ))
            }
        };
        let mut out = Out::new()
            .json("transformed_data", &result)
            .json("original_data", &original);
        if let Some(name) = task
            .text("output_variable")
            .filter(|n| !n.trim().is_empty())
        {
            out = out.json(name.trim(), &result);
        }
        Ok(out.done())
    }
}

#[async_trait::async_trait]
impl Handler for DataTransformHandler {
    async fn handle(&self, task: &Task) -> Outcome {
        finish(task, DataTransformHandler::run(task))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generic::test_support::task;
    use crate::task::TypedValue;
    use serde_json::json;

    async fn run(vars: Json) -> Outcome {
        DataTransformHandler.handle(&task(TOPIC, vars)).await
    }

    fn completed(outcome: Outcome) -> Variables {
        match outcome {
            Outcome::Complete { variables, .. } => variables,
            other => panic!("expected completion, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn jmespath_maps_data_and_variables() {
        let order = json!({"id": 7, "items": [{"sku": "a", "price": 2.5, "qty": 2},
                                              {"sku": "b", "price": 1, "qty": 1}]});
        let vars = completed(
            run(json!({
                "data": order,
                "expression": "{id: id, skus: items[].sku, total: sum(items[].price), big: items[?qty > `1`].sku}",
                "output_variable": "summary",
            }))
            .await,
        );
        let expected = json!({"id": 7, "skus": ["a", "b"], "total": 3.5, "big": ["a"]});
        assert_eq!(vars["transformed_data"].to_json(), expected);
        assert_eq!(vars["summary"].to_json(), expected);
        assert_eq!(vars["original_data"].to_json(), order);
        // Without data, the expression sees the process variables.
        let vars = completed(
            run(json!({"customer": {"name": "Ada"}, "expression": "customer.name"})).await,
        );
        assert_eq!(vars["transformed_data"], TypedValue::string("Ada"));
    }

    #[test]
    fn arithmetic_on_whole_numbers_gives_whole_numbers() {
        let data = json!({"items": [{"q": 2, "p": 1.5}, {"q": 3, "p": 2.5}], "neg": -4});
        assert_eq!(
            jmespath(
                "{n: sum(items[].q), p: sum(items[].p), m: max(items[].q), a: abs(neg), c: ceil(`2.2`), f: items[0].p}",
                &data
            ),
            Ok(json!({"n": 5, "p": 4, "m": 3, "a": 4, "c": 3, "f": 1.5}))
        );
        assert!(jmespath("sum(items[].q)", &data).is_ok_and(|v| v.is_i64()));
    }

    #[tokio::test]
    async fn a_bad_expression_names_itself_and_the_position() {
        let outcome = run(json!({"data": {"a": 1}, "expression": "items[?price > ]"})).await;
        match outcome {
            Outcome::Failure {
                message, retries, ..
            } => {
                assert_eq!(retries, Some(0));
                assert!(message.contains("`items[?price > ]`"), "{message}");
                assert!(message.contains("column 16"), "{message}");
                assert!(message.contains("offset 15"), "{message}");
                assert!(message.contains('^'), "{message}");
            }
            other => panic!("expected a failure, got {other:?}"),
        }
        let outcome = run(json!({"data": {"a": "x"}, "expression": "sum(a)"})).await;
        match outcome {
            Outcome::Failure { message, .. } => {
                assert!(message.contains("cannot evaluate"), "{message}");
                assert!(message.contains("`sum(a)`"), "{message}");
            }
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn the_bundled_processes_expressions_parse() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../processes");
        let open = r#"<camunda:inputParameter name="expression">"#;
        let mut found = 0;
        for entry in std::fs::read_dir(&dir).expect("the processes folder") {
            let path = entry.expect("a folder entry").path();
            if path.extension().and_then(|e| e.to_str()) != Some("bpmn") {
                continue;
            }
            let xml = std::fs::read_to_string(&path).expect("a BPMN file");
            for part in xml.split(open).skip(1) {
                let raw = part
                    .split("</camunda:inputParameter>")
                    .next()
                    .unwrap_or_default();
                let expression = raw
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&quot;", "\"")
                    .replace("&apos;", "'")
                    .replace("&amp;", "&");
                if let Err(e) = jmespath::compile(&expression) {
                    panic!("{}: {e}", path.display());
                }
                found += 1;
            }
        }
        assert!(
            found > 0,
            "no data_transform expression in {}",
            dir.display()
        );
    }

    #[tokio::test]
    async fn the_original_transformation_types_still_work() {
        let t =
            |vars: Json| async move { completed(run(vars).await)["transformed_data"].to_json() };
        assert_eq!(
            t(json!({"data": "Hello", "transformation_type": "uppercase"})).await,
            json!("HELLO")
        );
        assert_eq!(
            t(json!({"data": {"a": ["X"]}, "transformation_type": "lowercase"})).await,
            json!({"a": ["x"]})
        );
        assert_eq!(
            t(json!({"data": "{\"a\": 1}", "transformation_type": "json_parse"})).await,
            json!({"a": 1})
        );
        assert_eq!(
            t(json!({"data": {"a": 1}, "transformation_type": "json_stringify"})).await,
            json!("{\"a\":1}")
        );
        assert_eq!(
            t(
                json!({"data": {"c": {"n": "Ada"}}, "transformation_type": "extract_field",
                     "transformation_config": {"field": "c.n"}})
            )
            .await,
            json!("Ada")
        );
        let stamped = t(json!({"data": {"a": 1}, "transformation_type": "add_timestamp"})).await;
        assert!(stamped["timestamp"]
            .as_i64()
            .is_some_and(|t| t > 1_600_000_000));
        match run(json!({"data": "{oops", "transformation_type": "json_parse"})).await {
            Outcome::Failure { message, .. } => {
                assert!(message.contains("line 1, column"), "{message}")
            }
            other => panic!("expected a failure, got {other:?}"),
        }
        match run(json!({"data": 1, "transformation_type": "rot13"})).await {
            Outcome::Failure { message, .. } => assert!(message.contains("rot13"), "{message}"),
            other => panic!("expected a failure, got {other:?}"),
        }
    }
}
