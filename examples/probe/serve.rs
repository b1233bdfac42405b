//! Client mode (`--serve`): the probe plays a server that answers in the
//! most awkward legal way and checks every message a client sends.
//!
//! Over TCP, each message is decoded by the crate's own server decoder and
//! answered by the built-in service (echo; §6 the search table), the
//! replies of one read written in turn: one byte per write, in two halves
//! 50 ms apart, or late (150 ms) and coalesced. Each message is a case;
//! so is each connection's end. Over UDP (§1) each datagram is checked
//! and echoed, every other one late. The §7 room server is in
//! [`super::roomserve`], the §8 one in [`super::labserve`].

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Sender};
use std::thread;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use sockwire::app::{AppRequest, ByteOrder, ClientCodec};
use sockwire::builtin::{BuiltinService, Message, Protocol, ReplyPolicy};
use sockwire::conn::Service;
use sockwire::{Encoder, FixedPacket};

use super::case::{Outcome, Record, Verdict};
use super::report;
use super::{CannotRun, Target};

/// What `--serve` was asked.
pub struct Config {
    pub target: Target,
    pub bind: SocketAddr,
    pub timeout: Duration,
    pub clients: usize,
    pub json: bool,
    pub junit: Option<PathBuf>,
}

/// Runs client mode: serves until `clients` clients are done (or for
/// ever); `Ok(true)` when no message failed.
pub fn run(config: &Config) -> Result<bool, CannotRun> {
    let (tx, rx) = mpsc::channel::<Record>();
    let started = Instant::now();
    match config.target {
        Target::Stream(p) => serve_stream(config, p, tx)?,
        Target::Room => super::roomserve::serve(config, tx)?,
        Target::Lab => super::labserve::serve(config, tx)?,
        Target::Udp => serve_udp(config, tx)?,
    }
    let mut records = Vec::new();
    if !config.json {
        super::common::say!("{}", report::table_header());
    }
    for record in rx {
        if config.json {
            super::common::say!("{}", report::json_case(&record));
        } else {
            super::common::say!("{}", report::table_row(config.target, &record));
        }
        records.push(record);
    }
    let elapsed = started.elapsed();
    let summary = report::Summary::of(&records);
    if config.json {
        super::common::say!(
            "{}",
            report::json_summary(config.target, &summary, elapsed, &[])
        );
    } else {
        super::common::say!("{}", summary.line(config.target, elapsed));
    }
    if let Some(path) = &config.junit {
        std::fs::write(path, report::junit(config.target, &records, elapsed))
            .map_err(|e| CannotRun(format!("cannot write {}: {e}", path.display())))?;
    }
    Ok(summary.fail == 0)
}

/// Numbers the records of a run: `S.N` in the order they are made.
pub struct Numbers {
    section: u32,
    next: AtomicUsize,
}

impl Numbers {
    pub fn new(section: u32) -> Arc<Self> {
        Arc::new(Numbers {
            section,
            next: AtomicUsize::new(1),
        })
    }

    /// A record with the next number.
    pub fn record(&self, title: String, outcome: Outcome, started: Instant) -> Record {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        Record {
            id: format!("{}.{n}", self.section),
            title,
            outcome,
            time: started.elapsed(),
        }
    }
}

/// Listens, and serves each client on a thread of its own; the records
/// go to `tx`, which is dropped once `clients` connections are done.
fn serve_stream(config: &Config, p: Protocol, tx: Sender<Record>) -> Result<(), CannotRun> {
    let listener = TcpListener::bind(config.bind)
        .map_err(|e| CannotRun(format!("cannot listen on {}: {e}", config.bind)))?;
    let local = listener
        .local_addr()
        .map_err(|e| CannotRun(e.to_string()))?;
    super::common::note!("listening on {local} as a {p} server (awkward replies)");
    let numbers = Numbers::new(super::stream::section_number(p));
    let (clients, timeout) = (config.clients, config.timeout);
    thread::spawn(move || {
        let mut handles = Vec::new();
        for (i, stream) in listener.incoming().enumerate() {
            let Ok(stream) = stream else { continue };
            let (tx, numbers) = (tx.clone(), Arc::clone(&numbers));
            handles.push(thread::spawn(move || {
                Connection::new(p, i + 1, stream, timeout, tx, numbers).serve();
            }));
            if clients > 0 && i + 1 >= clients {
                break;
            }
        }
        for h in handles {
            let _ = h.join();
        }
    });
    Ok(())
}

/// How one read's replies are written.
#[derive(Debug, Clone, Copy)]
enum Awkward {
    ByteByByte,
    Halves,
    Late,
}

