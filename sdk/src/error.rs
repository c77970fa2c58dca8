//! [`Error`]: every way a call can fail, each keeping what is known about it.
//!
//! The variants are progenitor's (the generated code constructs them), reshaped so that
//! no failure loses its facts: a body that does not decode still carries its status and
//! headers, and every failure after a send knows how many attempts were made.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;

use crate::response::{Attempts, RateLimit, ResponseHead, ResponseValue};
use crate::retry;
use crate::types;

/// How much of an undecodable body `Display` shows.
const SNIPPET_CHARS: usize = 300;

/// A failed call. `E` is the documented error body, [`types::ErrorResponse`].
#[derive(Debug)]
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
    },
    /// The server answered with an error status and the documented error body.
    ErrorResponse(ResponseValue<E>),
    /// The server answered, but the body is not what the spec describes: an HTML page
    /// from a proxy, a truncated or malformed document.
    InvalidResponsePayload {
        /// Status, headers and attempts.
        head: ResponseHead,
        /// The body as received.
        body: Bytes,
        /// Why it did not decode.
        source: serde_json::Error,
    },
    /// The body could not be read to its end (the connection broke mid-body).
    ResponseBodyError {
        /// Status, headers and attempts.
        head: ResponseHead,
        /// What reqwest reported.
        source: reqwest::Error,
    },
    /// A status the spec does not document (for example an unfollowed redirect).
    UnexpectedResponse(reqwest::Response),
}

/// `.build()?` in the generated code: a request that cannot even be assembled.
impl<E> From<reqwest::Error> for Error<E> {
    fn from(e: reqwest::Error) -> Self {
        Error::InvalidRequest(format!("the request could not be built: {e}"))
    }
}

impl<E> Error<E> {
    /// The status, headers and attempt count of the response, when there was one whose
    /// body was read.
    pub fn head(&self) -> Option<&ResponseHead> {
        match self {
            Error::ErrorResponse(rv) => Some(rv.head()),
            Error::InvalidResponsePayload { head, .. } | Error::ResponseBodyError { head, .. } => {
                Some(head)
            }
            _ => None,
        }
    }

    /// The HTTP status, for every failure that got a response.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::UnexpectedResponse(r) => Some(r.status()),
            _ => self.head().map(ResponseHead::status),
        }
    }

    /// How many requests were sent: 0 when the request was refused before sending.
    pub fn attempts(&self) -> u32 {
        match self {
            Error::InvalidRequest(_) => 0,
            Error::CommunicationError { attempts, .. } => *attempts,
            Error::UnexpectedResponse(r) => Attempts::of(r),
            _ => self.head().map_or(1, ResponseHead::attempts),
        }
    }

    /// The server's request id, when the response carried one.
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
        self.head()?.retry_after()
    }

    /// Whether trying again later may succeed: no response (connection, timeout) or a
    /// status of 408, 429, 500, 502, 503 or 504. The client already retried these.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::CommunicationError { source, .. } => retry::is_transient(source),
            _ => self.status().is_some_and(retry::is_retryable_status),
        }
    }

    /// Whether the last attempt timed out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::CommunicationError { source, .. } if source.is_timeout())
    }

    /// The documented error body, when the server sent one.
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
        match self {
            Error::InvalidRequest(msg) => return write!(f, "invalid request: {msg}"),
            Error::CommunicationError { source, .. } => write!(f, "no response: {source}")?,
            Error::ErrorResponse(rv) => {
                write!(f, "HTTP {}", rv.status())?;
                if let Some(msg) = self.server_message() {
                    write!(f, ": {msg}")?;
                }
            }
            Error::InvalidResponsePayload { head, source, .. } if head.status().is_success() => {
                write!(
                    f,
                    "HTTP {}: the body does not decode: {source}",
                    head.status()
                )?;
            }
            Error::InvalidResponsePayload { head, body, .. } => {
                write!(
                    f,
                    "HTTP {} with a body that is not the documented JSON: {}",
                    head.status(),
                    snippet(body)
                )?;
            }
            Error::ResponseBodyError { head, source } => {
                write!(
                    f,
                    "HTTP {}: the body could not be read: {source}",
                    head.status()
                )?;
            }
            Error::UnexpectedResponse(r) => {
                write!(f, "HTTP {}: a status the API does not document", r.status())?
            }
        }
        let attempts = self.attempts();
        match (self.request_id(), attempts) {
            (Some(id), 1) => write!(f, " (request id {id})"),
            (Some(id), n) => write!(f, " (request id {id}, after {n} attempts)"),
            (None, 1) => Ok(()),
            (None, n) => write!(f, " (after {n} attempts)"),
        }
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
