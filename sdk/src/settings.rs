//! What a client is configured with, as plain data, and why a configuration is refused:
//! [`ConfigError`]. The builder that fills them is `config.rs`.

use std::fmt;
use std::time::Duration;

/// How a client behaves, fixed when it is built.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub(crate) timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) operation_timeout: Option<Duration>,
    pub(crate) max_retries: u32,
    pub(crate) backoff_base: Duration,
    pub(crate) backoff_cap: Duration,
    pub(crate) max_retry_wait: Duration,
    pub(crate) idempotent_creates: bool,
    pub(crate) rate_limit_aware: bool,
    pub(crate) max_response_bytes: u64,
    pub(crate) dry_run: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            operation_timeout: None,
            max_retries: 2,
            backoff_base: Duration::from_millis(500),
            backoff_cap: Duration::from_secs(8),
            max_retry_wait: Duration::from_secs(60),
            idempotent_creates: true,
            rate_limit_aware: true,
            max_response_bytes: 4 * 1024 * 1024,
            dry_run: false,
        }
    }
}

/// Why a client could not be configured. The message names the setting and the rule;
/// it never shows the API key.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// No API key, or an empty one.
    MissingApiKey,
    /// The API key holds characters an HTTP header cannot carry.
    InvalidApiKey,
    /// A required environment variable is not set.
    MissingEnv(&'static str),
    /// A required environment variable is set, but empty (or only whitespace).
    EmptyEnv(&'static str),
    /// An environment variable does not hold what it should.
    InvalidEnv {
        /// The variable.
        name: &'static str,
        /// What it should hold.
        rule: &'static str,
    },
    /// The base URL is not usable.
    InvalidBaseUrl {
        /// The URL as given.
        url: String,
        /// The rule it breaks.
        rule: String,
    },
    /// A root certificate given to
    /// [`add_root_certificate_pem`](crate::ClientBuilder::add_root_certificate_pem) is not
    /// usable PEM.
    InvalidCertificate(String),
    /// The HTTP client (or its TLS configuration) could not be built.
    Http(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingApiKey => f.write_str("api_key: an API key is required"),
            Self::InvalidApiKey => f.write_str(
                "api_key: must contain only visible ASCII characters, with no space inside \
                 (the key is not shown)",
            ),
            Self::MissingEnv(name) => write!(f, "{name} is not set; it is required"),
            Self::EmptyEnv(name) => write!(f, "{name} is set but empty; it is required"),
            Self::InvalidEnv { name, rule } => write!(f, "{name} must be {rule}"),
            Self::InvalidBaseUrl { url, rule } => write!(f, "base_url {url:?}: {rule}"),
            Self::InvalidCertificate(e) => write!(f, "add_root_certificate_pem: {e}"),
            Self::Http(e) => write!(f, "cannot build the HTTP client: {e}"),
        }
    }
}

impl std::error::Error for ConfigError {}
