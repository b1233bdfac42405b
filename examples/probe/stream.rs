//! Server-mode cases for the TCP protocols (§2 to §6): the same framing
//! checks for each (splits, coalesced writes, pipelining, limits, bad
//! input, many clients, a slow reader), then each protocol's own.

use std::thread;
use std::time::Duration;

use bytes::BytesMut;
use sockwire::app::{AppCodec, AppRequest, ClientCodec};
use sockwire::builtin::{Protocol, ReplyPolicy};
use sockwire::{Encoder, FixedPacket, LineCodec, VariablePacket, VariablePacketCodec};

use super::case::{Ctx, Outcome, Section, Verdict};
use super::model::{Expect, expect_for};
use super::net::{End, SPLIT_GAP, Session, Writes, connect};

/// The pause between the two halves of a character: long, so that even a
/// busy server reads them apart.
const UTF8_GAP: Duration = Duration::from_millis(25);

/// A text with characters of 2, 3 and 4 bytes.
pub const UTF8_TEXT: &str = "ação € 🐰 ß";

/// One message of `protocol` carrying `text` (§6: a `search` for it).
pub fn message(protocol: Protocol, order: u32, text: &str) -> Vec<u8> {
    protocol
        .encode(order, text)
        .expect("the probe's own messages encode")
        .to_vec()
}

/// What the server should answer to `wire`, all one client sent.
pub fn expect(ctx: &Ctx, protocol: Protocol, wire: &[u8]) -> Expect {
    expect_for(protocol, &ctx.reply, wire)
}

/// The section number of a stream protocol.
pub fn section_number(protocol: Protocol) -> u32 {
    match protocol {
        Protocol::Text => 2,
        Protocol::Line => 3,
        Protocol::Fixed => 4,
        Protocol::Variable => 5,
        _ => 6,
    }
}

/// Every server-mode case of a stream protocol.
pub fn cases(protocol: Protocol) -> Section {
    let mut s = Section::new(section_number(protocol));
    let p = protocol;
    s.case("one message, one reply", move |ctx| one_message(ctx, p));
    s.case(
        "a second message on the same connection, after the first reply",
        move |ctx| second_message(ctx, p),
    );
    s.case("every split of a message into two writes", move |ctx| {
        every_split(ctx, p)
    });
    s.case("a message written one byte at a time", move |ctx| {
        byte_at_a_time(ctx, p)
    });
    s.case("three messages in one write", move |ctx| {
        let wire = (1..=3)
            .flat_map(|i| message(p, i, &format!("coalesced {i}")))
            .collect();
        all_at_once(ctx, p, wire, "three messages in one write, three replies")
    });
    s.case("pipelining: 100 messages in flight", move |ctx| {
        let wire = (1..=100)
            .flat_map(|i| message(p, i, &format!("pipelined {i}")))
            .collect();
        all_at_once(ctx, p, wire, "100 replies, in order")
    });
    s.case("the largest allowed message", move |ctx| {
        let (wire, what) = largest(ctx, p);
        all_at_once(ctx, p, wire, &what)
    });
    if p != Protocol::Text {
        s.case("an empty message", move |ctx| {
            let wire = empty_message(p);
            all_at_once(ctx, p, wire, "the empty message answered")
        });
    }
    s.case(
        "multi-byte UTF-8 characters split across writes",
        move |ctx| utf8_splits(ctx, p),
    );
    s.case(
        "half-close: the reply still arrives after the client shuts down its side",
        move |ctx| half_close(ctx, p),
    );
    s.case("20 clients at once, 5 messages each", move |ctx| {
        concurrent(ctx, p, 20, 5)
    });
    s.case(
        "a client that reads slowly (1 MiB of requests)",
        move |ctx| slow_reader(ctx, p),
    );
    match p {
        Protocol::Text => text_cases(&mut s),
        Protocol::Line => line_cases(&mut s),
        Protocol::Fixed => fixed_cases(&mut s),
        Protocol::Variable => variable_cases(&mut s),
        _ => super::app::cases(&mut s),
    }
    s
}

