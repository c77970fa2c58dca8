//! `cargo xtask <command>`: the project's automation, in Rust so it runs wherever cargo does.

mod bench;
mod diff;
mod generate;
mod lint;
mod mutants;
mod package;
mod prism;
mod roles;
mod rust_names;
mod schema_ref;
mod test;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

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
  mutants [FILE...]    mutation testing of the SDK's runtime (or of these files of it)
                       with cargo-mutants, installed on first use; every mutant must be
                       caught by thena-sdk's tests (slow: not part of test)
  package              the published crates as users get them: cargo package (verified),
                       docs with -D warnings, dependencies' rust-version, and a crate
                       outside the workspace built on the SDK (part of test)
  bench [--quick] [client|process|build|import|limits]...
                       what the SDK costs, each figure against its target: the SDK
                       against hand-written reqwest in one process (criterion) and with
                       the sandbox in its own process, a clean build against the SDK's
                       unavoidable dependencies, and thena tickets import (throughput
                       against the SDK's own, at a rate limit, peak memory), and the
                       rate limiter at 50 requests/s (429s, throughput, latency,
                       fairness); all five unless named; --quick for a short run";

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
        ["package"] => package::run(),
        ["mutants", files @ ..] => mutants::run(files),
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

/// Where cargo builds.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root().join(dir),
        None => root_path("target"),
    }
}

/// The cargo that runs xtask.
fn cargo_program() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

fn cargo() -> Command {
    Command::new(cargo_program())
}

/// Runs a step of a check, saying which; an error if it fails.
fn run_step(command: &mut Command) -> Result<(), String> {
    let program = Path::new(command.get_program())
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut line: Vec<String> = command
        .get_envs()
        .filter_map(|(k, v)| Some(format!("{}={}", k.to_string_lossy(), v?.to_string_lossy())))
        .collect();
    line.push(program);
    line.extend(command.get_args().map(|a| a.to_string_lossy().into_owned()));
    eprintln!("\n==> {}", line.join(" "));
    let status = command
        .status()
        .map_err(|e| format!("cannot run {:?}: {e}", command.get_program()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{command:?} failed ({status})"))
    }
}
