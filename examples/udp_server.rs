//! §1 UDP text server: prints `Message from IP:PORT -> TEXT` for each
//! datagram and answers with the chosen reply (`--reply prefix` answers
//! `ECHO: TEXT`, as the lab guide asks of its packet servers).
//!
//! ```sh
//! cargo run --example udp_server -- --bind 127.0.0.1:5005 --reply upper
//! ```

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::Ordering;
use std::time::Duration;

use clap::Parser;
use sockwire::builtin::{DatagramService, ReplyPolicy};

#[path = "common/mod.rs"]
mod common;

/// UDP text server (PROTOCOLS.md §1): one datagram, one message.
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
}

fn main() -> io::Result<()> {
    let args = Args::parse();
    let reply = args.reply.with_prefix(&args.prefix);
    let stop = common::stop_flag()?;

    let socket = UdpSocket::bind(args.bind)?;
    socket.set_read_timeout(Some(Duration::from_millis(200)))?;
    let shown = match &reply {
        ReplyPolicy::Prefix(prefix) => format!("prefix {prefix:?}"),
        other => other.to_string(),
    };
    common::say!("listening on {} (UDP, reply {shown})", socket.local_addr()?);

    let mut service = DatagramService::new(reply);
    let mut buf = vec![0u8; 65_536];
    while !stop.load(Ordering::SeqCst) {
        let (n, peer) = match socket.recv_from(&mut buf) {
            Ok(got) => got,
            Err(e) if common::is_timeout(&e) => continue,
            Err(e) => {
                common::note!("receive failed: {e}");
                continue;
            }
        };
        let handled = service.handle_datagram(&buf[..n]);
        common::say!("{}", handled.log_line(peer));
        if let Some(reply) = handled.reply {
            if let Err(e) = socket.send_to(&reply, peer) {
                common::note!("reply to {peer} failed: {e}");
            }
        }
    }
    common::say!("stopped");
    Ok(())
}
