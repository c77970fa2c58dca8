//! `thena tickets import` as users run it: the release binary as a process of its own,
//! against the `thena-sandbox` release binary in another, each figure beside its target.
//!
//! - Throughput: importing N rows with `--concurrency 64`, timed from start to exit
//!   (checking the file, journaling, everything), against the SDK's own 64-in-flight
//!   creates (tests/benches/in_flight.rs) in interleaved rounds against the same sandbox;
//!   the median of the per-round ratios.
//! - Rate limit: importing at a sandbox limit of R requests per second; the requests
//!   per second of the whole windows in the sandbox's request log, and its 429s.
//! - Memory: the peak resident set of the `thena` process importing 1,000,000 rows,
//!   as the kernel counts it (`ru_maxrss`, from `wait4`); that of the sandbox binary
//!   after those creates (`VmHWM`); and that of the rehearsal, `thena --sandbox tickets
//!   import` of the same rows, the sandbox in the thena process.
//! - Sync: over those rows and their journal, a `--dry-run` (the baseline: one pass),
//!   a `--sync` where nothing changed, and one after 1 % of the rows changed; rows per
//!   second from start to exit, and each process's peak resident set.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use serde_json::Value;

use super::sandbox::{KEY, Sandbox, UNLIMITED, build_release};
use super::{median, requests, verdict};
use crate::target_dir;

/// The import's share of the SDK's own throughput it must reach.
const THROUGHPUT_MIN: f64 = 0.9;
/// The share of a rate limit it must sustain.
const RATE_MIN: f64 = 0.95;
/// The most memory a 1,000,000-row import may take.
const RSS_MAX_MIB: f64 = 64.0;
/// The most memory a rehearsal (`thena --sandbox`) of a 1,000,000-row import may take.
const REHEARSAL_RSS_MAX_MIB: f64 = 256.0;
/// Rows of the memory run.
const RSS_ROWS: usize = 1_000_000;
/// The share of a plain pass's speed (`--dry-run`) a sync of unchanged rows must keep.
const SYNC_MIN: f64 = 0.9;

/// The body of every row: the SDK benchmarks' create (tests/benches/common).
const HEADER: &str = "sourceId,title,requestorEmail,teamId,description,priorityName";
const BODY: &str = "Invoices PDF export times out,j.alvarez@northwind.example,team_12345,\
    \"Exporting an invoice with more than 500 line items as PDF spins for 30 seconds, then \
    fails. Smaller invoices export.\",High";

pub fn run(quick: bool) -> Result<(), String> {
    build_release(&["thena-sandbox", "thena-cli"])?;
    let dir = target_dir().join("bench-import");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    println!(
        "\nthena tickets import (release) and the thena-sandbox binary, each in a process of \
         its own, over loopback. {}",
        super::machine()
    );
    throughput(quick, &dir)?;
    rate_limited(quick, &dir)?;
    peak_rss(quick, &dir)?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Writes `rows` rows whose `sourceId`s start with `prefix`.
fn write_rows(path: &Path, rows: usize, prefix: &str) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("{}: {e}", path.display());
    let mut out = BufWriter::new(File::create(path).map_err(fail)?);
    writeln!(out, "{HEADER}").map_err(fail)?;
    for i in 0..rows {
        writeln!(out, "{prefix}{i},{BODY}").map_err(fail)?;
    }
    out.flush().map_err(fail)
}

/// `thena tickets import FILE --id-column sourceId` against `sandbox`, started, with a
/// fresh journal: every run sends every row.
fn import(sandbox: &Sandbox, input: &Path, extra: &[&str]) -> Result<Child, String> {
    let mut journal = input.as_os_str().to_owned();
    journal.push(".thena-import");
    let _ = std::fs::remove_file(PathBuf::from(journal));
    again(sandbox, input, extra)
}

