//! `thena completions <shell>`: a completion script for the whole command tree, the
//! generated flags included.

use clap::{Arg, ArgMatches, Command, value_parser};
use clap_complete::Shell;

use crate::exit::{Failure, Status};

/// The command's name in the tree.
pub const NAME: &str = "completions";

/// `thena completions <shell>`.
pub fn command() -> Command {
    Command::new(NAME)
        .about("Print a shell completion script")
        .long_about(
            "Print a shell completion script on stdout, e.g. in a shell's start-up file:\n  \
             source <(thena completions bash)\n  \
             source <(thena completions zsh)\n  \
             thena completions fish | source",
        )
        .arg(
            Arg::new("shell")
                .value_name("SHELL")
                .required(true)
                .value_parser(value_parser!(Shell))
                .help("The shell"),
        )
}

/// Writes the script for the chosen shell to stdout: built whole first, so that a
/// closed or full stdout is an error to report, not a panic inside the generator.
pub fn run(matches: &ArgMatches, mut tree: Command) -> Result<(), Failure> {
    let Some(&shell) = matches.get_one::<Shell>("shell") else {
        return Ok(());
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut tree, "thena", &mut script);
    crate::stream::data(&script).map_err(|e| {
        Failure::new(
            Status::OutputLost,
            format!("cannot write the completion script to stdout: {e}"),
        )
    })
}
