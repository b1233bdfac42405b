//! The bounded event queue of the §8 machines.

use std::collections::VecDeque;

/// Events kept until polled, at most `max`: past it the oldest is
/// dropped, and with `max` 0 none is kept.
#[derive(Debug)]
pub(super) struct Events<T> {
    queue: VecDeque<T>,
    max: usize,
}

impl<T> Events<T> {
    pub(super) fn new(max: usize) -> Self {
        Events {
            queue: VecDeque::new(),
            max,
        }
    }

    pub(super) fn push(&mut self, event: T) {
        if self.max == 0 {
            return;
        }
        while self.queue.len() >= self.max {
            self.queue.pop_front();
        }
        self.queue.push_back(event);
    }

    pub(super) fn pop(&mut self) -> Option<T> {
        self.queue.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::Events;

    #[test]
    fn keeps_the_newest_max_events() {
        let mut events = Events::new(2);
        for i in 0..5 {
            events.push(i);
        }
        assert_eq!(
            std::iter::from_fn(|| events.pop()).collect::<Vec<_>>(),
            [3, 4]
        );
        let mut none = Events::new(0);
        none.push(1);
        assert_eq!(none.pop(), None);
    }
}
