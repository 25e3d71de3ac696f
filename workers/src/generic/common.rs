//! What the topic modules share: the error that becomes a failure outcome, reading list
//! and JSON variables, `{{var}}` templates, and timestamps.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value as Json};

use crate::task::{Outcome, Task, TypedValue, Variables};

/// Why a handler could not do its work.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TaskError {
    /// Bad input or configuration: retrying cannot help, so the task fails with no
    /// retries left (an incident at once).
    #[error("{0}")]
    Fatal(String),
    /// A passing problem (a network error, a busy server): the client's retry policy
    /// decides.
    #[error("{0}")]
    Retry(String),
}

impl TaskError {
    /// A fatal error from anything printable.
    pub fn fatal(message: impl Into<String>) -> TaskError {
        TaskError::Fatal(message.into())
    }

    /// The failure outcome for this error, logged with the topic and the task id.
    pub fn into_outcome(self, task: &Task) -> Outcome {
        match self {
            TaskError::Fatal(message) => {
                tracing::warn!(topic = %task.topic_name, task = %task.id, "{message} (no retries)");
                Outcome::fatal(message, None)
            }
            TaskError::Retry(message) => {
                tracing::warn!(topic = %task.topic_name, task = %task.id, "{message} (will be retried)");
                Outcome::retry(message, None)
            }
        }
    }
}

/// The outcome of a handler's result: its variables completed, or its error reported.
pub fn finish(task: &Task, result: Result<Variables, TaskError>) -> Outcome {
    match result {
        Ok(variables) => Outcome::complete(variables),
        Err(err) => err.into_outcome(task),
    }
}

/// Builds output variables.
#[derive(Debug, Default)]
pub struct Out(pub Variables);

impl Out {
    /// No variables yet.
    pub fn new() -> Out {
        Out(Variables::new())
    }

    /// Sets `name`.
    pub fn set(mut self, name: &str, value: TypedValue) -> Out {
        self.0.insert(name.to_owned(), value);
        self
    }

    /// Sets `name` to a JSON value with its natural Camunda type.
    pub fn json(self, name: &str, value: &Json) -> Out {
        self.set(name, TypedValue::from_json(value))
    }

    /// Sets `name` to a JSON value as a `Json` variable, whatever its kind (so that
    /// lists and maps survive in Camunda too).
    pub fn json_typed(self, name: &str, value: &Json) -> Out {
        self.set(name, TypedValue::json(value))
    }

    /// The variables.
    pub fn done(self) -> Variables {
        self.0
    }
}

/// The variable `name` as JSON; a `String` variable holding a JSON object or array is
/// parsed too (BPMN input parameters and the original workers send JSON as text).
pub fn json_var(task: &Task, name: &str) -> Option<Json> {
    match task.json(name)? {
        Json::String(text) => {
            let trimmed = text.trim_start();
            if trimmed.starts_with('{') || trimmed.starts_with('[') {
                serde_json::from_str(&text)
                    .ok()
                    .or(Some(Json::String(text)))
            } else {
                Some(Json::String(text))
            }
        }
        other => Some(other),
    }
}

/// The first of `names` that is set (and not null), as text.
pub fn text_of(task: &Task, names: &[&str]) -> Option<String> {
    names.iter().find_map(|name| task.text(name))
}

/// The variable `name` as a list of texts: a JSON list, or a text split at commas.
pub fn list_var(task: &Task, name: &str) -> Vec<String> {
    match json_var(task, name) {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::Array(items)) => items
            .iter()
            .filter_map(|item| match item {
                Json::Null => None,
                Json::String(s) => Some(s.trim().to_owned()),
                other => Some(other.to_string()),
            })
            .filter(|s| !s.is_empty())
            .collect(),
        Some(Json::String(s)) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        Some(other) => vec![other.to_string()],
    }
}

