//! TLS through rustls with the ring provider and the platform's certificate verifier.
//!
//! The config is built here and handed to reqwest ready-made, so that no process-wide
//! crypto provider needs to be installed (reqwest would panic without one).

use std::sync::Arc;

use rustls_platform_verifier::BuilderVerifierExt;

pub(crate) fn client_config() -> Result<rustls::ClientConfig, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_platform_verifier()?
        .with_no_client_auth())
}
