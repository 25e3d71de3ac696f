//! The AI handlers against fake OpenAI and Ollama servers on 127.0.0.1 that speak the
//! real wire formats.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Value as Json};

use super::*;
use crate::task::{Outcome, Task, TypedValue, Variables};

const KEY: &str = "sk-test-key-0123456789";

/// A scripted answer.
#[derive(Clone)]
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
    delay: Duration,
}

fn reply(status: u16, body: Json) -> Reply {
    Reply {
        status,
        headers: Vec::new(),
        body: body.to_string(),
        delay: Duration::ZERO,
    }
}

impl Reply {
    fn header(mut self, name: &'static str, value: &str) -> Reply {
        self.headers.push((name, value.to_owned()));
        self
    }

    fn delayed(mut self, ms: u64) -> Reply {
        self.delay = Duration::from_millis(ms);
        self
    }
}

/// A request the fake received.
#[derive(Clone, Debug)]
struct Call {
    authorization: Option<String>,
    body: Json,
}

#[derive(Default)]
struct FakeState {
    /// Per path: the replies in order; the last one repeats.
    scripts: Mutex<HashMap<String, VecDeque<Reply>>>,
    calls: Mutex<Vec<(String, Call)>>,
}

/// An HTTP server on 127.0.0.1 answering from scripts.
struct Fake {
    url: String,
    state: Arc<FakeState>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn answer(
    State(state): State<Arc<FakeState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let call = Call {
        authorization: headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: serde_json::from_slice(&body).unwrap_or(Json::Null),
    };
    lock(&state.calls).push((format!("{method} {path}"), call));
    let next = {
        let mut scripts = lock(&state.scripts);
        match scripts.get_mut(&path) {
            Some(queue) if queue.len() > 1 => queue.pop_front(),
            Some(queue) => queue.front().cloned(),
            None => None,
        }
    };
    let Some(next) = next else {
        return (StatusCode::NOT_FOUND, "404 page not found").into_response();
    };
    tokio::time::sleep(next.delay).await;
    let mut response = (
        StatusCode::from_u16(next.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        next.body,
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    for (name, value) in next.headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    response
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Fake {
    async fn start(routes: Vec<(&str, Vec<Reply>)>) -> Fake {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let state = Arc::new(FakeState::default());
        {
            let mut scripts = lock(&state.scripts);
            for (path, replies) in routes {
                scripts.insert(path.to_owned(), replies.into());
            }
        }
        let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
            Ok(l) => l,
            Err(e) => panic!("cannot bind a fake server: {e}"),
        };
        let url = match listener.local_addr() {
            Ok(addr) => format!("http://{addr}"),
            Err(e) => panic!("{e}"),
        };
        let app = Router::new()
            .fallback(answer)
            .with_state(Arc::clone(&state));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Fake { url, state, server }
    }

    /// The calls to `route` (`"POST /v1/chat/completions"`).
    fn calls(&self, route: &str) -> Vec<Call> {
        lock(&self.state.calls)
            .iter()
            .filter(|(r, _)| r == route)
            .map(|(_, c)| c.clone())
            .collect()
    }
}

const OPENAI_CHAT: &str = "POST /v1/chat/completions";
const OLLAMA_CHAT: &str = "POST /api/chat";
const OLLAMA_TAGS: &str = "GET /api/tags";

fn openai_ok(content: &str) -> Reply {
    reply(
        200,
        json!({
            "id": "chatcmpl-abc123",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": null},
                "logprobs": null,
                "finish_reason": "stop"
            }],
            "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17},
            "system_fingerprint": "fp_0123"
        }),
    )
}

fn openai_error(status: u16, message: &str, kind: &str, code: &str) -> Reply {
    reply(
        status,
        json!({"error": {"message": message, "type": kind, "param": null, "code": code}}),
    )
}

fn ollama_ok(content: &str) -> Reply {
    reply(
        200,
        json!({
            "model": "llama3.2:1b",
            "created_at": "2024-09-25T12:00:00.000000Z",
            "message": {"role": "assistant", "content": content},
            "done_reason": "stop",
            "done": true,
            "total_duration": 4_883_583_458u64,
            "load_duration": 1_334_875,
            "prompt_eval_count": 20,
            "prompt_eval_duration": 342_546_000,
            "eval_count": 7,
            "eval_duration": 4_535_599_000u64
        }),
    )
}

fn ollama_tags() -> Reply {
    reply(
        200,
        json!({"models": [{
            "name": "llama3.2:1b",
            "model": "llama3.2:1b",
            "modified_at": "2024-09-25T12:00:00Z",
            "size": 1_321_098_329,
            "digest": "baf6a787fdffd633537aa2eb51cfd54cb93ff08e28040095462bb63daf552878",
            "details": {"format": "gguf", "family": "llama", "parameter_size": "1.2B", "quantization_level": "Q8_0"}
        }]}),
    )
}

/// An OpenAI fake answering `replies` in turn.
async fn openai(replies: Vec<Reply>) -> Fake {
    Fake::start(vec![("/v1/chat/completions", replies)]).await
}

/// A healthy Ollama fake answering chats with `replies` in turn.
async fn ollama(replies: Vec<Reply>) -> Fake {
    Fake::start(vec![
        ("/api/tags", vec![ollama_tags()]),
        ("/api/chat", replies),
    ])
    .await
}

/// A URL where nothing listens.
async fn closed_url() -> String {
    let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
        Ok(l) => l,
        Err(e) => panic!("{e}"),
    };
    match listener.local_addr() {
        Ok(addr) => format!("http://{addr}"),
        Err(e) => panic!("{e}"),
    }
}

