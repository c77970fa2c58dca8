//! `cargo xtask diff [BASE] [--allow-breaking] [--format text|markdown]`: what an edit of
//! the spec changes for SDK users, and whether it breaks them.
//!
//! Compares `spec/thena.yaml` at git revision BASE (default `HEAD`) with the working copy,
//! and judges every change from the SDK user's side: for request schemas, whether existing
//! calls still compile and stay valid; for response schemas, whether code reading them
//! still compiles and responses that decoded still decode. Exit status: 0 when nothing
//! breaks (or with `--allow-breaking`), 1 when something does, 2 when the comparison
//! cannot be made (unknown revision, no spec at BASE, a spec that does not parse).

mod change;
mod keywords;
mod operations;
mod presence;
#[cfg(test)]
mod proof;
mod report;
mod schemas;
#[cfg(test)]
mod tests;

use std::fs;
use std::process::Command;

use openapiv3::OpenAPI;

use crate::generate::SPEC;
pub use change::Change;

/// What the comparison means for the exit status.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing breaks users, or breaking changes were allowed.
    Accepted,
    /// Something breaks users.
    Breaking,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Text,
    Markdown,
}

#[derive(Debug, PartialEq, Eq)]
struct Options {
    base: String,
    allow_breaking: bool,
    format: Format,
}

/// Runs the command; `Err` means the comparison could not be made.
pub fn run(args: &[&str]) -> Result<Outcome, String> {
    let options = parse_args(args)?;
    let (commit, base_yaml) = read_base(&options.base)?;
    let new_yaml =
        fs::read_to_string(crate::root_path(SPEC)).map_err(|e| format!("reading {SPEC}: {e}"))?;
    let old =
        thena_codegen::parse(&base_yaml).map_err(|e| format!("{SPEC} at {}: {e}", options.base))?;
    let new = thena_codegen::parse(&new_yaml).map_err(|e| format!("{SPEC}: {e}"))?;

    let changes = compare(&old, &new);
    let since = if commit.starts_with(&options.base) {
        commit
    } else {
        format!("{} ({commit})", options.base)
    };
    let identical = old == new;
    match options.format {
        Format::Text => print!("{}", report::text(&changes, &since, identical)),
        Format::Markdown => print!("{}", report::markdown(&changes, &since, identical)),
    }
    let outcome = outcome(&changes, options.allow_breaking);
    if outcome == Outcome::Breaking {
        eprintln!("error: the spec change breaks SDK users; pass --allow-breaking to accept it");
    }
    Ok(outcome)
}

/// Every change from `old` to `new`: operations first, then component schemas.
pub fn compare(old: &OpenAPI, new: &OpenAPI) -> Vec<Change> {
    let mut out = Vec::new();
    operations::compare(old, new, &mut out);
    schemas::compare_components(old, new, &mut out);
    out
}

/// Whether `changes` should fail the command.
pub fn outcome(changes: &[Change], allow_breaking: bool) -> Outcome {
    if allow_breaking || !changes.iter().any(|c| c.impact.is_breaking()) {
        Outcome::Accepted
    } else {
        Outcome::Breaking
    }
}

fn parse_args(args: &[&str]) -> Result<Options, String> {
    let mut options = Options {
        base: "HEAD".into(),
        allow_breaking: false,
        format: Format::Text,
    };
    let mut base = None;
    let mut args = args.iter();
    while let Some(&arg) = args.next() {
        let format = match arg {
            "--allow-breaking" => {
                options.allow_breaking = true;
                continue;
            }
            "--format" => args
                .next()
                .copied()
                .ok_or("--format needs a value: text or markdown")?,
            _ => match arg.strip_prefix("--format=") {
                Some(format) => format,
                None if arg.starts_with('-') => return Err(format!("unknown option {arg}")),
                None if base.is_some() => return Err(format!("more than one BASE: {arg}")),
                None => {
                    base = Some(arg);
                    continue;
                }
            },
        };
        options.format = match format {
            "text" => Format::Text,
            "markdown" => Format::Markdown,
            other => return Err(format!("--format takes text or markdown, not {other:?}")),
        };
    }
    if let Some(base) = base {
        options.base = base.to_string();
    }
    Ok(options)
}

/// The spec at revision `base`, with the revision's short commit id.
fn read_base(base: &str) -> Result<(String, String), String> {
    let commit = git(&[
        "rev-parse",
        "--verify",
        "--short",
        &format!("{base}^{{commit}}"),
    ])
    .map_err(|e| format!("{base:?} is not a git revision: {}", e.trim()))?;
    let commit = commit.trim().to_string();
    // `./` makes the path relative to the workspace root even inside a larger repository.
    let yaml = git(&["show", &format!("{commit}:./{SPEC}")]).map_err(|e| {
        format!(
            "{SPEC} cannot be read at {base} ({commit}), so there is no earlier contract to \
             compare with; pass a later BASE ({})",
            e.trim()
        )
    })?;
    Ok((commit, yaml))
}

/// Runs git in the workspace root; its stdout, or its stderr on failure.
fn git(args: &[&str]) -> Result<String, String> {
    let output = Command::new("git")
        .args(args)
        .current_dir(crate::root())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if output.status.success() {
        String::from_utf8(output.stdout).map_err(|e| format!("git output is not UTF-8: {e}"))
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// Borrows owned keys for [`union`].
fn keyed<T>(entries: &[(String, T)]) -> Vec<(&str, &T)> {
    entries.iter().map(|(key, v)| (key.as_str(), v)).collect()
}

/// The keys of `old` and `new` with each side's value: keys of `new` in its order, then
/// those only `old` has.
fn union<'k, T: Copy>(
    old: &[(&'k str, T)],
    new: &[(&'k str, T)],
) -> Vec<(&'k str, Option<T>, Option<T>)> {
    let find =
        |side: &[(&'k str, T)], key: &str| side.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
    let kept = new.iter().map(|&(key, v)| (key, find(old, key), Some(v)));
    let removed = old
        .iter()
        .filter(|(key, _)| find(new, key).is_none())
        .map(|&(key, v)| (key, Some(v), None));
    kept.chain(removed).collect()
}
