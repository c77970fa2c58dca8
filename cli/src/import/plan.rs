//! A dry run's plan (`--dry-run` with `--sync`, or with `--output`): what a real run
//! would send, with the counts its summary would give, and with `--output` one line per
//! row it would send or that has changes it cannot send.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use serde::Serialize;
use tokio::sync::mpsc;

use crate::exit::{Failure, Status};
use crate::import::pipeline::{Item, note};
use crate::import::report::{Mapping, Tally, count};

/// The plan of one dry run, and where its lines go.
pub struct Plan {
    out: Option<Out>,
    /// Rows to create and to update.
    create: u64,
    update: u64,
}

enum Out {
    Csv(Box<csv::Writer<BufWriter<File>>>, String),
    Jsonl(Box<dyn Write>, String),
}

/// One line of the plan.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Line<'a> {
    row: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_id: Option<&'a str>,
    /// `create`, `update` or `note`.
    action: &'a str,
    /// The properties an update sends.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    properties: &'a [String],
    /// The changes not sent, and why.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    notes: &'a [String],
}

impl Plan {
    /// A plan written where `--output` says, if it does.
    pub fn new(mapping: Option<&Mapping>) -> Result<Self, Failure> {
        let open = |path: &Path| {
            File::create(path).map(BufWriter::new).map_err(|e| {
                Failure::new(
                    Status::Usage,
                    format!("--output {}: cannot create it: {e}", path.display()),
                )
            })
        };
        let out = match mapping {
            None => None,
            Some(Mapping::Csv(path)) => {
                let mut csv = csv::Writer::from_writer(open(path)?);
                csv.write_record(["row", "sourceId", "action", "properties", "notes"])
                    .map_err(|e| lost(&path.display(), &e))?;
                Some(Out::Csv(Box::new(csv), path.display().to_string()))
            }
            Some(Mapping::Jsonl(path)) => Some(Out::Jsonl(
                Box::new(open(path)?),
                path.display().to_string(),
            )),
            Some(Mapping::Stdout) => Some(Out::Jsonl(
                Box::new(crate::stream::stdout()),
                "stdout".to_owned(),
            )),
        };
        Ok(Self {
            out,
            create: 0,
            update: 0,
        })
    }

    /// Takes the rows of a second pass as a real run would send them, and concludes.
    pub async fn make(
        mut self,
        mut items: mpsc::Receiver<Vec<Item>>,
        input: &str,
        mut tally: Tally,
        state: &Path,
    ) -> Result<(), Failure> {
        // The second pass counts them again, row by row, as a real run's does.
        tally.earlier = 0;
        while let Some(batch) = items.recv().await {
            for item in batch {
                match &item {
                    Item::Failed(failure) => {
                        return Err(Failure::new(failure.status(), failure.to_string()));
                    }
                    Item::Done => tally.earlier += 1,
                    Item::Noted {
                        row,
                        source_id,
                        notes,
                    } => {
                        tally.noted += 1;
                        crate::stream::say(note(*row, source_id.as_deref(), notes));
                        self.line(&Line {
                            row: *row,
                            source_id: source_id.as_deref(),
                            action: "note",
                            properties: &[],
                            notes,
                        })?;
                    }
                    // Named by the first pass.
                    Item::Invalid { .. } => {}
                    Item::Send(_) => {}
                }
                if let Some((row, source_id, action, properties)) = item.planned() {
                    match action {
                        "update" => self.update += 1,
                        _ => self.create += 1,
                    }
                    self.line(&Line {
                        row,
                        source_id,
                        action,
                        properties,
                        notes: &[],
                    })?;
                }
            }
        }
        self.finish(input, tally, state)
    }

    fn line(&mut self, line: &Line<'_>) -> Result<(), Failure> {
        match &mut self.out {
            None => Ok(()),
            Some(Out::Csv(csv, name)) => csv
                .write_record([
                    line.row.to_string().as_str(),
                    line.source_id.unwrap_or_default(),
                    line.action,
                    &line.properties.join(" "),
                    &line.notes.join("; "),
                ])
                .map_err(|e| lost(name, &e)),
            Some(Out::Jsonl(out, name)) => serde_json::to_writer(&mut *out, line)
                .map_err(std::io::Error::from)
                .and_then(|()| out.write_all(b"\n"))
                .map_err(|e| lost(name, &e)),
        }
    }

    /// Says the counts and ends the plan: its status is a dry run's.
    pub fn finish(mut self, input: &str, tally: Tally, state: &Path) -> Result<(), Failure> {
        match &mut self.out {
            None => {}
            Some(Out::Csv(csv, name)) => csv.flush().map_err(|e| lost(name, &e))?,
            Some(Out::Jsonl(out, name)) => out.flush().map_err(|e| lost(name, &e))?,
        }
        let mut text = format!(
            "plan for {input}: {}: {} to create, {} to update, {} done and unchanged",
            count(tally.rows, "row", "rows"),
            self.create,
            self.update,
            tally.earlier,
        );
        if tally.noted > 0 {
            text.push_str(&format!(
                " ({} not sent, named above)",
                count(tally.noted, "row has changes", "rows have changes")
            ));
        }
        text.push_str(&format!(
            ", {} no longer in the input, {} invalid; the journal {}; nothing was sent",
            tally.gone,
            tally.invalid,
            state.display()
        ));
        crate::stream::say(text);
        match tally.invalid {
            0 => Ok(()),
            n => Err(Failure::new(
                Status::Usage,
                format!(
                    "{} the spec (listed above)",
                    count(n, "row breaks", "rows break")
                ),
            )),
        }
    }
}

fn lost(name: &dyn std::fmt::Display, e: &dyn std::fmt::Display) -> Failure {
    Failure::new(
        Status::OutputLost,
        format!("the plan could not be written to {name}: {e}"),
    )
}
