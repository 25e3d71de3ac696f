//! One HTTP exchange with a provider, its transport errors turned into [`ProviderError`]s.

use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::StatusCode;

use super::provider::{ProviderError, ProviderKind};

/// The answer to one request, body read in full.
pub(crate) struct Answer {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body as text.
    pub body: String,
}

/// Sends `request` (to `url`) with `timeout` (connect, send and read the whole body).
pub(crate) async fn send(
    provider: ProviderKind,
    url: &str,
    request: reqwest::RequestBuilder,
    timeout: Duration,
) -> Result<Answer, ProviderError> {
    let fail = |e: reqwest::Error| {
        ProviderError::from_reqwest(provider, &safe_url(url), &e.without_url(), timeout)
    };
    let response = request.timeout(timeout).send().await.map_err(fail)?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.text().await.map_err(fail)?;
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// `base` and `path` joined with exactly one slash.
pub(crate) fn join(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

/// `url` fit for logs and messages: user name, password, query and fragment left out
/// (a reverse proxy in front of Ollama may take credentials in the URL).
pub(crate) fn safe_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.set_query(None);
            parsed.set_fragment(None);
            parsed.to_string()
        }
        Err(_) => "(an invalid URL)".to_owned(),
    }
}

/// A client for the providers: `reqwest` with rustls. Installs the `ring` crypto provider
/// when the process has none yet (reqwest panics without one).
pub(crate) fn client() -> Result<reqwest::Client, reqwest::Error> {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing the race to another installer is fine: a provider is installed either way.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    reqwest::Client::builder().build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_credentials_in_logs() {
        assert_eq!(
            safe_url("https://user:secret@ollama.example:8443/base?token=x#f"),
            "https://ollama.example:8443/base"
        );
        assert_eq!(
            join("http://h:1/v1/", "/chat/completions"),
            "http://h:1/v1/chat/completions"
        );
    }
}
