//! §6 client: sends one request, prints the reply, closes. A
//! server that does not answer within `--timeout` seconds is reported in
//! words (and the exit status is 1).
//!
//! `search` goes as JSON, any other action as binary content (ACTION then
//! VALUE). A JSON reply prints as its result text, a binary one as Python
//! shows bytes (`b'...'`).
//!
//! ```sh
//! cargo run --example app_client -- 127.0.0.1 5005 search morpheus
//! ```

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::Duration;

use bytes::BytesMut;
use clap::Parser;
use sockwire::app::{AppRequest, AppResponse, ClientCodec};
use sockwire::{Decoder, Encoder};

#[path = "common/mod.rs"]
mod common;

/// Send one §6 application request and print the reply.
#[derive(Parser)]
#[command(name = "app_client")]
struct Args {
    /// Server host name or address.
    host: String,
    /// Server port.
    port: u16,
    /// The action: `search` is sent as JSON, anything else as binary.
    action: String,
    /// The value to search for (or to append to the action).
    value: String,
    /// Seconds to wait for the connection and the reply.
    #[arg(long, default_value_t = 10)]
    timeout: u64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(response) => {
            common::out!("{response}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            common::note!("app_client: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<AppResponse, Box<dyn std::error::Error>> {
    let timeout = Duration::from_secs(args.timeout.max(1));
    let stream = TcpStream::connect((args.host.as_str(), args.port))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let mut stream = stream;

    let mut codec = ClientCodec::new();
    let mut out = BytesMut::new();
    codec.encode(AppRequest::new(&args.action, &args.value), &mut out)?;
    stream.write_all(&out)?;

    let mut buf = BytesMut::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(response) = codec.decode(&mut buf)? {
            log_reply(&stream, &response);
            return Ok(response);
        }
        let n = match stream.read(&mut chunk) {
            Ok(n) => n,
            // the socket's read timeout passed with no reply
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Err(format!(
                    "the server did not answer within the time limit ({} s, --timeout)",
                    timeout.as_secs()
                )
                .into());
            }
            Err(e) => return Err(e.into()),
        };
        if n == 0 {
            return match codec.decode_eof(&mut buf)? {
                Some(response) => {
                    log_reply(&stream, &response);
                    Ok(response)
                }
                None => Err("server closed the connection without replying".into()),
            };
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// One line on stderr per reply: who sent it and its content type (stdout
/// gets the reply itself).
fn log_reply(stream: &TcpStream, response: &AppResponse) {
    let peer = stream
        .peer_addr()
        .map_or_else(|_| "?".to_owned(), |a| a.to_string());
    let kind = match response {
        AppResponse::Json { .. } => "text/json",
        AppResponse::Binary { content_type, .. } => content_type,
    };
    common::note!("app_client: reply from {peer}: {kind}");
}
