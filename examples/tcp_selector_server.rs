//! TCP server, every client on one thread and one `mio::Poll`, for the
//! text (§2), fixed (§4), variable (§5) and application (§6) protocols.
//! All protocol work is `sockwire::conn`; this file only moves bytes
//! between sockets and
//! connections, handling partial writes and `WouldBlock`, and asking for
//! WRITABLE only while output is pending.
//!
//! ```sh
//! cargo run --example tcp_selector_server -- --protocol variable
//! ```

use std::collections::HashMap;
use std::io::{self, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::Parser;
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use sockwire::conn::{Connection, Protocol, Reply};

/// TCP server: all clients on one selector loop.
#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0:5005")]
    bind: SocketAddr,
    /// Wire protocol (`app`: §6, answered from the search table whatever
    /// --reply says).
    #[arg(long, default_value = "text", value_parser = ["text", "fixed", "variable", "app"])]
    protocol: String,
    /// What to send back for each message (text, fixed, variable).
    #[arg(long, default_value = "echo", value_parser = ["none", "echo", "upper"])]
    reply: String,
}

const LISTENER: Token = Token(usize::MAX);
/// Reads per connection per turn, so one busy client cannot stall others.
const READS_PER_TURN: usize = 16;

struct Client {
    stream: TcpStream,
    peer: SocketAddr,
    conn: Connection,
    interest: Option<Interest>,
}

fn main() -> io::Result<()> {
    let args = Args::parse();
    let protocol: Protocol = args.protocol.parse().map_err(io::Error::other)?;
    let reply: Reply = args.reply.parse().map_err(io::Error::other)?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst)).map_err(io::Error::other)?;

    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(1024);
    let mut listener = TcpListener::bind(args.bind)?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    println!(
        "listening on {} (TCP, protocol {protocol}, reply {reply}, one selector thread)",
        listener.local_addr()?
    );

    let mut clients: HashMap<Token, Client> = HashMap::new();
    let mut next_token = 0usize;
    let mut again: Vec<Token> = Vec::new(); // ran out of their turn
    let mut buf = vec![0u8; 64 * 1024];
    while !stop.load(Ordering::SeqCst) {
        let timeout = if again.is_empty() {
            Duration::from_millis(200)
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
                accept(
                    &poll,
                    &listener,
                    &mut clients,
                    &mut next_token,
                    protocol,
                    reply,
                );
            } else {
                ready.push(event.token());
            }
        }
        ready.sort_unstable();
        ready.dedup();
        for token in ready {
            let Some(client) = clients.get_mut(&token) else {
                continue;
            };
            let outcome = drive(client, &mut buf);
            while let Some(event) = client.conn.poll_event() {
                println!("{} {event}", client.peer);
            }
            let done = match outcome {
                Ok(more) => {
                    if more {
                        again.push(token);
                    }
                    client.conn.is_closed() || update_interest(&poll, client, token).is_err()
                }
                Err(e) => {
                    println!("{} connection error: {e}", client.peer);
                    true
                }
            };
            if done {
                if let Some(mut client) = clients.remove(&token) {
                    let _ = poll.registry().deregister(&mut client.stream);
                }
            }
        }
    }
    println!("shutting down, open connections: {}", clients.len());
    println!("stopped");
    Ok(())
}

fn accept(
    poll: &Poll,
    listener: &TcpListener,
    clients: &mut HashMap<Token, Client>,
    next_token: &mut usize,
    protocol: Protocol,
    reply: Reply,
) {
    loop {
        match listener.accept() {
            Ok((mut stream, peer)) => {
                let token = Token(*next_token);
                *next_token = (*next_token + 1) % (usize::MAX - 1);
                if let Err(e) = poll
                    .registry()
                    .register(&mut stream, token, Interest::READABLE)
                {
                    println!("{peer} cannot be served: {e}");
                    continue;
                }
                println!("{peer} connected");
                let conn = Connection::new(protocol, reply);
                clients.insert(
                    token,
                    Client {
                        stream,
                        peer,
                        conn,
                        interest: Some(Interest::READABLE),
                    },
                );
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => {
                eprintln!("accept failed: {e}");
                return;
            }
        }
    }
}

/// Writes what is pending and reads what is there until the socket would
/// block both ways. `Ok(true)`: the turn's reads ran out with more to do.
fn drive(client: &mut Client, buf: &mut [u8]) -> io::Result<bool> {
    let mut reads = 0;
    loop {
        let mut progress = false;
        while client.conn.wants_write() {
            match client.stream.write(client.conn.pending_output()) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(n) => {
                    client.conn.consume_output(n);
                    progress = true;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if client.conn.wants_read() {
            if reads == READS_PER_TURN {
                return Ok(true);
            }
            reads += 1;
            match client.stream.read(buf) {
                Ok(0) => {
                    client.conn.handle_eof();
                    progress = true;
                }
                Ok(n) => {
                    client.conn.handle_input(buf.get(..n).unwrap_or_default());
                    progress = true;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => progress = true,
                Err(e) => return Err(e),
            }
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
