//! Load generator for the TCP and UDP servers (ours or anyone's that speaks
//! the crate's protocols).
//!
//! `--protocol udp` loads a UDP echo server (`udp_server --reply echo`, or
//! any echo) with batched sends and receives of its own: see
//! `load/udp.rs`. `--protocol room` fills §7 rooms with users and has
//! them talk: see `load/room.rs`. The rest of this page is about TCP.
//!
//! Opens `--connections` connections from one thread on a `mio` poll loop,
//! sends `--messages` messages on each, keeps up to `--pipeline` of them in
//! flight per connection, and checks every reply byte for byte against the
//! reply the server must give: the same bytes for text, line, fixed and
//! variable (an echo server), and for `app` (§6 `search` requests for
//! varying values) the reply `sockwire::app::SearchService` and the server
//! codec produce. Prints progress every second, then messages/s, MB/s and
//! latency percentiles, and every error (mismatch, close, timeout). Exits 1
//! on any.
//!
//! ```sh
//! cargo run --release --example tcp_selector_server -- --bind 127.0.0.1:5005 --protocol variable &
//! cargo run --release --example load -- --connections 100 --messages 1000 --protocol variable
//! ```

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use clap::Parser;
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use sockwire::Encoder;
use sockwire::builtin::Protocol;

#[path = "common/mod.rs"]
mod common;

#[path = "common/batch.rs"]
mod batch;

/// `--protocol udp`.
#[path = "load/udp.rs"]
mod udp;

/// `--protocol room`.
#[path = "load/room.rs"]
mod room;

/// Load generator: many connections, verified echoes, latency percentiles.
#[derive(Debug, Parser)]
#[command(name = "load")]
struct Args {
    /// Server address.
    #[arg(long, default_value = "127.0.0.1:5005")]
    server: SocketAddr,
    /// Concurrent connections.
    #[arg(long, default_value_t = 100)]
    connections: usize,
    /// Messages per connection.
    #[arg(long, default_value_t = 100)]
    messages: u32,
    /// Protocol the server speaks (it must echo, or answer §6 searches):
    /// text and line payloads, fixed and variable packets numbered 1, 2, ...
    /// per connection, or §6 `search` requests (values from the table and
    /// others) answered from the search table.
    /// `udp`: a UDP echo server, each datagram numbered and checked;
    /// `room`: a §7 room server (see --rooms).
    #[arg(long, default_value = "text", value_parser = target_parser())]
    protocol: Target,
    /// Messages in flight per connection (room: lines on their way per
    /// room).
    #[arg(long, default_value_t = 1)]
    pipeline: u32,
    /// Payload bytes per message (text characters for the fixed packet).
    #[arg(long, default_value_t = 16)]
    payload: usize,
    /// Connections opening at once (ramp-up, to spare the listen backlog).
    #[arg(long, default_value_t = 256)]
    ramp: usize,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 120)]
    timeout: u64,
    /// Print no progress lines.
    #[arg(long)]
    quiet: bool,
    /// UDP: one system call per datagram (no recvmmsg, sendmmsg, GSO, GRO).
    #[arg(long)]
    no_batch: bool,
    /// UDP: seconds to wait for an echo before counting the datagram lost.
    #[arg(long, value_name = "SECS", default_value_t = 2.0)]
    loss_wait: f64,
    /// UDP: count lost datagrams and print them, but do not fail the run
    /// for them (a wrong echo still fails it).
    #[arg(long)]
    allow_loss: bool,
    /// Room: the rooms the users (--connections) are spread over.
    #[arg(long, default_value_t = 1)]
    rooms: usize,
    /// Room: the server's process id, to report its CPU time per
    /// notification (read from /proc).
    #[arg(long, value_name = "PID")]
    server_pid: Option<u32>,
}

/// What `--protocol` names: a TCP protocol of the library, or UDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// A TCP server speaking this protocol.
    Tcp(Protocol),
    /// A UDP echo server.
    Udp,
    /// A §7 room server.
    Room,
}

