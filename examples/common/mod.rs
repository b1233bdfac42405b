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
    /// What to send back for each message (text, line, fixed, variable;
    /// `prefix`: --prefix then the message).
    #[arg(long, default_value = "echo", value_parser = names::<ReplyPolicy>(ReplyPolicy::NAMES))]
    reply: ReplyPolicy,
    /// The text `--reply prefix` puts before each message.
    #[arg(long, value_name = "TEXT", default_value = ReplyPolicy::DEFAULT_PREFIX)]
    prefix: String,
    /// Answer one request, then close the connection (as the tutorial's
    /// §6 `app-server.py` does); without it the connection stays open.
    #[arg(long)]
    pub close_after_reply: bool,
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
    /// The reply policy these options ask for (`--reply`, with `--prefix`).
    pub fn reply(&self) -> ReplyPolicy {
        self.reply.clone().with_prefix(&self.prefix)
    }

    /// How the banner names the reply: the policy, or that §6 answers by
    /// its own rules.
    pub fn reply_banner(&self) -> String {
        match (self.protocol.name(), self.reply()) {
            ("app", _) => "replies from the §6 search table".to_owned(),
            (_, ReplyPolicy::Prefix(prefix)) => format!("reply prefix {prefix:?}"),
            (_, reply) => format!("reply {reply}"),
        }
    }

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
