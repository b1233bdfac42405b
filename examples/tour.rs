//! The tour: every protocol of sockwire end to end over loopback, in one
//! process, each message printed with its bytes and named fields.
//!
//! ```sh
//! cargo run --example tour
//! ```
//!
//! Each section is a function in [`SECTIONS`]; adding a protocol is adding
//! one (§6 is there when the default `json` feature is on). Servers and clients are the library's `conn` types, driven here on
//! one thread, step by step, so the output reads in the order things
//! happen.

use std::fmt::Display;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use clap::Parser;
use sockwire::builtin::{BuiltinService, Client, DatagramService, Protocol, ReplyPolicy};
use sockwire::conn::{Connection, ConnectionConfig};
use sockwire::dump::{self, Field};
use sockwire::room::lab::{LabClient, LabClientConfig, LabServer, LabServerConfig};
use sockwire::room::{ClientConfig, Name, RoomClient, RoomServer};
use sockwire::{DatagramMachine, Transmit};

#[path = "common/mod.rs"]
mod common;

/// Runs every protocol end to end over loopback (127.0.0.1, ports chosen by
/// the OS) and prints each message and its bytes with the fields named.
#[derive(Parser)]
struct Args {}

/// A section of the tour: a title and what it runs.
struct Section {
    title: &'static str,
    wire: &'static str,
    run: fn() -> io::Result<()>,
}

const SECTIONS: &[Section] = &[
    Section {
        title: "§1 Text datagram (UDP)",
        wire: "one datagram = the UTF-8 text, no header, no terminator",
        run: udp_text,
    },
    Section {
        title: "§2 Text stream (TCP)",
        wire: "raw UTF-8 bytes, no framing",
        run: tcp_text,
    },
    Section {
        title: "§3 Line (TCP chat)",
        wire: "UTF-8 text + LF; a CR before the LF is not part of the line",
        run: lines,
    },
    Section {
        title: "§4 Fixed packet (TCP)",
        wire: "struct.pack('!BLL20s', version, order, size, field): 29 bytes",
        run: fixed,
    },
    Section {
        title: "§5 Variable packet (TCP)",
        wire: "struct.pack('!BLL', version, size, order) + payload: size before order",
        run: variable,
    },
    #[cfg(feature = "json")]
    Section {
        title: "§6 Application message (TCP, JSON header)",
        wire: "u16 header length + JSON header + content",
        run: app,
    },
    Section {
        title: "§7 Room chat (UDP)",
        wire: "one datagram = \"<tag> <op> [<arg> ...]\", UTF-8, fields separated by one space",
        run: room,
    },
    Section {
        title: "§8 Room directory, the lab's original wire (UDP)",
        wire: "one datagram = \"<op> [<arg> ...]\", UTF-8, no tags; chat lines go peer to peer",
        run: lab_room,
    },
];

const TIMEOUT: Duration = Duration::from_secs(5);

fn main() -> io::Result<()> {
    let _ = Args::parse();
    common::out!("sockwire tour: every protocol over loopback, in one process.");
    common::out!("Addresses are 127.0.0.1; the OS picks every port (clients get ephemeral ones).");
    for section in SECTIONS {
        common::out!();
        common::out!("{}", section.title);
        common::out!("{}", "=".repeat(section.title.chars().count()));
        common::out!("wire: {}", section.wire);
        (section.run)()?;
    }
    common::out!();
    common::out!("tour complete: {} sections", SECTIONS.len());
    Ok(())
}

/// Prints a reply: in full, or in one line when it is the request's bytes.
fn show_reply(
    from: (&str, SocketAddr),
    to: (&str, SocketAddr),
    transport: &str,
    wire: &[u8],
    request: &[u8],
    fields: &[Field],
) {
    if wire == request {
        common::out!();
        common::out!(
            "  {} {} -> {} {}   {transport}, {}: the same bytes back (echo)",
            from.0,
            from.1,
            to.0,
            to.1,
            bytes(wire.len())
        );
    } else {
        show(from, to, transport, wire, fields);
    }
}

/// Prints one message on the wire: direction, peers, size, then the bytes
/// with the fields named.
fn show(
    from: (&str, SocketAddr),
    to: (&str, SocketAddr),
    transport: &str,
    wire: &[u8],
    fields: &[Field],
) {
    common::out!();
    common::out!(
        "  {} {} -> {} {}   {transport}, {}",
        from.0,
        from.1,
        to.0,
        to.1,
        bytes(wire.len())
    );
    for line in dump::render(wire, fields).lines() {
        common::out!("      {line}");
    }
}

