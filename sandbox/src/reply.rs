//! Answers: the success envelope, `ErrorResponse`s, and what faults do to an answer.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body::{Frame, SizeHint};
use serde::Serialize;
use serde_json::Value;
use thena_sdk::types::{ErrorResponse, ErrorResponseMessage, Ticket, TicketResponse};

use crate::rate_limit::Quota;
use crate::server::Connection;
use crate::ticket::timestamp;

const JSON: &str = "application/json";
const HTML: &str = "text/html; charset=utf-8";

/// An answer before it goes on the wire, so that a fault can still change it.
pub(crate) struct Reply {
    status: StatusCode,
    content_type: &'static str,
    body: Vec<u8>,
    retry_after: Option<u64>,
}

impl Reply {
    fn json(status: StatusCode, value: &impl Serialize) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => Self {
                status,
                content_type: JSON,
                body,
                retry_after: None,
            },
            Err(e) => Self::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot serialize the answer: {e}"),
            ),
        }
    }

    /// The platform's success envelope around a ticket.
    pub(crate) fn ticket(status: StatusCode, ticket: Ticket) -> Self {
        let envelope = TicketResponse {
            status: true,
            message: "Success".to_owned(),
            timestamp: timestamp(chrono::Utc::now()),
            data: ticket,
        };
        Self::json(status, &envelope)
    }

    /// An `ErrorResponse` with one message.
    pub(crate) fn error(status: StatusCode, message: impl Into<String>) -> Self {
        Self::errors(status, ErrorResponseMessage::String(message.into()))
    }

    /// An `ErrorResponse` with a message per problem, as for an invalid body.
    pub(crate) fn errors(status: StatusCode, message: impl Into<ErrorResponseMessage>) -> Self {
        let body = ErrorResponse {
            status_code: Some(i64::from(status.as_u16())),
            message: Some(message.into()),
            error: status.canonical_reason().map(str::to_owned),
            timestamp: Some(timestamp(chrono::Utc::now())),
        };
        // Serializing an ErrorResponse cannot fail; building the reply here keeps
        // `json`'s fallback from calling back into it.
        Self {
            status,
            content_type: JSON,
            body: serde_json::to_vec(&body).unwrap_or_default(),
            retry_after: None,
        }
    }

    /// A proxy's error page, as nginx would send it.
    pub(crate) fn html(status: StatusCode) -> Self {
        let title = format!(
            "{} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("Error")
        );
        let page = format!(
            "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n\
             <center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n\
             </body>\r\n</html>\r\n"
        );
        Self {
            status,
            content_type: HTML,
            body: page.into_bytes(),
            retry_after: None,
        }
    }

    pub(crate) fn with_retry_after(mut self, seconds: Option<u64>) -> Self {
        self.retry_after = seconds;
        self
    }

    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }

    /// The same answer with a body that breaks the spec: the first of `data.ticketId`
    /// and `statusCode`, integers in the spec, becomes a string.
    pub(crate) fn malformed(mut self) -> Self {
        let Ok(mut value) = serde_json::from_slice::<Value>(&self.body) else {
            return self;
        };
        for pointer in ["/data/ticketId", "/statusCode"] {
            if let Some(number) = value.pointer_mut(pointer) {
                *number = Value::String(number.to_string());
                break;
            }
        }
        if let Ok(body) = serde_json::to_vec(&value) {
            self.body = body;
        }
        self
    }

    /// The response, with the rate-limit headers every API answer carries (control
    /// answers have none).
    pub(crate) fn into_response(self, quota: Option<&Quota>) -> Response {
        let Self {
            status,
            content_type,
            body,
            retry_after,
        } = self;
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        if let Some(quota) = quota {
            use crate::rate_limit::RateLimitHeaders;
            // An id per answer, as the platform's gateway gives one, for logs to name.
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
            if let Ok(id) = HeaderValue::from_str(&format!("req_{}", crate::ids::new_id(now))) {
                headers.insert("x-request-id", id);
            }
            if quota.headers == RateLimitHeaders::All {
                headers.insert("x-ratelimit-limit", HeaderValue::from(quota.limit));
            }
            if quota.headers != RateLimitHeaders::None {
                headers.insert("x-ratelimit-remaining", HeaderValue::from(quota.remaining));
                headers.insert("x-ratelimit-reset", HeaderValue::from(quota.reset));
            }
            // A shifted clock shows in the Date too (hyper writes the machine's otherwise).
            if let Some(date) = quota
                .date
                .and_then(|secs| chrono::DateTime::from_timestamp(i64::try_from(secs).ok()?, 0))
                && let Ok(value) =
                    HeaderValue::from_str(&date.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
            {
                headers.insert(header::DATE, value);
            }
        }
        if let Some(seconds) = retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }

    /// The response with its full `Content-Length` but only the first half of the body,
    /// after which the connection is closed.
    pub(crate) fn into_truncated_response(
        mut self,
        quota: &Quota,
        connection: Connection,
    ) -> Response {
        let mut body = std::mem::take(&mut self.body);
        let full = body.len();
        body.truncate(full / 2);
        let (parts, _) = self.into_response(Some(quota)).into_parts();
        let cut = CutBody {
            head: Some(Bytes::from(body)),
            full: u64::try_from(full).unwrap_or(u64::MAX),
            connection,
        };
        Response::from_parts(parts, Body::new(cut))
    }
}

/// A body that yields its first part, then closes the connection instead of the rest.
struct CutBody {
    head: Option<Bytes>,
    full: u64,
    connection: Connection,
}

impl http_body::Body for CutBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.head.take() {
            Some(head) => Poll::Ready(Some(Ok(Frame::data(head)))),
            None => {
                // hyper flushes the first part before it polls again; closing the
                // connection here ends the response mid-body. The close wakes the
                // connection's task, which drops this body, so no waker is needed.
                self.connection.close();
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        false
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.full)
    }
}
