//! The TLS client configuration shared by the generic worker's HTTP clients: rustls with
//! the `ring` provider and the platform's certificate verifier, built once, so that no
//! process-wide crypto provider has to be installed and no client reloads the roots.

use std::sync::Arc;

/// The configuration, or None (logged) when the platform verifier cannot be set up; the
/// HTTP clients then fall back to their own, for which `ring` is installed as the
/// process's default provider (unless one already is).
pub fn client_config() -> Option<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = match rustls_platform_verifier::Verifier::new(Arc::clone(&provider)) {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!("cannot set up the platform certificate verifier: {e}");
            fallback();
            return None;
        }
    };
    match rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
    {
        Ok(builder) => Some(
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(verifier))
                .with_no_client_auth(),
        ),
        Err(e) => {
            tracing::warn!("cannot set up TLS: {e}");
            fallback();
            None
        }
    }
}

fn fallback() {
    // Err means a provider is installed already, which is as good.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
