//! The API key: kept out of every `Debug` and `Display`, sent as a sensitive header.

use std::fmt;

use reqwest::header::{HeaderName, HeaderValue};

use crate::config::ConfigError;

/// The header Thena reads the key from.
pub(crate) const API_KEY_HEADER: HeaderName = HeaderName::from_static("x-api-key");

/// A checked API key, held as the header value it is sent as. The value is marked
/// sensitive, so reqwest and hyper never print it; this type's `Debug` never shows it.
#[derive(Clone)]
pub(crate) struct ApiKey(HeaderValue);

impl ApiKey {
    pub(crate) fn parse(key: &str) -> Result<Self, ConfigError> {
        if key.trim().is_empty() {
            return Err(ConfigError::MissingApiKey);
        }
        let mut value = HeaderValue::from_str(key).map_err(|_| ConfigError::InvalidApiKey)?;
        value.set_sensitive(true);
        Ok(Self(value))
    }

    pub(crate) fn header_value(&self) -> HeaderValue {
        self.0.clone()
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}
