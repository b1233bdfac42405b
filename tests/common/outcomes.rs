//! What became of each numbered line a chat user said, at one receiver:
//! the counts the lossy room tests check, in memory and over real sockets.

#![allow(dead_code)] // each test file uses part of this

/// What became of lines for a receiver, line by line.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Outcomes {
    /// Shown once, in order.
    pub delivered: usize,
    /// Not shown: the sender was told it failed (no reply, or an error).
    pub failed: usize,
    /// Shown, though the sender was told it failed (its reply was lost).
    pub failed_but_shown: usize,
    /// Not shown: the receiver was told `lost N messages`.
    pub reported_lost: usize,
    /// Not shown, and nobody told. Must stay 0.
    pub silently_lost: usize,
    /// Shown more than once. Must stay 0.
    pub duplicated: usize,
    /// Shown out of order. Must stay 0.
    pub out_of_order: usize,
}

impl std::ops::AddAssign for Outcomes {
    fn add_assign(&mut self, o: Self) {
        self.delivered += o.delivered;
        self.failed += o.failed;
        self.failed_but_shown += o.failed_but_shown;
        self.reported_lost += o.reported_lost;
        self.silently_lost += o.silently_lost;
        self.duplicated += o.duplicated;
        self.out_of_order += o.out_of_order;
    }
}

impl Outcomes {
    /// The lines counted (each once: a duplicate or a line out of order
    /// is not in it).
    pub fn total(&self) -> usize {
        self.delivered
            + self.failed
            + self.failed_but_shown
            + self.reported_lost
            + self.silently_lost
    }

    /// Counts each line shown at or before the one shown before it;
    /// `shown`: the lines' numbers, in the order shown.
    pub fn count_order(&mut self, shown: &[usize]) {
        self.out_of_order += shown.windows(2).filter(|w| w[1] <= w[0]).count();
    }

    /// Counts one line, shown `times`, whose sender was told it `failed`;
    /// `reported` says whether the receiver was told of its loss (asked
    /// only for a line neither shown nor failed).
    pub fn count(&mut self, times: usize, failed: bool, reported: impl FnOnce() -> bool) {
        match (times, failed) {
            (2.., _) => self.duplicated += 1,
            (1, true) => self.failed_but_shown += 1,
            (1, false) => self.delivered += 1,
            (0, true) => self.failed += 1,
            (0, false) if reported() => self.reported_lost += 1,
            (0, false) => self.silently_lost += 1,
        }
    }
}
