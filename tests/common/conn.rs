//! Driving a `sockwire::conn::Connection` by hand: the instant a test
//! binary's fake clock starts at, and the events a connection gave.

#![allow(dead_code)] // each test file uses part of this

use std::sync::OnceLock;
use std::time::Instant;

use sockwire::conn::{Connection, Event, Service};

/// The fake clock's base: one instant for the whole test binary (a
/// test moves on from it by adding durations; none reads the clock).
pub fn t0() -> Instant {
    static T0: OnceLock<Instant> = OnceLock::new();
    *T0.get_or_init(Instant::now)
}

/// Every event `conn` has, oldest first.
pub fn events<S: Service>(conn: &mut Connection<S>) -> Vec<Event<S>> {
    std::iter::from_fn(|| conn.poll_event()).collect()
}
