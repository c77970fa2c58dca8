//! How an export from another helpdesk becomes ticket properties: its columns named
//! for properties (`--map COLUMN=PROPERTY`, a mapping file's `[columns]`), its values
//! translated per property (`[values.PROPERTY]`), its dates read in its own format
//! (`[dates]`), and properties every row shares (`[constants]`). Everything in it is
//! checked when it is loaded, against the spec's properties, before any row is read.
//!
//! ```toml
//! [columns]
//! "Subject" = "title"
//! "Requester email" = "requestorEmail"
//! "Priority" = "priorityName"
//! "Due" = "dueDate"
//!
//! [constants]
//! teamId = "T0042"
//!
//! [values.priorityName]
//! urgent = "High"
//! normal = "Medium"
//!
//! [dates]
//! dueDate = "%d/%m/%Y %H:%M"
//! ```

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::Path;

use chrono::Offset as _;
use chrono::format::{Fixed, Item, Parsed, StrftimeItems};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::exit::{Failure, Status};
use crate::generated::CREATE_TICKET_BODY;
use crate::operation::BodyFlag;

/// A mapping file, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    columns: BTreeMap<String, String>,
    #[serde(default)]
    constants: BTreeMap<String, toml::Value>,
    #[serde(default)]
    values: BTreeMap<String, BTreeMap<String, toml::Value>>,
    #[serde(default)]
    dates: BTreeMap<String, String>,
}

/// The translation of an export's rows into properties.
#[derive(Debug, Default)]
pub struct Translation {
    /// Column → property, for the columns named otherwise than their property.
    columns: HashMap<String, &'static BodyFlag>,
    /// Properties every row has.
    constants: Map<String, Value>,
    /// How a property's values are read, by property.
    rules: HashMap<&'static str, Rule>,
}

/// How the values of one property are read.
#[derive(Debug, Default)]
pub struct Rule {
    /// The old tool's values and what they are here.
    values: HashMap<String, String>,
    /// The old tool's date format, for a date-time property.
    date: Option<DateFormat>,
}

/// A strftime format, as written and as read once for every cell.
#[derive(Debug)]
struct DateFormat {
    text: String,
    items: Vec<Item<'static>>,
}

impl Rule {
    /// A cell as this property's text: its value mapped, a date in RFC 3339. A value
    /// the map does not name is kept as it is; the spec's check comes after.
    pub fn apply<'a>(&self, cell: &'a str) -> Result<Cow<'a, str>, String> {
        let cell = match self.values.get(cell) {
            Some(mapped) => Cow::Owned(mapped.clone()),
            None => Cow::Borrowed(cell),
        };
        match &self.date {
            Some(format) if !cell.is_empty() => date(&cell, format).map(Cow::Owned),
            _ => Ok(cell),
        }
    }
}

