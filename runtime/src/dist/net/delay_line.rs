//! A delay line: items leave in the order they entered, each no earlier
//! than its due time (`Net.delay`). Jitter varies each item's latency
//! within `ms ± jitter`, but an item never overtakes the one before it:
//! rule 2, and TCP, keep the order of a pair's traffic.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

pub(crate) struct DelayLine<T> {
    items: VecDeque<(Instant, T)>,
    /// The due time of the last item pushed: the next one is due no earlier.
    last_due: Option<Instant>,
    /// xorshift64 state for jitter (a teaching tool needs no better).
    rng: u64,
}

impl<T> Default for DelayLine<T> {
    fn default() -> Self {
        DelayLine {
            items: VecDeque::new(),
            last_due: None,
            rng: getrandom::u64().unwrap_or(0x9E37_79B9_7F4A_7C15) | 1,
        }
    }
}

impl<T> DelayLine<T> {
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Adds `item`, due `ms ± jitter` milliseconds after `now` (never before
    /// the item ahead of it).
    pub fn push(&mut self, now: Instant, ms: u64, jitter: u64, item: T) {
        let latency = if jitter == 0 {
            ms
        } else {
            let offset = self.next_random() % jitter.saturating_mul(2).saturating_add(1);
            ms.saturating_add(offset).saturating_sub(jitter)
        };
        // Checked: a latency no clock can reach is "never".
        let mut due = now.checked_add(Duration::from_millis(latency)).unwrap_or(now + Duration::from_secs(86_400 * 365));
        if let Some(last) = self.last_due {
            due = due.max(last);
        }
        self.last_due = Some(due);
        self.items.push_back((due, item));
    }

    /// The first item, if it is due at `now`.
    pub fn pop_due(&mut self, now: Instant) -> Option<T> {
        match self.items.front() {
            Some((due, _)) if *due <= now => self.items.pop_front().map(|(_, item)| item),
            _ => None,
        }
    }

    /// When the first item is due.
    pub fn next_due(&self) -> Option<Instant> {
        self.items.front().map(|(due, _)| *due)
    }

    fn next_random(&mut self) -> u64 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        x
    }
}

#[cfg(test)]
mod tests {
    use super::DelayLine;
    use std::time::{Duration, Instant};

    #[test]
    fn items_leave_in_order_and_not_before_their_time() {
        let mut line = DelayLine::default();
        let t0 = Instant::now();
        for i in 0..1000 {
            line.push(t0, 100, 50, i);
        }
        assert_eq!(
            line.pop_due(t0 + Duration::from_millis(49)),
            None,
            "none is due before ms - jitter"
        );
        let mut out = Vec::new();
        while let Some(i) = line.pop_due(t0 + Duration::from_millis(151)) {
            out.push(i);
        }
        assert_eq!(
            out,
            (0..1000).collect::<Vec<_>>(),
            "all due by ms + jitter, in order"
        );
        assert!(line.is_empty());
    }

    #[test]
    fn without_jitter_the_latency_is_exact() {
        let mut line = DelayLine::default();
        let t0 = Instant::now();
        line.push(t0, 100, 0, "a");
        assert_eq!(line.next_due(), Some(t0 + Duration::from_millis(100)));
        assert_eq!(line.pop_due(t0 + Duration::from_millis(99)), None);
        assert_eq!(line.pop_due(t0 + Duration::from_millis(100)), Some("a"));
    }
}
