//! Decoding the bytes of one direction of a flow with sockwire's codecs.
//!
//! **Every use of sockwire's API in `dissect` is in this module**: the
//! codecs (`Decoder`, `DatagramDecoder`, the §1–6 codecs), the §6 typed
//! request and reply checks, the §7 wire types and the `dump` field
//! dissectors. The rest of the program sees only the plain types below
//! ([`Protocol`], [`Fields`], [`Message`], [`StreamDecoder`]), so an API
//! change of the library is adapted here alone.
//!
//! What it uses: `Decoder::{decode, decode_eof}` (through [`next`]),
//! `DatagramDecoder::decode_datagram`, `DecodeError::is_recoverable`; the
//! codecs' `new()` and `VariablePacketCodec::max_size`; `FixedPacket`,
//! `VariablePacket` and `Text` getters; `fixed::FIXED_PACKET_LEN`,
//! `variable::HEADER_LEN`; `app::{AppCodec, AppMessage, Request,
//! Response, python_bytes_repr}` and `AppHeader`'s fields; `room::{ServerBound,
//! ClientBound, Request, Reply, Notification, Name}`; `builtin::Protocol`
//! (the names, the transports, `dump_fields`) and `dump::render`.

use bytes::{Bytes, BytesMut};
use serde_json::Value;
use sockwire::app::{AppCodec, AppMessage, AppRequest, AppResponse};
use sockwire::room::{ClientBound, Notification, Reply, Request as RoomRequest, ServerBound};
use sockwire::{
    DatagramDecoder, DecodeError, Decoder, FixedPacketCodec, LineCodec, TextDatagramCodec,
    TextStreamCodec, VariablePacketCodec, dump,
};

/// The protocols `--port PORT=PROTOCOL` can name: the library's own list,
/// `Room` (§7) included.
pub use sockwire::builtin::Protocol;

/// A §6 message's content.
#[derive(Debug, Clone, PartialEq)]
pub enum AppContent {
    /// `text/json` content, parsed.
    Json(Value),
    /// Any other content type: the bytes, and how Python prints them
    /// (`b'...'`, as the lab's client does).
    Binary(Vec<u8>, String),
}

/// The decoded fields of one message.
#[derive(Debug, Clone, PartialEq)]
pub enum Fields {
    /// §1, §2, §3: a text.
    Text {
        /// The text.
        text: String,
    },
    /// §4 and §5.
    Packet {
        /// Version byte.
        version: u8,
        /// Sequence number.
        order: u32,
        /// §4: characters of the original text; §5: payload bytes.
        size: u32,
        /// The text.
        text: String,
        /// §4: the size says more characters than the field holds.
        truncated: bool,
    },
    /// §6.
    App {
        /// The JSON header's keys and values, in the header's order
        /// (required keys first).
        header: Vec<(String, Value)>,
        /// The content.
        content: AppContent,
    },
    /// §7: `<tag> <op> [<arg> ...]`.
    Room {
        /// The tag, as on the wire.
        tag: String,
        /// The op.
        op: String,
        /// The arguments; a free text is one argument, spaces included.
        args: Vec<String>,
    },
}

/// One message, or one error where a message should have been.
#[derive(Debug, Clone)]
pub struct Message {
    /// The fields, or what was wrong.
    pub result: Result<Fields, String>,
    /// How many bytes of the stream (or datagram) it took.
    pub wire_len: usize,
    /// The field-annotated hex dump of its bytes, when asked for.
    pub hex: Option<String>,
}

fn hex_dump(protocol: Protocol, bytes: &[u8]) -> String {
    dump::render(bytes, &protocol.dump_fields(bytes))
}

fn app_fields(message: &AppMessage, to_server: bool) -> Result<Fields, String> {
    // What the server (or client) codec would check on top of the framing.
    if to_server {
        AppRequest::from_message(message)
            .map_err(|e| DecodeError::from(e).to_string())
            .map(drop)?;
    } else {
        AppResponse::from_message(message)
            .map_err(|e| DecodeError::from(e).to_string())
            .map(drop)?;
    }
    let h = message.header();
    let mut header = vec![
        ("byteorder".to_owned(), Value::from(h.byteorder.as_str())),
        (
            "content-type".to_owned(),
            Value::from(h.content_type.as_str()),
        ),
        (
            "content-encoding".to_owned(),
            Value::from(h.content_encoding.as_str()),
        ),
        ("content-length".to_owned(), Value::from(h.content_length)),
    ];
    header.extend(h.extra.iter().cloned());
    let content = if message.is_json() {
        match serde_json::from_slice(message.content()) {
            Ok(value) => AppContent::Json(value),
            Err(e) => return Err(format!("content is not valid JSON: {e}")),
        }
    } else {
        let bytes = message.content();
        AppContent::Binary(bytes.to_vec(), sockwire::app::python_bytes_repr(bytes))
    };
    Ok(Fields::App { header, content })
}