/// A date as the old tool wrote it, in RFC 3339. A format without an offset (`%z`)
/// reads the time as UTC; one without a time reads midnight.
fn date(text: &str, format: &DateFormat) -> Result<String, String> {
    let mut parsed = Parsed::new();
    let DateFormat {
        text: format,
        items,
    } = format;
    chrono::format::parse(&mut parsed, text, items.iter())
        .map_err(|e| format!("{text:?} is not a date in the format {format:?} ({e})"))?;
    let day = parsed
        .to_naive_date()
        .map_err(|e| format!("{text:?} in the format {format:?} names no day ({e})"))?;
    let time = match parsed.hour_div_12().or(parsed.hour_mod_12()) {
        Some(_) => parsed
            .to_naive_time()
            .map_err(|e| format!("{text:?} in the format {format:?}: {e}"))?,
        None => chrono::NaiveTime::MIN,
    };
    let offset = match parsed.offset() {
        Some(seconds) => chrono::FixedOffset::east_opt(seconds)
            .ok_or_else(|| format!("{text:?}: the offset is out of range"))?,
        None => chrono::Utc.fix(),
    };
    let at = day
        .and_time(time)
        .and_local_timezone(offset)
        .single()
        .ok_or_else(|| format!("{text:?} is no single instant"))?;
    Ok(at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
}

impl Translation {
    /// The mapping file (if any) with the `--map COLUMN=PROPERTY` flags over it: a flag
    /// wins over the file's entry for the same column.
    pub fn load(file: Option<&Path>, maps: &[String]) -> Result<Self, Failure> {
        let (parsed, origin) = match file {
            Some(path) => (read(path)?, format!("--mapping {}", path.display())),
            None => (File::default(), String::new()),
        };
        let mut translation = Self::of(parsed).map_err(|e| usage(format!("{origin}: {e}")))?;
        for map in maps {
            let (column, property) = map
                .split_once('=')
                .filter(|(column, _)| !column.is_empty())
                .ok_or_else(|| {
                    usage(format!(
                        "--map {map:?}: expected COLUMN=PROPERTY, e.g. --map 'Subject=title'"
                    ))
                })?;
            let flag = property_flag(property).map_err(|e| usage(format!("--map {map:?}: {e}")))?;
            translation.columns.insert(column.to_owned(), flag);
        }
        translation.distinct().map_err(usage)?;
        Ok(translation)
    }

    fn of(file: File) -> Result<Self, String> {
        let mut columns = HashMap::new();
        for (column, property) in file.columns {
            if column.is_empty() {
                return Err(format!(
                    "[columns] \"\" = {property:?}: a column has a name"
                ));
            }
            let flag =
                property_flag(&property).map_err(|e| format!("[columns] {column:?}: {e}"))?;
            columns.insert(column, flag);
        }
        let mut constants = Map::new();
        for (property, value) in file.constants {
            let flag = property_flag(&property).map_err(|e| format!("[constants] {e}"))?;
            let value = match value {
                toml::Value::Datetime(at) => {
                    return Err(format!(
                        "[constants] {property} = {at}: write a date as a string, \
                         \"{at}\""
                    ));
                }
                value => serde_json::to_value(value)
                    .map_err(|e| format!("[constants] {property}: {e}"))?,
            };
            constants.insert(flag.property.to_owned(), value);
        }
        let mut rules: HashMap<&'static str, Rule> = HashMap::new();
        for (property, values) in file.values {
            let flag = property_flag(&property).map_err(|e| format!("[values.{property}] {e}"))?;
            if flag.repeated || flag.value_name == "JSON" {
                return Err(format!(
                    "[values.{property}]: {property} is {}: only a property of one text, \
                     number or boolean has values to map",
                    if flag.repeated {
                        "an array"
                    } else {
                        "an object"
                    }
                ));
            }
            let mut map = HashMap::new();
            for (from, to) in values {
                let to = match to {
                    toml::Value::String(text) => text,
                    toml::Value::Boolean(b) => b.to_string(),
                    toml::Value::Integer(n) => n.to_string(),
                    toml::Value::Float(n) => n.to_string(),
                    other => {
                        return Err(format!(
                            "[values.{property}] {from:?}: a {}: map a value to a string, a \
                             number or a boolean",
                            other.type_str()
                        ));
                    }
                };
                // A line left blank in a starting mapping would drop the value.
                if to.trim().is_empty() {
                    return Err(format!(
                        "[values.{property}] {from:?} = {to:?}: map the value to one of \
                         Thena's, or remove the line to send it as it is"
                    ));
                }
                map.insert(from, to);
            }
            rules.entry(flag.property).or_default().values = map;
        }
        for (property, format) in file.dates {
            let flag = property_flag(&property).map_err(|e| format!("[dates] {e}"))?;
            if flag.value_name != "DATE-TIME" {
                return Err(format!(
                    "[dates] {property}: {property} is not a date-time property"
                ));
            }
            let format = date_format(format).map_err(|e| format!("[dates] {property} = {e}"))?;
            rules.entry(flag.property).or_default().date = Some(format);
        }
        Ok(Self {
            columns,
            constants,
            rules,
        })
    }

    /// Refuses two columns mapped to one property: which one's value would be sent?
    fn distinct(&self) -> Result<(), String> {
        let mut by_property: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (column, flag) in &self.columns {
            by_property.entry(flag.property).or_default().push(column);
        }
        for (property, mut columns) in by_property {
            if columns.len() > 1 {
                columns.sort_unstable();
                return Err(format!(
                    "columns {} are all mapped to {property}: map one of them",
                    columns.join(", ")
                ));
            }
            if self.constants.contains_key(property) {
                return Err(format!(
                    "{property} is both a constant and column {:?}'s: keep one",
                    columns[0]
                ));
            }
        }
        Ok(())
    }

    /// The property a column gives: the one it is mapped to, else the one of its name.
    pub fn property(&self, column: &str) -> Option<&'static BodyFlag> {
        match self.columns.get(column) {
            Some(flag) => Some(flag),
            None => CREATE_TICKET_BODY.flag(column),
        }
    }

    /// The columns mapped by `--map` or the file.
    pub fn mapped_columns(&self) -> impl Iterator<Item = &str> {
        self.columns.keys().map(String::as_str)
    }

    /// How a property's values are read, if otherwise than as they are.
    pub fn rule(&self, property: &str) -> Option<&Rule> {
        self.rules.get(property)
    }

    /// The properties every row has.
    pub fn constants(&self) -> &Map<String, Value> {
        &self.constants
    }

    /// Whether it changes anything at all.
    pub fn is_empty(&self) -> bool {
        self.columns.is_empty() && self.constants.is_empty() && self.rules.is_empty()
    }
}