/// `1 byte`, `2 bytes`.
fn bytes(n: usize) -> String {
    if n == 1 {
        "1 byte".to_owned()
    } else {
        format!("{n} bytes")
    }
}

fn udp_text() -> io::Result<()> {
    let server = UdpSocket::bind("127.0.0.1:0")?;
    let client = UdpSocket::bind("127.0.0.1:0")?;
    server.set_read_timeout(Some(TIMEOUT))?;
    client.set_read_timeout(Some(TIMEOUT))?;
    let (s, c) = (server.local_addr()?, client.local_addr()?);
    common::out!("server bound to {s}; client bound to {c}");
    let mut buf = vec![0u8; 65_536];
    for (reply, text) in [
        (ReplyPolicy::Echo, "Hello, world"),
        (ReplyPolicy::Upper, "  ação, mundo  "),
    ] {
        common::out!();
        common::out!("  server reply policy: {reply}");
        let mut service = DatagramService::new(reply);
        client.send_to(text.as_bytes(), s)?;
        let (n, peer) = server.recv_from(&mut buf)?;
        let datagram = &buf[..n];
        show(
            ("client", c),
            ("server", s),
            "UDP datagram",
            datagram,
            &dump::text_fields(datagram),
        );
        let handled = service.handle_datagram(datagram);
        common::out!("  server log: {}", handled.log_line(peer));
        if let Some(answer) = handled.reply {
            server.send_to(&answer, peer)?;
            let (n, _) = client.recv_from(&mut buf)?;
            let back = &buf[..n];
            let fields = dump::text_fields(back);
            show_reply(
                ("server", s),
                ("client", c),
                "UDP datagram",
                back,
                text.as_bytes(),
                &fields,
            );
        }
    }
    Ok(())
}

/// A loopback TCP connection with a server-side [`Connection`] and a
/// [`Client`], driven one step at a time.
struct Tcp {
    client: TcpStream,
    server: TcpStream,
    c: SocketAddr,
    s: SocketAddr,
    conn: Connection<BuiltinService>,
    side: Client,
    protocol: Protocol,
    /// What the client wrote last.
    request: Vec<u8>,
}

impl Tcp {
    fn open(protocol: Protocol, reply: ReplyPolicy) -> io::Result<Tcp> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let client = TcpStream::connect(listener.local_addr()?)?;
        let (server, c) = listener.accept()?;
        for stream in [&client, &server] {
            stream.set_read_timeout(Some(TIMEOUT))?;
            stream.set_nodelay(true)?;
        }
        let s = server.local_addr()?;
        if protocol.name() == "app" {
            common::out!("server listening on {s} (protocol {protocol})");
        } else {
            common::out!("server listening on {s} (protocol {protocol}, reply {reply})");
        }
        common::out!("client connected from {c} (its port is ephemeral: picked by the OS)");
        Ok(Tcp {
            client,
            server,
            c,
            s,
            conn: Connection::new(
                Instant::now(),
                protocol.service(reply),
                ConnectionConfig::default(),
            ),
            side: Client::new(protocol),
            protocol,
            request: Vec::new(),
        })
    }

    /// The client writes `wire`; the server reads until it has a message
    /// (or an error), logs, and writes its reply; the client reads it.
    fn client_writes(&mut self, wire: &[u8], fields: &[Field]) -> io::Result<()> {
        show(("client", self.c), ("server", self.s), "TCP", wire, fields);
        self.client.write_all(wire)?;
        self.request = wire.to_vec();
        self.server_turn()
    }

    /// The server reads one chunk, logs its events, and writes its reply,
    /// which the client reads and prints.
    fn server_turn(&mut self) -> io::Result<()> {
        let mut buf = vec![0u8; 65_536];
        let n = self.server.read(&mut buf)?;
        if n == 0 {
            self.conn.handle_eof(Instant::now());
        } else {
            self.conn.handle_input(Instant::now(), &buf[..n]);
        }
        while let Some(event) = self.conn.poll_event() {
            common::out!("  server log: {} {event}", self.c);
        }
        if self.conn.buffered_input() > 0 {
            common::out!(
                "  (the server holds {} of an unfinished message)",
                bytes(self.conn.buffered_input())
            );
        }
        if self.conn.wants_write() {
            let reply = self.conn.pending_output().to_vec();
            let fields = self.protocol.dump_fields(&reply);
            let (from, to) = (("server", self.s), ("client", self.c));
            show_reply(from, to, "TCP", &reply, &self.request, &fields);
            self.server.write_all(&reply)?;
            self.conn.consume_output(Instant::now(), reply.len());
            let mut got = 0;
            while got < reply.len() {
                let n = self.client.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                got += n;
                self.side.handle_input(&buf[..n]);
            }
            while let Some(event) = self.side.poll_event() {
                common::out!("  client got: {event}");
            }
        }
        if self.conn.is_closed() {
            common::out!("  server closes its socket");
            let _ = self.server.shutdown(std::net::Shutdown::Both);
        }
        Ok(())
    }

    /// The client sends `text` as the next message of the protocol.
    fn send(&mut self, text: &str) -> io::Result<()> {
        self.side.send_message(text).map_err(io::Error::other)?;
        let wire = self.side.pending_output().to_vec();
        self.side.consume_output(wire.len());
        let fields = self.protocol.dump_fields(&wire);
        self.client_writes(&wire, &fields)
    }

    /// The client closes; the server sees the end of the stream.
    fn close(mut self) -> io::Result<()> {
        common::out!();
        common::out!("  client {} closes the connection", self.c);
        self.client.shutdown(std::net::Shutdown::Write)?;
        self.server_turn()?;
        let mut rest = Vec::new();
        match self.client.read_to_end(&mut rest) {
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
            Err(e) => return Err(e),
        }
        Ok(())
    }
}

