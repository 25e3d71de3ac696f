//! What each topic asks the model: the messages built from the task's variables, with
//! the original worker's variable names.

use std::path::Path;

use serde_json::Value as Json;

use super::provider::ChatMessage;
use super::template;
use crate::task::Task;

/// The model-calling topics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    /// `query` or `user_query`, optional `context`.
    AiQuery,
    /// `prompt`, optional `text_type`, `length`, `tone`.
    TextGeneration,
    /// `data`, optional `analysis_type`, `instructions`.
    Analysis,
    /// `description`, optional `language`, `framework`, `requirements`.
    CodeGeneration,
    /// `code`, optional `language`, `analysis_type`.
    CodeAnalysis,
    /// `text`, `target_language`, optional `source_language`.
    Translation,
    /// `prompt` or `messages`.
    AiCompletion,
}

impl Topic {
    /// The default topic name.
    pub fn name(self) -> &'static str {
        match self {
            Topic::AiQuery => "ai_query",
            Topic::TextGeneration => "text_generation",
            Topic::Analysis => "analysis",
            Topic::CodeGeneration => "code_generation",
            Topic::CodeAnalysis => "code_analysis",
            Topic::Translation => "translation",
            Topic::AiCompletion => "ai_completion",
        }
    }
}

/// The messages of one task, and the text `auto` judges.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Prompt {
    /// System message first when there is one.
    pub messages: Vec<ChatMessage>,
    /// The user's part of the prompt (what `auto` measures).
    pub user_text: String,
}

/// The prompt of `task` for `topic`. `prompt_template` (or `prompt_template_name`, a
/// file in `prompts_dir`) replaces the topic's own user prompt; `system_prompt` replaces
/// its system prompt. Errors are messages for a failure without retries.
pub(crate) fn build(
    topic: Topic,
    task: &Task,
    prompts_dir: Option<&Path>,
) -> Result<Prompt, String> {
    let system = text(task, "system_prompt").or_else(|| default_system(topic, task));
    let user = match template_text(task, prompts_dir)? {
        Some(template) => template::fill_from_task(&template, task).map_err(|e| e.to_string())?,
        None if topic == Topic::AiCompletion => return completion(task, system),
        None => user_prompt(topic, task)?,
    };
    let mut messages = Vec::with_capacity(2);
    if let Some(system) = system {
        messages.push(ChatMessage::new("system", system));
    }
    messages.push(ChatMessage::new("user", user.clone()));
    Ok(Prompt {
        messages,
        user_text: user,
    })
}

/// The inline template, or the named one read from the prompts folder.
fn template_text(task: &Task, prompts_dir: Option<&Path>) -> Result<Option<String>, String> {
    if let Some(template) = text(task, "prompt_template") {
        return Ok(Some(template));
    }
    let Some(name) = text(task, "prompt_template_name") else {
        return Ok(None);
    };
    let Some(dir) = prompts_dir else {
        return Err(format!(
            "prompt_template_name '{name}' needs a prompts folder (AI_PROMPTS_DIR), and none is configured"
        ));
    };
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && !name.contains(['/', '\\', '\0'])
        && !name.contains("..");
    if !plain {
        return Err(format!(
            "prompt_template_name '{name}' must be a file name inside the prompts folder"
        ));
    }
    for candidate in [name.clone(), format!("{name}.txt"), format!("{name}.md")] {
        let path = dir.join(&candidate);
        if path.is_file() {
            return std::fs::read_to_string(&path)
                .map(Some)
                .map_err(|e| format!("prompt template '{}' cannot be read: {e}", path.display()));
        }
    }
    Err(format!(
        "no prompt template '{name}' (nor {name}.txt, {name}.md) in {}",
        dir.display()
    ))
}

fn default_system(topic: Topic, task: &Task) -> Option<String> {
    match topic {
        Topic::AiQuery | Topic::AiCompletion => None,
        Topic::TextGeneration => {
            let text_type = text(task, "text_type").unwrap_or_else(|| "text".to_owned());
            let length = text(task, "length").unwrap_or_else(|| "medium".to_owned());
            let tone = text(task, "tone").unwrap_or_else(|| "neutral".to_owned());
            Some(format!(
                "You are a skilled writer. Write {text_type} of {length} length in a {tone} tone."
            ))
        }
        Topic::Analysis => Some(
            "You are an expert data analyst. Analyse the data you are given carefully and \
             report clear, well-structured findings and recommendations."
                .to_owned(),
        ),
        Topic::CodeGeneration => Some(
            "You are an expert software developer. Write clean, correct, well-documented \
             code that follows the conventions of its language."
                .to_owned(),
        ),
        Topic::CodeAnalysis => Some(
            "You are an expert code reviewer. Point out bugs, security problems, performance \
             issues and unclear code, and suggest concrete improvements."
                .to_owned(),
        ),
        Topic::Translation => Some(
            "You are a professional translator. Translate accurately, keeping the meaning, \
             tone and formatting. Answer with the translation only."
                .to_owned(),
        ),
    }
}