fn read(path: &Path) -> Result<File, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| usage(format!("--mapping {}: cannot read it: {e}", path.display())))?;
    toml::from_str(&text).map_err(|e| {
        // toml's message spans lines (it quotes the line); one line keeps it a sentence.
        let message = e.message();
        let line = e
            .span()
            .map(|span| text[..span.start.min(text.len())].lines().count().max(1));
        usage(match line {
            Some(line) => format!("--mapping {}: line {line}: {message}", path.display()),
            None => format!("--mapping {}: {message}", path.display()),
        })
    })
}

/// The property of this name, or an error that suggests one.
fn property_flag(property: &str) -> Result<&'static BodyFlag, String> {
    CREATE_TICKET_BODY.flag(property).ok_or_else(|| {
        let hint = similar(property).map_or_else(String::new, |p| format!(" (did you mean {p}?)"));
        format!(
            "{} has no property {property:?}{hint}",
            CREATE_TICKET_BODY.schema
        )
    })
}

/// A strftime format a date can be read by: one that names a day, and a zone only as
/// an offset (`%z`: a zone's name, `%Z`, says no offset, and would be dropped). The
/// error starts with the format.
fn date_format(text: String) -> Result<DateFormat, String> {
    let shown = format!("{text:?}");
    let refused = |why: &str| format!("{shown}: {why}");
    let items = StrftimeItems::new(&text)
        .parse_to_owned()
        .map_err(|e| refused(&format!("not a date format ({e})")))?;
    if items.is_empty() {
        return Err(refused("an empty format"));
    }
    if items.contains(&Item::Fixed(Fixed::TimezoneName)) {
        return Err(refused(
            "%Z, a zone's name, gives no offset: write the offset with %z (+0200), or \
             convert the dates to one zone",
        ));
    }
    let format = DateFormat { text, items };
    // A date written in the format reads back: the format names a day.
    let sample = chrono::NaiveDate::from_ymd_opt(2024, 1, 31)
        .and_then(|d| d.and_hms_opt(13, 45, 30))
        .map(|at| at.and_utc().fixed_offset())
        .ok_or_else(|| refused("no sample date"))?;
    let mut written = String::new();
    write!(written, "{}", sample.format_with_items(format.items.iter()))
        .map_err(|_| refused("not a format a date can be written in"))?;
    date(&written, &format).map_err(|e| refused(&e))?;
    Ok(format)
}

fn usage(message: impl Into<String>) -> Failure {
    Failure::new(Status::Usage, message)
}

/// A name without case, spaces or punctuation: `Requester e-mail` is `requesteremail`.
fn normalized(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// How a column's name is like a property's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Likeness {
    /// The same but for case, spaces or punctuation.
    Spelling,
    /// What other helpdesks call the property.
    Synonym,
    /// Two letters off.
    Typo,
}

