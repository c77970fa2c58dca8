//! Requests to any path of the platform, for the endpoints the spec does not describe yet:
//! [`Client::request`]. They go through the generated operations' own hooks and call loop
//! (credentials, the origin, redaction, the rate limit, retries, the size limit, typed
//! errors), so the only thing written here is how the request is assembled.

use bytes::Bytes;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::Client;
use crate::auth::API_KEY_HEADER;
use crate::error::Error;
use crate::hooks::{ClientHooks, OperationInfo};
use crate::idempotency::{self, DedupKey};
use crate::response::ResponseValue;

/// The body property that makes a `POST` safe to send again.
const DEDUP_KEY: &str = "deDuplicationKey";

/// Headers a caller may not set besides the key (the client's): they would change how
/// the request is framed, how the connection behaves, or where it claims to go.
const FRAMING: [HeaderName; 7] = [
    header::HOST,
    header::CONTENT_LENGTH,
    header::TRANSFER_ENCODING,
    header::CONNECTION,
    header::UPGRADE,
    header::TE,
    header::EXPECT,
];

/// A request to any path on the client's base URL, built by [`Client::request`].
///
/// It is sent like a generated operation: with the client's key (never with a key of its
/// own: an `x-api-key` header is refused), to the base URL's origin only, within the rate
/// limit, retried by the same rules, and it fails with the same [`Error`]. A `POST` is
/// retried only when its JSON body carries a `deDuplicationKey` (the caller's, or one
/// added by [`idempotent`](Self::idempotent)); `GET`, `PUT`, `PATCH` and `DELETE` are
/// retried on transient failures.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use thena_sdk::Method;
/// use serde_json::{Value, json};
/// let client = thena_sdk::Client::from_env()?;
/// let comment = client
///     .request(Method::POST, "/v1/tickets/T1/comments")
///     .json(&json!({ "content": "Escalated to the on-call engineer" }))
///     .idempotent()
///     .send::<Value>()
///     .await?;
/// println!("{} {}", comment.status(), comment.into_inner());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct RawRequest {
    client: Client,
    method: Method,
    /// The whole URL, on the base URL's origin, or why it is not.
    url: Result<Url, String>,
    headers: HeaderMap,
    /// The JSON body, as it will be sent.
    body: Option<Bytes>,
    /// The body's top-level `deDuplicationKey`, when it is a string.
    key: Option<String>,
    /// The first argument that broke a rule; reported by `send`, before anything is sent.
    problem: Option<String>,
}

impl Client {
    /// A request to `path` (such as `/v1/tickets/T1/comments`, a query string allowed)
    /// on the base URL, for endpoints the generated operations do not cover. An absolute
    /// URL is accepted only on the base URL's origin; one to another host is refused.
    /// See [`RawRequest`].
    pub fn request(&self, method: Method, path: &str) -> RawRequest {
        RawRequest {
            url: url_on_origin(&self.baseurl, path),
            client: self.clone(),
            method,
            headers: HeaderMap::new(),
            body: None,
            key: None,
            problem: None,
        }
    }
}

/// `path` joined to `base`, when it stays on `base`'s origin.
fn url_on_origin(base: &str, path: &str) -> Result<Url, String> {
    let base = Url::parse(base).map_err(|e| format!("the base URL: {e}"))?;
    let url = match path.starts_with('/') && !path.starts_with("//") {
        // Appended, not resolved: a base URL's own path (`https://host/api`) is kept.
        true => Url::parse(&format!("{}{path}", base.as_str().trim_end_matches('/'))),
        false => Url::parse(path),
    }
    .map_err(|_| {
        format!(
            "path: must start with / (such as /v1/tickets) or be a URL on {}",
            base.origin().ascii_serialization()
        )
    })?;
    if path.chars().any(char::is_control) {
        return Err("path: must not hold control characters (a line break, a tab)".into());
    }
    // The URL parser would resolve `..` and `.`, leaving the base URL's own path.
    if path
        .split(['?', '#'])
        .next()
        .is_some_and(|p| p.split('/').any(|s| matches!(s, "." | "..")))
    {
        return Err("path: must not hold . or .. segments, which address another path".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "path: must not carry credentials (user:password@): the client's key is the \
             only credential sent"
                .into(),
        );
    }
    if url.origin() != base.origin() {
        return Err(format!(
            "path: {} is not on {}: requests go to the configured base URL's origin only",
            url.origin().ascii_serialization(),
            base.origin().ascii_serialization()
        ));
    }
    Ok(url)
}