/// The `--protocol` parser: the library's names, `udp` and `room`.
fn target_parser() -> impl clap::builder::TypedValueParser<Value = Target> {
    use clap::builder::TypedValueParser as _;
    let names = Protocol::NAMES.iter().copied().chain(["udp", "room"]);
    clap::builder::PossibleValuesParser::new(names).try_map(|name| match name.as_str() {
        "udp" => Ok(Target::Udp),
        "room" => Ok(Target::Room),
        tcp => tcp.parse::<Protocol>().map(Target::Tcp),
    })
}

/// A message sent and the reply it must get.
struct InFlight {
    sent_at: Instant,
    expected: Bytes,
    matched: usize,
}

struct Conn {
    stream: TcpStream,
    connected: bool,
    out: BytesMut,
    next: u32,
    in_flight: VecDeque<InFlight>,
    closed: bool,
}

/// What this generator counts.
#[derive(Default)]
struct Stats {
    connected: usize,
    completed: u64,
    bytes_out: u64,
    bytes_in: u64,
    errors: Vec<String>,
    latencies_us: Vec<u32>,
    /// Replies (or notifications) the run should see.
    total: u64,
    /// UDP: system calls that sent, and receive calls that brought data.
    send_calls: u64,
    recv_calls: u64,
    /// UDP: datagrams whose echo never came.
    lost: u64,
    /// Seconds the measured part took, when not the whole run.
    elapsed: Option<f64>,
}

/// Deterministic printable payload for message `k` of connection `conn`,
/// different for every message so that a reply crossed between messages or
/// connections is caught.
fn payload(conn: usize, k: u32, len: usize) -> String {
    let mut x = (conn as u64) << 32 | u64::from(k);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'!' + (x % 94) as u8)
        })
        .collect()
}

/// The request bytes for message `k` (1-based) and the reply an echo server
/// must send.
fn message(protocol: Protocol, conn: usize, k: u32, len: usize) -> io::Result<(Bytes, Bytes)> {
    let text = payload(conn, k, len);
    if protocol == Protocol::App {
        return app_message(conn, k, &text);
    }
    let wire = protocol.encode(k, &text).map_err(io::Error::other)?;
    Ok((wire.clone(), wire))
}

/// A §6 `search` request (every fourth value misses the table) and the
/// reply the library's search service and server codec make of it.
fn app_message(conn: usize, k: u32, text: &str) -> io::Result<(Bytes, Bytes)> {
    use sockwire::app::{AppRequest, ServerCodec};
    use sockwire::builtin::SearchService;
    let value = match (conn as u64 + u64::from(k)) % 4 {
        0 => "morpheus",
        1 => "ring",
        2 => "🐶",
        _ => text,
    };
    let request = Protocol::App.encode(k, value).map_err(io::Error::other)?;
    let mut expected = BytesMut::new();
    ServerCodec::new()
        .encode(
            SearchService::new().respond(&AppRequest::new("search", value)),
            &mut expected,
        )
        .map_err(io::Error::other)?;
    Ok((request, expected.freeze()))
}

impl Conn {
    fn queue_more(&mut self, args: &Args, id: usize, now: Instant) -> io::Result<()> {
        while self.next < args.messages && (self.in_flight.len() as u32) < args.pipeline.max(1) {
            self.next += 1;
            let Target::Tcp(protocol) = args.protocol else {
                return Err(io::Error::other("not a TCP protocol"));
            };
            let (request, expected) = message(protocol, id, self.next, args.payload)?;
            self.out.extend_from_slice(&request);
            self.in_flight.push_back(InFlight {
                sent_at: now,
                expected,
                matched: 0,
            });
        }
        Ok(())
    }