fn tcp_text() -> io::Result<()> {
    let mut tcp = Tcp::open(Protocol::Text, ReplyPolicy::Echo)?;
    tcp.send("Hello, world")?;
    common::out!();
    common::out!("  'ã' is two bytes (c3 a3); a read can cut it, and the decoder holds the half");
    let wire = "não".as_bytes();
    let (a, b) = wire.split_at(2);
    tcp.client_writes(
        a,
        &[
            Field::new("text", 0..1, "\"n\""),
            Field::new("(half)", 1..2, "first byte of 'ã'"),
        ],
    )?;
    tcp.client_writes(
        b,
        &[
            Field::new("(half)", 0..1, "second byte of 'ã'"),
            Field::new("text", 1..2, "\"o\""),
        ],
    )?;
    tcp.close()?;
    common::out!();
    common::out!("  the same with reply upper: the decoded text upper-cased, nothing stripped");
    let mut tcp = Tcp::open(Protocol::Text, ReplyPolicy::Upper)?;
    tcp.send("Hello, world")?;
    tcp.close()
}

fn lines() -> io::Result<()> {
    // a chat: both peers decode lines; nobody echoes
    let mut tcp = Tcp::open(Protocol::Line, ReplyPolicy::None)?;
    common::out!("(a chat: each typed line is sent with its LF; the peer prints it)");
    tcp.send("hello")?;
    let two = b"how are you?\r\nfine\n";
    let mut fields = dump::line_fields(b"how are you?\r\n");
    let second = dump::line_fields(b"fine\n")
        .into_iter()
        .map(|f| Field::new(f.name, f.range.start + 14..f.range.end + 14, f.value));
    fields.extend(second);
    common::out!();
    common::out!("  two lines in one write (the first from a peer that ends lines with CRLF)");
    tcp.client_writes(two, &fields)?;
    common::out!();
    common::out!("  typing :q sends nothing and closes the connection");
    tcp.close()
}

fn fixed() -> io::Result<()> {
    let mut tcp = Tcp::open(Protocol::Fixed, ReplyPolicy::Echo)?;
    tcp.send("hi")?;
    tcp.send("ação 🐰")?;
    common::out!();
    common::out!("  a text longer than the field: size says 26, the field holds 20");
    tcp.send("abcdefghijklmnopqrstuvwxyz")?;
    tcp.close()
}

fn variable() -> io::Result<()> {
    let mut tcp = Tcp::open(Protocol::Variable, ReplyPolicy::Upper)?;
    tcp.send("hello")?;
    tcp.send("ação 🐰")?;
    common::out!();
    common::out!(
        "  a header that declares 2 MiB, over the 1 MiB limit: refused before any payload"
    );
    let wire = b"\x01\x00\x20\x00\x00\x00\x00\x00\x03";
    tcp.client_writes(wire, &dump::variable_fields(wire))?;
    common::out!();
    common::out!("  the server closed the connection; other connections are not affected");
    Ok(())
}