/// `thena tickets import FILE --id-column sourceId` against `sandbox`, started, going on
/// with the journal of the runs before.
fn again(sandbox: &Sandbox, input: &Path, extra: &[&str]) -> Result<Child, String> {
    let binary = target_dir().join("release").join("thena");
    let mut log = input.as_os_str().to_owned();
    log.push(".log");
    let log = File::create(PathBuf::from(&log)).map_err(|e| format!("{log:?}: {e}"))?;
    Command::new(&binary)
        .args(["tickets", "import"])
        .arg(input)
        .args(["--id-column", "sourceId"])
        .args(extra)
        .env("THENA_BASE_URL", &sandbox.url)
        .env("THENA_API_KEY", KEY)
        .env_remove("THENA_MAX_RETRIES")
        .env_remove("THENA_TIMEOUT_SECS")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("{}: {e}", binary.display()))
}

/// Waits for an import; an error, with its log, unless it exited 0.
fn finished(mut child: Child, input: &Path) -> Result<(), String> {
    let status = child
        .wait()
        .map_err(|e| format!("waiting for thena: {e}"))?;
    check(status.code(), input)
}

fn check(code: Option<i32>, input: &Path) -> Result<(), String> {
    if code == Some(0) {
        return Ok(());
    }
    let mut log = input.as_os_str().to_owned();
    log.push(".log");
    let log = std::fs::read_to_string(PathBuf::from(log)).unwrap_or_default();
    Err(format!("the import exited with {code:?}:\n{log}"))
}

fn throughput(quick: bool, dir: &Path) -> Result<(), String> {
    let (rounds, rows) = if quick { (3, 20_000) } else { (5, 50_000) };
    let sandbox = Sandbox::start(UNLIMITED)?;
    let (mut ratios, mut imports, mut sdks) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        // Keys of their own each round: a key seen before would be replayed, not created.
        let input = dir.join(format!("throughput-{round}.csv"));
        write_rows(&input, rows, &format!("r{round}-"))?;
        let mut sides = ["sdk", "import"];
        if round % 2 == 1 {
            sides.reverse();
        }
        let (mut import_rate, mut sdk_rate) = (0.0, 0.0);
        for side in sides {
            match side {
                "sdk" => sdk_rate = sdk_in_flight(&sandbox, rows)?,
                _ => {
                    let started = Instant::now();
                    finished(import(&sandbox, &input, &["--concurrency", "64"])?, &input)?;
                    import_rate = rows as f64 / started.elapsed().as_secs_f64();
                }
            }
        }
        ratios.push(import_rate / sdk_rate);
        imports.push(import_rate);
        sdks.push(sdk_rate);
    }
    let ratio = median(&mut ratios);
    println!(
        "import throughput, --concurrency 64: import {} against the SDK's own 64-in-flight \
         creates {} (medians of {rounds} interleaved rounds of {rows} rows; the import timed \
         from start to exit); median of per-round ratios {ratio:.3}, target ≥ \
         {THROUGHPUT_MIN}: {}",
        requests(median(&mut imports)),
        requests(median(&mut sdks)),
        verdict(ratio >= THROUGHPUT_MIN)
    );
    Ok(())
}

/// The SDK's creates per second with 64 in flight through one client.
fn sdk_in_flight(sandbox: &Sandbox, creates: usize) -> Result<f64, String> {
    let text = sandbox.bench(
        "in_flight",
        &[("THENA_BENCH_CREATES", &creates.to_string())],
    )?;
    let line = text
        .lines()
        .find(|l| l.starts_with('{'))
        .unwrap_or_default();
    let result: Value = serde_json::from_str(line).map_err(|e| format!("{line:?}: {e}"))?;
    let field = |name: &str| result[name].as_f64().ok_or(format!("{line:?}: no {name}"));
    Ok(field("creates")? / (field("ns")? / 1e9))
}

