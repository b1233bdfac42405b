//! TCP server, every client on one thread and one `mio::Poll`, for the
//! text (§2), line (§3), fixed (§4), variable (§5) and application (§6)
//! protocols.
//! All protocol work is `sockwire::conn`; this file only moves bytes
//! between sockets and
//! connections, handling partial writes and `WouldBlock`, and asking for
//! WRITABLE only while output is pending.
//!
//! Defences (the policy is `sockwire::conn`'s): backpressure (a client
//! that does not read is not read from until its output drains, and is
//! closed if it accepts none of it for the write timeout), an idle
//! timeout, a per-message timeout, and a cap on connections (the excess is
//! accepted and closed at once, with a log line). At start the open-file
//! soft limit is raised to the hard limit.
//!
//! ```sh
//! cargo run --example tcp_selector_server -- --protocol variable
//! ```

use std::collections::HashMap;
use std::io::{self, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

#[path = "common/mod.rs"]
mod common;

use clap::Parser;
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use sockwire::builtin::{BuiltinService, Protocol, ReplyPolicy};
use sockwire::conn::{Connection, ConnectionConfig, Event};

/// TCP server: all clients on one selector loop.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    serve: common::ServeArgs,
    /// Most connections served at once; more are accepted and closed at
    /// once.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    max_connections: usize,
}

/// How often the loop checks the connections' deadlines.
const SWEEP: Duration = Duration::from_millis(100);

const LISTENER: Token = Token(usize::MAX);
/// Reads per connection per turn, so one busy client cannot stall others.
const READS_PER_TURN: usize = 16;

struct Client {
    stream: TcpStream,
    peer: SocketAddr,
    conn: Connection<BuiltinService>,
    interest: Option<Interest>,
    /// The socket has nothing to read until its next readable event: the
    /// last read was short (a stream socket's receive buffer was emptied)
    /// or would have blocked. mio is edge-triggered, and new bytes bring a
    /// new edge, so reading again before it would only return EAGAIN. A
    /// read stopped by backpressure leaves it false: bytes still wait.
    drained: bool,
    /// The peer's FIN was reported (EPOLLRDHUP): a short read does not
    /// drain the socket then, the end of stream is still to be read, and
    /// no further edge will say so.
    read_closed: bool,
}

fn main() -> io::Result<()> {
    let args = Args::parse();
    let (protocol, reply) = (args.serve.protocol, args.serve.reply());
    // every connection is a file descriptor: lift the soft limit to the hard
    let nofile = rlimit::increase_nofile_limit(u64::MAX).map_err(io::Error::other)?;
    let stop = common::stop_flag()?;

    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(1024);
    let mut listener = TcpListener::bind(args.serve.bind)?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    common::say!(
        "listening on {} (TCP, protocol {protocol}, {}, one selector thread, \
         max {} connections, open-file limit {nofile}, {})",
        listener.local_addr()?,
        args.serve.reply_banner(),
        args.max_connections,
        args.serve.timeouts_banner(),
    );
    let config = Config {
        protocol,
        reply,
        conn: args.serve.config(),
        max_connections: args.max_connections,
    };

    let mut clients: HashMap<Token, Client> = HashMap::new();
    let mut next_token = 0usize;
    let mut again: Vec<Token> = Vec::new(); // ran out of their turn
    let mut buf = vec![0u8; 64 * 1024];
    let mut next_sweep = Instant::now() + SWEEP;
    // the last accept failed (out of file descriptors): connections may
    // wait in the backlog, and the edge-triggered listener will not say so
    // again, so the sweep retries; otherwise only a listener event accepts
    let mut accept_failed = false;
    while !stop.load(Ordering::SeqCst) {
        let timeout = if again.is_empty() {
            SWEEP
        } else {
            Duration::ZERO
        };
        match poll.poll(&mut events, Some(timeout)) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        let mut ready = std::mem::take(&mut again);
        for event in &events {
            if event.token() == LISTENER {
                accept_failed = !accept(&poll, &listener, &mut clients, &mut next_token, &config);
            } else {
                if let Some(client) = clients.get_mut(&event.token()) {
                    if event.is_readable() || event.is_read_closed() || event.is_error() {
                        // a new edge: there may be bytes to read again
                        client.drained = false;
                    }
                    // the peer's FIN came: its 0-byte read is still to come,
                    // however short the reads before it
                    client.read_closed |= event.is_read_closed();
                }
                ready.push(event.token());
            }
        }
        ready.sort_unstable();
        ready.dedup();
        for token in ready {
            let Some(client) = clients.get_mut(&token) else {
                continue;
            };
            let outcome = drive(client, &mut buf, args.serve.quiet);
            log_events(client, args.serve.quiet);
            let done = match outcome {
                Ok(more) => {
                    if more {
                        again.push(token);
                    }
                    client.conn.is_closed() || update_interest(&poll, client, token).is_err()
                }
                Err(e) => {
                    common::say!("{} connection error: {e}", client.peer);
                    true
                }
            };
            if done {
                if let Some(mut client) = clients.remove(&token) {
                    // --close-after-reply: answered, and the reply written
                    if client.conn.is_finished() && client.conn.is_closed() {
                        common::say!(
                            "{} closed after the reply (--close-after-reply)",
                            client.peer
                        );
                    }
                    let _ = poll.registry().deregister(&mut client.stream);
                }
            }
        }
        let now = Instant::now();
        if now >= next_sweep {
            // timeouts: one pass over every connection, a few times a second
            next_sweep = now + SWEEP;
            // and connections left pending by a failed accept
            if accept_failed {
                accept_failed = !accept(&poll, &listener, &mut clients, &mut next_token, &config);
            }
            clients.retain(|_, client| {
                if client.conn.poll_timeout().is_some_and(|t| now >= t) {
                    client.conn.handle_timeout(now);
                    log_events(client, args.serve.quiet);
                }
                if client.conn.is_closed() {
                    let _ = poll.registry().deregister(&mut client.stream);
                    return false;
                }
                true
            });
        }
    }
    common::say!("shutting down, open connections: {}", clients.len());
    common::say!("stopped");
    Ok(())
}

