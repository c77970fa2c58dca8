//! What a crate depending on thena-sdk writes, compiled and run outside the workspace:
//! builders that take `&str` for optional properties and constrained strings, and a
//! plain `reqwest::Client` of its own beside the SDK's.

use thena_sdk::{Client, Error, types};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let body = types::CreateTicketBody::builder()
        .title("Printer on fire")
        .requestor_email("user@example.com")
        .team_id("team_12345")
        .description("Smoke from the printer")
        .priority_name(String::from("High"))
        .de_duplication_key("order-42")
        .set_assigned_agent_email(None::<&str>)
        .is_private(true)
        .custom_field_values(vec![serde_json_map()]);
    let body = types::CreateTicketBody::try_from(body)?;
    assert_eq!(body.de_duplication_key.as_deref().map(|k| k.as_str()), Some("order-42"));

    // Nothing listens on port 9: a call fails, it does not panic.
    let client = Client::builder()
        .base_url("http://127.0.0.1:9")
        .api_key("tk_dependent")
        .max_retries(0)
        .build()?;
    let too_long = client
        .create_ticket()
        .body(types::CreateTicketBody::builder().de_duplication_key("k".repeat(256)))
        .send()
        .await;
    match too_long {
        Err(Error::InvalidRequest(message)) => println!("refused before sending: {message}"),
        other => return Err(format!("expected InvalidRequest, got {other:?}").into()),
    }

    // The SDK's clients brought their own TLS configuration and installed nothing.
    assert!(rustls::crypto::CryptoProvider::get_default().is_none());
    // The one line the SDK's README prescribes before a plain reqwest client of one's own.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let own = reqwest::Client::new();
    drop(own);
    println!("a crate depending on thena-sdk builds and runs");
    Ok(())
}

fn serde_json_map() -> serde_json::Map<String, serde_json::Value> {
    let mut map = serde_json::Map::new();
    map.insert("fieldId".into(), "cf_1".into());
    map
}
