//! Scripted faults, for testing how clients survive a misbehaving server or network.
//!
//! Faults wait in a FIFO queue. Each API request (not `/_sandbox`) takes the first fault
//! that matches its route and still has requests left, and that fault's count goes down
//! by one; a request no fault matches is handled normally. So `inject(503 × 2)` then
//! `inject(delay)` answers two requests with 503 and delays the third.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// An API route, for limiting a [`Fault`] to one. Over HTTP it is written as in the
/// spec: `"POST /v1/tickets"`, `"PATCH /v1/tickets/{id}"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Route {
    /// `POST /v1/tickets`.
    #[serde(rename = "POST /v1/tickets")]
    CreateTicket,
    /// `PATCH /v1/tickets/{id}`, whatever the id.
    #[serde(rename = "PATCH /v1/tickets/{id}")]
    UpdateTicket,
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::CreateTicket => "POST /v1/tickets",
            Self::UpdateTicket => "PATCH /v1/tickets/{id}",
        })
    }
}

/// What a fault does to a request. Over HTTP: an object with `"kind"` and the variant's
/// fields in camelCase, e.g. `{"kind": "status", "status": 429, "retryAfter": 2}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
#[non_exhaustive]
pub enum FaultKind {
    /// Answer `status` without processing the request, as an overloaded server or a
    /// proxy in front of it would. A code outside 100..=999 answers 500.
    Status {
        /// The HTTP status code, e.g. 503, 429, 502.
        status: u16,
        /// Seconds for a `Retry-After` header, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after: Option<u64>,
        /// The body: an `ErrorResponse` or a proxy's HTML page.
        #[serde(default)]
        body: FaultBody,
    },
    /// Wait this long, then handle the request normally; with `after_processing`,
    /// handle it first and wait before answering (a client that times out meanwhile
    /// has created its ticket without knowing it).
    Delay {
        /// Milliseconds to wait.
        ms: u64,
        /// Handle the request before waiting.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        after_processing: bool,
    },
    /// Close the connection without answering: the client sees a connection error, not
    /// a status. With `after_processing`, the request is handled first (a create does
    /// create its ticket), which is what makes a retried create dangerous.
    Drop {
        /// Handle the request before dropping the connection.
        #[serde(default)]
        after_processing: bool,
    },
    /// Handle the request, then send the status line, the headers with the full
    /// `Content-Length`, and only the first half of the body before closing the
    /// connection: the client sees an error while reading the body.
    Truncate,
    /// Handle the request, then answer with a body that breaks the spec (`data.ticketId`,
    /// or an error's `statusCode`, as a string instead of an integer). It exists to prove
    /// that the contract check against the spec catches a broken response.
    Malformed,
}

/// The body of a [`FaultKind::Status`] answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FaultBody {
    /// An `ErrorResponse`, as the API itself would send.
    #[default]
    Json,
    /// A `text/html` error page, as a load balancer or proxy would send.
    Html,
}

/// A scripted fault: what happens, to how many requests, on which route.
///
/// ```
/// use std::time::Duration;
/// use thena_sandbox::{Fault, Route};
///
/// let overloaded = Fault::status(503).times(2);
/// let throttled = Fault::status(429).retry_after(1);
/// let proxy_error = Fault::status(502).html().on(Route::UpdateTicket);
/// let slow = Fault::delay(Duration::from_millis(300));
/// let lost_answer = Fault::drop_connection().after_processing();
/// let late_answer = Fault::delay(Duration::from_secs(5)).after_processing();
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fault {
    #[serde(flatten)]
    kind: FaultKind,
    #[serde(default = "one")]
    times: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    route: Option<Route>,
}

fn one() -> u32 {
    1
}

impl Fault {
    /// A fault of this kind for the next request on any route.
    pub fn new(kind: FaultKind) -> Self {
        Self {
            kind,
            times: 1,
            route: None,
        }
    }

    /// Answer `status` with an `ErrorResponse` body; see [`FaultKind::Status`].
    pub fn status(status: u16) -> Self {
        Self::new(FaultKind::Status {
            status,
            retry_after: None,
            body: FaultBody::Json,
        })
    }

    /// Wait `delay`, then handle the request normally.
    pub fn delay(delay: Duration) -> Self {
        let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        Self::new(FaultKind::Delay {
            ms,
            after_processing: false,
        })
    }

    /// Close the connection before handling the request; see [`FaultKind::Drop`].
    pub fn drop_connection() -> Self {
        Self::new(FaultKind::Drop {
            after_processing: false,
        })
    }

    /// Send half of the body and close the connection; see [`FaultKind::Truncate`].
    pub fn truncate() -> Self {
        Self::new(FaultKind::Truncate)
    }

