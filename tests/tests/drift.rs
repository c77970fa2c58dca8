//! `sdk/src/generated.rs` must be exactly what the spec generates today.

use std::fs;
use std::path::Path;

#[test]
fn generated_code_matches_the_spec() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let spec = fs::read_to_string(root.join("spec/thena.yaml")).expect("read spec/thena.yaml");
    let committed =
        fs::read_to_string(root.join("sdk/src/generated.rs")).expect("read sdk/src/generated.rs");
    let fresh = thena_codegen::generate(&spec).unwrap_or_else(|e| panic!("spec/thena.yaml: {e}"));
    assert!(
        committed == fresh,
        "sdk/src/generated.rs is stale: run `cargo xtask generate`, review the snapshots \
         (`cargo insta review`) and commit spec, code and snapshots together"
    );
}