/// Fast retries; OpenAI configured only with a fake, Ollama reachable only with one.
async fn setup(openai: Option<&Fake>, ollama: Option<&Fake>) -> AiConfig {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut c = AiConfig {
        retry: RetryConfig {
            max_attempts: 3,
            base_delay_ms: 1,
            max_delay_ms: 2_000,
        },
        ..AiConfig::default()
    };
    if let Some(fake) = openai {
        c.openai.api_key = ApiKey::new(KEY);
        c.openai.base_url = format!("{}/v1/", fake.url);
    }
    c.openai.timeout_ms = 2_000;
    c.ollama.base_url = match ollama {
        Some(fake) => fake.url.clone(),
        None => closed_url().await,
    };
    c.ollama.timeout_ms = 2_000;
    c.ollama.health_timeout_ms = 500;
    c
}

fn handler(config: &AiConfig, topic: &str) -> Arc<dyn Handler> {
    match handlers(config).into_iter().find(|(name, _)| name == topic) {
        Some((_, h)) => h,
        None => panic!("no handler for {topic}"),
    }
}

fn task(vars: &[(&str, TypedValue)]) -> Task {
    Task {
        id: "task-1".to_owned(),
        topic_name: "ai_query".to_owned(),
        variables: vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
        ..Task::default()
    }
}

fn s(text: &str) -> TypedValue {
    TypedValue::string(text)
}

fn completed(outcome: Outcome) -> Variables {
    match outcome {
        Outcome::Complete { variables, .. } => variables,
        other => panic!("expected completion, got {other:?}"),
    }
}

/// (message, details, retries, retry_timeout_ms) of a failure.
fn failed(outcome: Outcome) -> (String, String, Option<i32>, Option<i64>) {
    match outcome {
        Outcome::Failure {
            message,
            details,
            retries,
            retry_timeout_ms,
        } => (
            message,
            details.unwrap_or_default(),
            retries,
            retry_timeout_ms,
        ),
        other => panic!("expected a failure, got {other:?}"),
    }
}

fn var<'a>(vars: &'a Variables, name: &str) -> &'a TypedValue {
    match vars.get(name) {
        Some(v) => v,
        None => panic!("no variable {name} in {vars:?}"),
    }
}

fn assert_typed(vars: &Variables, name: &str, type_name: &str, value: Json) {
    let v = var(vars, name);
    assert_eq!(v.type_name.as_deref(), Some(type_name), "type of {name}");
    assert_eq!(v.to_json(), value, "value of {name}");
}

