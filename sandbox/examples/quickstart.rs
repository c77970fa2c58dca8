//! `cargo run --example quickstart`: create a ticket, then update it.
//!
//! With no `THENA_API_KEY` in the environment it starts the embedded sandbox in-process
//! (no network needed). With `THENA_API_KEY` it talks to `THENA_BASE_URL` (default: the
//! Thena platform), in the team `THENA_TEAM_ID` (default: `team_12345`).

use std::error::Error;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use thena_sandbox::Sandbox;
use thena_sdk::{Client, ClientBuilder, DEFAULT_BASE_URL, types};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("quickstart failed: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn Error>> {
    let env = |name| {
        std::env::var(name)
            .ok()
            .filter(|v: &String| !v.trim().is_empty())
    };
    // Kept alive until the end: dropping the handle stops the sandbox.
    let mut sandbox = None;
    let client = if env("THENA_API_KEY").is_some() {
        // THENA_API_KEY, THENA_BASE_URL, THENA_MAX_RETRIES, THENA_TIMEOUT_SECS
        let builder = ClientBuilder::from_env()?;
        let url = env("THENA_BASE_URL").unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
        println!("Using the Thena API at {url} (THENA_API_KEY is set)");
        builder.build()?
    } else {
        let started = Sandbox::start()
            .await
            .map_err(|e| format!("cannot start the embedded sandbox: {e}"))?;
        println!(
            "No THENA_API_KEY in the environment: started the embedded sandbox at {}",
            started.url()
        );
        let client = Client::builder()
            .base_url(started.url())
            .api_key(started.api_key())
            .build()?;
        sandbox = Some(started);
        client
    };
    let team_id = env("THENA_TEAM_ID").unwrap_or_else(|| "team_12345".to_owned());

    // A key unique to this run: retrying this create could never make a second ticket.
    let run_id = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis();
    let key = format!("quickstart-{run_id}");
    let created = client
        .create_ticket()
        .body(
            types::CreateTicketBody::builder()
                .title("Printer on fire")
                .requestor_email("user@example.com")
                .team_id(team_id)
                .description("Smoke coming out of the second-floor printer.")
                .priority_name("Medium")
                .de_duplication_key(key),
        )
        .send()
        .await
        .map_err(|e| format!("creating the ticket failed: {e}"))?
        .into_inner()
        .data;
    println!("\nCreated ticket {}", shown(&created.ticket_identifier));
    println!("  id:       {}", shown(&created.id));
    println!("  status:   {}", shown(&created.status));
    println!("  title:    {}", shown(&created.title));
    println!("  priority: {}", shown(&created.priority));

    let id = created.id.ok_or("the create response has no ticket id")?;
    let updated = client
        .update_ticket()
        .id(id)
        .body(
            types::UpdateTicketBody::builder()
                .title("Printer on fire (contained)")
                .priority_name("High"),
        )
        .send()
        .await
        .map_err(|e| format!("updating the ticket failed: {e}"))?
        .into_inner()
        .data;
    println!("\nUpdated ticket {}", shown(&updated.ticket_identifier));
    println!("  title:    {}", shown(&updated.title));
    println!("  priority: {}", shown(&updated.priority));
    println!("  status:   {}", shown(&updated.status));
    println!("  updated:  {}", shown(&updated.updated_at));

    if let Some(sandbox) = sandbox {
        sandbox.shutdown().await;
    }
    Ok(())
}

fn shown(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("-")
}
