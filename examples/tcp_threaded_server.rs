//! TCP server, one thread per client, for the text (§2), fixed (§4),
//! variable (§5) and application (§6) protocols. All protocol work is
//! `sockwire::conn`; this file only moves bytes between sockets and
//! connections.
//!
//! ```sh
//! cargo run --example tcp_threaded_server -- --protocol fixed --reply upper
//! ```

use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use clap::Parser;
use sockwire::conn::{Connection, Protocol, Reply};

/// TCP server: one thread per client.
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

const TICK: Duration = Duration::from_millis(200);

fn main() -> io::Result<()> {
    let args = Args::parse();
    let protocol: Protocol = args.protocol.parse().map_err(io::Error::other)?;
    let reply: Reply = args.reply.parse().map_err(io::Error::other)?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst)).map_err(io::Error::other)?;

    let listener = TcpListener::bind(args.bind)?;
    listener.set_nonblocking(true)?;
    println!(
        "listening on {} (TCP, protocol {protocol}, reply {reply}, one thread per client)",
        listener.local_addr()?
    );

    let mut workers = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, peer)) => {
                println!("{peer} connected");
                let stop = Arc::clone(&stop);
                workers.push(thread::spawn(move || {
                    if let Err(e) = serve(stream, peer, Connection::new(protocol, reply), &stop) {
                        println!("{peer} connection error: {e}");
                    }
                }));
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => thread::sleep(Duration::from_millis(20)),
            Err(e) => {
                eprintln!("accept failed: {e}");
                thread::sleep(Duration::from_millis(20));
            }
        }
        workers.retain(|w| !w.is_finished());
    }
    println!("shutting down, open connections: {}", workers.len());
    for worker in workers {
        let _ = worker.join();
    }
    println!("stopped");
    Ok(())
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
    )
}

/// Moves bytes between `stream` and `conn` until the connection is done.
fn serve(
    mut stream: TcpStream,
    peer: SocketAddr,
    mut conn: Connection,
    stop: &AtomicBool,
) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(TICK))?;
    stream.set_write_timeout(Some(TICK))?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        while let Some(event) = conn.poll_event() {
            println!("{peer} {event}");
        }
        if conn.is_closed() {
            return Ok(());
        }
        if stop.load(Ordering::SeqCst) {
            println!("{peer} closing: the server is shutting down");
            return Ok(());
        }
        if conn.wants_write() {
            match stream.write(conn.pending_output()) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(n) => conn.consume_output(n),
                Err(e) if is_timeout(&e) => {}
                Err(e) => return Err(e),
            }
        } else if conn.wants_read() {
            match stream.read(&mut buf) {
                Ok(0) => conn.handle_eof(),
                Ok(n) => conn.handle_input(buf.get(..n).unwrap_or_default()),
                Err(e) if is_timeout(&e) => {}
                Err(e) => return Err(e),
            }
        }
    }
}
