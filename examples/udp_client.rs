//! §1 UDP text client: sends each non-empty line of stdin as one datagram
//! and prints any reply that comes within 1 s. An empty line sends nothing,
//! as the lab's `clientUDP.py` does.
//!
//! ```sh
//! echo hello | cargo run --example udp_client -- --server 127.0.0.1:5005
//! ```

use std::io::{self, BufRead};
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use clap::Parser;
use sockwire::dump::lossy;

#[path = "common/mod.rs"]
mod common;

/// UDP text client (§1).
#[derive(Parser)]
struct Args {
    /// The server's address.
    #[arg(long, default_value = "127.0.0.1:5005")]
    server: SocketAddr,
}

const WAIT: Duration = Duration::from_secs(1);

fn main() -> io::Result<()> {
    let args = Args::parse();
    let socket = UdpSocket::bind(common::any_addr_for(args.server))?;
    common::out!("sending to {} from {}", args.server, socket.local_addr()?);
    let mut buf = vec![0u8; 65_536];
    for line in io::stdin().lock().lines() {
        let line = line?;
        let text = line.strip_suffix('\r').unwrap_or(&line);
        if text.is_empty() {
            continue;
        }
        socket.send_to(text.as_bytes(), args.server)?;
        let deadline = Instant::now() + WAIT;
        loop {
            if Instant::now() >= deadline {
                common::out!("no reply within 1 s");
                break;
            }
            socket.set_read_timeout(sockwire::timeout_from(Instant::now(), Some(deadline)))?;
            match socket.recv_from(&mut buf) {
                Ok((n, from)) if from == args.server => {
                    common::out!("Reply from {from} -> {}", lossy(&buf[..n]));
                    break;
                }
                Ok(_) => {} // not from the server: ignored
                Err(e) if common::is_timeout(&e) => {}
                // an ICMP "port unreachable" from a previous send
                Err(e) => {
                    common::out!("no reply: {e}");
                    break;
                }
            }
        }
    }
    Ok(())
}
