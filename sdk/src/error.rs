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
use crate::dry_run::PreparedRequest;
use crate::headers::RateLimit;
use crate::response::{CallFacts, ResponseHead, ResponseValue};
use crate::retry::{self, Stop};
use crate::transport::{self, Cause, Human, Timeout};
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
    /// last attempt ([`cause`](Self::cause) says how).
    #[non_exhaustive]
    CommunicationError {
        /// What reqwest reported for the last attempt.
        source: reqwest::Error,
        /// Attempts, the `deDuplicationKey` a create was sent with (the ticket may
        /// exist: send the create again with this key, never with a new one), and why
        /// the call stopped.
        facts: CallFacts,
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
    /// The body could not be read to its end (the connection broke mid-body, or a time
    /// limit ran out while reading it), on every attempt the call was allowed.
    #[non_exhaustive]
    ResponseBodyError {
        /// Status, headers and attempts.
        head: ResponseHead,
        /// What reqwest reported.
        source: reqwest::Error,
        /// The limit that ended the read, when it timed out.
        timeout: Option<Timeout>,
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
    #[non_exhaustive]
    QuotaExhausted {
        /// When the quota resets, on this machine's clock.
        until: std::time::SystemTime,
        /// How long from when the call gave up.
        wait: Duration,
        /// The `deDuplicationKey` a create would have carried (no ticket exists for it),
        /// and why the call stopped; no attempt was made.
        facts: CallFacts,
    },
    /// Nothing was sent: [`Client::stop_sending`](crate::Client::stop_sending) stopped
    /// the client while the call waited for admission, or before it was made.
    #[non_exhaustive]
    Stopped {
        /// The `deDuplicationKey` a create would have carried (no ticket exists for it);
        /// no attempt was made.
        facts: CallFacts,
    },
    /// A status the spec does not document, such as a redirect, which the SDK never
    /// follows: its head, and its body as read (within the size limit).
    UnexpectedResponse(ResponseValue<Bytes>),
    /// Nothing was sent: the client is a dry run
    /// ([`dry_run`](crate::ClientBuilder::dry_run)). The request as it would have gone.
    DryRun(Box<PreparedRequest>),
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

    /// What is known of the call: attempts, key, why it stopped. `None` when nothing
    /// was sent.
    fn facts(&self) -> Option<&CallFacts> {
        match self {
            Error::CommunicationError { facts, .. }
            | Error::QuotaExhausted { facts, .. }
            | Error::Stopped { facts } => Some(facts),
            _ => self.head().map(ResponseHead::facts),
        }
    }

    /// How many requests were sent: 0 when the request was refused before sending.
    pub fn attempts(&self) -> u32 {
        self.facts().map_or(0, CallFacts::attempts)
    }

    /// The `deDuplicationKey` a create was sent with (the caller's or a generated one).
    /// Whatever the failure, sending the create again with this key cannot duplicate
    /// the ticket; a new key can.
    pub fn dedup_key(&self) -> Option<&str> {
        self.facts()?.dedup_key()
    }

    /// Why the call made no further attempt: the failure was final, every retry was
    /// spent, the operation timeout ran out, or the wait asked for was too long. `None`
    /// when nothing was sent.
    pub fn stop(&self) -> Option<Stop> {
        self.facts()?.stop()
    }

    /// What ended an attempt that got no whole answer (a refused connection, a failed
    /// DNS lookup, a reset, a timeout, a refused certificate...): the cause of a
    /// [`CommunicationError`](Self::CommunicationError) or of a
    /// [`ResponseBodyError`](Self::ResponseBodyError).
    pub fn cause(&self) -> Option<Cause> {
        match self {
            Error::CommunicationError { source, .. } | Error::ResponseBodyError { source, .. } => {
                Some(Cause::of(source))
            }
            _ => None,
        }
    }

    /// Whether the server carried the request out although the call failed: it answered
    /// with a success status (this attempt or an earlier one whose body broke off), but
    /// the answer is not the documented one (a body that does not decode, or a status
    /// such as 202 or 204 the API does not document). For a create the ticket exists,
    /// under [`dedup_key`](Self::dedup_key): never create it again with another key.
    pub fn carried_out(&self) -> bool {
        self.status().is_some_and(|s| s.is_success())
            || self.facts().is_some_and(|f| f.succeeded_earlier)
    }

    /// The limit that ended the last attempt, when it timed out.
    fn timeout(&self) -> Option<Timeout> {
        match self {
            Error::CommunicationError { timeout, .. }
            | Error::ResponseBodyError { timeout, .. } => *timeout,
            _ => None,
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
            Error::CommunicationError { source, .. } => transport::is_transient(source),
            Error::ResponseBodyError { .. } | Error::QuotaExhausted { .. } => true,
            _ => self.status().is_some_and(retry::is_retryable_status),
        }
    }

    /// Whether the last attempt timed out, before the answer or while reading its body.
    pub fn is_timeout(&self) -> bool {
        self.cause() == Some(Cause::TimedOut)
    }

    /// Whether the platform refused a create because its `deDuplicationKey` was used
    /// before: a 409 to a create whose key the server can have seen already, because
    /// the caller chose it or because an earlier attempt of this call may have reached
    /// the server. The ticket of that key exists; see
    /// [`earlier_attempt_may_have_created`](Self::earlier_attempt_may_have_created) to
    /// tell whether this very call created it. A 409 to the first attempt under a key
    /// the SDK just generated cannot be about the key: it is a refusal like any other
    /// 4xx, and its server message says why.
    pub fn is_duplicate(&self) -> bool {
        self.status() == Some(StatusCode::CONFLICT)
            && self.facts().is_some_and(|f| {
                f.dedup_key().is_some() && (f.callers_key() || f.earlier_attempt_may_have_created())
            })
    }

    /// Whether an earlier attempt of this call may have been carried out although its
    /// answer was lost (a dropped connection, a timeout, a body cut short, a 5xx). On a
    /// [`duplicate`](Self::is_duplicate) refusal this says the ticket is most likely
    /// this call's own, created by that attempt; otherwise the key was used before by
    /// another call. After a failure without any response, where the earlier answers
    /// are not kept, it is true whenever there were earlier attempts.
    pub fn earlier_attempt_may_have_created(&self) -> bool {
        self.facts()
            .is_some_and(CallFacts::earlier_attempt_may_have_created)
    }

    /// Whether the ticket of a failed create may exist all the same: some attempt may
    /// have reached the server and its answer been lost. Not after a connection that
    /// was never made (refused, a failed DNS lookup), which carried nothing; after an
    /// answer, its status says, whatever became of its body.
    fn ticket_may_exist(&self) -> bool {
        let last_uncertain = match self {
            Error::CommunicationError { source, .. } => !source.is_connect(),
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
                Some(snippet(body, head.redactor()))
            }
            _ => None,
        }
    }
}

