//! `thena tickets create|update|import`: the generated operation commands, placed in the
//! tree and sent through the SDK, and the bulk import (its own module, `import`).

use clap::{ArgMatches, Command};
use thena_sdk::types::Ticket;

use crate::config;
use crate::exit::{Failure, Status};
use crate::generated::{CREATE_TICKET_BODY, UPDATE_TICKET_BODY, create_ticket, update_ticket};
use crate::{body, import, output};

/// The command's name in the tree.
pub const NAME: &str = "tickets";

/// `thena tickets` and its subcommands.
pub fn command() -> Command {
    Command::new(NAME)
        .about("Create, update and import tickets")
        .subcommand_required(true)
        .subcommand(create_ticket().name("create"))
        .subcommand(update_ticket().name("update"))
        .subcommand(import::command())
}

/// A request, checked and ready to send.
enum Request {
    Create(thena_sdk::types::CreateTicketBody),
    Update {
        id: String,
        body: thena_sdk::types::UpdateTicketBody,
    },
}

/// Checks the input, sends the request and prints the ticket. Nothing is sent, and no
/// client configured, until the body has passed every check.
pub fn run(global: &ArgMatches, matches: &ArgMatches) -> Result<(), Failure> {
    let request = match matches.subcommand() {
        Some(("create", sub)) => Request::Create(body::build(&CREATE_TICKET_BODY, sub)?),
        Some(("update", sub)) => Request::Update {
            // Required by the generated command.
            id: sub.get_one::<String>("id").cloned().unwrap_or_default(),
            body: body::build(&UPDATE_TICKET_BODY, sub)?,
        },
        Some((import::NAME, sub)) => return import::run(global, sub),
        _ => unreachable!("clap accepts only the subcommands of command()"),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(Status::Config, format!("cannot start the runtime: {e}")))?;
    let ticket = runtime.block_on(send(global, request))?;
    output::print(&ticket, global)
}

async fn send(global: &ArgMatches, request: Request) -> Result<Ticket, Failure> {
    let connection = config::connect(global).await?;
    let client = &connection.client;
    let response = match request {
        Request::Create(body) => client.create_ticket().body(body).send().await?,
        Request::Update { id, body } => client.update_ticket().id(id).body(body).send().await?,
    };
    Ok(response.into_inner().data)
}
