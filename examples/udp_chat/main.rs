//! Room chat over UDP (§7): a server, or an interactive client.
//!
//! ```sh
//! cargo run --example udp_chat -- server --bind 127.0.0.1:5005
//! cargo run --example udp_chat -- client alice --server 127.0.0.1:5005
//! cargo run --example udp_chat -- server --wire lab   # the lab's wire, §8
//! ```
//!
//! All protocol logic lives in `sockwire::room`; this program only moves
//! datagrams between a `UdpSocket` and the state machines, and prints.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand, ValueEnum};
use sockwire::Transmit;
use sockwire::room::{
    ClientConfig, Command, Name, RoomClient, RoomServer, ServerConfig, ServerEvent,
};

#[path = "../common/mod.rs"]
mod common;

/// Batched datagrams for the servers.
#[path = "../common/batch.rs"]
mod batch;

/// `--wire lab`: §8.
mod lab;

/// Which room-chat wire to speak.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Wire {
    /// §7: tagged requests, replies, retransmission.
    Room,
    /// §8: the lab's original wire (no tags; chat peer to peer).
    Lab,
}

/// Room chat over UDP: a central server with an address book and rooms,
/// or an interactive client.
#[derive(Parser)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Subcommand)]
enum Mode {
    /// Run the room server; logs one line per datagram.
    Server {
        /// Address to listen on.
        #[arg(long, default_value = "0.0.0.0:5005")]
        bind: SocketAddr,
        /// The wire: room (§7) or lab (§8, the lab's original programs).
        #[arg(long, value_enum, default_value = "room")]
        wire: Wire,
        #[command(flatten)]
        opts: ServeOpts,
    },
    /// Run an interactive client: type $userlist, $roomlist,
    /// $roomcreate NAME, $roomjoin NAME, $roomleave, $poke USER, $kick,
    /// $msg USER TEXT, $quit; any other line is said in your room.
    Client {
        /// Your user name (1 to 32 of A-Z a-z 0-9 _ -).
        user: String,
        /// The server's address.
        #[arg(long, default_value = "127.0.0.1:5005")]
        server: SocketAddr,
        /// The wire: room (§7) or lab (§8, the lab's original programs).
        #[arg(long, value_enum, default_value = "room")]
        wire: Wire,
    },
}

/// How a server moves datagrams, what it logs and how many it holds.
#[derive(clap::Args)]
struct ServeOpts {
    /// One datagram per system call (no recvmmsg, sendmmsg, GSO or GRO).
    #[arg(long, env = "SOCKWIRE_NO_BATCH", value_parser = clap::builder::BoolishValueParser::new())]
    no_batch: bool,
    /// Log only what was refused, dropped, expired or given up, not every
    /// request and acknowledgement.
    #[arg(long)]
    quiet: bool,
    /// Most registered users (default: the library's).
    #[arg(long, value_name = "N")]
    max_users: Option<usize>,
    /// Most members of one room (default: the library's).
    #[arg(long, value_name = "N")]
    max_members: Option<usize>,
}

/// Longest wait on the socket before checking the clock, stdin and Ctrl-C.
const TICK: Duration = Duration::from_millis(100);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let stop = common::stop_flag()?;
    match Cli::parse().mode {
        Mode::Server { bind, wire, opts } => match wire {
            Wire::Room => serve(bind, &opts, &stop),
            Wire::Lab => lab::serve(bind, &opts, &stop),
        },
        Mode::Client { user, server, wire } => match wire {
            Wire::Room => chat(&user, server, &stop),
            Wire::Lab => lab::chat(&user, server, &stop),
        },
    }
}

/// Waits for a datagram until `deadline` (at most one tick).
fn receive(
    socket: &UdpSocket,
    buf: &mut [u8],
    deadline: Option<Instant>,
) -> io::Result<Option<(usize, SocketAddr)>> {
    let wait = deadline
        .map_or(TICK, |d| d.saturating_duration_since(Instant::now()))
        .clamp(Duration::from_millis(1), TICK);
    socket.set_read_timeout(Some(wait))?;
    match socket.recv_from(buf) {
        Ok(got) => Ok(Some(got)),
        Err(e) if common::is_timeout(&e) => Ok(None),
        // e.g. an ICMP port unreachable from an earlier send
        Err(e) if e.kind() == io::ErrorKind::ConnectionReset => Ok(None),
        Err(e) => Err(e),
    }
}