/// The first [`SNIPPET_CHARS`] characters of a body, on one line, with the key cut out.
fn snippet(body: &[u8], redactor: &Redactor) -> String {
    let text = String::from_utf8_lossy(body);
    let text = redactor.text(&text);
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
        f.write_str(&one_line(&self.redactor().text(&text)))
    }
}

/// `text` on one line: a line break (U+2028 and U+2029 included) or other control
/// character a server put in its message must not start a forged line in a log.
fn one_line(text: &str) -> std::borrow::Cow<'_, str> {
    let breaks = |c: char| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}');
    if !text.chars().any(breaks) {
        return std::borrow::Cow::Borrowed(text);
    }
    let spaced = text.replace(breaks, " ");
    std::borrow::Cow::Owned(spaced.split_whitespace().collect::<Vec<_>>().join(" "))
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
            Error::DryRun(request) => {
                return write!(
                    out,
                    "dry run: {} {} was not sent",
                    request.method(),
                    request.url()
                );
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
                write!(out, "HTTP {}: {}", head.status(), self.carried_out_phrase())?;
                write!(out, ", but the answer does not decode: {source}")?;
            }
            Error::InvalidResponsePayload { head, body, .. } => {
                write!(
                    out,
                    "HTTP {} with a body that is not the documented JSON: {}",
                    head.status(),
                    snippet(body, head.redactor())
                )?;
            }
            Error::ResponseBodyError {
                head,
                source,
                timeout,
            } => {
                write!(out, "HTTP {}: the body could not be read: ", head.status())?;
                write!(out, "{}", Described(source, *timeout))?;
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
                _ if r.status().is_success() => write!(
                    out,
                    "HTTP {}: {}, but with a status the API does not document",
                    r.status(),
                    self.carried_out_phrase()
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
            (None, 0 | 1) => {}
            (None, n) => write!(out, " (after {n} attempts)")?,
        }
        match self.stop() {
            // Unless the last attempt's own limit was what was left of the operation's.
            Some(Stop::OperationTimeout)
                if !matches!(self.timeout(), Some(Timeout::Operation(_))) =>
            {
                out.push_str(
                    "; not retried: the next attempt would start past the operation timeout",
                )
            }
            Some(Stop::WaitTooLong(wait)) => write!(
                out,
                "; not retried: the wait asked for, {}, is longer than max_retry_wait",
                Human(wait)
            )?,
            _ => {}
        }
        // A success status carried the request out, whatever became of the answer.
        if self.carried_out() {
            let said = self.status().is_some_and(|s| s.is_success())
                && matches!(
                    self,
                    Error::InvalidResponsePayload { .. } | Error::UnexpectedResponse(_)
                );
            if !said {
                write!(out, "; {}", self.carried_out_phrase())?;
            }
            return Ok(());
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

    /// What a success status to a failed call means: for a create, that its ticket
    /// exists, under which key.
    fn carried_out_phrase(&self) -> String {
        match self.dedup_key() {
            Some(key) => format!(
                "the ticket was created (deDuplicationKey {key}; never create it again \
                 with another key)"
            ),
            None => "the request was carried out".to_owned(),
        }
    }
}

/// A transport failure's cause, as a phrase.
struct Described<'a>(&'a reqwest::Error, Option<Timeout>);

