//! `--sim [--seed N]`: which runtime a run gets, and the seed it prints.
//!
//! A simulated run is a `Runtime::simulated(seed)`: one scheduler thread
//! that picks the next process with a seeded random source, and virtual
//! time. The seed is printed (on stderr) at the start and again when the
//! run fails, so that the failure can be replayed.

use crate::cli::SimOpts;
use snow_runtime::Runtime;

/// A simulated run's settings.
#[derive(Clone, Copy, Debug)]
pub struct SimPlan {
    pub seed: u64,
}

impl SimPlan {
    /// `None` for a real run; `--seed` alone is an error.
    pub fn from_opts(opts: &SimOpts) -> Result<Option<SimPlan>, String> {
        match (opts.sim, opts.seed) {
            (false, Some(_)) => Err("--seed chooses a simulation's seed: add --sim".into()),
            (false, None) => Ok(None),
            (true, seed) => Ok(Some(SimPlan { seed: seed.unwrap_or_else(random_seed) })),
        }
    }

    /// The line that lets a run be replayed.
    pub fn replay_line(&self) -> String {
        format!("snow: simulation seed {} (replay with --sim --seed {})", self.seed, self.seed)
    }
}

/// A seed from the OS, small enough to type.
fn random_seed() -> u64 {
    getrandom::u32().map_or(std::process::id(), |n| n % 1_000_000) as u64
}

/// The runtime for a run: simulated with the plan's seed, else real.
pub fn runtime(plan: Option<&SimPlan>) -> Runtime {
    match plan {
        Some(p) => Runtime::simulated(p.seed),
        None => Runtime::new(),
    }
}
