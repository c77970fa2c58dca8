//! Chaos mode: each API request, independently, with a set probability, meets one of the
//! faults a real network and a real platform produce, chosen at random. Scripted faults
//! ([`Fault`](crate::Fault)) come first; chaos only touches requests no scripted fault
//! took. A seed makes the sequence of choices reproducible.

use std::fmt;
use std::sync::{Mutex, PoisonError};

use serde::{Deserialize, Serialize};

use crate::faults::{FaultBody, FaultKind};

/// How much chaos: the probability that a request meets a fault, and the seed of the
/// choices. Over HTTP, `{"rate": 0.05, "seed": 7}` (`seed` optional).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Chaos {
    rate: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    seed: Option<u64>,
}

/// A chaos rate outside 0..=1.
#[derive(Clone, Debug, PartialEq)]
pub struct InvalidChaos(f64);

impl fmt::Display for InvalidChaos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "chaos rate {}: expected a probability from 0 to 1",
            self.0
        )
    }
}

impl std::error::Error for InvalidChaos {}

impl Chaos {
    /// Chaos at `rate` (0 to 1), with a random seed.
    pub fn new(rate: f64) -> Result<Self, InvalidChaos> {
        if (0.0..=1.0).contains(&rate) {
            Ok(Self { rate, seed: None })
        } else {
            Err(InvalidChaos(rate))
        }
    }

    /// The same chaos, its choices drawn from `seed`.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// The probability that a request meets a fault.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// The faults chaos chooses from, each as likely as the others: an overloaded
    /// server, throttling, a connection dropped before or after the request was
    /// processed, an answer cut mid-body.
    pub fn faults() -> [FaultKind; 5] {
        [
            FaultKind::Status {
                status: 503,
                retry_after: None,
                body: FaultBody::Json,
            },
            FaultKind::Status {
                status: 429,
                retry_after: Some(1),
                body: FaultBody::Json,
            },
            FaultKind::Drop {
                after_processing: false,
            },
            FaultKind::Drop {
                after_processing: true,
            },
            FaultKind::Truncate,
        ]
    }
}

/// The chaos in force, if any, and its random source.
#[derive(Default)]
pub(crate) struct ChaosState(Mutex<Option<(Chaos, fastrand::Rng)>>);

impl ChaosState {
    pub(crate) fn set(&self, chaos: Option<Chaos>) {
        let state = chaos.map(|c| {
            let rng = c
                .seed
                .map_or_else(fastrand::Rng::new, fastrand::Rng::with_seed);
            (c, rng)
        });
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = state;
    }

    pub(crate) fn get(&self) -> Option<Chaos> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(|(c, _)| *c)
    }

    /// The fault for one request, if chaos strikes it.
    pub(crate) fn pick(&self) -> Option<FaultKind> {
        let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let (chaos, rng) = state.as_mut()?;
        if rng.f64() >= chaos.rate {
            return None;
        }
        let faults = Chaos::faults();
        faults.get(rng.usize(..faults.len())).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_probabilities() {
        for rate in [0.0, 0.05, 1.0] {
            assert!(Chaos::new(rate).is_ok(), "{rate}");
        }
        for rate in [-0.1, 1.01, f64::NAN, f64::INFINITY] {
            let err = Chaos::new(rate).expect_err("not a probability");
            assert!(err.to_string().contains("from 0 to 1"), "{err}");
        }
    }

    #[test]
    fn a_seed_repeats_the_choices_and_the_rate_holds() {
        let run = || {
            let state = ChaosState::default();
            state.set(Some(Chaos::new(0.25).expect("valid").seed(7)));
            (0..4000).map(|_| state.pick()).collect::<Vec<_>>()
        };
        let (first, second) = (run(), run());
        assert_eq!(first, second);
        let struck = first.iter().filter(|f| f.is_some()).count();
        assert!((850..1150).contains(&struck), "{struck} of 4000 at 0.25");
        for kind in Chaos::faults() {
            assert!(first.contains(&Some(kind.clone())), "{kind:?} never chosen");
        }
    }

    #[test]
    fn no_chaos_no_faults() {
        let state = ChaosState::default();
        assert_eq!(state.pick(), None);
        state.set(Some(Chaos::new(0.0).expect("valid")));
        assert!((0..1000).all(|_| state.pick().is_none()));
    }
}
