//! What every clone of a [`Client`](crate::Client) shares: its settings, its key and the
//! rate-limit window.

use std::sync::Arc;

use crate::auth::{ApiKey, Redactor};
use crate::rate_limit::RateLimiter;
use crate::settings::Settings;

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
