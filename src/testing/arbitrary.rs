//! `arbitrary::Arbitrary` for every message type (feature `arbitrary`), so
//! a cargo-fuzz target can take sockwire messages as its input:
//! `fuzz_target!(|packet: sockwire::FixedPacket| { ... })`.
//!
//! Every value is valid by construction, as the proptest strategies of
//! `sockwire::testing::strategy` are: it encodes, and decodes back to
//! itself. Texts are cut to their limit at a character boundary.

use std::net::SocketAddr;

use arbitrary::{Arbitrary, Result, Unstructured};

use crate::room::lab::{LabAnswer, LabChat, LabRequest};
use crate::room::{
    ClientBound, ErrorCode, Name, Notification, PrivateMessage, Reply, Request, ServerBound,
};
use crate::{FixedPacket, Text, VariablePacket};

/// Longest text a generated §7 message carries, in bytes: far from the
/// datagram limit, whatever the tag and names.
const ROOM_TEXT_MAX: usize = 2048;

/// A string of at most `max` bytes, cut at a character boundary.
fn string_up_to(u: &mut Unstructured<'_>, max: usize) -> Result<String> {
    let s = String::arbitrary(u)?;
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    Ok(s.get(..end).unwrap_or_default().to_owned())
}

/// A string without `unwanted` characters, of at most `max` bytes.
fn string_without(
    u: &mut Unstructured<'_>,
    max: usize,
    unwanted: fn(char) -> bool,
) -> Result<String> {
    Ok(string_up_to(u, max)?
        .chars()
        .filter(|&c| !unwanted(c))
        .collect())
}

impl<'a> Arbitrary<'a> for Text {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(Text::from(String::arbitrary(u)?))
    }
}

impl<'a> Arbitrary<'a> for FixedPacket {
    /// Any 29 bytes are a packet.
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(FixedPacket::from_bytes(&u.arbitrary()?))
    }
}

impl<'a> Arbitrary<'a> for VariablePacket {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let (version, order) = (u8::arbitrary(u)?, u32::arbitrary(u)?);
        let payload: Vec<u8> = u.arbitrary()?;
        Ok(VariablePacket::from_payload(order, payload).with_version(version))
    }
}

impl<'a> Arbitrary<'a> for Name {
    /// 1 to 32 of `A-Z a-z 0-9 _ -`.
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
        let len = u.int_in_range(1..=Name::MAX_LEN)?;
        let mut name = String::with_capacity(len);
        for _ in 0..len {
            name.push(char::from(*u.choose(CHARS)?));
        }
        Name::new(&name).map_err(|_| arbitrary::Error::IncorrectFormat)
    }
}

/// Text the §7 wire carries as it is: anything but CR (a line end the
/// receiver may strip), at most [`ROOM_TEXT_MAX`] bytes.
fn room_text(u: &mut Unstructured<'_>) -> Result<String> {
    string_without(u, ROOM_TEXT_MAX, |c| {
        c == '\r' || c.is_control() && c != '\n'
    })
}

fn addr(u: &mut Unstructured<'_>) -> Result<SocketAddr> {
    Ok(if bool::arbitrary(u)? {
        SocketAddr::from((<[u8; 4]>::arbitrary(u)?, u16::arbitrary(u)?))
    } else {
        SocketAddr::from((<[u16; 8]>::arbitrary(u)?, u16::arbitrary(u)?))
    })
}

impl<'a> Arbitrary<'a> for Request {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(match u.int_in_range(0..=10u8)? {
            0 => Request::Hello(u.arbitrary()?),
            1 => Request::UserList,
            2 => Request::RoomList,
            3 => Request::CreateRoom(u.arbitrary()?),
            4 => Request::JoinRoom(u.arbitrary()?),
            5 => Request::LeaveRoom,
            6 => Request::Poke(u.arbitrary()?),
            7 => Request::Kick,
            8 => Request::Say(room_text(u)?),
            9 => Request::KeepAlive,
            _ => Request::Bye,
        })
    }
}

impl<'a> Arbitrary<'a> for ServerBound {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(if u.ratio(1, 5)? {
            ServerBound::Ack {
                seq: u.arbitrary()?,
            }
        } else {
            ServerBound::Request {
                tag: u.arbitrary()?,
                request: u.arbitrary()?,
            }
        })
    }
}

impl<'a> Arbitrary<'a> for ErrorCode {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        if u.ratio(1, 4)? {
            // a code no server of the crate sends: `x-` and a name
            let name: Name = u.arbitrary()?;
            return Ok(ErrorCode::Other(format!("x-{name}")));
        }
        u.choose(&ErrorCode::NAMED).cloned()
    }
}

impl<'a> Arbitrary<'a> for Reply {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(match u.int_in_range(0..=4u8)? {
            0 => Reply::Ok,
            1 => Reply::Users(u.arbitrary_iter()?.take(8).collect::<Result<_>>()?),
            2 => Reply::Rooms(u.arbitrary_iter()?.take(8).collect::<Result<_>>()?),
            3 => Reply::Address {
                user: u.arbitrary()?,
                addr: addr(u)?,
            },
            _ => Reply::Error {
                code: u.arbitrary()?,
                text: Some(room_text(u)?).filter(|t| !t.is_empty()),
            },
        })
    }
}

