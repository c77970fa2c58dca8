//! [`Error`]: every way a call can fail, each keeping what is known about it.
//!
//! The variants are progenitor's (the generated code constructs some of them), reshaped
//! so that no failure loses its facts: a body that does not decode still carries its
//! status and headers, and every failure after a send knows how many attempts were made
//! and which `deDuplicationKey` a create carried. Nothing shown of an error repeats the
//! API key, even when the server echoed it.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::LOCATION;

use crate::auth::Redactor;
use crate::response::{RateLimit, ResponseHead, ResponseValue};
use crate::retry;
use crate::transport::{Cause, Timeout};
use crate::types;

/// How much of an undecodable body `Display` shows.
const SNIPPET_CHARS: usize = 300;

/// A failed call. `E` is the documented error body, [`types::ErrorResponse`].
#[non_exhaustive]
pub enum Error<E = types::ErrorResponse> {
    /// Nothing was sent: an argument broke a rule of the API. The message names the
    /// field and the rule.
    InvalidRequest(String),
    /// No response arrived: the connection failed, was dropped or timed out, on the
    /// last of `attempts` attempts.
    CommunicationError {
        /// What reqwest reported for the last attempt.
        source: reqwest::Error,
        /// How many requests were sent.
        attempts: u32,
        /// The `deDuplicationKey` a create was sent with. The ticket may exist: send
        /// the create again with this key, never with a new one.
        dedup_key: Option<String>,
        /// The limit that ended the last attempt, when it timed out.
        timeout: Option<Timeout>,
    },
    /// The server answered with an error status and the documented error body.
    ErrorResponse(ResponseValue<E>),
    /// The server answered, but the body is not what the spec describes: an HTML page
    /// from a proxy, a truncated or malformed document.
    InvalidResponsePayload {
        /// Status, headers and attempts.
        head: ResponseHead,
        /// The body as received, with the API key cut out of an error answer
        /// ([`ResponseHead::raw_error_body`] has it as sent).
        body: Bytes,
        /// Why it did not decode.
        source: serde_json::Error,
    },
    /// The body could not be read to its end (the connection broke mid-body), on every
    /// attempt the call was allowed.
    ResponseBodyError {
        /// Status, headers and attempts.
        head: ResponseHead,
        /// What reqwest reported.
        source: reqwest::Error,
    },
    /// The body was larger than
    /// [`max_response_bytes`](crate::ClientBuilder::max_response_bytes); reading
    /// stopped there.
    ResponseTooLarge {
        /// Status, headers and attempts.
        head: ResponseHead,
        /// The limit, in bytes.
        limit: u64,
    },
    /// Nothing was sent: the rate-limit quota is spent (the server reported none left,
    /// or asked to wait with a 429) until a time past the call's limits
    /// ([`max_retry_wait`](crate::ClientBuilder::max_retry_wait),
    /// [`operation_timeout`](crate::ClientBuilder::operation_timeout)).
    QuotaExhausted {
        /// When the quota resets, on this machine's clock.
        until: std::time::SystemTime,
        /// How long from when the call gave up.
        wait: Duration,
        /// The `deDuplicationKey` a create would have carried: no ticket exists for it.
        dedup_key: Option<String>,
    },
    /// Nothing was sent: [`Client::stop_sending`](crate::Client::stop_sending) stopped
    /// the client while the call waited for admission, or before it was made.
    Stopped {
        /// The `deDuplicationKey` a create would have carried: no ticket exists for it.
        dedup_key: Option<String>,
    },
    /// A status the spec does not document, such as a redirect, which the SDK never
    /// follows: its head, and its body as read (within the size limit).
    UnexpectedResponse(ResponseValue<Bytes>),
}

/// `.build()?` in the generated code: a request that cannot even be assembled.
impl<E> From<reqwest::Error> for Error<E> {
    fn from(e: reqwest::Error) -> Self {
        Error::InvalidRequest(format!("the request could not be built: {e}"))
    }
}

