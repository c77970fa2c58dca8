//! `cargo xtask mutants [FILE...]`: mutation testing of the SDK's hand-written runtime
//! with cargo-mutants, which runs the tests with cargo-nextest (both pinned, installed on
//! first use into the git-ignored `.tools/` unless the machine has that version):
//! every small change to the code must make some test of thena-sdk fail. Settings, and
//! the mutants excluded as equivalent with the reason for each, are in
//! `.cargo/mutants.toml`. Prints caught, missed, unviable and timed-out counts and every
//! missed mutant; fails when one is missed. A mutant that times out made the tests hang
//! (an endless retry loop, say): they did not pass, so it counts as caught, and is listed.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The cargo-mutants this project is checked with, and the cargo-nextest it runs.
const MUTANTS: (&str, &str) = ("cargo-mutants", "27.1.0");
const NEXTEST: (&str, &str) = ("cargo-nextest", "0.9.143");

/// Mutants built and tested at once: a test that sleeps leaves the core to the other.
const JOBS: &str = "2";

pub fn run(files: &[&str]) -> Result<(), String> {
    let bin = install(MUTANTS)?;
    let nextest = install(NEXTEST)?;
    let output = crate::target_dir().join("mutants");
    let mut command = Command::new(&bin);
    // cargo finds `cargo nextest` on the PATH.
    if let Some(dir) = nextest.parent() {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let paths = std::iter::once(dir.to_path_buf()).chain(std::env::split_paths(&path));
        let joined = std::env::join_paths(paths).map_err(|e| format!("PATH: {e}"))?;
        command.env("PATH", joined);
    }
    command
        .args([
            "mutants",
            "--package",
            "thena-sdk",
            "--jobs",
            JOBS,
            "--output",
        ])
        .arg(&output)
        .current_dir(crate::root());
    for file in files {
        command.args(["--file", file]);
    }
    eprintln!(
        "\n==> cargo mutants --package thena-sdk {}",
        files.join(" ")
    );
    // cargo-mutants exits non-zero when a mutant survives; the summary below says so.
    command
        .status()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;

    let results = output.join("mutants.out");
    let read = |name: &str| -> Result<Vec<String>, String> {
        let path = results.join(name);
        match fs::read_to_string(&path) {
            Ok(text) => Ok(text.lines().map(str::to_owned).collect()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    };
    let (caught, missed) = (read("caught.txt")?, read("missed.txt")?);
    let (unviable, timeout) = (read("unviable.txt")?, read("timeout.txt")?);
    println!(
        "\nmutants: {} caught, {} missed, {} unviable, {} timed out",
        caught.len(),
        missed.len(),
        unviable.len(),
        timeout.len()
    );
    for line in &timeout {
        println!("  hung the tests (caught by the timeout): {line}");
    }
    for line in &missed {
        println!("  MISSED: {line}");
    }
    if missed.is_empty() {
        Ok(())
    } else {
        Err("some mutants were not caught; add a test that fails for each, or exclude a truly equivalent one in .cargo/mutants.toml with its reason".into())
    }
}

/// `tool` at its pinned version: the machine's own when it has that version, else one
/// installed into `.tools/<tool>`.
fn install((tool, version): (&str, &str)) -> Result<PathBuf, String> {
    let subcommand = tool.trim_start_matches("cargo-");
    let is_pinned = |bin: &Path| {
        Command::new(bin)
            .args([subcommand, "--version"])
            .output()
            .ok()
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .is_some_and(|v| v.starts_with(&format!("{tool} {version}")))
    };
    let root = crate::root_path(".tools").join(tool);
    let local = root.join("bin").join(tool);
    if is_pinned(&local) {
        return Ok(local);
    }
    if let Some(own) = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join(tool))
        .find(|bin| is_pinned(bin))
    {
        return Ok(own);
    }
    crate::run_step(
        crate::cargo()
            .args([
                "install",
                "--locked",
                "--quiet",
                "--version",
                version,
                "--root",
            ])
            .arg(&root)
            .arg(tool),
    )?;
    Ok(local)
}
