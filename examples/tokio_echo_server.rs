//! The async counterpart of `tcp_selector_server`: a tokio TCP server that
//! frames each connection with the protocol's service and reply policy from
//! `sockwire::builtin`, under tokio-util's `Framed`
//! (`sockwire::tokio_adapter::ServiceCodec`).
//!
//! Replies are fed, not sent: each is queued, and one flush writes all the
//! replies to the messages that already arrived, when no further message is
//! ready. TCP_NODELAY is set, so a reply is not held back by Nagle's
//! algorithm waiting for the client's next segment.
//!
//! ```sh
//! cargo run --features tokio-util --example tokio_echo_server -- --protocol variable --reply upper
//! ```
//!
//! It prints `listening on ADDR` first, then one line per message. A
//! connection that breaks the protocol is logged and dropped; the others go
//! on. Ctrl-C or SIGTERM stops it.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use futures_util::{FutureExt, SinkExt, StreamExt};
use sockwire::builtin::{Protocol, ReplyPolicy};
use sockwire::conn::Timeout;
use sockwire::tokio_adapter::{Error, ReplyTo, ServiceCodec};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::Framed;

/// Async TCP server for the sockwire stream protocols, on tokio.
#[derive(Debug, Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0:5005")]
    bind: SocketAddr,
    /// Protocol spoken on every connection: text, line, fixed, variable or
    /// app (§6, answered by the search service whatever --reply says).
    #[arg(long, default_value = "text")]
    protocol: Protocol,
    /// Reply to each message: none, echo or upper.
    #[arg(long, default_value = "echo")]
    reply: ReplyPolicy,
    /// Close a connection that delivers no whole message for this many
    /// seconds (0: never). Unlike the std servers' idle timeout, a peer
    /// dribbling a message byte by byte does not reset it.
    #[arg(long, value_name = "SECS", default_value_t = 300.0)]
    idle_timeout: f64,
}

/// Serves one connection until the peer closes it or breaks the protocol.
async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    protocol: Protocol,
    reply: ReplyPolicy,
    idle: Option<Duration>,
) -> Result<(), Error> {
    stream.set_nodelay(true)?;
    let mut framed = Framed::new(stream, ServiceCodec::new(protocol.service(reply)));
    loop {
        let next = match framed.next().now_or_never() {
            // a message that already arrived: answer it before flushing
            Some(next) => next,
            None => {
                // nothing more ready: write every queued reply at once
                framed.flush().await?;
                match idle {
                    Some(idle) => {
                        tokio::time::timeout(idle, framed.next())
                            .await
                            .map_err(|_| {
                                io::Error::new(io::ErrorKind::TimedOut, Timeout::Idle { idle })
                            })?
                    }
                    None => framed.next().await,
                }
            }
        };
        let Some(message) = next else { break };
        let message = message?;
        println!("{peer} -> {message}");
        framed.feed(ReplyTo(&message)).await?;
    }
    framed.flush().await?;
    Ok(())
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let listener = TcpListener::bind(args.bind).await?;
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
    println!("listening on {}", listener.local_addr()?);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    println!("{peer} connected");
                    let (protocol, reply) = (args.protocol, args.reply.clone());
                    let idle = (args.idle_timeout > 0.0)
                        .then(|| Duration::from_secs_f64(args.idle_timeout));
                    tokio::spawn(async move {
                        match serve(stream, peer, protocol, reply, idle).await {
                            Ok(()) => println!("{peer} closed the connection"),
                            Err(e) => println!("{peer} dropped: {e}"),
                        }
                    });
                }
                // e.g. too many open files: log it, wait a little, go on.
                Err(e) => {
                    println!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            () = &mut stop => {
                println!("shutting down");
                return Ok(());
            }
        }
    }
}
