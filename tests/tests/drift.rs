//! `sdk/src/generated.rs` and `cli/src/generated.rs` must be exactly what the spec
//! generates today.

use std::fs;
use std::path::Path;

type Generator = fn(&str) -> Result<String, thena_codegen::Error>;

fn check(file: &str, generate: Generator) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let spec = fs::read_to_string(root.join("spec/thena.yaml")).expect("read spec/thena.yaml");
    let committed =
        fs::read_to_string(root.join(file)).unwrap_or_else(|e| panic!("read {file}: {e}"));
    let fresh = generate(&spec).unwrap_or_else(|e| panic!("spec/thena.yaml: {e}"));
    assert!(
        committed == fresh,
        "{file} is stale: run `cargo xtask generate`, review the snapshots \
         (`cargo insta review`) and commit spec, code and snapshots together"
    );
}

#[test]
fn generated_code_matches_the_spec() {
    check("sdk/src/generated.rs", thena_codegen::generate);
}

#[test]
fn generated_commands_match_the_spec() {
    check("cli/src/generated.rs", thena_codegen::generate_cli);
}
