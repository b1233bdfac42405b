//! The async counterpart of `tcp_selector_server`: a tokio TCP server that
//! frames each connection with a sockwire codec and answers every message.
//!
//! ```sh
//! cargo run --features tokio-util --example tokio_echo_server -- --protocol variable --reply upper
//! ```
//!
//! It prints `listening on ADDR` first, then one line per message. A
//! connection that breaks the protocol is logged and dropped; the others go
//! on. Ctrl-C or SIGTERM stops it.

use std::fmt::Display;
use std::net::SocketAddr;

use clap::{Parser, ValueEnum};
use futures_util::{SinkExt, StreamExt};
use sockwire::tokio::Error;
use sockwire::{
    FixedPacket, FixedPacketCodec, Text, TextStreamCodec, VariablePacket, VariablePacketCodec,
};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::{Decoder, Encoder, Framed};

/// Which protocol the server speaks (PROTOCOLS.md §2, §4, §5).
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Protocol {
    /// §2 raw UTF-8 text stream
    Text,
    /// §4 fixed 29-byte packets
    Fixed,
    /// §5 variable packets
    Variable,
    /// §6 application messages (JSON header), answered by the search service
    #[cfg(feature = "json")]
    App,
}

/// What the server sends back for each message.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Reply {
    /// Nothing: only log the message.
    None,
    /// The same message.
    Echo,
    /// The text stripped of surrounding ASCII whitespace and upper-cased.
    Upper,
}

/// Async TCP server for the sockwire stream protocols, on tokio.
#[derive(Debug, Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0:5005")]
    bind: SocketAddr,
    /// Protocol spoken on every connection.
    #[arg(long, value_enum, default_value_t = Protocol::Text)]
    protocol: Protocol,
    /// Reply to each message.
    #[arg(long, value_enum, default_value_t = Reply::Echo)]
    reply: Reply,
}

/// A message the server can log and answer.
trait Message: Display + Sized {
    fn reply(self, policy: Reply) -> Option<Self>;
}

impl Message for Text {
    fn reply(self, policy: Reply) -> Option<Self> {
        match policy {
            Reply::None => None,
            Reply::Echo => Some(self),
            Reply::Upper => Some(Text::from(sockwire::text::upper_reply(&self))),
        }
    }
}

impl Message for FixedPacket {
    fn reply(self, policy: Reply) -> Option<Self> {
        match policy {
            Reply::None => None,
            Reply::Echo => Some(self),
            Reply::Upper => Some(
                FixedPacket::new(self.order(), &sockwire::text::upper_reply(self.text()))
                    .with_version(self.version()),
            ),
        }
    }
}

impl Message for VariablePacket {
    fn reply(self, policy: Reply) -> Option<Self> {
        match (policy, self.text()) {
            (Reply::None, _) => None,
            (Reply::Upper, Ok(text)) => Some(
                VariablePacket::new(self.order(), sockwire::text::upper_reply(text))
                    .with_version(self.version()),
            ),
            // Echo, or upper of a payload that is not text: the same packet.
            (Reply::Echo | Reply::Upper, _) => Some(self),
        }
    }
}

/// How a received message appears in the log.
trait LogLine {
    fn log_line(&self) -> String;
}

impl<T: Message> LogLine for T {
    fn log_line(&self) -> String {
        self.to_string()
    }
}

#[cfg(feature = "json")]
impl LogLine for sockwire::app::Request {
    fn log_line(&self) -> String {
        match self {
            Self::Json { action, value } => format!("request {action:?} {value:?}"),
            Self::Binary {
                content_type,
                content,
            } => format!(
                "{content_type} request {}",
                sockwire::app::python_bytes_repr(content)
            ),
        }
    }
}

/// Serves one connection until the peer closes it or breaks the protocol:
/// logs each message and sends what `respond` makes of it.
async fn serve<C, R>(
    stream: TcpStream,
    peer: SocketAddr,
    codec: C,
    mut respond: impl FnMut(&C::Item) -> Option<R>,
) -> Result<(), Error>
where
    C: Decoder<Error = Error> + Encoder<R, Error = Error>,
    C::Item: LogLine,
{
    let mut framed = Framed::new(stream, codec);
    while let Some(message) = framed.next().await {
        let message = message?;
        println!("{peer} -> {}", message.log_line());
        if let Some(answer) = respond(&message) {
            framed.send(answer).await?;
        }
    }
    Ok(())
}

async fn handle(stream: TcpStream, peer: SocketAddr, protocol: Protocol, reply: Reply) {
    let result = match protocol {
        Protocol::Text => {
            serve(stream, peer, TextStreamCodec::new(), |m: &Text| {
                m.clone().reply(reply)
            })
            .await
        }
        Protocol::Fixed => {
            serve(stream, peer, FixedPacketCodec::new(), |m: &FixedPacket| {
                m.reply(reply)
            })
            .await
        }
        Protocol::Variable => {
            serve(
                stream,
                peer,
                VariablePacketCodec::new(),
                |m: &VariablePacket| m.clone().reply(reply),
            )
            .await
        }
        // §6: the search service answers every request; --reply is ignored.
        #[cfg(feature = "json")]
        Protocol::App => {
            let mut service = sockwire::app::SearchService::new();
            serve(stream, peer, sockwire::app::ServerCodec::new(), |request| {
                Some(service.respond(request))
            })
            .await
        }
    };
    match result {
        Ok(()) => println!("{peer} closed the connection"),
        Err(e) => println!("{peer} dropped: {e}"),
    }
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
                    tokio::spawn(handle(stream, peer, args.protocol, args.reply));
                }
                // e.g. too many open files: log it, wait a little, go on.
                Err(e) => {
                    println!("accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            },
            () = &mut stop => {
                println!("shutting down");
                return Ok(());
            }
        }
    }
}
