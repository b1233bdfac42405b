//! A client that pauses reading, and one that never reads, against every
//! TCP server over loopback. The pause is the server's own backpressure
//! from the server's side (its output passes the high-water mark and it
//! stops reading, often in the middle of a message), so the message
//! timeout must not blame the client for it: all 32 MiB come back after a
//! 1.5 s pause under `--message-timeout 1`. A client that never reads is
//! closed by `--write-timeout 1` ("peer stopped reading") while another
//! client is served. And a burst of more messages in one read than a
//! connection's event queue holds (1,024) is answered whole: the rest of
//! the read waits for the events to be polled, and is not lost or stuck.

mod common {
    pub mod examples;
}

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use common::examples::{LIMIT, Proc, connect};
use sockwire::builtin::Protocol;
use sockwire::{Encoder, VariablePacket, VariablePacketCodec};

/// 32 MiB of payload as §5 variable packets of 4 KiB each, numbered.
fn pipelined_packets() -> Vec<u8> {
    let mut wire = BytesMut::new();
    let mut codec = VariablePacketCodec::new();
    for i in 0..8192u32 {
        let payload: Vec<u8> = (0..4096u32).map(|j| (i + j) as u8).collect();
        codec
            .encode(VariablePacket::from_payload(i, payload), &mut wire)
            .unwrap();
    }
    wire.to_vec()
}

/// A normal client: `n` variable packets, one at a time, each echo checked.
fn served(addr: SocketAddr, n: u32) {
    let mut stream = connect(addr);
    for i in 1..=n {
        let wire = Protocol::Variable
            .encode(i, &format!("normal {i}"))
            .unwrap();
        stream.write_all(&wire).unwrap();
        let mut back = vec![0; wire.len()];
        stream.read_exact(&mut back).expect("the echo");
        assert_eq!(back, &wire[..], "message {i}");
    }
}

/// Writes all of `wire` to `stream`, then shuts down its side; sends on
/// `stalled` once no byte has gone out for half a second (longer than a
/// server's socket timeouts: it stopped reading, by its backpressure).
/// Fails when no byte goes out for [`LIMIT`].
fn pipeline(mut stream: TcpStream, wire: &[u8], stalled: &mpsc::Sender<()>) -> Result<(), String> {
    stream
        .set_write_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let (mut sent, mut progress) = (0, Instant::now());
    while sent < wire.len() {
        match stream.write(&wire[sent..]) {
            Ok(n) => (sent, progress) = (sent + n, Instant::now()),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if progress.elapsed() >= Duration::from_millis(500) {
                    let _ = stalled.send(());
                }
                if progress.elapsed() > LIMIT {
                    return Err(format!("no byte taken for {LIMIT:?} after {sent} bytes"));
                }
            }
            Err(e) => return Err(format!("pipelining, after {sent} bytes: {e}")),
        }
    }
    stream.shutdown(Shutdown::Write).map_err(|e| e.to_string())
}

/// The reproduction: pipeline 32 MiB, read nothing until the server has
/// stopped reading and then 1.5 s more, then read everything; every byte
/// must come back and no error be logged.
fn pause_then_read_everything(server: &str) {
    let (proc, addr) = Proc::server(
        server,
        &[
            "--protocol",
            "variable",
            "--reply",
            "echo",
            "--message-timeout",
            "1",
            "--quiet",
        ],
    );
    let wire = Arc::new(pipelined_packets());
    assert_eq!(wire.len(), 33_628_160);
    let mut stream = connect(addr);
    let (writer, sent) = (stream.try_clone().unwrap(), Arc::clone(&wire));
    let (stalled, stall) = mpsc::channel();
    let writing = thread::spawn(move || pipeline(writer, &sent, &stalled));
    // the pause: the server's output passes its high-water mark and it
    // stops reading, mid-message; 1.5 s more is past its message timeout
    let stopped = stall.recv_timeout(LIMIT);
    thread::sleep(Duration::from_millis(1_500));
    let mut back = Vec::with_capacity(wire.len());
    let read = stream.read_to_end(&mut back);
    let written = writing.join().unwrap();
    let (ok, log) = proc.terminate();
    assert!(stopped.is_ok(), "{server} never stopped reading");
    assert!(
        written.is_ok() && read.is_ok() && back[..] == wire[..],
        "{server}: {written:?}, {read:?}, {} of {} bytes echoed, equal prefix: {}; log:\n{}",
        back.len(),
        wire.len(),
        wire.starts_with(&back),
        log.join("\n")
    );
    assert!(ok, "{server} exit status");
    assert!(
        !log.iter()
            .any(|l| l.contains("error") || l.contains("dropped")),
        "{server}:\n{}",
        log.join("\n")
    );
}

