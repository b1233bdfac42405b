//! The client's reorder buffer: notifications shown once each, in `seq`
//! order; one that arrives ahead of a missing `seq` is held back until the
//! gap fills, or until the gap is given up (then reported, never silent).

use std::collections::BTreeMap;
use std::time::Instant;

use super::wire::{Notification, Seq};

/// What the buffer lets through, in order.
#[derive(Debug)]
pub(crate) enum Step {
    /// The next notification to show.
    Show(Notification),
    /// `count` notifications from `first` on never came.
    Missing { first: Seq, count: u32 },
}

/// The next `seq` to show, and those held back behind a gap (with when
/// each arrived).
#[derive(Debug)]
pub(crate) struct Reorder {
    next: Seq,
    held: BTreeMap<Seq, (Instant, Notification)>,
    max_held: usize,
}

/// How a notification was taken.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Taken {
    /// Shown (with any held-back ones it let through) or held back.
    New,
    /// Shown or held already.
    Duplicate,
}

impl Reorder {
    pub(crate) fn new(max_held: usize) -> Self {
        Reorder {
            next: 1,
            held: BTreeMap::new(),
            max_held: max_held.max(1),
        }
    }

    /// Takes notification `seq`, arrived at `now`; appends what it lets
    /// through to `out`. With no room to hold it back, the first gap is
    /// given up (reported in `out`).
    pub(crate) fn take(
        &mut self,
        now: Instant,
        seq: Seq,
        notification: Notification,
        out: &mut Vec<Step>,
    ) -> Taken {
        if seq < self.next || self.held.contains_key(&seq) {
            return Taken::Duplicate;
        }
        if seq > self.next && self.held.len() >= self.max_held {
            match self.held.keys().next() {
                Some(&first) if seq > first => {
                    while self.held.len() >= self.max_held {
                        self.skip_gap(out);
                    }
                }
                _ => self.lose_up_to(seq, out),
            }
        }
        if seq > self.next {
            self.held.insert(seq, (now, notification));
            return Taken::New;
        }
        out.push(Step::Show(notification));
        self.next = self.next.saturating_add(1);
        self.show_held(out);
        Taken::New
    }

    /// When the gap has been open the given time: the arrival of the
    /// oldest held-back notification plus `timeout`.
    pub(crate) fn gap_deadline(&self, timeout: std::time::Duration) -> Option<Instant> {
        let first = self.held.values().map(|(at, _)| *at).min()?;
        Some(first + timeout)
    }

    /// Gives up every gap: shows what is held back, reports what is
    /// missing, and expects `n1` next (a new registration).
    pub(crate) fn flush_and_restart(&mut self, out: &mut Vec<Step>) {
        while !self.held.is_empty() {
            self.skip_gap(out);
        }
        self.next = 1;
    }

    fn show_held(&mut self, out: &mut Vec<Step>) {
        while let Some((_, notification)) = self.held.remove(&self.next) {
            out.push(Step::Show(notification));
            self.next = self.next.saturating_add(1);
        }
    }

    /// Gives up the first gap: reports it, shows what follows it.
    fn skip_gap(&mut self, out: &mut Vec<Step>) {
        let Some(&first) = self.held.keys().next() else {
            return;
        };
        self.lose_up_to(first, out);
        self.show_held(out);
    }

    /// Reports `next..seq` missing, and expects `seq` next.
    fn lose_up_to(&mut self, seq: Seq, out: &mut Vec<Step>) {
        if let Some(count) = seq.checked_sub(self.next).filter(|&n| n > 0) {
            out.push(Step::Missing {
                first: self.next,
                count,
            });
            self.next = seq;
        }
    }
}
