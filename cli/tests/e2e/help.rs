//! What `--help` and `completions` show: every property of the spec as a flag, the
//! configuration, the exit statuses.

use heck::ToKebabCase;
use serde_yaml::Value;

use crate::thena;

/// `(property, description)` of a component schema in spec/thena.yaml, in order.
fn properties(schema: &str) -> Vec<(String, String)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/thena.yaml");
    let text = std::fs::read_to_string(path).expect("read the spec");
    let spec: Value = serde_yaml::from_str(&text).expect("the spec is YAML");
    let properties = spec["components"]["schemas"][schema]["properties"]
        .as_mapping()
        .unwrap_or_else(|| panic!("{schema} has properties"));
    properties
        .iter()
        .map(|(name, property)| {
            let name = name.as_str().expect("a property name").to_owned();
            let description = property["description"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            (name, description)
        })
        .collect()
}

#[test]
fn every_body_property_of_the_spec_has_its_flag_with_its_description() {
    for (schema, command) in [
        ("CreateTicketBody", "create"),
        ("UpdateTicketBody", "update"),
    ] {
        let help = thena(&["tickets", command, "--help"], &[], None);
        assert_eq!(help.code, Some(0), "{help:#?}");
        let properties = properties(schema);
        assert!(properties.len() > 20, "{schema}: {properties:?}");
        for (property, description) in &properties {
            let flag = format!("--{} <", property.to_kebab_case());
            let line = help
                .stdout
                .lines()
                .position(|l| l.trim_start().starts_with(&flag))
                .unwrap_or_else(|| panic!("{schema}.{property}: no {flag} in {}", help.stdout));
            // The description is on the flag's line or, in clap's long layout, the next.
            let shown = help
                .stdout
                .lines()
                .skip(line)
                .take(2)
                .collect::<Vec<_>>()
                .join(" ");
            assert!(
                shown.contains(description.as_str()),
                "{schema}.{property}: {shown}"
            );
        }
        // And no flag that the spec does not have, beside --json-body and --help.
        let flags = help
            .stdout
            .lines()
            .take_while(|l| !l.starts_with("Global options"))
            .filter_map(|l| l.trim_start().strip_prefix("--"))
            .filter_map(|l| l.split([' ', '=']).next())
            .filter(|f| !["json-body", "dry-run", "help"].contains(f))
            .count();
        assert_eq!(flags, properties.len(), "{}", help.stdout);
    }
}

#[test]
fn help_explains_the_key_the_settings_and_the_exit_statuses() {
    let help = thena(&["--help"], &[], None);
    assert_eq!(help.code, Some(0));
    for needle in [
        "THENA_API_KEY",
        "Never a flag",
        "--profile",
        "THENA_CONFIG",
        "api_key_command",
        "thena config show",
        "shell history",
        "THENA_BASE_URL",
        "--base-url",
        "--max-retries",
        "--timeout",
        "--sandbox",
        "--output",
        "2  usage error",
        "3  the API refused",
        "4  the server or the network failed",
        "5  configuration error",
        "6  done, but the output was lost",
        "7  busy: another import holds the journal",
    ] {
        assert!(
            help.stdout.contains(needle),
            "no {needle:?} in\n{}",
            help.stdout
        );
    }
    let import = thena(&["tickets", "import", "--help"], &[], None);
    for needle in [
        "FILE.thena-import.lock",
        "FILE.sandbox-rejects.jsonl",
        "6 every row is done but the mapping",
        "7 another import holds the journal",
    ] {
        assert!(
            import.stdout.contains(needle),
            "no {needle:?} in\n{}",
            import.stdout
        );
    }
}

#[test]
fn completions_cover_the_generated_flags() {
    for shell in ["bash", "zsh", "fish"] {
        let run = thena(&["completions", shell], &[], None);
        assert_eq!(run.code, Some(0), "{run:#?}");
        assert!(
            run.stdout.contains("requestor-email"),
            "{shell}: {}",
            run.stdout
        );
        assert!(run.stdout.contains("de-duplication-key"), "{shell}");
    }
    thena(&["completions", "tcsh"], &[], None).failed(2, &["invalid value 'tcsh'"]);
}

/// `thena man DIR`: a page per command, from the same tree as `--help`.
#[test]
fn man_writes_a_page_per_command_that_says_what_its_help_says() {
    let dir = std::env::temp_dir().join(format!("thena-man-{}", std::process::id()));
    let run = thena(&["man", &dir.to_string_lossy()], &[], None);
    assert_eq!(run.code, Some(0), "{run:#?}");
    let listed: Vec<&str> = run.stdout.lines().collect();
    for (page, args) in [
        ("thena.1", vec!["--help"]),
        (
            "thena-tickets-create.1",
            vec!["tickets", "create", "--help"],
        ),
        (
            "thena-tickets-import.1",
            vec!["tickets", "import", "--help"],
        ),
        ("thena-api.1", vec!["api", "--help"]),
        ("thena-config-show.1", vec!["config", "show", "--help"]),
    ] {
        assert!(
            listed.iter().any(|l| l.ends_with(page)),
            "{page} not in {listed:?}"
        );
        let text = std::fs::read_to_string(dir.join(page)).expect("the page");
        let help = thena(&args, &[], None).stdout;
        // The first line of help (the command's about) and every long flag are on the page.
        // roff escapes dashes and quotes and breaks lines: compare letters and digits.
        let plain = |t: &str| {
            t.replace("\\-", "-")
                .replace("\\*(Aq", "'")
                .chars()
                .filter(|c| c.is_alphanumeric())
                .collect::<String>()
        };
        let page_text = plain(&text);
        let about = help.lines().next().expect("an about line");
        assert!(page_text.contains(&plain(about)), "{page} lacks {about:?}");
        for flag in help.split_whitespace().filter(|w| w.starts_with("--")) {
            let name = flag
                .split(['=', '<', '[', ',', ')', '.'])
                .next()
                .unwrap_or(flag);
            assert!(
                text.replace("\\-", "-").contains(name),
                "{page} lacks {name}"
            );
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn man_does_not_follow_a_symbolic_link_out_of_its_directory() {
    let dir = std::env::temp_dir().join(format!("thena-man-link-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a directory");
    let victim = dir.join("victim");
    std::fs::write(&victim, "keep me").expect("written");
    std::os::unix::fs::symlink(&victim, dir.join("thena-api.1")).expect("a link");
    let run = thena(&["man", &dir.to_string_lossy()], &[], None);
    run.failed(2, &["thena-api.1: a symbolic link, not followed"]);
    assert_eq!(std::fs::read_to_string(&victim).expect("kept"), "keep me");
    std::fs::remove_dir_all(&dir).ok();
}
