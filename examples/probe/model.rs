//! What a correct server answers, computed by sockwire: the built-in
//! services and reply policies run over the bytes a case sends, and a
//! matcher that reads the server's reply as it arrives.

use bytes::BytesMut;
use sockwire::app::{AppResponse, ClientCodec, ServerCodec};
use sockwire::builtin::{Protocol, ReplyPolicy, SearchService};
use sockwire::conn::Service;
use sockwire::{Decoder, Encoder, TextStreamCodec};

/// What a case expects back for the bytes it sent.
#[derive(Debug, Clone)]
pub enum Expect {
    /// Exactly these bytes.
    Bytes(Vec<u8>),
    /// §2 with a prefix: the server puts the prefix before each piece of
    /// text it read, wherever its reads cut the stream, so any split of
    /// `text` into pieces, each after `prefix`, is right.
    Pieces { prefix: Vec<u8>, text: Vec<u8> },
    /// §6: these replies, in order, in any valid §6 encoding (key order,
    /// spacing and `byteorder` are the server's own).
    App(Vec<AppResponse>),
}

impl Expect {
    /// Whether no byte is expected.
    pub fn is_empty(&self) -> bool {
        match self {
            Expect::Bytes(b) => b.is_empty(),
            Expect::Pieces { text, .. } => text.is_empty(),
            Expect::App(r) => r.is_empty(),
        }
    }

    /// The bytes sockwire's own server sends, to show.
    pub fn bytes(&self) -> Vec<u8> {
        match self {
            Expect::Bytes(b) => b.clone(),
            Expect::Pieces { prefix, text } => [prefix.as_slice(), text].concat(),
            Expect::App(replies) => {
                let mut out = BytesMut::new();
                for r in replies {
                    ServerCodec::new()
                        .encode(r, &mut out)
                        .expect("a reply sockwire computed encodes");
                }
                out.to_vec()
            }
        }
    }

    /// A matcher for the reply, fed as it arrives.
    pub fn matcher(&self) -> Matcher {
        match self {
            Expect::Bytes(b) => Matcher::Bytes {
                want: b.clone(),
                at: 0,
            },
            Expect::Pieces { prefix, text } if prefix.is_empty() => Matcher::Bytes {
                want: text.clone(),
                at: 0,
            },
            Expect::Pieces { prefix, text } => Matcher::Pieces {
                prefix: prefix.clone(),
                text: text.clone(),
                states: vec![Piece::Prefix(0, 0)],
                at: 0,
            },
            Expect::App(replies) => Matcher::App {
                want: replies.clone(),
                codec: ClientCodec::new(),
                buf: BytesMut::new(),
                done: 0,
                at: 0,
            },
        }
    }
}

/// Where a §2 prefixed reply is: inside a prefix (`j` bytes of it, text
/// position `s`), right after one, or inside a piece of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Piece {
    Prefix(usize, usize),
    After(usize),
    Text(usize),
}

/// How far a reply is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Right so far, not whole yet.
    More,
    /// Whole and right.
    Done,
    /// Wrong: why.
    Wrong(String),
}

/// An incremental reply checker (see [`Expect::matcher`]).
pub enum Matcher {
    Bytes {
        want: Vec<u8>,
        at: usize,
    },
    Pieces {
        prefix: Vec<u8>,
        text: Vec<u8>,
        states: Vec<Piece>,
        at: usize,
    },
    App {
        want: Vec<AppResponse>,
        codec: ClientCodec,
        buf: BytesMut,
        done: usize,
        at: usize,
    },
}

impl Matcher {
    /// Takes the next bytes of the reply.
    pub fn feed(&mut self, data: &[u8]) -> Progress {
        match self {
            Matcher::Bytes { want, at } => {
                for &b in data {
                    if want.get(*at) != Some(&b) {
                        return Progress::Wrong(if *at >= want.len() {
                            format!("{} bytes more than expected", data.len())
                        } else {
                            format!("differs from byte {at} on")
                        });
                    }
                    *at += 1;
                }
                if *at == want.len() {
                    Progress::Done
                } else {
                    Progress::More
                }
            }
            Matcher::Pieces {
                prefix,
                text,
                states,
                at,
            } => {
                for &b in data {
                    *states = step_pieces(prefix, text, states, b);
                    if states.is_empty() {
                        return Progress::Wrong(format!(
                            "byte {at} is neither the prefix nor the next byte of the text"
                        ));
                    }
                    *at += 1;
                }
                if states.contains(&Piece::Text(text.len())) {
                    Progress::Done
                } else {
                    Progress::More
                }
            }
            Matcher::App {
                want,
                codec,
                buf,
                done,
                at,
            } => {
                buf.extend_from_slice(data);
                loop {
                    let before = buf.len();
                    match codec.decode(buf) {
                        Ok(None) => return Progress::More,
                        Ok(Some(reply)) => {
                            let Some(w) = want.get(*done) else {
                                return Progress::Wrong("a reply more than expected".into());
                            };
                            if &reply != w {
                                return Progress::Wrong(format!(
                                    "reply {} (from byte {at}) is {reply:?}, not {w:?}",
                                    *done + 1
                                ));
                            }
                            *at += before - buf.len();
                            *done += 1;
                            if *done == want.len() {
                                return if buf.is_empty() {
                                    Progress::Done
                                } else {
                                    Progress::Wrong("bytes after the last reply".into())
                                };
                            }
                        }
                        Err(e) => {
                            return Progress::Wrong(format!(
                                "reply {} (from byte {at}) is not a valid §6 message: {e}",
                                *done + 1
                            ));
                        }
                    }
                }
            }
        }
    }
}

