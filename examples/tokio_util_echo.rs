//! The baseline for `benches/servers.sh`: the smallest §5 echo server a
//! tokio user would write with tokio-util alone, no sockwire in it.
//!
//! `LengthDelimitedCodec` reads the §5 header as a length field (the `size`
//! at offset 1, 4 bytes, big-endian) and keeps the whole 9-byte header in
//! each frame, so every frame is a whole packet, written back unchanged
//! with `BytesCodec` (the length-delimited encoder would add a second
//! header). One worker thread, `FramedRead` forwarded into `FramedWrite`
//! with `forward`, which flushes once per batch of ready frames.
//!
//! ```sh
//! cargo run --release --features tokio-util --example tokio_util_echo -- --bind 127.0.0.1:5005
//! ```

use std::io::Write;
use std::net::SocketAddr;

use clap::Parser;
use futures_util::StreamExt;
use tokio::net::TcpListener;
use tokio_util::codec::{BytesCodec, FramedRead, FramedWrite, LengthDelimitedCodec};

/// Minimal tokio-util echo for §5 variable packets (the benchmark baseline).
#[derive(Debug, Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:5005")]
    bind: SocketAddr,
}

/// The §5 framing, as `LengthDelimitedCodec` settings.
fn variable_packet_codec() -> LengthDelimitedCodec {
    LengthDelimitedCodec::builder()
        .length_field_offset(1)
        .length_field_length(4)
        .length_adjustment(9)
        .num_skip(0)
        .max_frame_length(1024 * 1024 + 9)
        .new_codec()
}

fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(args.bind).await?;
        // Not `println!`, which panics when stdout is gone (`| head -1`):
        // a server goes on serving without its log.
        let _ = writeln!(std::io::stdout(), "listening on {}", listener.local_addr()?);
        loop {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            tokio::spawn(async move {
                let (read, write) = stream.into_split();
                let frames = FramedRead::new(read, variable_packet_codec())
                    .map(|frame| frame.map(|bytes| bytes.freeze()));
                // The frames already hold their header: write them as they are.
                let sink = FramedWrite::new(write, BytesCodec::new());
                // The peer closing or breaking the framing ends this one.
                let _ = frames.forward(sink).await;
            });
        }
    })
}