/// One exchange, all written at once, then the end of the case.
pub fn all_at_once(ctx: &Ctx, p: Protocol, wire: Vec<u8>, what: &str) -> Outcome {
    let expected = expect(ctx, p, &wire);
    let mut s = match Session::open(ctx) {
        Ok(s) => s,
        Err(o) => return o,
    };
    if let Err(o) = s.exchange(Writes::once(wire), &expected) {
        return closes_after_reply(ctx, &o, &expected).unwrap_or(o);
    }
    s.done(what)
}

/// A case sending several requests at once to a server that closes after
/// each reply: `info` when the first reply came whole, then the close.
fn closes_after_reply(ctx: &Ctx, o: &Outcome, expected: &Expect) -> Option<Outcome> {
    let Expect::App(replies) = expected else {
        return None;
    };
    let first = Expect::App(vec![replies.first()?.clone()])
        .matcher()
        .feed(&o.got);
    (ctx.closes_after_reply() && first == super::model::Progress::Done).then(|| {
        Outcome::new(
            Verdict::Info,
            "answered the first request and closed the connection (the server closes after each reply)",
        )
        .with_bytes(&o.sent, &o.expected, &o.got)
    })
}

fn one_message(ctx: &Ctx, p: Protocol) -> Outcome {
    all_at_once(ctx, p, message(p, 1, "hello, probe"), "the reply is right")
}

fn second_message(ctx: &Ctx, p: Protocol) -> Outcome {
    let mut s = match Session::open(ctx) {
        Ok(s) => s,
        Err(o) => return o,
    };
    let (m1, m2) = (message(p, 1, "first"), message(p, 2, "second"));
    if let Err(o) = s.exchange(Writes::once(m1.clone()), &expect(ctx, p, &m1)) {
        return o;
    }
    let e2 = expect(ctx, p, &m2);
    if e2.is_empty() {
        return s.done("two messages, no reply (reply policy none)");
    }
    let before = s.got.len();
    match s.exchange(Writes::once(m2), &e2) {
        Ok(()) => s.done("both replies came on one connection"),
        Err(o) if o.got.len() == before && !o.detail.starts_with("wrong") => {
            ctx.closes_after_reply
                .store(true, std::sync::atomic::Ordering::Relaxed);
            let what = if p == Protocol::App {
                "closes the connection after each reply (as the tutorial's app-server.py); \
                 the other cases send each request on a connection of its own"
            } else {
                "closes the connection after each reply; \
                 the other cases send each message on a connection of its own"
            };
            Outcome::new(Verdict::Info, what).with_bytes(&o.sent, &o.expected, &o.got)
        }
        Err(o) => o,
    }
}

fn every_split(ctx: &Ctx, p: Protocol) -> Outcome {
    let mut s = match Session::open(ctx) {
        Ok(s) => s,
        Err(o) => return o,
    };
    let len = message(p, 1, UTF8_TEXT).len();
    for at in 1..len {
        let m = message(p, u32::try_from(at).unwrap_or(u32::MAX), UTF8_TEXT);
        if let Err(mut o) = s.exchange(Writes::split(&m, at), &expect(ctx, p, &m)) {
            o.detail = format!("split after byte {at} of {len}: {}", o.detail);
            return o;
        }
    }
    s.done(format!("each of the {} splits answered", len - 1))
}

fn byte_at_a_time(ctx: &Ctx, p: Protocol) -> Outcome {
    let mut s = match Session::open(ctx) {
        Ok(s) => s,
        Err(o) => return o,
    };
    let m = message(p, 1, UTF8_TEXT);
    let pieces = m.iter().map(|&b| vec![b]).collect();
    let expected = expect(ctx, p, &m);
    if let Err(o) = s.exchange(Writes::pieces(pieces, Duration::from_millis(2)), &expected) {
        return o;
    }
    s.done(format!("{} one-byte writes, one reply", m.len()))
}

