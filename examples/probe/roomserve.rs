//! Client mode for §7: a sockwire [`RoomServer`] behind the probe's
//! socket, made awkward, checking every datagram a client sends.
//!
//! - The first copy of every request with an even tag is dropped: the
//!   client must send it again, same bytes, after about 500 ms.
//! - Every reply and every notification is sent twice: the client must
//!   acknowledge both copies of a notification (`n<seq> ak`).
//! - A user of the probe's own, `probe`, joins the client's room as soon as
//!   it has one, says something there and pokes the client (notifications
//!   `jn`, `ms`, `pa`), and then sends it a `pm` from an address no `pa`
//!   gave ([`pm_case`], the one place that knows how a client answers a
//!   `pm`).
//! - A tag reused among a client's last 4 requests, or a datagram that is
//!   not a valid request or acknowledgement, fails.

use std::collections::{HashMap, VecDeque};
use std::net::{SocketAddr, UdpSocket};
use std::sync::mpsc::Sender;
use std::thread;
use std::time::{Duration, Instant};

use sockwire::room::{Request, RoomServer, ServerBound, read_tag};

use super::CannotRun;
use super::case::{Outcome, Record, Verdict};
use super::serve::{Config, Numbers};
use super::world::notice_tag;

/// The address of the probe's own user (never a real peer: what the
/// server sends it is dropped).
const PROBE_USER: &str = "127.0.0.1:9";

/// One client, as the probe sees it.
#[derive(Default)]
struct Client {
    name: Option<String>,
    /// Its last 4 requests: (tag, bytes).
    recent: VecDeque<(u32, Vec<u8>)>,
    /// The probe's user joined its room, poked it, sent the `pm`.
    visited: bool,
    said_bye: bool,
}

/// What the probe waits for.
enum Due {
    /// The retransmission of a request whose first copy was dropped.
    Retransmit {
        from: SocketAddr,
        tag: u32,
        first: Vec<u8>,
        at: Instant,
    },
    /// Both acknowledgements of a notification sent twice.
    Acks {
        to: SocketAddr,
        seq: Vec<u8>,
        at: Instant,
    },
    /// The answer to the `pm`.
    Pm {
        to: SocketAddr,
        tag: u32,
        at: Instant,
    },
}

struct RoomServe {
    sock: UdpSocket,
    /// Where the `pm` comes from: an address no `pa` gave, and not the
    /// server's (a client may refuse to answer its server's address).
    stranger: UdpSocket,
    server: RoomServer,
    clients: HashMap<SocketAddr, Client>,
    due: Vec<Due>,
    acks: HashMap<(SocketAddr, Vec<u8>), usize>,
    pm_answers: HashMap<(SocketAddr, u32), Vec<u8>>,
    numbers: std::sync::Arc<Numbers>,
    tx: Sender<Record>,
    probe_user: SocketAddr,
    probe_tag: u32,
    timeout: Duration,
}

/// Binds and serves on a thread; the records go to `tx`.
pub fn serve(config: &Config, tx: Sender<Record>) -> Result<(), CannotRun> {
    let sock = UdpSocket::bind(config.bind)
        .map_err(|e| CannotRun(format!("cannot bind {}: {e}", config.bind)))?;
    let local = sock.local_addr().map_err(|e| CannotRun(e.to_string()))?;
    super::common::note!("listening on {local} as a room server (awkward)");
    let stranger = UdpSocket::bind((local.ip(), 0))
        .and_then(|s| s.set_nonblocking(true).map(|()| s))
        .map_err(|e| CannotRun(format!("cannot bind a second socket: {e}")))?;
    let mut s = RoomServe {
        sock,
        stranger,
        server: RoomServer::default(),
        clients: HashMap::new(),
        due: Vec::new(),
        acks: HashMap::new(),
        pm_answers: HashMap::new(),
        numbers: Numbers::new(7),
        tx,
        probe_user: PROBE_USER.parse().expect("a valid address"),
        probe_tag: 1,
        timeout: config.timeout,
    };
    let clients = config.clients;
    thread::spawn(move || s.run(clients));
    Ok(())
}

impl RoomServe {
    fn run(&mut self, clients: usize) {
        let mut buf = vec![0; 65_536];
        let mut idle_since = Instant::now();
        loop {
            self.check_due(false);
            let done = self.clients.values().filter(|c| c.said_bye).count();
            if (clients > 0 && done >= clients && self.due.is_empty())
                || idle_since.elapsed() > self.timeout * 30
            {
                self.check_due(true);
                return;
            }
            let _ = self.sock.set_read_timeout(Some(Duration::from_millis(20)));
            let now = Instant::now();
            if let Ok((n, from)) = self.sock.recv_from(&mut buf) {
                idle_since = now;
                let d = buf[..n].to_vec();
                self.datagram(now, from, &d);
            }
            while let Ok((n, from)) = self.stranger.recv_from(&mut buf) {
                let d = buf[..n].to_vec();
                if let Some(reply) = read_tag(&d).and_then(|tag| self.pm_answer(from, tag, &d)) {
                    self.pm_answers.insert((from, PM_TAG), reply);
                }
            }
            self.server.handle_timeout(Instant::now());
            self.flush();
        }
    }

