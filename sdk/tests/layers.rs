//! The runtime's files stay in the layers `src/lib.rs` names: each names (through a
//! `crate::` path anywhere outside a comment) only files of its own layer or below, and
//! the names inside one layer form no circle. A new file fails until it is given a layer.

use std::collections::{BTreeMap, BTreeSet};

/// Bottom first, as `src/lib.rs` lists them.
const LAYERS: [&[&str]; 6] = [
    &["random", "body", "transport", "tls", "headers", "settings"],
    &["auth", "idempotency"],
    &["retry", "rate_limit"],
    &["response", "error", "decode", "dry_run"],
    &["state"],
    &["hooks", "call", "config", "runtime", "raw"],
];

/// What every layer may name: the generated API the runtime serves, and the crate root.
const SERVED: [&str; 4] = ["Client", "types", "generated", "lib"];

fn layer_of(file: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&file))
}

/// The crate modules `source` names through `crate::` paths, comments left out.
fn names(source: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in source.lines() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.insert(name);
            }
        }
        // `use crate::{a, b}` groups.
        if let Some(group) = code.split("crate::{").nth(1) {
            for item in group.split([',', '}']) {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    found.insert(name);
                }
            }
        }
    }
    found
}

#[test]
fn every_file_names_only_its_layer_and_those_below_without_circles() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for entry in std::fs::read_dir(&src).expect("src is readable") {
        let path = entry.expect("an entry").path();
        // A module's own folder (its unit tests) is part of the module.
        if path.extension().is_none_or(|ext| ext != "rs") {
            continue;
        }
        let Some(file) = path.file_stem().and_then(|s| s.to_str()).map(str::to_owned) else {
            continue;
        };
        if file == "generated" || file == "lib" {
            continue;
        }
        let own = layer_of(&file).unwrap_or_else(|| panic!("src/{file}.rs has no layer"));
        let source = std::fs::read_to_string(&path).expect("readable");
        let named: BTreeSet<String> = names(&source)
            .into_iter()
            .filter(|name| !SERVED.contains(&name.as_str()) && *name != file)
            .collect();
        for name in &named {
            let theirs = layer_of(name)
                .unwrap_or_else(|| panic!("src/{file}.rs names crate::{name}, which has no layer"));
            assert!(
                theirs <= own,
                "src/{file}.rs (layer {}) names crate::{name} (layer {}), a layer above it",
                own + 1,
                theirs + 1
            );
        }
        graph.insert(file, named);
    }
    // No circle: every file can be finished once all it names are.
    let mut done: BTreeSet<String> = BTreeSet::new();
    while done.len() < graph.len() {
        let ready: Vec<String> = graph
            .iter()
            .filter(|(file, named)| !done.contains(*file) && named.iter().all(|n| done.contains(n)))
            .map(|(file, _)| file.clone())
            .collect();
        assert!(
            !ready.is_empty(),
            "a circle among: {:?}",
            graph
                .keys()
                .filter(|f| !done.contains(*f))
                .collect::<Vec<_>>()
        );
        done.extend(ready);
    }
}

#[test]
fn the_scanner_sees_paths_groups_and_skips_comments() {
    let seen = names(
        "use crate::a::B;\nuse crate::{c, d::E};\n// crate::f\nlet x = crate::g::h(); // crate::i\n",
    );
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), ["a", "c", "d", "g"]);
}
