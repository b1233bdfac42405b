//! Client mode for §8: a sockwire [`LabServer`] behind the probe's
//! socket, made awkward, checking every datagram a client sends.
//!
//! §8 has no tags and no retransmission, so the awkwardness is in timing
//! and in what else reaches the client:
//!
//! - Every answer is sent [`DELAY`] late: the client must wait for it.
//! - Before the answer to its first `hi`, the client gets, from the
//!   server's own address, an empty datagram and one of each malformed
//!   kind §8 names ([`junk`]): it must drop them and go on.
//! - Once the client is in a room, a user of the probe's own (`probe`, on
//!   a socket of its own) joins that room, pokes the client and sends a
//!   chat line to the address the poke gave; then a stranger (an address
//!   nobody gave) sends the client a chat line, which a client that knows
//!   peers drops, and never answers.
//! - Every datagram to the server must parse as a §8 request, written as
//!   §8 writes it; every datagram to the probe's user must be a chat line
//!   signed with the client's name; the stranger must get nothing; and a
//!   client must say `by` before it leaves.

use std::collections::{HashMap, VecDeque};
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::mpsc::Sender;
use std::thread;
use std::time::{Duration, Instant};

use sockwire::room::Name;
use sockwire::room::lab::{
    LabAnswer, LabChat, LabClientBound, LabRequest, LabServer, LabServerEvent,
};

use super::CannotRun;
use super::case::{Outcome, Record, Verdict};
use super::serve::{Config, Numbers};

/// How late every answer is sent.
const DELAY: Duration = Duration::from_millis(250);

/// What the probe's user says to the client.
const PEER_TEXT: &str = "hello from the probe";

/// The empty datagram and one of each malformed kind §8 names, sent to
/// the client from the server's address; sockwire's parser refuses each
/// (asserted where they are sent).
fn junk() -> [&'static [u8]; 4] {
    [b"", b"zz top", b"ar 127.0.0.1", b"rj caf\xc3"]
}

/// What the stranger sends the client.
fn stranger_chat() -> Vec<u8> {
    let chat = LabChat {
        from: "stranger".into(),
        text: "a line from an address nobody gave you".into(),
    };
    chat.to_bytes().expect("a short chat line").to_vec()
}

/// One client, as the probe sees it.
#[derive(Default)]
struct Client {
    /// Its name, as the server has it (kept after `by`).
    name: Option<Name>,
    /// The junk is queued (once, before the first `hi` is answered).
    junk_queued: bool,
    /// When the junk went out, until the client's next datagram proves it
    /// went on.
    junk_sent: Option<Instant>,
    junk_judged: bool,
    /// The probe's user came to its room.
    visited: bool,
    /// When the stranger's chat line went out.
    stranger_sent: Option<Instant>,
    /// The client sent something to the stranger.
    answered_stranger: bool,
    said_bye: bool,
}

/// Which of the probe's sockets a datagram leaves from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Via {
    Server,
    Peer,
    Stranger,
}

/// A datagram waiting for its time.
struct Outgoing {
    at: Instant,
    via: Via,
    to: SocketAddr,
    payload: Vec<u8>,
    /// The junk ends here (mark the client's `junk_sent`).
    last_junk: bool,
}

struct LabServe {
    sock: UdpSocket,
    /// The probe's own user's socket.
    peer: UdpSocket,
    peer_addr: SocketAddr,
    /// The name the probe's user registered with.
    peer_name: Option<Name>,
    /// The stranger's socket: an address no §8 answer ever names.
    stranger: UdpSocket,
    server: LabServer,
    clients: HashMap<SocketAddr, Client>,
    out: VecDeque<Outgoing>,
    numbers: Arc<Numbers>,
    tx: Sender<Record>,
    timeout: Duration,
}