impl RawRequest {
    /// Adds a header. `x-api-key` (the client sets it), `host`, `content-length`,
    /// `transfer-encoding` and `connection` are refused, as are names and values that
    /// HTTP does not allow.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let parsed = HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|_| format!("header {name:?}: not a valid header name"))
            .and_then(
                |name| match name == API_KEY_HEADER || FRAMING.contains(&name) {
                    true => Err(format!("header {name}: set by the client, not by a caller")),
                    false => Ok(name),
                },
            )
            .and_then(|name| {
                HeaderValue::from_str(value.trim())
                    .map(|value| (name.clone(), value))
                    .map_err(|_| format!("header {name}: the value is not valid in a header"))
            });
        match parsed {
            Ok((name, mut value)) => {
                // Debug shows the request; a credential of the caller's stays hidden.
                let secret = [
                    header::AUTHORIZATION,
                    header::PROXY_AUTHORIZATION,
                    header::COOKIE,
                ];
                value.set_sensitive(secret.contains(&name));
                self.headers.append(name, value);
            }
            Err(problem) => self.refuse(problem),
        }
        self
    }

    /// Sends `body` as JSON. For a `POST`, a `deDuplicationKey` among the members of an
    /// object body makes the request safe to retry.
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Self {
        match serde_json::to_vec(body) {
            Ok(bytes) => {
                self.key = top_level_key(&bytes);
                self.body = Some(bytes.into());
                self
            }
            Err(e) => self.refused(format!("body: cannot be written as JSON: {e}")),
        }
    }

    /// Sends `bytes`, which must be one JSON document, as the body exactly as they are
    /// (member order and number spelling kept). A document that names one member twice
    /// at its top is refused, as servers disagree on which wins.
    pub fn json_bytes(mut self, bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        match serde_json::from_slice::<serde::de::IgnoredAny>(&bytes) {
            Ok(_) => {
                self.key = top_level_key(&bytes);
                self.body = Some(bytes);
                self
            }
            Err(e) => self.refused(format!("body: not one JSON document: {e}")),
        }
    }

    /// Makes a `POST` safe to retry: adds a fresh `deDuplicationKey` to its JSON object
    /// body, unless it has one (which must then be a string). The key is known from here
    /// on ([`dedup_key`](Self::dedup_key)): send a clone again with it after a cancelled
    /// or failed call, and the platform does not act twice. Other methods are
    /// repeatable already; for them this does nothing. Call it after
    /// [`json`](Self::json).
    pub fn idempotent(self) -> Self {
        if self.method != Method::POST || self.key.is_some() {
            return self;
        }
        let object = self
            .body
            .as_deref()
            .and_then(|b| serde_json::from_slice::<Value>(b).ok());
        match object {
            Some(Value::Object(mut members)) if !members.contains_key(DEDUP_KEY) => {
                let key = idempotency::new_dedup_key();
                members.insert(DEDUP_KEY.into(), Value::String(key));
                self.json(&members)
            }
            Some(Value::Object(_)) => self.refused(format!("body: {DEDUP_KEY} must be a string")),
            _ => self.refused(format!(
                "idempotent: a POST is made safe to retry by a {DEDUP_KEY} in a JSON \
                 object body, and this request has none"
            )),
        }
    }

    /// The `deDuplicationKey` a `POST` carries: one its body brought, or the one
    /// [`idempotent`](Self::idempotent) added.
    pub fn dedup_key(&self) -> Option<&str> {
        self.key.as_deref().filter(|_| self.method == Method::POST)
    }

    /// Why `send` would refuse the request before sending, if it would: a header, the
    /// path or the body that broke a rule (the message of its
    /// [`Error::InvalidRequest`]). For a caller that reports the request (its key, say)
    /// before sending it.
    pub fn check(&self) -> Result<(), &str> {
        match (&self.problem, &self.url) {
            (Some(problem), _) | (None, Err(problem)) => Err(problem),
            (None, Ok(_)) => Ok(()),
        }
    }

    /// Sends the request and decodes a success's body as `T`: `serde_json::Value` for
    /// the JSON as it came, or a type of [`types`](crate::types). An empty body reads
    /// as JSON `null`. An error status fails with [`Error::ErrorResponse`] (or
    /// [`Error::InvalidResponsePayload`], when the body is not the documented error),
    /// a redirect or other status with [`Error::UnexpectedResponse`].
    pub async fn send<T: DeserializeOwned>(self) -> Result<ResponseValue<T>, Error> {
        self.check()
            .map_err(|problem| Error::InvalidRequest(problem.to_owned()))?;
        let info = OperationInfo {
            operation_id: "request",
            // Known to the caller from `dedup_key`, who may have sent it before.
            dedup_key: self.dedup_key().map(|key| DedupKey {
                key: key.into(),
                callers: true,
            }),
        };
        let Self {
            client,
            method,
            url,
            mut headers,
            body,
            ..
        } = self;
        let url = url.map_err(Error::InvalidRequest)?;
        let json = HeaderValue::from_static("application/json");
        headers.entry(header::ACCEPT).or_insert(json.clone());
        if body.is_some() {
            headers.entry(header::CONTENT_TYPE).or_insert(json);
        }
        let mut request = client.client.request(method, url).headers(headers);
        if let Some(body) = body {
            request = request.body(body);
        }
        let mut request = request.build()?;
        client.pre(&mut request, &info).await?;
        let result = client.exec(request, &info).await;
        client.post(&result, &info).await?;
        let answer = result?;
        match answer.status().as_u16() {
            200..=299 => {
                let (body, head) = answer.into_parts();
                let body = match body.is_empty() {
                    true => Bytes::from_static(b"null"),
                    false => body,
                };
                ResponseValue::from_response(ResponseValue::new(head, body)).await
            }
            400..=599 => Err(Error::ErrorResponse(
                ResponseValue::from_response(answer).await?,
            )),
            _ => Err(Error::UnexpectedResponse(answer)),
        }
    }

    fn refuse(&mut self, problem: String) {
        self.problem.get_or_insert(problem);
    }

    fn refused(mut self, problem: String) -> Self {
        self.refuse(problem);
        self
    }
}

/// The string value of a JSON object's top-level `deDuplicationKey`. A body too deep to
/// read back has none, and a `POST` of it is sent once.
fn top_level_key(json: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Keyed {
        #[serde(rename = "deDuplicationKey")]
        key: Option<Value>,
    }
    match serde_json::from_slice::<Keyed>(json).ok()?.key? {
        Value::String(key) => Some(key),
        _ => None,
    }
}
