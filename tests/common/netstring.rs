//! A user's own protocol, outside the crate: netstrings (`5:hello,`),
//! with their own message type, decode and encode error types and
//! recoverability, and a service that answers each netstring reversed.
//! Shared by `custom_protocol.rs` (by hand) and `netstring_kit.rs` (with
//! `sockwire::testing`).

#![allow(dead_code)] // each test file uses part of this

use std::fmt;

use bytes::{Buf, Bytes, BytesMut};
use sockwire::conn::Service;
use sockwire::{Decoder, Encoder, Recoverable, Truncated};

/// One netstring's payload: the protocol's own message type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Netstring(pub Bytes);

impl fmt::Display for Netstring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "netstring {:?}", String::from_utf8_lossy(&self.0))
    }
}

/// What is wrong with the input: the protocol's own decode error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetstringError {
    /// The length is not a decimal number (or has a leading zero).
    BadLength,
    /// The declared length is over the limit; the payload is skipped.
    TooLong { len: u64, max: usize },
    /// The byte after the payload is not a comma.
    MissingComma { found: u8 },
    /// The stream ended inside a netstring.
    Truncated { pending: u64 },
}

impl fmt::Display for NetstringError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetstringError::BadLength => f.write_str("netstring length is not a decimal number"),
            NetstringError::TooLong { len, max } => {
                write!(f, "netstring of {len} bytes over the limit of {max}")
            }
            NetstringError::MissingComma { found } => {
                write!(f, "netstring ends with {found:#04x}, not a comma")
            }
            NetstringError::Truncated { pending } => {
                write!(f, "stream ended {pending} bytes into a netstring")
            }
        }
    }
}

impl std::error::Error for NetstringError {}

impl From<Truncated> for NetstringError {
    fn from(t: Truncated) -> Self {
        NetstringError::Truncated { pending: t.pending }
    }
}

impl Recoverable for NetstringError {
    /// Only an over-long netstring: its length is known, so the decoder
    /// skips it and the framing holds. Anything else loses the framing.
    fn is_recoverable(&self) -> bool {
        matches!(self, NetstringError::TooLong { .. })
    }
}

/// Why a netstring cannot be encoded: the protocol's own encode error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadTooLong {
    pub len: usize,
    pub max: usize,
}

impl fmt::Display for PayloadTooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "payload of {} bytes over the limit of {}",
            self.len, self.max
        )
    }
}

impl std::error::Error for PayloadTooLong {}

/// Most decimal digits a length may have.
pub const MAX_DIGITS: usize = 9;

#[derive(Debug, Clone)]
pub struct NetstringCodec {
    max_len: usize,
    /// Bytes of an over-long netstring still to skip.
    skip: usize,
}

impl NetstringCodec {
    pub fn with_max_len(max_len: usize) -> Self {
        NetstringCodec { max_len, skip: 0 }
    }

    fn bad_length(src: &mut BytesMut) -> NetstringError {
        src.clear();
        NetstringError::BadLength
    }
}

impl Decoder for NetstringCodec {
    type Item = Netstring;
    type Error = NetstringError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Netstring>, NetstringError> {
        if self.skip > 0 {
            let n = self.skip.min(src.len());
            src.advance(n);
            self.skip -= n;
            if self.skip > 0 {
                return Ok(None);
            }
        }
        let Some(colon) = src.iter().position(|&b| b == b':') else {
            if src.len() > MAX_DIGITS || !src.iter().all(u8::is_ascii_digit) {
                return Err(Self::bad_length(src));
            }
            return Ok(None);
        };
        let digits = &src[..colon];
        if digits.is_empty()
            || digits.len() > MAX_DIGITS
            || !digits.iter().all(u8::is_ascii_digit)
            || (digits.len() > 1 && digits[0] == b'0')
        {
            return Err(Self::bad_length(src));
        }
        // at most 9 ASCII digits: always a number that fits
        let Some(len) = std::str::from_utf8(digits)
            .ok()
            .and_then(|d| d.parse::<usize>().ok())
        else {
            return Err(Self::bad_length(src));
        };
        if len > self.max_len {
            src.advance(colon + 1);
            self.skip = len + 1; // the payload and its comma
            let error = NetstringError::TooLong {
                len: len as u64,
                max: self.max_len,
            };
            // skip what is already here
            let n = self.skip.min(src.len());
            src.advance(n);
            self.skip -= n;
            return Err(error);
        }
        let end = colon + 1 + len;
        let Some(&last) = src.get(end) else {
            return Ok(None);
        };
        if last != b',' {
            src.clear();
            return Err(NetstringError::MissingComma { found: last });
        }
        let mut frame = src.split_to(end + 1).freeze();
        frame.advance(colon + 1);
        frame.truncate(len);
        Ok(Some(Netstring(frame)))
    }
}

impl Encoder<&[u8]> for NetstringCodec {
    type Error = PayloadTooLong;

    fn encode(&mut self, payload: &[u8], dst: &mut BytesMut) -> Result<(), PayloadTooLong> {
        if payload.len() > self.max_len {
            return Err(PayloadTooLong {
                len: payload.len(),
                max: self.max_len,
            });
        }
        dst.extend_from_slice(format!("{}:", payload.len()).as_bytes());
        dst.extend_from_slice(payload);
        dst.extend_from_slice(b",");
        Ok(())
    }
}

/// The server: answers each netstring with its payload reversed, written
/// by hand against `Service`.
pub struct Reverser {
    pub codec: NetstringCodec,
}

impl Service for Reverser {
    type Item = Netstring;
    type Error = NetstringError;
    type ReplyError = PayloadTooLong;

    fn decode(
        &mut self,
        src: &mut BytesMut,
        eof: bool,
    ) -> Result<Option<Netstring>, NetstringError> {
        if eof {
            self.codec.decode_eof(src)
        } else {
            self.codec.decode(src)
        }
    }

    fn respond(&mut self, item: &Netstring, dst: &mut BytesMut) -> Result<(), PayloadTooLong> {
        let reversed: Vec<u8> = item.0.iter().rev().copied().collect();
        self.codec.encode(&reversed[..], dst)
    }
}

pub const MAX_LEN: usize = 64;

pub fn reverser() -> Reverser {
    Reverser {
        codec: NetstringCodec::with_max_len(MAX_LEN),
    }
}

pub fn netstring(payload: &[u8]) -> Vec<u8> {
    let mut dst = BytesMut::new();
    NetstringCodec::with_max_len(usize::MAX)
        .encode(payload, &mut dst)
        .unwrap();
    dst.to_vec()
}

/// The encoder for the message type itself, so the codec round-trips its
/// own items.
impl Encoder<&Netstring> for NetstringCodec {
    type Error = PayloadTooLong;

    fn encode(&mut self, item: &Netstring, dst: &mut BytesMut) -> Result<(), PayloadTooLong> {
        self.encode(&item.0[..], dst)
    }
}
