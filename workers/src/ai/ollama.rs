//! Ollama: `POST /api/chat` (or `/api/generate`) with `"stream": false`, and `GET
//! /api/tags` as health check and model list.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{json, Value as Json};

use super::config::{OllamaApi, OllamaConfig};
use super::http;
use super::provider::{
    error_text_and_code, shorten, ChatRequest, ChatResponse, ProviderError, ProviderKind, Usage,
};

const KIND: ProviderKind = ProviderKind::Ollama;

/// Calls an Ollama server; remembers its health for `health_ttl_ms`.
#[derive(Debug)]
pub struct OllamaProvider {
    http: reqwest::Client,
    config: OllamaConfig,
    health: Mutex<Option<(Instant, bool)>>,
}

#[derive(Deserialize)]
struct Answer {
    model: Option<String>,
    message: Option<AnswerMessage>,
    response: Option<String>,
    prompt_eval_count: Option<u64>,
    eval_count: Option<u64>,
}

#[derive(Deserialize)]
struct AnswerMessage {
    content: Option<String>,
}

#[derive(Deserialize)]
struct Tags {
    #[serde(default)]
    models: Vec<Tag>,
}

#[derive(Deserialize)]
struct Tag {
    name: Option<String>,
    model: Option<String>,
}

impl OllamaProvider {
    /// A provider calling through `http`.
    pub fn new(http: reqwest::Client, config: OllamaConfig) -> OllamaProvider {
        OllamaProvider {
            http,
            config,
            health: Mutex::new(None),
        }
    }

    /// The model used when a request names none.
    pub fn default_model(&self) -> &str {
        &self.config.model
    }

    /// The models the server has (`GET /api/tags`).
    pub async fn list_models(&self) -> Result<Vec<String>, ProviderError> {
        let url = http::join(&self.config.base_url, "api/tags");
        let timeout = Duration::from_millis(self.config.health_timeout_ms);
        let answer = http::send(KIND, &url, self.http.get(&url), timeout).await?;
        if !answer.status.is_success() {
            return Err(ProviderError::from_status(
                KIND,
                answer.status,
                &answer.headers,
                &answer.body,
                "",
            ));
        }
        let tags: Tags = serde_json::from_str(&answer.body).map_err(|e| {
            ProviderError::transient(
                KIND,
                format!("/api/tags did not answer a model list: {e}"),
                Some(shorten(&answer.body, 500)),
            )
        })?;
        Ok(tags
            .models
            .into_iter()
            .filter_map(|t| t.name.or(t.model))
            .collect())
    }

    /// True when Ollama is enabled and `GET /api/tags` answers with a model list. The
    /// answer is reused for `health_ttl_ms`.
    pub async fn is_healthy(&self) -> bool {
        if !self.config.enabled {
            return false;
        }
        let ttl = Duration::from_millis(self.config.health_ttl_ms);
        let cached = *self.health.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((at, healthy)) = cached {
            if at.elapsed() < ttl {
                return healthy;
            }
        }
        let result = self.list_models().await;
        let healthy = result.is_ok();
        match (&result, cached.map(|(_, h)| h)) {
            (Err(e), Some(true) | None) => {
                tracing::warn!(url = %http::safe_url(&self.config.base_url), error = %e, "Ollama is not available")
            }
            (Ok(models), Some(false) | None) => {
                tracing::info!(url = %http::safe_url(&self.config.base_url), models = models.len(), "Ollama is available")
            }
            _ => {}
        }
        *self.health.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), healthy));
        healthy
    }

    /// One non-streaming call (no retries: see the handlers).
    pub async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, ProviderError> {
        let model = request.model.as_deref().unwrap_or(&self.config.model);
        let options = json!({
            "temperature": request.temperature.unwrap_or(self.config.temperature),
            "num_predict": request.max_tokens.unwrap_or(self.config.max_tokens),
        });
        let (path, body) = match self.config.api {
            OllamaApi::Chat => (
                "api/chat",
                json!({
                    "model": model,
                    "messages": request.messages,
                    "stream": false,
                    "options": options,
                }),
            ),
            OllamaApi::Generate => {
                let (system, prompt) = flatten(request);
                let mut body = json!({
                    "model": model,
                    "prompt": prompt,
                    "stream": false,
                    "options": options,
                });
                if let (Some(system), Json::Object(map)) = (system, &mut body) {
                    map.insert("system".to_owned(), Json::String(system));
                }
                ("api/generate", body)
            }
        };
        let url = http::join(&self.config.base_url, path);
        let timeout = Duration::from_millis(self.config.timeout_ms);
        tracing::debug!(url = %http::safe_url(&url), model, "calling Ollama");
        let answer = http::send(KIND, &url, self.http.post(&url).json(&body), timeout).await?;
        if !answer.status.is_success() {
            return Err(ProviderError::from_status(
                KIND,
                answer.status,
                &answer.headers,
                &answer.body,
                model,
            ));
        }
        parse_answer(&answer.body, model)
    }
}