impl<'a> Arbitrary<'a> for Notification {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(match u.int_in_range(0..=5u8)? {
            0 => Notification::Said {
                room: u.arbitrary()?,
                user: u.arbitrary()?,
                text: room_text(u)?,
            },
            1 => Notification::Poked {
                user: u.arbitrary()?,
                addr: addr(u)?,
            },
            2 => Notification::Joined {
                room: u.arbitrary()?,
                user: u.arbitrary()?,
            },
            3 => Notification::Left {
                room: u.arbitrary()?,
                user: u.arbitrary()?,
            },
            4 => Notification::Kicked {
                room: u.arbitrary()?,
            },
            _ => Notification::Lost {
                count: u.int_in_range(1..=u32::MAX)?,
            },
        })
    }
}

impl<'a> Arbitrary<'a> for ClientBound {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(match u.int_in_range(0..=2u8)? {
            0 => ClientBound::Reply {
                tag: u.int_in_range(1..=u32::MAX)?,
                reply: u.arbitrary()?,
            },
            1 => ClientBound::Notice {
                seq: u.arbitrary()?,
                notification: u.arbitrary()?,
            },
            _ => ClientBound::Private {
                tag: u.arbitrary()?,
                message: PrivateMessage {
                    from: u.arbitrary()?,
                    text: room_text(u)?,
                },
            },
        })
    }
}

impl<'a> Arbitrary<'a> for LabRequest {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(match u.int_in_range(0..=7u8)? {
            0 => LabRequest::Hello(u.arbitrary()?),
            1 => LabRequest::Bye,
            2 => LabRequest::Poke(u.arbitrary()?),
            3 => LabRequest::UserList,
            4 => LabRequest::RoomList,
            5 => LabRequest::CreateRoom(u.arbitrary()?),
            6 => LabRequest::JoinRoom(u.arbitrary()?),
            _ => LabRequest::LeaveRoom,
        })
    }
}

/// One §8 word: printable, no whitespace, not empty.
fn lab_word(u: &mut Unstructured<'_>) -> Result<String> {
    let word = string_without(u, 64, |c| c.is_whitespace() || c.is_control())?;
    Ok(if word.is_empty() {
        "x".to_owned()
    } else {
        word
    })
}

impl<'a> Arbitrary<'a> for LabAnswer {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(match u.int_in_range(0..=13u8)? {
            0 => LabAnswer::Welcome(lab_word(u)?),
            1 => LabAnswer::NameRefused,
            2 => LabAnswer::Bye,
            3 => LabAnswer::Address(addr(u)?),
            4 => LabAnswer::NoSuchUser,
            5 => LabAnswer::User(lab_word(u)?),
            6 => LabAnswer::NoUsers,
            7 => LabAnswer::Room(lab_word(u)?),
            8 => LabAnswer::NoRooms,
            9 => LabAnswer::Created(lab_word(u)?),
            10 => LabAnswer::RoomExists,
            11 => LabAnswer::NoSuchRoom,
            12 => LabAnswer::ClearPeers,
            _ => LabAnswer::Peer(addr(u)?),
        })
    }
}

impl<'a> Arbitrary<'a> for LabChat {
    /// Within the 1,024-byte datagram limit.
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let from: Name = u.arbitrary()?;
        let max = LabRequest::MAX_LEN - 6 - from.len();
        Ok(LabChat {
            from: from.to_string(),
            text: string_up_to(u, max)?,
        })
    }
}

#[cfg(feature = "json")]
mod app {
    use arbitrary::{Arbitrary, Result, Unstructured};

    use crate::app::{AppHeader, AppMessage, AppRequest, AppResponse, ByteOrder};

    impl<'a> Arbitrary<'a> for AppMessage {
        /// Either byte order, JSON (`text/json`, `utf-8`) or any other type
        /// and encoding, any content; no extra header keys.
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            let (content_type, encoding) = if bool::arbitrary(u)? {
                (
                    AppHeader::JSON_CONTENT_TYPE.to_owned(),
                    AppHeader::JSON_ENCODING.to_owned(),
                )
            } else {
                (String::arbitrary(u)?, String::arbitrary(u)?)
            };
            let content: Vec<u8> = u.arbitrary()?;
            let mut header = AppHeader::new(content_type, encoding, 0);
            header.byteorder = if bool::arbitrary(u)? {
                ByteOrder::Big
            } else {
                ByteOrder::Little
            };
            Ok(AppMessage::from_parts(header, content))
        }
    }

    impl<'a> Arbitrary<'a> for AppRequest {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(if bool::arbitrary(u)? {
                AppRequest::json(String::arbitrary(u)?, String::arbitrary(u)?)
            } else {
                let mut content_type = String::arbitrary(u)?;
                if content_type == AppHeader::JSON_CONTENT_TYPE {
                    content_type.push('+');
                }
                AppRequest::Binary {
                    content_type,
                    content: Vec::<u8>::arbitrary(u)?.into(),
                }
            })
        }
    }

    impl<'a> Arbitrary<'a> for AppResponse {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(if bool::arbitrary(u)? {
                AppResponse::json(String::arbitrary(u)?)
            } else {
                AppResponse::binary(Vec::<u8>::arbitrary(u)?)
            })
        }
    }
}