/// The property a column's name most likely means, and how it is like it.
fn guess(name: &str) -> Option<(&'static str, Likeness)> {
    let name = normalized(name);
    if name.is_empty() {
        return None;
    }
    let properties = CREATE_TICKET_BODY.flags.iter().map(|f| f.property);
    let spelling = properties.clone().find(|p| normalized(p) == name);
    // Before typos: `Status` is two letters off `statusId`, but means `statusName`.
    let synonym = || {
        SYNONYMS
            .iter()
            .find(|(other, _)| *other == name)
            .map(|&(_, property)| property)
    };
    let typo = || {
        properties
            .clone()
            .find(|p| distance(&normalized(p), &name) <= 2)
    };
    spelling
        .map(|p| (p, Likeness::Spelling))
        .or_else(|| synonym().map(|p| (p, Likeness::Synonym)))
        .or_else(|| typo().map(|p| (p, Likeness::Typo)))
}

/// The property a column's name most likely means, for a "did you mean".
pub fn similar(name: &str) -> Option<&'static str> {
    guess(name).map(|(property, _)| property)
}

/// Names other helpdesks' exports give properties (Zendesk, Freshdesk, Jira, Help
/// Scout), normalized, as suggestions only: a mapping written from a header leaves
/// them to check.
const SYNONYMS: [(&str, &str); 12] = [
    ("subject", "title"),
    ("summary", "title"),
    ("requester", "requestorEmail"),
    ("reporteremail", "requestorEmail"),
    ("customeremail", "requestorEmail"),
    ("contactemail", "requestorEmail"),
    ("priority", "priorityName"),
    ("status", "statusName"),
    ("type", "typeId"),
    ("due", "dueDate"),
    ("body", "description"),
    ("closed", "closedAt"),
];

/// The edit distance between two names (Levenshtein).
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// Names other helpdesks give their ticket ids, normalized.
const ID_NAMES: [&str; 6] = [
    "id",
    "ticketid",
    "ticketnumber",
    "number",
    "key",
    "issuekey",
];
/// Values of a column shown in a starting mapping, at most.
pub const SAMPLES: usize = 20;

/// The property a column likely gives, and whether a starting mapping maps it (or only
/// suggests it, commented out).
fn likely(column: &str) -> Option<(&'static str, bool)> {
    match CREATE_TICKET_BODY.flag(column) {
        Some(flag) => Some((flag.property, true)),
        None => guess(column).map(|(property, likeness)| (property, likeness != Likeness::Synonym)),
    }
}

/// Whether a starting mapping shows the values of a column: those of a property named
/// by a value (`priorityName`, `statusName`), a boolean, or a date-time, which an old
/// tool writes its own way.
pub fn sampled(column: &str) -> bool {
    likely(column)
        .and_then(|(property, _)| CREATE_TICKET_BODY.flag(property))
        .is_some_and(|f| {
            f.property.ends_with("Name") || matches!(f.value_name, "BOOL" | "DATE-TIME")
        })
}