/// A client that never reads: stalled (the server stopped reading it),
/// then closed after `--write-timeout 1`, while another client is served
/// before and after.
fn never_reader_is_closed(server: &str) {
    let (mut proc, addr) = Proc::server(
        server,
        &["--protocol", "variable", "--write-timeout", "1", "--quiet"],
    );
    let mut hog = connect(addr);
    let hog_addr = hog.local_addr().unwrap();
    hog.set_write_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let packet = Protocol::Variable.encode(1, &"h".repeat(60_000)).unwrap();
    let mut sent = 0usize;
    loop {
        match hog.write(&packet[sent % packet.len()..]) {
            Ok(n) => sent += n,
            // stalled: the server stopped reading it (or, on a slow
            // machine, has closed it already)
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => break,
            Err(e) if matches!(e.kind(), ErrorKind::ConnectionReset | ErrorKind::BrokenPipe) => {
                break;
            }
            Err(e) => panic!("{server}: hog write after {sent} bytes: {e}"),
        }
        assert!(
            sent < 256 << 20,
            "{server} kept reading a client that never reads"
        );
    }
    // the server stopped reading the hog; others are still served
    served(addr, 3);
    let line = proc.wait_for("peer stopped reading");
    assert!(line.starts_with(&format!("{hog_addr} ")), "{line}");
    assert!(line.contains("accepted in 1s (write timeout)"), "{line}");
    // the hog's connection is gone: what was in flight, then the end
    let mut buf = vec![0u8; 64 * 1024];
    let closed = loop {
        match hog.read(&mut buf) {
            Ok(0) => break true,
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break true,
            Err(e) => panic!("{server}: the hog's connection was not closed: {e}"),
        }
    };
    assert!(closed);
    served(addr, 3);
    let (ok, log) = proc.terminate();
    assert!(ok, "{server} exit status");
    let others_closed = log
        .iter()
        .filter(|l| l.contains("peer stopped reading"))
        .count();
    assert_eq!(others_closed, 1, "only the hog:\n{}", log.join("\n"));
}

/// 20,000 two-byte lines in one write: every echo comes back with nothing
/// more sent (no new input to wake the server), then the end of the stream.
fn burst_of_tiny_messages(server: &str) {
    let (proc, addr) = Proc::server(server, &["--protocol", "line", "--quiet"]);
    let wire: Vec<u8> = (0..20_000)
        .flat_map(|i| [b'a' + (i % 26) as u8, b'\n'])
        .collect();
    let mut stream = connect(addr);
    stream.write_all(&wire).unwrap();
    let mut back = vec![0; wire.len()];
    let read = stream.read_exact(&mut back).and_then(|()| {
        stream.shutdown(Shutdown::Write)?;
        stream.read_to_end(&mut back)
    });
    let (ok, log) = proc.terminate();
    assert!(
        read.is_ok() && back == wire,
        "{server}: {read:?}, {} of {} bytes; log:\n{}",
        back.len(),
        wire.len(),
        log.join("\n")
    );
    assert!(ok);
}

#[test]
fn every_server_answers_a_burst_beyond_the_event_queue() {
    burst_of_tiny_messages("tcp_threaded_server");
    burst_of_tiny_messages("tcp_selector_server");
    #[cfg(feature = "tokio-util")]
    burst_of_tiny_messages("tokio_echo_server");
}

#[test]
fn threaded_server_echoes_everything_after_a_pause() {
    pause_then_read_everything("tcp_threaded_server");
}

#[test]
fn selector_server_echoes_everything_after_a_pause() {
    pause_then_read_everything("tcp_selector_server");
}

#[cfg(feature = "tokio-util")]
#[test]
fn tokio_server_echoes_everything_after_a_pause() {
    pause_then_read_everything("tokio_echo_server");
}

#[test]
fn threaded_server_closes_a_peer_that_never_reads() {
    never_reader_is_closed("tcp_threaded_server");
}

#[test]
fn selector_server_closes_a_peer_that_never_reads() {
    never_reader_is_closed("tcp_selector_server");
}

#[cfg(feature = "tokio-util")]
#[test]
fn tokio_server_closes_a_peer_that_never_reads() {
    never_reader_is_closed("tokio_echo_server");
}