/// Binds and serves on a thread; the records go to `tx`.
pub fn serve(config: &Config, tx: Sender<Record>) -> Result<(), CannotRun> {
    let sock = UdpSocket::bind(config.bind)
        .map_err(|e| CannotRun(format!("cannot bind {}: {e}", config.bind)))?;
    let local = sock.local_addr().map_err(|e| CannotRun(e.to_string()))?;
    super::common::note!("listening on {local} as a lab room server (late answers)");
    let second = || {
        UdpSocket::bind((local.ip(), 0))
            .and_then(|s| s.set_nonblocking(true).map(|()| s))
            .map_err(|e| CannotRun(format!("cannot bind a second socket: {e}")))
    };
    let (peer, stranger) = (second()?, second()?);
    let peer_addr = peer.local_addr().map_err(|e| CannotRun(e.to_string()))?;
    let _ = sock.set_read_timeout(Some(Duration::from_millis(10)));
    let mut s = LabServe {
        sock,
        peer,
        peer_addr,
        peer_name: None,
        stranger,
        server: LabServer::default(),
        clients: HashMap::new(),
        out: VecDeque::new(),
        numbers: Numbers::new(8),
        tx,
        timeout: config.timeout,
    };
    let clients = config.clients;
    thread::spawn(move || s.run(clients));
    Ok(())
}

impl LabServe {
    fn run(&mut self, clients: usize) {
        let mut buf = vec![0; 65_536];
        let mut idle_since = Instant::now();
        loop {
            self.send_due();
            let done = self.clients.values().filter(|c| c.said_bye).count();
            if (clients > 0 && done >= clients && self.out.is_empty())
                || idle_since.elapsed() > self.timeout * 30
            {
                self.finish();
                return;
            }
            // the peer's and the stranger's first: what a client sent them
            // before it spoke to the server is judged first
            while let Ok((n, from)) = self.peer.recv_from(&mut buf) {
                idle_since = Instant::now();
                let d = buf[..n].to_vec();
                self.for_peer(from, &d);
            }
            while let Ok((n, from)) = self.stranger.recv_from(&mut buf) {
                idle_since = Instant::now();
                let d = buf[..n].to_vec();
                self.for_stranger(from, &d);
            }
            if let Ok((n, from)) = self.sock.recv_from(&mut buf) {
                idle_since = Instant::now();
                let d = buf[..n].to_vec();
                self.for_server(from, &d);
            }
        }
    }

    fn emit(&self, title: String, outcome: Outcome) {
        let _ = self
            .tx
            .send(self.numbers.record(title, outcome, Instant::now()));
    }

    /// A client's name for titles: its user name, else its address.
    fn who(&self, addr: SocketAddr) -> String {
        match self.clients.get(&addr).and_then(|c| c.name.as_ref()) {
            Some(name) => name.to_string(),
            None => addr.to_string(),
        }
    }

    /// Sends every datagram whose time has come, in order.
    fn send_due(&mut self) {
        let now = Instant::now();
        while self.out.front().is_some_and(|o| o.at <= now) {
            let Some(o) = self.out.pop_front() else { break };
            let sock = match o.via {
                Via::Server => &self.sock,
                Via::Peer => &self.peer,
                Via::Stranger => &self.stranger,
            };
            let _ = sock.send_to(&o.payload, o.to);
            let Some(client) = self.clients.get_mut(&o.to) else {
                continue;
            };
            if o.last_junk {
                client.junk_sent = Some(Instant::now());
            }
            if o.via == Via::Stranger {
                client.stranger_sent = Some(Instant::now());
            }
        }
    }

    fn queue(&mut self, via: Via, to: SocketAddr, payload: &[u8], last_junk: bool) {
        self.out.push_back(Outgoing {
            at: Instant::now() + DELAY,
            via,
            to,
            payload: payload.to_vec(),
            last_junk,
        });
    }

    /// Feeds the server one datagram and queues what it sends: to a
    /// client, late; to the probe's user, read at once (its poke answer
    /// is where its chat line goes).
    fn feed(&mut self, from: SocketAddr, d: &[u8]) {
        self.server.handle_datagram(from, d);
        while let Some(event) = self.server.poll_event() {
            if let LabServerEvent::Handled {
                from,
                user: Some(user),
                ..
            } = event
            {
                if from != self.peer_addr {
                    self.clients.entry(from).or_default().name = Some(user);
                }
            }
        }
        while let Some(t) = self.server.poll_transmit() {
            if t.destination != self.peer_addr {
                self.queue(Via::Server, t.destination, &t.payload, false);
                continue;
            }
            if let (Ok(LabAnswer::Address(to)), Some(name)) =
                (LabAnswer::parse(&t.payload), &self.peer_name)
            {
                let chat = LabChat {
                    from: name.to_string(),
                    text: PEER_TEXT.into(),
                };
                let bytes = chat.to_bytes().expect("a short chat line");
                self.queue(Via::Peer, to, &bytes, false);
            }
        }
    }

