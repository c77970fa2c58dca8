//! `cargo xtask mutants [FILE...]`: mutation testing of the SDK's hand-written runtime
//! with cargo-mutants (pinned, installed on first use into the git-ignored `.tools/`):
//! every small change to the code must make some test of thena-sdk fail. Settings, and
//! the mutants excluded as equivalent with the reason for each, are in
//! `.cargo/mutants.toml`. Prints caught, missed, unviable and timed-out counts and every
//! missed mutant; fails when one is missed or times out.

use std::fs;
use std::path::PathBuf;
use std::process::Command;

/// The cargo-mutants this project is checked with.
const VERSION: &str = "27.1.0";

/// Mutants built and tested at once: a test that sleeps leaves the core to the other.
const JOBS: &str = "2";

pub fn run(files: &[&str]) -> Result<(), String> {
    let bin = install()?;
    let output = crate::target_dir().join("mutants");
    let mut command = Command::new(&bin);
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
    for line in missed.iter().chain(&timeout) {
        println!("  not caught: {line}");
    }
    if missed.is_empty() && timeout.is_empty() {
        Ok(())
    } else {
        Err("some mutants were not caught; add a test that fails for each, or exclude a truly equivalent one in .cargo/mutants.toml with its reason".into())
    }
}

/// cargo-mutants at [`VERSION`], installed into `.tools/cargo-mutants` when missing.
fn install() -> Result<PathBuf, String> {
    let root = crate::root_path(".tools/cargo-mutants");
    let bin = root.join("bin").join("cargo-mutants");
    let installed = Command::new(&bin)
        .args(["mutants", "--version"])
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .is_some_and(|v| v.trim() == format!("cargo-mutants {VERSION}"));
    if !installed {
        crate::run_step(
            crate::cargo()
                .args([
                    "install",
                    "--locked",
                    "--quiet",
                    "--version",
                    VERSION,
                    "--root",
                ])
                .arg(&root)
                .arg("cargo-mutants"),
        )?;
    }
    Ok(bin)
}
