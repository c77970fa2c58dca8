//! Builds one copy of the SDK per spec, each with the probe as an example, in a cargo
//! workspace of their own under the target directory. All copies are checked in one
//! cargo invocation (dependencies once, in parallel), each compiler error attributed to
//! its copy; only the copies that pass are then built, in a second one, and their probes
//! run. Checking is several times cheaper than building, and most breaking changes
//! already fail there.
//!
//! A copy is the SDK's hand-written runtime as it is in `sdk/src` now, with the
//! generated code of its spec: the proof follows whatever the runtime becomes.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// One SDK to build and probe.
pub struct Sdk {
    /// Its directory and package name, e.g. `case-07`.
    pub name: String,
    /// `src/generated.rs`.
    pub generated: String,
    /// The probe's source.
    pub probe: String,
}

/// What happened to one copy.
#[derive(Debug)]
pub enum Outcome {
    /// The SDK or the probe did not compile: the first errors.
    NoCompile(String),
    /// The probe failed: what it said.
    Failed(String),
    /// The probe ran; what it recorded, by what.
    Ran(BTreeMap<String, String>),
}

/// Builds and probes every copy; `Err` when the workspace cannot be set up or cargo
/// cannot run at all.
pub fn prove(copies: &[&Sdk]) -> Result<Vec<Outcome>, String> {
    let dir = workspace_dir();
    write_workspace(&dir, copies)?;
    let all: Vec<&str> = copies.iter().map(|c| c.name.as_str()).collect();
    let (mut errors, _, _) = cargo(&dir, "check", &all)?;
    let sound: Vec<&str> = all
        .into_iter()
        .filter(|name| !errors.contains_key(*name))
        .collect();
    let (build_errors, executables, said) = if sound.is_empty() {
        Default::default()
    } else {
        cargo(&dir, "build", &sound)?
    };
    errors.extend(build_errors);
    Ok(copies
        .iter()
        .map(|c| match (errors.get(&c.name), executables.get(&c.name)) {
            (Some(errors), _) => Outcome::NoCompile(errors.clone()),
            (None, Some(exe)) => run(exe),
            (None, None) => Outcome::NoCompile(format!("cargo built no probe; it said:\n{said}")),
        })
        .collect())
}

/// `<target dir>/contract-proof`: the target directory is `CARGO_TARGET_DIR` when set,
/// else the workspace's `target/`.
fn workspace_dir() -> PathBuf {
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => crate::root().join(dir),
        None => crate::root_path("target"),
    };
    target.join("contract-proof")
}

fn read(relative: &str) -> Result<String, String> {
    fs::read_to_string(crate::root_path(relative)).map_err(|e| format!("reading {relative}: {e}"))
}

/// Writes a file unless it already holds `text`, so that cargo sees unchanged copies as
/// fresh.
fn write(path: &Path, text: &str) -> Result<(), String> {
    if fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| format!("creating {}: {e}", parent.display()))?;
    }
    fs::write(path, text).map_err(|e| format!("writing {}: {e}", path.display()))
}

/// The lines of a TOML table, header excluded, up to the next table.
fn table(toml: &str, header: &str) -> Result<String, String> {
    let start = toml
        .lines()
        .position(|l| l.trim() == header)
        .ok_or_else(|| format!("no {header} table"))?;
    Ok(toml
        .lines()
        .skip(start + 1)
        .take_while(|l| !l.trim_start().starts_with('['))
        .collect::<Vec<_>>()
        .join("\n"))
}

