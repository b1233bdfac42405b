//! The async counterpart of `tcp_selector_server`: a tokio TCP server that
//! drives the library's connection machine (`sockwire::conn::Connection`)
//! over each socket, running the protocol's service and reply policy from
//! `sockwire::builtin`. Every defence is the library's, the same as the std
//! servers': an idle timeout, a per-message timeout, a write timeout for a
//! peer that stopped reading, backpressure (no reading while unsent output
//! is over the high-water mark) and, here, a cap on connections.
//!
//! The loop per connection is the one of `sockwire::conn`'s docs, awaited:
//! wait until the socket is readable (or writable while output is pending,
//! or the connection's next deadline), read what is there into one buffer
//! shared by the worker thread, `handle_input(now, ..)`, and write all the
//! replies that read produced with one `write`. Replies are coalesced: the
//! messages of one read are answered by one system call. TCP_NODELAY is set
//! on every accepted socket, so a reply is not held back by Nagle's
//! algorithm waiting for the client's next segment.
//!
//! ```sh
//! cargo run --features tokio-util --example tokio_echo_server -- --protocol variable --reply upper
//! ```
//!
//! It prints `listening on ADDR` first, then one line per message
//! (`PEER -> MESSAGE`; none with `--quiet`). A connection that breaks the
//! protocol or times out is logged (`PEER dropped: WHY`) and dropped; the
//! others go on. Ctrl-C or SIGTERM stops it.

use std::cell::RefCell;
use std::io::{self, ErrorKind};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[path = "common/mod.rs"]
mod common;

use clap::Parser;
use futures_util::FutureExt;
use sockwire::builtin::BuiltinService;
use sockwire::conn::{Connection, ConnectionConfig, Event};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};

/// Async TCP server for the sockwire stream protocols, on tokio.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    serve: common::ServeArgs,
    /// Most connections served at once; more are accepted and closed at
    /// once.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    max_connections: usize,
    /// Tokio worker threads (default: one per core).
    #[arg(long, value_name = "N")]
    workers: Option<usize>,
}

/// Bytes one read takes at most.
const READ_BUF: usize = 64 * 1024;

thread_local! {
    /// The read buffer, one per worker thread: a read copies what it got
    /// into the connection at once, so an idle connection holds none.
    static BUF: RefCell<Vec<u8>> = RefCell::new(vec![0; READ_BUF]);
}

/// What one connection needs besides its socket.
#[derive(Clone)]
struct Options {
    quiet: bool,
}

/// How a connection ended, for its last log line.
enum End {
    /// The peer closed its side and every reply was written.
    PeerClosed,
    /// The connection answered its request under --close-after-reply.
    Replied,
    /// A protocol error or a timeout (already logged as `dropped: ...`).
    Dropped,
}

