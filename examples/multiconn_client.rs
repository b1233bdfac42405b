//! §2 multi-connection client: opens NUM_CONNECTIONS connections on one
//! `mio::Poll`, sends `Message 1 from client.` and `Message 2 from
//! client.` on each, and closes each once all 44 bytes are back.
//!
//! ```sh
//! cargo run --example multiconn_client -- 127.0.0.1 5005 3
//! ```

use std::collections::HashMap;
use std::io::{self, ErrorKind, Read, Write};
use std::net::ToSocketAddrs;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use clap::Parser;
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use sockwire::builtin::{Client, Protocol};
use sockwire::conn::Event;

#[path = "common/mod.rs"]
mod common;

/// Multi-connection text client (§2).
#[derive(Parser)]
struct Args {
    /// Server host name or address.
    host: String,
    /// Server port.
    port: u16,
    /// How many connections to open.
    num_connections: usize,
}

const MESSAGES: [&str; 2] = ["Message 1 from client.", "Message 2 from client."];
/// Gives up when nothing happens for this long.
const IDLE_LIMIT: Duration = Duration::from_secs(10);

struct Conn {
    stream: TcpStream,
    client: Client,
    to_send: BytesMut,
    received: usize,
}

fn main() -> io::Result<()> {
    let args = Args::parse();
    let addr = (args.host.as_str(), args.port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::new(ErrorKind::NotFound, "no address for host"))?;
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(128);
    let mut conns = HashMap::new();
    for id in 1..=args.num_connections {
        common::out!("starting connection {id} to {addr}");
        let mut stream = TcpStream::connect(addr)?;
        poll.registry().register(
            &mut stream,
            Token(id),
            Interest::READABLE | Interest::WRITABLE,
        )?;
        let mut client = Client::new(Protocol::Text);
        let mut to_send = BytesMut::new();
        for message in MESSAGES {
            client.send_message(message).map_err(io::Error::other)?;
        }
        to_send.extend_from_slice(client.pending_output());
        client.consume_output(to_send.len());
        conns.insert(
            id,
            Conn {
                stream,
                client,
                to_send,
                received: 0,
            },
        );
    }
    let mut buf = vec![0u8; 4096];
    let mut last_progress = Instant::now();
    while !conns.is_empty() {
        if last_progress.elapsed() > IDLE_LIMIT {
            common::out!(
                "giving up: no progress for {} s on {} connections",
                IDLE_LIMIT.as_secs(),
                conns.len()
            );
            std::process::exit(1);
        }
        match poll.poll(&mut events, Some(Duration::from_millis(200))) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        for event in &events {
            let id = event.token().0;
            let Some(conn) = conns.get_mut(&id) else {
                continue;
            };
            last_progress = Instant::now();
            let done = match service(id, conn, &mut buf) {
                Ok(done) => done,
                Err(e) => {
                    common::out!("connection {id} failed: {e}");
                    true
                }
            };
            if done {
                if let Some(mut conn) = conns.remove(&id) {
                    common::out!("closing connection {id} ({} bytes back)", conn.received);
                    let _ = poll.registry().deregister(&mut conn.stream);
                }
            } else if let Some(conn) = conns.get_mut(&id) {
                if conn.to_send.is_empty() {
                    poll.registry()
                        .reregister(&mut conn.stream, Token(id), Interest::READABLE)?;
                }
            }
        }
    }
    Ok(())
}

/// Sends what is left, reads what came; `Ok(true)` once all is back or the
/// server closed.
fn service(id: usize, conn: &mut Conn, buf: &mut [u8]) -> io::Result<bool> {
    if let Some(e) = conn.stream.take_error()? {
        return Err(e);
    }
    while !conn.to_send.is_empty() {
        match conn.stream.write(&conn.to_send) {
            Ok(n) => {
                let sent: Bytes = conn.to_send.split_to(n).freeze();
                common::out!("connection {id}: sent {:?}", sockwire::dump::lossy(&sent));
            }
            // still connecting, or the socket buffer is full
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::NotConnected) => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    loop {
        match conn.stream.read(buf) {
            Ok(0) => {
                conn.client.handle_eof();
                break;
            }
            Ok(n) => {
                conn.received += n;
                conn.client.handle_input(&buf[..n]);
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::NotConnected) => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    while let Some(event) = conn.client.poll_event() {
        match event {
            Event::Received(m) => common::out!("connection {id}: received {m}"),
            other => common::out!("connection {id}: server {other}"),
        }
    }
    Ok(conn.to_send.is_empty() && (!conn.client.awaiting_reply() || conn.client.is_closed()))
}
