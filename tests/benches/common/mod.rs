//! What the benchmarks share: the request they send, through the SDK and written by hand
//! with reqwest + serde_json. Like with like:
//! - the raw side sends the same bytes: the same headers (`x-api-key`, `user-agent`,
//!   `accept`, `api-version`, `content-type`, set once on its client, as a careful
//!   hand-writer would), the same JSON body, and for creates a fresh `deDuplicationKey`
//!   (a v4 UUID) per request, as the SDK adds one to every create;
//! - it has the SDK's default limits: a 10 s connect and a 60 s request timeout;
//! - it decodes into the SDK's generated `types::TicketResponse`: a hand-written struct
//!   with the same fields and serde derives would compile to the same code, so the
//!   difference measured is the SDK's per-request runtime (builders, hooks, retries,
//!   rate-limit tracking, tracing spans, error mapping), not its types.

#![allow(dead_code)] // each benchmark uses its part

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{ACCEPT, HeaderMap, HeaderName, HeaderValue, USER_AGENT};
use serde::Serialize;
use thena_sdk::{Client, types};

pub const TITLE: &str = "Invoices PDF export times out";
pub const REQUESTOR: &str = "j.alvarez@northwind.example";
pub const TEAM: &str = "team_12345";
pub const DESCRIPTION: &str = "Exporting an invoice with more than 500 line items as PDF \
                           spins for 30 seconds, then fails. Smaller invoices export.";

pub async fn sdk_create(client: &Client) -> types::TicketResponse {
    let body = types::CreateTicketBody::builder()
        .title(TITLE)
        .requestor_email(REQUESTOR)
        .team_id(TEAM)
        .description(DESCRIPTION)
        .priority_name("High");
    client
        .create_ticket()
        .body(body)
        .send()
        .await
        .expect("the sandbox creates the ticket")
        .into_inner()
}

pub async fn sdk_update(client: &Client, id: &str) -> types::TicketResponse {
    let body = types::UpdateTicketBody::builder()
        .priority_name("Urgent")
        .status_name("In progress");
    client
        .update_ticket()
        .id(id)
        .body(body)
        .send()
        .await
        .expect("the sandbox updates the ticket")
        .into_inner()
}

/// The hand-written client: reqwest and serde_json, nothing else.
#[derive(Clone)]
pub struct Raw {
    http: reqwest::Client,
    base: Arc<str>,
}

/// The create body, in the order the SDK writes it (it appends the key last).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RawCreate<'a> {
    description: &'a str,
    is_proactive: bool,
    priority_name: &'a str,
    requestor_email: &'a str,
    team_id: &'a str,
    title: &'a str,
    de_duplication_key: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RawUpdate<'a> {
    priority_name: &'a str,
    status_name: &'a str,
}

impl Raw {
    pub fn new(url: &str, api_key: &str) -> Self {
        // reqwest is built with rustls but no crypto provider; it wants one even for http.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let header = |value: &str| HeaderValue::from_str(value).expect("a valid header");
        let mut api_key = header(api_key);
        api_key.set_sensitive(true);
        let headers = HeaderMap::from_iter([
            (HeaderName::from_static("x-api-key"), api_key),
            (USER_AGENT, header("raw-reqwest/0.1.0")),
            (ACCEPT, header("application/json")),
            (HeaderName::from_static("api-version"), header("1.0.0")),
        ]);
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .build()
            .expect("a reqwest client");
        Self {
            http,
            base: url.into(),
        }
    }

    pub async fn create(&self) -> types::TicketResponse {
        let body = RawCreate {
            description: DESCRIPTION,
            is_proactive: false,
            priority_name: "High",
            requestor_email: REQUESTOR,
            team_id: TEAM,
            title: TITLE,
            de_duplication_key: uuid_v4(),
        };
        let url = format!("{}/v1/tickets", self.base);
        decode(self.http.post(url).json(&body).send().await).await
    }

    pub async fn update(&self, id: &str) -> types::TicketResponse {
        let body = RawUpdate {
            priority_name: "Urgent",
            status_name: "In progress",
        };
        let url = format!("{}/v1/tickets/{id}", self.base);
        decode(self.http.patch(url).json(&body).send().await).await
    }
}

async fn decode(sent: reqwest::Result<reqwest::Response>) -> types::TicketResponse {
    let response = sent
        .and_then(reqwest::Response::error_for_status)
        .expect("the sandbox answers with success");
    let bytes = response.bytes().await.expect("the body arrives");
    serde_json::from_slice(&bytes).expect("a ticket response")
}

/// A random (version 4) UUID, as a hand-writer would make a `deDuplicationKey`.
fn uuid_v4() -> String {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).expect("OS randomness");
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let n = u128::from_be_bytes(bytes);
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        n >> 96,
        (n >> 80) & 0xffff,
        (n >> 64) & 0xffff,
        (n >> 48) & 0xffff,
        n & 0xffff_ffff_ffff
    )
}
