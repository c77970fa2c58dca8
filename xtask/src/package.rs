//! The published crates as a registry and their users get them: `cargo package` of
//! thena-sdk and thena-sandbox, verified (each built from its own tarball, the sandbox
//! against the SDK's); their docs without a warning; and a crate outside the workspace
//! (tests/dependent) that depends on the SDK, built and run.

use std::fs;
use std::path::Path;

use crate::{cargo, run_step as step};

pub fn run() -> Result<(), String> {
    let root = crate::root();
    step(
        cargo()
            .args(["package", "--quiet", "--allow-dirty"])
            .args(["-p", "thena-sdk", "-p", "thena-sandbox"])
            .current_dir(root),
    )?;
    step(
        cargo()
            .args(["doc", "--quiet", "--no-deps", "--all-features"])
            .args(["-p", "thena-sdk", "-p", "thena-sandbox"])
            .env("RUSTDOCFLAGS", "-D warnings")
            .current_dir(root),
    )?;
    dependent()
}

/// Copies tests/dependent next to the build, its path dependency made absolute and the
/// workspace's lock file beside it (the same versions, no second lock to keep), and runs it.
fn dependent() -> Result<(), String> {
    let source = crate::root_path("tests/dependent");
    let target = crate::target_dir();
    let copy = target.join("dependent");
    fs::create_dir_all(copy.join("src")).map_err(|e| format!("{}: {e}", copy.display()))?;
    let sdk = crate::root_path("sdk");
    let manifest = read(&source.join("Cargo.toml"))?.replace(
        r#"path = "../../sdk""#,
        &format!("path = {:?}", sdk.display().to_string()),
    );
    write(&copy.join("Cargo.toml"), &manifest)?;
    write(
        &copy.join("src/main.rs"),
        &read(&source.join("src/main.rs"))?,
    )?;
    write(
        &copy.join("Cargo.lock"),
        &read(&crate::root_path("Cargo.lock"))?,
    )?;
    step(
        cargo()
            .args(["run", "--quiet", "--manifest-path"])
            .arg(copy.join("Cargo.toml"))
            .env("CARGO_TARGET_DIR", target.join("dependent-target")),
    )
}

fn read(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}
