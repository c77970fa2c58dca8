//! What `generated.rs` runs on. codegen points the generated code's imports here instead
//! of at `progenitor_client`: the SDK's own [`Error`], [`ResponseValue`] and hooks keep
//! every fact about a call (status, server message, request id, attempts), which
//! progenitor's types have no room for.

use std::sync::Arc;

pub use crate::error::Error;
pub(crate) use crate::hooks::ClientHooks;
pub use crate::response::ResponseValue;
pub use progenitor_client::{ByteStream, ClientInfo};
pub(crate) use progenitor_client::{OperationInfo, RequestBuilderExt, encode_path};

use crate::auth::ApiKey;
use crate::config::Settings;
use crate::rate_limit::RateLimiter;

/// The hand-written state every [`Client`](crate::Client) carries: its settings, its key
/// and the rate-limit window it shares with its clones.
#[derive(Clone, Debug)]
pub struct Runtime {
    pub(crate) settings: Arc<Settings>,
    pub(crate) api_key: ApiKey,
    pub(crate) rate_limit: Arc<RateLimiter>,
}

impl Runtime {
    pub(crate) fn new(settings: Settings, api_key: ApiKey) -> Self {
        let rate_limit = Arc::new(RateLimiter::new(settings.rate_limit_aware));
        Self {
            settings: Arc::new(settings),
            api_key,
            rate_limit,
        }
    }
}
