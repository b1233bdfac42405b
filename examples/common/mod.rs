//! Plumbing shared by several example binaries, each of which includes this
//! file with `#[path = "common/mod.rs"] mod common;` (a directory under
//! `examples/` without a `main.rs` is not an example of its own).
//!
//! # Output that never panics
//!
//! `println!` and `eprintln!` panic when their stream is gone: `server |
//! head -3` kills the server at its fourth log line, dropping every
//! client. These three macros write a line as `println!`/`eprintln!` do
//! (the same bytes, one lock per line, so lines from several threads do
//! not interleave) and never panic; what a failed write does is the
//! program's policy, chosen by the macro:
//!
//! - [`say!`]: the log of a program that serves (the servers, the chats,
//!   the load generator, whose verdict is its exit status). A line that
//!   cannot be written is dropped and the program goes on: the log going
//!   away is not a reason to drop clients. The first failure is noted once
//!   on stderr; later lines are still tried (a full disk may drain).
//! - [`out!`]: the output of a one-shot tool, which is what the user ran it
//!   for (the clients, `tour`, `dissect`). A broken pipe means the reader
//!   has all it wants (`dissect ... | head`): the program exits at once,
//!   quietly, with success, as `head`-friendly tools do (no destructors
//!   run; the OS closes the sockets). Any other write
//!   error loses output the user asked for: it is reported on stderr and
//!   the program exits with failure.
//! - [`note!`]: a diagnostic on stderr. If stderr is gone too there is
//!   nowhere left to report it, so a failure is ignored.
//!
//! Call them through the module, as `common::say!("{peer} connected")`.
//! Stdin is not touched: the chats end at the end of their input as before.

#![allow(dead_code, unused_macros)] // each example uses part of this

use std::fmt;
use std::io::{self, BufRead, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;

use sockwire::builtin::{Protocol, ReplyPolicy};
use sockwire::conn::ConnectionConfig;

/// Writes a line of a serving program's log to stdout; a failed write is
/// dropped (noted once on stderr) and the program goes on. See the module
/// docs for the policy.
macro_rules! say {
    () => {
        $crate::common::say_line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::common::say_line(format_args!($($arg)*))
    };
}

/// Writes a line of a one-shot tool's output to stdout; on a broken pipe
/// the program exits quietly with success, on any other failure it says so
/// on stderr and exits with failure. See the module docs for the policy.
macro_rules! out {
    () => {
        $crate::common::out_line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::common::out_line(format_args!($($arg)*))
    };
}

/// Writes a diagnostic line to stderr; a failed write is ignored. See the
/// module docs for the policy.
macro_rules! note {
    ($($arg:tt)*) => {
        $crate::common::note_line(format_args!($($arg)*))
    };
}

#[allow(unused_imports)] // each example uses part of these
pub(crate) use {note, out, say};

/// [`say!`]: one log line to stdout, never a panic, never a stop.
pub fn say_line(line: fmt::Arguments) {
    static NOTED: AtomicBool = AtomicBool::new(false);
    if let Err(e) = writeln!(io::stdout().lock(), "{line}") {
        if !NOTED.swap(true, Ordering::Relaxed) {
            note_line(format_args!(
                "cannot write the log to stdout ({e}); going on without it"
            ));
        }
    }
}

/// [`out!`]: one line of output to stdout; exits the program if it cannot
/// be written (see [`stdout_failed`]).
pub fn out_line(line: fmt::Arguments) {
    if let Err(e) = writeln!(io::stdout().lock(), "{line}") {
        stdout_failed(&e);
    }
}

/// What a one-shot tool does when its output cannot be written: on a
/// broken pipe (the reader has closed: `| head`) exit quietly with
/// success; otherwise say so on stderr and exit with failure.
pub fn stdout_failed(e: &io::Error) -> ! {
    if e.kind() != io::ErrorKind::BrokenPipe {
        note_line(format_args!("cannot write to stdout: {e}"));
        std::process::exit(1);
    }
    std::process::exit(0);
}

/// [`note!`]: one line to stderr, its failure ignored.
pub fn note_line(line: fmt::Arguments) {
    let _ = writeln!(io::stderr().lock(), "{line}");
}

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
    /// §6 `app-server.py` does): anything else the client sent is not
    /// answered. Without it the connection stays open.
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
    /// Close a connection whose peer accepts no byte of its pending replies
    /// for this many seconds: it stopped reading (0: never).
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub write_timeout: f64,
    /// Log only connections, errors and closes, not every message.
    #[arg(long)]
    pub quiet: bool,
}

impl ServeArgs {
    /// The reply policy these options ask for (`--reply`, with `--prefix`).
    pub fn reply(&self) -> ReplyPolicy {
        self.reply.clone().with_prefix(&self.prefix)
    }

    /// The banner's timeouts: `idle timeout 300s, message timeout 30s,
    /// write timeout 30s`.
    pub fn timeouts_banner(&self) -> String {
        let config = self.config();
        format!(
            "idle timeout {}, message timeout {}, write timeout {}",
            show(config.idle_timeout),
            show(config.message_timeout),
            show(config.write_timeout)
        )
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
            .with_idle_timeout(secs(self.idle_timeout))
            .with_message_timeout(secs(self.message_timeout))
            .with_write_timeout(secs(self.write_timeout))
            // one request: the connection decodes nothing after it, even
            // what came in the same read
            .with_max_messages(self.close_after_reply.then_some(1))
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
