//! [`FakeClock`]: time that moves only when a test says so.

use std::time::{Duration, Instant};

/// A clock for tests: it starts at an instant you give and moves only when
/// told, so timeouts and resends happen at exact, repeatable times. Hand
/// [`now`](Self::now) to a machine wherever it takes `now`.
///
/// ```
/// use std::time::{Duration, Instant};
/// use sockwire::testing::FakeClock;
///
/// let mut clock = FakeClock::new(Instant::now());
/// let t0 = clock.now();
/// clock.advance(Duration::from_secs(2));
/// assert_eq!(clock.now(), t0 + Duration::from_secs(2));
/// clock.advance_to(t0); // never backwards
/// assert_eq!(clock.elapsed(), Duration::from_secs(2));
/// assert_eq!(clock.at(Duration::from_secs(5)), t0 + Duration::from_secs(5));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FakeClock {
    start: Instant,
    now: Instant,
}

impl FakeClock {
    /// A clock standing at `start` (a test's `Instant::now()`: the kit
    /// reads no clock itself).
    #[must_use]
    pub fn new(start: Instant) -> Self {
        FakeClock { start, now: start }
    }

    /// The time now.
    #[must_use]
    pub fn now(&self) -> Instant {
        self.now
    }

    /// The instant `offset` after the start.
    #[must_use]
    pub fn at(&self, offset: Duration) -> Instant {
        self.start + offset
    }

    /// How far the clock has moved since the start.
    #[must_use]
    pub fn elapsed(&self) -> Duration {
        self.now.saturating_duration_since(self.start)
    }

    /// Moves the clock `by` forward; returns the new time.
    pub fn advance(&mut self, by: Duration) -> Instant {
        self.now += by;
        self.now
    }

    /// Moves the clock to `at`, if that is later; returns the new time.
    pub fn advance_to(&mut self, at: Instant) -> Instant {
        self.now = self.now.max(at);
        self.now
    }
}