impl<E> Error<E> {
    fn redactor(&self) -> &Redactor {
        self.head().map_or(&Redactor::NONE, ResponseHead::redactor)
    }

    /// The status, headers and attempt count of the response, for every failure that
    /// got one.
    pub fn head(&self) -> Option<&ResponseHead> {
        match self {
            Error::ErrorResponse(rv) => Some(rv.head()),
            Error::UnexpectedResponse(rv) => Some(rv.head()),
            Error::InvalidResponsePayload { head, .. }
            | Error::ResponseBodyError { head, .. }
            | Error::ResponseTooLarge { head, .. } => Some(head),
            _ => None,
        }
    }

    /// The HTTP status, for every failure that got a response.
    pub fn status(&self) -> Option<StatusCode> {
        self.head().map(ResponseHead::status)
    }

    /// How many requests were sent: 0 when the request was refused before sending.
    pub fn attempts(&self) -> u32 {
        match self {
            Error::InvalidRequest(_) | Error::QuotaExhausted { .. } | Error::Stopped { .. } => 0,
            Error::CommunicationError { attempts, .. } => *attempts,
            _ => self.head().map_or(1, ResponseHead::attempts),
        }
    }

    /// The `deDuplicationKey` a create was sent with (the caller's or a generated one).
    /// Whatever the failure, sending the create again with this key cannot duplicate
    /// the ticket; a new key can.
    pub fn dedup_key(&self) -> Option<&str> {
        match self {
            Error::CommunicationError { dedup_key, .. }
            | Error::QuotaExhausted { dedup_key, .. }
            | Error::Stopped { dedup_key } => dedup_key.as_deref(),
            _ => self.head()?.dedup_key(),
        }
    }

    /// The server's request id, when the response carried one (and it does not repeat
    /// the API key).
    pub fn request_id(&self) -> Option<&str> {
        self.head()?.request_id()
    }

    /// The rate-limit window the last response reported.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        self.head()?.rate_limit()
    }

    /// How long the server asked to wait before trying again. When retries stopped
    /// because this wait was too long, this is that wait.
    pub fn retry_after(&self) -> Option<Duration> {
        if let Error::QuotaExhausted { wait, .. } = self {
            return Some(*wait);
        }
        self.head()?.retry_after()
    }

    /// Whether the failure is of a kind that may heal: no response (a refused or reset
    /// connection, a timeout, a failed DNS lookup, a body cut short) or a status of 408,
    /// 429, 500, 502, 503 or 504. The client retries these itself when the request is
    /// safe to repeat. A TLS certificate the client refuses is not retryable.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::CommunicationError { source, .. } => crate::transport::is_transient(source),
            Error::ResponseBodyError { .. } | Error::QuotaExhausted { .. } => true,
            _ => self.status().is_some_and(retry::is_retryable_status),
        }
    }

    /// Whether the last attempt timed out, before the answer or while reading its body.
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::CommunicationError { source, .. } | Error::ResponseBodyError { source, .. } => {
                Cause::of(source) == Cause::TimedOut
            }
            _ => false,
        }
    }

    /// Whether the platform refused a create because its `deDuplicationKey` was used
    /// before: a 409 to a create that carried a key. The ticket of that key exists;
    /// see [`earlier_attempt_may_have_created`](Self::earlier_attempt_may_have_created)
    /// to tell whether this very call created it.
    pub fn is_duplicate(&self) -> bool {
        self.status() == Some(StatusCode::CONFLICT) && self.dedup_key().is_some()
    }

    /// Whether an earlier attempt of this call may have been carried out although its
    /// answer was lost (a dropped connection, a timeout, a body cut short, a 5xx). On a
    /// [`duplicate`](Self::is_duplicate) refusal this says the ticket is most likely
    /// this call's own, created by that attempt; otherwise the key was used before by
    /// another call. After a failure without any response, where the earlier answers
    /// are not kept, it is true whenever there were earlier attempts.
    pub fn earlier_attempt_may_have_created(&self) -> bool {
        match self {
            Error::CommunicationError { attempts, .. } => *attempts > 1,
            _ => self
                .head()
                .is_some_and(ResponseHead::earlier_attempt_may_have_created),
        }
    }

    /// Whether the ticket of a failed create may exist all the same: some attempt may
    /// have been carried out and its answer lost.
    fn ticket_may_exist(&self) -> bool {
        let last_uncertain = match self {
            Error::CommunicationError { source, .. } => !source.is_connect(),
            Error::ResponseBodyError { .. } | Error::ResponseTooLarge { .. } => true,
            _ => self.status().is_some_and(retry::may_have_processed),
        };
        self.dedup_key().is_some() && (last_uncertain || self.earlier_attempt_may_have_created())
    }

    /// The documented error body, when the server sent one (decoded with the API key
    /// cut out).
    pub fn error_response(&self) -> Option<&E> {
        match self {
            Error::ErrorResponse(rv) => Some(rv),
            _ => None,
        }
    }
}

