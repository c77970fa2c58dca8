//! Verdicts proven by the compiler. Each case of [`cases::CASES`] changes the spec;
//! `diff` judges the change; the SDK is generated from the changed spec and the probe
//! (written from the unchanged SDK, see [`probe`]) is compiled and run against it. A
//! change `diff` calls breaking must break the probe, and one it calls non-breaking must
//! not.
//!
//! The cases `diff` calls non-breaking are proven together, one SDK per base spec (a
//! group that breaks is proven again case by case, to find which). All the SDKs are
//! checked in one cargo invocation and built, where they pass, in a second, in a
//! workspace under the target directory (see [`crates`]); the first run compiles their
//! dependencies, later runs only what changed.

mod cases;
mod crates;
mod instances;
mod probe;
mod rust_values;
mod sdk_shape;
mod valid;

use std::collections::BTreeMap;
use std::fs;

use serde_yaml::Value;

use cases::{Base, CASES, EXTENDED};
use crates::{Outcome, Sdk};
use probe::Examples;
use sdk_shape::Shape;

const SPEC: &str = include_str!("../../../../spec/thena.yaml");

/// The documented example bodies, `tests/fixtures/*.json`.
fn examples() -> Vec<(String, String)> {
    let Ok(dir) = fs::read_dir(crate::root_path("tests/fixtures")) else {
        return Vec::new();
    };
    let mut files: Vec<(String, String)> = dir
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let text = fs::read_to_string(e.path()).ok()?;
            name.ends_with(".json").then_some((name, text))
        })
        .collect();
    files.sort();
    files
}

/// The YAML of a base spec.
fn base(which: Base) -> Result<String, String> {
    let mut doc: Value = serde_yaml::from_str(SPEC).map_err(|e| e.to_string())?;
    if which == Base::Extended {
        cases::apply(&mut doc, EXTENDED)?;
    }
    serde_yaml::to_string(&doc).map_err(|e| e.to_string())
}

/// A base spec, its SDK and the probe written from it.
struct Reference {
    which: Base,
    yaml: String,
    spec: openapiv3::OpenAPI,
    sdk: Sdk,
}

fn reference(which: Base, examples: &[(String, String)]) -> Result<Reference, String> {
    let yaml = base(which)?;
    let spec = thena_codegen::parse(&yaml).map_err(|e| format!("{which:?} base: {e}"))?;
    let generated = thena_codegen::generate(&yaml).map_err(|e| format!("{which:?} base: {e}"))?;
    let shape = Shape::read(&generated)?;
    let probe = probe::write(&spec, &shape, &Examples { files: examples })?;
    let name = format!("case-{which:?}").to_lowercase();
    Ok(Reference {
        which,
        yaml,
        spec,
        sdk: Sdk {
            name,
            generated,
            probe,
        },
    })
}

fn reference_of(references: &[Reference], which: Base) -> &Reference {
    references
        .iter()
        .find(|r| r.which == which)
        .unwrap_or_else(|| panic!("no {which:?} reference"))
}

/// One case with `diff`'s judgement of it.
struct Judged {
    case: &'static cases::Case,
    changes: Vec<super::Change>,
}

impl Judged {
    fn breaking(&self) -> bool {
        self.changes.iter().any(|c| c.impact.is_breaking())
    }
}

/// A spec to build and probe: a base with the edits of one case, or of several cases
/// `diff` calls non-breaking, proven together.
struct Unit {
    base: Base,
    /// Indexes into the judged cases.
    cases: Vec<usize>,
    spec: openapiv3::OpenAPI,
    sdk: Sdk,
}

/// The base spec with `edits` applied, as YAML.
fn edited(r: &Reference, edits: &[cases::Edit]) -> Result<String, String> {
    let mut doc: Value = serde_yaml::from_str(&r.yaml).map_err(|e| e.to_string())?;
    cases::apply(&mut doc, edits)?;
    serde_yaml::to_string(&doc).map_err(|e| e.to_string())
}

fn unit(name: String, r: &Reference, cases: Vec<usize>, yaml: &str) -> Result<Unit, String> {
    let spec = thena_codegen::parse(yaml).map_err(|e| format!("{name}: {e}"))?;
    let generated =
        thena_codegen::generate(yaml).map_err(|e| format!("{name} does not generate: {e}"))?;
    Ok(Unit {
        base: r.which,
        cases,
        spec,
        sdk: Sdk {
            name,
            generated,
            probe: r.sdk.probe.clone(),
        },
    })
}

