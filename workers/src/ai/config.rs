//! The AI worker's configuration: a TOML `[ai]` table, environment variables on top.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

/// An API key: shown as `[redacted]` by `Debug`, never logged.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> ApiKey {
        ApiKey(key.into())
    }

    /// The key itself, for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when no key was given.
    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            f.write_str("[unset]")
        } else {
            f.write_str("[redacted]")
        }
    }
}

/// Which provider a task asks for (`ai_provider` / `provider`), or the configured default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(try_from = "String")]
pub enum ProviderChoice {
    /// Choose per task: long or complex prompts to OpenAI, others to Ollama.
    #[default]
    Auto,
    /// OpenAI (or any OpenAI-compatible server).
    OpenAi,
    /// Ollama.
    Ollama,
}

impl ProviderChoice {
    /// The names a task or the configuration may use.
    pub const VALID: &'static str = "auto, openai, ollama";

    /// Parses a provider name (case and surrounding blanks ignored).
    pub fn parse(name: &str) -> Result<ProviderChoice, AiConfigError> {
        match name.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(ProviderChoice::Auto),
            "openai" => Ok(ProviderChoice::OpenAi),
            "ollama" => Ok(ProviderChoice::Ollama),
            _ => Err(AiConfigError::UnknownProvider(name.to_owned())),
        }
    }
}

impl TryFrom<String> for ProviderChoice {
    type Error = AiConfigError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        ProviderChoice::parse(&value)
    }
}

/// Which Ollama endpoint answers prompts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OllamaApi {
    /// `POST /api/chat` with the messages.
    #[default]
    Chat,
    /// `POST /api/generate` with `system` and `prompt`.
    Generate,
}

/// The field that carries the token limit in an OpenAI request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenLimitField {
    /// `max_tokens`: what OpenAI-compatible servers and older OpenAI models take.
    #[default]
    MaxTokens,
    /// `max_completion_tokens`: what OpenAI's reasoning models require.
    MaxCompletionTokens,
}

/// A configuration value that cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AiConfigError {
    /// A provider name that is none of [`ProviderChoice::VALID`].
    #[error("unknown AI provider '{0}' (valid: auto, openai, ollama)")]
    UnknownProvider(String),
    /// An environment variable whose value does not parse.
    #[error("{name}={value:?} is not valid: {expected}")]
    Invalid {
        /// The variable.
        name: String,
        /// Its value (never a secret: keys are not parsed).
        value: String,
        /// What was expected.
        expected: &'static str,
    },
}

/// OpenAI (chat completions) settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OpenAiConfig {
    /// The API key; OpenAI counts as configured only when it is set.
    pub api_key: ApiKey,
    /// The API root, `https://api.openai.com/v1` or any OpenAI-compatible server.
    pub base_url: String,
    /// The model when the task names none.
    pub model: String,
    /// The token limit when the task sets none.
    pub max_tokens: u32,
    /// The sampling temperature when the task sets none.
    pub temperature: f64,
    /// How long one request may take, in milliseconds.
    pub timeout_ms: u64,
    /// Which request field carries the token limit.
    pub token_limit_field: TokenLimitField,
}

impl Default for OpenAiConfig {
    fn default() -> Self {
        OpenAiConfig {
            api_key: ApiKey::default(),
            base_url: "https://api.openai.com/v1".to_owned(),
            model: "gpt-4o-mini".to_owned(),
            max_tokens: 2048,
            temperature: 0.7,
            timeout_ms: 60_000,
            token_limit_field: TokenLimitField::MaxTokens,
        }
    }
}

impl OpenAiConfig {
    /// True when an API key is set.
    pub fn is_configured(&self) -> bool {
        !self.api_key.is_empty()
    }
}

