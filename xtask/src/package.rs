//! The published crates as a registry and their users get them: `cargo package` of
//! thena-sdk and thena-sandbox, verified (each built from its own tarball, the sandbox
//! against the SDK's); their docs without a warning; a `rust-version` that their
//! dependencies honour too (clippy's `incompatible_msrv` checks the crates' own use of
//! the standard library); a crate outside the workspace (tests/dependent) that depends on
//! the SDK, built and run; and the SDK with its `ring` feature instead of the default
//! aws-lc-rs, as a build that cannot build aws-lc gets it.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::Path;

use serde_json::Value;

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
    rust_version()?;
    dependent()?;
    ring_feature()
}

/// thena-sdk with `default-features = false, features = ["ring"]`: no aws-lc in what it
/// builds, clippy clean, and its TLS tests passing (the handshake on a classical group).
fn ring_feature() -> Result<(), String> {
    const RING: [&str; 3] = ["--no-default-features", "--features", "ring"];
    let root = crate::root();
    let tree = cargo()
        .args(["tree", "--quiet", "-p", "thena-sdk", "-e", "normal,build"])
        .args(["--prefix", "none"])
        .args(RING)
        .current_dir(root)
        .output()
        .map_err(|e| format!("cannot run cargo tree: {e}"))?;
    if !tree.status.success() {
        return Err(format!(
            "cargo tree: {}",
            String::from_utf8_lossy(&tree.stderr)
        ));
    }
    if let Some(aws) = String::from_utf8_lossy(&tree.stdout)
        .lines()
        .find(|line| line.starts_with("aws-lc"))
    {
        return Err(format!(
            "thena-sdk with only its `ring` feature still builds {aws}"
        ));
    }
    step(
        cargo()
            .args(["clippy", "--quiet", "-p", "thena-sdk", "--all-targets"])
            .args(RING)
            .args(["--", "-D", "warnings"])
            .current_dir(root),
    )?;
    step(
        cargo()
            .args(["test", "--quiet", "-p", "thena-sdk", "--test", "tls"])
            .args(RING)
            .current_dir(root),
    )
}

/// Fails when a normal or build dependency of a published crate declares a
/// `rust-version` newer than the crate's own.
fn rust_version() -> Result<(), String> {
    let output = cargo()
        .args(["metadata", "--format-version", "1"])
        .current_dir(crate::root())
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    let metadata: Value =
        serde_json::from_slice(&output.stdout).map_err(|e| format!("cargo metadata: {e}"))?;
    let packages: HashMap<&str, &Value> = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| Some((p["id"].as_str()?, p)))
        .collect();
    let nodes: HashMap<&str, &Value> = metadata["resolve"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| Some((n["id"].as_str()?, n)))
        .collect();
    let version = |p: &Value| -> Vec<u64> {
        p["rust_version"]
            .as_str()
            .unwrap_or("0")
            .split('.')
            .filter_map(|n| n.parse().ok())
            .collect()
    };
    for name in ["thena-sdk", "thena-sandbox"] {
        let (root, package) = packages
            .iter()
            .find(|(_, p)| p["name"] == name)
            .ok_or(format!("cargo metadata: no package {name}"))?;
        let ours = version(package);
        let mut seen = HashSet::new();
        let mut stack = vec![*root];
        while let Some(id) = stack.pop() {
            if !seen.insert(id) {
                continue;
            }
            let dependencies = nodes.get(id).and_then(|n| n["deps"].as_array());
            for dep in dependencies.into_iter().flatten() {
                let normal = dep["dep_kinds"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|k| k["kind"].is_null() || k["kind"] == "build");
                if let (true, Some(id)) = (normal, dep["pkg"].as_str()) {
                    stack.push(id);
                }
            }
            if let Some(dependency) = packages.get(id)
                && version(dependency) > ours
            {
                return Err(format!(
                    "{name} declares rust-version {}, but its dependency {} {} needs {}",
                    package["rust_version"],
                    dependency["name"],
                    dependency["version"],
                    dependency["rust_version"]
                ));
            }
        }
    }
    Ok(())
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
