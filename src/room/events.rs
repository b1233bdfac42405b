//! The bounded event queue of every room machine (§7's and §8's servers
//! and clients): past its limit the oldest unpolled event is dropped, so a
//! machine whose events nobody polls holds a bounded amount.

use std::collections::VecDeque;

/// Events kept until polled, at most `max` (`0` keeps none).
#[derive(Debug)]
pub(crate) struct EventQueue<T> {
    queue: VecDeque<T>,
    max: usize,
}

impl<T> EventQueue<T> {
    pub(crate) fn new(max: usize) -> Self {
        EventQueue {
            queue: VecDeque::new(),
            max,
        }
    }

    /// Appends `event`, dropping the oldest past the limit.
    pub(crate) fn push(&mut self, event: T) {
        if self.max == 0 {
            return;
        }
        while self.queue.len() >= self.max {
            self.queue.pop_front();
        }
        self.queue.push_back(event);
    }

    pub(crate) fn pop(&mut self) -> Option<T> {
        self.queue.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::EventQueue;

    #[test]
    fn keeps_the_newest_max_events() {
        let mut events = EventQueue::new(2);
        for i in 0..5 {
            events.push(i);
        }
        assert_eq!(
            std::iter::from_fn(|| events.pop()).collect::<Vec<_>>(),
            [3, 4]
        );
        let mut none = EventQueue::new(0);
        none.push(1);
        assert_eq!(none.pop(), None);
    }
}