/// Ollama settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OllamaConfig {
    /// False never calls Ollama (not even its health check).
    pub enabled: bool,
    /// The server root, `http://localhost:11434`.
    pub base_url: String,
    /// The model when the task names none.
    pub model: String,
    /// `num_predict` when the task sets no `max_tokens`.
    pub max_tokens: u32,
    /// The sampling temperature when the task sets none.
    pub temperature: f64,
    /// How long one request may take, in milliseconds.
    pub timeout_ms: u64,
    /// `chat` (`/api/chat`) or `generate` (`/api/generate`).
    pub api: OllamaApi,
    /// How long a health-check answer (`GET /api/tags`) is reused, in milliseconds.
    pub health_ttl_ms: u64,
    /// How long the health check may take, in milliseconds.
    pub health_timeout_ms: u64,
}

impl Default for OllamaConfig {
    fn default() -> Self {
        OllamaConfig {
            enabled: true,
            base_url: "http://localhost:11434".to_owned(),
            model: "llama3.2:1b".to_owned(),
            max_tokens: 2048,
            temperature: 0.7,
            timeout_ms: 120_000,
            api: OllamaApi::Chat,
            health_ttl_ms: 30_000,
            health_timeout_ms: 3_000,
        }
    }
}

/// Retries of 429, 5xx and timeouts inside one task.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryConfig {
    /// Calls per provider and task, the first included (at least 1).
    pub max_attempts: u32,
    /// The first backoff delay, in milliseconds; it doubles on each retry (with jitter).
    pub base_delay_ms: u64,
    /// The longest wait between two calls, in milliseconds. A `Retry-After` longer than
    /// this ends the retries at once and is handed to the engine as the retry timeout.
    pub max_delay_ms: u64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_attempts: 3,
            base_delay_ms: 500,
            max_delay_ms: 20_000,
        }
    }
}

impl RetryConfig {
    /// The backoff before retry number `retry` (1 for the first retry), without jitter.
    pub fn backoff(&self, retry: u32) -> Duration {
        let factor = 1u64 << retry.saturating_sub(1).min(20);
        Duration::from_millis(
            self.base_delay_ms
                .saturating_mul(factor)
                .min(self.max_delay_ms),
        )
    }
}

/// How `auto` tells long or complex prompts (to OpenAI) from the rest (to Ollama).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SelectionConfig {
    /// A prompt longer than this many characters is long.
    pub long_query_chars: usize,
    /// A prompt whose complexity score (0 to 1) reaches this is complex.
    pub complexity_threshold: f64,
}

impl Default for SelectionConfig {
    fn default() -> Self {
        SelectionConfig {
            long_query_chars: 500,
            complexity_threshold: 0.5,
        }
    }
}

/// The topic each handler subscribes to; an empty name leaves that handler out.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TopicNames {
    /// A question, with optional context.
    pub ai_query: String,
    /// Text from a prompt, in a type, length and tone.
    pub text_generation: String,
    /// Analysis of data.
    pub analysis: String,
    /// Code from a description.
    pub code_generation: String,
    /// A review of code.
    pub code_analysis: String,
    /// Translation of a text.
    pub translation: String,
    /// A raw prompt or message list.
    pub ai_completion: String,
    /// Chooses a provider without calling a model.
    pub provider_selection: String,
}

impl Default for TopicNames {
    fn default() -> Self {
        TopicNames {
            ai_query: "ai_query".to_owned(),
            text_generation: "text_generation".to_owned(),
            analysis: "analysis".to_owned(),
            code_generation: "code_generation".to_owned(),
            code_analysis: "code_analysis".to_owned(),
            translation: "translation".to_owned(),
            ai_completion: "ai_completion".to_owned(),
            provider_selection: "provider_selection".to_owned(),
        }
    }
}

/// The AI worker's configuration (the TOML `[ai]` table; see the module docs for the
/// environment variables). `Debug` shows every setting except the API key.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AiConfig {
    /// The provider when a task names none: `auto` (default), `openai` or `ollama`.
    pub default_provider: ProviderChoice,
    /// Whether a provider that keeps failing (or is unavailable) hands over to the other.
    pub fallback_enabled: bool,
    /// Folder of prompt templates for `prompt_template_name`.
    pub prompts_dir: Option<PathBuf>,
    /// OpenAI settings.
    pub openai: OpenAiConfig,
    /// Ollama settings.
    pub ollama: OllamaConfig,
    /// Retry settings.
    pub retry: RetryConfig,
    /// `auto` selection settings.
    pub selection: SelectionConfig,
    /// Topic names.
    pub topics: TopicNames,
}