    /// The client at `from` sent a datagram (to any of the probe's
    /// sockets): the junk before it is judged.
    fn heard_from(&mut self, from: SocketAddr) {
        let Some(client) = self.clients.get_mut(&from) else {
            return;
        };
        let Some(sent) = client.junk_sent else { return };
        if std::mem::replace(&mut client.junk_judged, true) {
            return;
        }
        let o = Outcome::pass(format!(
            "dropped, and the client went on (its next datagram came {} ms later): {}",
            sent.elapsed().as_millis(),
            junk_words()
        ));
        self.emit(format!("{}: {JUNK_TITLE}", self.who(from)), o);
    }

    /// A datagram to the server: a request, checked, then served.
    fn for_server(&mut self, from: SocketAddr, d: &[u8]) {
        self.heard_from(from);
        let request = match LabRequest::parse(d) {
            Ok(request) => request,
            Err(e) => {
                let why = if LabChat::is_chat(d) {
                    "a chat line sent to the server: chat lines go peer to peer".to_owned()
                } else {
                    format!("not a valid §8 request: {e}")
                };
                let shown = String::from_utf8_lossy(d).into_owned();
                let o = Outcome::fail(why).with_bytes(d, &[], &[]);
                self.emit(format!("{}: {shown:?}", self.who(from)), o);
                self.feed(from, d);
                return;
            }
        };
        let canonical = request.to_bytes();
        let o = if canonical[..] != *d {
            Outcome::new(
                Verdict::NonStrict,
                "a valid request, but not written as §8 writes it (single spaces)",
            )
            .with_bytes(d, &canonical, &[])
        } else if request == LabRequest::Bye {
            Outcome::pass("by: the client leaves as §8 says")
        } else {
            Outcome::pass("a valid §8 request, written as §8 writes it")
        };
        self.emit(format!("request {request}"), o);
        let client = self.clients.entry(from).or_default();
        if matches!(request, LabRequest::Hello(_)) && !client.junk_queued {
            client.junk_queued = true;
            let all = junk();
            for (i, j) in all.iter().enumerate() {
                assert!(LabClientBound::parse(j).is_err(), "junk that parses: {j:?}");
                self.queue(Via::Server, from, j, i + 1 == all.len());
            }
        }
        self.feed(from, d);
        match request {
            LabRequest::JoinRoom(room) => self.visit(from, &room),
            LabRequest::Bye => self.bye(from),
            _ => {}
        }
    }

    /// The probe's user joins `room`, where the client at `to` now is,
    /// pokes it and says something; then the stranger speaks (once per
    /// client).
    fn visit(&mut self, to: SocketAddr, room: &Name) {
        let Some(client) = self.clients.get_mut(&to) else {
            return;
        };
        let Some(name) = client.name.clone() else {
            return;
        };
        let members = self.server.room_members(room.as_str()).unwrap_or_default();
        if client.visited || !members.contains(&name) {
            return;
        }
        client.visited = true;
        let peer = self.peer_addr;
        if self.peer_name.is_none() {
            let taken: Vec<String> = self.server.users().map(ToString::to_string).collect();
            let free = (0..)
                .map(|i| match i {
                    0 => "probe".to_owned(),
                    i => format!("probe{i}"),
                })
                .find(|n| !taken.contains(n))
                .expect("a free name");
            let free = Name::new(&free).expect("a valid name");
            self.feed(peer, &LabRequest::Hello(free.clone()).to_bytes());
            self.peer_name = Some(free);
        }
        self.feed(peer, &LabRequest::JoinRoom(room.clone()).to_bytes());
        self.feed(peer, &LabRequest::Poke(name).to_bytes());
        self.queue(Via::Stranger, to, &stranger_chat(), false);
    }

