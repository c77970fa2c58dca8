//! `cargo xtask test`: every check a submission must pass, in the order that fails fastest.

use std::process::Command;

use crate::{generate, lint, prism};

pub fn run() -> Result<(), String> {
    cargo(&["fmt", "--all", "--check"])?;
    step("cargo xtask lint");
    lint::run()?;
    cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ])?;
    step("cargo xtask generate --check");
    generate::run(generate::Mode::Check)?;
    cargo(&["test", "--workspace"])?;
    prism::run()?;
    Ok(())
}

fn step(name: &str) {
    eprintln!("\n==> {name}");
}

fn cargo(args: &[&str]) -> Result<(), String> {
    step(&format!("cargo {}", args.join(" ")));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(args)
        .current_dir(crate::root())
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`cargo {}` failed ({status})", args.join(" ")))
    }
}
