//! The codecs under tokio-util's `Framed` and `UdpFramed`, on real loopback
//! sockets, and the `tokio_echo_server` example end to end.
#![cfg(feature = "tokio-util")]

mod common {
    pub mod examples;
}

use std::future::Future;
use std::io::{Read, Write};
use std::net::SocketAddr;

use common::examples::{LIMIT, Proc, connect};
use futures_util::{SinkExt, StreamExt};
use sockwire::Recoverable;
use sockwire::tokio_adapter::{Error, TokioCodec, TokioDatagramCodec};
use sockwire::{
    DecodeError, EncodeError, FixedPacket, FixedPacketCodec, LineCodec, Text, TextDatagramCodec,
    TextStreamCodec, VariablePacket, VariablePacketCodec,
};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::time::timeout;
use tokio_util::codec::{Framed, FramedRead, FramedWrite};
use tokio_util::udp::UdpFramed;

/// Runs `f`, failing the test if it takes longer than [`LIMIT`].
async fn within<F: Future>(f: F) -> F::Output {
    timeout(LIMIT, f).await.expect("timed out")
}

/// Two ends of a fresh loopback TCP connection: (client, server).
async fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (client, accepted) = tokio::join!(TcpStream::connect(addr), listener.accept());
    (client.unwrap(), accepted.unwrap().0)
}

/// The decode error inside a stream item, or a panic.
fn decode_err<T: std::fmt::Debug>(item: Option<Result<T, Error>>) -> DecodeError {
    match item {
        Some(Err(Error::Decode(e))) => e,
        other => panic!("expected a decode error, got {other:?}"),
    }
}

/// The message inside a stream item, or a panic.
fn ok<T: std::fmt::Debug>(item: Option<Result<T, Error>>) -> T {
    match item {
        Some(Ok(message)) => message,
        other => panic!("expected a message, got {other:?}"),
    }
}

// ---------------------------------------------------------------- text §2

