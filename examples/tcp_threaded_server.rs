//! TCP server, one thread per client, for the text (§2), line (§3), fixed
//! (§4), variable (§5) and application (§6) protocols. All protocol work is
//! `sockwire::conn`; this file only moves bytes between sockets and
//! connections.
//!
//! Defences as in `tcp_selector_server`: backpressure (no reading while
//! output is above the high-water mark), idle and per-message timeouts
//! (socket timeouts wake each thread to check the connection's deadlines),
//! and a cap on clients (default 1,000 threads; the excess is accepted and
//! closed at once, with a log line).
//!
//! ```sh
//! cargo run --example tcp_threaded_server -- --protocol fixed --reply upper
//! ```

use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use clap::Parser;
use sockwire::conn::{Connection, Event, Protocol, Reply, Timeouts};

/// TCP server: one thread per client.
#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0:5005")]
    bind: SocketAddr,
    /// Wire protocol (`app`: §6, answered from the search table whatever
    /// --reply says).
    #[arg(long, default_value = "text", value_parser = ["text", "line", "fixed", "variable", "app"])]
    protocol: String,
    /// What to send back for each message (text, line, fixed, variable).
    #[arg(long, default_value = "echo", value_parser = ["none", "echo", "upper"])]
    reply: String,
    /// Close a connection after this many seconds with no byte read or
    /// written (0: never).
    #[arg(long, value_name = "SECS", default_value_t = 300.0)]
    idle_timeout: f64,
    /// Close a connection whose message, once started, is not whole after
    /// this many seconds (0: never).
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    message_timeout: f64,
    /// Most clients served at once (one thread each); more are accepted and
    /// closed at once.
    #[arg(long, value_name = "N", default_value_t = 1_000)]
    max_connections: usize,
    /// Log only connections, errors and closes, not every message.
    #[arg(long)]
    quiet: bool,
}

/// A timeout for the log: `300s` or `none`.
fn show(timeout: Option<Duration>) -> String {
    timeout.map_or_else(|| "none".to_owned(), |d| format!("{}s", d.as_secs_f64()))
}

/// `SECS` as a timeout: 0 (or less) is none.
fn secs(s: f64) -> Option<Duration> {
    (s > 0.0).then(|| Duration::from_secs_f64(s))
}

const TICK: Duration = Duration::from_millis(200);

fn main() -> io::Result<()> {
    let args = Args::parse();
    let protocol: Protocol = args.protocol.parse().map_err(io::Error::other)?;
    let reply: Reply = args.reply.parse().map_err(io::Error::other)?;
    let mut timeouts = Timeouts::none();
    timeouts.idle = secs(args.idle_timeout);
    timeouts.message = secs(args.message_timeout);
    let quiet = args.quiet;
    let nofile = rlimit::increase_nofile_limit(u64::MAX).map_err(io::Error::other)?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst)).map_err(io::Error::other)?;

    let listener = TcpListener::bind(args.bind)?;
    listener.set_nonblocking(true)?;
    println!(
        "listening on {} (TCP, protocol {protocol}, reply {reply}, one thread per client, \
         max {} connections, open-file limit {nofile}, idle timeout {}, message timeout {})",
        listener.local_addr()?,
        args.max_connections,
        show(timeouts.idle),
        show(timeouts.message),
    );

    let mut workers: Vec<thread::JoinHandle<()>> = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, peer)) => {
                workers.retain(|w| !w.is_finished());
                if workers.len() >= args.max_connections {
                    // closed at once: the client sees the close, not a hang
                    println!(
                        "{peer} refused: {} connections open (--max-connections {})",
                        workers.len(),
                        args.max_connections
                    );
                    drop(stream);
                    continue;
                }
                println!("{peer} connected");
                let stop = Arc::clone(&stop);
                let conn = Connection::new(protocol, reply).with_timeouts(timeouts, Instant::now());
                let spawned = thread::Builder::new().spawn(move || {
                    if let Err(e) = serve(stream, peer, conn, &stop, quiet) {
                        println!("{peer} connection error: {e}");
                    }
                });
                match spawned {
                    Ok(worker) => workers.push(worker),
                    Err(e) => println!("{peer} cannot be served: {e}"),
                }
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
    quiet: bool,
) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(TICK))?;
    stream.set_write_timeout(Some(TICK))?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        conn.handle_timeout(Instant::now());
        while let Some(event) = conn.poll_event() {
            if !(quiet && matches!(event, Event::Received(_))) {
                println!("{peer} {event}");
            }
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
                Ok(n) => conn.consume_output_at(n, Instant::now()),
                Err(e) if is_timeout(&e) => {}
                Err(e) => return Err(e),
            }
        } else if conn.wants_read() {
            match stream.read(&mut buf) {
                Ok(0) => conn.handle_eof(),
                Ok(n) => conn.handle_input_at(buf.get(..n).unwrap_or_default(), Instant::now()),
                Err(e) if is_timeout(&e) => {}
                Err(e) => return Err(e),
            }
        }
    }
}
