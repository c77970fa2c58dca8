//! How far an import is, on stderr: a progress bar on a terminal, a line every
//! [`LOG_EVERY`] otherwise (a CI log, a file), so that neither floods.

use std::io::IsTerminal;
use std::time::{Duration, Instant, SystemTime};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::import::report::Tally;

/// How often a line is logged when stderr is not a terminal.
const LOG_EVERY: Duration = Duration::from_secs(5);

/// The bar's layout: rows done of all, then the counts, the rate and what is left.
const TEMPLATE: &str = "{spinner} {elapsed_precise} [{wide_bar}] {pos}/{len} rows\n  {msg}";

/// The progress of one run.
pub struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
    logged: Instant,
}

impl Progress {
    /// Progress over `tally.rows` rows.
    pub fn new(tally: &Tally) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let style = ProgressStyle::with_template(TEMPLATE)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
            let bar = ProgressBar::with_draw_target(Some(tally.rows), ProgressDrawTarget::stderr())
                .with_style(style);
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        let now = Instant::now();
        Self {
            bar,
            started: now,
            logged: now,
        }
    }

    /// Shows the counts, and until when sending waits for the rate-limit quota if it
    /// does: on the bar, or in a line when one is due.
    pub fn update(&mut self, tally: &Tally, quota_until: Option<SystemTime>) {
        let handled = tally.handled();
        // Rows done by earlier runs are skipped in no time: they do not count.
        let rate =
            (handled - tally.earlier) as f64 / self.started.elapsed().as_secs_f64().max(1e-3);
        let left = tally.rows.saturating_sub(handled);
        let eta = match quota_until {
            Some(until) => waiting_for_quota(until),
            None if rate > 0.0 => format!("{:.0} s left", left as f64 / rate),
            None => "time left unknown".to_owned(),
        };
        match &self.bar {
            Some(bar) => {
                bar.set_position(handled);
                bar.set_message(format!("{}; {rate:.0} rows/s, {eta}", tally.counts()));
            }
            None if self.logged.elapsed() >= LOG_EVERY => {
                self.logged = Instant::now();
                crate::stream::say(format_args!(
                    "import: {handled}/{} rows ({}); {rate:.0} rows/s, {eta}",
                    tally.rows,
                    tally.counts()
                ));
            }
            None => {}
        }
    }

    /// Prints a message without breaking the bar.
    pub fn say(&self, message: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| crate::stream::say(message)),
            None => crate::stream::say(message),
        }
    }

    /// Removes the bar for good; progress goes on as log lines.
    pub fn drop_bar(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }

    /// Removes the bar; the summary follows.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// "waiting for the quota until 22:41:07 UTC (12 s)".
fn waiting_for_quota(until: SystemTime) -> String {
    let left = until
        .duration_since(SystemTime::now())
        .unwrap_or_default()
        .as_secs_f64();
    let at = chrono::DateTime::<chrono::Utc>::from(until).format("%H:%M:%S UTC");
    format!("waiting for the quota until {at} ({left:.0} s)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quota_wait_says_until_when() {
        let until = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            waiting_for_quota(until),
            "waiting for the quota until 22:13:20 UTC (0 s)"
        );
    }
}
