//! TLS through rustls with the crypto provider chosen by this crate's features, and the
//! platform's certificate verifier.
//!
//! `aws-lc-rs` (the default) offers the hybrid post-quantum key exchange X25519MLKEM768
//! first, so that recorded traffic (API keys, tickets) cannot be decrypted later; `ring`
//! is for builds that cannot build aws-lc, and negotiates classical key exchange only.
//! The config is built here and handed to reqwest ready-made, so that no process-wide
//! crypto provider needs to be installed (reqwest would panic without one).

use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::CertificateDer;
use rustls_platform_verifier::Verifier;

#[cfg(not(any(feature = "aws-lc-rs", feature = "ring")))]
compile_error!(
    "thena-sdk needs a TLS crypto provider: enable its feature `aws-lc-rs` (the default) \
     or, for builds that cannot build aws-lc, `ring`"
);

/// The provider of the `aws-lc-rs` feature, which wins when both are on (aws-lc is built
/// then anyway): rustls's defaults with X25519MLKEM768 first.
#[cfg(feature = "aws-lc-rs")]
fn provider() -> CryptoProvider {
    rustls::crypto::aws_lc_rs::default_provider()
}

/// The provider of the `ring` feature.
#[cfg(all(feature = "ring", not(feature = "aws-lc-rs")))]
// rustls deprecates its ring provider for lacking post-quantum key exchange; choosing
// it is what the opt-in `ring` feature is for.
#[allow(deprecated)]
fn provider() -> CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// A client config trusting the platform's roots and `extra_roots`.
pub(crate) fn client_config(
    extra_roots: &[CertificateDer<'static>],
) -> Result<rustls::ClientConfig, rustls::Error> {
    let provider = Arc::new(provider());
    let verifier = if extra_roots.is_empty() {
        Verifier::new(provider.clone())?
    } else {
        Verifier::new_with_extra_roots(extra_roots.iter().cloned(), provider.clone())?
    };
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth())
}
