//! The providers behind the handlers: choosing one per task, calling it with retries,
//! falling back to the other, and turning the result into an [`Outcome`].

use std::time::{Duration, Instant};

use super::config::{AiConfig, ProviderChoice};
use super::ollama::OllamaProvider;
use super::openai::OpenAiProvider;
use super::provider::{ChatRequest, ChatResponse, ProviderKind};
use super::retry::{with_retries, GaveUp};
use super::select::complexity_score;
use super::topics::{self, Topic};
use super::{http, UNAVAILABLE};
use crate::task::{Outcome, Task, TypedValue, Variables};

/// The provider chosen for a task, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    /// The provider to call first.
    pub provider: ProviderKind,
    /// Why, in one sentence (the `selection_reason` output).
    pub reason: String,
    /// The prompt's complexity score, 0 to 1 (see [`complexity_score`]).
    pub complexity_score: f64,
}

/// Both providers and the configuration: what every AI handler shares.
#[derive(Debug)]
pub struct AiService {
    config: AiConfig,
    providers: Result<(OpenAiProvider, OllamaProvider), String>,
}

/// Per-task settings that override the provider's configuration.
#[derive(Debug, Clone, Default, PartialEq)]
struct Overrides {
    model: Option<String>,
    max_tokens: Option<u32>,
    temperature: Option<f64>,
}

impl AiService {
    /// Builds the HTTP client and both providers. A client that cannot be built (no TLS
    /// support) is reported by every task as a failure without retries.
    pub fn new(config: AiConfig) -> AiService {
        let providers = match http::client() {
            Ok(client) => Ok((
                OpenAiProvider::new(client.clone(), config.openai.clone()),
                OllamaProvider::new(client, config.ollama.clone()),
            )),
            Err(e) => {
                tracing::error!(error = %e, "the AI worker's HTTP client cannot be built");
                Err(format!("the AI worker's HTTP client cannot be built: {e}"))
            }
        };
        AiService { config, providers }
    }

    /// The configuration.
    pub fn config(&self) -> &AiConfig {
        &self.config
    }

    /// The OpenAI provider (None when the HTTP client could not be built).
    pub fn openai(&self) -> Option<&OpenAiProvider> {
        self.providers.as_ref().ok().map(|p| &p.0)
    }

    /// The Ollama provider (None when the HTTP client could not be built).
    pub fn ollama(&self) -> Option<&OllamaProvider> {
        self.providers.as_ref().ok().map(|p| &p.1)
    }

    /// True when `provider` can take calls: OpenAI when it has a key, Ollama when it is
    /// enabled and answers its (cached) health check.
    pub async fn is_available(&self, provider: ProviderKind) -> bool {
        match provider {
            ProviderKind::OpenAi => self.openai().is_some_and(OpenAiProvider::is_configured),
            ProviderKind::Ollama => match self.ollama() {
                Some(ollama) => ollama.is_healthy().await,
                None => false,
            },
        }
    }

    fn why_unavailable(&self, provider: ProviderKind) -> String {
        match provider {
            ProviderKind::OpenAi => "OpenAI has no API key (OPENAI_API_KEY)".to_owned(),
            ProviderKind::Ollama if !self.config.ollama.enabled => "Ollama is disabled".to_owned(),
            ProviderKind::Ollama => format!(
                "Ollama at {} does not answer GET /api/tags",
                http::safe_url(&self.config.ollama.base_url)
            ),
        }
    }

    /// Chooses the provider for a prompt. `auto`: a prompt longer than `long_query_chars`
    /// or as complex as `complexity_threshold` goes to OpenAI when it has a key, any
    /// other to Ollama when it is healthy; when that one is not available, the other.
    /// An explicit provider that is not available hands over to the other only when
    /// fallback is enabled. Err names why none is available.
    pub async fn select(
        &self,
        choice: ProviderChoice,
        text: &str,
        max_tokens: Option<u32>,
    ) -> Result<Selection, String> {
        let score = complexity_score(text, max_tokens, &self.config.selection);
        let selection = |provider, reason| Selection {
            provider,
            reason,
            complexity_score: score,
        };
        let (first, reason, may_switch) = match choice {
            ProviderChoice::Auto => {
                let chars = text.chars().count();
                let long = chars > self.config.selection.long_query_chars;
                let complex = score >= self.config.selection.complexity_threshold;
                if long || complex {
                    let what = if long { "long" } else { "complex" };
                    (
                        ProviderKind::OpenAi,
                        format!("{what} query ({chars} characters, complexity {score:.2}): the cloud provider"),
                        true,
                    )
                } else {
                    (
                        ProviderKind::Ollama,
                        format!("short, simple query ({chars} characters, complexity {score:.2}): the local provider"),
                        true,
                    )
                }
            }
            ProviderChoice::OpenAi => (
                ProviderKind::OpenAi,
                "requested openai".to_owned(),
                self.config.fallback_enabled,
            ),
            ProviderChoice::Ollama => (
                ProviderKind::Ollama,
                "requested ollama".to_owned(),
                self.config.fallback_enabled,
            ),
        };
        if self.is_available(first).await {
            return Ok(selection(first, reason));
        }
        let other = first.other();
        let why = self.why_unavailable(first);
        if may_switch && self.is_available(other).await {
            return Ok(selection(
                other,
                format!("{reason}, but {why}: using {other}"),
            ));
        }
        let why_other = self.why_unavailable(other);
        Err(format!("no AI provider is available: {why}; {why_other}"))
    }

