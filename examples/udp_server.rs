//! §1 UDP text server: prints `Message from IP:PORT -> TEXT` for each
//! datagram and answers with the chosen reply (`--reply prefix` answers
//! `ECHO: TEXT`, as the lab guide asks of its packet servers).
//!
//! Datagrams are received and sent in batches (`recvmmsg` with GRO,
//! `sendmmsg`, GSO for replies of one size to one client; see
//! `common/batch.rs`); `--no-batch` moves one datagram per system call.
//! `--quiet` logs only dropped datagrams and failures, as the TCP servers'
//! `--quiet` logs all but the messages.
//!
//! ```sh
//! cargo run --example udp_server -- --bind 127.0.0.1:5005 --reply upper
//! ```

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::Ordering;
use std::time::Duration;

use batch::BatchSocket;

use clap::Parser;
use sockwire::builtin::{DatagramService, ReplyPolicy};

#[path = "common/mod.rs"]
mod common;

#[path = "common/batch.rs"]
mod batch;

/// UDP text server (§1): one datagram, one message.
#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0:5005")]
    bind: SocketAddr,
    /// What to send back: nothing, the same bytes, the text stripped and
    /// upper-cased, or --prefix then the same bytes.
    #[arg(long, default_value = "echo", value_parser = common::names::<ReplyPolicy>(ReplyPolicy::NAMES))]
    reply: ReplyPolicy,
    /// The text `--reply prefix` puts before each message.
    #[arg(long, value_name = "TEXT", default_value = ReplyPolicy::DEFAULT_PREFIX)]
    prefix: String,
    /// Log only dropped datagrams and failures, not every message.
    #[arg(long)]
    quiet: bool,
    /// One datagram per system call (no recvmmsg, sendmmsg, GSO or GRO).
    #[arg(long, env = "SOCKWIRE_NO_BATCH", value_parser = clap::builder::BoolishValueParser::new())]
    no_batch: bool,
}

/// Longest wait for a datagram before looking at Ctrl-C again.
const TICK: Duration = Duration::from_millis(200);

fn main() -> io::Result<()> {
    let args = Args::parse();
    let reply = args.reply.with_prefix(&args.prefix);
    let stop = common::stop_flag()?;

    let mut socket = BatchSocket::new(UdpSocket::bind(args.bind)?, !args.no_batch)?
        .with_buffers(batch::SERVER_BUFFERS)?;
    let shown = match &reply {
        ReplyPolicy::Prefix(prefix) => format!("prefix {prefix:?}"),
        other => other.to_string(),
    };
    common::say!(
        "listening on {} (UDP, reply {shown}; {})",
        socket.socket().local_addr()?,
        socket.describe()
    );

    let mut service = DatagramService::new(reply);
    while !stop.load(Ordering::SeqCst) {
        let mut replies = Vec::new();
        let received = socket.recv(TICK, |peer, datagram| {
            let handled = service.handle_datagram(datagram);
            if !args.quiet || handled.received.is_err() {
                common::say!("{}", handled.log_line(peer));
            }
            if let Some(reply) = handled.reply {
                replies.push((peer, reply));
            }
        });
        if let Err(e) = received {
            common::note!("receive failed: {e}");
            continue;
        }
        for (peer, reply) in &replies {
            socket.queue(*peer, reply);
        }
        socket.flush(|peer, e| common::note!("reply to {peer} failed: {e}"));
    }
    common::say!("stopped");
    Ok(())
}