    /// Writes what is pending until the socket would block.
    fn flush(&mut self, stats: &mut Stats) -> io::Result<()> {
        while !self.out.is_empty() {
            match self.stream.write(&self.out) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    let _ = self.out.split_to(n);
                    stats.bytes_out += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Reads until the socket would block, checking each byte against the
    /// expected replies in order.
    fn read(&mut self, stats: &mut Stats, now: Instant) -> io::Result<()> {
        let mut buf = [0u8; 16 * 1024];
        loop {
            let n = match self.stream.read(&mut buf) {
                Ok(0) => {
                    self.closed = true;
                    return Ok(());
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            stats.bytes_in += n as u64;
            let mut got = &buf[..n];
            while !got.is_empty() {
                let Some(front) = self.in_flight.front_mut() else {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("{} unexpected bytes after the last reply", got.len()),
                    ));
                };
                // matched < expected.len(): a finished reply leaves the queue
                let want = &front.expected[front.matched..];
                let take = want.len().min(got.len());
                let (head, rest) = got.split_at(take);
                if head != &want[..take] {
                    let at = head.iter().zip(want).position(|(a, b)| a != b).unwrap_or(0);
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "reply mismatch at byte {} of message {}",
                            front.matched + at,
                            (self.next as usize + 1).saturating_sub(self.in_flight.len())
                        ),
                    ));
                }
                front.matched += take;
                got = rest;
                if front.matched == front.expected.len() {
                    let elapsed = now.duration_since(front.sent_at);
                    stats
                        .latencies_us
                        .push(u32::try_from(elapsed.as_micros()).unwrap_or(u32::MAX));
                    stats.completed += 1;
                    self.in_flight.pop_front();
                }
            }
        }
    }

    fn done(&self, messages: u32) -> bool {
        self.next == messages && self.in_flight.is_empty() && self.out.is_empty()
    }
}

fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted
        .get(rank.saturating_sub(1).min(sorted.len() - 1))
        .copied()
        .unwrap_or(0)
}

fn interest(conn: &Conn) -> Interest {
    if conn.out.is_empty() && conn.connected {
        Interest::READABLE
    } else {
        Interest::READABLE | Interest::WRITABLE
    }
}

/// A progress line on stderr (unless `--quiet`).
fn progress(args: &Args, start: Instant, stats: &Stats) {
    if !args.quiet {
        common::note!(
            "[{:>6.1}s] clients {}, messages {}/{}, errors {}",
            start.elapsed().as_secs_f64(),
            stats.connected,
            stats.completed,
            stats.total,
            stats.errors.len()
        );
    }
}

fn run(args: &Args) -> io::Result<Stats> {
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(1024);
    let mut conns: Vec<Option<Conn>> = Vec::with_capacity(args.connections);
    let mut stats = Stats::default();
    let mut connecting = 0usize;
    let mut finished = 0usize;
    let start = Instant::now();
    let deadline = start + Duration::from_secs(args.timeout);
    let mut next_progress = start + Duration::from_secs(1);
    let total = args.connections as u64 * u64::from(args.messages);

    while finished < args.connections {
        // Ramp up: open more connections while few are still connecting.
        while conns.len() < args.connections && connecting < args.ramp.max(1) {
            let id = conns.len();
            let mut stream = TcpStream::connect(args.server)?;
            poll.registry().register(
                &mut stream,
                Token(id),
                Interest::READABLE | Interest::WRITABLE,
            )?;
            conns.push(Some(Conn {
                stream,
                connected: false,
                out: BytesMut::new(),
                next: 0,
                in_flight: VecDeque::new(),
                closed: false,
            }));
            connecting += 1;
        }

        let now = Instant::now();
        if now >= deadline {
            stats.errors.push(format!(
                "timed out after {} s with {finished} of {} connections finished",
                args.timeout, args.connections
            ));
            break;
        }
        if now >= next_progress {
            if !args.quiet {
                common::note!(
                    "[{:>6.1}s] connected {}/{}, messages {}/{}, errors {}",
                    now.duration_since(start).as_secs_f64(),
                    stats.connected,
                    args.connections,
                    stats.completed,
                    total,
                    stats.errors.len()
                );
            }
            next_progress = now + Duration::from_secs(1);
        }
        poll.poll(&mut events, Some(Duration::from_millis(100)))?;
        let now = Instant::now();
        for event in &events {
            let id = event.token().0;
            let Some(slot) = conns.get_mut(id) else {
                continue;
            };
            let Some(conn) = slot.as_mut() else {
                continue;
            };
            let result = (|| -> io::Result<bool> {
                if !conn.connected {
                    if let Some(e) = conn.stream.take_error()? {
                        return Err(e);
                    }
                    match conn.stream.peer_addr() {
                        Ok(_) => {
                            conn.connected = true;
                            connecting -= 1;
                            stats.connected += 1;
                            conn.queue_more(args, id, now)?;
                        }
                        Err(e) if e.kind() == io::ErrorKind::NotConnected => return Ok(false),
                        Err(e) => return Err(e),
                    }
                }
                if event.is_readable() || event.is_read_closed() {
                    conn.read(&mut stats, now)?;
                    conn.queue_more(args, id, now)?;
                }
                conn.flush(&mut stats)?;
                if conn.done(args.messages) {
                    return Ok(true);
                }
                if conn.closed {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!(
                            "server closed the connection with {} replies outstanding",
                            conn.in_flight.len() as u32 + args.messages - conn.next
                        ),
                    ));
                }
                let wanted = interest(conn);
                poll.registry()
                    .reregister(&mut conn.stream, Token(id), wanted)?;
                Ok(false)
            })();
            match result {
                Ok(false) => {}
                Ok(true) => {
                    finished += 1;
                    *slot = None;
                }
                Err(e) => {
                    if !conn.connected {
                        connecting -= 1;
                    }
                    stats.errors.push(format!("connection {id}: {e}"));
                    finished += 1;
                    *slot = None;
                }
            }
        }
    }
    Ok(stats)
}