#[tokio::test]
async fn openai_success_sets_every_output_variable() {
    let fake = openai(vec![openai_ok("Rayleigh scattering.")]).await;
    let config = setup(Some(&fake), None).await;
    let outcome = handler(&config, "ai_query")
        .handle(&task(&[
            ("ai_provider", s("openai")),
            ("query", s("Why is the sky blue?")),
            ("context", s("Physics")),
            ("system_prompt", s("Answer in one line.")),
            ("model", s("gpt-4o")),
            ("max_tokens", s("100")),
            ("temperature", TypedValue::double(0.2)),
        ]))
        .await;
    let vars = completed(outcome);
    assert_typed(&vars, "success", "Boolean", json!(true));
    assert_typed(&vars, "provider", "String", json!("openai"));
    assert_typed(&vars, "model", "String", json!("gpt-4o-mini-2024-07-18"));
    assert_typed(
        &vars,
        "model_used",
        "String",
        json!("gpt-4o-mini-2024-07-18"),
    );
    assert_typed(&vars, "content", "String", json!("Rayleigh scattering."));
    assert_typed(
        &vars,
        "ai_response",
        "String",
        json!("Rayleigh scattering."),
    );
    assert_typed(
        &vars,
        "usage",
        "Json",
        json!({"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17}),
    );
    let elapsed = var(&vars, "response_time_ms");
    assert_eq!(elapsed.type_name.as_deref(), Some("Long"));
    assert!(
        elapsed
            .value
            .as_i64()
            .is_some_and(|ms| (0..10_000).contains(&ms)),
        "{elapsed:?}"
    );

    let calls = fake.calls(OPENAI_CHAT);
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].authorization.as_deref(),
        Some(&*format!("Bearer {KEY}"))
    );
    assert_eq!(
        calls[0].body,
        json!({
            "model": "gpt-4o",
            "messages": [
                {"role": "system", "content": "Answer in one line."},
                {"role": "user", "content": "Context: Physics\n\nQuery: Why is the sky blue?"}
            ],
            "max_tokens": 100,
            "temperature": 0.2
        })
    );
}

#[tokio::test]
async fn ollama_chat_sends_stream_false_and_reads_eval_counts() {
    let fake = ollama(vec![ollama_ok("Bonjour")]).await;
    let config = setup(None, Some(&fake)).await;
    let vars = completed(
        handler(&config, "translation")
            .handle(&task(&[
                ("ai_provider", s("ollama")),
                ("text", s("Hello")),
                ("target_language", s("French")),
            ]))
            .await,
    );
    assert_typed(&vars, "provider", "String", json!("ollama"));
    assert_typed(&vars, "model", "String", json!("llama3.2:1b"));
    assert_typed(&vars, "content", "String", json!("Bonjour"));
    assert_typed(
        &vars,
        "usage",
        "Json",
        json!({"prompt_tokens": 20, "completion_tokens": 7, "total_tokens": 27}),
    );
    let calls = fake.calls(OLLAMA_CHAT);
    assert_eq!(calls.len(), 1);
    let body = &calls[0].body;
    assert_eq!(body["stream"], json!(false));
    assert_eq!(body["model"], json!("llama3.2:1b"));
    assert_eq!(
        body["options"],
        json!({"temperature": 0.7, "num_predict": 2048})
    );
    assert_eq!(body["messages"][0]["role"], json!("system"));
    assert_eq!(
        body["messages"][1]["content"],
        json!("Translate the following text to French:\n\nHello")
    );
    assert_eq!(calls[0].authorization, None);
}