/// Every split of a message that falls inside a multi-byte character, each
/// a message of its own.
fn utf8_splits(ctx: &Ctx, p: Protocol) -> Outcome {
    let mut s = match Session::open(ctx) {
        Ok(s) => s,
        Err(o) => return o,
    };
    let probe = message(p, 1, UTF8_TEXT);
    let Some(start) = find(&probe, UTF8_TEXT.as_bytes()) else {
        return Outcome::new(
            Verdict::Info,
            "no place to split a character in this protocol's message",
        );
    };
    let inside: Vec<usize> = (1..UTF8_TEXT.len())
        .filter(|&i| !UTF8_TEXT.is_char_boundary(i))
        .collect();
    for (n, &i) in inside.iter().enumerate() {
        let m = message(p, u32::try_from(n + 1).unwrap_or(u32::MAX), UTF8_TEXT);
        let at = start + i;
        if let Err(mut o) = s.exchange(
            Writes::pieces(vec![m[..at].to_vec(), m[at..].to_vec()], UTF8_GAP),
            &expect(ctx, p, &m),
        ) {
            o.detail = format!("split inside a character, after byte {at}: {}", o.detail);
            return o;
        }
    }
    s.done(format!(
        "{} splits inside characters of {UTF8_TEXT:?}",
        inside.len()
    ))
}

fn half_close(ctx: &Ctx, p: Protocol) -> Outcome {
    let mut s = match Session::open(ctx) {
        Ok(s) => s,
        Err(o) => return o,
    };
    let m = message(p, 1, "half-closed");
    let expected = expect(ctx, p, &m);
    if let Err(o) = s.send(Writes::once(m)) {
        return o;
    }
    s.shutdown_write();
    if let Err(o) = s.expect(&expected) {
        return o;
    }
    let (extra, end) = s.read_to_end(ctx.timeout);
    s.got.extend_from_slice(&extra);
    match end {
        _ if !extra.is_empty() => s.failed(format!("{} bytes more than the reply", extra.len())),
        End::Closed | End::Broken(_) => s.passed("the reply came, then the server closed"),
        _ => Outcome::new(
            Verdict::Info,
            "the reply came; the server kept its side open after the client shut down its own",
        )
        .with_bytes(&s.sent, &s.expected, &s.got),
    }
}