#[cfg(feature = "json")]
fn app() -> io::Result<()> {
    // the reply policy does not apply: the server answers from its table
    let mut tcp = Tcp::open(Protocol::App, ReplyPolicy::None)?;
    common::out!("(the client sends `search` requests; the server answers from its table)");
    tcp.send("morpheus")?;
    tcp.send("🐶")?;
    tcp.send("neo")?;
    tcp.close()
}

// ---------------------------------------------------------------------------
// §7 and §8: room chats, a server and its clients, all datagram machines.

/// A datagram machine as the tour drives it: any [`DatagramMachine`]
/// whose events print, so a server and its clients sit in one list.
trait Machine {
    fn handle(&mut self, now: Instant, from: SocketAddr, datagram: &[u8]);
    fn transmit(&mut self) -> Option<Transmit>;
    fn logged(&mut self) -> Vec<String>;
}

impl<M: DatagramMachine> Machine for M
where
    M::Event: Display,
{
    fn handle(&mut self, now: Instant, from: SocketAddr, datagram: &[u8]) {
        self.handle_datagram(now, from, datagram);
    }

    fn transmit(&mut self) -> Option<Transmit> {
        self.poll_transmit()
    }

    fn logged(&mut self) -> Vec<String> {
        std::iter::from_fn(|| self.poll_event())
            .map(|e| e.to_string())
            .collect()
    }
}

/// One party of a room chat: its name, its socket, its machine, and how
/// its events are introduced ("server log", "alice prints").
struct Party<'a> {
    name: &'static str,
    socket: &'a UdpSocket,
    machine: &'a mut dyn Machine,
    says: String,
}

impl<'a> Party<'a> {
    fn server(socket: &'a UdpSocket, machine: &'a mut dyn Machine) -> Self {
        Party {
            name: "server",
            socket,
            machine,
            says: "server log".into(),
        }
    }

    fn client(name: &'static str, socket: &'a UdpSocket, machine: &'a mut dyn Machine) -> Self {
        Party {
            name,
            socket,
            machine,
            says: format!("{name} prints"),
        }
    }
}