    fn emit(&self, title: String, outcome: Outcome) {
        let _ = self
            .tx
            .send(self.numbers.record(title, outcome, Instant::now()));
    }

    /// One datagram from a client: checked, maybe dropped, else served.
    fn datagram(&mut self, now: Instant, from: SocketAddr, d: &[u8]) {
        let shown = String::from_utf8_lossy(d).into_owned();
        let parsed = ServerBound::parse(d);
        if let Some(tag) = read_tag(d) {
            if let Some(reply) = self.pm_answer(from, tag, d) {
                self.pm_answers.insert((from, tag), reply);
                return;
            }
        }
        match parsed {
            Err(e) => {
                let o = Outcome::fail(format!("not a valid request or acknowledgement: {e}"))
                    .with_bytes(d, &[], &[]);
                self.emit(format!("{from}: {shown:?}"), o);
            }
            Ok(ServerBound::Ack { .. }) => {
                let seq = notice_tag(d).map(<[u8]>::to_vec).unwrap_or_default();
                *self.acks.entry((from, seq)).or_default() += 1;
            }
            Ok(ServerBound::Request { tag, request }) => {
                if !self.request(now, from, tag, &request, d) {
                    return;
                }
                self.server.handle_datagram(now, from, d);
                self.flush();
                if let Request::CreateRoom(room) | Request::JoinRoom(room) = &request {
                    self.visit(now, from, room.as_str());
                }
                return;
            }
        }
        self.server.handle_datagram(now, from, d);
    }

    /// Checks a request; whether to serve it now (the first copy of an
    /// even tag is dropped).
    fn request(
        &mut self,
        now: Instant,
        from: SocketAddr,
        tag: u32,
        request: &Request,
        d: &[u8],
    ) -> bool {
        let pending = self.due.iter().position(
            |due| matches!(due, Due::Retransmit { from: f, tag: t, .. } if *f == from && *t == tag),
        );
        if let Some(i) = pending {
            let Due::Retransmit { first, at, .. } = self.due.remove(i) else {
                unreachable!()
            };
            let gap = now - at;
            let o = if first != d {
                Outcome::fail("the retransmission differs from the first copy")
                    .with_bytes(&first, &first, d)
            } else if gap < Duration::from_millis(350) {
                Outcome::new(
                    Verdict::NonStrict,
                    format!(
                        "sent again after {} ms (the contract waits 500 ms)",
                        gap.as_millis()
                    ),
                )
            } else {
                Outcome::pass(format!(
                    "sent again after {} ms, same tag and bytes",
                    gap.as_millis()
                ))
            };
            self.emit(
                format!(
                    "request {tag} {}: retransmitted when unanswered",
                    request.op()
                ),
                o,
            );
            return true;
        }
        let client = self.clients.entry(from).or_default();
        if client.recent.iter().any(|(t, b)| *t == tag && b == d) {
            return true; // a retransmission the client chose to send: answered from the cache
        }
        let reused = client.recent.iter().any(|(t, _)| *t == tag);
        client.recent.push_back((tag, d.to_vec()));
        if client.recent.len() > 4 {
            client.recent.pop_front();
        }
        match request {
            Request::Hello(name) => client.name = Some(name.as_str().to_owned()),
            Request::Bye => client.said_bye = true,
            _ => {}
        }
        if reused {
            let o = Outcome::fail(format!(
                "tag {tag} reused among the client's last 4 requests"
            ))
            .with_bytes(d, &[], &[]);
            self.emit(format!("request {tag} {}", request.op()), o);
        } else if tag % 2 == 0 {
            self.due.push(Due::Retransmit {
                from,
                tag,
                first: d.to_vec(),
                at: now,
            });
            return false;
        } else {
            self.emit(
                format!("request {tag} {}", request.op()),
                Outcome::pass("a valid request, a fresh tag"),
            );
        }
        true
    }

    /// The probe's user joins `room`, speaks there and pokes the client,
    /// then the `pm` (once per client, after its first room request).
    fn visit(&mut self, now: Instant, to: SocketAddr, room: &str) {
        let Some(client) = self.clients.get_mut(&to) else {
            return;
        };
        let Some(name) = client.name.clone() else {
            return;
        };
        if std::mem::replace(&mut client.visited, true) {
            return;
        }
        for body in [
            "hi probe".to_owned(),
            format!("rj {room}"),
            "ms hello from the probe".to_owned(),
            format!("ar {name}"),
        ] {
            let d = format!("{} {body}", self.probe_tag);
            self.probe_tag += 1;
            self.server
                .handle_datagram(now, self.probe_user, d.as_bytes());
        }
        self.flush();
        self.pm_case(now, to);
    }

