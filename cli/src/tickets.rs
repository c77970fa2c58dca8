//! `thena tickets create|update|import`: the generated operation commands, placed in the
//! tree and sent through the SDK, and the bulk import (its own module, `import`).

use clap::{ArgMatches, Command};
use thena_sdk::PreparedRequest;
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
        .subcommand(create_ticket().name("create").arg(output::dry_run_arg()))
        .subcommand(update_ticket().name("update").arg(output::dry_run_arg()))
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
    let using = match matches
        .subcommand()
        .is_some_and(|(_, sub)| sub.get_flag(output::DRY_RUN))
    {
        true => config::Use::DryRun,
        false => config::Use::Send,
    };
    match runtime.block_on(send(global, request, using))? {
        Sent::Done(ticket, done) => output::print(&ticket, global, &done),
        Sent::DryRun(prepared) => output::print_prepared(&prepared),
    }
}

/// What sending came to.
enum Sent {
    /// The ticket, and what was done as a phrase.
    Done(Box<Ticket>, String),
    /// A dry run's request, not sent.
    DryRun(Box<PreparedRequest>),
}

/// Sends the request; the ticket, and what was done as a phrase that names the ticket
/// (and a create's key, with which the create can be sent again safely).
async fn send(global: &ArgMatches, request: Request, using: config::Use) -> Result<Sent, Failure> {
    let connection = config::connect(global, using).await?;
    let client = &connection.client;
    let (result, verb) = match request {
        Request::Create(body) => (client.create_ticket().body(body).send().await, "created"),
        Request::Update { id, body } => (
            client.update_ticket().id(id).body(body).send().await,
            "updated",
        ),
    };
    let response = match result {
        Err(thena_sdk::Error::DryRun(prepared)) => return Ok(Sent::DryRun(prepared)),
        other => other?,
    };
    let key = response.head().dedup_key().map(str::to_owned);
    let mut facts = Vec::new();
    let ticket = response.into_inner().data;
    if let Some(id) = &ticket.id {
        facts.push(format!("id {id}"));
    }
    if let Some(identifier) = &ticket.ticket_identifier {
        facts.push(format!("ticketIdentifier {identifier}"));
    }
    if let Some(key) = &key {
        facts.push(format!(
            "deDuplicationKey {key}: a create sent again with this key makes no second \
             ticket, without it it does"
        ));
    }
    let done = match facts.is_empty() {
        true => format!("the ticket was {verb}"),
        false => format!("the ticket was {verb} ({})", facts.join(", ")),
    };
    Ok(Sent::Done(Box::new(ticket), done))
}
