//! A user's own protocol (netstrings, `tests/common/netstring.rs`) tested with
//! `sockwire::testing` from outside the crate: its codec at every split and
//! in round trips, its service through a connection under a slow peer.

mod common {
    pub mod netstring;
}

use std::time::{Duration, Instant};

use common::netstring::{Netstring, NetstringCodec, netstring, reverser};
use proptest::prelude::*;
use sockwire::conn::{ConnectionConfig, Event, Timeout};
use sockwire::testing::{StreamHarness, check_decoder, check_round_trip, prop_round_trip};

#[test]
fn the_codec_holds_at_every_split_and_round_trips() {
    let payloads = ["hello", "", "a,b:c", "ação 🐰"].map(str::as_bytes);
    let items = payloads.map(|p| Netstring(p.to_vec().into()));
    let wire = payloads.map(netstring).concat();
    let codec = || NetstringCodec::with_max_len(64);
    check_decoder(codec, &wire, &items).unwrap();
    check_round_trip(codec, &items).unwrap();
    let any_item = prop::collection::vec(any::<u8>(), 0..=64).prop_map(|p| Netstring(p.into()));
    prop_round_trip(codec, any_item).unwrap();
}

#[test]
fn the_service_answers_a_slow_reader_and_times_out_a_slow_writer() {
    let wire = [netstring(b"hello"), netstring(b"ab")].concat();
    let replies = [netstring(b"olleh"), netstring(b"ba")].concat();
    let (start, config) = (Instant::now(), ConnectionConfig::default());
    let slow_reader = StreamHarness::default().with_write_per_turn(1);
    slow_reader
        .check(start, reverser, config, &wire, &replies)
        .unwrap();
    let mut config = ConnectionConfig::default();
    config.message_timeout = Some(Duration::from_secs(3));
    let dribble = StreamHarness::default()
        .with_reads(vec![1])
        .with_turn(Duration::from_secs(1));
    let run = dribble.run(start, reverser(), config, &wire);
    assert!(matches!(
        run.events[..],
        [Event::TimedOut(Timeout::Message { .. })]
    ));
}
