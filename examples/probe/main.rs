//! `probe`: a conformance suite for the lab protocols. It runs numbered
//! cases against anyone's server (or, with `--serve`, plays an awkward
//! server to check a client) and gives each a verdict: pass, fail,
//! non-strict or info.
//!
//! ```sh
//! cargo run --example probe -- --protocol variable 127.0.0.1:5005
//! cargo run --example probe -- --protocol line --reply prefix --case 3.3 127.0.0.1:5005
//! cargo run --example probe -- --protocol text --json --junit probe.xml 127.0.0.1:5005
//! cargo run --example probe -- --serve --protocol fixed --bind 127.0.0.1:5005
//! ```
//!
//! Every expected reply is computed by sockwire: the built-in services
//! and reply policies ([`model`]) run over the very bytes a case sent.
//! Modules: [`case`] is the framework (cases, verdicts, the runner that
//! bounds each case in time), [`net`] one TCP connection of a case,
//! [`stream`] and [`app`] the TCP cases, [`udp`] §1, [`world`] the
//! harness of the §7 and §8 cases ([`room`], [`lab`]), which checks the
//! server against a sockwire server fed the same datagrams, [`serve`],
//! [`roomserve`] and [`labserve`] client mode, [`report`] the output.

mod app;
mod case;
#[path = "../common/mod.rs"]
mod common;
mod lab;
mod labserve;
mod model;
mod net;
mod report;
mod room;
mod roomserve;
mod serve;
mod stream;
mod udp;
mod world;

use std::fmt;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use clap::Parser;
use sockwire::builtin::{Protocol, ReplyPolicy};
use sockwire::dump;

use case::{Ctx, Outcome, Record, Verdict};
use common::names;

/// What the probe checks: a stream protocol (§2 to §6), §1 datagrams,
/// the §7 room chat, or the lab's §8 room directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Stream(Protocol),
    Udp,
    Room,
    Lab,
}

impl Target {
    /// The names `--protocol` takes.
    pub const NAMES: &'static [&'static str] = &[
        "text", "line", "fixed", "variable", "app", "udp", "room", "lab",
    ];

    /// The fields of every message in `bytes`, for dumps: a stream's
    /// messages one after the other, as far as they can be told apart.
    pub fn fields(self, bytes: &[u8]) -> Vec<dump::Field> {
        let Target::Stream(p) = self else {
            return match self {
                Target::Room => dump::room_fields(bytes),
                _ => dump::text_fields(bytes),
            };
        };
        let mut all = Vec::new();
        let mut at = 0;
        while at < bytes.len() {
            let fields = p.dump_fields(&bytes[at..]);
            let end = fields.iter().map(|f| f.range.end).max().unwrap_or(0);
            let end = end.min(bytes.len() - at);
            if end == 0 {
                break;
            }
            all.extend(fields.into_iter().map(|mut f| {
                f.range = f.range.start + at..(f.range.end + at).min(bytes.len());
                f
            }));
            at += end;
        }
        all
    }

    /// Whether a reply policy applies (and can be inferred).
    fn has_reply_policy(self) -> bool {
        matches!(
            self,
            Target::Udp
                | Target::Stream(
                    Protocol::Text | Protocol::Line | Protocol::Fixed | Protocol::Variable
                )
        )
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Stream(p) => write!(f, "{p}"),
            Target::Udp => f.write_str("udp"),
            Target::Room => f.write_str("room"),
            Target::Lab => f.write_str("lab"),
        }
    }
}

impl FromStr for Target {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "udp" => Ok(Target::Udp),
            "room" => Ok(Target::Room),
            "lab" => Ok(Target::Lab),
            _ => s.parse().map(Target::Stream).map_err(|e| e.to_string()),
        }
    }
}

