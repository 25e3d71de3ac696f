//! What a handler sees and what it returns: a locked external task with its typed
//! variables, and the outcome to report (complete, failure or BPMN error).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

/// Variables by name, in Camunda's REST form.
pub type Variables = BTreeMap<String, TypedValue>;

/// A variable value as Camunda's REST API writes it: `{value, type, valueInfo}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TypedValue {
    /// The value (for `Json`, `Xml` and serialized `Object` values: the serialized text).
    #[serde(default)]
    pub value: Json,
    /// The Camunda type name (`String`, `Long`, `Json`, ...); None lets the engine infer it.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_name: Option<String>,
    /// Type-specific details (`objectTypeName`, `serializationDataFormat`, `filename`, ...).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub value_info: Map<String, Json>,
}

impl TypedValue {
    /// A `String` value.
    pub fn string(s: impl Into<String>) -> TypedValue {
        TypedValue::typed(Json::String(s.into()), "String")
    }

    /// A `Long` value.
    pub fn long(n: i64) -> TypedValue {
        TypedValue::typed(Json::from(n), "Long")
    }

    /// An `Integer` value.
    pub fn integer(n: i32) -> TypedValue {
        TypedValue::typed(Json::from(n), "Integer")
    }

    /// A `Double` value.
    pub fn double(n: f64) -> TypedValue {
        TypedValue::typed(Json::from(n), "Double")
    }

    /// A `Boolean` value.
    pub fn boolean(b: bool) -> TypedValue {
        TypedValue::typed(Json::Bool(b), "Boolean")
    }

    /// A `Null` value.
    pub fn null() -> TypedValue {
        TypedValue::typed(Json::Null, "Null")
    }

    /// A `Json` value (Camunda Spin's JSON type), serialized as Camunda expects.
    pub fn json(value: &Json) -> TypedValue {
        TypedValue::typed(Json::String(value.to_string()), "Json")
    }

    /// The natural Camunda type for a JSON value: text is `String`, whole numbers `Long`,
    /// other numbers `Double`, booleans `Boolean`, null `Null`, objects and arrays `Json`.
    pub fn from_json(value: &Json) -> TypedValue {
        match value {
            Json::Null => TypedValue::null(),
            Json::Bool(b) => TypedValue::boolean(*b),
            Json::String(s) => TypedValue::string(s.clone()),
            Json::Number(n) => match n.as_i64() {
                Some(i) => TypedValue::long(i),
                None => TypedValue::double(n.as_f64().unwrap_or(0.0)),
            },
            Json::Array(_) | Json::Object(_) => TypedValue::json(value),
        }
    }

    fn typed(value: Json, type_name: &str) -> TypedValue {
        TypedValue {
            value,
            type_name: Some(type_name.to_owned()),
            value_info: Map::new(),
        }
    }

    /// The value as a JSON document: `Json` values (and `Object` values serialized as
    /// `application/json`) are parsed; everything else is the value itself.
    pub fn to_json(&self) -> Json {
        let is_json_text = match self.type_name.as_deref() {
            Some(t) if t.eq_ignore_ascii_case("json") => true,
            Some(t) if t.eq_ignore_ascii_case("object") => self
                .value_info
                .get("serializationDataFormat")
                .and_then(Json::as_str)
                .is_some_and(|f| f.starts_with("application/json")),
            _ => false,
        };
        match (&self.value, is_json_text) {
            (Json::String(text), true) => {
                serde_json::from_str(text).unwrap_or_else(|_| self.value.clone())
            }
            _ => self.value.clone(),
        }
    }
}

/// A locked external task, as `fetchAndLock` returns it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Task {
    /// The task id.
    pub id: String,
    /// The topic it was fetched for.
    pub topic_name: String,
    /// The worker that holds the lock.
    pub worker_id: Option<String>,
    /// The process instance.
    pub process_instance_id: Option<String>,
    /// The process definition id.
    pub process_definition_id: Option<String>,
    /// The process definition key.
    pub process_definition_key: Option<String>,
    /// The activity (BPMN element) id.
    pub activity_id: Option<String>,
    /// The execution.
    pub execution_id: Option<String>,
    /// The business key of the process instance.
    pub business_key: Option<String>,
    /// The tenant.
    pub tenant_id: Option<String>,
    /// Retries left (None until a failure set them).
    pub retries: Option<i32>,
    /// The priority.
    pub priority: Option<i64>,
    /// The message of the last failure.
    pub error_message: Option<String>,
    /// The variables fetched with the task.
    pub variables: Variables,
    /// `camunda:properties` of the activity.
    pub extension_properties: BTreeMap<String, String>,
}