    /// A datagram to the probe's user: a chat line, signed with the
    /// sender's name.
    fn for_peer(&mut self, from: SocketAddr, d: &[u8]) {
        self.heard_from(from);
        let title = format!("{}: a datagram to the probe's user, a peer", self.who(from));
        let chat = match LabChat::parse(d) {
            Ok(chat) => chat,
            Err(e) => {
                let o = Outcome::fail(format!(
                    "not a chat line ({e}): a client sends a peer only chat lines"
                ))
                .with_bytes(d, &[], &[]);
                return self.emit(title, o);
            }
        };
        let Some(name) = self.clients.get(&from).and_then(|c| c.name.clone()) else {
            let o = Outcome::fail(
                "a chat line from an address that is no user's: the peers the server names never hear from it",
            )
            .with_bytes(d, &[], &[]);
            return self.emit(title, o);
        };
        let want = LabChat {
            from: name.to_string(),
            text: chat.text.clone(),
        };
        let want = want.to_bytes().map(|b| b.to_vec()).unwrap_or_default();
        let o = if chat.from != name.as_str() {
            Outcome::fail(format!(
                "a chat line signed {:?}, from the user {name}",
                chat.from
            ))
            .with_bytes(d, &want, &[])
        } else if want != d {
            Outcome::new(
                Verdict::NonStrict,
                "a chat line, but not written as §8 writes it (single spaces)",
            )
            .with_bytes(d, &want, &[])
        } else {
            Outcome::pass("a chat line signed with the client's name, to a peer §8 named")
        };
        self.emit(title, o);
    }

    /// A datagram to the stranger: never asked for.
    fn for_stranger(&mut self, from: SocketAddr, d: &[u8]) {
        self.heard_from(from);
        let client = self.clients.entry(from).or_default();
        client.answered_stranger = true;
        let o = Outcome::fail(
            "sent to an address that only sent a chat line to a client that knew its peers: \
             such a line is dropped, and never answered",
        )
        .with_bytes(&stranger_chat(), &[], d);
        let title = format!("{}: a datagram to a stranger", self.who(from));
        self.emit(title, o);
    }

    /// The client at `from` said `by`: what is left of its cases.
    fn bye(&mut self, from: SocketAddr) {
        let Some(client) = self.clients.get_mut(&from) else {
            return;
        };
        if client.said_bye {
            return;
        }
        client.said_bye = true;
        self.judge(from, false);
    }

    /// The client's cases still open; `end`: the run is over.
    fn judge(&mut self, addr: SocketAddr, end: bool) {
        let who = self.who(addr);
        let Some(client) = self.clients.get(&addr) else {
            return;
        };
        let mut records = Vec::new();
        if client.junk_queued && !client.junk_judged {
            let o = if client.junk_sent.is_some() {
                Outcome::fail(format!(
                    "the client sent nothing after them: did one of them stop it? {}",
                    junk_words()
                ))
                .with_bytes(&junk().join(&b'\n'), &[], &[])
            } else {
                Outcome::new(Verdict::Info, "not tried: the client left before they came")
            };
            records.push((format!("{who}: {JUNK_TITLE}"), o));
        }
        let title = format!("{who}: a chat line from a stranger, dropped and not answered");
        if !client.visited {
            let o = Outcome::new(
                Verdict::Info,
                "not tried: the client never joined a room, so the probe's user never came",
            );
            records.push((title, o));
        } else if !client.answered_stranger {
            let o = if client.stranger_sent.is_some() {
                Outcome::pass("nothing sent to the stranger")
            } else {
                Outcome::new(Verdict::Info, "not tried: the client left before it came")
            };
            records.push((title, o));
        }
        if end && client.name.is_some() && !client.said_bye {
            let o = Outcome::fail(
                "the client never said by: the server keeps it, and its peers keep sending to it",
            );
            records.push((format!("{who}: by before leaving"), o));
        }
        for (title, o) in records {
            self.emit(title, o);
        }
    }

    /// The run is over: every client still open is judged.
    fn finish(&mut self) {
        let mut open: Vec<SocketAddr> = self
            .clients
            .iter()
            .filter(|(_, c)| !c.said_bye && (c.name.is_some() || c.junk_queued))
            .map(|(a, _)| *a)
            .collect();
        open.sort();
        for addr in open {
            self.judge(addr, true);
        }
    }
}

/// The title of the junk's case.
const JUNK_TITLE: &str = "an empty datagram and malformed ones from the server's address, dropped";

/// What is wrong with each datagram of the junk, in sockwire's words.
fn junk_words() -> String {
    let words: Vec<String> = junk()
        .iter()
        .filter_map(|j| LabClientBound::parse(j).err())
        .map(|e| e.to_string())
        .collect();
    words.join("; ")
}
