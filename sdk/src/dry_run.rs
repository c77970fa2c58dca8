//! [`PreparedRequest`]: a request as a dry-run client would have sent it
//! ([`ClientBuilder::dry_run`](crate::ClientBuilder::dry_run)), built and checked like
//! any other, and shown with the API key redacted.

use bytes::Bytes;
use reqwest::{Method, Request, Url};

use crate::auth::Redactor;

/// A request that was built and checked but not sent: a dry-run client's answer
/// ([`Error::DryRun`](crate::Error::DryRun)).
#[derive(Clone, Debug)]
pub struct PreparedRequest {
    method: Method,
    url: Url,
    headers: Vec<(String, String)>,
    body: Option<Bytes>,
}

impl PreparedRequest {
    /// `request` as it stands once the hooks have added the credentials, the key
    /// redacted (the `x-api-key` header's value is the key itself).
    pub(crate) fn of(request: &Request, redactor: &Redactor) -> Self {
        Self {
            method: request.method().clone(),
            url: request.url().clone(),
            headers: redactor.headers(request.headers()),
            body: request
                .body()
                .and_then(|b| b.as_bytes())
                .map(Bytes::copy_from_slice),
        }
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The whole URL.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Every header (`name`, `value`) in the order it would go, `x-api-key`'s value
    /// redacted.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The body, exactly as it would go (a create's generated `deDuplicationKey`
    /// included).
    pub fn body(&self) -> Option<&[u8]> {
        self.body.as_deref()
    }
}