/// Serves one connection until it is done: one turn of the connection's
/// loop per wake-up.
async fn serve(
    mut stream: TcpStream,
    peer: SocketAddr,
    mut conn: Connection<BuiltinService>,
    options: Options,
) -> io::Result<End> {
    stream.set_nodelay(true)?;
    let mut dropped = false;
    // the armed deadline; it fires early at worst (handle_timeout then
    // does nothing), so it is reset only when a deadline comes sooner
    let timer = tokio::time::sleep(Duration::ZERO);
    tokio::pin!(timer);
    let mut armed: Option<Instant> = None;
    loop {
        // 3. drain events
        while let Some(event) = conn.poll_event() {
            dropped |= log_event(peer, &event, options.quiet);
        }
        // 4. transmit: every reply queued so far, in one write when the
        // socket takes it all
        while conn.wants_write() {
            match stream.try_write(conn.pending_output()) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(n) => conn.consume_output(Instant::now(), n),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if conn.is_closed() {
            return Ok(if dropped {
                End::Dropped
            } else if conn.is_finished() {
                End::Replied
            } else {
                End::PeerClosed
            });
        }
        let deadline = conn.poll_timeout();
        if let Some(at) = deadline {
            if armed.is_none_or(|armed| at < armed) {
                timer.as_mut().reset(at.into());
                armed = Some(at);
            }
        }
        let reading = conn.wants_read();
        let writing = conn.wants_write();
        tokio::select! {
            biased;
            ready = stream.readable(), if reading => {
                ready?;
                // 1. feed input
                BUF.with_borrow_mut(|buf| read_into(&mut stream, &mut conn, buf))?;
            }
            ready = stream.writable(), if writing => ready?,
            () = &mut timer, if armed.is_some() => {
                // 2. handle timeouts
                armed = None;
                conn.handle_timeout(Instant::now());
            }
            // not reached: an open connection reads, writes or has a
            // deadline (closed and answered ones returned above)
            else => return Err(io::Error::other("connection with nothing to wait for")),
        }
    }
}

/// One read from `stream` into `buf`, fed to `conn`; nothing when the
/// socket has nothing after all.
///
/// The read is tokio's `AsyncRead`, polled once, rather than `try_read`:
/// a short read there also marks the socket drained (its edge-triggered
/// readiness is cleared), so the loop waits for the next edge instead of
/// trying again only to get EAGAIN.
fn read_into(
    stream: &mut TcpStream,
    conn: &mut Connection<BuiltinService>,
    buf: &mut [u8],
) -> io::Result<()> {
    match stream.read(buf).now_or_never() {
        None => {}
        Some(Ok(0)) => conn.handle_eof(Instant::now()),
        Some(Ok(n)) => conn.handle_input(Instant::now(), buf.get(..n).unwrap_or(buf)),
        Some(Err(e)) if e.kind() == ErrorKind::Interrupted => {}
        Some(Err(e)) => return Err(e),
    }
    Ok(())
}

/// Logs one event as this server always has (`PEER -> MESSAGE`,
/// `PEER dropped: WHY`); returns whether the connection is being dropped.
fn log_event(peer: SocketAddr, event: &Event<BuiltinService>, quiet: bool) -> bool {
    match event {
        Event::Received(message) => {
            if !quiet {
                common::say!("{peer} -> {message}");
            }
            false
        }
        Event::PeerClosed => false,
        Event::PeerError {
            error,
            closes: true,
        } => {
            common::say!("{peer} dropped: {error}");
            true
        }
        Event::PeerError { error, .. } => {
            common::say!("{peer} error: {error}");
            false
        }
        Event::TimedOut(timeout) => {
            common::say!("{peer} dropped: {timeout}");
            true
        }
        Event::PeerStoppedReading(stall) => {
            common::say!("{peer} dropped: {stall}");
            true
        }
        Event::ReplyFailed(error) => {
            common::say!("{peer} dropped: cannot encode the reply: {error}");
            true
        }
        other => {
            common::say!("{peer} {other}");
            other.closes()
        }
    }
}

/// What every new connection gets.
struct Shared {
    args: Args,
    config: ConnectionConfig,
    open: AtomicUsize,
}

fn accepted(shared: &Arc<Shared>, stream: TcpStream, peer: SocketAddr) {
    let open = shared.open.load(Ordering::Relaxed);
    if open >= shared.args.max_connections {
        // closed at once: the client sees the close, not a hang
        common::say!(
            "{peer} refused: {open} connections open (--max-connections {})",
            shared.args.max_connections
        );
        return;
    }
    shared.open.fetch_add(1, Ordering::Relaxed);
    common::say!("{peer} connected");
    let service = shared
        .args
        .serve
        .protocol
        .service(shared.args.serve.reply());
    let conn = Connection::new(Instant::now(), service, shared.config.clone());
    let options = Options {
        quiet: shared.args.serve.quiet,
    };
    let shared = Arc::clone(shared);
    tokio::spawn(async move {
        match serve(stream, peer, conn, options).await {
            Ok(End::PeerClosed) => common::say!("{peer} closed the connection"),
            Ok(End::Replied) => common::say!("{peer} closed after the reply (--close-after-reply)"),
            Ok(End::Dropped) => {}
            Err(e) => common::say!("{peer} dropped: {e}"),
        }
        shared.open.fetch_sub(1, Ordering::Relaxed);
    });
}

fn main() -> io::Result<()> {
    let args = Args::parse();
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(workers) = args.workers {
        runtime.worker_threads(workers.max(1));
    }
    runtime.enable_all().build()?.block_on(run(args))
}

async fn run(args: Args) -> io::Result<()> {
    // every connection is a file descriptor: lift the soft limit to the hard
    let nofile = rlimit::increase_nofile_limit(u64::MAX).map_err(io::Error::other)?;
    let listener = TcpListener::bind(args.serve.bind).await?;
    // Catch SIGTERM from now on, before anyone learns the address.
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let stop = async move {
        #[cfg(unix)]
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    };
    tokio::pin!(stop);
    let config = args.serve.config();
    // the first line is the address alone: scripts and tests read it
    common::say!("listening on {}", listener.local_addr()?);
    common::say!(
        "(TCP, protocol {}, {}, tokio, max {} connections, open-file limit {nofile}, {}{})",
        args.serve.protocol,
        args.serve.reply_banner(),
        args.max_connections,
        args.serve.timeouts_banner(),
        if args.serve.close_after_reply {
            ", close after the reply"
        } else {
            ""
        },
    );
    let shared = Arc::new(Shared {
        args,
        config,
        open: AtomicUsize::new(0),
    });
    loop {
        tokio::select! {
            accepted_now = listener.accept() => match accepted_now {
                Ok((stream, peer)) => accepted(&shared, stream, peer),
                // e.g. too many open files: log it, wait a little, go on.
                Err(e) => {
                    common::say!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            () = &mut stop => {
                common::say!("shutting down");
                return Ok(());
            }
        }
    }
}