fn user_prompt(topic: Topic, task: &Task) -> Result<String, String> {
    Ok(match topic {
        Topic::AiQuery => {
            let query = text(task, "query")
                .or_else(|| text(task, "user_query"))
                .ok_or_else(|| missing(topic, "query' (or 'user_query"))?;
            match text(task, "context") {
                Some(context) => format!("Context: {context}\n\nQuery: {query}"),
                None => query,
            }
        }
        Topic::TextGeneration => required(task, topic, "prompt")?,
        Topic::Analysis => {
            let data = document(task, "data").ok_or_else(|| missing(topic, "data"))?;
            let kind = text(task, "analysis_type").unwrap_or_else(|| "general".to_owned());
            let mut prompt = format!("Perform a {kind} analysis of the following data:\n\n{data}");
            if let Some(instructions) = text(task, "instructions") {
                prompt.push_str(&format!("\n\nInstructions: {instructions}"));
            }
            prompt
        }
        Topic::CodeGeneration => {
            let description = required(task, topic, "description")?;
            let language = text(task, "language").unwrap_or_else(|| "Python".to_owned());
            let mut prompt = format!("Write {language} code");
            if let Some(framework) = text(task, "framework") {
                prompt.push_str(&format!(" using {framework}"));
            }
            prompt.push_str(&format!(" for the following:\n\n{description}"));
            if let Some(requirements) = list(task, "requirements") {
                prompt.push_str(&format!("\n\nRequirements:\n{requirements}"));
            }
            prompt
        }
        Topic::CodeAnalysis => {
            let code = required(task, topic, "code")?;
            let language = text(task, "language").unwrap_or_default();
            let focus = text(task, "analysis_type").unwrap_or_else(|| "general review".to_owned());
            let subject = if language.is_empty() {
                "the following code".to_owned()
            } else {
                format!("the following {language} code")
            };
            format!("Analyse {subject} (focus: {focus}):\n\n```{language}\n{code}\n```")
        }
        Topic::Translation => {
            let source = required(task, topic, "text")?;
            let target = required(task, topic, "target_language")?;
            match text(task, "source_language") {
                Some(from) => {
                    format!("Translate the following text from {from} to {target}:\n\n{source}")
                }
                None => format!("Translate the following text to {target}:\n\n{source}"),
            }
        }
        Topic::AiCompletion => required(task, topic, "prompt")?,
    })
}

