//! `load --protocol room`: how big a §7 room one server holds.
//!
//! `--connections` users (`l<pid>u0`, `l<pid>u1`, ...), each with a socket of its own
//! (the server knows a user by its address) and the library's
//! `RoomClient`, spread over `--rooms` rooms (`r0`, ...; user `i` in room
//! `i % rooms`). The first user of each room creates it, the others join;
//! then each user says `--messages` lines, one at a time: the next once
//! the server has answered `ok` and every other member has heard the last,
//! and while its room has fewer than `--pipeline` lines on their way (so
//! the load is a window, not a flood that outruns the server's 500 ms
//! resend timer). Every other member of the room must get each line once
//! as a notification, which its client acknowledges (`n<seq> ak`) at once,
//! in the same flush as whatever else it sends.
//!
//! A line carries its sender, number and the microsecond it was said, so
//! each notification's delivery latency is measured at its receiver and
//! its text checked. A gap (`lost N messages`), a request that timed out,
//! a notification missing or doubled is an error. A notification the server
//! sent again (its `ak` not seen within 500 ms) shows up at the client as a
//! duplicate and is counted. With `--server-pid`, the server's CPU time
//! over the talking phase is read from /proc and divided by the
//! notifications delivered.

use std::io;
use std::net::UdpSocket;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use sockwire::room::{
    ClientConfig, ClientEvent, DropReason, Name, Notification, Reply, Request, RoomClient,
};

use super::{Args, Stats, batch::BatchSocket, common};

/// Socket buffers of each user: room for the 64 notifications the server
/// keeps in flight to it, and what else comes (GRO buffers count whole).
const CLIENT_BUFFERS: usize = 1 << 20;

/// Most joins waiting for their answer at once.
const JOIN_WAVE: usize = 20;

/// One user: its socket, its client machine and what it has seen.
struct User {
    sock: BatchSocket,
    client: RoomClient,
    room: usize,
    /// In its room (its `rc` or `rj` answered `ok`).
    joined: bool,
    /// Lines said so far, and whether the last one is still unanswered.
    said: u32,
    waiting: bool,
    /// `ms` notifications received from each member (by user index).
    heard: Vec<u32>,
}

/// The run's phases: rooms made, members joined, everybody talking.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    Create,
    Join,
    Talk,
}

/// The talking phase beyond [`Stats`]: its flow control and counts.
#[derive(Default)]
struct Talk {
    /// Per user: the members that have yet to hear its last line.
    unheard: Vec<usize>,
    /// Per room: lines said and not yet heard by every other member.
    in_flight: Vec<usize>,
    /// Per room: its members.
    size: Vec<usize>,
    duplicates: u64,
    late_replies: u64,
    requests: u64,
}