#[tokio::test]
async fn text_stream_echoes_hello_world() {
    within(async {
        let (client, server) = pair().await;
        let server = tokio::spawn(async move {
            let mut framed = Framed::new(server, TokioCodec::new(TextStreamCodec::new()));
            while let Some(text) = framed.next().await {
                let text = text.unwrap();
                framed.send(text).await.unwrap();
            }
        });
        let mut framed = Framed::new(client, TokioCodec::new(TextStreamCodec::new()));
        framed.send("Hello, world").await.unwrap();
        let mut echoed = String::new();
        while echoed.len() < 12 {
            echoed.push_str(&ok(framed.next().await));
        }
        assert_eq!(echoed, "Hello, world");
        drop(framed);
        server.await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn text_stream_holds_a_split_character_and_keeps_every_byte() {
    within(async {
        let (mut client, server) = pair().await;
        let mut framed = Framed::new(server, TokioCodec::new(TextStreamCodec::new()));
        // 'ã' is c3 a3: cut it between two writes.
        client.write_all(b"n\xc3").await.unwrap();
        assert_eq!(ok(framed.next().await), "n");
        client.write_all(b"\xa3o").await.unwrap();
        assert_eq!(ok(framed.next().await), "ão");
        client.shutdown().await.unwrap();
        assert!(framed.next().await.is_none());
    })
    .await;
}

#[tokio::test]
async fn text_stream_reports_invalid_utf8_then_goes_on() {
    within(async {
        let (mut client, server) = pair().await;
        let mut framed = Framed::new(server, TokioCodec::new(TextStreamCodec::new()));
        client.write_all(b"ok\xffgo").await.unwrap();
        client.shutdown().await.unwrap();
        let mut texts = String::new();
        let mut errors = Vec::new();
        // Framed answers None once after an error; polling again goes on.
        for _ in 0..8 {
            match framed.next().await {
                Some(Ok(text)) => texts.push_str(&text),
                Some(Err(e)) => errors.push(e.as_decode().cloned()),
                None if texts.len() == 4 => break,
                None => {}
            }
        }
        assert_eq!(texts, "okgo");
        assert_eq!(errors, [Some(DecodeError::InvalidUtf8 { offset: 2 })]);
    })
    .await;
}

#[tokio::test]
async fn text_stream_eof_inside_a_character_is_an_error() {
    within(async {
        let (mut client, server) = pair().await;
        let mut framed = Framed::new(server, TokioCodec::new(TextStreamCodec::new()));
        client.write_all(b"ab\xe2\x82").await.unwrap(); // half a '€'
        client.shutdown().await.unwrap();
        let mut item = framed.next().await;
        if matches!(item, Some(Ok(ref t)) if t == "ab") {
            item = framed.next().await;
        }
        assert_eq!(
            decode_err(item),
            DecodeError::UnexpectedEof { pending: 2 },
            "the held half character is reported at end of stream"
        );
    })
    .await;
}

// ---------------------------------------------------------------- line §3

#[tokio::test]
async fn lines_round_trip_many_messages() {
    within(async {
        let (client, server) = pair().await;
        let server = tokio::spawn(async move {
            let mut framed = Framed::new(server, TokioCodec::new(LineCodec::new()));
            while let Some(line) = framed.next().await {
                let line = line.unwrap();
                framed.send(line).await.unwrap();
            }
        });
        let (read, write) = client.into_split();
        let mut stream = FramedRead::new(read, TokioCodec::new(LineCodec::new()));
        let mut sink = FramedWrite::new(write, TokioCodec::new(LineCodec::new()));
        let writer = tokio::spawn(async move {
            for i in 0..1000 {
                sink.feed(format!("line {i} ação").as_str()).await.unwrap();
            }
            SinkExt::<&str>::flush(&mut sink).await.unwrap();
            sink
        });
        for i in 0..1000 {
            assert_eq!(ok(stream.next().await), format!("line {i} ação").as_str());
        }
        drop((writer.await.unwrap(), stream));
        server.await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn lines_wire_bytes_are_the_chat_format() {
    within(async {
        let (client, mut server) = pair().await;
        let mut framed = Framed::new(client, TokioCodec::new(LineCodec::new()));
        framed.send("hello").await.unwrap();
        drop(framed);
        let mut wire = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut server, &mut wire)
            .await
            .unwrap();
        assert_eq!(wire, b"hello\n");
    })
    .await;
}

#[tokio::test]
async fn line_too_long_then_recovery() {
    within(async {
        let (mut client, server) = pair().await;
        let mut framed = Framed::new(server, TokioCodec::new(LineCodec::with_max_len(8)));
        client.write_all(b"short\n").await.unwrap();
        client.write_all(&[b'x'; 100]).await.unwrap();
        client.write_all(b"\nok\r\n").await.unwrap();
        assert_eq!(ok(framed.next().await), "short");
        assert_eq!(
            decode_err(framed.next().await),
            DecodeError::LineTooLong { max: 8 }
        );
        // tokio-util's Framed ends the stream once after a decoder error.
        assert!(framed.next().await.is_none());
        // Polling again goes on; what was buffered comes with the next read.
        client.write_all(b"later\n").await.unwrap();
        assert_eq!(ok(framed.next().await), "ok");
        assert_eq!(ok(framed.next().await), "later");
        // An unterminated last line is a line at end of stream.
        client.write_all(b"last").await.unwrap();
        client.shutdown().await.unwrap();
        assert_eq!(ok(framed.next().await), "last");
        assert!(framed.next().await.is_none());
    })
    .await;
}

#[tokio::test]
async fn line_with_invalid_utf8_is_dropped_alone() {
    within(async {
        let (mut client, server) = pair().await;
        let mut framed = Framed::new(server, TokioCodec::new(LineCodec::new()));
        client.write_all(b"a\xffb\nfine\n").await.unwrap();
        client.shutdown().await.unwrap();
        assert_eq!(
            decode_err(framed.next().await),
            DecodeError::InvalidUtf8 { offset: 1 }
        );
        assert!(framed.next().await.is_none());
        assert_eq!(ok(framed.next().await), "fine");
        assert!(framed.next().await.is_none());
    })
    .await;
}

#[tokio::test]
async fn line_encode_error_writes_nothing() {
    within(async {
        let (client, server) = pair().await;
        let mut framed = Framed::new(client, TokioCodec::new(LineCodec::new()));
        match framed.send("two\nlines").await {
            Err(Error::Encode(EncodeError::NewlineInLine { offset: 3 })) => {}
            other => panic!("expected NewlineInLine, got {other:?}"),
        }
        framed.send("one line").await.unwrap();
        drop(framed);
        let mut reader = Framed::new(server, TokioCodec::new(LineCodec::new()));
        assert_eq!(ok(reader.next().await), "one line");
        assert!(reader.next().await.is_none());
    })
    .await;
}

// ---------------------------------------------------------------- fixed §4

#[tokio::test]
async fn fixed_packets_round_trip_many_messages() {
    within(async {
        let (client, server) = pair().await;
        let server = tokio::spawn(async move {
            let mut framed = Framed::new(server, TokioCodec::new(FixedPacketCodec::new()));
            while let Some(packet) = framed.next().await {
                let packet = packet.unwrap();
                framed.send(packet).await.unwrap();
            }
        });
        let (read, write) = client.into_split();
        let mut stream = FramedRead::new(read, TokioCodec::new(FixedPacketCodec::new()));
        let mut sink = FramedWrite::new(write, TokioCodec::new(FixedPacketCodec::new()));
        let sent: Vec<FixedPacket> = (1..=500)
            .map(|i| FixedPacket::new(i, &format!("pacote nº {i} with a long tail")))
            .collect();
        let to_send = sent.clone();
        let writer = tokio::spawn(async move {
            for packet in &to_send {
                sink.feed(packet).await.unwrap();
            }
            SinkExt::<&FixedPacket>::flush(&mut sink).await.unwrap();
            sink
        });
        for packet in &sent {
            let back = ok(stream.next().await);
            assert_eq!(&back, packet);
            assert_eq!(back.to_bytes(), packet.to_bytes());
            assert!(back.is_truncated());
        }
        drop((writer.await.unwrap(), stream));
        server.await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn fixed_packet_eof_mid_frame() {
    within(async {
        let (mut client, server) = pair().await;
        let mut framed = Framed::new(server, TokioCodec::new(FixedPacketCodec::new()));
        let packet = FixedPacket::new(1, "hi").to_bytes();
        client.write_all(&packet).await.unwrap();
        client.write_all(&packet[..10]).await.unwrap();
        client.shutdown().await.unwrap();
        assert_eq!(ok(framed.next().await).text(), "hi");
        assert_eq!(
            decode_err(framed.next().await),
            DecodeError::UnexpectedEof { pending: 10 }
        );
        assert!(framed.next().await.is_none());
    })
    .await;
}

// ---------------------------------------------------------------- variable §5

#[tokio::test]
async fn variable_packets_round_trip_many_messages_and_a_large_one() {
    within(async {
        let (client, server) = pair().await;
        let server = tokio::spawn(async move {
            let mut framed = Framed::new(server, TokioCodec::new(VariablePacketCodec::new()));
            while let Some(packet) = framed.next().await {
                let packet = packet.unwrap();
                framed.send(&packet).await.unwrap();
            }
        });
        let (read, write) = client.into_split();
        let mut stream = FramedRead::new(read, TokioCodec::new(VariablePacketCodec::new()));
        let mut sink = FramedWrite::new(write, TokioCodec::new(VariablePacketCodec::new()));
        let mut sent: Vec<VariablePacket> = (1..=500)
            .map(|i| VariablePacket::new(i, &format!("message {i}: {}", "é".repeat(i as usize))))
            .collect();
        sent.push(VariablePacket::from_payload(501, vec![0xa5; 1024 * 1024]));
        sent.push(VariablePacket::new(502, ""));
        let to_send = sent.clone();
        let writer = tokio::spawn(async move {
            for packet in to_send {
                sink.feed(packet).await.unwrap();
            }
            SinkExt::<VariablePacket>::flush(&mut sink).await.unwrap();
            sink
        });
        for packet in &sent {
            assert_eq!(&ok(stream.next().await), packet);
        }
        drop((writer.await.unwrap(), stream));
        server.await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn variable_oversize_packet_is_skipped_and_the_next_one_arrives() {
    within(async {
        let (mut client, server) = pair().await;
        let mut framed = Framed::new(
            server,
            TokioCodec::new(VariablePacketCodec::with_max_len(16)),
        );
        // A 100-byte packet, over the limit, then a good one.
        client
            .write_all(b"\x01\x00\x00\x00\x64\x00\x00\x00\x01")
            .await
            .unwrap();
        client.write_all(&[b'x'; 100]).await.unwrap();
        client
            .write_all(b"\x01\x00\x00\x00\x05\x00\x00\x00\x02hello")
            .await
            .unwrap();
        client.shutdown().await.unwrap();
        assert_eq!(
            decode_err(framed.next().await),
            DecodeError::FrameTooLarge { size: 100, max: 16 }
        );
        assert!(framed.next().await.is_none());
        let packet = ok(framed.next().await);
        assert_eq!((packet.order(), packet.text().unwrap()), (2, "hello"));
        assert!(framed.next().await.is_none());
    })
    .await;
}

#[tokio::test]
async fn variable_eof_mid_frame() {
    within(async {
        let (mut client, server) = pair().await;
        let mut framed = Framed::new(server, TokioCodec::new(VariablePacketCodec::new()));
        client
            .write_all(b"\x01\x00\x00\x00\x05\x00\x00\x00\x01he")
            .await
            .unwrap();
        client.shutdown().await.unwrap();
        assert_eq!(
            decode_err(framed.next().await),
            DecodeError::UnexpectedEof { pending: 11 }
        );
        assert!(framed.next().await.is_none());
    })
    .await;
}

#[tokio::test]
async fn variable_encode_over_the_limit_writes_nothing() {
    within(async {
        let (client, server) = pair().await;
        let mut framed = Framed::new(
            client,
            TokioCodec::new(VariablePacketCodec::with_max_len(4)),
        );
        match framed.send(VariablePacket::new(1, "too long")).await {
            Err(e @ Error::Encode(EncodeError::TooLarge { size: 8, max: 4 })) => {
                assert!(e.is_recoverable());
            }
            other => panic!("expected TooLarge, got {other:?}"),
        }
        framed.send(VariablePacket::new(2, "ok")).await.unwrap();
        drop(framed);
        let mut reader = Framed::new(server, TokioCodec::new(VariablePacketCodec::new()));
        assert_eq!(ok(reader.next().await), VariablePacket::new(2, "ok"));
        assert!(reader.next().await.is_none());
    })
    .await;
}

// ---------------------------------------------------------------- app §6

#[cfg(feature = "json")]
#[tokio::test]
async fn app_requests_and_replies_over_framed() {
    use sockwire::app::{AppRequest, AppResponse, ClientCodec, ServerCodec};
    use sockwire::builtin::SearchService;
    within(async {
        let (client, server) = pair().await;
        let server = tokio::spawn(async move {
            let mut framed = Framed::new(server, TokioCodec::new(ServerCodec::new()));
            let mut service = SearchService::new();
            while let Some(request) = framed.next().await {
                let reply = service.respond(&request.unwrap());
                framed.send(reply).await.unwrap();
            }
        });
        let mut framed = Framed::new(client, TokioCodec::new(ClientCodec::new()));
        framed.send(AppRequest::new("search", "🐶")).await.unwrap();
        assert_eq!(
            ok(framed.next().await),
            AppResponse::json("🐾 Playing ball! 🏐")
        );
        framed.send(AppRequest::new("search", "neo")).await.unwrap();
        assert_eq!(
            ok(framed.next().await),
            AppResponse::json("No match for 'neo'.")
        );
        drop(framed);
        server.await.unwrap();
    })
    .await;
}

#[cfg(feature = "json")]
#[tokio::test]
async fn app_malformed_header_is_an_unrecoverable_decode_error() {
    use sockwire::app::AppCodec;
    within(async {
        let (mut client, server) = pair().await;
        let mut framed = Framed::new(server, TokioCodec::new(AppCodec::new()));
        client.write_all(b"\x00\x02{}").await.unwrap();
        match framed.next().await {
            Some(Err(e @ Error::Decode(DecodeError::InvalidHeader(_)))) => {
                assert!(!e.is_recoverable());
            }
            other => panic!("expected InvalidHeader, got {other:?}"),
        }
    })
    .await;
}

// ---------------------------------------------------------------- conn services

#[tokio::test]
async fn service_codec_replies_by_the_policy_and_none_writes_nothing() {
    use sockwire::builtin::{Message, Protocol, ReplyPolicy as Reply};
    use sockwire::tokio_adapter::{ReplyTo, ServiceCodec};
    within(async {
        for (reply, expected) in [
            (Reply::Echo, &b"stra\xc3\x9fe\n"[..]),
            (Reply::Upper, b"STRASSE\n"),
            (Reply::None, b""),
        ] {
            let (mut client, server) = pair().await;
            let policy = reply.to_string();
            let server = tokio::spawn(async move {
                let service = Protocol::Line.service(reply.clone());
                let mut framed = Framed::new(server, ServiceCodec::new(service));
                let mut seen = Vec::new();
                while let Some(message) = framed.next().await {
                    let message = message.unwrap();
                    framed.send(ReplyTo(&message)).await.unwrap();
                    seen.push(message);
                }
                seen
            });
            client.write_all("straße\n".as_bytes()).await.unwrap();
            client.shutdown().await.unwrap();
            let mut back = Vec::new();
            tokio::io::AsyncReadExt::read_to_end(&mut client, &mut back)
                .await
                .unwrap();
            assert_eq!(back, expected, "{policy}");
            let seen = server.await.unwrap();
            assert_eq!(seen, [Message::Line(Text::from("straße"))]);
        }
    })
    .await;
}

#[tokio::test]
async fn service_codec_reports_decode_errors() {
    use sockwire::builtin::{Protocol, ReplyPolicy as Reply};
    use sockwire::tokio_adapter::ServiceCodec;
    within(async {
        let (mut client, server) = pair().await;
        let mut framed = Framed::new(
            server,
            ServiceCodec::new(Protocol::Fixed.service(Reply::Echo)),
        );
        client.write_all(&[1u8; 30]).await.unwrap();
        client.shutdown().await.unwrap();
        assert!(matches!(framed.next().await, Some(Ok(_))));
        assert_eq!(
            decode_err(framed.next().await),
            DecodeError::UnexpectedEof { pending: 1 }
        );
    })
    .await;
}

// ---------------------------------------------------------------- any split

/// Decodes `wire` with `codec` through `FramedRead`, one byte per read.
async fn one_byte_reads<C>(wire: &[u8], codec: C) -> Vec<Result<C::Item, String>>
where
    C: sockwire::Decoder<Error = DecodeError>,
{
    let (mut tx, rx) = tokio::io::duplex(1);
    let wire = wire.to_vec();
    let writer = tokio::spawn(async move { tx.write_all(&wire).await });
    let mut framed = FramedRead::new(rx, TokioCodec::new(codec));
    let mut out = Vec::new();
    // Go on after errors: Framed ends the stream once after each.
    let mut nones = 0;
    while nones < 2 {
        match framed.next().await {
            Some(item) => {
                nones = 0;
                out.push(item.map_err(|e| e.to_string()));
            }
            None => nones += 1,
        }
    }
    writer.await.unwrap().unwrap();
    out
}

#[tokio::test]
async fn one_byte_reads_give_the_same_messages_and_errors() {
    within(async {
        let lines = one_byte_reads(
            b"one\r\ntoo long line\nt\xc3\xa9\n\xff\nlast",
            LineCodec::with_max_len(8),
        )
        .await;
        assert_eq!(
            lines,
            [
                Ok(Text::from("one")),
                Err("line longer than the limit of 8 bytes".to_string()),
                Ok(Text::from("té")),
                Err("invalid UTF-8 at byte offset 23".to_string()),
                Ok(Text::from("last")),
            ]
        );

        let mut wire = FixedPacket::new(1, "ação").to_bytes().to_vec();
        wire.extend_from_slice(&FixedPacket::new(2, "b").to_bytes());
        wire.extend_from_slice(b"\x01\x00");
        let fixed = one_byte_reads(&wire, FixedPacketCodec::new()).await;
        assert_eq!(
            fixed,
            [
                Ok(FixedPacket::new(1, "ação")),
                Ok(FixedPacket::new(2, "b")),
                Err("stream ended inside a message (2 bytes of it were received)".to_string()),
            ]
        );

        let wire =
            b"\x01\x00\x00\x00\x09\x00\x00\x00\x01too large\x01\x00\x00\x00\x02\x00\x00\x00\x02ok";
        let variable = one_byte_reads(wire, VariablePacketCodec::with_max_len(4)).await;
        assert_eq!(
            variable,
            [
                Err("frame of 9 bytes exceeds the limit of 4 bytes".to_string()),
                Ok(VariablePacket::new(2, "ok")),
            ]
        );

        let text = one_byte_reads("€uro".as_bytes(), TextStreamCodec::new()).await;
        let text: Vec<_> = text.into_iter().map(Result::unwrap).collect();
        // Never half a character, whatever the reads.
        assert_eq!(text.concat(), "€uro");
        assert_eq!(text.first().map(|t| t.as_str()), Some("€"));
    })
    .await;
}

#[test]
fn errors_convert_to_io_errors_with_a_kind() {
    use std::io::ErrorKind;
    let decode = std::io::Error::from(Error::<DecodeError>::Decode(DecodeError::LineTooLong {
        max: 1,
    }));
    assert_eq!(decode.kind(), ErrorKind::InvalidData);
    assert_eq!(decode.to_string(), "line longer than the limit of 1 bytes");
    let encode = std::io::Error::from(Error::<DecodeError>::Encode(EncodeError::NewlineInLine {
        offset: 0,
    }));
    assert_eq!(encode.kind(), ErrorKind::InvalidInput);
    let io = std::io::Error::from(Error::<DecodeError>::from(std::io::Error::from(
        ErrorKind::ConnectionReset,
    )));
    assert_eq!(io.kind(), ErrorKind::ConnectionReset);
    assert!(
        !Error::<DecodeError>::Decode(DecodeError::UnexpectedEof { pending: 1 }).is_recoverable()
    );
    assert_eq!(
        Error::<DecodeError>::Decode(DecodeError::UnexpectedEof { pending: 1 }).as_decode(),
        Some(&DecodeError::UnexpectedEof { pending: 1 })
    );
}

// ---------------------------------------------------------------- datagrams §1

async fn udp_pair() -> (UdpSocket, UdpSocket, SocketAddr, SocketAddr) {
    let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
    (a, b, a_addr, b_addr)
}

#[tokio::test]
async fn datagrams_invalid_then_valid_then_empty() {
    within(async {
        let (client, server, client_addr, server_addr) = udp_pair().await;
        let mut framed = UdpFramed::new(server, TokioDatagramCodec::new(TextDatagramCodec::new()));
        client.send_to(b"\xff\xfeno", server_addr).await.unwrap();
        client.send_to(b"hello", server_addr).await.unwrap();
        client.send_to(b"", server_addr).await.unwrap();
        client
            .send_to("ação".as_bytes(), server_addr)
            .await
            .unwrap();

        match framed.next().await {
            Some(Err(Error::Decode(DecodeError::InvalidUtf8 { offset: 0 }))) => {}
            other => panic!("expected InvalidUtf8, got {other:?}"),
        }
        // The bad datagram is not seen again: the next item is the good one.
        let (text, from) = ok(framed.next().await);
        assert_eq!((text.as_str(), from), ("hello", client_addr));
        let (empty, from) = ok(framed.next().await);
        assert_eq!((empty.as_str(), from), ("", client_addr));
        let (text, _) = ok(framed.next().await);
        assert_eq!(text, "ação");
    })
    .await;
}

#[tokio::test]
async fn datagrams_echo_through_udp_framed_both_ways() {
    within(async {
        let (client, server, client_addr, server_addr) = udp_pair().await;
        let mut server = UdpFramed::new(server, TokioDatagramCodec::new(TextDatagramCodec::new()));
        let mut client = UdpFramed::new(client, TokioDatagramCodec::new(TextDatagramCodec::new()));
        for message in ["hello", "", " x y\r\n"] {
            client.send((message, server_addr)).await.unwrap();
            let (text, from) = ok(server.next().await);
            assert_eq!((text.as_str(), from), (message, client_addr));
            let upper = sockwire::builtin::upper_reply(&text);
            server.send((upper.as_str(), from)).await.unwrap();
            let (reply, from) = ok(client.next().await);
            assert_eq!((reply, from), (Text::from(upper), server_addr));
        }
    })
    .await;
}

#[tokio::test]
async fn datagram_over_the_limit_is_dropped_alone() {
    within(async {
        let (client, server, _, server_addr) = udp_pair().await;
        let mut framed = UdpFramed::new(
            server,
            TokioDatagramCodec::new(TextDatagramCodec::with_max_len(4)),
        );
        client.send_to(b"too long", server_addr).await.unwrap();
        client.send_to(b"fits", server_addr).await.unwrap();
        match framed.next().await {
            Some(Err(Error::Decode(DecodeError::FrameTooLarge { size: 8, max: 4 }))) => {}
            other => panic!("expected FrameTooLarge, got {other:?}"),
        }
        assert_eq!(ok(framed.next().await).0, "fits");
        // Encoding over the limit fails and sends nothing.
        match framed.send(("way too long", server_addr)).await {
            Err(Error::Encode(EncodeError::TooLarge { size: 12, max: 4 })) => {}
            other => panic!("expected TooLarge, got {other:?}"),
        }
    })
    .await;
}

// ---------------------------------------------------------------- the example

/// A running `tokio_echo_server` with `args`, and its address.
fn echo_server(args: &[&str]) -> (Proc, SocketAddr) {
    Proc::server("tokio_echo_server", args)
}

#[test]
fn example_echoes_text_like_the_python_client() {
    let (mut server, addr) = echo_server(&[]);
    let mut conn = connect(addr);
    conn.write_all(b"Hello, world").unwrap();
    let mut back = [0u8; 12];
    conn.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"Hello, world");
    let line = server.next_with("Hello, world");
    assert!(line.starts_with("127.0.0.1:"), "{line}");
}

#[test]
fn example_upper_cases_fixed_packets() {
    let (_server, addr) = echo_server(&["--protocol", "fixed", "--reply", "upper"]);
    let mut conn = connect(addr);
    conn.write_all(&FixedPacket::new(1, "hi there").to_bytes())
        .unwrap();
    let mut back = [0u8; 29];
    conn.read_exact(&mut back).unwrap();
    assert_eq!(back, FixedPacket::new(1, "HI THERE").to_bytes());
}

#[test]
fn example_drops_only_the_bad_connection() {
    let (mut server, addr) = echo_server(&["--protocol", "variable"]);
    let mut good = connect(addr);
    let mut bad = connect(addr);
    // A header declaring 4 GiB: over the 1 MiB limit, the server drops it.
    bad.write_all(b"\x01\xff\xff\xff\xff\x00\x00\x00\x01")
        .unwrap();
    let mut rest = Vec::new();
    // The server closes the connection: read ends (or is reset).
    let _ = bad.read_to_end(&mut rest);
    assert!(rest.is_empty());
    assert!(server.next_with("dropped").contains("exceeds the limit"));

    let hello = b"\x01\x00\x00\x00\x05\x00\x00\x00\x01hello";
    good.write_all(hello).unwrap();
    let mut back = [0u8; 14];
    good.read_exact(&mut back).unwrap();
    assert_eq!(&back, hello);
    assert!(
        server
            .next_with("hello")
            .contains(r#"#1 v1 size=5 "hello""#)
    );
}

#[cfg(unix)]
#[test]
fn example_stops_cleanly_on_sigterm() {
    let (server, _) = echo_server(&["--reply", "none"]);
    let (ok, out) = server.terminate();
    assert!(out.contains(&"shutting down".to_owned()), "{out:?}");
    assert!(ok, "{out:?}");
}

#[cfg(feature = "json")]
#[test]
fn example_serves_the_app_protocol_to_a_python_style_request() {
    use sockwire::Decoder;
    use sockwire::app::{AppResponse, ClientCodec};
    let (mut server, addr) = echo_server(&["--protocol", "app"]);
    let mut conn = connect(addr);
    // What the Python client writes (§6).
    conn.write_all(
        b"\x00g{\"byteorder\": \"little\", \"content-type\": \"text/json\", \
          \"content-encoding\": \"utf-8\", \"content-length\": 41}\
          {\"action\": \"search\", \"value\": \"morpheus\"}",
    )
    .unwrap();
    let mut codec = ClientCodec::new();
    let mut buf = bytes::BytesMut::new();
    let reply = loop {
        if let Some(reply) = codec.decode(&mut buf).unwrap() {
            break reply;
        }
        let mut chunk = [0u8; 4096];
        let n = conn.read(&mut chunk).unwrap();
        assert!(n > 0, "the server closed before replying");
        buf.extend_from_slice(&chunk[..n]);
    };
    assert_eq!(reply, AppResponse::json("Follow the white rabbit. 🐰"));
    assert!(
        server
            .next_with("morpheus")
            .contains(r#"app request search "morpheus""#)
    );
}

#[test]
fn example_upper_cases_lines() {
    let (mut server, addr) = echo_server(&["--protocol", "line", "--reply", "upper"]);
    let mut conn = connect(addr);
    conn.write_all("straße\nok\n".as_bytes()).unwrap();
    let mut back = [0u8; 11];
    conn.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"STRASSE\nOK\n");
    assert!(server.next_with("stra").contains(r#"line "straße""#));
}

#[test]
fn example_closes_a_connection_that_sends_nothing() {
    let (mut server, addr) = echo_server(&["--idle-timeout", "0.3"]);
    let mut quiet = connect(addr);
    let mut rest = Vec::new();
    let _ = quiet.read_to_end(&mut rest); // ends when the server closes it
    assert!(rest.is_empty());
    assert!(server.next_with("dropped").contains("idle timeout"));
    // The server still serves others.
    let mut conn = connect(addr);
    conn.write_all(b"still here").unwrap();
    let mut back = [0u8; 10];
    conn.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"still here");
}

// ---------------------------------------------------------------- the adapter's shape

#[test]
fn a_direct_decode_call_is_not_ambiguous_with_both_traits_in_scope() {
    use sockwire::Decoder;
    #[allow(unused_imports)]
    use tokio_util::codec::Decoder as _;
    let mut buf = bytes::BytesMut::from(&b"hi\n"[..]);
    assert_eq!(
        LineCodec::new().decode(&mut buf).unwrap().as_deref(),
        Some("hi")
    );
}

#[tokio::test]
async fn fed_messages_go_out_with_one_flush() {
    within(async {
        let (client, mut server) = pair().await;
        client.set_nodelay(true).unwrap();
        let mut framed = Framed::new(client, TokioCodec::new(LineCodec::new()));
        for line in ["one", "two", "three"] {
            framed.feed(line).await.unwrap();
        }
        SinkExt::<&str>::flush(&mut framed).await.unwrap();
        drop(framed);
        let mut back = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut server, &mut back)
            .await
            .unwrap();
        assert_eq!(back, b"one\ntwo\nthree\n");
    })
    .await;
}
