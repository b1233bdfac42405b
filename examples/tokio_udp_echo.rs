//! The UDP baseline for `benches/servers.sh`: the plain UDP echo a tokio
//! user would write, no sockwire in it. One socket, `recv_from` then
//! `send_to`, on a current-thread runtime.
//!
//! ```sh
//! cargo run --release --features tokio-util --example tokio_udp_echo -- --bind 127.0.0.1:5005
//! ```

use std::io::Write;
use std::net::SocketAddr;

use clap::Parser;
use tokio::net::UdpSocket;

/// Minimal tokio UDP echo (the benchmark baseline).
#[derive(Debug, Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:5005")]
    bind: SocketAddr,
}

fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let socket = UdpSocket::bind(args.bind).await?;
        // Not `println!`, which panics when stdout is gone (`| head -1`).
        let _ = writeln!(std::io::stdout(), "listening on {}", socket.local_addr()?);
        let mut buf = vec![0u8; 65_536];
        loop {
            let (n, peer) = socket.recv_from(&mut buf).await?;
            // a failed send (the peer's port closed) loses that echo only
            let _ = socket.send_to(&buf[..n], peer).await;
        }
    })
}
