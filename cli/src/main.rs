//! `thena`: the Thena ticket API from the shell, on `thena-sdk`.
//!
//! The operation commands and their flags are generated from `spec/thena.yaml`
//! (`generated.rs`); the modules around them arrange the command tree (`tickets`), build
//! the request body (`body`), configure the client (`config`), print the result
//! (`output`) and map failures to exit statuses (`exit`). `import` creates a ticket per
//! row of a file, exactly once; `api` sends a request to any path.

mod api;
mod body;
mod completions;
mod config;
mod exit;
// Written by `cargo xtask generate` (prettyplease-formatted, so rustfmt keeps off it).
#[rustfmt::skip]
mod generated;
mod import;
mod log;
mod man;
mod operation;
mod output;
mod profile;
mod stream;
#[cfg(test)]
mod test_file;
mod tickets;

use std::process::ExitCode;

use clap::{ArgMatches, Command};

use crate::exit::Failure;

fn main() -> ExitCode {
    // clap prints usage errors itself and exits with 2; `--help` exits with 0.
    let matches = command().get_matches();
    match run(&matches) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}

/// The whole command tree, global options included.
fn command() -> Command {
    Command::new("thena")
        .version(env!("CARGO_PKG_VERSION"))
        .about("Create and update Thena tickets from the shell")
        .after_help(format!(
            "{}\n\n{}\n\n{}",
            config::HELP,
            output::HELP,
            exit::HELP
        ))
        .subcommand_required(true)
        .args(config::args())
        .arg(output::arg())
        .arg(log::arg())
        .subcommand(tickets::command())
        .subcommand(api::command())
        .subcommand(config::command())
        .subcommand(completions::command())
        .subcommand(man::command())
}

fn run(matches: &ArgMatches) -> Result<(), Failure> {
    log::start(matches)?;
    match matches.subcommand() {
        Some((tickets::NAME, sub)) => tickets::run(matches, sub),
        Some((api::NAME, sub)) => api::run(matches, sub),
        Some((config::NAME, _)) => config::show(matches),
        Some((completions::NAME, sub)) => completions::run(sub, command()),
        Some((man::NAME, sub)) => man::run(sub, command()),
        _ => unreachable!("clap accepts only the subcommands of command()"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_tree_is_consistent() {
        // clap's own checks: no two arguments of a command share a name or a flag,
        // including the global options that every generated command inherits.
        super::command().debug_assert();
    }
}