    /// Calls `provider` with retries.
    async fn call(
        &self,
        provider: ProviderKind,
        request: &ChatRequest,
    ) -> Result<ChatResponse, GaveUp> {
        let retry = &self.config.retry;
        match (provider, &self.providers) {
            (ProviderKind::OpenAi, Ok((openai, _))) => {
                with_retries(retry, || openai.chat(request)).await
            }
            (ProviderKind::Ollama, Ok((_, ollama))) => {
                with_retries(retry, || ollama.chat(request)).await
            }
            (_, Err(message)) => Err(GaveUp {
                error: super::provider::ProviderError::permanent(provider, message.clone(), None),
                attempts: 0,
                wait_hint: None,
            }),
        }
    }

    /// Handles a task of a model-calling topic.
    pub(crate) async fn answer(&self, topic: Topic, task: &Task) -> Outcome {
        if let Err(message) = &self.providers {
            return Outcome::fatal(message.clone(), None);
        }
        let prompt = match topics::build(topic, task, self.config.prompts_dir.as_deref()) {
            Ok(prompt) => prompt,
            Err(message) => return fatal(task, topic, message),
        };
        let (choice, overrides) = match (self.choice(task), overrides(task)) {
            (Ok(choice), Ok(overrides)) => (choice, overrides),
            (Err(message), _) | (_, Err(message)) => return fatal(task, topic, message),
        };
        let selection = match self
            .select(choice, &prompt.user_text, overrides.max_tokens)
            .await
        {
            Ok(selection) => selection,
            Err(message) => return unavailable(task, message),
        };
        let started = Instant::now();
        let first = selection.provider;
        let request = ChatRequest {
            messages: prompt.messages,
            model: overrides.model,
            max_tokens: overrides.max_tokens,
            temperature: overrides.temperature,
        };
        tracing::debug!(task = %task.id, topic = topic.name(), provider = %first, reason = %selection.reason, "AI provider selected");
        let gave_up = match self.call(first, &request).await {
            Ok(response) => return complete(task, topic, first, response, started),
            Err(gave_up) if !gave_up.error.is_transient() => {
                return fatal_call(task, topic, gave_up)
            }
            Err(gave_up) => gave_up,
        };
        let second = first.other();
        if !self.config.fallback_enabled || !self.is_available(second).await {
            return retry_later(task, topic, &[gave_up]);
        }
        tracing::warn!(
            task = %task.id, topic = topic.name(), from = %first, to = %second,
            error = %gave_up.error, "AI provider keeps failing; falling back"
        );
        // The task's model names a model of the first provider: the fallback uses its own.
        let request = ChatRequest {
            model: None,
            ..request
        };
        match self.call(second, &request).await {
            Ok(response) => complete(task, topic, second, response, started),
            Err(fallback) if !fallback.error.is_transient() => fatal_call(task, topic, fallback),
            Err(fallback) => retry_later(task, topic, &[gave_up, fallback]),
        }
    }

    /// Handles a `provider_selection` task: the choice without a model call.
    pub(crate) async fn choose(&self, task: &Task) -> Outcome {
        let choice = match self.choice(task) {
            Ok(choice) => choice,
            Err(message) => return Outcome::fatal(message, None),
        };
        let text = topics::text(task, "user_query")
            .or_else(|| topics::text(task, "query"))
            .unwrap_or_default();
        let max_tokens = match overrides(task) {
            Ok(o) => o.max_tokens,
            Err(message) => return Outcome::fatal(message, None),
        };
        match self.select(choice, &text, max_tokens).await {
            Ok(selection) => {
                tracing::info!(task = %task.id, provider = %selection.provider, reason = %selection.reason, "AI provider selected");
                let mut variables = Variables::new();
                variables.insert(
                    "selected_provider".to_owned(),
                    TypedValue::string(selection.provider.as_str()),
                );
                variables.insert(
                    "selection_reason".to_owned(),
                    TypedValue::string(selection.reason),
                );
                variables.insert(
                    "complexity_score".to_owned(),
                    TypedValue::double(selection.complexity_score),
                );
                Outcome::complete(variables)
            }
            Err(message) => unavailable(task, message),
        }
    }

