//! Strategies for the room chats: §7 ([`crate::room`]) and §8
//! ([`crate::room::lab`]), valid by construction (each value encodes, and
//! parses back to itself).
//!
//! ```
//! use proptest::prelude::*;
//! use sockwire::room::ServerBound;
//! use sockwire::testing::strategy::room;
//!
//! proptest!(|(m in room::server_bound())| {
//!     let wire = m.to_bytes().unwrap();
//!     prop_assert_eq!(ServerBound::parse(&wire).unwrap(), m);
//! });
//! ```

use std::net::SocketAddr;

use proptest::collection::vec;
use proptest::prelude::*;

use crate::room::lab::{LabAnswer, LabChat, LabRequest};
use crate::room::{
    ClientBound, ErrorCode, Name, Notification, PrivateMessage, Reply, Request, ServerBound,
};

/// A user or room name: 1 to 32 of `A-Z a-z 0-9 _ -`, often 1 or 32.
pub fn name() -> impl Strategy<Value = Name> {
    let chars: Vec<char> = ('A'..='Z')
        .chain('a'..='z')
        .chain('0'..='9')
        .chain(['_', '-'])
        .collect();
    let c = prop::sample::select(chars);
    prop_oneof![
        4 => vec(c.clone(), 1..=12),
        1 => vec(c.clone(), 1..=1),
        1 => vec(c, Name::MAX_LEN..=Name::MAX_LEN),
    ]
    .prop_filter_map("a valid name", |cs| Name::new(&String::from_iter(cs)).ok())
}

/// Chat text as the §7 wire carries it: any printable ASCII, multi-byte
/// UTF-8, LF; empty included.
fn room_text() -> impl Strategy<Value = String> {
    super::sized_string(120, room_char())
}

fn room_char() -> impl Strategy<Value = char> + Clone {
    prop_oneof![
        4 => prop::char::range(' ', '~'),
        1 => prop::sample::select(vec!['é', '日', '🐶', '\n']),
    ]
}

/// Any IPv4 or IPv6 socket address.
pub fn addr() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        (any::<[u8; 4]>(), any::<u16>()).prop_map(SocketAddr::from),
        (any::<[u16; 8]>(), any::<u16>()).prop_map(SocketAddr::from),
    ]
}

/// §7: a request of any kind.
pub fn request() -> impl Strategy<Value = Request> {
    prop_oneof![
        name().prop_map(Request::Hello),
        Just(Request::UserList),
        Just(Request::RoomList),
        name().prop_map(Request::CreateRoom),
        name().prop_map(Request::JoinRoom),
        Just(Request::LeaveRoom),
        name().prop_map(Request::Poke),
        Just(Request::Kick),
        room_text().prop_map(Request::Say),
        Just(Request::KeepAlive),
        Just(Request::Bye),
    ]
}

/// §7: a client's datagram: a tagged request, or an acknowledgement;
/// sometimes an `ms` that fills the datagram to its limit.
pub fn server_bound() -> impl Strategy<Value = ServerBound> {
    let full = any::<u32>().prop_flat_map(|tag| {
        let say = move |text| ServerBound::Request {
            tag,
            request: Request::Say(text),
        };
        let room = ServerBound::MAX_LEN - len(say(String::new()).to_bytes());
        super::full_string(room, room_char()).prop_map(say)
    });
    prop_oneof![
        8 => (any::<u32>(), request()).prop_map(|(tag, request)| ServerBound::Request { tag, request }),
        2 => any::<u32>().prop_map(|seq| ServerBound::Ack { seq }),
        1 => full,
    ]
}

/// The length of an encoded datagram (0 if it does not encode).
fn len<E>(datagram: Result<bytes::Bytes, E>) -> usize {
    datagram.map_or(0, |d| d.len())
}

/// §7: an error code, named or not.
pub fn error_code() -> impl Strategy<Value = ErrorCode> {
    // each named code as likely as one not named
    let named = ErrorCode::NAMED.len() as u32;
    prop_oneof![
        named => prop::sample::select(ErrorCode::NAMED.to_vec()),
        // a code no server of the crate sends
        1 => "[a-z]{1,5}x-[a-z]{1,5}".prop_map(ErrorCode::Other),
    ]
}

