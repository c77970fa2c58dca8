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
    std::fs::create_dir_all(dir)
        .map_err(|e| Failure::new(Status::Usage, format!("{}: {e}", dir.display())))?;
    // Global options reach the subcommands only once the tree is built.
    tree.build();
    let mut written = Vec::new();
    write_pages(&tree, dir, &mut written).map_err(|e| Failure::new(Status::Usage, e))?;
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
/// once the tree is built (`thena-tickets-create`). A page's path that is a symbolic
/// link is refused, not followed: the link could point anywhere.
fn write_pages(command: &Command, dir: &Path, written: &mut Vec<PathBuf>) -> Result<(), String> {
    let name = command.get_display_name().unwrap_or(command.get_name());
    let path = dir.join(format!("{name}.1"));
    let failed = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(failed(&"a symbolic link, not followed; remove it first"));
    }
    let mut text = Vec::new();
    clap_mangen::Man::new(command.clone())
        .render(&mut text)
        .map_err(|e| failed(&e))?;
    std::fs::write(&path, text).map_err(|e| failed(&e))?;
    written.push(path);
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        write_pages(sub, dir, written)?;
    }
    Ok(())
}