/// Moves every datagram the parties send until none is left, printing
/// each with the fields `fields` names, and then what each party logs.
fn pump_parties(
    parties: &mut [Party<'_>],
    fields: fn(&[u8]) -> Vec<Field>,
    now: Instant,
) -> io::Result<()> {
    let mut buf = vec![0u8; 65_536];
    let addrs = (parties.iter())
        .map(|p| p.socket.local_addr())
        .collect::<io::Result<Vec<_>>>()?;
    loop {
        let mut moved = false;
        for i in 0..parties.len() {
            while let Some(t) = parties.get_mut(i).and_then(|p| p.machine.transmit()) {
                moved = true;
                let Some(j) = addrs.iter().position(|a| *a == t.destination) else {
                    continue; // not one of ours: not sent
                };
                let (Some(from), Some(from_addr), Some(to)) =
                    (parties.get(i), addrs.get(i), parties.get(j))
                else {
                    break;
                };
                show(
                    (from.name, *from_addr),
                    (to.name, t.destination),
                    "UDP datagram",
                    &t.payload,
                    &fields(&t.payload),
                );
                from.socket.send_to(&t.payload, t.destination)?;
                let (n, sender) = to.socket.recv_from(&mut buf)?;
                // recv_from never reports more bytes than the buffer holds
                let (Some(datagram), Some(to)) = (buf.get(..n), parties.get_mut(j)) else {
                    break;
                };
                to.machine.handle(now, sender, datagram);
            }
        }
        for party in parties.iter_mut() {
            for line in party.machine.logged() {
                common::out!("  {}: {line}", party.says);
            }
        }
        if !moved {
            return Ok(());
        }
    }
}

/// A socket on loopback, port chosen by the OS, that gives up reading
/// after [`TIMEOUT`].
fn loopback() -> io::Result<UdpSocket> {
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    socket.set_read_timeout(Some(TIMEOUT))?;
    Ok(socket)
}

/// A room chat on loopback: a server and its named clients, each on its
/// own socket, the datagrams shown with `fields`.
struct Room<S, C> {
    server: (UdpSocket, S),
    clients: Vec<(&'static str, UdpSocket, C)>,
    fields: fn(&[u8]) -> Vec<Field>,
    now: Instant,
}

impl<S: Machine, C: Machine> Room<S, C> {
    /// Moves every datagram until none is left (see [`pump_parties`]).
    fn pump(&mut self) -> io::Result<()> {
        let mut parties = vec![Party::server(&self.server.0, &mut self.server.1)];
        for (name, socket, client) in &mut self.clients {
            parties.push(Party::client(name, socket, client));
        }
        pump_parties(&mut parties, self.fields, self.now)
    }

    /// Types each `(user, line)` at that client with `handle_line`, and
    /// moves the datagrams it makes.
    fn type_lines<R, E>(
        &mut self,
        lines: &[(&str, &str)],
        handle_line: impl Fn(&mut C, Instant, &str) -> Result<R, E>,
    ) -> io::Result<()>
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        for &(user, line) in lines {
            common::out!();
            common::out!("  {user} types: {line}");
            for (name, _, client) in &mut self.clients {
                if *name == user {
                    handle_line(client, self.now, line).map_err(io::Error::other)?;
                }
            }
            self.pump()?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// §7: room chat with tags.

fn room() -> io::Result<()> {
    // time stands still in the tour: no keep-alives, no retransmissions
    let now = Instant::now();
    let server = loopback()?;
    let s = server.local_addr()?;
    let mut clients = Vec::new();
    for user in ["alice", "bob"] {
        let name = Name::new(user).map_err(io::Error::other)?;
        let socket = loopback()?;
        common::out!(
            "{user} at {} (registers with `hi` on start)",
            socket.local_addr()?
        );
        let client = RoomClient::new(now, s, name, ClientConfig::default());
        clients.push((user, socket, client));
    }
    common::out!("server at {s}");
    let mut room = Room {
        server: (server, RoomServer::default()),
        clients,
        fields: dump::room_fields,
        now,
    };
    room.pump()?;
    room.type_lines(
        &[
            ("alice", "$roomcreate lobby"),
            ("bob", "$roomjoin lobby"),
            ("alice", "hello, room"),
            // a private message goes straight to the poked address, with a
            // tag, and is answered like a request
            ("bob", "$poke alice"),
            ("bob", "$msg alice psst"),
        ],
        RoomClient::handle_line,
    )
}

// ---------------------------------------------------------------------------
// §8: the same commands as §7 on the lab's original wire.

/// The op and the arguments of a §8 datagram, named.
fn lab_fields(wire: &[u8]) -> Vec<Field> {
    let mut parts = wire.splitn(2, |&b| b == b' ');
    let op = parts.next().unwrap_or(wire);
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    let Some(args) = parts.next() else {
        return vec![Field::new("op", 0..op.len(), text(op))];
    };
    // the op field holds the space after it, as in the §7 dump
    vec![
        Field::new("op", 0..op.len() + 1, text(op)),
        Field::new("args", op.len() + 1..wire.len(), text(args)),
    ]
}

fn lab_room() -> io::Result<()> {
    common::out!("(the same commands as §7; §8 has no tags, and `rc` does not join,");
    common::out!(" so alice also types $roomjoin. Without tags nothing is retransmitted:");
    common::out!(" a lost `hi` or `rj` leaves a client waiting, and a list arrives one");
    common::out!(" datagram per entry with no way to tell it is complete. §7's tags let");
    common::out!(" a client match each reply to its request and send it again, and the");
    common::out!(" server answer a repeat from its cache without running it twice.)");
    let now = Instant::now();
    let server = loopback()?;
    let s = server.local_addr()?;
    common::out!("server at {s}");
    let mut clients = Vec::new();
    for user in ["alice", "bob"] {
        let socket = loopback()?;
        common::out!(
            "{user} at {} (says `hi {user}` on start)",
            socket.local_addr()?
        );
        let name = Name::new(user).map_err(io::Error::other)?;
        let client = LabClient::new(s, name, LabClientConfig::default());
        clients.push((user, socket, client));
    }
    let mut room = Room {
        server: (server, LabServer::new(LabServerConfig::default())),
        clients,
        fields: lab_fields,
        now,
    };
    room.pump()?;
    room.type_lines(
        &[
            ("alice", "$roomcreate lobby"),
            ("alice", "$roomjoin lobby"),
            ("bob", "$roomjoin lobby"),
            ("alice", "hello, room"),
            ("bob", "$roomleave"),
        ],
        LabClient::handle_line,
    )
}
