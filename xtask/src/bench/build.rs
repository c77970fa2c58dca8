//! What depending on thena-sdk costs at build time: a clean debug build of the SDK
//! against a clean debug build of a crate with only the dependencies no Thena client can
//! do without (reqwest with rustls and aws-lc-rs, the SDK's default provider, the platform
//! verifier, serde, serde_json, tokio's timer), each in a target directory of its own, in
//! alternating rounds.

use std::fs;
use std::path::Path;
use std::time::Instant;

use super::{cargo, median, target_dir, verdict};
use crate::run_step;

/// A clean build of the SDK may take this much longer than the floor's.
const BUILD_MAX: f64 = 1.10;

/// The floor: the SDK's unavoidable dependencies, with the features its default build
/// needs of them (the crypto provider is the SDK's default, aws-lc-rs).
/// Versions come from the workspace's lock file, copied next to it.
const FLOOR_MANIFEST: &str = r#"[package]
name = "thena-build-floor"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
reqwest = { version = "*", default-features = false, features = ["json", "rustls-no-provider"] }
rustls = { version = "*", default-features = false, features = ["aws_lc_rs", "prefer-post-quantum", "std", "tls12"] }
rustls-platform-verifier = "*"
serde = { version = "*", features = ["derive"] }
serde_json = "*"
tokio = { version = "*", default-features = false, features = ["time"] }

[workspace]
"#;

pub fn run(quick: bool) -> Result<(), String> {
    let home = target_dir().join("bench-build");
    let floor = home.join("floor");
    fs::create_dir_all(floor.join("src")).map_err(|e| format!("{}: {e}", floor.display()))?;
    let write = |path: &Path, text: &str| {
        fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
    };
    write(&floor.join("Cargo.toml"), FLOOR_MANIFEST)?;
    write(&floor.join("src/lib.rs"), "")?;
    let lock = fs::read_to_string(crate::root_path("Cargo.lock"))
        .map_err(|e| format!("Cargo.lock: {e}"))?;
    write(&floor.join("Cargo.lock"), &lock)?;

    let floor_manifest = floor.join("Cargo.toml");
    let floor_build = |target: &Path| {
        let mut c = cargo();
        c.args(["build", "--offline", "--quiet", "--manifest-path"])
            .arg(&floor_manifest)
            .env("CARGO_TARGET_DIR", target);
        c
    };
    let sdk_build = |target: &Path| {
        let mut c = cargo();
        c.args(["build", "--offline", "--quiet", "-p", "thena-sdk"])
            .current_dir(crate::root())
            .env("CARGO_TARGET_DIR", target);
        c
    };
    // Downloads are not build time.
    for mut fetch in [
        {
            let mut c = cargo();
            c.args(["fetch", "--quiet", "--manifest-path"])
                .arg(&floor_manifest);
            c
        },
        {
            let mut c = cargo();
            c.args(["fetch", "--quiet"]).current_dir(crate::root());
            c
        },
    ] {
        run_step(&mut fetch)?;
    }

    let rounds = if quick { 1 } else { 3 };
    println!(
        "\nclean debug builds, {rounds} round(s), alternating: `cargo build -p thena-sdk` \
         against a crate with only reqwest (rustls, aws-lc-rs), rustls-platform-verifier, serde, \
         serde_json and tokio (time). {}",
        super::machine()
    );
    let (mut sdk_times, mut floor_times, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let (sdk_target, floor_target) = (home.join("sdk-target"), home.join("floor-target"));
        for dir in [&sdk_target, &floor_target] {
            if dir.exists() {
                fs::remove_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            }
        }
        let (sdk, floor) = if round % 2 == 0 {
            let floor = timed(&mut floor_build(&floor_target))?;
            (timed(&mut sdk_build(&sdk_target))?, floor)
        } else {
            let sdk = timed(&mut sdk_build(&sdk_target))?;
            (sdk, timed(&mut floor_build(&floor_target))?)
        };
        println!(
            "round {}: thena-sdk {sdk:.1} s, floor {floor:.1} s, ratio {:.3}",
            round + 1,
            sdk / floor
        );
        sdk_times.push(sdk);
        floor_times.push(floor);
        ratios.push(sdk / floor);
    }
    let ratio = median(&mut ratios);
    println!(
        "build thena-sdk {:.1} s, floor {:.1} s (medians): ratio {ratio:.3}, target ≤ {BUILD_MAX}: {}",
        median(&mut sdk_times),
        median(&mut floor_times),
        verdict(ratio <= BUILD_MAX)
    );
    Ok(())
}

/// Seconds the command took; an error if it failed.
fn timed(command: &mut std::process::Command) -> Result<f64, String> {
    let started = Instant::now();
    let status = command
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("{command:?} failed ({status})"));
    }
    Ok(started.elapsed().as_secs_f64())
}