fn rate_limited(quick: bool, dir: &Path) -> Result<(), String> {
    let (rate, rows) = if quick { (200, 2_000) } else { (400, 8_000) };
    let sandbox = Sandbox::start(&format!("{rate}/1s"))?;
    let input = dir.join("rate-limited.csv");
    write_rows(&input, rows, "rl-")?;
    let started = Instant::now();
    finished(import(&sandbox, &input, &[])?, &input)?;
    let elapsed = started.elapsed().as_secs_f64();

    let log = sandbox.get("/_sandbox/requests")?;
    let log: Vec<Value> =
        serde_json::from_str(&log).map_err(|e| format!("the request log: {e}"))?;
    let throttled = log.iter().filter(|r| r["status"] == 429).count();
    // Requests per whole second of the sandbox's clock (its windows are whole seconds);
    // the first and the last second are partly outside the import.
    let mut per_second = BTreeMap::new();
    for record in &log {
        let second = record["receivedAt"].as_str().and_then(|t| t.get(..19));
        *per_second.entry(second.unwrap_or_default()).or_insert(0u64) += 1;
    }
    let counts: Vec<u64> = per_second.values().copied().collect();
    let whole = counts
        .get(1..counts.len().saturating_sub(1))
        .unwrap_or_default();
    let sustained = whole.iter().sum::<u64>() as f64 / whole.len().max(1) as f64;
    println!(
        "import at a sandbox rate limit of {rate} requests/s, default --concurrency: {} over \
         {} whole seconds of the sandbox's request log ({rows} rows in {elapsed:.1} s from \
         start to exit), {throttled} answered 429; target ≥ {RATE_MIN} × {rate} and no 429: \
         {}",
        requests(sustained),
        whole.len(),
        verdict(sustained >= RATE_MIN * f64::from(rate) && throttled == 0)
    );
    Ok(())
}

