//! Arbitrary datagrams into the room-chat server and client never panic,
//! and the server's tables stay within their limits.

mod common {
    pub mod net;
}

use std::time::{Duration, Instant};

use common::net::{SERVER, addr};
use proptest::prelude::*;
use sockwire::room::{ClientConfig, Name, RoomClient, RoomServer, ServerConfig};

fn regex(re: &str) -> impl Strategy<Value = Vec<u8>> + use<> {
    proptest::string::string_regex(re)
        .unwrap()
        .prop_map(String::into_bytes)
}

fn datagram() -> impl Strategy<Value = Vec<u8>> {
    let ops = "(hi|ul|rl|rc|rj|rk|ar|kk|ms|ka|by|ok|pa|er|jn|lv|kd|pm|ak|zz)";
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..80),
        regex(&format!(
            "n?(0|[1-9][0-9]{{0,2}}) {ops}( [a-d.:0-9]{{0,4}}){{0,3}}"
        )),
        regex(&format!("n?[1-3] {ops} [a-c]{{1,2}}")),
        regex("n[1-9] (ms|jn|lv) (a|b|lobby) (a|b)( x)?"),
        regex("[1-5] er not-registered"),
        (0usize..3, 4090usize..4110).prop_map(|(tag, len)| {
            let mut d = format!("{tag} ms ").into_bytes();
            d.resize(len, b'x');
            d
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn server_survives_anything(
        input in prop::collection::vec((0u16..6, datagram(), 0u64..30_000), 1..60)
    ) {
        let mut config = ServerConfig::default();
        config.max_users = 3;
        config.max_rooms = 2;
        config.max_members = 2;
        config.max_cached_replies = 2;
        let mut server = RoomServer::new(config);
        let mut now = Instant::now();
        for (port, bytes, dt) in input {
            now += Duration::from_millis(dt);
            // as a driving loop does: the timers first when due
            if server.poll_timeout().is_some_and(|t| t <= now) {
                server.handle_timeout(now);
            }
            server.handle_datagram(now, addr(3000 + port), &bytes);
            while let Some(t) = server.poll_transmit() {
                prop_assert!(t.payload.len() <= 4096);
            }
            while server.poll_event().is_some() {}
            if let Some(t) = server.poll_timeout() {
                prop_assert!(t > now);
            }
            prop_assert!(server.users().count() <= 3);
            prop_assert!(server.rooms().count() <= 2);
            prop_assert!(server.cached_replies() <= 2);
            for user in server.users() {
                prop_assert!(server.unacknowledged(user).unwrap() <= 64);
            }
            let rooms: Vec<Name> = server.rooms().cloned().collect();
            for room in rooms {
                let (owner, members) = server.room_members(&room).unwrap();
                prop_assert!(!members.is_empty() && members.len() <= 2);
                prop_assert!(members.contains(&owner));
            }
        }
    }

    #[test]
    fn client_survives_anything(
        input in prop::collection::vec((any::<bool>(), datagram(), 0u64..3_000), 1..60),
        lines in prop::collection::vec("(\\$[a-z]{0,10}|[a-z]{0,3})( [a-z]{0,5}){0,2}", 0..5),
    ) {
        let mut now = Instant::now();
        let mut client = RoomClient::new(now, SERVER, Name::new("me").unwrap(), ClientConfig::default());
        for line in &lines {
            let _ = client.handle_line(now, line);
        }
        for (from_server, bytes, dt) in input {
            now += Duration::from_millis(dt);
            let from = if from_server { SERVER } else { addr(4000) };
            client.handle_datagram(now, from, &bytes);
            client.handle_timeout(now);
            while let Some(t) = client.poll_transmit() {
                prop_assert!(t.payload.len() <= 4096);
            }
            while client.poll_event().is_some() {}
            if let Some(t) = client.poll_timeout() {
                prop_assert!(t > now);
            }
        }
    }
}
