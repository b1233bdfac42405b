//! Turning a machine's deadline into a socket or poll timeout.

use std::time::{Duration, Instant};

/// The shortest timeout [`timeout_from`] gives: a socket timeout of zero is
/// an error for `std` (`set_read_timeout`), and a poll timeout shorter than
/// this rounds to it anyway.
const MIN_TIMEOUT: Duration = Duration::from_millis(1);

/// How long to wait at `now` for a machine's next `deadline` (what its
/// `poll_timeout` gives): `None` when there is no deadline (wait as long
/// as it takes), else the time left, at least 1 ms, so it can go straight
/// into [`set_read_timeout`](std::net::TcpStream::set_read_timeout) or a
/// poll call. A deadline already past gives 1 ms: the loop wakes at once
/// and calls `handle_timeout`.
///
/// ```
/// use std::time::{Duration, Instant};
///
/// let now = Instant::now();
/// let deadline = now + Duration::from_secs(2);
/// assert_eq!(sockwire::timeout_from(now, Some(deadline)), Some(Duration::from_secs(2)));
/// assert_eq!(sockwire::timeout_from(deadline, Some(now)), Some(Duration::from_millis(1)));
/// assert_eq!(sockwire::timeout_from(now, None), None);
/// ```
#[must_use]
pub fn timeout_from(now: Instant, deadline: Option<Instant>) -> Option<Duration> {
    deadline.map(|at| at.saturating_duration_since(now).max(MIN_TIMEOUT))
}
