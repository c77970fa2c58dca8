//! What `thena` prints on stdout: the ticket, as JSON or as a table. Everything else
//! (messages, warnings, errors) goes to stderr, so that stdout can be piped into `jq`.

use std::io::{self, IsTerminal};

use clap::{Arg, ArgMatches};
use serde_json::{Map, Value};
use thena_sdk::PreparedRequest;
use thena_sdk::types::Ticket;

use crate::exit::{Failure, Status};

/// The output, as `--help` explains it.
pub const HELP: &str = "\
Output:
  stdout carries the ticket (the response's data) as JSON: pretty on a terminal,
  compact in a pipe, so `thena tickets create ... | jq .id` works. Messages and
  errors go to stderr.";

const OUTPUT: &str = "output";

/// The properties `--output table` shows, in this order.
const TABLE_FIELDS: [&str; 10] = [
    "id",
    "ticketIdentifier",
    "title",
    "status",
    "priority",
    "teamId",
    "requestorEmail",
    "assignedAgentEmail",
    "createdAt",
    "updatedAt",
];

/// The global `--output` option.
pub fn arg() -> Arg {
    Arg::new(OUTPUT)
        .long(OUTPUT)
        .help_heading(crate::config::GLOBAL)
        .value_name("FORMAT")
        .global(true)
        .value_parser(["json", "table"])
        .default_value("json")
        .help("How the ticket is printed: json, or table (its main fields as aligned text)")
}

/// Prints the ticket on stdout in the format `--output` asks for. The request has
/// succeeded by then: a failure to print is [`Status::OutputLost`], and its message
/// says what was `done` (the ticket's id, the key of a create), so that nobody runs the
/// command again to get the output and makes a second ticket.
pub fn print(ticket: &Ticket, matches: &ArgMatches, done: &str) -> Result<(), Failure> {
    let lost = |e: &dyn std::fmt::Display| {
        Failure::new(
            Status::OutputLost,
            format!("{done}, but writing it to stdout failed: {e}"),
        )
    };
    let json = serde_json::to_value(ticket).map_err(|e| lost(&e))?;
    let text = match matches.get_one::<String>(OUTPUT).map(String::as_str) {
        Some("table") => table(&json),
        _ if io::stdout().is_terminal() => format!("{json:#}"),
        _ => json.to_string(),
    };
    crate::stream::data(format!("{text}\n").as_bytes()).map_err(|e| lost(&e))
}

/// The `--dry-run` flag of `tickets create`, `tickets update` and `api`.
pub const DRY_RUN: &str = "dry-run";

/// `--dry-run`.
pub fn dry_run_arg() -> Arg {
    Arg::new(DRY_RUN)
        .long(DRY_RUN)
        .action(clap::ArgAction::SetTrue)
        .help(
            "Print the request that would be sent (method, URL, headers with the key \
             redacted, body) as JSON, checked as a real send is; send nothing",
        )
}

/// Prints a dry run's request on stdout as one JSON document: `method`, `url`,
/// `headers` (an object; a repeated header's values joined by `, `) and `body` (its
/// JSON, or its text when it is not JSON; `null` for none).
pub fn print_prepared(request: &PreparedRequest) -> Result<(), Failure> {
    let mut headers = Map::new();
    for (name, value) in request.headers() {
        let joined = match headers.remove(name) {
            Some(Value::String(earlier)) => format!("{earlier}, {value}"),
            _ => value.clone(),
        };
        headers.insert(name.clone(), Value::String(joined));
    }
    let body = match request.body() {
        None => Value::Null,
        Some(bytes) => serde_json::from_slice(bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned())),
    };
    let shown = serde_json::json!({
        "method": request.method().as_str(),
        "url": request.url().as_str(),
        "headers": headers,
        "body": body,
    });
    let text = match io::stdout().is_terminal() {
        true => format!("{shown:#}\n"),
        false => format!("{shown}\n"),
    };
    crate::stream::data(text.as_bytes()).map_err(|e| {
        Failure::new(
            Status::OutputLost,
            format!("nothing was sent (--dry-run), and writing the request to stdout failed: {e}"),
        )
    })
}

/// The main fields, one per line, values aligned; `-` for a field the ticket lacks.
fn table(ticket: &Value) -> String {
    let width = TABLE_FIELDS.iter().map(|f| f.len()).max().unwrap_or(0);
    TABLE_FIELDS
        .iter()
        .map(|field| {
            let value = match &ticket[field] {
                Value::Null => "-".to_owned(),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            format!("{field:<width$}  {value}")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_table_aligns_the_main_fields() {
        let shown = table(&json!({"id": "t1", "title": "Printer", "ticketId": 3}));
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(lines.len(), TABLE_FIELDS.len());
        assert_eq!(lines[0], "id                  t1");
        assert_eq!(lines[2], "title               Printer");
        assert_eq!(lines[3], "status              -");
    }
}