impl Default for AiConfig {
    /// The built-in defaults: `auto`, fallback enabled, the original worker's models.
    fn default() -> Self {
        AiConfig {
            default_provider: ProviderChoice::Auto,
            fallback_enabled: true,
            prompts_dir: None,
            openai: OpenAiConfig::default(),
            ollama: OllamaConfig::default(),
            retry: RetryConfig::default(),
            selection: SelectionConfig::default(),
            topics: TopicNames::default(),
        }
    }
}

impl AiConfig {
    /// The defaults with the process environment on top (see the module docs).
    pub fn from_env() -> Result<AiConfig, AiConfigError> {
        AiConfig::default().with_env_from(|name| std::env::var(name).ok())
    }

    /// This configuration with the variables that `lookup` knows laid on top; empty
    /// values count as unset.
    pub fn with_env_from(
        mut self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<AiConfig, AiConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());

        if let Some(v) = get("AI_DEFAULT_PROVIDER") {
            self.default_provider = ProviderChoice::parse(&v)?;
        }
        if let Some(v) = get("AI_FALLBACK_ENABLED") {
            self.fallback_enabled = parse_bool("AI_FALLBACK_ENABLED", &v)?;
        }
        if let Some(v) = get("AI_PROMPTS_DIR") {
            self.prompts_dir = Some(PathBuf::from(v));
        }

        if let Some(v) = get("OPENAI_API_KEY") {
            self.openai.api_key = ApiKey::new(v.trim());
        }
        if let Some(v) = get("OPENAI_BASE_URL") {
            self.openai.base_url = v.trim().to_owned();
        }
        if let Some(v) = get("OPENAI_MODEL") {
            self.openai.model = v.trim().to_owned();
        }
        if let Some(v) = get("OPENAI_MAX_TOKENS") {
            self.openai.max_tokens = parse_num("OPENAI_MAX_TOKENS", &v, "a positive whole number")?;
        }
        if let Some(v) = get("OPENAI_TEMPERATURE") {
            self.openai.temperature = parse_num("OPENAI_TEMPERATURE", &v, "a number")?;
        }
        if let Some(v) = get("OPENAI_TIMEOUT") {
            self.openai.timeout_ms = parse_secs("OPENAI_TIMEOUT", &v)?;
        }
        if let Some(v) = get("OPENAI_TOKEN_LIMIT_FIELD") {
            self.openai.token_limit_field = match v.trim() {
                "max_tokens" => TokenLimitField::MaxTokens,
                "max_completion_tokens" => TokenLimitField::MaxCompletionTokens,
                _ => {
                    return Err(invalid(
                        "OPENAI_TOKEN_LIMIT_FIELD",
                        &v,
                        "max_tokens or max_completion_tokens",
                    ))
                }
            };
        }

        if let Some(v) = get("OLLAMA_ENABLED") {
            self.ollama.enabled = parse_bool("OLLAMA_ENABLED", &v)?;
        }
        if let Some(v) = get("OLLAMA_BASE_URL").or_else(|| get("OLLAMA_URL")) {
            self.ollama.base_url = v.trim().to_owned();
        }
        if let Some(v) = get("OLLAMA_MODEL") {
            self.ollama.model = v.trim().to_owned();
        }
        if let Some(v) = get("OLLAMA_MAX_TOKENS") {
            self.ollama.max_tokens = parse_num("OLLAMA_MAX_TOKENS", &v, "a positive whole number")?;
        }
        if let Some(v) = get("OLLAMA_TEMPERATURE") {
            self.ollama.temperature = parse_num("OLLAMA_TEMPERATURE", &v, "a number")?;
        }
        if let Some(v) = get("OLLAMA_TIMEOUT") {
            self.ollama.timeout_ms = parse_secs("OLLAMA_TIMEOUT", &v)?;
        }
        if let Some(v) = get("OLLAMA_API") {
            self.ollama.api = match v.trim().to_ascii_lowercase().as_str() {
                "chat" => OllamaApi::Chat,
                "generate" => OllamaApi::Generate,
                _ => return Err(invalid("OLLAMA_API", &v, "chat or generate")),
            };
        }
        if let Some(v) = get("OLLAMA_HEALTH_TTL") {
            self.ollama.health_ttl_ms = parse_secs("OLLAMA_HEALTH_TTL", &v)?;
        }