fn main() -> ExitCode {
    let args = Args::parse();
    // Each connection is a file descriptor: lift the soft limit to the hard.
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        common::note!("load: could not raise the open-file limit: {e}");
    }
    common::say!(
        "load: {} connections x {} messages, protocol {:?}, payload {} B, pipeline {}, server {}",
        args.connections,
        args.messages,
        args.protocol,
        args.payload,
        args.pipeline,
        args.server
    );
    let start = Instant::now();
    let result = match args.protocol {
        Target::Tcp(_) => run(&args),
        Target::Udp => udp::run(&args),
        Target::Room => room::run(&args),
    };
    let mut stats = match result {
        Ok(stats) => stats,
        Err(e) => {
            common::note!("load: {e}");
            return ExitCode::FAILURE;
        }
    };
    let secs = stats
        .elapsed
        .unwrap_or_else(|| start.elapsed().as_secs_f64())
        .max(1e-9);
    let total = match args.protocol {
        Target::Tcp(_) => args.connections as u64 * u64::from(args.messages),
        _ => stats.total,
    };
    stats.latencies_us.sort_unstable();
    let lat = &stats.latencies_us;
    common::say!(
        "completed {}/{} messages on {} connections in {:.3} s",
        stats.completed,
        total,
        stats.connected,
        secs
    );
    common::say!(
        "throughput: {:.0} msg/s, {:.2} MB/s out, {:.2} MB/s in",
        stats.completed as f64 / secs,
        stats.bytes_out as f64 / secs / 1e6,
        stats.bytes_in as f64 / secs / 1e6
    );
    common::say!(
        "latency: p50 {} us, p99 {} us, p99.9 {} us, max {} us",
        percentile(lat, 50.0),
        percentile(lat, 99.0),
        percentile(lat, 99.9),
        lat.last().copied().unwrap_or(0)
    );
    if stats.send_calls > 0 {
        common::say!(
            "system calls: {} sends ({:.1} datagrams each), {} receives ({:.1} each)",
            stats.send_calls,
            stats.total as f64 / stats.send_calls as f64,
            stats.recv_calls,
            stats.completed as f64 / stats.recv_calls.max(1) as f64
        );
    }
    // the first few: a run with a systematic error would print thousands
    for e in stats.errors.iter().take(20) {
        common::say!("error: {e}");
    }
    if matches!(args.protocol, Target::Udp) {
        common::say!("lost: {}", stats.lost);
    }
    common::say!("errors: {}", stats.errors.len());
    let lost_allowed = if args.allow_loss { stats.lost } else { 0 };
    if stats.errors.is_empty() && stats.completed + lost_allowed == total {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
