//! Time as processes see it: the machine's monotonic clock, or, in a
//! simulation, a virtual clock that moves only when the simulation moves it.
//!
//! Every deadline (`after`, `Process.sleep`, `send_after`, timers) and every
//! reading (`System.monotonic_time`, `System.os_time`, trace timestamps)
//! goes through the runtime's one `Clock`, so a simulated run sees only
//! virtual time and a seed replays it to the microsecond.

use std::sync::atomic::{AtomicU64, Ordering::*};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The wall-clock time a simulation starts at: 2026-01-01T00:00:00Z, so that
/// `System.os_time` is the same in every run of a seed.
const SIM_EPOCH_US: u64 = 1_767_225_600_000_000;

/// A clone reads the same time: the nodes of one simulation share a clock.
#[derive(Clone)]
pub(crate) struct Clock {
    start: Instant,
    /// Microseconds since `start`, in a simulation.
    virtual_us: Option<Arc<AtomicU64>>,
}

impl Clock {
    pub(crate) fn real() -> Clock {
        Clock { start: Instant::now(), virtual_us: None }
    }

    pub(crate) fn simulated() -> Clock {
        Clock { start: Instant::now(), virtual_us: Some(Arc::new(AtomicU64::new(0))) }
    }

    pub(crate) fn now(&self) -> Instant {
        match &self.virtual_us {
            None => Instant::now(),
            Some(us) => self.start + Duration::from_micros(us.load(Acquire)),
        }
    }

    /// Time since the runtime started.
    pub(crate) fn elapsed(&self) -> Duration {
        self.now().saturating_duration_since(self.start)
    }

    /// Microseconds since the Unix epoch: the machine's, or the
    /// simulation's (its own epoch plus virtual time).
    pub(crate) fn wall_us(&self) -> u64 {
        match &self.virtual_us {
            None => SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros() as u64),
            Some(us) => SIM_EPOCH_US + us.load(Acquire),
        }
    }

    /// Moves virtual time forward to `t` (never back). No-op when real.
    pub(crate) fn advance_to(&self, t: Instant) {
        if let Some(us) = &self.virtual_us {
            let target = t.saturating_duration_since(self.start).as_micros() as u64;
            us.fetch_max(target, AcqRel);
        }
    }

    /// Moves virtual time forward by `d`. No-op when real.
    pub(crate) fn advance_by(&self, d: Duration) {
        if let Some(us) = &self.virtual_us {
            us.fetch_add(d.as_micros() as u64, AcqRel);
        }
    }
}