/// Server CPU time so far (ns), from its threads' schedstat.
fn cpu_ns(pid: u32) -> Option<u64> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut total = 0;
    for task in tasks.flatten() {
        let stat = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

/// The line user `i` says as its `k`th, at `at_us` after the start.
fn line(i: usize, k: u32, at_us: u128) -> String {
    format!("{i} {k} {at_us}")
}

impl User {
    /// Sends what the client has to send (one flush).
    fn flush(&mut self, stats: &mut Stats) {
        while let Some(t) = self.client.poll_transmit() {
            stats.bytes_out += t.payload.len() as u64;
            self.sock.queue(t.destination, &t.payload);
        }
        let errors = &mut stats.errors;
        let done = self
            .sock
            .flush(|to, e| errors.push(format!("send to {to} failed: {e}")));
        stats.send_calls += done.calls as u64;
    }
}

/// Handles one user's events; `start` is the talking phase's start.
fn events(
    id: usize,
    user: &mut User,
    phase: Phase,
    start: Instant,
    stats: &mut Stats,
    talk: &mut Talk,
) {
    while let Some(event) = user.client.poll_event() {
        match event {
            ClientEvent::Reply { request, reply, .. } => match (request, reply) {
                (Request::CreateRoom(_) | Request::JoinRoom(_), Reply::Ok) => user.joined = true,
                (Request::Say(_), Reply::Ok) => user.waiting = false,
                (Request::Hello(_), Reply::Ok) => {}
                (request, reply) => stats
                    .errors
                    .push(format!("u{id}: {request:?} answered {reply:?}")),
            },
            ClientEvent::Notice(Notification::Said { text, .. }) if phase == Phase::Talk => {
                said(id, user, &text, start, stats, talk);
            }
            ClientEvent::Notice(_) => {}
            ClientEvent::Dropped {
                reason: DropReason::Duplicate(_),
                ..
            } => talk.duplicates += 1,
            // the answer to a request sent again, after the first answer
            ClientEvent::Dropped {
                reason: DropReason::UnknownTag(_),
                ..
            } => talk.late_replies += 1,
            other => stats.errors.push(format!("u{id}: {other:?}")),
        }
    }
}

/// Checks one `ms` notification and records its latency.
fn said(
    id: usize,
    user: &mut User,
    text: &str,
    start: Instant,
    stats: &mut Stats,
    talk: &mut Talk,
) {
    let mut fields = text.split(' ').map(str::parse::<u128>);
    let (Some(Ok(from)), Some(Ok(k)), Some(Ok(at_us)), None) =
        (fields.next(), fields.next(), fields.next(), fields.next())
    else {
        stats
            .errors
            .push(format!("u{id}: unexpected line {text:?}"));
        return;
    };
    let from = from as usize;
    match user.heard.get_mut(from) {
        Some(n) if u128::from(*n) + 1 == k => *n += 1,
        _ => stats.errors.push(format!(
            "u{id}: line {k} of u{from} out of order or doubled"
        )),
    }
    if let Some(left) = talk.unheard.get_mut(from) {
        *left = left.saturating_sub(1);
        let room = from % talk.in_flight.len().max(1);
        if *left == 0 {
            talk.in_flight[room] = talk.in_flight[room].saturating_sub(1);
        }
    }
    let now_us = start.elapsed().as_micros();
    let us = now_us.saturating_sub(at_us);
    stats
        .latencies_us
        .push(u32::try_from(us).unwrap_or(u32::MAX));
    stats.completed += 1;
}

/// The whole run: users, their poll, what has been seen.
struct Load<'a> {
    args: &'a Args,
    rooms: usize,
    users: Vec<User>,
    poll: Poll,
    events: Events,
    stats: Stats,
    talk: Talk,
    phase: Phase,
    /// Users that have asked to join (the creators are in already).
    joins: usize,
    /// When the talking began.
    start: Instant,
}

/// Runs the room load.
pub fn run(args: &Args) -> io::Result<Stats> {
    let mut load = Load::new(args)?;
    let deadline = Instant::now() + Duration::from_secs(args.timeout);
    let mut progress = Instant::now() + Duration::from_secs(1);
    let mut timers = Instant::now();
    let mut cpu_before = None;
    loop {
        let now = Instant::now();
        if now >= deadline {
            load.stats.errors.push(format!(
                "timed out after {} s in phase {:?}: {} of {} notifications",
                args.timeout, load.phase, load.stats.completed, load.stats.total
            ));
            break;
        }
        if load.advance(now)? {
            break;
        }
        if load.phase == Phase::Talk && cpu_before.is_none() {
            cpu_before = args.server_pid.and_then(cpu_ns);
        }
        if now >= progress {
            super::progress(args, load.start, &load.stats);
            progress = now + Duration::from_secs(1);
        }
        load.read()?;
        if Instant::now() >= timers {
            timers = Instant::now() + Duration::from_millis(20);
            load.timers();
        }
    }
    let secs = load.start.elapsed().as_secs_f64().max(1e-9);
    // the last acknowledgements: time to arrive, and to see that nothing
    // is sent again
    let settle = Instant::now() + Duration::from_millis(700);
    while Instant::now() < settle {
        load.read()?;
    }
    let cpu = cpu_before.zip(args.server_pid.and_then(cpu_ns));
    load.check_heard();
    load.leave()?;
    load.report(secs, cpu);
    load.stats.elapsed = Some(secs);
    Ok(load.stats)
}

