//! Where the tests send their requests: an in-process sandbox, or the one `cargo xtask
//! test` runs behind Prism.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use thena_sandbox::{RequestRecord, Sandbox};
use thena_sdk::Client;
use thena_sdk::types::{CreateTicketBody, ErrorResponse, ErrorResponseMessage, Ticket, builder};

pub struct Target {
    /// Where API requests go: Prism in the contract run, else the sandbox.
    api_url: String,
    /// The sandbox itself: `/_sandbox`, and requests that break the spec on purpose
    /// (Prism would answer those itself instead of passing them on).
    sandbox_url: String,
    api_key: String,
    http: reqwest::Client,
    /// Keeps an in-process sandbox running for the test's duration.
    _sandbox: Option<Sandbox>,
}

impl Target {
    pub async fn new() -> Self {
        let env = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
        let (api_url, sandbox_url, api_key, sandbox) = match (
            env("THENA_TEST_BASE_URL"),
            env("THENA_TEST_SANDBOX_URL"),
            env("THENA_TEST_API_KEY"),
        ) {
            (Some(api), Some(sandbox), Some(key)) => (api, sandbox, key, None),
            (None, None, None) => {
                let sandbox = Sandbox::start().await.expect("the sandbox starts");
                let url = sandbox.url().to_owned();
                let key = sandbox.api_key().to_owned();
                (url.clone(), url, key, Some(sandbox))
            }
            _ => panic!(
                "set all of THENA_TEST_BASE_URL, THENA_TEST_SANDBOX_URL and THENA_TEST_API_KEY, or none"
            ),
        };
        // reqwest is built with rustls but no crypto provider; it needs one installed.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        Self {
            api_url,
            sandbox_url,
            api_key,
            http: reqwest::Client::new(),
            _sandbox: sandbox,
        }
    }

    /// An SDK client for the API (through Prism in the contract run).
    pub fn client(&self) -> Client {
        self.client_with_key(&self.api_key)
    }

    /// An SDK client for the API that sends `key`.
    pub fn client_with_key(&self, key: &str) -> Client {
        Client::builder()
            .base_url(&self.api_url)
            .api_key(key)
            .build()
            .expect("valid settings")
    }

    /// An SDK client for the sandbox itself, for requests that break the spec on purpose.
    pub fn direct_client(&self) -> Client {
        Client::builder()
            .base_url(&self.sandbox_url)
            .api_key(&self.api_key)
            .build()
            .expect("valid settings")
    }

    /// The sandbox's URL, for plain HTTP requests that break the spec on purpose.
    pub fn sandbox_url(&self) -> &str {
        &self.sandbox_url
    }

    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The tickets of one team, from the sandbox's control API.
    pub async fn tickets(&self, team_id: &str) -> Vec<Ticket> {
        let tickets = self.control(&format!("tickets?teamId={team_id}")).await;
        tickets.json().await.expect("a list of tickets")
    }

    /// The sandbox's request log.
    pub async fn requests(&self) -> Vec<RequestRecord> {
        let requests = self.control("requests").await;
        requests.json().await.expect("a list of requests")
    }

    async fn control(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}/_sandbox/{path}", self.sandbox_url))
            .send()
            .await
            .expect("the control API answers")
    }
}

/// A name no other test (or earlier run against the same sandbox) uses.
pub fn unique(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_nanos();
    format!("{prefix}_{nanos}_{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A minimal create body for `team_id`.
pub fn ticket(team_id: &str) -> builder::CreateTicketBody {
    CreateTicketBody::builder()
        .title("Printer on fire")
        .requestor_email("user@example.com")
        .team_id(team_id)
}

/// An error answer from the API, taken apart.
#[derive(Debug)]
pub struct Refusal {
    pub status: u16,
    pub messages: Vec<String>,
    pub headers: reqwest::header::HeaderMap,
}

/// The error answer in `error`; panics on any other kind of failure.
pub fn refusal(error: thena_sdk::Error<ErrorResponse>) -> Refusal {
    let thena_sdk::Error::ErrorResponse(response) = error else {
        panic!("expected an error answer, got {error:?}");
    };
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let messages = match response.into_inner().message {
        Some(ErrorResponseMessage::String(message)) => vec![message],
        Some(ErrorResponseMessage::Array(messages)) => messages,
        None => Vec::new(),
    };
    Refusal {
        status,
        messages,
        headers,
    }
}
