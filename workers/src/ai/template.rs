//! Prompt templates: `{{name}}` placeholders filled from the task's variables.
//!
//! A placeholder is `{{` a name `}}` (blanks around the name allowed); the name is a
//! variable, or a variable and a path into its JSON value (`{{order.items.0.sku}}`).
//! Text values are inserted as they are, null as nothing, other values as compact JSON.
//! Braces around anything that is not a name (`{{ a b }}`, `{{}}`) stay as written.

use serde_json::Value as Json;

use crate::task::Task;

/// A template that cannot be filled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// A placeholder names a variable (or path) the task does not have.
    #[error("the prompt template uses {{{{{0}}}}}, but the task has no variable '{0}'")]
    Unknown(String),
}

/// `template` with every placeholder replaced by `lookup(name)`.
pub fn fill(
    template: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let name = after[..end].trim();
        out.push_str(&rest[..start]);
        if is_name(name) {
            let value = lookup(name).ok_or_else(|| TemplateError::Unknown(name.to_owned()))?;
            out.push_str(&value);
            rest = &after[end + 2..];
        } else {
            out.push_str("{{");
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// `template` filled from `task`'s variables.
pub fn fill_from_task(template: &str, task: &Task) -> Result<String, TemplateError> {
    fill(template, |name| lookup(task, name))
}

fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '$'))
}

fn lookup(task: &Task, name: &str) -> Option<String> {
    if let Some(value) = task.json(name) {
        return Some(render(&value));
    }
    let mut parts = name.split('.');
    let mut value = task.json(parts.next()?)?;
    for part in parts {
        value = match value {
            Json::Object(mut map) => map.remove(part)?,
            Json::Array(mut items) => {
                let i: usize = part.parse().ok()?;
                (i < items.len()).then(|| items.swap_remove(i))?
            }
            _ => return None,
        };
    }
    Some(render(&value))
}

fn render(value: &Json) -> String {
    match value {
        Json::Null => String::new(),
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::TypedValue;
    use serde_json::json;

    fn task() -> Task {
        Task {
            variables: [
                (
                    "user_query".to_owned(),
                    TypedValue::string("Why is the sky blue?"),
                ),
                ("count".to_owned(), TypedValue::long(3)),
                ("nothing".to_owned(), TypedValue::null()),
                (
                    "order".to_owned(),
                    TypedValue::json(&json!({"id": "A-1", "items": [{"sku": "X"}]})),
                ),
            ]
            .into_iter()
            .collect(),
            ..Task::default()
        }
    }

    #[test]
    fn placeholders_are_filled_from_variables_and_paths() {
        let filled = fill_from_task(
            "Q: {{user_query}} ({{ count }} times{{nothing}}) order {{order.id}}/{{order.items.0.sku}}",
            &task(),
        );
        assert_eq!(
            filled,
            Ok("Q: Why is the sky blue? (3 times) order A-1/X".to_owned())
        );
        assert_eq!(
            fill_from_task("{{order}}", &task()),
            Ok(r#"{"id":"A-1","items":[{"sku":"X"}]}"#.to_owned())
        );
    }

    #[test]
    fn unknown_placeholders_are_named() {
        let err = fill_from_task("Hello {{customer_name}}", &task());
        assert_eq!(err, Err(TemplateError::Unknown("customer_name".to_owned())));
        assert_eq!(
            err.map_err(|e| e.to_string()),
            Err("the prompt template uses {{customer_name}}, but the task has no variable 'customer_name'".to_owned())
        );
        assert!(fill_from_task("{{order.missing}}", &task()).is_err());
    }

    #[test]
    fn braces_that_are_no_placeholder_stay() {
        assert_eq!(
            fill_from_task("fn x() {{ a b }} {{}} {{user_query", &task()),
            Ok("fn x() {{ a b }} {{}} {{user_query".to_owned())
        );
    }
}
