//! Plumbing shared by several example binaries, each of which includes this
//! file with `#[path = "common/mod.rs"] mod common;` (a directory under
//! `examples/` without a `main.rs` is not an example of its own).

#![allow(dead_code)] // each example uses part of this

use std::io::{self, BufRead};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;

use sockwire::builtin::{Protocol, ReplyPolicy};
use sockwire::conn::ConnectionConfig;

/// A flag that Ctrl-C (and SIGTERM) sets; loops check it to stop cleanly.
pub fn stop_flag() -> io::Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst)).map_err(io::Error::other)?;
    Ok(stop)
}

/// Whether a read failed only because nothing came in time (or a signal
/// interrupted it): the caller just tries again.
pub fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

/// Any local address, on a port the OS picks, in the family of `peer`.
pub fn any_addr_for(peer: SocketAddr) -> SocketAddr {
    if peer.is_ipv4() {
        SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0))
    } else {
        SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0))
    }
}

/// Lines typed on stdin, from a thread; `None` at end of input.
pub fn stdin_lines() -> mpsc::Receiver<Option<String>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if tx.send(Some(line)).is_err() {
                return;
            }
        }
        let _ = tx.send(None);
    });
    rx
}

/// A clap value parser for a library type that parses from its
/// command-line names (`Protocol`, `ReplyPolicy`): `--help` lists the
/// names, and the value arrives as the library's type.
pub fn names<T>(names: &'static [&'static str]) -> impl clap::builder::TypedValueParser<Value = T>
where
    T: std::str::FromStr<Err = sockwire::builtin::UnknownName> + Clone + Send + Sync + 'static,
{
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(names).try_map(|name| name.parse::<T>())
}

/// The options both TCP servers take (each adds its own
/// `--max-connections`, whose default differs).
#[derive(clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0:5005")]
    pub bind: SocketAddr,
    /// Wire protocol (`app`: §6, answered from the search table whatever
    /// --reply says).
    #[arg(long, default_value = "text", value_parser = names::<Protocol>(Protocol::NAMES))]
    pub protocol: Protocol,
    /// What to send back for each message (text, line, fixed, variable).
    #[arg(long, default_value = "echo", value_parser = names::<ReplyPolicy>(ReplyPolicy::NAMES))]
    pub reply: ReplyPolicy,
    /// Close a connection after this many seconds with no byte read or
    /// written (0: never).
    #[arg(long, value_name = "SECS", default_value_t = 300.0)]
    pub idle_timeout: f64,
    /// Close a connection whose message, once started, is not whole after
    /// this many seconds (0: never).
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub message_timeout: f64,
    /// Log only connections, errors and closes, not every message.
    #[arg(long)]
    pub quiet: bool,
}

impl ServeArgs {
    /// The connection config these options ask for.
    pub fn config(&self) -> ConnectionConfig {
        ConnectionConfig::default()
            .idle_timeout(secs(self.idle_timeout))
            .message_timeout(secs(self.message_timeout))
            .clone()
    }
}

/// `SECS` as a timeout: 0 (or less) is none.
fn secs(s: f64) -> Option<std::time::Duration> {
    (s > 0.0).then(|| std::time::Duration::from_secs_f64(s))
}

/// A timeout for the log: `300s` or `none`.
pub fn show(timeout: Option<std::time::Duration>) -> String {
    timeout.map_or_else(|| "none".to_owned(), |d| format!("{}s", d.as_secs_f64()))
}
