//! The request log: what each API request carried and how it was answered, so that a
//! test can check what a client sent (for instance, that every retry of a create carried
//! the same `deDuplicationKey`). API keys are never recorded, only how they compared.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};

use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};

use crate::faults::{FaultKind, Route};

/// How many records the log keeps unless told otherwise; older ones are forgotten first.
pub(crate) const DEFAULT_CAPACITY: usize = 10_000;

/// Headers the log leaves out because they carry credentials.
const SECRET_HEADERS: &[&str] = &["x-api-key", "authorization", "cookie"];

/// How a request's `x-api-key` compared with the sandbox's key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApiKeyCheck {
    /// No `x-api-key` header.
    Missing,
    /// The sandbox's key.
    Valid,
    /// Some other key.
    Invalid,
}

/// One API request as the sandbox saw it. Over HTTP, camelCase JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RequestRecord {
    /// When the request arrived, RFC 3339 with milliseconds.
    pub received_at: String,
    /// The HTTP method, e.g. `POST`.
    pub method: String,
    /// The path, e.g. `/v1/tickets/71XNF90K10YBR86G1AN06KZJJFX40`.
    pub path: String,
    /// The API route, or `None` for a path the API does not have.
    pub route: Option<Route>,
    /// The request headers, names in lowercase, repeated values joined with `, `, without
    /// `x-api-key`, `authorization` and `cookie`.
    pub headers: BTreeMap<String, String>,
    /// How the `x-api-key` header compared with the sandbox's key.
    pub api_key: ApiKeyCheck,
    /// The `deDuplicationKey` of a create, when the body has a string one.
    pub de_duplication_key: Option<String>,
    /// The fault applied to the request, if any.
    pub fault: Option<FaultKind>,
    /// The status answered, or `None` when the connection was dropped instead.
    pub status: Option<u16>,
}

impl RequestRecord {
    pub(crate) fn new(
        method: &str,
        path: &str,
        route: Option<Route>,
        headers: &HeaderMap,
        api_key: ApiKeyCheck,
    ) -> Self {
        let mut shown = BTreeMap::<String, String>::new();
        for (name, value) in headers {
            if SECRET_HEADERS.contains(&name.as_str()) {
                continue;
            }
            let value = String::from_utf8_lossy(value.as_bytes());
            shown
                .entry(name.as_str().to_owned())
                .and_modify(|joined| {
                    joined.push_str(", ");
                    joined.push_str(&value);
                })
                .or_insert_with(|| value.into_owned());
        }
        Self {
            received_at: crate::ticket::timestamp(chrono::Utc::now()),
            method: method.to_owned(),
            path: path.to_owned(),
            route,
            headers: shown,
            api_key,
            de_duplication_key: None,
            fault: None,
            status: None,
        }
    }
}

/// The most recent requests, oldest first, at most `capacity` of them, and how many
/// older ones were forgotten: a long soak stays within a bound.
pub(crate) struct RequestLog {
    records: Mutex<Records>,
}

struct Records {
    kept: VecDeque<RequestRecord>,
    capacity: usize,
    dropped: u64,
}

impl RequestLog {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            records: Mutex::new(Records {
                kept: VecDeque::new(),
                capacity,
                dropped: 0,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Records> {
        self.records.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn push(&self, record: RequestRecord) {
        let mut records = self.lock();
        if records.capacity == 0 {
            records.dropped += 1;
            return;
        }
        if records.kept.len() >= records.capacity {
            records.kept.pop_front();
            records.dropped += 1;
        }
        records.kept.push_back(record);
    }

    /// A record that goes into the log when the handling of its request ends, however it
    /// ends: a client that hangs up mid-handling cancels the handler, and its request is
    /// still logged (with no status).
    pub(crate) fn pending(&self, record: RequestRecord) -> Pending<'_> {
        Pending { log: self, record }
    }

    pub(crate) fn all(&self) -> Vec<RequestRecord> {
        self.lock().kept.iter().cloned().collect()
    }

    /// How many records were forgotten to keep within the capacity.
    pub(crate) fn dropped(&self) -> u64 {
        self.lock().dropped
    }

    /// Forgets every record, and the count of those forgotten before.
    pub(crate) fn clear(&self) {
        let mut records = self.lock();
        records.kept.clear();
        records.dropped = 0;
    }
}

/// See [`RequestLog::pending`].
pub(crate) struct Pending<'a> {
    log: &'a RequestLog,
    pub(crate) record: RequestRecord,
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        let nothing = RequestRecord {
            received_at: String::new(),
            method: String::new(),
            path: String::new(),
            route: None,
            headers: BTreeMap::new(),
            api_key: ApiKeyCheck::Missing,
            de_duplication_key: None,
            fault: None,
            status: None,
        };
        self.log.push(std::mem::replace(&mut self.record, nothing));
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn record(path: &str) -> RequestRecord {
        RequestRecord::new("GET", path, None, &HeaderMap::new(), ApiKeyCheck::Valid)
    }

    #[test]
    fn the_log_keeps_the_most_recent_and_counts_the_rest() {
        let log = RequestLog::new(2);
        for path in ["/a", "/b", "/c"] {
            log.push(record(path));
        }
        let paths: Vec<String> = log.all().into_iter().map(|r| r.path).collect();
        assert_eq!(paths, ["/b", "/c"]);
        assert_eq!(log.dropped(), 1);

        let none = RequestLog::new(0);
        none.push(record("/a"));
        assert_eq!((none.all().len(), none.dropped()), (0, 1));
    }

    #[test]
    fn credentials_are_left_out_and_repeated_headers_joined() {
        let mut headers = HeaderMap::new();
        headers.insert("x-api-key", HeaderValue::from_static("secret"));
        headers.insert("authorization", HeaderValue::from_static("Bearer secret"));
        headers.append("accept", HeaderValue::from_static("application/json"));
        headers.append("accept", HeaderValue::from_static("text/plain"));
        let record = RequestRecord::new("POST", "/v1/tickets", None, &headers, ApiKeyCheck::Valid);
        assert_eq!(
            record.headers,
            BTreeMap::from([(
                "accept".to_owned(),
                "application/json, text/plain".to_owned()
            )])
        );
        assert!(!format!("{record:?}").contains("secret"));
    }
}