fn room_fields(datagram: &[u8], to_server: bool) -> Result<Fields, String> {
    let names = |v: &[sockwire::room::Name]| v.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    let (tag, op, args) = if to_server {
        match ServerBound::parse(datagram).map_err(|e| e.to_string())? {
            ServerBound::Request { tag, request } => {
                let args = match &request {
                    RoomRequest::Hello(n)
                    | RoomRequest::CreateRoom(n)
                    | RoomRequest::JoinRoom(n)
                    | RoomRequest::Poke(n) => vec![n.to_string()],
                    RoomRequest::Say(text) => vec![text.clone()],
                    RoomRequest::UserList
                    | RoomRequest::RoomList
                    | RoomRequest::LeaveRoom
                    | RoomRequest::Kick
                    | RoomRequest::KeepAlive
                    | RoomRequest::Bye => Vec::new(),
                };
                (tag.to_string(), request.op(), args)
            }
            // `n<seq> ak`: the client acknowledges a notification
            ServerBound::Ack { seq } => (format!("n{seq}"), "ak", Vec::new()),
        }
    } else {
        match ClientBound::parse(datagram).map_err(|e| e.to_string())? {
            ClientBound::Reply { tag, reply } => {
                let args = match &reply {
                    Reply::Ok => Vec::new(),
                    Reply::Users(v) | Reply::Rooms(v) => names(v),
                    Reply::Address { user, addr } => vec![user.to_string(), addr.to_string()],
                    Reply::Error { code, text } => {
                        let mut args = vec![code.as_str().to_owned()];
                        args.extend(text.clone());
                        args
                    }
                };
                (tag.to_string(), reply.op(), args)
            }
            ClientBound::Notice {
                seq,
                notification: n,
            } => {
                let args = match &n {
                    Notification::Said { room, user, text } => {
                        vec![room.to_string(), user.to_string(), text.clone()]
                    }
                    Notification::Poked { user, addr } => vec![user.to_string(), addr.to_string()],
                    Notification::Joined { room, user } | Notification::Left { room, user } => {
                        vec![room.to_string(), user.to_string()]
                    }
                    Notification::Kicked { room } => vec![room.to_string()],
                    Notification::Lost { count } => vec![count.to_string()],
                };
                (format!("n{seq}"), n.op(), args)
            }
            ClientBound::Private { tag, message: p } => (
                tag.to_string(),
                "pm",
                vec![p.from.to_string(), p.text.clone()],
            ),
        }
    };
    Ok(Fields::Room {
        tag,
        op: op.to_owned(),
        args,
    })
}

/// Decodes one UDP datagram. `to_server`: it went to the port `--port`
/// named (for §7, a request; otherwise a reply, notification or `pm`).
pub fn datagram(protocol: Protocol, payload: &[u8], to_server: bool, hex: bool) -> Message {
    let result = match protocol {
        Protocol::Text => TextDatagramCodec::new()
            .decode_datagram(Bytes::copy_from_slice(payload))
            .map(|text| Fields::Text {
                text: text.as_str().to_owned(),
            })
            .map_err(|e| e.to_string()),
        Protocol::Room => room_fields(payload, to_server),
        other => Err(format!("{} is not a UDP protocol", other.name())),
    };
    Message {
        result,
        wire_len: payload.len(),
        hex: hex.then(|| hex_dump(protocol, payload)),
    }
}

