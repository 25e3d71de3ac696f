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

/// Sends `request` with `timeout` (connect, send and read the whole body).
pub(crate) async fn send(
    provider: ProviderKind,
    request: reqwest::RequestBuilder,
    timeout: Duration,
) -> Result<Answer, ProviderError> {
    let response = request
        .timeout(timeout)
        .send()
        .await
        .map_err(|e| ProviderError::from_reqwest(provider, &e, timeout))?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .text()
        .await
        .map_err(|e| ProviderError::from_reqwest(provider, &e, timeout))?;
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

/// A client for the providers: `reqwest` with rustls. Installs the `ring` crypto provider
/// when the process has none yet (reqwest panics without one).
pub(crate) fn client() -> Result<reqwest::Client, reqwest::Error> {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing the race to another installer is fine: a provider is installed either way.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    reqwest::Client::builder().build()
}
