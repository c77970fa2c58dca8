//! Building a [`Client`]: base URL, API key, TLS.

use std::fmt;

use reqwest::header::HeaderMap;

use crate::Client;
use crate::auth::{API_KEY_HEADER, ApiKey};

/// Where the Thena platform's API lives.
pub const DEFAULT_BASE_URL: &str = "https://platform.thena.ai";

impl Client {
    /// Starts building a client; [`ClientBuilder::build`] checks the settings.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }
}

/// Settings for a [`Client`]. Its `Debug` never shows the API key.
#[derive(Clone, Debug)]
pub struct ClientBuilder {
    base_url: String,
    api_key: Option<ApiKey>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            api_key: None,
        }
    }
}

impl ClientBuilder {
    /// The API's base URL, scheme and host with an optional port and path prefix.
    /// Defaults to [`DEFAULT_BASE_URL`]; a trailing slash is harmless.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// The API key, sent as the `x-api-key` header on every request. Required.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(ApiKey::new(key.into()));
        self
    }

    /// Checks the settings and builds the client. Never panics.
    pub fn build(self) -> Result<Client, ConfigError> {
        let base_url = normalize_base_url(&self.base_url)?;
        let key = self.api_key.ok_or(ConfigError::MissingApiKey)?;
        if key.is_empty() {
            return Err(ConfigError::MissingApiKey);
        }
        let mut headers = HeaderMap::new();
        headers.insert(
            API_KEY_HEADER,
            key.header_value().ok_or(ConfigError::InvalidApiKey)?,
        );

        let tls = crate::tls::client_config().map_err(|e| ConfigError::Http(e.to_string()))?;
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .tls_backend_preconfigured(tls)
            .build()
            .map_err(|e| ConfigError::Http(e.to_string()))?;
        Ok(Client {
            baseurl: base_url,
            client: http,
        })
    }
}

/// Parses the base URL and drops trailing slashes: the generated code appends paths
/// that start with `/`, and `https://host//v1/tickets` is a different URL.
fn normalize_base_url(raw: &str) -> Result<String, ConfigError> {
    let invalid = |rule: &str| ConfigError::InvalidBaseUrl {
        url: raw.to_owned(),
        rule: rule.to_owned(),
    };
    let url = reqwest::Url::parse(raw.trim()).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("the scheme must be http or https"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("it must not have a query or a fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("it must not carry credentials"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// Why [`ClientBuilder::build`] refused the settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// No API key, or an empty one.
    MissingApiKey,
    /// The API key holds characters an HTTP header cannot carry (it is not shown).
    InvalidApiKey,
    /// The base URL is not usable.
    InvalidBaseUrl {
        /// The URL as given.
        url: String,
        /// The rule it breaks.
        rule: String,
    },
    /// The HTTP client (or its TLS configuration) could not be built.
    Http(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingApiKey => f.write_str("api_key: an API key is required"),
            Self::InvalidApiKey => f.write_str(
                "api_key: must contain only visible ASCII characters (the key is not shown)",
            ),
            Self::InvalidBaseUrl { url, rule } => write!(f, "base_url {url:?}: {rule}"),
            Self::Http(e) => write!(f, "cannot build the HTTP client: {e}"),
        }
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_slashes_are_dropped() {
        assert_eq!(
            normalize_base_url("http://127.0.0.1:8080/").as_deref(),
            Ok("http://127.0.0.1:8080")
        );
        assert_eq!(
            normalize_base_url("https://h.example/api//").as_deref(),
            Ok("https://h.example/api")
        );
        assert_eq!(
            normalize_base_url(DEFAULT_BASE_URL).as_deref(),
            Ok(DEFAULT_BASE_URL)
        );
    }

    #[test]
    fn unusable_base_urls_are_refused_with_the_rule() {
        for (url, rule) in [
            ("platform.thena.ai", "relative URL without a base"),
            ("ftp://h.example", "scheme"),
            ("https://h.example/?a=1", "query"),
            ("https://user:pw@h.example", "credentials"),
        ] {
            let err = Client::builder()
                .api_key("k")
                .base_url(url)
                .build()
                .expect_err(url);
            assert!(
                matches!(&err, ConfigError::InvalidBaseUrl { .. }),
                "{err:?}"
            );
            assert!(err.to_string().contains(rule), "{url}: {err}");
        }
    }

    #[test]
    fn api_key_is_required_and_checked_without_being_shown() {
        assert_eq!(
            Client::builder().build().err(),
            Some(ConfigError::MissingApiKey)
        );
        assert_eq!(
            Client::builder().api_key("  ").build().err(),
            Some(ConfigError::MissingApiKey)
        );
        let err = Client::builder()
            .api_key("secret\nkey")
            .build()
            .expect_err("newline");
        assert_eq!(err, ConfigError::InvalidApiKey);
        assert!(!err.to_string().contains("secret"));
    }

    #[test]
    fn debug_output_redacts_the_key() {
        const KEY: &str = "tk_live_DISTINCTIVE_0123456789";
        let builder = Client::builder().api_key(KEY);
        assert!(!format!("{builder:?}").contains(KEY));
        let client = builder.build().expect("valid settings");
        let shown = format!("{client:?}");
        assert!(shown.contains("x-api-key"), "{shown}");
        assert!(!shown.contains(KEY), "{shown}");
    }
}
