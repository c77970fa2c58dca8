//! `cargo xtask test`: every check a submission must pass, in the order that fails fastest.

use crate::{generate, lint, package, prism, run_step};

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
    package::run()?;
    prism::run()?;
    Ok(())
}

fn step(name: &str) {
    eprintln!("\n==> {name}");
}

fn cargo(args: &[&str]) -> Result<(), String> {
    run_step(crate::cargo().args(args).current_dir(crate::root()))
}