impl Task {
    /// The variable `name` as JSON (see [`TypedValue::to_json`]); None when absent.
    pub fn json(&self, name: &str) -> Option<Json> {
        self.variables.get(name).map(TypedValue::to_json)
    }

    /// The variable `name` as text: strings as they are, numbers and booleans written
    /// out; None when absent or null.
    pub fn text(&self, name: &str) -> Option<String> {
        match self.json(name)? {
            Json::Null => None,
            Json::String(s) => Some(s),
            other => Some(other.to_string()),
        }
    }

    /// The variable `name` as a whole number, also when written as text.
    pub fn i64(&self, name: &str) -> Option<i64> {
        match self.json(name)? {
            Json::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
            Json::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// The variable `name` as a number, also when written as text.
    pub fn f64(&self, name: &str) -> Option<f64> {
        match self.json(name)? {
            Json::Number(n) => n.as_f64(),
            Json::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// The variable `name` as a boolean, also when written as `"true"`/`"false"`.
    pub fn bool(&self, name: &str) -> Option<bool> {
        match self.json(name)? {
            Json::Bool(b) => Some(b),
            Json::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }
}

/// What a handler decided about a task.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The work is done: set these variables and complete the task.
    Complete {
        /// Variables set on the process (`execution.setVariables`).
        variables: Variables,
        /// Variables set locally on the task's execution.
        local_variables: Variables,
    },
    /// The work failed: report a failure. With `retries` Some(0) (or None when the task
    /// has never failed and no retry policy applies) the engine raises an incident.
    Failure {
        /// A one-line message (shown in Cockpit and in the incident).
        message: String,
        /// Details, such as a response body or a chain of causes.
        details: Option<String>,
        /// Retries left after this failure; None lets the client apply its retry policy.
        retries: Option<i32>,
        /// Milliseconds before the task may be fetched again; None lets the client
        /// apply its backoff.
        retry_timeout_ms: Option<i64>,
    },
    /// A business error the process models: throw a BPMN error.
    BpmnError {
        /// The error code boundary events match.
        code: String,
        /// The message (`camunda:errorMessageVariable`).
        message: String,
        /// Variables set before the error propagates.
        variables: Variables,
    },
}

impl Outcome {
    /// Completes with `variables`.
    pub fn complete(variables: Variables) -> Outcome {
        Outcome::Complete {
            variables,
            local_variables: Variables::new(),
        }
    }

    /// A failure that the client's retry policy decides about.
    pub fn retry(message: impl Into<String>, details: Option<String>) -> Outcome {
        Outcome::Failure {
            message: message.into(),
            details,
            retries: None,
            retry_timeout_ms: None,
        }
    }

    /// A failure that no retry can fix (bad configuration, a rejected key): retries 0,
    /// so the engine raises an incident at once.
    pub fn fatal(message: impl Into<String>, details: Option<String>) -> Outcome {
        Outcome::Failure {
            message: message.into(),
            details,
            retries: Some(0),
            retry_timeout_ms: Some(0),
        }
    }

    /// A BPMN error without variables.
    pub fn bpmn_error(code: impl Into<String>, message: impl Into<String>) -> Outcome {
        Outcome::BpmnError {
            code: code.into(),
            message: message.into(),
            variables: Variables::new(),
        }
    }
}

/// Handles the tasks of one topic.
#[async_trait::async_trait]
pub trait Handler: Send + Sync {
    /// Does the work of `task` and says how it went. Called once per fetched task; the
    /// client extends the lock while this runs and reports the outcome.
    async fn handle(&self, task: &Task) -> Outcome;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_values_are_parsed_and_inferred() {
        let v = TypedValue::from_json(&json!({"a": [1, 2]}));
        assert_eq!(v.type_name.as_deref(), Some("Json"));
        assert_eq!(v.to_json(), json!({"a": [1, 2]}));
        assert_eq!(
            TypedValue::from_json(&json!(3)).type_name.as_deref(),
            Some("Long")
        );
        assert_eq!(
            TypedValue::from_json(&json!(0.5)).type_name.as_deref(),
            Some("Double")
        );
        let task = Task {
            variables: [
                ("n".to_owned(), TypedValue::string(" 42 ")),
                ("b".to_owned(), TypedValue::string("TRUE")),
            ]
            .into_iter()
            .collect(),
            ..Task::default()
        };
        assert_eq!(task.i64("n"), Some(42));
        assert_eq!(task.bool("b"), Some(true));
        assert_eq!(task.text("missing"), None);
    }
}
