//! Rust SDK for the [Thena](https://thena.ai) platform's ticket API.
//!
//! ```no_run
//! use thena_sdk::{Client, types};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::builder().api_key("my-api-key").build()?;
//! let created = client
//!     .create_ticket()
//!     .body(
//!         types::CreateTicketBody::builder()
//!             .title("Printer on fire")
//!             .requestor_email("user@example.com")
//!             .team_id("team_12345"),
//!     )
//!     .send()
//!     .await?;
//! let id = created.data.id.clone().unwrap_or_default();
//! client
//!     .update_ticket()
//!     .id(id)
//!     .body(types::UpdateTicketBody::builder().priority_name("High".to_string()))
//!     .send()
//!     .await?;
//! # Ok(())
//! # }
//! ```
//!
//! The request and response types in [`types`] and the request builders in [`builder`]
//! are generated from the project's OpenAPI spec; [`Client::builder`] is the hand-written
//! way in.

mod auth;
mod config;
mod error;
// Written by `cargo xtask generate` (prettyplease-formatted, so rustfmt keeps off it).
#[allow(missing_docs, clippy::all)]
#[rustfmt::skip]
mod generated;
mod hooks;
mod random;
mod rate_limit;
mod response;
mod retry;
mod runtime;
mod tls;

pub use config::{ClientBuilder, ConfigError, DEFAULT_BASE_URL};
pub use generated::*;
pub use response::{RateLimit, ResponseHead};