#[tokio::test]
async fn ollama_generate_is_used_when_configured() {
    let fake = Fake::start(vec![
        ("/api/tags", vec![ollama_tags()]),
        (
            "/api/generate",
            vec![reply(
                200,
                json!({"model": "llama3.2:1b", "created_at": "2024-09-25T12:00:00Z", "response": "fn main() {}",
                       "done": true, "context": [1, 2, 3], "prompt_eval_count": 30, "eval_count": 4}),
            )],
        ),
    ])
    .await;
    let mut config = setup(None, Some(&fake)).await;
    config.ollama.api = OllamaApi::Generate;
    let vars = completed(
        handler(&config, "code_generation")
            .handle(&task(&[
                ("description", s("an empty program")),
                ("language", s("Rust")),
            ]))
            .await,
    );
    assert_typed(&vars, "ai_response", "String", json!("fn main() {}"));
    assert_typed(
        &vars,
        "usage",
        "Json",
        json!({"prompt_tokens": 30, "completion_tokens": 4, "total_tokens": 34}),
    );
    let calls = fake.calls("POST /api/generate");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].body["stream"], json!(false));
    assert_eq!(
        calls[0].body["prompt"],
        json!("Write Rust code for the following:\n\nan empty program")
    );
    assert!(calls[0].body["system"]
        .as_str()
        .is_some_and(|s| s.contains("software developer")));
}

#[tokio::test]
async fn rate_limit_429_waits_retry_after_then_succeeds() {
    let limited = openai_error(
        429,
        "Rate limit reached for requests",
        "requests",
        "rate_limit_exceeded",
    )
    .header("retry-after", "1");
    let fake = openai(vec![limited, openai_ok("ok")]).await;
    let config = setup(Some(&fake), None).await;
    let started = Instant::now();
    let vars = completed(
        handler(&config, "ai_query")
            .handle(&task(&[("query", s("hi")), ("ai_provider", s("openai"))]))
            .await,
    );
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    assert_typed(&vars, "content", "String", json!("ok"));
    assert_eq!(fake.calls(OPENAI_CHAT).len(), 2);
}