fn send(socket: &UdpSocket, t: &Transmit) {
    if let Err(e) = socket.send_to(&t.payload, t.destination) {
        common::note!("send to {} failed: {e}", t.destination);
    }
}

/// How long a server waits on its socket: until `deadline`, at most a tick.
fn server_wait(deadline: Option<Instant>) -> Duration {
    deadline
        .map_or(TICK, |d| d.saturating_duration_since(Instant::now()))
        .clamp(Duration::from_millis(1), TICK)
}

/// Takes in a batch of datagrams (or none, after a wait of at most a tick);
/// an ICMP error from an earlier send is not the server's failure.
fn serve_batch(
    socket: &mut batch::BatchSocket,
    wait: Duration,
    each: impl FnMut(SocketAddr, &[u8]),
) -> io::Result<()> {
    match socket.recv(wait, each) {
        Err(e) if e.kind() == io::ErrorKind::ConnectionReset => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => Ok(()),
        other => other.map(drop),
    }
}

fn serve(
    bind: SocketAddr,
    opts: &ServeOpts,
    stop: &AtomicBool,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut socket = batch::BatchSocket::new(UdpSocket::bind(bind)?, !opts.no_batch)?
        .with_buffers(batch::SERVER_BUFFERS)?;
    common::say!("room server listening on {}", socket.socket().local_addr()?);
    // a line of its own: the banner ends with the address
    common::say!("datagrams: {}", socket.describe());
    let mut config = ServerConfig::default();
    config.max_users = opts.max_users.unwrap_or(config.max_users);
    config.max_members = opts.max_members.unwrap_or(config.max_members);
    let mut server = RoomServer::new(config);
    let log = |event: ServerEvent| {
        let routine = matches!(
            event,
            ServerEvent::Handled { .. }
                | ServerEvent::Retransmitted { .. }
                | ServerEvent::Acked { .. }
        );
        if !(opts.quiet && routine) {
            common::say!("{event}");
        }
    };
    while !stop.load(Ordering::SeqCst) {
        let now = Instant::now();
        serve_batch(
            &mut socket,
            server_wait(server.poll_timeout()),
            |from, datagram| {
                server.handle_datagram(now, from, datagram);
                // logged as they come: the event queue is bounded
                while let Some(event) = server.poll_event() {
                    log(event);
                }
            },
        )?;
        if server.poll_timeout().is_some_and(|t| t <= Instant::now()) {
            server.handle_timeout(Instant::now());
        }
        while let Some(event) = server.poll_event() {
            log(event);
        }
        while let Some(t) = server.poll_transmit() {
            socket.queue(t.destination, &t.payload);
        }
        socket.flush(|to, e| common::note!("send to {to} failed: {e}"));
    }
    common::say!("room server stopped");
    Ok(())
}

fn chat(
    user: &str,
    server_addr: SocketAddr,
    stop: &AtomicBool,
) -> Result<(), Box<dyn std::error::Error>> {
    let user = Name::new(user)?;
    let socket = UdpSocket::bind(common::any_addr_for(server_addr))?;
    let lines = common::stdin_lines();
    let mut client = RoomClient::new(
        Instant::now(),
        server_addr,
        user.clone(),
        ClientConfig::default(),
    );
    common::say!(
        "{user} on {server_addr}, from {} ($quit to leave)",
        socket.local_addr()?
    );
    let mut buf = vec![0; 65_536];
    // one turn: input (datagram, typed lines), timers, events, output
    let mut quitting = false;
    while !client.is_closed() {
        if stop.load(Ordering::SeqCst) && !quitting {
            quitting = true;
            let _ = client.command(Instant::now(), Command::Quit);
        }
        if let Some((n, from)) = receive(&socket, &mut buf, client.poll_timeout())? {
            client.handle_datagram(Instant::now(), from, &buf[..n]);
        }
        while let Ok(line) = lines.try_recv() {
            match line {
                Some(line) => {
                    if let Err(e) = client.handle_line(Instant::now(), &line) {
                        common::say!("error: {e}");
                    }
                }
                // end of input: leave as $quit does (if not already leaving)
                None => {
                    let _ = client.command(Instant::now(), Command::Quit);
                }
            }
        }
        if client.poll_timeout().is_some_and(|t| t <= Instant::now()) {
            client.handle_timeout(Instant::now());
        }
        while let Some(event) = client.poll_event() {
            common::say!("{event}");
        }
        while let Some(t) = client.poll_transmit() {
            send(&socket, &t);
        }
    }
    Ok(())
}
