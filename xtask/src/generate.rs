//! `cargo xtask generate [--check]`: the SDK's and the command line's generated code.

use std::fs;

use similar::TextDiff;

pub const SPEC: &str = "spec/thena.yaml";

/// A generator: the spec's YAML in, a file's source out.
type Generator = fn(&str) -> Result<String, thena_codegen::Error>;

/// Every file generated from the spec, and the generator that writes it.
const GENERATED: [(&str, Generator); 2] = [
    ("sdk/src/generated.rs", thena_codegen::generate),
    ("cli/src/generated.rs", thena_codegen::generate_cli),
];

/// How many diff lines `--check` prints per stale file before cutting the rest.
const DIFF_LINES: usize = 40;

pub enum Mode {
    Write,
    Check,
}

pub fn run(mode: Mode) -> Result<(), String> {
    let spec =
        fs::read_to_string(crate::root_path(SPEC)).map_err(|e| format!("reading {SPEC}: {e}"))?;
    let mut stale = Vec::new();
    let mut written = false;
    for (file, generate) in GENERATED {
        let fresh = generate(&spec).map_err(|e| format!("{SPEC}: {e}"))?;
        let path = crate::root_path(file);
        let current = fs::read_to_string(&path).unwrap_or_default();
        match mode {
            _ if current == fresh => println!("{file} is up to date"),
            Mode::Write => {
                fs::write(&path, &fresh).map_err(|e| format!("writing {file}: {e}"))?;
                println!("wrote {file}");
                written = true;
            }
            Mode::Check => stale.push(format!(
                "{file} is stale: run `cargo xtask generate`\n{}",
                short_diff(file, &current, &fresh)
            )),
        }
    }
    if written {
        println!("now run `cargo test` and review changed snapshots with `cargo insta review`");
    }
    if stale.is_empty() {
        Ok(())
    } else {
        Err(stale.join("\n"))
    }
}

/// A unified diff of the committed file against the fresh output, cut to [`DIFF_LINES`].
fn short_diff(file: &str, committed: &str, fresh: &str) -> String {
    let diff = TextDiff::from_lines(committed, fresh)
        .unified_diff()
        .context_radius(2)
        .header(
            &format!("{file} (committed)"),
            &format!("{file} (from {SPEC})"),
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
