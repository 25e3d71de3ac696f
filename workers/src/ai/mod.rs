//! `procos worker ai`: handlers that answer external tasks with a language model, through
//! OpenAI (or any OpenAI-compatible server) or Ollama.
//!
//! # Topics
//!
//! | topic | required input | optional inputs |
//! |---|---|---|
//! | `ai_query` | `query` or `user_query` | `context` |
//! | `text_generation` | `prompt` | `text_type`, `length`, `tone` |
//! | `analysis` | `data` | `analysis_type`, `instructions` |
//! | `code_generation` | `description` | `language`, `framework`, `requirements` |
//! | `code_analysis` | `code` | `language`, `analysis_type` |
//! | `translation` | `text`, `target_language` | `source_language` |
//! | `ai_completion` | `prompt` or `messages` (Json list of `{role, content}`) | |
//! | `provider_selection` | | `user_query`, `ai_provider`, `max_tokens` |
//!
//! Every model-calling topic also reads `ai_provider` or `provider` (`auto`, `openai`,
//! `ollama`), `model`, `max_tokens`, `temperature`, `system_prompt`, and
//! `prompt_template` (text with `{{variable}}` placeholders, see [`template`]) or
//! `prompt_template_name` (a file in `AI_PROMPTS_DIR`, also tried with `.txt` and `.md`),
//! which replaces the topic's own prompt. A task's `model` applies to the provider
//! chosen first; a fallback uses its configured model.
//!
//! On success they set `success` (Boolean), `provider`, `model`, `content` (String),
//! `usage` (Json `{prompt_tokens, completion_tokens, total_tokens}`): the original
//! worker's names; and `ai_response` (= content), `model_used` (= model) and
//! `response_time_ms` (Long, the time spent calling providers). `provider_selection`
//! sets `selected_provider`, `selection_reason` and `complexity_score` (Double).
//!
//! # Failures
//!
//! - 429, 5xx, timeouts, unreachable servers and an Ollama `{"error": ...}` under 200 are
//!   retried ([`RetryConfig`]) honouring `retry-after-ms` and `Retry-After`; then the
//!   other provider is tried (when fallback is enabled and it is available); then the
//!   task fails with its retries left to the client's policy.
//! - A rejected key (401, 403), an exhausted quota (429 `insufficient_quota`), an unknown
//!   model (404), any other 4xx, missing inputs, an unknown provider name and an unknown
//!   template placeholder fail the task with retries 0 (an incident).
//! - No provider available: BPMN error `AI_PROVIDER_UNAVAILABLE` (with `success` false).
//!
//! # Configuration
//!
//! [`AiConfig`] is the TOML `[ai]` table; [`AiConfig::from_env`] lays these variables over
//! the defaults (empty values count as unset):
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `AI_DEFAULT_PROVIDER` | `auto` | provider when a task names none |
//! | `AI_FALLBACK_ENABLED` | `true` | hand over to the other provider |
//! | `AI_PROMPTS_DIR` | unset | folder of named prompt templates |
//! | `OPENAI_API_KEY` | unset | OpenAI counts as configured only with a key (never logged) |
//! | `OPENAI_BASE_URL` | `https://api.openai.com/v1` | any OpenAI-compatible server |
//! | `OPENAI_MODEL` | `gpt-4o-mini` | |
//! | `OPENAI_MAX_TOKENS` | `2048` | |
//! | `OPENAI_TEMPERATURE` | `0.7` | |
//! | `OPENAI_TIMEOUT` | `60` | seconds per request |
//! | `OPENAI_TOKEN_LIMIT_FIELD` | `max_tokens` | or `max_completion_tokens` (reasoning models) |
//! | `OLLAMA_ENABLED` | `true` | |
//! | `OLLAMA_BASE_URL` (or `OLLAMA_URL`) | `http://localhost:11434` | |
//! | `OLLAMA_MODEL` | `llama3.2:1b` | |
//! | `OLLAMA_MAX_TOKENS` | `2048` | `num_predict` |
//! | `OLLAMA_TEMPERATURE` | `0.7` | |
//! | `OLLAMA_TIMEOUT` | `120` | seconds per request |
//! | `OLLAMA_API` | `chat` | `chat` (`/api/chat`) or `generate` (`/api/generate`) |
//! | `OLLAMA_HEALTH_TTL` | `30` | seconds a `/api/tags` health answer is reused |
//! | `AI_RETRY_MAX_ATTEMPTS` | `3` | calls per provider and task |
//! | `AI_RETRY_BASE_DELAY_MS` | `500` | first backoff, doubled each retry |
//! | `AI_RETRY_MAX_DELAY_MS` | `20000` | longest wait; a longer `Retry-After` ends the retries |
//! | `AI_LONG_QUERY_CHARS` | `500` | `auto`: longer prompts go to OpenAI |
//! | `AI_COMPLEXITY_THRESHOLD` | `0.5` | `auto`: prompts this complex go to OpenAI |
//! | `AI_TOPIC_AI_QUERY`, `AI_TOPIC_TEXT_GENERATION`, `AI_TOPIC_ANALYSIS`, `AI_TOPIC_CODE_GENERATION`, `AI_TOPIC_CODE_ANALYSIS`, `AI_TOPIC_TRANSLATION`, `AI_TOPIC_AI_COMPLETION`, `AI_TOPIC_PROVIDER_SELECTION` | the topic's name | topic names; empty leaves the topic out |