impl Awkward {
    fn nth(n: usize) -> Self {
        [Awkward::ByteByByte, Awkward::Halves, Awkward::Late][n % 3]
    }

    fn words(self) -> &'static str {
        match self {
            Awkward::ByteByByte => "the reply written one byte at a time",
            Awkward::Halves => "the reply written in two halves, 50 ms apart",
            Awkward::Late => "the reply written late (150 ms), coalesced with any other",
        }
    }

    /// Writes `out` this way.
    fn write(self, stream: &mut TcpStream, out: &[u8]) -> std::io::Result<()> {
        match self {
            Awkward::ByteByByte => {
                for b in out {
                    stream.write_all(std::slice::from_ref(b))?;
                    thread::sleep(Duration::from_millis(1));
                }
                Ok(())
            }
            Awkward::Halves => {
                let (a, b) = out.split_at(out.len() / 2);
                stream.write_all(a)?;
                thread::sleep(Duration::from_millis(50));
                stream.write_all(b)
            }
            Awkward::Late => {
                thread::sleep(Duration::from_millis(150));
                stream.write_all(out)
            }
        }
    }
}

/// One client's connection.
struct Connection {
    p: Protocol,
    n: usize,
    stream: TcpStream,
    timeout: Duration,
    tx: Sender<Record>,
    numbers: Arc<Numbers>,
    service: BuiltinService,
    input: BytesMut,
    /// Messages so far (the next order a packet should carry is this + 1).
    messages: u32,
    reads: usize,
}

impl Connection {
    fn new(
        p: Protocol,
        n: usize,
        stream: TcpStream,
        timeout: Duration,
        tx: Sender<Record>,
        numbers: Arc<Numbers>,
    ) -> Self {
        let _ = stream.set_nodelay(true);
        Connection {
            p,
            n,
            stream,
            timeout,
            tx,
            numbers,
            service: p.service(ReplyPolicy::Echo),
            input: BytesMut::new(),
            messages: 0,
            reads: 0,
        }
    }

    /// Reads, checks and answers until the client closes, breaks the
    /// protocol, or is idle for 30 timeouts.
    fn serve(mut self) {
        let started = Instant::now();
        let _ = self.stream.set_read_timeout(Some(self.timeout * 30));
        let mut buf = vec![0; 64 * 1024];
        loop {
            let (n, eof) = match self.stream.read(&mut buf) {
                Ok(0) => (0, true),
                Ok(n) => (n, false),
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    let o = Outcome::fail(format!("the connection failed or went idle: {e}"));
                    self.emit(format!("connection {}: its end", self.n), o, started);
                    return;
                }
            };
            self.input.extend_from_slice(&buf[..n]);
            let Some(out) = self.decode(eof) else { return };
            if !out.is_empty() {
                let how = Awkward::nth(self.reads);
                self.reads += 1;
                if let Err(e) = how.write(&mut self.stream, &out) {
                    let o = Outcome::fail(format!("the client did not take its reply: {e}"));
                    self.emit(format!("connection {}: its end", self.n), o, started);
                    return;
                }
            }
            if eof {
                let o = Outcome::pass(format!(
                    "closed after {} messages, at a message boundary",
                    self.messages
                ));
                self.emit(format!("connection {}: its end", self.n), o, started);
                return;
            }
        }
    }

    /// Decodes every whole message, checks each (one record each), and
    /// returns the replies; `None` when the client broke the protocol.
    fn decode(&mut self, eof: bool) -> Option<Vec<u8>> {
        let mut out = BytesMut::new();
        loop {
            let started = Instant::now();
            let before = self.input.clone();
            match self.service.decode(&mut self.input, eof) {
                Ok(Some(message)) => {
                    let wire = &before[..before.len() - self.input.len()];
                    self.messages += 1;
                    let _ = self.service.respond(&message, &mut out);
                    let how = Awkward::nth(self.reads);
                    let mut o = check(self.p, self.messages, &message, wire);
                    o.detail = format!("{}; {}", o.detail, how.words());
                    o.sent = wire.to_vec();
                    let title =
                        format!("connection {} message {}: {message}", self.n, self.messages);
                    self.emit(title, o, started);
                }
                Ok(None) => return Some(out.to_vec()),
                Err(e) => {
                    let o = Outcome::fail(format!("the client broke the protocol: {e}"))
                        .with_bytes(&before, &[], &[]);
                    let title = format!("connection {} message {}", self.n, self.messages + 1);
                    self.emit(title, o, started);
                    return None;
                }
            }
        }
    }

    fn emit(&self, title: String, outcome: Outcome, started: Instant) {
        let _ = self.tx.send(self.numbers.record(title, outcome, started));
    }
}