impl fmt::Display for Described<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        transport::describe(f, self.0, self.1)
    }
}

/// Shows the facts, never the API key: bodies as their size and a redacted snippet.
impl<E: fmt::Debug> fmt::Debug for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let body =
            |body: &[u8]| format!("{} bytes: {}", body.len(), snippet(body, self.redactor()));
        let shown = match self {
            Error::InvalidRequest(msg) => format!("InvalidRequest({msg:?})"),
            Error::CommunicationError {
                source,
                facts,
                timeout,
            } => format!(
                "CommunicationError {{ source: {source:?}, facts: {facts:?}, \
                 timeout: {timeout:?} }}"
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
            Error::ResponseBodyError {
                head,
                source,
                timeout,
            } => format!(
                "ResponseBodyError {{ head: {head:?}, source: {source:?}, timeout: {timeout:?} }}"
            ),
            Error::ResponseTooLarge { head, limit } => {
                format!("ResponseTooLarge {{ head: {head:?}, limit: {limit} }}")
            }
            Error::Stopped { facts } => format!("Stopped {{ facts: {facts:?} }}"),
            Error::DryRun(request) => format!("DryRun({request:?})"),
            Error::QuotaExhausted { until, wait, facts } => {
                format!("QuotaExhausted {{ until: {until:?}, wait: {wait:?}, facts: {facts:?} }}")
            }
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
    use super::{Redactor, snippet};

    #[test]
    fn snippets_are_bounded_and_on_one_line() {
        let html = format!("<html>\n  <body>{}</body>\n</html>", "x".repeat(1000));
        let s = snippet(html.as_bytes(), &Redactor::NONE);
        assert!(s.starts_with("<html> <body>xxx"), "{s}");
        assert_eq!(s.chars().count(), super::SNIPPET_CHARS + 1);
        assert_eq!(snippet(b"short", &Redactor::NONE), "short");
    }
}
