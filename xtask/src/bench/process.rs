//! The SDK's overhead as users meet it: the `thena-sandbox` binary in a process of its
//! own, the client (tests/benches/overhead.rs, release) on tokio's default multi-thread
//! runtime, the SDK and hand-written reqwest in interleaved rounds.

use serde_json::Value;

use super::sandbox::{Sandbox, UNLIMITED, build_release};
use super::{duration, median, verdict};

/// A sequential call through the SDK may take this much longer than by hand.
const PROCESS_MAX: f64 = 1.05;

pub fn run(quick: bool) -> Result<(), String> {
    build_release(&["thena-sandbox"])?;
    let sandbox = Sandbox::start(UNLIMITED)?;
    let (rounds, calls) = if quick { ("10", "100") } else { ("30", "300") };
    let lines = sandbox.bench(
        "overhead",
        &[("THENA_BENCH_ROUNDS", rounds), ("THENA_BENCH_CALLS", calls)],
    )?;
    drop(sandbox);
    println!(
        "\nthena-sdk against the same requests by hand, the thena-sandbox binary in a process \
         of its own, the client on tokio's default multi-thread runtime; {rounds} interleaved \
         rounds of {calls} sequential calls per side. {}",
        super::machine()
    );
    for op in ["create", "update"] {
        let (mut ratios, mut sdk, mut raw) = (Vec::new(), Vec::new(), Vec::new());
        for line in lines.lines().filter(|l| l.starts_with('{')) {
            let round: Value = serde_json::from_str(line).map_err(|e| format!("{line:?}: {e}"))?;
            if round["op"] != op {
                continue;
            }
            let field = |name: &str| round[name].as_f64().ok_or(format!("{line:?}: no {name}"));
            let (sdk_ns, raw_ns, calls) = (field("sdk_ns")?, field("raw_ns")?, field("calls")?);
            ratios.push(sdk_ns / raw_ns);
            sdk.push(sdk_ns / calls);
            raw.push(raw_ns / calls);
        }
        let ratio = median(&mut ratios);
        println!(
            "{op}_ticket, separate process: sdk {} raw {} per call (medians); median of \
             per-round ratios {ratio:.3}, target ≤ {PROCESS_MAX}: {}",
            duration(median(&mut sdk)),
            duration(median(&mut raw)),
            verdict(ratio <= PROCESS_MAX)
        );
    }
    Ok(())
}