    /// The provider the task asks for (`ai_provider`, else `provider`), else the default.
    fn choice(&self, task: &Task) -> Result<ProviderChoice, String> {
        for name in ["ai_provider", "provider"] {
            if let Some(value) = topics::text(task, name) {
                return ProviderChoice::parse(&value).map_err(|_| {
                    format!(
                        "unknown AI provider '{value}' in variable '{name}' (valid: {})",
                        ProviderChoice::VALID
                    )
                });
            }
        }
        Ok(self.config.default_provider)
    }
}

/// `model`, `max_tokens` and `temperature` of the task, checked.
fn overrides(task: &Task) -> Result<Overrides, String> {
    let present = |name: &str| task.json(name).is_some_and(|v| !v.is_null() && v != "");
    let mut o = Overrides {
        model: topics::text(task, "model").map(|m| m.trim().to_owned()),
        ..Overrides::default()
    };
    if present("max_tokens") {
        o.max_tokens = match task.i64("max_tokens") {
            Some(n) if (1..=i64::from(u32::MAX)).contains(&n) => Some(n as u32),
            _ => {
                return Err(format!(
                    "max_tokens must be a positive whole number, not {}",
                    task.text("max_tokens").unwrap_or_default()
                ))
            }
        };
    }
    if present("temperature") {
        o.temperature = match task.f64("temperature") {
            Some(t) if (0.0..=2.0).contains(&t) => Some(t),
            _ => {
                return Err(format!(
                    "temperature must be a number from 0 to 2, not {}",
                    task.text("temperature").unwrap_or_default()
                ))
            }
        };
    }
    Ok(o)
}

fn complete(
    task: &Task,
    topic: Topic,
    provider: ProviderKind,
    response: ChatResponse,
    started: Instant,
) -> Outcome {
    let elapsed = started.elapsed();
    let millis = i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX);
    tracing::info!(
        task = %task.id, topic = topic.name(), provider = %provider, model = %response.model,
        response_time_ms = millis, total_tokens = response.usage.total_tokens, "AI task answered"
    );
    let mut v = Variables::new();
    v.insert("success".to_owned(), TypedValue::boolean(true));
    v.insert("provider".to_owned(), TypedValue::string(provider.as_str()));
    v.insert(
        "model".to_owned(),
        TypedValue::string(response.model.clone()),
    );
    v.insert("model_used".to_owned(), TypedValue::string(response.model));
    v.insert(
        "content".to_owned(),
        TypedValue::string(response.content.clone()),
    );
    v.insert(
        "ai_response".to_owned(),
        TypedValue::string(response.content),
    );
    v.insert(
        "usage".to_owned(),
        TypedValue::json(&response.usage.to_json()),
    );
    v.insert("response_time_ms".to_owned(), TypedValue::long(millis));
    Outcome::complete(v)
}

fn fatal(task: &Task, topic: Topic, message: String) -> Outcome {
    tracing::warn!(task = %task.id, topic = topic.name(), error = %message, "AI task cannot run");
    Outcome::fatal(message, None)
}

fn fatal_call(task: &Task, topic: Topic, gave_up: GaveUp) -> Outcome {
    tracing::warn!(task = %task.id, topic = topic.name(), error = %gave_up.error, "AI task failed; retrying cannot help");
    Outcome::fatal(gave_up.error.to_string(), gave_up.error.details)
}

fn retry_later(task: &Task, topic: Topic, failures: &[GaveUp]) -> Outcome {
    let message = failures
        .iter()
        .map(|g| format!("{} (after {} attempts)", g.error, g.attempts))
        .collect::<Vec<_>>()
        .join("; then ");
    let details = failures
        .iter()
        .filter_map(|g| {
            g.error
                .details
                .as_ref()
                .map(|d| format!("{}: {d}", g.error.provider))
        })
        .collect::<Vec<_>>()
        .join("\n");
    let wait = failures.iter().filter_map(|g| g.wait_hint).max();
    tracing::warn!(task = %task.id, topic = topic.name(), error = %message, "AI task failed; the engine may retry it");
    Outcome::Failure {
        message,
        details: (!details.is_empty()).then_some(details),
        retries: None,
        retry_timeout_ms: wait.map(|w: Duration| i64::try_from(w.as_millis()).unwrap_or(i64::MAX)),
    }
}

fn unavailable(task: &Task, message: String) -> Outcome {
    tracing::warn!(task = %task.id, error = %message, "no AI provider available");
    let mut variables = Variables::new();
    variables.insert("success".to_owned(), TypedValue::boolean(false));
    Outcome::BpmnError {
        code: UNAVAILABLE.to_owned(),
        message,
        variables,
    }
}