/// All the task's variables as one JSON object.
pub fn variables_object(task: &Task) -> Json {
    Json::Object(
        task.variables
            .iter()
            .map(|(name, value)| (name.clone(), value.to_json()))
            .collect::<Map<_, _>>(),
    )
}

/// Fills `{{name}}` and `{{name.field}}` placeholders (spaces inside the braces allowed)
/// from `lookup`, passing each value through `escape`. Errors with the names that
/// `lookup` does not know.
pub fn render_template(
    template: &str,
    lookup: &dyn Fn(&str) -> Option<Json>,
    escape: fn(&str) -> String,
) -> Result<String, Vec<String>> {
    let mut out = String::with_capacity(template.len());
    let mut missing = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let name = after[..end].trim();
        let is_name = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if is_name {
            match lookup_path(lookup, name) {
                Some(Json::String(s)) => out.push_str(&escape(&s)),
                Some(Json::Null) | None => {
                    if !missing.iter().any(|m| m == name) {
                        missing.push(name.to_owned());
                    }
                }
                Some(other) => out.push_str(&escape(&other.to_string())),
            }
        } else {
            out.push_str(&rest[start..start + 2 + end + 2]);
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    if missing.is_empty() {
        Ok(out)
    } else {
        Err(missing)
    }
}

/// `a.b.c`: the variable `a`, then its fields `b` and `c` (a whole variable name with
/// dots wins).
fn lookup_path(lookup: &dyn Fn(&str) -> Option<Json>, path: &str) -> Option<Json> {
    if let Some(value) = lookup(path) {
        return Some(value);
    }
    let mut parts = path.split('.');
    let mut value = lookup(parts.next()?)?;
    for part in parts {
        value = match value {
            Json::Object(mut map) => map.remove(part)?,
            Json::Array(mut items) => {
                let index: usize = part.parse().ok()?;
                if index < items.len() {
                    items.swap_remove(index)
                } else {
                    return None;
                }
            }
            _ => return None,
        };
    }
    Some(value)
}

/// No escaping.
pub fn no_escape(s: &str) -> String {
    s.to_owned()
}

/// Escapes text for HTML.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Seconds since the Unix epoch.
pub fn epoch_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Now, as ISO 8601 in UTC with milliseconds (`2025-01-31T12:00:00.000Z`).
pub fn now_iso8601() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    iso8601(
        i64::try_from(now.as_secs()).unwrap_or(0),
        now.subsec_millis(),
    )
}

/// `secs` after the epoch, as ISO 8601 in UTC.
fn iso8601(secs: i64, millis: u32) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn templates_fill_names_and_paths_and_report_missing_ones() {
        let vars = json!({"name": "Ada", "order": {"id": 7, "items": ["a", "b"]}});
        let lookup = |name: &str| vars.get(name).cloned();
        assert_eq!(
            render_template(
                "Hi {{ name }}, order {{order.id}} ({{order.items.1}})",
                &lookup,
                no_escape
            ),
            Ok("Hi Ada, order 7 (b)".to_owned())
        );
        assert_eq!(
            render_template("{{a}} {{ b }} {{a}}", &lookup, no_escape),
            Err(vec!["a".to_owned(), "b".to_owned()])
        );
        assert_eq!(
            render_template("{{ not a name }} {{", &lookup, no_escape),
            Ok("{{ not a name }} {{".to_owned())
        );
        let html = json!({"x": "<b>&"});
        let lookup = |name: &str| html.get(name).cloned();
        assert_eq!(
            render_template("<p>{{x}}</p>", &lookup, html_escape),
            Ok("<p>&lt;b&gt;&amp;</p>".to_owned())
        );
    }

    #[test]
    fn timestamps_are_iso8601_utc() {
        assert_eq!(iso8601(0, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(951_782_400, 5), "2000-02-29T00:00:00.005Z");
        assert_eq!(iso8601(1_735_689_599, 999), "2024-12-31T23:59:59.999Z");
    }
}