        if let Some(v) = get("AI_RETRY_MAX_ATTEMPTS") {
            self.retry.max_attempts = parse_num("AI_RETRY_MAX_ATTEMPTS", &v, "a whole number")?;
        }
        if let Some(v) = get("AI_RETRY_BASE_DELAY_MS") {
            self.retry.base_delay_ms = parse_num("AI_RETRY_BASE_DELAY_MS", &v, "milliseconds")?;
        }
        if let Some(v) = get("AI_RETRY_MAX_DELAY_MS") {
            self.retry.max_delay_ms = parse_num("AI_RETRY_MAX_DELAY_MS", &v, "milliseconds")?;
        }
        if let Some(v) = get("AI_LONG_QUERY_CHARS") {
            self.selection.long_query_chars =
                parse_num("AI_LONG_QUERY_CHARS", &v, "a whole number")?;
        }
        if let Some(v) = get("AI_COMPLEXITY_THRESHOLD") {
            self.selection.complexity_threshold =
                parse_num("AI_COMPLEXITY_THRESHOLD", &v, "a number between 0 and 1")?;
        }

        let topics = &mut self.topics;
        for (name, slot) in [
            ("AI_TOPIC_AI_QUERY", &mut topics.ai_query),
            ("AI_TOPIC_TEXT_GENERATION", &mut topics.text_generation),
            ("AI_TOPIC_ANALYSIS", &mut topics.analysis),
            ("AI_TOPIC_CODE_GENERATION", &mut topics.code_generation),
            ("AI_TOPIC_CODE_ANALYSIS", &mut topics.code_analysis),
            ("AI_TOPIC_TRANSLATION", &mut topics.translation),
            ("AI_TOPIC_AI_COMPLETION", &mut topics.ai_completion),
            (
                "AI_TOPIC_PROVIDER_SELECTION",
                &mut topics.provider_selection,
            ),
        ] {
            // Set but empty disables the topic, so read it without the empty filter.
            if let Some(v) = lookup(name) {
                *slot = v.trim().to_owned();
            }
        }
        Ok(self)
    }
}

fn invalid(name: &str, value: &str, expected: &'static str) -> AiConfigError {
    AiConfigError::Invalid {
        name: name.to_owned(),
        value: value.to_owned(),
        expected,
    }
}

fn parse_bool(name: &str, value: &str) -> Result<bool, AiConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(invalid(name, value, "true or false")),
    }
}

fn parse_num<T: std::str::FromStr>(
    name: &str,
    value: &str,
    expected: &'static str,
) -> Result<T, AiConfigError> {
    value
        .trim()
        .parse()
        .map_err(|_| invalid(name, value, expected))
}