    /// Answer with a body that breaks the spec; see [`FaultKind::Malformed`].
    pub fn malformed() -> Self {
        Self::new(FaultKind::Malformed)
    }

    /// Apply to the next `times` matching requests (default 1).
    pub fn times(mut self, times: u32) -> Self {
        self.times = times;
        self
    }

    /// Apply to requests on `route` only (default: any API route).
    pub fn on(mut self, route: Route) -> Self {
        self.route = Some(route);
        self
    }

    /// For a status fault, add `Retry-After: seconds`. Other kinds are left as they are.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        if let FaultKind::Status { retry_after, .. } = &mut self.kind {
            *retry_after = Some(seconds);
        }
        self
    }

    /// For a status fault, send a proxy's HTML page instead of an `ErrorResponse`.
    /// Other kinds are left as they are.
    pub fn html(mut self) -> Self {
        if let FaultKind::Status { body, .. } = &mut self.kind {
            *body = FaultBody::Html;
        }
        self
    }

    /// For a drop or delay fault, handle the request first, then drop the connection or
    /// wait. Other kinds are left as they are.
    pub fn after_processing(mut self) -> Self {
        if let FaultKind::Drop { after_processing }
        | FaultKind::Delay {
            after_processing, ..
        } = &mut self.kind
        {
            *after_processing = true;
        }
        self
    }

    /// What the fault does.
    pub fn kind(&self) -> &FaultKind {
        &self.kind
    }

    /// How many more requests it applies to.
    pub fn remaining(&self) -> u32 {
        self.times
    }

    /// The route it is limited to, if any.
    pub fn route(&self) -> Option<Route> {
        self.route
    }
}

/// The queue of faults still to apply.
#[derive(Default)]
pub(crate) struct Faults {
    queue: Mutex<VecDeque<Fault>>,
}

impl Faults {
    fn lock(&self) -> MutexGuard<'_, VecDeque<Fault>> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn push(&self, fault: Fault) {
        if fault.times > 0 {
            self.lock().push_back(fault);
        }
    }

    /// The fault for one request on `route`, counted against its remaining requests.
    pub(crate) fn take(&self, route: Route) -> Option<FaultKind> {
        let mut queue = self.lock();
        let index = queue
            .iter()
            .position(|fault| fault.route.is_none_or(|only| only == route))?;
        let fault = queue.get_mut(index)?;
        fault.times -= 1;
        let kind = fault.kind.clone();
        if fault.times == 0 {
            queue.remove(index);
        }
        Some(kind)
    }

    pub(crate) fn pending(&self) -> Vec<Fault> {
        self.lock().iter().cloned().collect()
    }

    pub(crate) fn clear(&self) {
        self.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn faults_apply_in_order_to_their_route_and_count_down() {
        let faults = Faults::default();
        faults.push(Fault::status(503).times(2).on(Route::UpdateTicket));
        faults.push(Fault::truncate());
        faults.push(Fault::malformed().times(0));
        assert_eq!(faults.take(Route::CreateTicket), Some(FaultKind::Truncate));
        assert_eq!(faults.take(Route::CreateTicket), None);
        let status = |n| FaultKind::Status {
            status: n,
            retry_after: None,
            body: FaultBody::Json,
        };
        assert_eq!(faults.take(Route::UpdateTicket), Some(status(503)));
        assert_eq!(faults.pending()[0].remaining(), 1);
        assert_eq!(faults.take(Route::UpdateTicket), Some(status(503)));
        assert_eq!(faults.take(Route::UpdateTicket), None);
    }

    #[test]
    fn the_wire_form_is_kind_and_camel_case_fields() {
        let fault: Fault = serde_json::from_value(json!({
            "kind": "status", "status": 502, "body": "html", "retryAfter": 3,
            "times": 2, "route": "POST /v1/tickets"
        }))
        .expect("valid");
        assert_eq!(
            fault,
            Fault::status(502)
                .html()
                .retry_after(3)
                .times(2)
                .on(Route::CreateTicket)
        );
        let drop: Fault = serde_json::from_value(json!({"kind": "drop", "afterProcessing": true}))
            .expect("valid");
        assert_eq!(drop, Fault::drop_connection().after_processing());
        assert_eq!(
            serde_json::to_value(Fault::delay(Duration::from_millis(250))).expect("serializes"),
            json!({"kind": "delay", "ms": 250, "times": 1})
        );
        assert!(serde_json::from_value::<Fault>(json!({"kind": "explode"})).is_err());
    }

    #[test]
    fn modifiers_for_other_kinds_change_nothing() {
        assert_eq!(Fault::truncate().retry_after(1).html(), Fault::truncate());
        assert_eq!(Fault::status(503).after_processing(), Fault::status(503));
    }
}
