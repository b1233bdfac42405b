//! Test your own codecs and machines the way sockwire tests its own
//! (feature `testing`; it brings in `proptest`).
//!
//! | what | for | entry points |
//! |---|---|---|
//! | splits | a stream [`Decoder`](crate::Decoder) or [`BorrowDecoder`](crate::BorrowDecoder) | [`check_decoder`], [`check_borrow_decoder`], [`Splits`] |
//! | round trips | an encoder and its decoder, stream or datagram | [`check_round_trip`], [`prop_round_trip`], [`check_datagram_round_trip`], [`prop_datagram_round_trip`], [`prop_check`] |
//! | messages | proptest strategies for every message of §1–§8 (and, with the feature `arbitrary`, `arbitrary::Arbitrary` impls for fuzz targets) | [`strategy`] |
//! | datagram machines | any [`DatagramMachine`](crate::DatagramMachine)s on a lossy network | [`Network`], [`Faults`], [`FakeClock`] |
//! | stream services | a [`conn::Service`](crate::conn::Service) meeting split reads, a slow reader and timeouts | [`StreamHarness`] |
//!
//! Every check returns `Result<(), Mismatch>`: `?` in a test that returns
//! a `Result`, `.unwrap()` anywhere else (a [`Mismatch`]'s `Debug` is its
//! report), and `?` inside `proptest!` too. A report names the way the
//! wire was cut ("split at 5 (0x0005)"), the event that differs, both
//! lists of events, and the wire in hex, with the fields named when the
//! codec is one of the crate's ([`dump`](crate::dump)).
//!
//! # Splits
//!
//! A stream decoder must give the same messages however the stream is cut
//! into reads. [`check_decoder`] feeds the wire whole, through
//! `decode_eof` alone, at every single split, at every double split (cuts
//! up to 64 bytes apart), byte by byte and in 32 random chunkings from a
//! fixed seed, each time to a fresh decoder:
//!
//! ```
//! use sockwire::testing::check_decoder;
//! use sockwire::{Text, LineCodec};
//!
//! let wire = "hello\r\nwörld\n".as_bytes();
//! check_decoder(LineCodec::new, wire, &[Text::from("hello"), Text::from("wörld")])?;
//! # Ok::<(), sockwire::testing::Mismatch>(())
//! ```
//!
//! A decoder that assumes each read holds a whole message fails, and the
//! report says where:
//!
//! ```
//! use bytes::BytesMut;
//! use sockwire::testing::check_decoder;
//! use sockwire::{Decoder, Truncated};
//!
//! /// Wrong: takes whatever one read gave as one message.
//! struct WholeReads;
//! impl Decoder for WholeReads {
//!     type Item = Vec<u8>;
//!     type Error = Truncated;
//!     fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Vec<u8>>, Truncated> {
//!         Ok((!src.is_empty()).then(|| src.split().to_vec()))
//!     }
//! }
//! let err = check_decoder(|| WholeReads, b"hi", &[b"hi".to_vec()]).unwrap_err();
//! assert!(err.to_string().starts_with("when the wire is split at 1 (0x0001) (reads 0..1, 1..2)"));
//! ```
//!
//! For a wire with bad input, [`Splits::events`] returns what every
//! chunking agrees on, errors included (compared by their `Debug` form, so
//! an error type needs no `PartialEq`), with the most bytes the decoder
//! held between reads: the limit a test then checks.
//!
//! # Round trips
//!
//! ```
//! use sockwire::testing::{check_round_trip, prop_round_trip, strategy};
//! use sockwire::{FixedPacket, FixedPacketCodec};
//!
//! check_round_trip(FixedPacketCodec::new, &[FixedPacket::new(1, "hi")])?;
//! // 256 lists of packets, each decoded whole, byte by byte and in random chunkings
//! prop_round_trip(FixedPacketCodec::new, strategy::fixed_packet())?;
//! # Ok::<(), sockwire::testing::Mismatch>(())
//! ```
//!
//! # Machines
//!
//! A [`Network`] wires any number of datagram machines together through
//! seeded losses, duplicates, reordering and delays on a [`FakeClock`]
//! (an example is on [`Network`]); a [`StreamHarness`] drives a stream
//! service through a [`Connection`](crate::conn::Connection) the way a
//! slow peer would:
//!
//! ```
//! use std::time::{Duration, Instant};
//! use sockwire::builtin::{Protocol, ReplyPolicy};
//! use sockwire::conn::{ConnectionConfig, Event, Timeout};
//! use sockwire::testing::StreamHarness;
//!
//! // a peer that sends one byte every second: never idle, but too slow
//! let mut config = ConnectionConfig::default();
//! config.message_timeout = Some(Duration::from_secs(3));
//! let slow = StreamHarness::default().with_reads(vec![1]).with_turn(Duration::from_secs(1));
//! let run = slow.run(Instant::now(), Protocol::Line.service(ReplyPolicy::Echo), config, b"hello\n");
//! assert!(matches!(run.events.last(), Some(Event::TimedOut(Timeout::Message { .. }))));
//! ```

mod clock;
mod feed;
mod network;
mod report;
mod round_trip;
mod splits;
pub mod strategy;
mod stream;

pub use clock::FakeClock;
pub use network::{Faults, Network, Traffic};
pub use report::{Chunking, Decoded, Dissector, Events, Mismatch};
pub use round_trip::{
    check_datagram_round_trip, check_round_trip, prop_check, prop_datagram_round_trip,
    prop_round_trip,
};
pub use splits::{Splits, check_borrow_decoder, check_decoder};
pub use stream::{StreamHarness, StreamRun};
