//! `cargo xtask generate [--check]`.

use std::fs;

use similar::TextDiff;

pub const SPEC: &str = "spec/thena.yaml";
pub const GENERATED: &str = "sdk/src/generated.rs";

/// How many diff lines `--check` prints before cutting the rest.
const DIFF_LINES: usize = 40;

pub enum Mode {
    Write,
    Check,
}

pub fn run(mode: Mode) -> Result<(), String> {
    let spec =
        fs::read_to_string(crate::root_path(SPEC)).map_err(|e| format!("reading {SPEC}: {e}"))?;
    let fresh = thena_codegen::generate(&spec).map_err(|e| format!("{SPEC}: {e}"))?;
    let path = crate::root_path(GENERATED);
    let current = fs::read_to_string(&path).unwrap_or_default();
    match mode {
        Mode::Write if current == fresh => println!("{GENERATED} is up to date"),
        Mode::Write => {
            fs::write(&path, &fresh).map_err(|e| format!("writing {GENERATED}: {e}"))?;
            println!(
                "wrote {GENERATED}; now run `cargo test` and review changed snapshots with `cargo insta review`"
            );
        }
        Mode::Check if current == fresh => println!("{GENERATED} is up to date"),
        Mode::Check => {
            return Err(format!(
                "{GENERATED} is stale: run `cargo xtask generate`\n{}",
                short_diff(&current, &fresh)
            ));
        }
    }
    Ok(())
}

/// A unified diff of the committed file against the fresh output, cut to [`DIFF_LINES`].
fn short_diff(committed: &str, fresh: &str) -> String {
    let diff = TextDiff::from_lines(committed, fresh)
        .unified_diff()
        .context_radius(2)
        .header(
            &format!("{GENERATED} (committed)"),
            &format!("{GENERATED} (from {SPEC})"),
        )
        .to_string();
    let total = diff.lines().count();
    let mut shown: Vec<&str> = diff.lines().take(DIFF_LINES).collect();
    let more = format!("... {} more diff lines", total.saturating_sub(DIFF_LINES));
    if total > DIFF_LINES {
        shown.push(&more);
    }
    shown.join("\n")
}