fn peak_rss(quick: bool, dir: &Path) -> Result<(), String> {
    let sandbox = Sandbox::start(UNLIMITED)?;
    let input = dir.join("million.csv");
    write_rows(&input, RSS_ROWS, "m-")?;
    let started = Instant::now();
    let child = import(&sandbox, &input, &["--concurrency", "64"])?;
    let (code, max_rss_kib) = wait_with_peak_rss(child)?;
    let elapsed = started.elapsed().as_secs_f64();
    check(code, &input)?;
    let mib = max_rss_kib as f64 / 1024.0;
    println!(
        "peak RSS importing {RSS_ROWS} rows ({:.0} MB of CSV, --concurrency 64): {mib:.1} MiB \
         (ru_maxrss of the thena process, from wait4), target < {RSS_MAX_MIB} MiB: {}; {} \
         from start to exit",
        std::fs::metadata(&input).map_or(0.0, |m| m.len() as f64 / 1e6),
        verdict(mib < RSS_MAX_MIB),
        requests(RSS_ROWS as f64 / elapsed)
    );
    println!(
        "peak RSS of the thena-sandbox binary after those {RSS_ROWS} creates: {} (VmHWM \
         from /proc; every ticket kept whole, the request log bounded to its 10000 most \
         recent requests)",
        sandbox
            .peak_rss_kib()
            .map_or("unknown".to_owned(), |kib| format!(
                "{:.1} MiB",
                kib as f64 / 1024.0
            ))
    );
    sync(&sandbox, &input)?;
    drop(sandbox);
    if quick {
        println!("the rehearsal of those rows (about 10 minutes) is left out with --quick");
        return Ok(());
    }

    // The rehearsal the README recommends: the sandbox in the thena process.
    let binary = target_dir().join("release").join("thena");
    let started = Instant::now();
    let child = Command::new(&binary)
        .args(["--sandbox", "tickets", "import"])
        .arg(&input)
        .args(["--id-column", "sourceId", "--concurrency", "64"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{}: {e}", binary.display()))?;
    let (code, max_rss_kib) = wait_with_peak_rss(child)?;
    let elapsed = started.elapsed().as_secs_f64();
    if code != Some(0) {
        return Err(format!("the rehearsal exited with {code:?}"));
    }
    let mib = max_rss_kib as f64 / 1024.0;
    println!(
        "peak RSS of the rehearsal thena --sandbox tickets import of those {RSS_ROWS} rows \
         (the embedded sandbox keeps only keys): {mib:.1} MiB (ru_maxrss, from wait4), \
         target < {REHEARSAL_RSS_MAX_MIB} MiB: {}; {} from start to exit",
        verdict(mib < REHEARSAL_RSS_MAX_MIB),
        requests(RSS_ROWS as f64 / elapsed)
    );
    Ok(())
}

/// Runs over the 1,000,000 rows just imported, with their journal: a `--dry-run`
/// (the plain pass over the file, the baseline), a `--sync` of the same rows (nothing
/// changed, nothing sent), and a `--sync` after 1 % of the rows changed (10,000 updates).
fn sync(sandbox: &Sandbox, input: &Path) -> Result<(), String> {
    let run = |extra: &[&str]| -> Result<(f64, f64), String> {
        let started = Instant::now();
        let (code, max_rss_kib) = wait_with_peak_rss(again(sandbox, input, extra)?)?;
        let elapsed = started.elapsed().as_secs_f64();
        check(code, input)?;
        Ok((RSS_ROWS as f64 / elapsed, max_rss_kib as f64 / 1024.0))
    };
    let (dry, dry_mib) = run(&["--dry-run"])?;
    let (unchanged, unchanged_mib) = run(&["--sync"])?;
    let ratio = unchanged / dry;
    println!(
        "--dry-run over those {RSS_ROWS} rows, every one done: {} ({dry_mib:.1} MiB); \
         --sync with none changed: {} ({unchanged_mib:.1} MiB); ratio {ratio:.3}, target ≥ \
         {SYNC_MIN} (a sync costs a plain pass over the file, and the journal's reading): {}",
        rows(dry),
        rows(unchanged),
        verdict(ratio >= SYNC_MIN && unchanged_mib < RSS_MAX_MIB)
    );
    // One row in a hundred with a new priority: 10,000 updates of one property. The
    // file is rewritten as a stream: a child's peak resident set counts the memory of
    // this process at the fork.
    let fail = |e: std::io::Error| format!("{}: {e}", input.display());
    let changed = input.with_extension("changed.csv");
    {
        let mut out = BufWriter::new(File::create(&changed).map_err(fail)?);
        let rows = std::io::BufReader::new(File::open(input).map_err(fail)?);
        for (i, line) in std::io::BufRead::lines(rows).enumerate() {
            let line = line.map_err(fail)?;
            match i > 0 && i.is_multiple_of(100) {
                true => writeln!(out, "{}Low", line.strip_suffix("High").unwrap_or(&line)),
                false => writeln!(out, "{line}"),
            }
            .map_err(fail)?;
        }
        out.flush().map_err(fail)?;
    }
    std::fs::rename(&changed, input).map_err(fail)?;
    let (synced, synced_mib) = run(&["--sync", "--concurrency", "64"])?;
    println!(
        "--sync after 1 % of those rows changed (10,000 updates, --concurrency 64): {} from \
         start to exit ({synced_mib:.1} MiB), target < {RSS_MAX_MIB} MiB: {}",
        rows(synced),
        verdict(synced_mib < RSS_MAX_MIB)
    );
    Ok(())
}

/// Rows per second, as a phrase.
fn rows(per_second: f64) -> String {
    format!("{per_second:.0} rows/s")
}

/// Waits for `child` with `wait4`, which reports the peak resident set of that process
/// alone (in KiB on Linux): its exit code and that peak.
fn wait_with_peak_rss(child: Child) -> Result<(Option<i32>, u64), String> {
    let pid = libc::pid_t::try_from(child.id()).map_err(|e| format!("pid: {e}"))?;
    let mut status = 0;
    // SAFETY: `rusage` is plain integers, for which all zeros is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our child, not yet waited for; both pointers are to live locals.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    if waited != pid {
        return Err(format!("wait4: {}", std::io::Error::last_os_error()));
    }
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    Ok((code, u64::try_from(usage.ru_maxrss).unwrap_or(0)))
}