/// Seconds (whole or decimal, as the original worker's `OLLAMA_TIMEOUT`) to milliseconds.
fn parse_secs(name: &str, value: &str) -> Result<u64, AiConfigError> {
    match value.trim().parse::<f64>() {
        Ok(s) if s.is_finite() && s > 0.0 => Ok((s * 1000.0).round() as u64),
        _ => Err(invalid(name, value, "a positive number of seconds")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn env_lays_over_defaults_and_accepts_the_original_names() {
        let env: HashMap<&str, &str> = [
            ("OPENAI_API_KEY", "sk-secret-123"),
            ("OPENAI_BASE_URL", "http://127.0.0.1:9/v1"),
            ("OLLAMA_URL", "http://ollama:11434"),
            ("OLLAMA_TIMEOUT", "2.5"),
            ("AI_DEFAULT_PROVIDER", "Ollama"),
            ("AI_FALLBACK_ENABLED", "false"),
            ("AI_TOPIC_TRANSLATION", "translate_v2"),
            ("AI_TOPIC_ANALYSIS", ""),
            ("OPENAI_MODEL", ""),
        ]
        .into_iter()
        .collect();
        let config = AiConfig::from_lookup_for_test(&env);
        assert_eq!(config.openai.api_key.expose(), "sk-secret-123");
        assert_eq!(config.openai.base_url, "http://127.0.0.1:9/v1");
        assert_eq!(config.openai.model, "gpt-4o-mini");
        assert_eq!(config.ollama.base_url, "http://ollama:11434");
        assert_eq!(config.ollama.timeout_ms, 2500);
        assert_eq!(config.default_provider, ProviderChoice::Ollama);
        assert!(!config.fallback_enabled);
        assert_eq!(config.topics.translation, "translate_v2");
        assert_eq!(config.topics.analysis, "");
        assert_eq!(config.topics.ai_query, "ai_query");
    }

    #[test]
    fn bad_values_are_named() {
        let err = AiConfig::default()
            .with_env_from(|n| (n == "AI_DEFAULT_PROVIDER").then(|| "gemini".to_owned()))
            .err();
        assert_eq!(
            err.map(|e| e.to_string()),
            Some("unknown AI provider 'gemini' (valid: auto, openai, ollama)".to_owned())
        );
        let err = AiConfig::default()
            .with_env_from(|n| (n == "OLLAMA_TIMEOUT").then(|| "soon".to_owned()))
            .err();
        assert!(
            matches!(err, Some(AiConfigError::Invalid { ref name, .. }) if name == "OLLAMA_TIMEOUT")
        );
    }

    #[test]
    fn debug_never_shows_the_key() {
        let mut config = AiConfig::default();
        config.openai.api_key = ApiKey::new("sk-very-secret");
        let shown = format!("{config:?}");
        assert!(!shown.contains("sk-very-secret"), "{shown}");
        assert!(shown.contains("[redacted]"));
    }

    #[test]
    fn toml_table_deserializes_with_defaults() {
        let text = r#"
            default_provider = "openai"
            fallback_enabled = false
            [openai]
            api_key = "sk-from-file"
            base_url = "http://localhost:8000/v1"
            token_limit_field = "max_completion_tokens"
            [ollama]
            api = "generate"
            [retry]
            max_attempts = 5
            [topics]
            ai_query = "ask"
        "#;
        let config: AiConfig = match toml::from_str(text) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(config.default_provider, ProviderChoice::OpenAi);
        assert!(!config.fallback_enabled);
        assert_eq!(config.openai.api_key.expose(), "sk-from-file");
        assert_eq!(config.openai.model, "gpt-4o-mini");
        assert_eq!(
            config.openai.token_limit_field,
            TokenLimitField::MaxCompletionTokens
        );
        assert_eq!(config.ollama.api, OllamaApi::Generate);
        assert_eq!(config.ollama.model, "llama3.2:1b");
        assert_eq!(config.retry.max_attempts, 5);
        assert_eq!(config.topics.ai_query, "ask");
        assert_eq!(config.topics.translation, "translation");
        let defaults: AiConfig = toml::from_str("").unwrap_or_default();
        assert!(defaults.fallback_enabled);
        assert!(toml::from_str::<AiConfig>("default_provider = \"gemini\"").is_err());
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let retry = RetryConfig {
            max_attempts: 5,
            base_delay_ms: 100,
            max_delay_ms: 350,
        };
        assert_eq!(retry.backoff(1), Duration::from_millis(100));
        assert_eq!(retry.backoff(2), Duration::from_millis(200));
        assert_eq!(retry.backoff(3), Duration::from_millis(350));
        assert_eq!(retry.backoff(40), Duration::from_millis(350));
    }

    impl AiConfig {
        fn from_lookup_for_test(env: &HashMap<&str, &str>) -> AiConfig {
            match AiConfig::default().with_env_from(|n| env.get(n).map(|v| (*v).to_owned())) {
                Ok(c) => c,
                Err(e) => panic!("{e}"),
            }
        }
    }
}
