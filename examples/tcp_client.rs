//! TCP client for the text (§2), fixed (§4) and variable (§5) protocols:
//! sends each line of stdin as one message (packets numbered 1, 2, ...) and
//! prints the decoded reply.
//!
//! ```sh
//! printf 'hello\nworld\n' | cargo run --example tcp_client -- --protocol fixed
//! ```

use std::io::{self, BufRead, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use clap::Parser;
use sockwire::builtin::{Client, Protocol};
use sockwire::conn::Event;

#[path = "common/mod.rs"]
mod common;

/// TCP client: one message per line of stdin.
#[derive(Parser)]
struct Args {
    /// The server's address.
    #[arg(long, default_value = "127.0.0.1:5005")]
    server: SocketAddr,
    /// Wire protocol.
    #[arg(long, default_value = "text", value_parser = common::names::<Protocol>(&["text", "fixed", "variable"]))]
    protocol: Protocol,
}

const WAIT: Duration = Duration::from_secs(1);

fn main() -> io::Result<()> {
    let args = Args::parse();
    let protocol = args.protocol;
    let mut stream = TcpStream::connect(args.server)?;
    common::out!(
        "connected to {} from {} (protocol {protocol})",
        args.server,
        stream.local_addr()?
    );
    let mut client = Client::new(protocol);
    let mut buf = vec![0u8; 64 * 1024];
    for line in io::stdin().lock().lines() {
        let line = line?;
        let text = line.strip_suffix('\r').unwrap_or(&line);
        if protocol == Protocol::Text && text.is_empty() {
            continue; // no bytes to send
        }
        if let Err(e) = client.send_message(text) {
            common::out!("cannot send {text:?}: {e}");
            continue;
        }
        stream.write_all(client.pending_output())?;
        let written = client.pending_output().len();
        client.consume_output(written);
        let deadline = Instant::now() + WAIT;
        while client.awaiting_reply() {
            if Instant::now() >= deadline {
                common::out!("no (more) reply within 1 s");
                break;
            }
            stream.set_read_timeout(sockwire::timeout_from(Instant::now(), Some(deadline)))?;
            match stream.read(&mut buf) {
                Ok(0) => client.handle_eof(),
                Ok(n) => client.handle_input(&buf[..n]),
                Err(e) if common::is_timeout(&e) => {}
                Err(e) => return Err(e),
            }
            while let Some(event) = client.poll_event() {
                match event {
                    Event::Received(m) => common::out!("reply: {m}"),
                    Event::PeerClosed => common::out!("the server closed the connection"),
                    other => common::out!("bad reply: {other}"),
                }
            }
        }
        if client.is_closed() {
            break;
        }
    }
    Ok(())
}