    /// Sends everything the server has to send: twice to a client, and a
    /// notification's acknowledgements awaited.
    fn flush(&mut self) {
        while let Some(t) = self.server.poll_transmit() {
            if t.destination == self.probe_user {
                continue;
            }
            let _ = self.sock.send_to(&t.payload, t.destination);
            let _ = self.sock.send_to(&t.payload, t.destination);
            if let Some(seq) = notice_tag(&t.payload) {
                let seq = seq.to_vec();
                let known = self.due.iter().any(|d| matches!(d, Due::Acks { to, seq: s, .. } if *to == t.destination && *s == seq));
                if !known {
                    self.acks.remove(&(t.destination, seq.clone()));
                    self.due.push(Due::Acks {
                        to: t.destination,
                        seq,
                        at: Instant::now(),
                    });
                }
            }
        }
        while self.server.poll_event().is_some() {}
    }

    /// PM: the one place that knows how a client answers a `pm`. The
    /// contract: a `pm` carries the sender's tag, and a client answers one
    /// from an address that no `pa` gave for that user with
    /// `<tag> er not-poked`. The `pm` comes from a socket of its own,
    /// which no `pa` named, so that is the answer due.
    fn pm_case(&mut self, now: Instant, to: SocketAddr) {
        let _ = self.stranger.send_to(&pm_bytes(), to);
        self.due.push(Due::Pm {
            to,
            tag: PM_TAG,
            at: now,
        });
    }

    /// The client's answer to the `pm`, if `d` is one.
    fn pm_answer(&self, from: SocketAddr, tag: u32, d: &[u8]) -> Option<Vec<u8>> {
        let waiting = self
            .due
            .iter()
            .any(|due| matches!(due, Due::Pm { to, tag: t, .. } if *to == from && *t == tag));
        let reply = d
            .split(|&b| b == b' ')
            .nth(1)
            .is_some_and(|op| op == b"ok" || op == b"er");
        (waiting && reply).then(|| d.to_vec())
    }

    /// Judges what is due (everything, when `all`: the run is over).
    fn check_due(&mut self, all: bool) {
        let now = Instant::now();
        let mut keep = Vec::new();
        for due in std::mem::take(&mut self.due) {
            if let Some((title, o)) = self.judge(&due, now, all) {
                self.emit(title, o);
            } else {
                keep.push(due);
            }
        }
        self.due = keep;
    }

    /// A due item's record, once it can be told.
    fn judge(&self, due: &Due, now: Instant, all: bool) -> Option<(String, Outcome)> {
        match due {
            Due::Retransmit { tag, first, at, .. } => (all || now - *at > Duration::from_secs(4))
                .then(|| {
                    let o = Outcome::fail(
                        "its first copy got no reply, and the client never sent it again",
                    )
                    .with_bytes(first, first, &[]);
                    (format!("request {tag}: retransmitted when unanswered"), o)
                }),
            Due::Acks { to, seq, at } => {
                let n = self.acks.get(&(*to, seq.clone())).copied().unwrap_or(0);
                let seq = String::from_utf8_lossy(seq);
                let title = format!("notification {seq}: sent twice, acknowledged");
                if n >= 2 {
                    return Some((title, Outcome::pass("both copies acknowledged")));
                }
                (all || now - *at > Duration::from_secs(1)).then(|| {
                    let why = if n == 1 {
                        "acknowledged once; the contract acknowledges every copy, duplicates included"
                    } else {
                        "not acknowledged"
                    };
                    (title, Outcome::fail(why))
                })
            }
            Due::Pm { to, tag, at } => {
                let title = "pm from an address no pa gave: answered er not-poked".to_owned();
                if let Some(d) = self.pm_answers.get(&(*to, *tag)) {
                    let want = format!("{tag} er not-poked");
                    let o = if d.starts_with(want.as_bytes()) {
                        Outcome::pass("answered er not-poked, with the pm's tag")
                    } else {
                        Outcome::fail("a wrong answer to the pm").with_bytes(
                            &pm_bytes(),
                            want.as_bytes(),
                            d,
                        )
                    };
                    return Some((title, o));
                }
                (all || now - *at > Duration::from_millis(1500)).then(|| {
                    let want = format!("{tag} er not-poked");
                    (
                        title,
                        Outcome::fail("no answer to the pm").with_bytes(
                            &pm_bytes(),
                            want.as_bytes(),
                            &[],
                        ),
                    )
                })
            }
        }
    }
}

/// The tag of the probe's `pm`.
const PM_TAG: u32 = 9001;

/// The probe's `pm`, with its tag.
fn pm_bytes() -> Vec<u8> {
    format!("{PM_TAG} pm probe hello, privately").into_bytes()
}