impl Error {
    /// What the server said went wrong: the `message` of the error body (its items
    /// joined with "; " when it is a list), or the start of a body that is not JSON.
    /// The API key never appears in it.
    pub fn server_message(&self) -> Option<String> {
        match self {
            Error::ErrorResponse(rv) => match rv.message.as_ref()? {
                types::ErrorResponseMessage::String(s) => Some(s.clone()),
                types::ErrorResponseMessage::Array(items) => Some(items.join("; ")),
            },
            Error::InvalidResponsePayload { head, body, .. } if !head.status().is_success() => {
                Some(snippet(body))
            }
            _ => None,
        }
    }
}

/// The first [`SNIPPET_CHARS`] characters of a body, on one line.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some((cut, _)) = out.char_indices().nth(SNIPPET_CHARS) {
        out.truncate(cut);
        out.push('…');
    }
    out
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = String::new();
        self.describe(&mut text)?;
        f.write_str(&self.redactor().text(&text))
    }
}

impl Error {
    /// The sentence `Display` shows, before the key is cut out of it.
    fn describe(&self, out: &mut String) -> fmt::Result {
        use fmt::Write;
        match self {
            Error::InvalidRequest(msg) => return write!(out, "invalid request: {msg}"),
            Error::QuotaExhausted { until, wait, .. } => {
                return write!(
                    out,
                    "not sent: the rate-limit quota is spent until {} ({:.1} s from now), \
                 longer than the call may wait (max_retry_wait, operation_timeout)",
                    chrono::DateTime::<chrono::Utc>::from(*until).format("%Y-%m-%d %H:%M:%S UTC"),
                    wait.as_secs_f64()
                );
            }
            Error::Stopped { .. } => {
                return out.write_str("not sent: the client was stopped (stop_sending)");
            }
            Error::CommunicationError {
                source, timeout, ..
            } => {
                out.push_str("no response");
                if let Some(url) = source.url() {
                    write!(out, " from {url}")?;
                }
                write!(out, ": {}", Described(source, *timeout))?;
            }
            Error::ErrorResponse(rv) => {
                write!(out, "HTTP {}", rv.status())?;
                if let Some(msg) = self.server_message() {
                    write!(out, ": {msg}")?;
                }
                if self.is_duplicate() {
                    out.push_str(if self.earlier_attempt_may_have_created() {
                        "; the ticket was most likely created by an earlier attempt of this call"
                    } else {
                        "; a ticket with this deDuplicationKey exists"
                    });
                }
            }
            Error::InvalidResponsePayload { head, source, .. } if head.status().is_success() => {
                write!(
                    out,
                    "HTTP {}: the body does not decode: {source}",
                    head.status()
                )?;
            }
            Error::InvalidResponsePayload { head, body, .. } => {
                write!(
                    out,
                    "HTTP {} with a body that is not the documented JSON: {}",
                    head.status(),
                    snippet(body)
                )?;
            }
            Error::ResponseBodyError { head, source } => {
                write!(out, "HTTP {}: the body could not be read: ", head.status())?;
                write!(out, "{}", Described(source, None))?;
            }
            Error::ResponseTooLarge { head, limit } => write!(
                out,
                "HTTP {}: the body is larger than the limit of {limit} bytes \
                 (max_response_bytes); it was not read",
                head.status()
            )?,
            Error::UnexpectedResponse(r) => match r.headers().get(LOCATION) {
                Some(location) if r.status().is_redirection() => write!(
                    out,
                    "HTTP {}: a redirect to {}, which the SDK does not follow \
                     (check the base URL)",
                    r.status(),
                    String::from_utf8_lossy(location.as_bytes())
                )?,
                _ => write!(
                    out,
                    "HTTP {}: a status the API does not document",
                    r.status()
                )?,
            },
        }
        match (self.request_id(), self.attempts()) {
            (Some(id), 1) => write!(out, " (request id {id})")?,
            (Some(id), n) => write!(out, " (request id {id}, after {n} attempts)")?,
            (None, 1) => {}
            (None, n) => write!(out, " (after {n} attempts)")?,
        }
        // The key is what makes trying again safe.
        match self.dedup_key().filter(|_| !self.is_duplicate()) {
            Some(key) if self.ticket_may_exist() => {
                write!(
                    out,
                    "; the ticket may exist: retry with deDuplicationKey {key}"
                )
            }
            Some(key) if self.is_retryable() => write!(out, "; retry with deDuplicationKey {key}"),
            _ => Ok(()),
        }
    }
}