impl<'a> Load<'a> {
    /// Opens every user's socket; the room creators ask for their rooms.
    fn new(args: &'a Args) -> io::Result<Load<'a>> {
        let rooms = args.rooms.max(1);
        let n = args.connections;
        let poll = Poll::new()?;
        let now = Instant::now();
        let mut users = Vec::with_capacity(n);
        for id in 0..n {
            let socket = UdpSocket::bind(common::any_addr_for(args.server))?;
            let sock = BatchSocket::new(socket, !args.no_batch)?.with_buffers(CLIENT_BUFFERS)?;
            let fd = sock.socket().as_raw_fd();
            poll.registry()
                .register(&mut SourceFd(&fd), Token(id), Interest::READABLE)?;
            // this run's own names: an earlier run's users may still be there
            let name = format!("l{}u{id}", std::process::id());
            let name = Name::new(&name).map_err(io::Error::other)?;
            users.push(User {
                sock,
                client: RoomClient::new(now, args.server, name, ClientConfig::default()),
                room: id % rooms,
                joined: false,
                said: 0,
                waiting: false,
                heard: vec![0; n],
            });
        }
        let size: Vec<usize> = (0..rooms)
            .map(|r| (0..n).filter(|i| i % rooms == r).count())
            .collect();
        // each member hears every line of every other member of its room
        let expected = size
            .iter()
            .map(|&m| (m * m.saturating_sub(1)) as u64)
            .sum::<u64>()
            * u64::from(args.messages);
        if let Some(first) = users.first() {
            common::say!(
                "load: {n} users in {rooms} rooms, {} lines each; {}",
                args.messages,
                first.sock.describe()
            );
        }
        let mut load = Load {
            args,
            rooms,
            users,
            poll,
            events: Events::with_capacity(1024),
            stats: Stats {
                connected: n,
                total: expected,
                ..Stats::default()
            },
            talk: Talk {
                unheard: vec![0; n],
                in_flight: vec![0; rooms],
                size,
                ..Talk::default()
            },
            phase: Phase::Create,
            joins: rooms.min(n),
            start: now,
        };
        for id in 0..rooms.min(n) {
            load.ask(id, &format!("$roomcreate r{id}"))?;
        }
        Ok(load)
    }

    /// User `id` types `line`, and its client sends what it makes of it.
    fn ask(&mut self, id: usize, line: &str) -> io::Result<()> {
        let user = &mut self.users[id];
        user.client
            .handle_line(Instant::now(), line)
            .map_err(io::Error::other)?;
        user.flush(&mut self.stats);
        Ok(())
    }

    /// Moves the run on (rooms made, joins in waves, the talking, its
    /// end); `true` once every line is said, answered and heard.
    fn advance(&mut self, now: Instant) -> io::Result<bool> {
        let n = self.users.len();
        match self.phase {
            Phase::Create if self.users.iter().take(self.rooms).all(|u| u.joined) => {
                self.phase = Phase::Join;
            }
            Phase::Join if self.joins < n => {
                // joins in waves: each is a notification to every member
                // already in, and a flood of them outruns the server's
                // resend timer before the talking starts
                let joining = self.users[..self.joins]
                    .iter()
                    .filter(|u| !u.joined)
                    .count();
                let wave = JOIN_WAVE.saturating_sub(joining).min(n - self.joins);
                for id in self.joins..self.joins + wave {
                    self.ask(id, &format!("$roomjoin r{}", self.users[id].room))?;
                }
                self.joins += wave;
            }
            Phase::Join if self.users.iter().all(|u| u.joined) => {
                self.phase = Phase::Talk;
                self.start = now;
                // the joins' notifications may have been resent: not
                // this phase's
                self.talk.duplicates = 0;
                self.talk.late_replies = 0;
                self.stats.bytes_out = 0;
                self.stats.send_calls = 0;
                self.stats.recv_calls = 0;
            }
            Phase::Talk
                if self.stats.completed >= self.stats.total
                    && self
                        .users
                        .iter()
                        .all(|u| !u.waiting && u.said == self.args.messages) =>
            {
                return Ok(true);
            }
            Phase::Talk => self.say_lines()?,
            _ => {}
        }
        Ok(false)
    }

    /// Each user says its next line once the last one is answered and
    /// heard by all, while its room has fewer than --pipeline lines on
    /// their way.
    fn say_lines(&mut self) -> io::Result<()> {
        let window = self.args.pipeline.max(1) as usize;
        for id in 0..self.users.len() {
            let user = &self.users[id];
            let room = user.room;
            if user.waiting
                || user.said == self.args.messages
                || self.talk.unheard[id] > 0
                || self.talk.in_flight[room] >= window
            {
                continue;
            }
            let k = user.said + 1;
            self.users[id].said = k;
            self.users[id].waiting = true;
            self.talk.requests += 1;
            self.talk.unheard[id] = self.talk.size[room] - 1;
            if self.talk.unheard[id] > 0 {
                self.talk.in_flight[room] += 1;
            }
            let text = line(id, k, self.start.elapsed().as_micros());
            self.ask(id, &text)?;
        }
        Ok(())
    }

    /// Waits (up to 20 ms) for datagrams, then reads every ready socket
    /// dry and lets each client answer.
    fn read(&mut self) -> io::Result<()> {
        self.poll
            .poll(&mut self.events, Some(Duration::from_millis(20)))?;
        for event in &self.events {
            let id = event.token().0;
            let Some(user) = self.users.get_mut(id) else {
                continue;
            };
            let now = Instant::now();
            loop {
                let client = &mut user.client;
                let bytes_in = &mut self.stats.bytes_in;
                let got = user.sock.recv(Duration::ZERO, |from, datagram| {
                    *bytes_in += datagram.len() as u64;
                    client.handle_datagram(now, from, datagram);
                })?;
                if got == 0 {
                    break;
                }
                self.stats.recv_calls += 1;
            }
            let (phase, start) = (self.phase, self.start);
            events(id, user, phase, start, &mut self.stats, &mut self.talk);
            user.flush(&mut self.stats);
        }
        Ok(())
    }

    /// The clients' timers: retransmissions, keep-alives, gaps.
    fn timers(&mut self) {
        let now = Instant::now();
        for (id, user) in self.users.iter_mut().enumerate() {
            if user.client.poll_timeout().is_some_and(|t| t <= now) {
                user.client.handle_timeout(now);
                events(
                    id,
                    user,
                    self.phase,
                    self.start,
                    &mut self.stats,
                    &mut self.talk,
                );
                user.flush(&mut self.stats);
            }
        }
    }

    /// Every member heard every line of every other member: an error for
    /// each pair that did not.
    fn check_heard(&mut self) {
        for (id, user) in self.users.iter().enumerate() {
            let others = (0..self.users.len()).filter(|&m| m != id && m % self.rooms == user.room);
            for from in others {
                if user.heard[from] != self.args.messages {
                    self.stats.errors.push(format!(
                        "u{id} heard {} of u{from}'s {} lines",
                        user.heard[from], self.args.messages
                    ));
                }
            }
        }
    }

    /// `by` from everyone, waited for (up to 3 s): a registration left
    /// behind would be taken over by a later run's socket on the same port,
    /// and a rename keeps its notification count, which the new client
    /// would then wait in vain to see start at 1.
    fn leave(&mut self) -> io::Result<()> {
        for user in &mut self.users {
            let _ = user.client.handle_line(Instant::now(), "$quit");
            user.flush(&mut self.stats);
        }
        let (errors, talk) = (self.stats.errors.len(), self.talk.duplicates);
        let until = Instant::now() + Duration::from_secs(3);
        while Instant::now() < until && !self.users.iter().all(|u| u.client.is_closed()) {
            self.read()?;
            self.timers();
        }
        // what leaving brings (others' `lv`, the `by` answers) is not the
        // run's
        self.stats.errors.truncate(errors);
        self.talk.duplicates = talk;
        Ok(())
    }

    /// The room figures; `cpu`: the server's CPU time (ns) before and
    /// after the talking.
    fn report(&self, secs: f64, cpu: Option<(u64, u64)>) {
        let (stats, talk) = (&self.stats, &self.talk);
        common::say!(
            "room: {} notifications delivered and acknowledged in {secs:.3} s: {:.0}/s \
             ({} lines said, {:.0} notifications per line; {} sent again, {} late replies)",
            stats.completed,
            stats.completed as f64 / secs,
            talk.requests,
            stats.completed as f64 / talk.requests.max(1) as f64,
            talk.duplicates,
            talk.late_replies
        );
        if let Some((before, after)) = cpu {
            let ns = after.saturating_sub(before) as f64;
            common::say!(
                "server CPU: {:.3} s, {:.2} us per notification",
                ns / 1e9,
                ns / 1e3 / stats.completed.max(1) as f64
            );
        }
    }
}
