//! What every handler shares: the key, the store, the faults, the limit and the log.

use axum::http::HeaderMap;

use crate::OnDuplicate;
use crate::chaos::ChaosState;
use crate::faults::Faults;
use crate::rate_limit::Limiter;
use crate::requests::{ApiKeyCheck, RequestLog};
use crate::store::Store;

/// What a sandbox keeps in memory.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Memory {
    /// The request log's capacity.
    pub(crate) request_log: usize,
    /// Whether only what deduplication needs is kept of each ticket.
    pub(crate) keys_only: bool,
}

pub(crate) struct Shared {
    api_key: String,
    pub(crate) store: Store,
    pub(crate) faults: Faults,
    pub(crate) chaos: ChaosState,
    pub(crate) limiter: Limiter,
    pub(crate) log: RequestLog,
    pub(crate) on_duplicate: OnDuplicate,
}

impl Shared {
    pub(crate) fn new(
        api_key: String,
        limiter: Limiter,
        on_duplicate: OnDuplicate,
        memory: Memory,
    ) -> Self {
        Self {
            api_key,
            on_duplicate,
            store: Store::new(memory.keys_only),
            faults: Faults::default(),
            chaos: ChaosState::default(),
            limiter,
            log: RequestLog::new(memory.request_log),
        }
    }

    pub(crate) fn check_key(&self, headers: &HeaderMap) -> ApiKeyCheck {
        match headers.get("x-api-key") {
            None => ApiKeyCheck::Missing,
            Some(key) if key.as_bytes() == self.api_key.as_bytes() => ApiKeyCheck::Valid,
            Some(_) => ApiKeyCheck::Invalid,
        }
    }
}