/// The system prompt and one prompt text for `/api/generate`: a lone user message as it
/// is, a conversation as `Role: text` paragraphs ending with `Assistant:`.
fn flatten(request: &ChatRequest) -> (Option<String>, String) {
    let system: Vec<&str> = request
        .messages
        .iter()
        .filter(|m| m.role == "system")
        .map(|m| m.content.as_str())
        .collect();
    let rest: Vec<_> = request
        .messages
        .iter()
        .filter(|m| m.role != "system")
        .collect();
    let prompt = match rest.as_slice() {
        [only] if only.role == "user" => only.content.clone(),
        _ => {
            let mut text = String::new();
            for m in &rest {
                let mut role = m.role.clone();
                if let Some(first) = role.get_mut(0..1) {
                    first.make_ascii_uppercase();
                }
                text.push_str(&format!("{role}: {}\n\n", m.content));
            }
            text.push_str("Assistant:");
            text
        }
    };
    let system = (!system.is_empty()).then(|| system.join("\n\n"));
    (system, prompt)
}

fn parse_answer(body: &str, model: &str) -> Result<ChatResponse, ProviderError> {
    let json: Json = serde_json::from_str(body).map_err(|e| {
        ProviderError::transient(
            KIND,
            format!("the answer is not JSON: {e}"),
            Some(shorten(body, 2000)),
        )
    })?;
    // Ollama may report a failure (a crashed runner, an unloadable model) as
    // `{"error": "..."}` with HTTP 200.
    if let (Some(text), _) = error_text_and_code(Some(&json)) {
        return Err(ProviderError::transient(
            KIND,
            format!("error in the answer: {text}"),
            Some(shorten(body, 2000)),
        ));
    }
    let answer: Answer = serde_json::from_value(json).map_err(|e| {
        ProviderError::transient(
            KIND,
            format!("the answer cannot be read: {e}"),
            Some(shorten(body, 2000)),
        )
    })?;
    let content = answer
        .message
        .and_then(|m| m.content)
        .or(answer.response)
        .ok_or_else(|| {
            ProviderError::transient(
                KIND,
                "the answer has neither message.content nor response",
                Some(shorten(body, 2000)),
            )
        })?;
    Ok(ChatResponse {
        content,
        model: answer.model.unwrap_or_else(|| model.to_owned()),
        usage: Usage::new(
            answer.prompt_eval_count.unwrap_or(0),
            answer.eval_count.unwrap_or(0),
            None,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ai::provider::ChatMessage;

    #[test]
    fn chat_and_generate_answers_are_parsed() {
        let chat = r#"{"model":"llama3.2:1b","created_at":"2024-01-01T00:00:00Z","message":{"role":"assistant","content":"Hello"},
            "done_reason":"stop","done":true,"total_duration":5,"prompt_eval_count":26,"eval_count":3}"#;
        assert_eq!(
            parse_answer(chat, "x"),
            Ok(ChatResponse {
                content: "Hello".to_owned(),
                model: "llama3.2:1b".to_owned(),
                usage: Usage::new(26, 3, Some(29)),
            })
        );
        let generate = r#"{"model":"llama3.2:1b","response":"Hi","done":true}"#;
        assert_eq!(
            parse_answer(generate, "x").map(|r| r.content),
            Ok("Hi".to_owned())
        );
        let error = parse_answer(r#"{"error":"llama runner process has terminated"}"#, "x");
        assert!(matches!(error, Err(ref e) if e.is_transient() && e.message.contains("runner")));
    }

    #[test]
    fn conversations_are_flattened_for_generate() {
        let request = ChatRequest {
            messages: vec![
                ChatMessage::new("system", "Be brief."),
                ChatMessage::new("user", "Hi"),
                ChatMessage::new("assistant", "Hello"),
                ChatMessage::new("user", "Bye?"),
            ],
            ..ChatRequest::default()
        };
        let (system, prompt) = flatten(&request);
        assert_eq!(system.as_deref(), Some("Be brief."));
        assert_eq!(
            prompt,
            "User: Hi\n\nAssistant: Hello\n\nUser: Bye?\n\nAssistant:"
        );
        let single = ChatRequest {
            messages: vec![ChatMessage::new("user", "Only this")],
            ..ChatRequest::default()
        };
        assert_eq!(flatten(&single), (None, "Only this".to_owned()));
    }
}