/// One unit per case.
fn singles(judged: &[Judged], which: &[usize], references: &[Reference]) -> Vec<Unit> {
    which
        .iter()
        .map(|&i| {
            let case = judged[i].case;
            let r = reference_of(references, case.base);
            edited(r, case.edits)
                .and_then(|yaml| unit(format!("case-{:02}", i + 1), r, vec![i], &yaml))
                .unwrap_or_else(|e| panic!("case {:?}: {e}", case.name))
        })
        .collect()
}

/// Builds and probes the units; why each one broke, if it did.
fn probe_all(
    units: &[Unit],
    controls: &BTreeMap<Base, BTreeMap<String, String>>,
) -> Vec<Option<String>> {
    let copies: Vec<&Sdk> = units.iter().map(|u| &u.sdk).collect();
    let outcomes = crates::prove(&copies).unwrap_or_else(|e| panic!("{e}"));
    probe_results(units, outcomes, controls)
}

#[test]
fn diff_verdicts_hold_for_the_compiled_sdk() {
    let examples = examples();
    let references: Vec<Reference> = [Base::Project, Base::Extended]
        .into_iter()
        .map(|b| reference(b, &examples))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{e}"));
    // Each case as diff judges it, alone on its base.
    let judged: Vec<Judged> = CASES
        .iter()
        .map(|case| {
            let r = reference_of(&references, case.base);
            let yaml = edited(r, case.edits)
                .unwrap_or_else(|e| panic!("case {:?} cannot be applied: {e}", case.name));
            let changed =
                thena_codegen::parse(&yaml).unwrap_or_else(|e| panic!("case {:?}: {e}", case.name));
            Judged {
                case,
                changes: super::compare(&r.spec, &changed),
            }
        })
        .collect();

    // The unchanged SDKs first; then the non-breaking cases of each base together, as
    // far as their edits combine; then every other case alone.
    let mut units: Vec<Unit> = Vec::new();
    let mut alone: Vec<usize> = Vec::new();
    for r in &references {
        units.push(
            unit(r.sdk.name.clone(), r, Vec::new(), &r.yaml).unwrap_or_else(|e| panic!("{e}")),
        );
        let mut edits: Vec<cases::Edit> = Vec::new();
        let mut members = Vec::new();
        for (i, j) in judged
            .iter()
            .enumerate()
            .filter(|(_, j)| j.case.base == r.which)
        {
            let combined: Vec<_> = edits.iter().chain(j.case.edits).copied().collect();
            if !j.breaking() && edited(r, &combined).is_ok() {
                edits = combined;
                members.push(i);
            } else {
                alone.push(i);
            }
        }
        let name = format!("case-{:?}-together", r.which).to_lowercase();
        let yaml = edited(r, &edits).unwrap_or_else(|e| panic!("{name}: {e}"));
        units.push(unit(name, r, members, &yaml).unwrap_or_else(|e| panic!("{e}")));
    }
    alone.sort_unstable();
    units.extend(singles(&judged, &alone, &references));

    let copies: Vec<&Sdk> = units.iter().map(|u| &u.sdk).collect();
    let outcomes = crates::prove(&copies).unwrap_or_else(|e| panic!("{e}"));
    let mut controls: BTreeMap<Base, BTreeMap<String, String>> = BTreeMap::new();
    for (u, outcome) in units
        .iter()
        .zip(&outcomes)
        .filter(|(u, _)| u.cases.is_empty())
    {
        match outcome {
            Outcome::Ran(records) => {
                controls.insert(u.base, records.clone());
            }
            other => panic!(
                "the probe fails against the SDK of the unchanged {:?} spec, so it proves \
                 nothing (if the SDK's runtime is being changed, retry when it builds):\n{other:?}",
                u.base
            ),
        }
    }
    let mut probed: Vec<Option<Option<String>>> = vec![None; judged.len()];
    let mut retry = Vec::new();
    let broke = probe_results(&units, outcomes, &controls);
    for (u, why) in units.iter().zip(broke) {
        match (u.cases.as_slice(), why) {
            ([one], why) => probed[*one] = Some(why),
            (many, Some(_)) => retry.extend_from_slice(many),
            (many, None) => many.iter().for_each(|&i| probed[i] = Some(None)),
        }
    }
    // A group that breaks is proven again case by case, to find which.
    if !retry.is_empty() {
        let again = singles(&judged, &retry, &references);
        for (u, why) in again.iter().zip(probe_all(&again, &controls)) {
            probed[u.cases[0]] = Some(why);
        }
    }

    let verdicts: Vec<(&Judged, Option<String>)> = judged
        .iter()
        .zip(probed)
        .map(|(j, p)| (j, p.unwrap_or_else(|| Some("was not probed".into()))))
        .collect();
    let table: Vec<String> = verdicts
        .iter()
        .map(|(j, probe)| {
            let diff = if j.breaking() {
                "breaking"
            } else {
                "non-breaking"
            };
            let probe = match probe {
                Some(why) => format!("breaks: {}", summary(why)),
                None => "holds".into(),
            };
            format!("{:<52} diff: {diff:<12} probe: {probe}", j.case.name)
        })
        .collect();
    eprintln!("{}", table.join("\n"));
    let wrong: Vec<String> = verdicts
        .iter()
        .filter(|(j, probe)| j.breaking() != probe.is_some())
        .map(|(j, probe)| {
            let said: Vec<String> = j
                .changes
                .iter()
                .map(|c| {
                    let verdict = if c.impact.is_breaking() {
                        "BREAKING"
                    } else {
                        "ok"
                    };
                    format!("{verdict} {}: {} — {}", c.item, c.what, c.impact.reason())
                })
                .collect();
            format!(
                "{}\n  diff says:\n    {}\n  the probe {}",
                j.case.name,
                if said.is_empty() {
                    "nothing changed".into()
                } else {
                    said.join("\n    ")
                },
                probe
                    .as_deref()
                    .unwrap_or("compiles, runs and sends the same")
            )
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "{} verdict(s) of diff the compiler does not bear out:\n\n{}",
        wrong.len(),
        wrong.join("\n\n")
    );
}

/// Why each unit broke, if it did, from the outcomes of its build and run.
fn probe_results(
    units: &[Unit],
    outcomes: Vec<Outcome>,
    controls: &BTreeMap<Base, BTreeMap<String, String>>,
) -> Vec<Option<String>> {
    units
        .iter()
        .zip(outcomes)
        .map(|(u, outcome)| match outcome {
            Outcome::NoCompile(errors) => Some(errors),
            Outcome::Failed(why) => Some(format!("fails: {why}")),
            Outcome::Ran(records) => {
                differs(&controls[&u.base], &records).or_else(|| refused(&u.spec, &records))
            }
        })
        .collect()
}

/// Why the probe broke, in one line: the first error or panic message.
fn summary(why: &str) -> String {
    let mut lines = why.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or_default();
    let detail = lines
        .find(|l| l.starts_with("error") || !first.ends_with(':'))
        .unwrap_or_default();
    let line = if first.ends_with(':') {
        format!("{first} {detail}")
    } else {
        first.to_string()
    };
    line.chars().take(140).collect()
}

/// Why a server enforcing the changed spec would refuse a body the probe sends, if it
/// would.
fn refused(spec: &openapiv3::OpenAPI, records: &BTreeMap<String, String>) -> Option<String> {
    thena_codegen::operations::operations(spec)
        .iter()
        .find_map(|op| {
            let id = op.operation.operation_id.as_deref()?;
            let schema = op.body.as_ref()?.content.schema()?;
            ["full", "bare"].iter().find_map(|edge| {
                let sent = records.get(&format!("{id} {edge} body"))?;
                let sent: serde_json::Value = serde_json::from_str(sent).ok()?;
                let at = format!("the {edge} {id} body");
                valid::check(spec, schema.into(), &sent, &at).err()
            })
        })
        .map(|why| format!("the changed spec refuses what it sends: {why}"))
}

/// The first fact that differs from the unchanged SDK's, if any.
fn differs(control: &BTreeMap<String, String>, case: &BTreeMap<String, String>) -> Option<String> {
    control
        .iter()
        .find_map(|(what, expected)| match case.get(what) {
            Some(found) if found == expected => None,
            Some(found) => Some(format!(
                "sends something else: {what}: {found} instead of {expected}"
            )),
            None => Some(format!("no longer records {what}")),
        })
}

/// The changes lint refuses cannot reach users: each is refused with a finding.
#[test]
fn changes_the_sdk_cannot_build_are_refused() {
    for case in cases::REFUSED {
        let mut doc: Value = serde_yaml::from_str(&base(case.base).expect("a base spec"))
            .expect("a base spec is YAML");
        cases::apply(&mut doc, case.edits)
            .unwrap_or_else(|e| panic!("case {:?} cannot be applied: {e}", case.name));
        let yaml = serde_yaml::to_string(&doc).expect("YAML prints");
        match thena_codegen::generate(&yaml) {
            Err(thena_codegen::Error::Invalid(violations)) => assert!(!violations.is_empty()),
            other => panic!(
                "case {:?} is not refused: {:?}",
                case.name,
                other.map(|_| ())
            ),
        }
    }
}