/// Checks a server (or, with --serve, a client) against the wire contract
/// of the lab protocols, case by case, with every expected reply computed
/// by sockwire.
///
/// Exit status: 0 when no case failed, 1 when one did, 2 when the probe
/// could not run (nothing listening, bad arguments).
#[derive(Parser)]
#[command(name = "probe")]
struct Args {
    /// The server to check, HOST:PORT (port 5005 when left out). Not with
    /// --serve.
    #[arg(value_name = "ADDR", required_unless_present = "serve")]
    addr: Option<String>,
    /// The protocol: text (§2), line (§3), fixed (§4), variable (§5), app
    /// (§6) over TCP; udp (§1), room (§7 room chat), lab (§8, the lab's
    /// room directory) over UDP. For room and lab, a server with no other
    /// users: the lists are checked.
    #[arg(long, value_parser = target_names())]
    protocol: Target,
    /// The server's reply policy (text, line, fixed, variable, udp). Left
    /// out, it is inferred from the first exchange and said in case N.0.
    #[arg(long, value_parser = names::<ReplyPolicy>(ReplyPolicy::NAMES))]
    reply: Option<ReplyPolicy>,
    /// The text --reply prefix puts before each message.
    #[arg(long, value_name = "TEXT", default_value = ReplyPolicy::DEFAULT_PREFIX)]
    prefix: String,
    /// Print one JSON object per case (id, title, verdict, detail; sent,
    /// expected and got in hex when it failed), then a summary object,
    /// instead of the table.
    #[arg(long)]
    json: bool,
    /// Also write a JUnit XML report to FILE, for CI systems.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Run only this case (`5.3`), or one section (`5`).
    #[arg(long = "case", value_name = "ID")]
    case: Option<String>,
    /// Seconds any one wait of a case may take (a reply, a close); a whole
    /// case is stopped after 8 times this plus 5 s, and the run goes on.
    #[arg(long, value_name = "SECS", default_value_t = 2.0, value_parser = positive)]
    timeout: f64,
    /// Client mode: play a server that answers in the most awkward legal
    /// way and check every message a client sends (text, line, fixed,
    /// variable, app: replies a byte at a time, in halves, late and
    /// coalesced; udp: late; room: requests dropped once, replies and
    /// notifications sent twice, a pm; lab: answers late, empty and
    /// malformed datagrams, the probe's user in the client's room, a
    /// stranger's chat line).
    #[arg(long)]
    serve: bool,
    /// With --serve: the address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:5005")]
    bind: SocketAddr,
    /// With --serve: stop after this many clients (0: serve until killed).
    #[arg(long, value_name = "N", default_value_t = 0)]
    clients: usize,
}

/// `--protocol`'s parser: `--help` lists the names.
fn target_names() -> impl clap::builder::TypedValueParser<Value = Target> {
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(Target::NAMES).try_map(|s| s.parse::<Target>())
}

fn positive(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(v),
        _ => Err(format!("{s:?} is not a positive number of seconds")),
    }
}

/// The probe could not run: a message in words, exit status 2.
struct CannotRun(String);

fn main() -> ExitCode {
    let args = Args::parse();
    let result = if args.serve {
        serve::run(&args.serve_config())
    } else {
        probe_server(&args)
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(CannotRun(why)) => {
            common::note!("probe: {why}");
            ExitCode::from(2)
        }
    }
}

impl Args {
    fn serve_config(&self) -> serve::Config {
        serve::Config {
            target: self.protocol,
            bind: self.bind,
            timeout: Duration::from_secs_f64(self.timeout),
            clients: self.clients,
            json: self.json,
            junit: self.junit.clone(),
        }
    }
}

/// Resolves ADDR, with port 5005 when it has none.
fn resolve(addr: &str) -> Result<SocketAddr, CannotRun> {
    let with_port = if addr.parse::<SocketAddr>().is_ok()
        || addr
            .rsplit_once(':')
            .is_some_and(|(h, p)| !h.ends_with(':') && p.parse::<u16>().is_ok())
    {
        addr.to_owned()
    } else {
        format!("{addr}:5005")
    };
    with_port
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| CannotRun(format!("cannot resolve the address {addr:?}")))
}

/// Server mode: every case for the protocol; `Ok(true)` when none failed.
fn probe_server(args: &Args) -> Result<bool, CannotRun> {
    let addr = resolve(args.addr.as_deref().unwrap_or_default())?;
    let timeout = Duration::from_secs_f64(args.timeout);
    let target = args.protocol;
    preflight(target, addr, timeout)?;
    let started = Instant::now();
    let mut notes = Vec::new();
    let mut records = Vec::new();
    let reply = match &args.reply {
        Some(r) => r.clone().with_prefix(&args.prefix),
        None if target.has_reply_policy() => {
            let (reply, record) = infer(target, addr, timeout);
            notes.push(format!("reply policy {} (inferred)", show_policy(&reply)));
            records.push(record);
            reply
        }
        None => ReplyPolicy::Echo,
    };
    let ctx = Arc::new(Ctx {
        addr,
        target,
        reply: reply.clone(),
        timeout,
        closes_after_reply: AtomicBool::new(false),
    });
    let heading = format!(
        "probe: {target} server at {addr}{}, timeout {:.1} s",
        if target.has_reply_policy() {
            format!(", reply {}", show_policy(&reply))
        } else {
            String::new()
        },
        timeout.as_secs_f64()
    );
    let cases: Vec<_> = all_cases(target)
        .into_iter()
        .filter(|c| case::selected(args.case.as_deref(), &c.id))
        .collect();
    if cases.is_empty() {
        return Err(CannotRun(format!(
            "no case {:?} for protocol {target}",
            args.case.as_deref().unwrap_or_default()
        )));
    }
    let show = |r: &Record| {
        if args.json {
            common::say!("{}", report::json_case(r));
        } else {
            common::say!("{}", report::table_row(target, r));
        }
    };
    if !args.json {
        common::say!("{heading}");
        common::say!("{}", report::table_header());
    }
    records.iter().for_each(show);
    records.extend(case::run_cases(ctx, cases, show));
    finish(args, target, &records, started.elapsed(), &notes)
}

