//! TCP server, one thread per client, for the text (§2), line (§3), fixed
//! (§4), variable (§5) and application (§6) protocols. All protocol work is
//! `sockwire::conn` running a `sockwire::builtin` service; this file only
//! moves bytes between sockets and connections.
//!
//! Defences as in `tcp_selector_server`: backpressure (no reading while
//! output is above the high-water mark), idle, per-message and write
//! timeouts (socket timeouts wake each thread to check the connection's
//! deadlines), and a cap on clients (default 1,000 threads; the excess is accepted and
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

#[path = "common/mod.rs"]
mod common;

use clap::Parser;
use sockwire::builtin::BuiltinService;
use sockwire::conn::{Connection, Event};

/// TCP server: one thread per client.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    serve: common::ServeArgs,
    /// Most clients served at once (one thread each); more are accepted and
    /// closed at once.
    #[arg(long, value_name = "N", default_value_t = 1_000)]
    max_connections: usize,
}

const TICK: Duration = Duration::from_millis(200);

fn main() -> io::Result<()> {
    let args = Args::parse();
    let (protocol, reply, config) = (args.serve.protocol, args.serve.reply(), args.serve.config());
    let quiet = args.serve.quiet;
    let nofile = rlimit::increase_nofile_limit(u64::MAX).map_err(io::Error::other)?;
    let stop = common::stop_flag()?;

    let listener = TcpListener::bind(args.serve.bind)?;
    listener.set_nonblocking(true)?;
    common::say!(
        "listening on {} (TCP, protocol {protocol}, {}, one thread per client, \
         max {} connections, open-file limit {nofile}, {})",
        listener.local_addr()?,
        args.serve.reply_banner(),
        args.max_connections,
        args.serve.timeouts_banner(),
    );

    let mut workers: Vec<thread::JoinHandle<()>> = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, peer)) => {
                workers.retain(|w| !w.is_finished());
                if workers.len() >= args.max_connections {
                    // closed at once: the client sees the close, not a hang
                    common::say!(
                        "{peer} refused: {} connections open (--max-connections {})",
                        workers.len(),
                        args.max_connections
                    );
                    drop(stream);
                    continue;
                }
                common::say!("{peer} connected");
                let stop = Arc::clone(&stop);
                let service = protocol.service(reply.clone());
                let conn = Connection::new(Instant::now(), service, config.clone());
                let spawned = thread::Builder::new().spawn(move || {
                    if let Err(e) = serve(stream, peer, conn, &stop, quiet) {
                        common::say!("{peer} connection error: {e}");
                    }
                });
                match spawned {
                    Ok(worker) => workers.push(worker),
                    Err(e) => common::say!("{peer} cannot be served: {e}"),
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => thread::sleep(Duration::from_millis(20)),
            Err(e) => {
                common::note!("accept failed: {e}");
                thread::sleep(Duration::from_millis(20));
            }
        }
        workers.retain(|w| !w.is_finished());
    }
    common::say!("shutting down, open connections: {}", workers.len());
    for worker in workers {
        let _ = worker.join();
    }
    common::say!("stopped");
    Ok(())
}

/// Moves bytes between `stream` and `conn` until the connection is done,
/// one turn of the connection's loop at a time.
fn serve(
    mut stream: TcpStream,
    peer: SocketAddr,
    mut conn: Connection<BuiltinService>,
    stop: &AtomicBool,
    quiet: bool,
) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_write_timeout(Some(TICK))?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        // 1. feed input whenever the connection wants it (its message timer
        // runs then). With replies to write, only what is there already
        // (a blocking read would hold them back); else it waits until the
        // next deadline, and at most TICK to see the stop flag.
        if conn.wants_read() {
            let read = if conn.wants_write() {
                read_now(&mut stream, &mut buf)
            } else {
                let wait = sockwire::timeout_from(Instant::now(), conn.poll_timeout());
                stream.set_read_timeout(Some(wait.map_or(TICK, |w| w.min(TICK))))?;
                stream.read(&mut buf)
            };
            match read {
                Ok(0) => conn.handle_eof(Instant::now()),
                Ok(n) => conn.handle_input(Instant::now(), &buf[..n]),
                Err(e) if common::is_timeout(&e) => {}
                Err(e) => return Err(e),
            }
        }
        // 2. handle timeouts
        conn.handle_timeout(Instant::now());
        // 3. drain events
        while let Some(event) = conn.poll_event() {
            if !(quiet && matches!(event, Event::Received(_))) {
                common::say!("{peer} {event}");
            }
        }
        if conn.is_closed() {
            if conn.is_finished() {
                common::say!("{peer} closed after the reply (--close-after-reply)");
            }
            return Ok(());
        }
        if stop.load(Ordering::SeqCst) {
            common::say!("{peer} closing: the server is shutting down");
            return Ok(());
        }
        // 4. transmit (waiting at most TICK for the peer to take any)
        if conn.wants_write() {
            match stream.write(conn.pending_output()) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(n) => conn.consume_output(Instant::now(), n),
                Err(e) if common::is_timeout(&e) => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// One read of what `stream` holds already, without waiting: `WouldBlock`
/// when it holds nothing.
fn read_now(stream: &mut TcpStream, buf: &mut [u8]) -> io::Result<usize> {
    stream.set_nonblocking(true)?;
    let read = stream.read(buf);
    stream.set_nonblocking(false)?;
    read
}
