//! `cargo xtask <command>`: the project's automation, in Rust so it runs wherever cargo does.

mod bench;
mod diff;
mod generate;
mod lint;
mod prism;
mod roles;
mod rust_names;
mod schema_ref;
mod test;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  generate [--check]   regenerate sdk/src/generated.rs and cli/src/generated.rs from
                       spec/thena.yaml; with --check, change nothing and fail if
                       either is stale
  lint                 check spec/thena.yaml against codegen's rules and the house rules
  diff [BASE] [--allow-breaking] [--format text|markdown]
                       what the working copy of spec/thena.yaml changes for SDK users
                       since git revision BASE (default HEAD), each change judged
                       breaking or not; exits 1 if any breaks (unless
                       --allow-breaking), 2 if the comparison cannot be made
  test                 every check a submission must pass (what CI runs)
  bench [--quick]      the SDK against hand-written reqwest on the sandbox, decode and
                       sandbox throughput: criterion benchmarks, then one table; --quick
                       for a short run";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["generate"] => generate::run(generate::Mode::Write),
        ["generate", "--check"] => generate::run(generate::Mode::Check),
        ["lint"] => lint::run(),
        ["diff", rest @ ..] => {
            return match diff::run(rest) {
                Ok(diff::Outcome::Accepted) => ExitCode::SUCCESS,
                Ok(diff::Outcome::Breaking) => ExitCode::FAILURE,
                Err(msg) => fail(&msg, ExitCode::from(2)),
            };
        }
        ["test"] => test::run(),
        ["bench", rest @ ..] => bench::run(rest),
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            Ok(())
        }
        _ => Err(format!("unknown arguments {args:?}\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => fail(&msg, ExitCode::FAILURE),
    }
}

fn fail(msg: &str, code: ExitCode) -> ExitCode {
    eprintln!("error: {msg}");
    code
}

/// The workspace root: xtask lives one level below it.
fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
}

fn root_path(relative: &str) -> PathBuf {
    root().join(relative)
}