/// Prints the summary, writes the JUnit file; whether no case failed.
fn finish(
    args: &Args,
    target: Target,
    records: &[Record],
    elapsed: Duration,
    notes: &[String],
) -> Result<bool, CannotRun> {
    let summary = report::Summary::of(records);
    if args.json {
        common::say!("{}", report::json_summary(target, &summary, elapsed, notes));
    } else {
        common::say!("{}", summary.line(target, elapsed));
    }
    if let Some(path) = &args.junit {
        std::fs::write(path, report::junit(target, records, elapsed))
            .map_err(|e| CannotRun(format!("cannot write {}: {e}", path.display())))?;
    }
    Ok(summary.fail == 0)
}

/// How a policy is named in the output.
fn show_policy(reply: &ReplyPolicy) -> String {
    match reply {
        ReplyPolicy::Prefix(p) => format!("prefix {p:?}"),
        r => r.to_string(),
    }
}

/// Every case of a protocol, in order.
fn all_cases(target: Target) -> Vec<case::Case> {
    match target {
        Target::Stream(p) => stream::cases(p).cases,
        Target::Udp => udp::cases().cases,
        Target::Room => room::cases().cases,
        Target::Lab => lab::cases().cases,
    }
}

/// Fails with exit status 2 when nothing answers at `addr`.
fn preflight(target: Target, addr: SocketAddr, timeout: Duration) -> Result<(), CannotRun> {
    match target {
        Target::Stream(_) => net::connect(addr, timeout)
            .map(drop)
            .map_err(|e| CannotRun(format!("nothing is listening: {e}"))),
        _ => udp::preflight(target, addr, timeout).map_err(CannotRun),
    }
}

/// Infers the reply policy from a first exchange: one message, the
/// client's side shut down, everything read until the server closes.
fn infer(target: Target, addr: SocketAddr, timeout: Duration) -> (ReplyPolicy, Record) {
    let started = Instant::now();
    let text = "Probe: ação";
    let (sent, got) = match target {
        Target::Stream(p) => {
            let wire = stream::message(p, 1, text);
            (wire.clone(), first_exchange(addr, timeout, &wire))
        }
        _ => {
            let got = udp::first_exchange(addr, timeout, text.as_bytes());
            (text.as_bytes().to_vec(), got)
        }
    };
    let fits = |r: &ReplyPolicy| match target {
        Target::Stream(p) => {
            let e = model::expect_for(p, r, &sent);
            if e.is_empty() {
                got.is_empty()
            } else {
                e.matcher().feed(&got) == model::Progress::Done
            }
        }
        _ => r.datagram(text).map(|b| b.to_vec()).unwrap_or_default() == got,
    };
    let protocol = match target {
        Target::Stream(p) => p,
        _ => Protocol::Text,
    };
    let found = model::candidates(protocol, text, &got)
        .into_iter()
        .find(|r| fits(r));
    let section = match target {
        Target::Stream(p) => stream::section_number(p),
        _ => 1,
    };
    let (reply, outcome) = match found {
        Some(r) => {
            let detail = format!("the server's reply policy is {} (inferred from the first exchange)", show_policy(&r));
            (r, Outcome::new(Verdict::Info, detail))
        }
        None => (
            ReplyPolicy::Echo,
            Outcome::fail("the first reply fits no reply policy (none, echo, upper, prefix); checking against echo")
                .with_bytes(&sent, &[], &got),
        ),
    };
    let record = Record {
        id: format!("{section}.0"),
        title: "reply policy".into(),
        outcome,
        time: started.elapsed(),
    };
    (reply, record)
}

/// Sends `wire`, shuts down, reads everything until the server closes.
fn first_exchange(addr: SocketAddr, timeout: Duration, wire: &[u8]) -> Vec<u8> {
    let mut got = Vec::new();
    if let Ok(mut stream) = net::connect(addr, timeout) {
        let _ = stream.write_all(wire);
        let _ = stream.shutdown(Shutdown::Write);
        let _ = stream.set_read_timeout(Some(timeout));
        let _ = stream.read_to_end(&mut got);
    }
    got
}
