//! What a response's headers say about the request, read without trusting them: the
//! rate-limit window (`X-RateLimit-*`) and the request id. Values that are missing, not
//! numbers or beyond any clock read as absent.

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, HeaderName};

/// Headers that carry a request id, in the order they are looked for.
const REQUEST_ID_HEADERS: [HeaderName; 3] = [
    HeaderName::from_static("x-request-id"),
    HeaderName::from_static("x-amzn-requestid"),
    HeaderName::from_static("request-id"),
];
const RATE_LIMIT_LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
const RATE_LIMIT_REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
const RATE_LIMIT_RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");

/// The request id among `headers`, from the first header of [`REQUEST_ID_HEADERS`] that
/// has a readable one.
pub(crate) fn request_id(headers: &HeaderMap) -> Option<&str> {
    REQUEST_ID_HEADERS
        .iter()
        .find_map(|h| headers.get(h)?.to_str().ok())
}

/// The rate-limit window reported by `X-RateLimit-Limit`, `-Remaining` and `-Reset`.
/// Each is `None` when the header is missing or not a number; a reset no clock can
/// represent counts as missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed in the window.
    pub limit: Option<u64>,
    /// Requests left in the window.
    pub remaining: Option<u64>,
    /// When the window resets.
    pub reset: Option<SystemTime>,
}

impl RateLimit {
    /// The window, when at least one of the three headers is present and readable.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let number = |name| headers.get(name)?.to_str().ok()?.trim().parse::<u64>().ok();
        let reset = number(RATE_LIMIT_RESET)
            .and_then(|secs| SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(secs)));
        let window = Self {
            limit: number(RATE_LIMIT_LIMIT),
            remaining: number(RATE_LIMIT_REMAINING),
            reset,
        };
        (window != Self::NONE).then_some(window)
    }

    const NONE: Self = Self {
        limit: None,
        remaining: None,
        reset: None,
    };
}
