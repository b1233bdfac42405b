//! [`Stopwatch`]: time that counts only while it runs, for the message
//! timeout (which stops while the connection's own backpressure pauses
//! reading).

use std::time::{Duration, Instant};

/// Time counted over the runs of a stopwatch: paused, it keeps what it
/// counted; resumed, it goes on from there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Stopwatch {
    /// Time counted in the runs before the current one.
    used: Duration,
    /// When the current run began; `None` while paused.
    since: Option<Instant>,
}

impl Stopwatch {
    /// A stopwatch started at `now`, running or paused.
    pub(super) fn new(now: Instant, running: bool) -> Self {
        Stopwatch {
            used: Duration::ZERO,
            since: running.then_some(now),
        }
    }

    /// Runs from `now` on (if `running`) or stops counting at `now`,
    /// keeping the time counted so far; nothing when it already does.
    pub(super) fn set_running(&mut self, now: Instant, running: bool) {
        match (self.since, running) {
            (None, true) => self.since = Some(now),
            (Some(since), false) => {
                self.used = self
                    .used
                    .saturating_add(now.saturating_duration_since(since));
                self.since = None;
            }
            _ => {}
        }
    }

    /// When the counted time reaches `limit`: `None` while paused (it
    /// cannot be reached then) or beyond what an `Instant` holds.
    pub(super) fn deadline(&self, limit: Duration) -> Option<Instant> {
        self.since?.checked_add(limit.saturating_sub(self.used))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_only_while_running() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut watch = Stopwatch::new(t0, true);
        assert_eq!(watch.deadline(s(5)), Some(t0 + s(5)));
        watch.set_running(t0 + s(2), false); // 2 s counted
        assert_eq!(watch.deadline(s(5)), None);
        watch.set_running(t0 + s(50), false); // still paused: no change
        watch.set_running(t0 + s(100), true);
        assert_eq!(watch.deadline(s(5)), Some(t0 + s(103)));
        watch.set_running(t0 + s(101), true); // already running: no change
        assert_eq!(watch.deadline(s(5)), Some(t0 + s(103)));
        // started paused: nothing counted until it runs
        let mut watch = Stopwatch::new(t0, false);
        assert_eq!(watch.deadline(s(5)), None);
        watch.set_running(t0 + s(7), true);
        assert_eq!(watch.deadline(s(5)), Some(t0 + s(12)));
        // past the limit already: the deadline is now
        watch.set_running(t0 + s(20), false);
        watch.set_running(t0 + s(30), true);
        assert_eq!(watch.deadline(s(5)), Some(t0 + s(30)));
    }
}
