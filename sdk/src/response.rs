//! [`ResponseValue`]: a decoded body with everything the response said about itself.

use std::fmt;
use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

use crate::error::Error;
use crate::retry;

/// Headers that carry a request id, in the order they are looked for.
const REQUEST_ID_HEADERS: [&str; 3] = ["x-request-id", "x-amzn-requestid", "request-id"];

/// The request id among `headers`, if the server sent one.
pub(crate) fn request_id(headers: &HeaderMap) -> Option<&str> {
    REQUEST_ID_HEADERS
        .iter()
        .find_map(|h| headers.get(*h)?.to_str().ok())
}

/// How many attempts the transport made; stored in the response's extensions by the
/// hooks, read back here so that every result and error can report it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Attempts(pub(crate) u32);

impl Attempts {
    /// The attempts behind `response`: 1 unless the hooks recorded more.
    pub(crate) fn of(response: &reqwest::Response) -> u32 {
        response.extensions().get::<Attempts>().map_or(1, |a| a.0)
    }
}

/// The status line and headers of a response, and how many attempts it took.
#[derive(Clone, Debug)]
pub struct ResponseHead {
    status: StatusCode,
    headers: HeaderMap,
    attempts: u32,
}

impl ResponseHead {
    pub(crate) fn of(response: &reqwest::Response) -> Self {
        Self {
            status: response.status(),
            headers: response.headers().clone(),
            attempts: Attempts::of(response),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Every response header.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// How many requests were sent for this call: 1 plus the retries.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The server's id for the request, from `x-request-id` or a similar header.
    pub fn request_id(&self) -> Option<&str> {
        REQUEST_ID_HEADERS
            .iter()
            .find_map(|h| self.headers.get(*h)?.to_str().ok())
    }

    /// The rate-limit window the server reported (`X-RateLimit-*` headers).
    pub fn rate_limit(&self) -> Option<RateLimit> {
        RateLimit::from_headers(&self.headers)
    }

    /// How long the server asked the client to wait (`Retry-After`, or the rate-limit
    /// reset of a 429), measured from now.
    pub fn retry_after(&self) -> Option<Duration> {
        retry::server_wait(self.status, &self.headers, SystemTime::now())
    }
}

/// The rate-limit window reported by `X-RateLimit-Limit`, `-Remaining` and `-Reset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed in the window.
    pub limit: Option<u64>,
    /// Requests left in the window.
    pub remaining: u64,
    /// When the window resets.
    pub reset: SystemTime,
}

impl RateLimit {
    pub(crate) fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let number = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<u64>().ok();
        Some(Self {
            limit: number("x-ratelimit-limit"),
            remaining: number("x-ratelimit-remaining")?,
            reset: SystemTime::UNIX_EPOCH + Duration::from_secs(number("x-ratelimit-reset")?),
        })
    }
}

/// A successful response: the decoded body (reachable through `Deref`) with its head.
pub struct ResponseValue<T> {
    inner: T,
    head: ResponseHead,
}

impl<T: DeserializeOwned> ResponseValue<T> {
    /// Reads and decodes a response body. A body that cannot be read or decoded becomes
    /// an error that still carries the status, the headers and the raw bytes.
    #[doc(hidden)]
    pub async fn from_response<E>(response: reqwest::Response) -> Result<Self, Error<E>> {
        let head = ResponseHead::of(&response);
        let body = match response.bytes().await {
            Ok(body) => body,
            Err(source) => return Err(Error::ResponseBodyError { head, source }),
        };
        match serde_json::from_slice(&body) {
            Ok(inner) => Ok(Self { inner, head }),
            Err(source) => Err(Error::InvalidResponsePayload { head, body, source }),
        }
    }
}

impl<T> ResponseValue<T> {
    /// The decoded body.
    pub fn into_inner(self) -> T {
        self.inner
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.head.status
    }

    /// Every response header.
    pub fn headers(&self) -> &HeaderMap {
        &self.head.headers
    }

    /// Status, headers, attempts, request id and rate limit.
    pub fn head(&self) -> &ResponseHead {
        &self.head
    }
}

impl<T> std::ops::Deref for ResponseValue<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T: fmt::Debug> fmt::Debug for ResponseValue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseValue")
            .field("inner", &self.inner)
            .field("head", &self.head)
            .finish()
    }
}