fn concurrent(ctx: &Ctx, p: Protocol, clients: u32, each: u32) -> Outcome {
    let outcomes: Vec<Option<Outcome>> = thread::scope(|scope| {
        let handles: Vec<_> = (0..clients)
            .map(|c| {
                scope.spawn(move || {
                    let mut s = match Session::open(ctx) {
                        Ok(s) => s,
                        Err(o) => return Some(o),
                    };
                    for i in 1..=each {
                        let m = message(p, i, &format!("client {c} message {i}"));
                        if let Err(mut o) = s.exchange(Writes::once(m.clone()), &expect(ctx, p, &m))
                        {
                            o.detail = format!("client {c}, message {i}: {}", o.detail);
                            return Some(o);
                        }
                    }
                    let o = s.done("");
                    (o.verdict != Verdict::Pass).then_some(o)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().ok().flatten())
            .collect()
    });
    let failed: Vec<Outcome> = outcomes.into_iter().flatten().collect();
    match failed.into_iter().next() {
        None => Outcome::pass(format!(
            "{clients} clients, {each} messages each, all answered"
        )),
        Some(o) => o,
    }
}

fn slow_reader(ctx: &Ctx, p: Protocol) -> Outcome {
    let (count, len) = match p {
        Protocol::Fixed => (16 * 1024, 16),
        Protocol::App => (64, 16 * 1024),
        _ => (128, 8 * 1024),
    };
    let body = "s".repeat(len);
    let wire: Vec<u8> = (1..=count)
        .flat_map(|i| match p {
            Protocol::App => app_binary(body.as_bytes()),
            _ => message(p, i, &body),
        })
        .collect();
    let expected = expect(ctx, p, &wire);
    let mut s = match Session::open(ctx) {
        Ok(s) => s,
        Err(o) => return o,
    };
    if let Err(o) = s.send(Writes::once(wire)) {
        return o;
    }
    let first = Duration::from_millis(300);
    if let Err(o) = s.expect_slowly(&expected, first, 4096, Duration::from_millis(1)) {
        return closes_after_reply(ctx, &o, &expected).unwrap_or(o);
    }
    s.done(format!("{count} replies read 4 KiB at a time"))
}

/// A §6 binary request with this content.
pub fn app_binary(content: &[u8]) -> Vec<u8> {
    let request = AppRequest::Binary {
        content_type: AppRequest::BINARY_CONTENT_TYPE.to_owned(),
        content: bytes::Bytes::copy_from_slice(content),
    };
    let mut out = BytesMut::new();
    ClientCodec::new()
        .encode(request, &mut out)
        .expect("a request within the limit encodes");
    out.to_vec()
}

/// The largest message the contract allows (for §3 with a prefix: the
/// largest whose reply is still a line within the limit).
fn largest(ctx: &Ctx, p: Protocol) -> (Vec<u8>, String) {
    match p {
        Protocol::Text => (
            message(p, 1, &"t".repeat(64 * 1024)),
            "64 KiB of text echoed".into(),
        ),
        Protocol::Line => {
            let room = match &ctx.reply {
                ReplyPolicy::Prefix(prefix) => prefix.len(),
                _ => 0,
            };
            let n = LineCodec::DEFAULT_MAX_LEN - room;
            (
                message(p, 1, &"l".repeat(n)),
                format!("a line of {n} bytes answered"),
            )
        }
        Protocol::Fixed => (
            message(p, 1, &"f".repeat(FixedPacket::TEXT_LEN)),
            "a 20-character text answered".into(),
        ),
        Protocol::Variable => {
            let n = VariablePacketCodec::DEFAULT_MAX_LEN;
            let packet = VariablePacket::from_payload(1, vec![b'v'; n]);
            let mut out = BytesMut::new();
            VariablePacketCodec::new()
                .encode(packet, &mut out)
                .expect("1 MiB encodes");
            (out.to_vec(), "a 1 MiB payload answered".into())
        }
        _ => (
            app_binary(&vec![b'a'; AppCodec::DEFAULT_MAX_LEN]),
            "a request with 1 MiB of content answered".into(),
        ),
    }
}

/// The empty message of each protocol (§6: empty binary content).
fn empty_message(p: Protocol) -> Vec<u8> {
    match p {
        Protocol::App => app_binary(b""),
        _ => message(p, 1, ""),
    }
}

/// Where `needle` starts in `hay`.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// What became of the connection that sent bad input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// The server closed it (or reset it).
    Closed,
    /// It stayed open, and nothing came.
    Open,
    /// Something came back.
    Answered,
}

impl Fate {
    /// The words for it.
    pub fn words(self) -> &'static str {
        match self {
            Fate::Closed => "closed the connection",
            Fate::Open => "kept the connection open, without answering",
            Fate::Answered => "answered it",
        }
    }
}

/// Sends `bad` on one connection, checks that another client is still
/// served meanwhile, then judges what became of the bad one.
pub fn bad_input(
    ctx: &Ctx,
    p: Protocol,
    bad: Vec<u8>,
    judge: impl Fn(Fate) -> (Verdict, String),
) -> Outcome {
    let mut bad_conn = match Session::open(ctx) {
        Ok(s) => s,
        Err(o) => return o,
    };
    if let Err(o) = bad_conn.send(Writes::once(bad)) {
        return o;
    }
    thread::sleep(SPLIT_GAP * 4);
    if let Err(why) = still_serving(ctx, p) {
        return bad_conn.failed(format!("after the bad input, {why}"));
    }
    let (got, end) = bad_conn.read_to_end(ctx.timeout);
    bad_conn.got = got;
    let fate = match end {
        _ if !bad_conn.got.is_empty() => Fate::Answered,
        End::TimedOut => Fate::Open,
        _ => Fate::Closed,
    };
    let (verdict, detail) = judge(fate);
    Outcome::new(
        verdict,
        format!("{detail}; another client was served meanwhile"),
    )
    .with_bytes(&bad_conn.sent, &[], &bad_conn.got)
}

/// Whether a new client still gets served: it connects, sends one message,
/// shuts down its side, and sees an answer or the server's close.
fn still_serving(ctx: &Ctx, p: Protocol) -> Result<(), String> {
    let mut stream =
        connect(ctx.addr, ctx.timeout).map_err(|e| format!("a new client cannot connect ({e})"))?;
    use std::io::{Read, Write};
    stream
        .write_all(&message(p, 1, "still there?"))
        .map_err(|e| format!("a new client cannot write ({e})"))?;
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let _ = stream.set_read_timeout(Some(ctx.timeout));
    let mut buf = [0; 4096];
    match stream.read(&mut buf) {
        Ok(_) => Ok(()),
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            Err(format!(
                "a new client's message got neither an answer nor a close within {:.1} s",
                ctx.timeout.as_secs_f64()
            ))
        }
        Err(e) => Err(format!("a new client's connection failed ({e})")),
    }
}