#[tokio::test]
async fn retry_after_ms_takes_precedence_over_retry_after() {
    let limited = openai_error(429, "Rate limit reached", "tokens", "rate_limit_exceeded")
        .header("retry-after-ms", "150")
        .header("retry-after", "30");
    let fake = openai(vec![limited, openai_ok("ok")]).await;
    let config = setup(Some(&fake), None).await;
    let started = Instant::now();
    completed(
        handler(&config, "ai_query")
            .handle(&task(&[("query", s("hi")), ("ai_provider", s("openai"))]))
            .await,
    );
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(150) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
    assert_eq!(fake.calls(OPENAI_CHAT).len(), 2);
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_is_left_to_the_engine() {
    let limited = openai_error(429, "Rate limit reached", "requests", "rate_limit_exceeded")
        .header("retry-after", "120");
    let fake = openai(vec![limited]).await;
    let mut config = setup(Some(&fake), None).await;
    config.fallback_enabled = false;
    let (message, _, retries, timeout) = failed(
        handler(&config, "ai_query")
            .handle(&task(&[("query", s("hi")), ("ai_provider", s("openai"))]))
            .await,
    );
    assert!(message.contains("HTTP 429"), "{message}");
    assert_eq!(retries, None);
    assert_eq!(timeout, Some(120_000));
    assert_eq!(fake.calls(OPENAI_CHAT).len(), 1);
}

#[tokio::test]
async fn server_error_500_is_retried_then_succeeds() {
    let fake = ollama(vec![
        reply(500, json!({"error": "unexpected server status"})),
        ollama_ok("fine"),
    ])
    .await;
    let config = setup(None, Some(&fake)).await;
    let vars = completed(
        handler(&config, "ai_query")
            .handle(&task(&[("user_query", s("hi")), ("provider", s("ollama"))]))
            .await,
    );
    assert_typed(&vars, "content", "String", json!("fine"));
    assert_eq!(fake.calls(OLLAMA_CHAT).len(), 2);
}

#[tokio::test]
async fn exhausted_500_falls_back_to_ollama() {
    let cloud = openai(vec![openai_error(
        500,
        "The server had an error",
        "server_error",
        "",
    )])
    .await;
    let local = ollama(vec![ollama_ok("from ollama")]).await;
    let config = setup(Some(&cloud), Some(&local)).await;
    let vars = completed(
        handler(&config, "analysis")
            .handle(&task(&[
                ("ai_provider", s("openai")),
                ("model", s("gpt-4o")),
                ("data", TypedValue::json(&json!({"sales": [3, 5, 8]}))),
            ]))
            .await,
    );
    assert_typed(&vars, "provider", "String", json!("ollama"));
    assert_typed(&vars, "model_used", "String", json!("llama3.2:1b"));
    assert_typed(&vars, "ai_response", "String", json!("from ollama"));
    assert_eq!(cloud.calls(OPENAI_CHAT).len(), 3);
    let calls = local.calls(OLLAMA_CHAT);
    assert_eq!(calls.len(), 1);
    // The task's model names an OpenAI model: the fallback uses its own.
    assert_eq!(calls[0].body["model"], json!("llama3.2:1b"));
}

#[tokio::test]
async fn exhausted_ollama_falls_back_to_openai() {
    let cloud = openai(vec![openai_ok("from openai")]).await;
    let local = ollama(vec![reply(503, json!({"error": "server busy"}))]).await;
    let config = setup(Some(&cloud), Some(&local)).await;
    let vars = completed(
        handler(&config, "ai_query")
            .handle(&task(&[("query", s("hi"))]))
            .await,
    );
    assert_typed(&vars, "provider", "String", json!("openai"));
    assert_eq!(local.calls(OLLAMA_CHAT).len(), 3);
    assert_eq!(cloud.calls(OPENAI_CHAT).len(), 1);
}

#[tokio::test]
async fn exhausted_errors_without_fallback_leave_retries_to_the_engine() {
    let fake = openai(vec![openai_error(503, "overloaded", "server_error", "")]).await;
    let mut config = setup(Some(&fake), None).await;
    config.fallback_enabled = false;
    let (message, details, retries, timeout) = failed(
        handler(&config, "ai_query")
            .handle(&task(&[("query", s("hi")), ("ai_provider", s("openai"))]))
            .await,
    );
    assert!(
        message.contains("HTTP 503") && message.contains("after 3 attempts"),
        "{message}"
    );
    assert!(details.contains("overloaded"), "{details}");
    assert_eq!((retries, timeout), (None, None));
    assert_eq!(fake.calls(OPENAI_CHAT).len(), 3);
}

#[tokio::test]
async fn rejected_key_401_fails_without_retry_or_fallback() {
    let echo = format!("Incorrect API key provided: {KEY}. You can find your API key at https://platform.openai.com/account/api-keys.");
    let cloud = openai(vec![openai_error(
        401,
        &echo,
        "invalid_request_error",
        "invalid_api_key",
    )])
    .await;
    let local = ollama(vec![ollama_ok("should not be asked")]).await;
    let config = setup(Some(&cloud), Some(&local)).await;
    let (message, details, retries, _) = failed(
        handler(&config, "ai_query")
            .handle(&task(&[("query", s("hi")), ("ai_provider", s("openai"))]))
            .await,
    );
    assert_eq!(retries, Some(0));
    assert!(
        message.contains("API key was rejected (HTTP 401)"),
        "{message}"
    );
    assert!(
        !message.contains(KEY) && !details.contains(KEY),
        "{message} {details}"
    );
    assert_eq!(cloud.calls(OPENAI_CHAT).len(), 1);
    assert_eq!(local.calls(OLLAMA_CHAT).len(), 0);
}

#[tokio::test]
async fn insufficient_quota_429_fails_without_retry() {
    let fake = openai(vec![openai_error(
        429,
        "You exceeded your current quota, please check your plan and billing details.",
        "insufficient_quota",
        "insufficient_quota",
    )
    .header("retry-after", "1")])
    .await;
    let config = setup(Some(&fake), None).await;
    let (message, _, retries, _) = failed(
        handler(&config, "ai_query")
            .handle(&task(&[("query", s("hi")), ("ai_provider", s("openai"))]))
            .await,
    );
    assert_eq!(retries, Some(0));
    assert!(message.contains("insufficient_quota"), "{message}");
    assert_eq!(fake.calls(OPENAI_CHAT).len(), 1);
}

#[tokio::test]
async fn unknown_model_404_fails_without_retry() {
    let fake = ollama(vec![reply(
        404,
        json!({"error": "model \"llama9\" not found, try pulling it first"}),
    )])
    .await;
    let config = setup(None, Some(&fake)).await;
    let (message, _, retries, _) = failed(
        handler(&config, "ai_query")
            .handle(&task(&[("query", s("hi")), ("model", s("llama9"))]))
            .await,
    );
    assert_eq!(retries, Some(0));
    assert!(message.contains("unknown model 'llama9'"), "{message}");
    assert_eq!(fake.calls(OLLAMA_CHAT).len(), 1);
}

#[tokio::test]
async fn a_timeout_is_retried_then_succeeds() {
    let fake = openai(vec![openai_ok("late").delayed(1_500), openai_ok("on time")]).await;
    let mut config = setup(Some(&fake), None).await;
    config.openai.timeout_ms = 200;
    let vars = completed(
        handler(&config, "ai_query")
            .handle(&task(&[("query", s("hi")), ("ai_provider", s("openai"))]))
            .await,
    );
    assert_typed(&vars, "content", "String", json!("on time"));
    assert_eq!(fake.calls(OPENAI_CHAT).len(), 2);
}

#[tokio::test]
async fn timeouts_exhausted_fail_for_the_engine_to_retry() {
    let fake = ollama(vec![ollama_ok("late").delayed(1_500)]).await;
    let mut config = setup(None, Some(&fake)).await;
    config.ollama.timeout_ms = 100;
    config.retry.max_attempts = 2;
    let (message, _, retries, _) = failed(
        handler(&config, "ai_query")
            .handle(&task(&[("query", s("hi"))]))
            .await,
    );
    assert!(
        message.contains("timeout") && message.contains("after 2 attempts"),
        "{message}"
    );
    assert_eq!(retries, None);
    assert_eq!(fake.calls(OLLAMA_CHAT).len(), 2);
}

#[tokio::test]
async fn ollama_error_in_200_is_an_error() {
    let broken = reply(
        200,
        json!({"error": "llama runner process has terminated: signal: killed"}),
    );
    let local = ollama(vec![broken.clone()]).await;
    let mut config = setup(None, Some(&local)).await;
    config.retry.max_attempts = 2;
    let (message, _, retries, _) = failed(
        handler(&config, "ai_query")
            .handle(&task(&[("query", s("hi"))]))
            .await,
    );
    assert!(
        message.contains("llama runner process has terminated"),
        "{message}"
    );
    assert_eq!(retries, None);
    assert_eq!(local.calls(OLLAMA_CHAT).len(), 2);

    // With OpenAI configured, the error hands over to it.
    let local = ollama(vec![broken]).await;
    let cloud = openai(vec![openai_ok("rescued")]).await;
    let config = setup(Some(&cloud), Some(&local)).await;
    let vars = completed(
        handler(&config, "ai_query")
            .handle(&task(&[("query", s("hi"))]))
            .await,
    );
    assert_typed(&vars, "provider", "String", json!("openai"));
}

#[tokio::test]
async fn auto_sends_short_queries_to_healthy_ollama() {
    let cloud = openai(vec![openai_ok("cloud")]).await;
    let local = ollama(vec![ollama_ok("local")]).await;
    let config = setup(Some(&cloud), Some(&local)).await;
    let vars = completed(
        handler(&config, "ai_query")
            .handle(&task(&[
                ("user_query", s("What is 2 + 2?")),
                ("ai_provider", s("auto")),
            ]))
            .await,
    );
    assert_typed(&vars, "provider", "String", json!("ollama"));
    assert_eq!(cloud.calls(OPENAI_CHAT).len(), 0);
}

#[tokio::test]
async fn auto_sends_long_queries_to_openai_when_configured() {
    let cloud = openai(vec![openai_ok("cloud")]).await;
    let local = ollama(vec![ollama_ok("local")]).await;
    let config = setup(Some(&cloud), Some(&local)).await;
    let long = "Tell me about the history of this town. ".repeat(15);
    let vars = completed(
        handler(&config, "ai_query")
            .handle(&task(&[("query", s(&long))]))
            .await,
    );
    assert_typed(&vars, "provider", "String", json!("openai"));
    assert_eq!(local.calls(OLLAMA_CHAT).len(), 0);
    // OpenAI was available: Ollama's health was never asked.
    assert_eq!(local.calls(OLLAMA_TAGS).len(), 0);

    // Without a key, the long query goes to Ollama.
    let config = config_without_key(&local).await;
    let vars = completed(
        handler(&config, "ai_query")
            .handle(&task(&[("query", s(&long))]))
            .await,
    );
    assert_typed(&vars, "provider", "String", json!("ollama"));
}

async fn config_without_key(local: &Fake) -> AiConfig {
    setup(None, Some(local)).await
}

#[tokio::test]
async fn auto_uses_openai_when_ollama_is_unhealthy() {
    let cloud = openai(vec![openai_ok("cloud")]).await;
    let sick = Fake::start(vec![
        ("/api/tags", vec![reply(500, json!({"error": "starting"}))]),
        ("/api/chat", vec![ollama_ok("should not be asked")]),
    ])
    .await;
    let config = setup(Some(&cloud), Some(&sick)).await;
    let vars = completed(
        handler(&config, "ai_query")
            .handle(&task(&[("query", s("hi"))]))
            .await,
    );
    assert_typed(&vars, "provider", "String", json!("openai"));
    assert_eq!(sick.calls(OLLAMA_TAGS).len(), 1);
    assert_eq!(sick.calls(OLLAMA_CHAT).len(), 0);
}

#[tokio::test]
async fn ollama_health_is_cached() {
    let local = ollama(vec![ollama_ok("local")]).await;
    let config = setup(None, Some(&local)).await;
    let h = handler(&config, "ai_query");
    for _ in 0..3 {
        completed(h.handle(&task(&[("query", s("hi"))])).await);
    }
    assert_eq!(local.calls(OLLAMA_TAGS).len(), 1);
    assert_eq!(local.calls(OLLAMA_CHAT).len(), 3);
}

#[tokio::test]
async fn no_provider_available_is_a_bpmn_error() {
    let config = setup(None, None).await;
    for provider in ["auto", "ollama", "openai"] {
        match handler(&config, "ai_query")
            .handle(&task(&[("query", s("hi")), ("ai_provider", s(provider))]))
            .await
        {
            Outcome::BpmnError {
                code,
                message,
                variables,
            } => {
                assert_eq!(code, "AI_PROVIDER_UNAVAILABLE");
                assert!(
                    message.contains("OPENAI_API_KEY") && message.contains("/api/tags"),
                    "{message}"
                );
                assert_typed(&variables, "success", "Boolean", json!(false));
            }
            other => panic!("{provider}: expected a BPMN error, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn an_explicit_provider_that_is_unavailable_hands_over_only_with_fallback() {
    let local = ollama(vec![ollama_ok("local")]).await;
    let mut config = setup(None, Some(&local)).await;
    let vars = completed(
        handler(&config, "ai_query")
            .handle(&task(&[("query", s("hi")), ("ai_provider", s("openai"))]))
            .await,
    );
    assert_typed(&vars, "provider", "String", json!("ollama"));
    config.fallback_enabled = false;
    let outcome = handler(&config, "ai_query")
        .handle(&task(&[("query", s("hi")), ("ai_provider", s("openai"))]))
        .await;
    assert!(
        matches!(outcome, Outcome::BpmnError { ref code, .. } if code == UNAVAILABLE),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn prompt_templates_are_filled_from_variables() {
    let local = ollama(vec![ollama_ok("done")]).await;
    let config = setup(None, Some(&local)).await;
    completed(
        handler(&config, "text_generation")
            .handle(&task(&[
                (
                    "prompt_template",
                    s("Write a thank-you note to {{customer}} for order {{order.id}}."),
                ),
                ("customer", s("Ada")),
                ("order", TypedValue::json(&json!({"id": "A-17"}))),
                ("tone", s("warm")),
            ]))
            .await,
    );
    let calls = local.calls(OLLAMA_CHAT);
    assert_eq!(
        calls[0].body["messages"],
        json!([
            {"role": "system", "content": "You are a skilled writer. Write text of medium length in a warm tone."},
            {"role": "user", "content": "Write a thank-you note to Ada for order A-17."}
        ])
    );

    let (message, _, retries, _) = failed(
        handler(&config, "ai_query")
            .handle(&task(&[("prompt_template", s("Hello {{customer_name}}"))]))
            .await,
    );
    assert_eq!(retries, Some(0));
    assert!(message.contains("{{customer_name}}"), "{message}");
    assert_eq!(local.calls(OLLAMA_CHAT).len(), 1);
}

#[tokio::test]
async fn unknown_provider_names_and_bad_settings_fail_without_retry() {
    let local = ollama(vec![ollama_ok("x")]).await;
    let config = setup(None, Some(&local)).await;
    let h = handler(&config, "ai_query");
    let (message, _, retries, _) = failed(
        h.handle(&task(&[("query", s("hi")), ("ai_provider", s("gemini"))]))
            .await,
    );
    assert_eq!(retries, Some(0));
    assert!(
        message.contains("'gemini'") && message.contains("auto, openai, ollama"),
        "{message}"
    );
    let (message, _, retries, _) = failed(
        h.handle(&task(&[("query", s("hi")), ("max_tokens", s("lots"))]))
            .await,
    );
    assert_eq!(retries, Some(0));
    assert!(message.contains("max_tokens"), "{message}");
    let (message, _, _, _) = failed(h.handle(&task(&[("context", s("no query"))])).await);
    assert!(message.contains("'query'"), "{message}");
    assert_eq!(local.calls(OLLAMA_CHAT).len(), 0);
}

#[tokio::test]
async fn provider_selection_reports_the_choice_without_a_model_call() {
    let cloud = openai(vec![openai_ok("x")]).await;
    let local = ollama(vec![ollama_ok("x")]).await;
    let config = setup(Some(&cloud), Some(&local)).await;
    let h = handler(&config, "provider_selection");
    let vars = completed(h.handle(&task(&[("user_query", s("Hello there"))])).await);
    assert_typed(&vars, "selected_provider", "String", json!("ollama"));
    assert_eq!(
        var(&vars, "selection_reason").type_name.as_deref(),
        Some("String")
    );
    let score = var(&vars, "complexity_score");
    assert_eq!(score.type_name.as_deref(), Some("Double"));
    assert!(score.value.as_f64().is_some_and(|s| s < 0.5), "{score:?}");

    let hard =
        "Design a distributed architecture, compare the trade-offs and explain why, step by step.";
    let vars = completed(
        h.handle(&task(&[
            ("user_query", s(hard)),
            ("ai_provider", s("auto")),
            ("max_tokens", TypedValue::long(2000)),
        ]))
        .await,
    );
    assert_typed(&vars, "selected_provider", "String", json!("openai"));
    assert_eq!(
        cloud.calls(OPENAI_CHAT).len() + local.calls(OLLAMA_CHAT).len(),
        0
    );
}

#[tokio::test]
async fn ai_completion_sends_the_message_list() {
    let cloud = openai(vec![openai_ok("Paris")]).await;
    let config = setup(Some(&cloud), None).await;
    let messages = json!([
        {"role": "system", "content": "Answer with one word."},
        {"role": "user", "content": "Capital of France?"}
    ]);
    let vars = completed(
        handler(&config, "ai_completion")
            .handle(&task(&[("messages", TypedValue::json(&messages))]))
            .await,
    );
    assert_typed(&vars, "content", "String", json!("Paris"));
    assert_eq!(cloud.calls(OPENAI_CHAT)[0].body["messages"], messages);
}

#[tokio::test]
async fn handlers_cover_every_topic_under_configured_names() {
    let mut config = AiConfig::default();
    let names: Vec<String> = handlers(&config).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "ai_query",
            "text_generation",
            "analysis",
            "code_generation",
            "code_analysis",
            "translation",
            "ai_completion",
            "provider_selection"
        ]
    );
    config.topics.ai_query = "ask_ai".to_owned();
    config.topics.analysis = String::new();
    let names: Vec<String> = handlers(&config).into_iter().map(|(n, _)| n).collect();
    assert!(names.contains(&"ask_ai".to_owned()) && !names.contains(&"analysis".to_owned()));
    assert_eq!(names.len(), 7);
}
