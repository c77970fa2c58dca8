//! Helpers shared by the sandbox's own tests: plain HTTP, no SDK in the way.

#![allow(dead_code)] // each test binary uses its own subset

use serde_json::{Value, json};

/// A reqwest client. The workspace builds reqwest with rustls but no crypto provider,
/// and reqwest needs one installed even for plain HTTP.
pub fn http() -> reqwest::Client {
    http_builder()
        .build()
        .expect("a client with the aws-lc-rs provider")
}

/// A reqwest builder, the crypto provider installed.
pub fn http_builder() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    reqwest::Client::builder()
}

/// A valid create body for `team`.
pub fn ticket(team: &str) -> Value {
    json!({"title": "Printer on fire", "requestorEmail": "user@example.com", "teamId": team})
}

/// `POST /v1/tickets` with `key` and a JSON body.
pub fn create(
    http: &reqwest::Client,
    url: &str,
    key: &str,
    body: &Value,
) -> reqwest::RequestBuilder {
    http.post(format!("{url}/v1/tickets"))
        .header("x-api-key", key)
        .json(body)
}