/// What every new connection gets.
struct Config {
    protocol: Protocol,
    reply: ReplyPolicy,
    conn: ConnectionConfig,
    max_connections: usize,
}

/// Logs a connection's events (`quiet`: all but the messages).
fn log_events(client: &mut Client, quiet: bool) {
    while let Some(event) = client.conn.poll_event() {
        if !(quiet && matches!(event, Event::Received(_))) {
            common::say!("{} {event}", client.peer);
        }
    }
}

/// Accepts every pending connection; `false` when an accept failed (not
/// for want of connections) and some may be left waiting.
fn accept(
    poll: &Poll,
    listener: &TcpListener,
    clients: &mut HashMap<Token, Client>,
    next_token: &mut usize,
    config: &Config,
) -> bool {
    loop {
        match listener.accept() {
            Ok((mut stream, peer)) => {
                if clients.len() >= config.max_connections {
                    // closed at once: the client sees the close, not a hang
                    common::say!(
                        "{peer} refused: {} connections open (--max-connections {})",
                        clients.len(),
                        config.max_connections
                    );
                    drop(stream);
                    continue;
                }
                let token = Token(*next_token);
                *next_token = (*next_token + 1) % (usize::MAX - 1);
                if let Err(e) = poll
                    .registry()
                    .register(&mut stream, token, Interest::READABLE)
                {
                    common::say!("{peer} cannot be served: {e}");
                    continue;
                }
                common::say!("{peer} connected");
                let service = config.protocol.service(config.reply.clone());
                let conn = Connection::new(Instant::now(), service, config.conn.clone());
                clients.insert(
                    token,
                    Client {
                        stream,
                        peer,
                        conn,
                        interest: Some(Interest::READABLE),
                        drained: false,
                        read_closed: false,
                    },
                );
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return true,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => {
                // EMFILE and the like: the pending connection waits
                common::say!("accept failed: {e}");
                return false;
            }
        }
    }
}

/// Writes what is pending and reads what is there until the socket would
/// block both ways, logging the events of each read before writing again
/// (draining them is also what decodes input held back by a full event
/// queue, whose replies are then written in the same turn). `Ok(true)`:
/// the turn's reads ran out with more to do.
fn drive(client: &mut Client, buf: &mut [u8], quiet: bool) -> io::Result<bool> {
    let mut reads = 0;
    loop {
        let mut progress = false;
        while client.conn.wants_write() {
            match client.stream.write(client.conn.pending_output()) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(n) => {
                    client.conn.consume_output(Instant::now(), n);
                    progress = true;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if client.conn.wants_read() && !client.drained {
            if reads == READS_PER_TURN {
                return Ok(true);
            }
            reads += 1;
            match client.stream.read(buf) {
                Ok(0) => {
                    client.conn.handle_eof(Instant::now());
                    progress = true;
                }
                Ok(n) => {
                    client.drained = n < buf.len() && !client.read_closed;
                    client.conn.handle_input(Instant::now(), &buf[..n]);
                    progress = true;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => client.drained = true,
                Err(e) if e.kind() == ErrorKind::Interrupted => progress = true,
                Err(e) => return Err(e),
            }
            log_events(client, quiet);
        }
        if !progress {
            return Ok(false);
        }
    }
}

/// READABLE while the connection takes input, WRITABLE while output is
/// pending.
fn update_interest(poll: &Poll, client: &mut Client, token: Token) -> io::Result<()> {
    let wanted = match (client.conn.wants_read(), client.conn.wants_write()) {
        (true, true) => Interest::READABLE | Interest::WRITABLE,
        (true, false) => Interest::READABLE,
        (false, true) => Interest::WRITABLE,
        // closed: the caller drops it
        (false, false) => return Ok(()),
    };
    if client.interest != Some(wanted) {
        poll.registry()
            .reregister(&mut client.stream, token, wanted)?;
        client.interest = Some(wanted);
    }
    Ok(())
}