/// Checks one decoded message beyond what the decoder checks: versions,
/// sequence numbers, and the Python peer's exact encoding.
fn check(p: Protocol, nth: u32, message: &Message, wire: &[u8]) -> Outcome {
    match message {
        Message::Fixed(f) => {
            if f.version() != FixedPacket::VERSION || f.order() != nth {
                return Outcome::fail(format!(
                    "version {} order {}: the contract says version 1, order {nth}",
                    f.version(),
                    f.order()
                ));
            }
            if !f.is_truncated() && FixedPacket::new(f.order(), f.text()).to_bytes()[..] != *wire {
                return Outcome::new(
                    Verdict::NonStrict,
                    "not the bytes the Python peer writes for this text (padding or size)",
                );
            }
            Outcome::pass(if f.is_truncated() {
                "version 1, order in sequence, a text cut to 20 bytes"
            } else {
                "version 1, order in sequence, encoded as the Python peer does"
            })
        }
        Message::Variable(v) => {
            if v.version() != 1 || v.order() != nth {
                return Outcome::fail(format!(
                    "version {} order {}: the contract says version 1, order {nth}",
                    v.version(),
                    v.order()
                ));
            }
            Outcome::pass("version 1, order in sequence")
        }
        Message::App(request) => app_check(request, wire),
        _ => Outcome::pass(format!("a valid {p} message")),
    }
}

/// A §6 request: valid (the decoder said so); `info` when its header is
/// not written as the Python client writes it.
fn app_check(request: &AppRequest, wire: &[u8]) -> Outcome {
    let python = [ByteOrder::Little, ByteOrder::Big]
        .into_iter()
        .any(|order| {
            let mut out = BytesMut::new();
            ClientCodec::new()
                .with_byteorder(order)
                .encode(request, &mut out)
                .is_ok()
                && out[..] == *wire
        });
    if python {
        Outcome::pass("a valid request, written byte for byte as the Python client writes it")
    } else {
        Outcome::new(
            Verdict::Info,
            "a valid request, its header written another way than the Python client's (allowed)",
        )
    }
}

/// §1: each datagram checked (UTF-8, within 65,507 bytes) and echoed,
/// every other one 300 ms late. Stops once `clients` addresses have sent
/// something and nothing came for the timeout.
fn serve_udp(config: &Config, tx: Sender<Record>) -> Result<(), CannotRun> {
    let sock = std::net::UdpSocket::bind(config.bind)
        .map_err(|e| CannotRun(format!("cannot bind {}: {e}", config.bind)))?;
    let local = sock.local_addr().map_err(|e| CannotRun(e.to_string()))?;
    super::common::note!("listening on {local} as a udp server (late replies)");
    let numbers = Numbers::new(1);
    let (clients, timeout) = (config.clients, config.timeout);
    thread::spawn(move || {
        let mut seen = std::collections::BTreeSet::new();
        let mut buf = vec![0; 65_536];
        let mut last = Instant::now();
        let _ = sock.set_read_timeout(Some(Duration::from_millis(50)));
        loop {
            if clients > 0 && seen.len() >= clients && last.elapsed() > timeout {
                return;
            }
            let Ok((n, from)) = sock.recv_from(&mut buf) else {
                continue;
            };
            let started = Instant::now();
            last = started;
            seen.insert(from);
            let d = &buf[..n];
            let late = numbers.next.load(Ordering::Relaxed) % 2 == 0;
            let decoded = sockwire::DatagramDecoder::decode_datagram(
                &mut sockwire::TextDatagramCodec::new(),
                bytes::Bytes::copy_from_slice(d),
            );
            let o = match decoded {
                Ok(text) => {
                    if late {
                        thread::sleep(Duration::from_millis(300));
                    }
                    let _ = sock.send_to(d, from);
                    let how = if late {
                        "echoed 300 ms late"
                    } else {
                        "echoed at once"
                    };
                    Outcome::pass(format!("a valid §1 message; {how}")).with_bytes(
                        text.as_bytes(),
                        d,
                        &[],
                    )
                }
                Err(e) => {
                    Outcome::fail(format!("not a valid §1 message: {e}")).with_bytes(d, &[], &[])
                }
            };
            let title = format!("{from}: datagram of {n} bytes");
            let _ = tx.send(numbers.record(title, o, started));
        }
    });
    Ok(())
}
