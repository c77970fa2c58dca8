//! What `generated.rs` runs on. codegen points the generated code's imports here instead
//! of at `progenitor_client`: the SDK's own [`Error`], [`ResponseValue`] and hooks keep
//! every fact about a call (status, server message, request id, attempts), which
//! progenitor's types have no room for.

use std::sync::Arc;

pub use crate::error::Error;
pub(crate) use crate::hooks::ClientHooks;
pub use crate::response::ResponseValue;
pub use progenitor_client::{ByteStream, ClientInfo};
pub(crate) use progenitor_client::{OperationInfo, RequestBuilderExt};

use crate::auth::{ApiKey, Redactor};
use crate::config::Settings;
use crate::rate_limit::RateLimiter;

/// The hand-written state every [`Client`](crate::Client) carries: its settings, its key
/// and the rate-limit window it shares with its clones.
#[derive(Clone, Debug)]
pub struct Runtime {
    pub(crate) settings: Arc<Settings>,
    pub(crate) api_key: ApiKey,
    pub(crate) redactor: Redactor,
    pub(crate) rate_limit: Arc<RateLimiter>,
}

impl Runtime {
    pub(crate) fn new(settings: Settings, api_key: ApiKey) -> Self {
        Self {
            rate_limit: RateLimiter::new(settings.rate_limit_aware),
            settings: Arc::new(settings),
            redactor: api_key.redactor(),
            api_key,
        }
    }
}

/// A path parameter, percent-encoded as one segment. codegen routes every path parameter
/// through here: an empty value, `.` or `..` would be resolved by the URL parser into
/// another path (`PATCH /v1/tickets/..` is `PATCH /v1/`), so they are refused before
/// anything is sent.
pub(crate) fn path_segment(name: &str, value: &str) -> Result<String, String> {
    if matches!(value, "" | "." | "..") {
        return Err(format!(
            "{name}: must not be empty, \".\" or \"..\", which would address another URL \
             (got {value:?})"
        ));
    }
    Ok(progenitor_client::encode_path(value))
}

#[cfg(test)]
mod tests {
    use super::path_segment;

    #[test]
    fn dot_segments_and_empty_values_are_refused() {
        for bad in ["", ".", ".."] {
            let err = path_segment("id", bad).expect_err(bad);
            assert!(err.starts_with("id: must not be empty"), "{err}");
        }
        for (value, encoded) in [
            ("abc", "abc"),
            ("...", "..."),
            ("a/..", "a%2F.."),
            ("%2e%2e", "%252e%252e"),
            (".hidden", ".hidden"),
        ] {
            assert_eq!(path_segment("id", value).as_deref(), Ok(encoded));
        }
    }
}