/// Where decoding may start again in `bytes` after a gap (or in the
/// first bytes of a capture that starts mid-stream), and how sure that is.
/// `segment_start`: `bytes` begin where a TCP segment began.
///
/// - text: at once, past any UTF-8 continuation bytes;
/// - line: after the next LF;
/// - fixed, variable, app: only at a segment start whose first bytes look
///   like the protocol's header (version 1; a size within the limit; a
///   header length then `{`). A guess, reported as one.
///
/// `None`: not in these bytes.
pub fn resync_point(protocol: Protocol, bytes: &[u8], segment_start: bool) -> Option<usize> {
    match protocol {
        Protocol::Text => Some(
            bytes
                .iter()
                .take(3)
                .take_while(|&&b| (0x80..0xc0).contains(&b))
                .count(),
        ),
        Protocol::Line => bytes.iter().position(|&b| b == b'\n').map(|i| i + 1),
        Protocol::Fixed if segment_start => (bytes.first() == Some(&1)).then_some(0),
        Protocol::Variable if segment_start => {
            let version_ok = bytes.first() == Some(&1);
            let size_ok = bytes
                .get(1..5)
                .and_then(|b| b.first_chunk::<4>())
                .is_none_or(|b| {
                    u64::from(u32::from_be_bytes(*b)) <= VariablePacketCodec::new().max_len() as u64
                });
            (version_ok && size_ok).then_some(0)
        }
        Protocol::App if segment_start => {
            let len_ok = bytes
                .first_chunk::<2>()
                .is_some_and(|b| u16::from_be_bytes(*b) > 0);
            let brace_ok = bytes.get(2).is_none_or(|&b| b == b'{');
            (len_ok && brace_ok).then_some(0)
        }
        _ => None,
    }
}

enum Codec {
    Text(TextStreamCodec),
    Line(LineCodec),
    Fixed(FixedPacketCodec),
    Variable(VariablePacketCodec),
    App(AppCodec),
}

/// Wire sizes of §4 and §5.
const FIXED_LEN: usize = sockwire::FixedPacket::LEN;
const VARIABLE_HEADER_LEN: usize = sockwire::VariablePacket::HEADER_LEN;

/// The most bytes kept for attributing skipped input to messages (more
/// than the largest message any codec accepts by default).
const RAW_CAP: usize = 2 << 20;

/// Decodes one direction of a TCP stream, keeping the wire bytes of each
/// message for its hex dump.
pub struct StreamDecoder {
    protocol: Protocol,
    codec: Codec,
    to_server: bool,
    hex: bool,
    /// Input not yet consumed by the codec.
    buf: BytesMut,
    /// Input not yet attributed to a message: what the codec consumed
    /// since the last message, then `buf`.
    raw: Vec<u8>,
    stopped: bool,
}

impl StreamDecoder {
    /// A decoder of `protocol` for the direction towards the server
    /// (`to_server`) or back. `None` for a protocol that is not TCP.
    pub fn new(protocol: Protocol, to_server: bool, hex: bool) -> Option<Self> {
        let codec = match protocol {
            Protocol::Text => Codec::Text(TextStreamCodec::new()),
            Protocol::Line => Codec::Line(LineCodec::new()),
            Protocol::Fixed => Codec::Fixed(FixedPacketCodec::new()),
            Protocol::Variable => Codec::Variable(VariablePacketCodec::new()),
            Protocol::App => Codec::App(AppCodec::new()),
            _ => return None,
        };
        Some(StreamDecoder {
            protocol,
            codec,
            to_server,
            hex,
            buf: BytesMut::new(),
            raw: Vec::new(),
            stopped: false,
        })
    }