/// §7: a reply of any kind.
pub fn reply() -> impl Strategy<Value = Reply> {
    prop_oneof![
        Just(Reply::Ok),
        vec(name(), 0..5).prop_map(Reply::Users),
        vec(name(), 0..5).prop_map(Reply::Rooms),
        (name(), addr()).prop_map(|(user, addr)| Reply::Address { user, addr }),
        (
            error_code(),
            prop::option::of(room_text().prop_filter("text", |t| !t.is_empty()))
        )
            .prop_map(|(code, text)| Reply::Error { code, text }),
    ]
}

/// §7: a notification of any kind.
pub fn notification() -> impl Strategy<Value = Notification> {
    prop_oneof![
        (name(), name(), room_text()).prop_map(|(room, user, text)| Notification::Said {
            room,
            user,
            text
        }),
        (name(), addr()).prop_map(|(user, addr)| Notification::Poked { user, addr }),
        (name(), name()).prop_map(|(room, user)| Notification::Joined { room, user }),
        (name(), name()).prop_map(|(room, user)| Notification::Left { room, user }),
        name().prop_map(|room| Notification::Kicked { room }),
        (1..=u32::MAX).prop_map(|count| Notification::Lost { count }),
    ]
}

/// §7: a server's datagram: a reply (tag 1 and up), a notice, or a
/// private message.
pub fn client_bound() -> impl Strategy<Value = ClientBound> {
    prop_oneof![
        (1..=u32::MAX, reply()).prop_map(|(tag, reply)| ClientBound::Reply { tag, reply }),
        (any::<u32>(), notification())
            .prop_map(|(seq, notification)| ClientBound::Notice { seq, notification }),
        (any::<u32>(), name(), room_text()).prop_map(|(tag, from, text)| {
            ClientBound::Private {
                tag,
                message: PrivateMessage { from, text },
            }
        }),
        (any::<u32>(), name()).prop_flat_map(|(tag, from)| {
            // a private message that fills the datagram to its limit
            let private = move |text| ClientBound::Private {
                tag,
                message: PrivateMessage {
                    from: from.clone(),
                    text,
                },
            };
            let room = ClientBound::MAX_LEN - len(private(String::new()).to_bytes());
            super::full_string(room, room_char()).prop_map(private)
        }),
    ]
}

/// §8: a request to the directory, of any kind.
pub fn lab_request() -> impl Strategy<Value = LabRequest> {
    prop_oneof![
        name().prop_map(LabRequest::Hello),
        Just(LabRequest::Bye),
        name().prop_map(LabRequest::Poke),
        Just(LabRequest::UserList),
        Just(LabRequest::RoomList),
        name().prop_map(LabRequest::CreateRoom),
        name().prop_map(LabRequest::JoinRoom),
        Just(LabRequest::LeaveRoom),
    ]
}

/// One §8 word: no whitespace, multi-byte UTF-8 included.
fn word() -> impl Strategy<Value = String> {
    let chars = prop_oneof![
        4 => prop::char::range('!', '~'),
        1 => prop::sample::select(vec!['é', '日', '🐶']),
    ];
    super::sized_string(32, chars).prop_filter("a word", |w| !w.is_empty())
}

/// §8: the directory's answer, of any kind.
pub fn lab_answer() -> impl Strategy<Value = LabAnswer> {
    prop_oneof![
        word().prop_map(LabAnswer::Welcome),
        Just(LabAnswer::NameRefused),
        Just(LabAnswer::Bye),
        addr().prop_map(LabAnswer::Address),
        Just(LabAnswer::NoSuchUser),
        word().prop_map(LabAnswer::User),
        Just(LabAnswer::NoUsers),
        word().prop_map(LabAnswer::Room),
        Just(LabAnswer::NoRooms),
        word().prop_map(LabAnswer::Created),
        Just(LabAnswer::RoomExists),
        Just(LabAnswer::NoSuchRoom),
        Just(LabAnswer::ClearPeers),
        addr().prop_map(LabAnswer::Peer),
    ]
}

/// §8: a peer's chat line, up to the 1,024-byte limit.
pub fn lab_chat() -> impl Strategy<Value = LabChat> {
    let room = prop_oneof![Just(LabRequest::MAX_LEN), 0..=LabRequest::MAX_LEN];
    (name(), room).prop_flat_map(|(from, room)| {
        // `msg ` + NAME + `> ` + text fits the limit
        let max = room.min(LabRequest::MAX_LEN - 6 - from.len());
        let chars = prop_oneof![4 => prop::char::range(' ', '~'), 1 => super::awkward_char()];
        super::sized_string(max, chars).prop_map(move |text| LabChat {
            from: from.to_string(),
            text,
        })
    })
}