mod config;
mod http;
mod ollama;
mod openai;
mod provider;
mod retry;
mod select;
mod service;
pub mod template;
mod topics;

#[cfg(test)]
mod tests;

use std::sync::Arc;

pub use config::{
    AiConfig, AiConfigError, ApiKey, OllamaApi, OllamaConfig, OpenAiConfig, ProviderChoice,
    RetryConfig, SelectionConfig, TokenLimitField, TopicNames,
};
pub use ollama::OllamaProvider;
pub use openai::OpenAiProvider;
pub use provider::{
    retry_after, ChatMessage, ChatRequest, ChatResponse, ErrorKind, ProviderError, ProviderKind,
    Usage,
};
pub use select::complexity_score;
pub use service::{AiService, Selection};
pub use topics::Topic;

use crate::task::{Handler, Outcome, Task};

/// The BPMN error code thrown when no provider is available.
pub const UNAVAILABLE: &str = "AI_PROVIDER_UNAVAILABLE";

/// A handler of one model-calling topic.
struct TopicHandler {
    topic: Topic,
    service: Arc<AiService>,
}

#[async_trait::async_trait]
impl Handler for TopicHandler {
    async fn handle(&self, task: &Task) -> Outcome {
        self.service.answer(self.topic, task).await
    }
}

/// The `provider_selection` handler.
struct SelectionHandler {
    service: Arc<AiService>,
}

#[async_trait::async_trait]
impl Handler for SelectionHandler {
    async fn handle(&self, task: &Task) -> Outcome {
        self.service.choose(task).await
    }
}

/// The AI worker's handlers by topic name (topics named empty are left out), sharing
/// one HTTP client and one Ollama health cache.
pub fn handlers(config: &AiConfig) -> Vec<(String, Arc<dyn Handler>)> {
    let service = Arc::new(AiService::new(config.clone()));
    let t = &config.topics;
    let mut list: Vec<(String, Arc<dyn Handler>)> = Vec::new();
    for (name, topic) in [
        (&t.ai_query, Topic::AiQuery),
        (&t.text_generation, Topic::TextGeneration),
        (&t.analysis, Topic::Analysis),
        (&t.code_generation, Topic::CodeGeneration),
        (&t.code_analysis, Topic::CodeAnalysis),
        (&t.translation, Topic::Translation),
        (&t.ai_completion, Topic::AiCompletion),
    ] {
        if !name.is_empty() {
            let handler = TopicHandler {
                topic,
                service: Arc::clone(&service),
            };
            list.push((name.clone(), Arc::new(handler)));
        }
    }
    if !t.provider_selection.is_empty() {
        let handler = SelectionHandler { service };
        list.push((t.provider_selection.clone(), Arc::new(handler)));
    }
    list
}
