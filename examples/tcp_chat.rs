//! Peer-to-peer line chat over TCP (§3).
//!
//! ```sh
//! cargo run --example tcp_chat -- 5005              # wait for a peer
//! cargo run --example tcp_chat -- 127.0.0.1 5005    # connect to it
//! ```
//!
//! Each typed line goes out with its LF; `:q` closes the connection. The
//! protocol (line framing, `:q`, peer close) lives in
//! `sockwire::ChatSession`; this program only moves bytes and prints.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use clap::Parser;
use sockwire::{ChatSession, LineAction};

#[path = "common/mod.rs"]
mod common;

/// Peer-to-peer chat: `tcp_chat PORT` waits on 0.0.0.0:PORT for one peer;
/// `tcp_chat HOST PORT` connects, and listens on PORT instead when that
/// fails. Type lines to send them; `:q` ends the chat.
#[derive(Parser)]
#[command(version)]
struct Cli {
    /// PORT to listen on, or HOST to connect to (then give PORT too).
    #[arg(value_name = "HOST|PORT")]
    first: String,
    /// The port to connect to (and to listen on if connecting fails).
    #[arg(value_name = "PORT")]
    port: Option<u16>,
}

const TICK: Duration = Duration::from_millis(100);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let stop = common::stop_flag()?;
    let cli = Cli::parse();
    let stream = match cli.port {
        None => {
            let port: u16 = cli
                .first
                .parse()
                .map_err(|e| format!("PORT {:?}: {e}", cli.first))?;
            listen(port, &stop)?
        }
        Some(port) => match TcpStream::connect((cli.first.as_str(), port)) {
            Ok(stream) => {
                common::say!("connected to {}", stream.peer_addr()?);
                Some(stream)
            }
            Err(e) => {
                common::say!(
                    "could not connect to {}:{port} ({e}); listening instead",
                    cli.first
                );
                listen(port, &stop)?
            }
        },
    };
    match stream {
        Some(stream) => talk(stream, &stop),
        None => {
            common::say!("stopped");
            Ok(())
        }
    }
}

/// Waits on 0.0.0.0:PORT for one peer (`None` if stopped first).
fn listen(port: u16, stop: &AtomicBool) -> io::Result<Option<TcpStream>> {
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)))?;
    common::say!("listening on {}", listener.local_addr()?);
    listener.set_nonblocking(true)?;
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, peer)) => {
                common::say!("connected to {peer}");
                stream.set_nonblocking(false)?;
                return Ok(Some(stream));
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                ) =>
            {
                thread::sleep(Duration::from_millis(20))
            }
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}

fn talk(mut stream: TcpStream, stop: &AtomicBool) -> Result<(), Box<dyn std::error::Error>> {
    stream.set_read_timeout(Some(TICK))?;
    let lines = common::stdin_lines();
    let mut chat = ChatSession::default();
    let mut buf = vec![0; 8192];
    loop {
        if stop.load(Ordering::SeqCst) {
            chat.send_line(ChatSession::QUIT)?;
        }
        while let Ok(line) = lines.try_recv() {
            // end of input ends the chat as `:q` does
            let line = line.unwrap_or_else(|| ChatSession::QUIT.to_owned());
            match chat.send_line(&line) {
                Ok(LineAction::Sent) => {}
                Ok(LineAction::Close) => break,
                Err(e) => common::say!("not sent: {e}"),
            }
        }
        while !chat.pending_output().is_empty() {
            match stream.write(chat.pending_output())? {
                0 => return Err(io::Error::from(io::ErrorKind::WriteZero).into()),
                n => chat.consume_output(n),
            }
        }
        if chat.is_closed() {
            let _ = stream.shutdown(std::net::Shutdown::Both);
            common::say!("closed the connection");
            return Ok(());
        }
        match stream.read(&mut buf) {
            Ok(0) => chat.handle_eof(),
            Ok(n) => chat.handle_input(&buf[..n]),
            Err(e) if common::is_timeout(&e) => {}
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => chat.handle_eof(),
            Err(e) => return Err(e.into()),
        }
        while let Some(event) = chat.poll_event() {
            common::say!("{event}");
        }
        if chat.is_peer_closed() {
            return Ok(());
        }
    }
}