/// A transport failure's cause, as a phrase.
struct Described<'a>(&'a reqwest::Error, Option<Timeout>);

impl fmt::Display for Described<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::transport::describe(f, self.0, self.1)
    }
}

/// Shows the facts, never the API key: bodies as their size and a redacted snippet.
impl<E: fmt::Debug> fmt::Debug for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let body = |body: &[u8]| format!("{} bytes: {}", body.len(), snippet(body));
        let shown = match self {
            Error::InvalidRequest(msg) => format!("InvalidRequest({msg:?})"),
            Error::CommunicationError {
                source,
                attempts,
                dedup_key,
                timeout,
            } => format!(
                "CommunicationError {{ source: {source:?}, attempts: {attempts}, \
                 dedup_key: {dedup_key:?}, timeout: {timeout:?} }}"
            ),
            Error::ErrorResponse(rv) => format!("ErrorResponse({rv:?})"),
            Error::InvalidResponsePayload {
                head,
                body: bytes,
                source,
            } => format!(
                "InvalidResponsePayload {{ head: {head:?}, body: {:?}, source: {source:?} }}",
                body(bytes)
            ),
            Error::ResponseBodyError { head, source } => {
                format!("ResponseBodyError {{ head: {head:?}, source: {source:?} }}")
            }
            Error::ResponseTooLarge { head, limit } => {
                format!("ResponseTooLarge {{ head: {head:?}, limit: {limit} }}")
            }
            Error::Stopped { dedup_key } => format!("Stopped {{ dedup_key: {dedup_key:?} }}"),
            Error::QuotaExhausted {
                until,
                wait,
                dedup_key,
            } => format!(
                "QuotaExhausted {{ until: {until:?}, wait: {wait:?}, dedup_key: {dedup_key:?} }}"
            ),
            Error::UnexpectedResponse(r) => format!(
                "UnexpectedResponse {{ head: {:?}, body: {:?} }}",
                r.head(),
                body(r)
            ),
        };
        f.write_str(&self.redactor().text(&shown))
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::CommunicationError { source, .. } | Error::ResponseBodyError { source, .. } => {
                Some(source)
            }
            Error::InvalidResponsePayload { source, .. } => Some(source),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::snippet;

    #[test]
    fn snippets_are_bounded_and_on_one_line() {
        let html = format!("<html>\n  <body>{}</body>\n</html>", "x".repeat(1000));
        let s = snippet(html.as_bytes());
        assert!(s.starts_with("<html> <body>xxx"), "{s}");
        assert_eq!(s.chars().count(), super::SNIPPET_CHARS + 1);
        assert_eq!(snippet(b"short"), "short");
    }
}