/// A starting mapping for an export with these columns, and some of their values
/// (`samples[i]` for column `i`, for the columns [`sampled`] names): each column named
/// for a property, or nearly, mapped; a column another helpdesk names so suggested in
/// a comment; the rest commented out; the required properties no column gives as
/// constants to fill in; the values seen, to map; a date format for each date column.
pub fn starting(input: &str, columns: &[String], samples: &[Vec<String>]) -> String {
    let quoted = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let mut text = format!(
        "# How the columns of {input} become ticket properties, for\n\
         # thena tickets import --mapping FILE. Written from its header: check each line.\n\
         # A column commented out is not imported (the import refuses it unless\n\
         # --ignore-unknown-columns); the column of the old system's ticket ids is\n\
         # named with --id-column, not mapped.\n\n[columns]\n"
    );
    let mut given = Vec::new();
    let mut values = String::new();
    let mut dates = String::new();
    let none = Vec::new();
    for (i, column) in columns.iter().enumerate() {
        let exact = CREATE_TICKET_BODY.flag(column).is_some();
        let likely = likely(column);
        let _ = match likely {
            Some((property, true)) if exact => {
                writeln!(text, "{} = {}", quoted(column), quoted(property))
            }
            Some((property, true)) => writeln!(
                text,
                "{} = {}  # near the property's name: check it",
                quoted(column),
                quoted(property)
            ),
            Some((property, false)) => writeln!(
                text,
                "# {} = {}  # what other helpdesks call {property}: uncomment if so",
                quoted(column),
                quoted(property)
            ),
            None if ID_NAMES.contains(&normalized(column).as_str()) => writeln!(
                text,
                "# {} = \"\"  # the old system's ticket ids? import with --id-column {}",
                quoted(column),
                quoted(column)
            ),
            None => writeln!(text, "# {} = \"\"", quoted(column)),
        };
        let Some((property, _)) = likely else {
            continue;
        };
        given.push(property);
        let seen = samples.get(i).unwrap_or(&none);
        if seen.is_empty() {
            continue;
        }
        let shown: Vec<String> = seen.iter().map(|v| quoted(v)).collect();
        if CREATE_TICKET_BODY
            .flag(property)
            .is_some_and(|f| f.value_name == "DATE-TIME")
        {
            let _ = writeln!(
                dates,
                "# {property} = \"%Y-%m-%d %H:%M:%S\"  # {} has {}",
                quoted(column),
                shown.iter().take(3).cloned().collect::<Vec<_>>().join(", ")
            );
            continue;
        }
        let _ = writeln!(
            values,
            "# [values.{property}]  # the values of {}",
            quoted(column)
        );
        for value in &shown {
            let _ = writeln!(values, "# {value} = \"\"");
        }
        if seen.len() >= SAMPLES {
            let _ = writeln!(values, "# (the first {SAMPLES} values seen)");
        }
    }
    text.push_str("\n# Properties every row has, e.g. the team the tickets go to.\n[constants]\n");
    for flag in CREATE_TICKET_BODY.flags.iter().filter(|f| f.required) {
        if !given.contains(&flag.property) {
            let _ = writeln!(
                text,
                "# {} = \"\"  # required, and no column gives it",
                flag.property
            );
        }
    }
    text.push_str(
        "\n# The old tool's values, per property, and what they are here: a value not\n\
         # listed is sent as it is.\n",
    );
    text.push_str(&values);
    text.push_str(
        "\n# The old tool's date format (strftime), per date property; without %z the\n\
         # time is read as UTC. Dates already in RFC 3339 need none.\n[dates]\n",
    );
    text.push_str(&dates);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_date(text: &str, format: &str) -> Result<String, String> {
        date(text, &date_format(format.to_owned())?)
    }

    fn parsed(text: &str) -> Result<Translation, String> {
        let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
        let translation = Translation::of(file)?;
        translation.distinct()?;
        Ok(translation)
    }

    const MAPPING: &str = r#"
        [columns]
        "Subject" = "title"
        "Requester email" = "requestorEmail"
        "Priority" = "priorityName"
        "Due" = "dueDate"

        [constants]
        teamId = "T1"
        isPrivate = false

        [values.priorityName]
        urgent = "High"

        [dates]
        dueDate = "%d/%m/%Y %H:%M"
    "#;

    #[test]
    fn a_mapping_renames_translates_and_reads_dates() {
        let translation = parsed(MAPPING).expect("valid");
        assert_eq!(
            translation.property("Subject").map(|f| f.property),
            Some("title")
        );
        assert_eq!(
            translation.property("title").map(|f| f.property),
            Some("title")
        );
        assert_eq!(translation.property("Tags").map(|f| f.property), None);
        assert_eq!(
            translation.constants().get("isPrivate"),
            Some(&Value::Bool(false))
        );
        let priority = translation.rule("priorityName").expect("a rule");
        assert_eq!(priority.apply("urgent").as_deref(), Ok("High"));
        assert_eq!(priority.apply("Medium").as_deref(), Ok("Medium"));
        let due = translation.rule("dueDate").expect("a rule");
        assert_eq!(
            due.apply("31/12/2025 17:05").as_deref(),
            Ok("2025-12-31T17:05:00Z")
        );
        assert_eq!(due.apply("").as_deref(), Ok(""));
        let err = due.apply("2025-12-31").expect_err("another format");
        assert!(
            err.contains("is not a date in the format \"%d/%m/%Y %H:%M\""),
            "{err}"
        );
    }

    #[test]
    fn dates_keep_their_offset_and_a_day_alone_is_midnight() {
        assert_eq!(
            read_date("2025-03-01 08:00 +0200", "%Y-%m-%d %H:%M %z").as_deref(),
            Ok("2025-03-01T08:00:00+02:00")
        );
        assert_eq!(
            read_date("03/01/2025", "%m/%d/%Y").as_deref(),
            Ok("2025-03-01T00:00:00Z")
        );
        assert_eq!(
            read_date("3/1/25 5:07 PM", "%m/%d/%y %I:%M %p").as_deref(),
            Ok("2025-03-01T17:07:00Z")
        );
        let err = read_date("31/02/2025", "%d/%m/%Y").expect_err("no such day");
        assert!(err.contains("names no day"), "{err}");
    }

    #[test]
    fn mistakes_in_a_mapping_are_named() {
        for (text, message) in [
            (
                "[columns]\nSubject = \"titel\"",
                "[columns] \"Subject\": CreateTicketBody has no property \"titel\" (did you mean title?)",
            ),
            (
                "[constants]\nteam = \"T\"",
                "[constants] CreateTicketBody has no property \"team\"",
            ),
            (
                "[constants]\ndueDate = 2025-01-01",
                "write a date as a string",
            ),
            ("[values.metadata]\na = \"b\"", "metadata is an object"),
            (
                "[values.priorityName]\na = [1]",
                "map a value to a string, a number or a boolean",
            ),
            (
                "[values.priorityName]\nlow = \" \"",
                "\"low\" = \" \": map the value to one of Thena's, or remove the line",
            ),
            (
                "[dates]\ntitle = \"%Y\"",
                "title is not a date-time property",
            ),
            ("[dates]\ndueDate = \"%Q\"", "not a date format"),
            (
                "[dates]\ndueDate = \"%d/%m/%Y %H:%M %Z\"",
                "%Z, a zone's name, gives no offset",
            ),
            ("[dates]\ndueDate = \"%H:%M\"", "names no day"),
            (
                "[columns]\nA = \"title\"\nB = \"title\"",
                "columns A, B are all mapped to title",
            ),
            (
                "[columns]\nTeam = \"teamId\"\n[constants]\nteamId = \"T\"",
                "teamId is both a constant and column \"Team\"'s",
            ),
            ("[colums]\nA = \"title\"", "unknown field `colums`"),
        ] {
            let err = parsed(text).err().unwrap_or_default();
            assert!(err.contains(message), "{text}: {err}");
        }
    }

    #[test]
    fn map_flags_win_over_the_file_and_name_their_mistakes() {
        let file = crate::test_file::TempFile::new("mapping.toml", MAPPING);
        let path = Path::new(file.path());
        let translation =
            Translation::load(Some(path), &["Subject=description".into()]).expect("valid");
        assert_eq!(
            translation.property("Subject").map(|f| f.property),
            Some("description")
        );
        for (maps, message) in [
            (&["Subject"][..], "expected COLUMN=PROPERTY"),
            (&["=title"], "expected COLUMN=PROPERTY"),
            (
                &["Subject=titel"],
                "--map \"Subject=titel\": CreateTicketBody has no property \"titel\" (did you mean title?)",
            ),
            (
                &["Team=teamId"],
                "teamId is both a constant and column \"Team\"'s",
            ),
        ] {
            let maps: Vec<String> = maps.iter().map(|m| (*m).to_owned()).collect();
            let err = Translation::load(Some(path), &maps)
                .err()
                .map(|f| f.to_string())
                .unwrap_or_default();
            assert!(err.contains(message), "{maps:?}: {err}");
        }
        let broken =
            crate::test_file::TempFile::new("mapping.toml", "[columns]\nA = \"title\"\nB = \n");
        let err = Translation::load(Some(Path::new(broken.path())), &[])
            .err()
            .map(|f| f.to_string())
            .unwrap_or_default();
        assert!(err.contains("mapping.toml: line 3: "), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn near_names_are_suggested() {
        assert_eq!(similar("Requester email"), Some("requestorEmail"));
        assert_eq!(similar("TEAM_ID"), Some("teamId"));
        assert_eq!(similar("due-date"), Some("dueDate"));
        assert_eq!(similar("Tags"), None);
        assert_eq!(
            similar("Status"),
            Some("statusName"),
            "a synonym before a typo"
        );
        assert_eq!(guess("Subject"), Some(("title", Likeness::Synonym)));
        assert_eq!(similar("--"), None);
    }

    #[test]
    fn a_starting_mapping_parses_back_and_round_trips() {
        let columns: Vec<String> = [
            "Id",
            "Subject",
            "Requester email",
            "priorityName",
            "Due date",
            "Tags \"x\"",
        ]
        .iter()
        .map(|c| (*c).to_owned())
        .collect();
        let none = Vec::new();
        let samples = [
            none.clone(),
            none.clone(),
            none.clone(),
            vec!["urgent".to_owned(), "\"odd\"".to_owned()],
            vec!["05/12/2026".to_owned()],
            none,
        ];
        let text = starting("export.csv", &columns, &samples);
        let translation = parsed(&text).expect("it parses");
        assert_eq!(
            translation.property("Requester email").map(|f| f.property),
            Some("requestorEmail")
        );
        assert_eq!(
            translation.property("Due date").map(|f| f.property),
            Some("dueDate")
        );
        assert!(
            translation.property("Subject").is_none(),
            "a synonym is only suggested"
        );
        assert!(
            text.contains("# \"Subject\" = \"title\"  # what other helpdesks call title"),
            "{text}"
        );
        assert!(text.contains("# \"Tags \\\"x\\\"\" = \"\"\n"), "{text}");
        assert!(text.contains("# teamId = \"\"  # required"), "{text}");
        assert!(
            !text.contains("# title = \"\"  # required"),
            "Subject may give it: {text}"
        );
        assert!(
            text.contains("# dueDate = \"%Y-%m-%d %H:%M:%S\"  # \"Due date\" has \"05/12/2026\""),
            "{text}"
        );
        assert!(
            text.contains("# [values.priorityName]  # the values of \"priorityName\"\n# \"urgent\" = \"\"\n# \"\\\"odd\\\"\" = \"\""),
            "{text}"
        );
        assert!(
            text.contains(
                "# \"Id\" = \"\"  # the old system's ticket ids? import with --id-column \"Id\""
            ),
            "{text}"
        );
        // Uncommenting a block of values but not filling each in is refused, not a
        // value lost.
        let blank = text
            .replace("# [values.priorityName]", "[values.priorityName]")
            .replace("# \"urgent\"", "\"urgent\"");
        assert!(
            parsed(&blank)
                .err()
                .unwrap_or_default()
                .contains("\"urgent\" = \"\"")
        );
        // Uncommenting every suggestion gives a mapping that still parses.
        let edited = text
            .replace("# \"Subject\"", "\"Subject\"")
            .replace("# [values.priorityName]", "[values.priorityName]")
            .replace("# \"urgent\" = \"\"", "\"urgent\" = \"High\"")
            .replace("# teamId = \"\"", "teamId = \"T1\"")
            .replace("# dueDate", "dueDate");
        let translation = parsed(&edited).expect("it parses");
        assert_eq!(
            translation.property("Subject").map(|f| f.property),
            Some("title")
        );
        assert_eq!(
            translation.constants().get("teamId"),
            Some(&Value::from("T1"))
        );
        assert_eq!(
            translation
                .rule("dueDate")
                .and_then(|r| r.apply("2025-01-02 03:04:05").ok())
                .as_deref(),
            Some("2025-01-02T03:04:05Z")
        );
    }
}