/// `ai_completion`: a `messages` list (roles `system`, `user`, `assistant`) or a `prompt`.
fn completion(task: &Task, system: Option<String>) -> Result<Prompt, String> {
    let Some(list) = task.json("messages").filter(|v| !v.is_null()) else {
        let prompt = required(task, Topic::AiCompletion, "prompt")
            .map_err(|_| missing(Topic::AiCompletion, "prompt' (or 'messages"))?;
        let mut messages = Vec::with_capacity(2);
        if let Some(system) = system {
            messages.push(ChatMessage::new("system", system));
        }
        messages.push(ChatMessage::new("user", prompt.clone()));
        return Ok(Prompt {
            messages,
            user_text: prompt,
        });
    };
    let Json::Array(items) = list else {
        return Err("'messages' must be a JSON list of {role, content}".to_owned());
    };
    let mut messages = Vec::with_capacity(items.len() + 1);
    for (i, item) in items.iter().enumerate() {
        let role = item.get("role").and_then(Json::as_str);
        let content = item.get("content").and_then(Json::as_str);
        match (role, content) {
            (Some(role @ ("system" | "user" | "assistant")), Some(content)) => {
                messages.push(ChatMessage::new(role, content))
            }
            _ => {
                return Err(format!(
                    "messages[{i}] must be {{\"role\": \"system\"|\"user\"|\"assistant\", \"content\": text}}"
                ))
            }
        }
    }
    if messages.iter().all(|m| m.role != "user") {
        return Err("'messages' has no user message".to_owned());
    }
    if let Some(system) = system {
        if messages.iter().all(|m| m.role != "system") {
            messages.insert(0, ChatMessage::new("system", system));
        }
    }
    let user_text = messages
        .iter()
        .filter(|m| m.role == "user")
        .map(|m| m.content.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    Ok(Prompt {
        messages,
        user_text,
    })
}

/// The variable as text; None when absent, null or blank.
pub(crate) fn text(task: &Task, name: &str) -> Option<String> {
    task.text(name).filter(|s| !s.trim().is_empty())
}

fn required(task: &Task, topic: Topic, name: &str) -> Result<String, String> {
    text(task, name).ok_or_else(|| missing(topic, name))
}

fn missing(topic: Topic, name: &str) -> String {
    format!(
        "topic {}: the task variable '{name}' is required",
        topic.name()
    )
}

/// Text as it is; JSON objects and lists pretty-printed.
fn document(task: &Task, name: &str) -> Option<String> {
    match task.json(name)? {
        Json::Null => None,
        Json::String(s) if s.trim().is_empty() => None,
        Json::String(s) => Some(s),
        other => Some(serde_json::to_string_pretty(&other).unwrap_or_else(|_| other.to_string())),
    }
}

/// A JSON list as `- item` lines; anything else as text.
fn list(task: &Task, name: &str) -> Option<String> {
    match task.json(name)? {
        Json::Array(items) if items.is_empty() => None,
        Json::Array(items) => Some(
            items
                .iter()
                .map(|i| match i {
                    Json::String(s) => format!("- {s}"),
                    other => format!("- {other}"),
                })
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        _ => text(task, name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::TypedValue;
    use serde_json::json;

    fn task(vars: &[(&str, TypedValue)]) -> Task {
        Task {
            variables: vars
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
            ..Task::default()
        }
    }

    #[test]
    fn ai_query_puts_the_context_before_the_query() {
        let p = build(
            Topic::AiQuery,
            &task(&[
                ("user_query", TypedValue::string("Why?")),
                ("context", TypedValue::string("Sky")),
                ("system_prompt", TypedValue::string("Be brief.")),
            ]),
            None,
        );
        assert_eq!(
            p.map(|p| p.messages),
            Ok(vec![
                ChatMessage::new("system", "Be brief."),
                ChatMessage::new("user", "Context: Sky\n\nQuery: Why?"),
            ])
        );
    }

    #[test]
    fn required_inputs_are_named() {
        assert_eq!(
            build(
                Topic::Translation,
                &task(&[("text", TypedValue::string("Hallo"))]),
                None
            ),
            Err("topic translation: the task variable 'target_language' is required".to_owned())
        );
        assert!(build(
            Topic::AiQuery,
            &task(&[("query", TypedValue::string("  "))]),
            None
        )
        .is_err());
    }

    #[test]
    fn topic_prompts_use_their_inputs() {
        let p = build(
            Topic::CodeGeneration,
            &task(&[
                ("description", TypedValue::string("a CSV parser")),
                ("language", TypedValue::string("Rust")),
                (
                    "requirements",
                    TypedValue::json(&json!(["no unsafe", "streaming"])),
                ),
            ]),
            None,
        );
        let user = p.map(|p| p.user_text).unwrap_or_default();
        assert!(
            user.starts_with("Write Rust code for the following:\n\na CSV parser"),
            "{user}"
        );
        assert!(
            user.ends_with("Requirements:\n- no unsafe\n- streaming"),
            "{user}"
        );

        let p = build(
            Topic::Analysis,
            &task(&[("data", TypedValue::json(&json!({"sales": [1, 2]})))]),
            None,
        );
        assert!(
            p.is_ok_and(|p| p.user_text.contains("\"sales\"") && p.messages[0].role == "system")
        );
    }

    #[test]
    fn completion_takes_a_message_list() {
        let p = build(
            Topic::AiCompletion,
            &task(&[
                (
                    "messages",
                    TypedValue::json(&json!([
                        {"role": "user", "content": "Hi"},
                        {"role": "assistant", "content": "Hello"},
                        {"role": "user", "content": "Bye"}
                    ])),
                ),
                ("system_prompt", TypedValue::string("Be kind.")),
            ]),
            None,
        );
        let messages = p.map(|p| p.messages).unwrap_or_default();
        assert_eq!(messages.len(), 4);
        assert_eq!(messages[0], ChatMessage::new("system", "Be kind."));
        let bad = build(
            Topic::AiCompletion,
            &task(&[(
                "messages",
                TypedValue::json(&json!([{"role": "robot", "content": "x"}])),
            )]),
            None,
        );
        assert!(bad.is_err());
    }

    #[test]
    fn named_templates_come_from_the_prompts_folder() {
        let dir = std::env::temp_dir().join(format!("procos-ai-prompts-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(dir.join("greeting.txt"), "Greet {{name}} warmly.");
        let t = task(&[
            ("prompt_template_name", TypedValue::string("greeting")),
            ("name", TypedValue::string("Ada")),
        ]);
        assert_eq!(
            build(Topic::AiQuery, &t, Some(&dir)).map(|p| p.user_text),
            Ok("Greet Ada warmly.".to_owned())
        );
        let escape = task(&[("prompt_template_name", TypedValue::string("../etc/passwd"))]);
        assert!(build(Topic::AiQuery, &escape, Some(&dir)).is_err());
        assert!(build(Topic::AiQuery, &t, None).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