fn write_workspace(dir: &Path, copies: &[&Sdk]) -> Result<(), String> {
    let root_toml = read("Cargo.toml")?;
    let sdk_toml = read("sdk/Cargo.toml")?;
    // The workspace's own crates (path dependencies) are not the SDK's dependencies.
    let workspace_deps = table(&root_toml, "[workspace.dependencies]")?;
    let workspace_deps: Vec<&str> = workspace_deps
        .lines()
        .filter(|l| !l.contains("path ="))
        .collect();
    let members: Vec<String> = copies.iter().map(|c| format!("{:?}", c.name)).collect();
    let manifest = format!(
        "# Written by xtask's contract proof test.\n[workspace]\nresolver = \"3\"\nmembers = [{}]\n\n\
         [workspace.package]\n{}\n\n[workspace.dependencies]\n{}\n\n\
         [profile.dev]\ndebug = 0\nincremental = false\n",
        members.join(", "),
        table(&root_toml, "[workspace.package]")?,
        workspace_deps.join("\n"),
    );
    write(&dir.join("Cargo.toml"), &manifest)?;
    // The project's versions of every dependency (cargo adds the copies themselves).
    write(&dir.join("Cargo.lock"), &read("Cargo.lock")?)?;

    let sdk_deps = table(&sdk_toml, "[dependencies]")?;
    // Its features choose the TLS provider (a build with none does not compile).
    let sdk_features = table(&sdk_toml, "[features]")?;
    // The SDK's crate documentation is its README.
    let readme = read("sdk/README.md")?;
    let runtime: Vec<(String, String)> = fs::read_dir(crate::root_path("sdk/src"))
        .map_err(|e| format!("reading sdk/src: {e}"))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .filter(|p| p.file_name().is_some_and(|n| n != "generated.rs"))
        .map(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            let text = fs::read_to_string(&p).map_err(|e| format!("reading {}: {e}", p.display()));
            Ok((name.unwrap_or_default(), text?))
        })
        .collect::<Result<_, String>>()?;

    for c in copies {
        let krate = dir.join(&c.name);
        let lib = c.name.replace('-', "_");
        let manifest = format!(
            "[package]\nname = {:?}\nedition.workspace = true\nversion.workspace = true\n\
             publish = false\n\n[lib]\nname = \"sdk_{lib}\"\n\n[[example]]\nname = \"probe_{lib}\"\npath = \"probe.rs\"\n\n\
             [features]\n{sdk_features}\n\n[dependencies]\n{sdk_deps}\n\n[dev-dependencies]\ntokio = {{ workspace = true, features = [\"rt\"] }}\n",
            c.name
        );
        write(&krate.join("Cargo.toml"), &manifest)?;
        write(&krate.join("README.md"), &readme)?;
        for (name, text) in &runtime {
            write(&krate.join("src").join(name), text)?;
        }
        write(&krate.join("src/generated.rs"), &c.generated)?;
        let probe = format!(
            "#![allow(unused, clippy::all)]\nuse sdk_{lib} as thena_sdk;\n{}",
            c.probe
        );
        write(&krate.join("probe.rs"), &probe)?;
    }
    Ok(())
}

/// The compiler errors of each copy, each probe's executable, and what cargo said.
type Compiled = (BTreeMap<String, String>, BTreeMap<String, PathBuf>, String);

/// Runs `cargo check` or `cargo build` on the probes of `packages`.
fn cargo(dir: &Path, command: &str, packages: &[&str]) -> Result<Compiled, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args([
            command,
            "--examples",
            "--keep-going",
            "--message-format=json",
        ])
        .args(packages.iter().flat_map(|p| ["-p", p]))
        .arg("--target-dir")
        .arg(dir.join("target"))
        .current_dir(dir)
        .env_remove("CARGO_TARGET_DIR")
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let mut errors: BTreeMap<String, String> = BTreeMap::new();
    let mut executables = BTreeMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let Some(package) = message["package_id"].as_str().and_then(package_name) else {
            continue;
        };
        match message["reason"].as_str() {
            Some("compiler-message") if message["message"]["level"] == "error" => {
                let rendered = message["message"]["rendered"].as_str().unwrap_or_default();
                // Which crate failed: the SDK copy itself, or the probe.
                let in_probe = message["target"]["kind"][0] == "example";
                let what = if in_probe {
                    "the probe"
                } else {
                    "the SDK itself"
                };
                let all = errors
                    .entry(package)
                    .or_insert_with(|| format!("{what} does not compile:"));
                // The first few errors say enough.
                if all.matches("\nerror").count() < 3 {
                    all.push('\n');
                    all.push_str(rendered);
                }
            }
            Some("compiler-artifact") => {
                if let Some(exe) = message["executable"].as_str() {
                    executables.insert(package, PathBuf::from(exe));
                }
            }
            _ => {}
        }
    }
    // Cargo failing without a compiler error to show is the setup's fault.
    if !output.status.success() && errors.is_empty() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!(
            "cargo {command} did nothing in {}:\n{stderr}",
            dir.display()
        ));
    }
    let said = String::from_utf8_lossy(&output.stderr);
    Ok((errors, executables, said.into_owned()))
}

/// The package name in a cargo package id (`path+file:///…/case-07#0.1.0` → `case-07`).
fn package_name(id: &str) -> Option<String> {
    let (location, _) = id.rsplit_once('#')?;
    let name = location.rsplit('/').next()?;
    name.starts_with("case-").then(|| name.to_string())
}

/// Runs one probe (which gives up by itself if the SDK hangs).
fn run(exe: &Path) -> Outcome {
    let output = match Command::new(exe).output() {
        Ok(output) => output,
        Err(e) => return Outcome::Failed(format!("cannot start {}: {e}", exe.display())),
    };
    if !output.status.success() {
        // A panic's message follows its `panicked at <place>:` line.
        let stderr = String::from_utf8_lossy(&output.stderr);
        let message: Vec<&str> = stderr
            .lines()
            .skip_while(|l| !l.contains("panicked at"))
            .skip(1)
            .take_while(|l| !l.starts_with("note:") && !l.starts_with("stack backtrace"))
            .collect();
        let why = if message.is_empty() {
            stderr.trim().to_string()
        } else {
            message.join("\n")
        };
        return Outcome::Failed(why);
    }
    Outcome::Ran(
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|l| l.strip_prefix("RECORD "))
            .filter_map(|l| l.split_once('\t'))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}
