//! [`ResponseValue`]: a decoded body with everything the response said about itself,
//! [`ResponseHead`], those facts on their own, and [`CallFacts`], what is known of the
//! call beyond its last response.

use std::fmt;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::auth::Redactor;
use crate::headers::{self, RateLimit};
use crate::idempotency::DedupKey;
use crate::retry::{self, Stop};

/// What is known of a call beyond its last response: how many attempts it made, the
/// `deDuplicationKey` a create carried, whether an earlier attempt may have been carried
/// out, and why it stopped. Every result and every error that got past sending has one.
#[derive(Clone, Debug, Default)]
pub struct CallFacts {
    /// Requests sent for the call (1 plus the retries); 0 before the first is sent.
    pub(crate) attempts: u32,
    /// The `deDuplicationKey` a create was sent with, the caller's or a generated one.
    pub(crate) dedup_key: Option<DedupKey>,
    /// Whether an earlier attempt may have been carried out by the server although its
    /// answer never arrived whole (a dropped connection, a timeout, a cut body, a 5xx).
    pub(crate) earlier_attempt_uncertain: bool,
    /// Why no further attempt was made, once the call has ended in a failure.
    pub(crate) stop: Option<Stop>,
    /// Whether an earlier attempt was answered with a success status (its body then
    /// broke off): the server carried the request out.
    pub(crate) succeeded_earlier: bool,
    /// Cuts the API key out of whatever the server sends back.
    pub(crate) redactor: Redactor,
}

impl CallFacts {
    /// How many requests were sent for the call: 1 plus the retries.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The `deDuplicationKey` a create was sent with: the caller's, or the one the SDK
    /// generated. Sending the create again with this key cannot duplicate the ticket.
    pub fn dedup_key(&self) -> Option<&str> {
        self.dedup_key.as_ref().map(|k| &*k.key)
    }

    /// Whether the caller set the `deDuplicationKey` (and may have sent it in another
    /// call before), rather than the SDK generating it for this call.
    pub fn callers_key(&self) -> bool {
        self.dedup_key.as_ref().is_some_and(|k| k.callers)
    }

    /// Whether an earlier attempt of this call may have been carried out although its
    /// answer was lost (a dropped connection, a timeout, a body cut short, a 5xx).
    pub fn earlier_attempt_may_have_created(&self) -> bool {
        self.earlier_attempt_uncertain
    }

    /// Why a failed call made no further attempt; `None` for a call that succeeded.
    pub fn stop(&self) -> Option<Stop> {
        self.stop
    }
}

/// The request id among `headers`, unless it repeats the API key.
pub(crate) fn request_id<'a>(headers: &'a HeaderMap, redactor: &Redactor) -> Option<&'a str> {
    headers::request_id(headers).filter(|id| !redactor.finds(id.as_bytes()))
}

/// The status line and headers of a response, how many attempts the call took, and the
/// `deDuplicationKey` it carried.
#[derive(Clone)]
pub struct ResponseHead {
    status: StatusCode,
    headers: HeaderMap,
    facts: CallFacts,
    /// The body of an error answer as received, for code that asks for it.
    pub(crate) raw_error_body: Option<Bytes>,
}

impl ResponseHead {
    pub(crate) fn new(status: StatusCode, headers: HeaderMap, facts: CallFacts) -> Self {
        Self {
            status,
            headers,
            facts,
            raw_error_body: None,
        }
    }

    pub(crate) fn redactor(&self) -> &Redactor {
        &self.facts.redactor
    }

    pub(crate) fn facts(&self) -> &CallFacts {
        &self.facts
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Every response header, exactly as received.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// How many requests were sent for this call: 1 plus the retries.
    pub fn attempts(&self) -> u32 {
        self.facts.attempts
    }

    /// The server's id for the request, from `x-request-id` or a similar header. An id
    /// that contains the API key is not reported.
    pub fn request_id(&self) -> Option<&str> {
        request_id(&self.headers, &self.facts.redactor)
    }

    /// The rate-limit window the server reported (`X-RateLimit-*` headers).
    pub fn rate_limit(&self) -> Option<RateLimit> {
        RateLimit::from_headers(&self.headers)
    }

    /// How long the server asked the client to wait (`Retry-After`, or the rate-limit
    /// reset of a 429), measured from now. A wait of more than a day, or one no clock
    /// can represent, counts as not given.
    pub fn retry_after(&self) -> Option<Duration> {
        retry::server_wait(self.status, &self.headers, SystemTime::now())
    }

    /// The `deDuplicationKey` a create was sent with: the caller's, or the one the SDK
    /// generated. Sending a create again with this key cannot duplicate the ticket.
    pub fn dedup_key(&self) -> Option<&str> {
        self.facts.dedup_key()
    }

    /// Whether an earlier attempt of this call may have been carried out although its
    /// answer was lost (a dropped connection, a timeout, a body cut short, a 5xx). On a
    /// successful create, the ticket returned may then be that attempt's, replayed for
    /// the same `deDuplicationKey`, rather than one the last attempt created.
    pub fn earlier_attempt_may_have_created(&self) -> bool {
        self.facts.earlier_attempt_uncertain
    }

    /// Every response header as text (`name`, `value`), with the API key cut out of
    /// both: what to print or log of them.
    pub fn redacted_headers(&self) -> Vec<(String, String)> {
        self.facts.redactor.headers(&self.headers)
    }

    /// The body of an error answer exactly as received, the API key included if the
    /// server echoed it. Everything else the SDK shows of the body is redacted.
    pub fn raw_error_body(&self) -> Option<&[u8]> {
        self.raw_error_body.as_deref()
    }
}

/// Shows what the response said, with every header value that repeats the API key
/// redacted.
impl fmt::Debug for ResponseHead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseHead")
            .field("status", &self.status)
            .field("headers", &self.redacted_headers())
            .field("attempts", &self.facts.attempts)
            .field("dedup_key", &self.facts.dedup_key())
            .field(
                "raw_error_body",
                &self
                    .raw_error_body
                    .as_ref()
                    .map(|b| format!("{} bytes", b.len())),
            )
            .finish()
    }
}

/// A successful response: the decoded body (reachable through `Deref`) with its head.
pub struct ResponseValue<T> {
    inner: T,
    head: ResponseHead,
}

impl<T> ResponseValue<T> {
    /// A body with its head: an answer as the hooks read it (`T` is its bytes), or as
    /// `decode.rs` turned it into a value.
    pub(crate) fn new(head: ResponseHead, inner: T) -> Self {
        Self { inner, head }
    }

    /// The body and the head, apart.
    pub(crate) fn into_parts(self) -> (T, ResponseHead) {
        (self.inner, self.head)
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

    /// Status, headers, attempts, request id, rate limit and `deDuplicationKey`.
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

/// The body and head, with the API key cut out wherever the server echoed it.
impl<T: fmt::Debug> fmt::Debug for ResponseValue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Shown<'a, T>(&'a ResponseValue<T>);
        impl<T: fmt::Debug> fmt::Debug for Shown<'_, T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct("ResponseValue")
                    .field("inner", &self.0.inner)
                    .field("head", &self.0.head)
                    .finish()
            }
        }
        self.head.redactor().debug(f, &Shown(self))
    }
}
