//! OpenAI chat completions (`POST {base}/chat/completions`), which any OpenAI-compatible
//! server (vLLM, llama.cpp, LocalAI, Ollama's `/v1`) also speaks.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value as Json};

use super::config::{OpenAiConfig, TokenLimitField};
use super::http;
use super::provider::{
    error_text_and_code, shorten, ChatRequest, ChatResponse, ProviderError, ProviderKind, Usage,
};

const KIND: ProviderKind = ProviderKind::OpenAi;

/// Calls the chat-completions endpoint with the configured key and defaults.
#[derive(Debug, Clone)]
pub struct OpenAiProvider {
    http: reqwest::Client,
    config: OpenAiConfig,
}

#[derive(Deserialize)]
struct Completion {
    model: Option<String>,
    #[serde(default)]
    choices: Vec<Choice>,
    usage: Option<CompletionUsage>,
}

#[derive(Deserialize)]
struct Choice {
    message: Option<Message>,
}

#[derive(Deserialize)]
struct Message {
    content: Option<String>,
    refusal: Option<String>,
}

#[derive(Deserialize)]
struct CompletionUsage {
    prompt_tokens: Option<u64>,
    completion_tokens: Option<u64>,
    total_tokens: Option<u64>,
}

impl OpenAiProvider {
    /// A provider calling through `http`.
    pub fn new(http: reqwest::Client, config: OpenAiConfig) -> OpenAiProvider {
        OpenAiProvider { http, config }
    }

    /// True when an API key is configured (there is no network check).
    pub fn is_configured(&self) -> bool {
        self.config.is_configured()
    }

    /// The model used when a request names none.
    pub fn default_model(&self) -> &str {
        &self.config.model
    }

    /// One chat completion (no retries: see the handlers).
    pub async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, ProviderError> {
        self.chat_inner(request).await.map_err(|e| self.redact(e))
    }

    async fn chat_inner(&self, request: &ChatRequest) -> Result<ChatResponse, ProviderError> {
        let model = request.model.as_deref().unwrap_or(&self.config.model);
        let limit_field = match self.config.token_limit_field {
            TokenLimitField::MaxTokens => "max_tokens",
            TokenLimitField::MaxCompletionTokens => "max_completion_tokens",
        };
        let mut body = json!({
            "model": model,
            "messages": request.messages,
            "temperature": request.temperature.unwrap_or(self.config.temperature),
        });
        if let Json::Object(map) = &mut body {
            map.insert(
                limit_field.to_owned(),
                json!(request.max_tokens.unwrap_or(self.config.max_tokens)),
            );
        }
        let url = http::join(&self.config.base_url, "chat/completions");
        let timeout = Duration::from_millis(self.config.timeout_ms);
        tracing::debug!(url = %http::safe_url(&url), model, "calling OpenAI chat completions");
        let answer = http::send(
            KIND,
            &url,
            self.http
                .post(&url)
                .bearer_auth(self.config.api_key.expose())
                .json(&body),
            timeout,
        )
        .await?;
        if !answer.status.is_success() {
            return Err(ProviderError::from_status(
                KIND,
                answer.status,
                &answer.headers,
                &answer.body,
                model,
            ));
        }
        parse_completion(&answer.body, model)
    }

    /// Removes the key from anything a server may have echoed back.
    fn redact(&self, mut error: ProviderError) -> ProviderError {
        let key = self.config.api_key.expose().trim();
        if key.len() >= 4 {
            error.message = error.message.replace(key, "[redacted]");
            error.details = error.details.map(|d| d.replace(key, "[redacted]"));
        }
        error
    }
}

fn parse_completion(body: &str, model: &str) -> Result<ChatResponse, ProviderError> {
    let invalid = |reason: &str| {
        ProviderError::transient(
            KIND,
            format!("the answer is not a chat completion: {reason}"),
            Some(shorten(body, 2000)),
        )
    };
    let json: Json = serde_json::from_str(body).map_err(|e| invalid(&e.to_string()))?;
    if let (Some(text), _) = error_text_and_code(Some(&json)) {
        return Err(ProviderError::transient(
            KIND,
            format!("error in the answer: {text}"),
            Some(shorten(body, 2000)),
        ));
    }
    let completion: Completion =
        serde_json::from_value(json).map_err(|e| invalid(&e.to_string()))?;
    let message = completion
        .choices
        .into_iter()
        .next()
        .and_then(|c| c.message)
        .ok_or_else(|| invalid("no choices"))?;
    let content = match (message.content, message.refusal) {
        (Some(content), _) => content,
        (None, Some(refusal)) => refusal,
        (None, None) => return Err(invalid("the message has no content")),
    };
    let usage = completion
        .usage
        .map(|u| {
            Usage::new(
                u.prompt_tokens.unwrap_or(0),
                u.completion_tokens.unwrap_or(0),
                u.total_tokens,
            )
        })
        .unwrap_or_default();
    Ok(ChatResponse {
        content,
        model: completion.model.unwrap_or_else(|| model.to_owned()),
        usage,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completions_are_parsed() {
        let body = r#"{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-mini-2024-07-18",
            "choices":[{"index":0,"message":{"role":"assistant","content":"Hi","refusal":null},"logprobs":null,"finish_reason":"stop"}],
            "usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}"#;
        assert_eq!(
            parse_completion(body, "gpt-4o-mini"),
            Ok(ChatResponse {
                content: "Hi".to_owned(),
                model: "gpt-4o-mini-2024-07-18".to_owned(),
                usage: Usage::new(9, 2, Some(11)),
            })
        );
        assert!(parse_completion(r#"{"choices":[]}"#, "m").is_err());
        assert!(parse_completion("<html>", "m").is_err());
        assert!(parse_completion(r#"{"error":{"message":"overloaded"}}"#, "m").is_err());
    }
}
