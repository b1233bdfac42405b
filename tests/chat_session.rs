//! The §3 line-chat session: typed lines out, peer lines in, `:q`, peer
//! close, at every split of the input.

mod common {
    pub mod hex;
}

use common::hex::to_hex;
use sockwire::{ChatConfig, ChatEvent, ChatSession, DecodeError, EncodeError, LineAction};

fn lines(chat: &mut ChatSession) -> Vec<ChatEvent> {
    std::iter::from_fn(|| chat.poll_event()).collect()
}

fn line(s: &str) -> ChatEvent {
    ChatEvent::Line(s.into())
}

#[test]
fn typed_lines_go_out_with_their_lf_and_q_is_not_sent() {
    let mut chat = ChatSession::default();
    assert_eq!(chat.send_line("hello"), Ok(LineAction::Sent));
    assert_eq!(chat.send_line(""), Ok(LineAction::Sent));
    assert_eq!(chat.send_line("été 🐶"), Ok(LineAction::Sent));
    assert_eq!(chat.pending_output(), "hello\n\nété 🐶\n".as_bytes());
    chat.consume_output(usize::MAX);
    assert_eq!(to_hex(b"hello\n"), "68656c6c6f0a");
    assert!(!chat.is_closed());
    assert_eq!(chat.send_line(":q"), Ok(LineAction::Close));
    assert!(chat.is_closed());
    assert!(chat.pending_output().is_empty());
    // after :q nothing more goes out
    assert_eq!(chat.send_line("late"), Ok(LineAction::Close));
    assert!(chat.pending_output().is_empty());
    // ":q " or " :q" are ordinary lines
    let mut chat = ChatSession::default();
    assert_eq!(chat.send_line(":q "), Ok(LineAction::Sent));
    assert_eq!(chat.send_line(":quit"), Ok(LineAction::Sent));
}

#[test]
fn typed_lines_that_cannot_be_sent_are_errors() {
    let mut chat = ChatSession::new(ChatConfig::default().with_max_len(4));
    assert_eq!(
        chat.send_line("a\nb"),
        Err(EncodeError::NewlineInLine { offset: 1 })
    );
    assert_eq!(
        chat.send_line("toolong"),
        Err(EncodeError::TooLarge { size: 7, max: 4 })
    );
    assert!(chat.pending_output().is_empty());
    assert!(!chat.is_closed());
}

#[test]
fn peer_lines_arrive_whole_at_every_split() {
    let wire = "hi\r\nhow are\nyou 🐶\nlast".as_bytes();
    let expected = [
        line("hi"),
        line("how are"),
        line("you 🐶"),
        line("last"),
        ChatEvent::PeerClosed,
    ];
    for a in 0..=wire.len() {
        for b in a..=wire.len() {
            let mut chat = ChatSession::default();
            chat.handle_input(&wire[..a]);
            chat.handle_input(&wire[a..b]);
            chat.handle_input(&wire[b..]);
            chat.handle_eof();
            assert_eq!(lines(&mut chat), expected, "split {a} {b}");
            assert!(chat.is_peer_closed());
        }
    }
}

#[test]
fn bad_peer_lines_are_reported_and_the_chat_goes_on() {
    let mut chat = ChatSession::new(ChatConfig::default().with_max_len(5));
    chat.handle_input(b"much too long\nok\n\xff\nfine\n");
    assert_eq!(
        lines(&mut chat),
        [
            ChatEvent::Malformed(DecodeError::LineTooLong { max: 5 }),
            line("ok"),
            ChatEvent::Malformed(DecodeError::InvalidUtf8 { offset: 17 }),
            line("fine"),
        ]
    );
}

#[test]
fn peer_close_is_reported_once() {
    let mut chat = ChatSession::default();
    chat.handle_eof();
    chat.handle_eof();
    chat.handle_input(b"ignored\n");
    assert_eq!(lines(&mut chat), [ChatEvent::PeerClosed]);
}

#[test]
fn a_partial_write_keeps_the_rest_in_order() {
    let mut chat = ChatSession::default();
    chat.send_line("one").unwrap();
    chat.consume_output(2);
    chat.send_line("two").unwrap();
    assert_eq!(chat.pending_output(), b"e\ntwo\n");
    chat.consume_output(0);
    assert_eq!(chat.pending_output(), b"e\ntwo\n");
    chat.consume_output(100);
    assert!(chat.pending_output().is_empty());
    // `:q` closes with what was typed before it still to write
    chat.send_line("last").unwrap();
    assert_eq!(chat.send_line(ChatSession::QUIT), Ok(LineAction::Close));
    assert!(chat.has_quit());
    assert!(!chat.is_closed(), "not before the line is written");
    assert_eq!(chat.pending_output(), b"last\n");
    chat.consume_output(5);
    assert!(chat.is_closed());
}

#[test]
fn the_peer_closing_closes_the_session_once_the_output_is_written() {
    let mut chat = ChatSession::default();
    chat.send_line("still to send").unwrap();
    chat.handle_eof();
    assert!(chat.is_peer_closed() && !chat.has_quit());
    assert!(!chat.is_closed());
    chat.consume_output(usize::MAX);
    assert!(chat.is_closed());
}

#[test]
fn a_full_event_queue_holds_back_decoding_and_loses_nothing() {
    let wire: String = (0..10).map(|i| format!("line {i}\n")).collect();
    let mut want: Vec<ChatEvent> = (0..10).map(|i| line(&format!("line {i}"))).collect();
    want.extend([line("unterminated"), ChatEvent::PeerClosed]);
    for max_events in 1..=4 {
        let mut chat = ChatSession::new(ChatConfig::default().with_max_events(max_events));
        chat.handle_input(wire.as_bytes());
        chat.handle_input(b"unterminated");
        chat.handle_eof();
        assert!(!chat.is_closed(), "lines still to decode");
        // in order, whatever the bound
        let first: Vec<ChatEvent> = (0..max_events).map_while(|_| chat.poll_event()).collect();
        assert_eq!(first, want[..max_events], "max_events {max_events}");
        let mut all = first;
        all.extend(lines(&mut chat));
        assert_eq!(all, want, "max_events {max_events}");
        assert!(chat.is_closed());
    }
    // a bound of 0 is taken as 1
    let mut chat = ChatSession::new(ChatConfig::default().with_max_events(0));
    chat.handle_input(b"a\nb\n");
    assert_eq!(lines(&mut chat), [line("a"), line("b")]);
}