/// Bad input a server must refuse: closing or dropping it passes,
/// answering it is `answered`'s verdict.
fn refuse(answered: Verdict) -> impl Fn(Fate) -> (Verdict, String) {
    move |fate| match fate {
        Fate::Answered => (answered, format!("the server {}", fate.words())),
        _ => (
            Verdict::Pass,
            format!("refused: the server {}", fate.words()),
        ),
    }
}

/// Input whose handling is the server's choice: what it did, as `info`.
fn report(fate: Fate) -> (Verdict, String) {
    (Verdict::Info, format!("the server {}", fate.words()))
}

fn text_cases(s: &mut Section) {
    s.case(
        "invalid UTF-8 is refused, other clients still served",
        |ctx| {
            bad_input(
                ctx,
                Protocol::Text,
                b"\xff\xfe\xfd".to_vec(),
                refuse(Verdict::Info),
            )
        },
    );
}

fn line_cases(s: &mut Section) {
    let p = Protocol::Line;
    s.case("CR LF: the CR is not part of the line", move |ctx| {
        all_at_once(
            ctx,
            p,
            b"crlf line\r\n".to_vec(),
            "the line without its CR answered",
        )
    });
    s.case(
        "an unterminated last line, then the end of the stream: answered",
        move |ctx| {
            let wire = b"no newline at the end".to_vec();
            let expected = super::model::expect_with_end(p, &ctx.reply, &wire, true);
            let mut s = match Session::open(ctx) {
                Ok(s) => s,
                Err(o) => return o,
            };
            if let Err(o) = s.send(Writes::once(wire)) {
                return o;
            }
            s.shutdown_write();
            match s.expect(&expected) {
                Ok(()) => s.done("the last line answered after the client shut down its side"),
                Err(o) => o,
            }
        },
    );
    s.case(
        "a line over 64 KiB is refused, other clients still served",
        move |ctx| {
            let mut bad = vec![b'x'; LineCodec::DEFAULT_MAX_LEN + 1];
            bad.push(b'\n');
            bad_input(ctx, p, bad, |fate| match fate {
                Fate::Answered => (Verdict::Info, "the server accepts lines over 64 KiB".into()),
                _ => (
                    Verdict::Pass,
                    format!("refused: the server {}", fate.words()),
                ),
            })
        },
    );
}

fn fixed_cases(s: &mut Section) {
    let p = Protocol::Fixed;
    s.case("a text over 20 bytes: cut, its size says so", move |ctx| {
        all_at_once(
            ctx,
            p,
            message(p, 1, "a text of more than twenty bytes"),
            "the truncated packet answered",
        )
    });
    s.case("a cut inside a multi-byte character", move |ctx| {
        all_at_once(ctx, p, message(p, 1, "ééééééééééé"), "the packet answered")
    });
    s.case("a packet of version 2", move |ctx| {
        let bad = FixedPacket::new(1, "version two")
            .with_version(2)
            .to_bytes()
            .to_vec();
        bad_input(ctx, p, bad, report)
    });
}

fn variable_cases(s: &mut Section) {
    let p = Protocol::Variable;
    s.case("a payload that is not UTF-8", move |ctx| {
        let packet = VariablePacket::from_payload(1, &b"bytes \xff\xfe"[..]);
        let mut out = BytesMut::new();
        VariablePacketCodec::new()
            .encode(packet, &mut out)
            .expect("small packet");
        all_at_once(ctx, p, out.to_vec(), "the packet answered")
    });
    s.case(
        "a size over the limit (4 GiB) is refused, other clients still served",
        move |ctx| {
            bad_input(
                ctx,
                p,
                b"\x01\xff\xff\xff\xff\x00\x00\x00\x01".to_vec(),
                refuse(Verdict::Fail),
            )
        },
    );
    s.case("a packet of version 2", move |ctx| {
        let packet = VariablePacket::new(1, "version two").with_version(2);
        let mut out = BytesMut::new();
        VariablePacketCodec::new()
            .encode(packet, &mut out)
            .expect("small packet");
        bad_input(ctx, p, out.to_vec(), report)
    });
}
