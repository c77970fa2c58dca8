//! `thena man DIR`: a manual page per command, rendered from the same clap tree as
//! `--help`, so that the two cannot drift apart.

use std::path::{Path, PathBuf};

use clap::{Arg, ArgMatches, Command, value_parser};

use crate::exit::{Failure, Status};

/// The command's name in the tree.
pub const NAME: &str = "man";

/// `thena man DIR`.
pub fn command() -> Command {
    Command::new(NAME)
        .about("Write a manual page per command into a directory")
        .long_about(
            "Write a manual page per command (thena.1, thena-tickets-create.1, ...) into \
             DIR, created if missing; then, for example: man -l DIR/thena-api.1",
        )
        .arg(
            Arg::new("dir")
                .value_name("DIR")
                .required(true)
                .value_parser(value_parser!(PathBuf))
                .help("The directory to write the pages into"),
        )
}

/// Writes the pages of `tree` and of every subcommand, and lists them on stdout.
pub fn run(matches: &ArgMatches, mut tree: Command) -> Result<(), Failure> {
    let Some(dir) = matches.get_one::<PathBuf>("dir") else {
        return Ok(());
    };
    let failed = |e: std::io::Error| Failure::new(Status::Usage, format!("{}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(failed)?;
    // Global options reach the subcommands only once the tree is built.
    tree.build();
    let mut written = Vec::new();
    write_pages(&tree, dir, &mut written).map_err(failed)?;
    let list: String = written
        .iter()
        .map(|p| format!("{}\n", p.display()))
        .collect();
    crate::stream::data(list.as_bytes()).map_err(|e| {
        Failure::new(
            Status::OutputLost,
            format!("the pages were written, but listing them on stdout failed: {e}"),
        )
    })
}

/// The page of `command` and of each of its subcommands, named as clap displays them
/// once the tree is built (`thena-tickets-create`).
fn write_pages(command: &Command, dir: &Path, written: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let name = command.get_display_name().unwrap_or(command.get_name());
    let mut text = Vec::new();
    clap_mangen::Man::new(command.clone()).render(&mut text)?;
    let path = dir.join(format!("{name}.1"));
    std::fs::write(&path, text)?;
    written.push(path);
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        write_pages(sub, dir, written)?;
    }
    Ok(())
}