/// One byte through the §2 prefixed-pieces automaton.
fn step_pieces(prefix: &[u8], text: &[u8], states: &[Piece], b: u8) -> Vec<Piece> {
    let mut next = Vec::with_capacity(states.len() + 1);
    let start_prefix = |next: &mut Vec<Piece>, s: usize| {
        if prefix.first() == Some(&b) {
            next.push(if prefix.len() == 1 {
                Piece::After(s)
            } else {
                Piece::Prefix(1, s)
            });
        }
    };
    for &state in states {
        match state {
            Piece::Prefix(j, s) => {
                if prefix.get(j) == Some(&b) {
                    next.push(if j + 1 == prefix.len() {
                        Piece::After(s)
                    } else {
                        Piece::Prefix(j + 1, s)
                    });
                }
            }
            Piece::After(s) => {
                if text.get(s) == Some(&b) {
                    next.push(Piece::Text(s + 1));
                }
            }
            Piece::Text(s) => {
                if text.get(s) == Some(&b) {
                    next.push(Piece::Text(s + 1));
                }
                start_prefix(&mut next, s);
            }
        }
    }
    next.sort_unstable();
    next.dedup();
    next
}

/// What a correct server with this reply policy sends back for `wire`,
/// everything a client sent on one connection.
pub fn expect_for(protocol: Protocol, reply: &ReplyPolicy, wire: &[u8]) -> Expect {
    expect_with_end(protocol, reply, wire, false)
}

/// As [`expect_for`]; `eof`: the client then shut down its side, so what
/// is left is decoded as the end of the stream (§3: an unterminated last
/// line is a line).
pub fn expect_with_end(protocol: Protocol, reply: &ReplyPolicy, wire: &[u8], eof: bool) -> Expect {
    match (protocol, reply) {
        (Protocol::App, _) => {
            let mut codec = ServerCodec::new();
            let mut buf = BytesMut::from(wire);
            let mut search = SearchService::new();
            let mut replies = Vec::new();
            while let Ok(Some(request)) = codec.decode(&mut buf) {
                replies.push(search.respond(&request));
            }
            Expect::App(replies)
        }
        (Protocol::Text, ReplyPolicy::Prefix(prefix)) => {
            let mut buf = BytesMut::from(wire);
            let mut text = Vec::new();
            let mut codec = TextStreamCodec::new();
            while let Ok(Some(t)) = codec.decode(&mut buf) {
                text.extend_from_slice(t.as_bytes());
            }
            Expect::Pieces {
                prefix: prefix.as_bytes().to_vec(),
                text,
            }
        }
        _ => {
            let mut service = protocol.service(reply.clone());
            let mut buf = BytesMut::from(wire);
            let mut out = BytesMut::new();
            while let Ok(Some(message)) = service.decode(&mut buf, eof) {
                service
                    .respond(&message, &mut out)
                    .expect("sockwire's reply to a message the probe sent encodes");
            }
            Expect::Bytes(out.to_vec())
        }
    }
}

/// The reply policies worth trying on the first exchange, `prefix` with
/// the prefix read from `got` when the reply ends with what was sent.
pub fn candidates(protocol: Protocol, text: &str, got: &[u8]) -> Vec<ReplyPolicy> {
    let mut all = vec![ReplyPolicy::None, ReplyPolicy::Echo, ReplyPolicy::Upper];
    if let Some(prefix) = prefix_of(protocol, text, got) {
        all.push(ReplyPolicy::Prefix(prefix));
    }
    all
}

/// The prefix a `prefix` server put before `text` in `got`, if it did.
fn prefix_of(protocol: Protocol, text: &str, got: &[u8]) -> Option<String> {
    let body: Vec<u8> = match protocol {
        Protocol::Text => got.to_vec(),
        Protocol::Line => got.strip_suffix(b"\n")?.to_vec(),
        Protocol::Fixed => {
            let bytes: &[u8; sockwire::FixedPacket::LEN] = got.try_into().ok()?;
            let p = sockwire::FixedPacket::from_bytes(bytes);
            let chars = usize::try_from(p.size())
                .ok()?
                .checked_sub(text.chars().count())?;
            let shown: String = p.text().chars().take(chars).collect();
            return (shown.chars().count() == chars).then_some(shown);
        }
        Protocol::Variable => got.get(sockwire::VariablePacket::HEADER_LEN..)?.to_vec(),
        _ => return None,
    };
    let prefix = body.strip_suffix(text.as_bytes())?;
    String::from_utf8(prefix.to_vec()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_accept_any_split() {
        let e = Expect::Pieces {
            prefix: b"P:".to_vec(),
            text: b"abc".to_vec(),
        };
        for ok in [&b"P:abc"[..], b"P:aP:bc", b"P:aP:bP:c"] {
            assert_eq!(e.matcher().feed(ok), Progress::Done, "{ok:?}");
        }
        assert_eq!(e.matcher().feed(b"P:ab"), Progress::More);
        assert!(matches!(e.matcher().feed(b"P:P:abc"), Progress::Wrong(_)));
        assert!(matches!(e.matcher().feed(b"abc"), Progress::Wrong(_)));
    }
}