    /// Whether an unrecoverable error stopped it.
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// Bytes held of a message not yet complete.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// Decodes what `bytes` complete.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<Message>) {
        if self.stopped {
            return;
        }
        self.buf.extend_from_slice(bytes);
        self.raw.extend_from_slice(bytes);
        self.run(false, out);
    }

    /// The stream ended (FIN): decodes what is left, and reports an
    /// unfinished message as the codec does.
    pub fn finish(&mut self, out: &mut Vec<Message>) {
        if !self.stopped {
            self.run(true, out);
        }
        self.stopped = true;
    }

    fn decode_one(&mut self, eof: bool) -> Result<Option<Item>, DecodeError> {
        let buf = &mut self.buf;
        let to_server = self.to_server;
        Ok(match &mut self.codec {
            Codec::Text(c) => next(c, buf, eof)?.map(Item::Text),
            Codec::Line(c) => next(c, buf, eof)?.map(Item::Text),
            Codec::Fixed(c) => next(c, buf, eof)?.map(|p| {
                Item::Packet(Fields::Packet {
                    version: p.version(),
                    order: p.order(),
                    size: p.size(),
                    text: p.text().to_owned(),
                    truncated: p.is_truncated(),
                })
            }),
            Codec::Variable(c) => next(c, buf, eof)?.map(|p| match p.text() {
                Ok(text) => Item::Packet(Fields::Packet {
                    version: p.version(),
                    order: p.order(),
                    size: p.size(),
                    text: text.to_owned(),
                    truncated: false,
                }),
                // As the stream's own `InvalidUtf8`: the packet is
                // dropped, the stream goes on.
                Err(e) => Item::Bad {
                    error: format!("variable packet #{}: payload: {e}", p.order()),
                    len: p.payload().len() + VARIABLE_HEADER_LEN,
                    recoverable: true,
                },
            }),
            Codec::App(c) => next(c, buf, eof)?.map(|m| match app_fields(&m, to_server) {
                Ok(fields) => Item::App(fields),
                // What the server or client codec would refuse: as
                // unrecoverable as its `InvalidContent`.
                Err(error) => Item::Bad {
                    error,
                    len: usize::MAX,
                    recoverable: false,
                },
            }),
        })
    }

    fn run(&mut self, eof: bool, out: &mut Vec<Message>) {
        // Every round consumes input or ends; the bound is a safety net.
        for _ in 0..=self.raw.len() + 2 {
            let result = self.decode_one(eof);
            let consumed = self.raw.len().saturating_sub(self.buf.len());
            match result {
                Ok(Some(item)) => {
                    let mut stop = false;
                    let (len, result) = match item {
                        Item::Text(text) => {
                            let wire = self.raw.get(..consumed).unwrap_or_default();
                            let mut len = text.len();
                            if wire.last() == Some(&b'\n') && self.protocol == Protocol::Line {
                                len += 1;
                                if wire.len() >= 2 && wire.get(wire.len() - 2) == Some(&b'\r') {
                                    len += 1;
                                }
                            }
                            (
                                len,
                                Ok(Fields::Text {
                                    text: text.as_str().to_owned(),
                                }),
                            )
                        }
                        Item::Packet(fields) => {
                            let len = match &fields {
                                Fields::Packet { size, .. }
                                    if self.protocol == Protocol::Variable =>
                                {
                                    VARIABLE_HEADER_LEN + *size as usize
                                }
                                _ => FIXED_LEN,
                            };
                            (len, Ok(fields))
                        }
                        Item::App(fields) => (consumed, Ok(fields)),
                        Item::Bad {
                            error,
                            len,
                            recoverable,
                        } => {
                            stop = !recoverable;
                            (len, Err(error))
                        }
                    };
                    self.emit(consumed, len, result, out);
                    if stop {
                        self.stopped = true;
                        return;
                    }
                }
                Ok(None) => {
                    let excess = consumed.saturating_sub(RAW_CAP);
                    self.raw.drain(..excess.min(self.raw.len()));
                    return;
                }
                Err(e) => {
                    let recoverable = e.is_recoverable();
                    self.emit(consumed, consumed, Err(e.to_string()), out);
                    if !recoverable {
                        self.stopped = true;
                        return;
                    }
                }
            }
        }
    }

    /// Reports a message that is the last `len` of the `consumed` bytes.
    fn emit(
        &mut self,
        consumed: usize,
        len: usize,
        result: Result<Fields, String>,
        out: &mut Vec<Message>,
    ) {
        let consumed = consumed.min(self.raw.len());
        let len = len.min(consumed);
        let wire = self.raw.get(consumed - len..consumed).unwrap_or_default();
        out.push(Message {
            result,
            wire_len: len,
            hex: self.hex.then(|| hex_dump(self.protocol, wire)),
        });
        self.raw.drain(..consumed);
    }
}

/// One `decode` (or, at the end of the stream, `decode_eof`) call.
fn next<C: Decoder<Error = DecodeError>>(
    c: &mut C,
    buf: &mut BytesMut,
    eof: bool,
) -> Result<Option<C::Item>, DecodeError> {
    if eof {
        c.decode_eof(buf)
    } else {
        c.decode(buf)
    }
}

enum Item {
    Text(sockwire::Text),
    Packet(Fields),
    App(Fields),
    Bad {
        error: String,
        len: usize,
        recoverable: bool,
    },
}
