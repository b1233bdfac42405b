//! The datagram cases' harness (§7, §8): several client sockets talk to
//! the server under test while a sockwire server of the same protocol
//! (the *shadow*) is fed the very same datagrams from the same addresses;
//! what the shadow sends is what each client must receive.

use std::collections::{BTreeSet, VecDeque};
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use sockwire::DatagramMachine;

use super::case::{Ctx, Outcome, Verdict};
use super::udp;

/// One client socket and what it still waits for.
struct Client {
    sock: UdpSocket,
    /// Its address, as the server sees it.
    addr: SocketAddr,
    /// The datagrams the shadow sent it that have not come yet.
    due: VecDeque<Vec<u8>>,
    /// The notifications (`n<seq>`) it got, to tell a resend.
    seen: BTreeSet<Vec<u8>>,
    /// The next tag of its requests (§7).
    tag: u32,
    /// It said `hi` and has not said `by` since.
    registered: bool,
}

/// The clients, the shadow, and every datagram both ways.
pub struct World<'a, M: DatagramMachine> {
    ctx: &'a Ctx,
    shadow: M,
    clients: Vec<Client>,
    /// Acknowledge every notification as it comes (§7).
    pub ack: bool,
    /// What each client sends to unregister when the case ends: `{tag}`
    /// stands for its next tag.
    pub bye: &'static str,
    /// Every datagram sent, expected and received, one per line.
    pub sent: Vec<u8>,
    pub expected: Vec<u8>,
    pub got: Vec<u8>,
}

/// Whether `d` is a §7 notification; its `n<seq>` tag.
pub fn notice_tag(d: &[u8]) -> Option<&[u8]> {
    let tag = d.split(|&b| b == b' ').next()?;
    (tag.len() > 1 && tag[0] == b'n' && tag[1..].iter().all(u8::is_ascii_digit)).then_some(tag)
}

fn line(out: &mut Vec<u8>, d: &[u8]) {
    out.extend_from_slice(d);
    out.push(b'\n');
}

impl<'a, M: DatagramMachine> World<'a, M> {
    pub fn new(ctx: &'a Ctx, shadow: M) -> Self {
        World {
            ctx,
            shadow,
            clients: Vec::new(),
            ack: true,
            bye: "{tag} by",
            sent: Vec::new(),
            expected: Vec::new(),
            got: Vec::new(),
        }
    }

    /// A new client; its index.
    pub fn client(&mut self) -> Result<usize, Outcome> {
        let sock = udp::socket(self.ctx.addr, self.ctx.timeout).map_err(Outcome::fail)?;
        let addr = sock
            .local_addr()
            .map_err(|e| Outcome::fail(e.to_string()))?;
        self.clients.push(Client {
            sock,
            addr,
            due: VecDeque::new(),
            seen: BTreeSet::new(),
            tag: 1,
            registered: false,
        });
        Ok(self.clients.len() - 1)
    }

    /// Sends `d` from client `c` to the server and to the shadow; what the
    /// shadow answers becomes due.
    pub fn send(&mut self, c: usize, d: &[u8]) -> Result<(), Outcome> {
        self.clients[c]
            .sock
            .send(d)
            .map_err(|e| self.failed(format!("cannot send: {e}")))?;
        line(&mut self.sent, d);
        // the op: the first word on §8, the second (after the tag) on §7
        let mut words = d.split(|&b| b == b' ');
        let op = if self.bye.starts_with("{tag}") {
            words.nth(1)
        } else {
            words.next()
        };
        match op {
            Some(b"hi") => self.clients[c].registered = true,
            Some(b"by") => self.clients[c].registered = false,
            _ => {}
        }
        self.shadow
            .handle_datagram(Instant::now(), self.clients[c].addr, d);
        while let Some(t) = self.shadow.poll_transmit() {
            if let Some(to) = self.clients.iter_mut().find(|k| k.addr == t.destination) {
                to.due.push_back(t.payload.to_vec());
                line(&mut self.expected, &t.payload);
            }
        }
        while self.shadow.poll_event().is_some() {}
        Ok(())
    }

    /// Sends a §7 request from client `c` with its next tag; the tag.
    pub fn request(&mut self, c: usize, body: &str) -> Result<u32, Outcome> {
        let tag = self.clients[c].tag;
        self.clients[c].tag += 1;
        self.send(c, format!("{tag} {body}").as_bytes())?;
        Ok(tag)
    }

    /// Waits until every due datagram came, in order, to its client.
    pub fn settle(&mut self) -> Result<(), Outcome> {
        for c in 0..self.clients.len() {
            while let Some(want) = self.clients[c].due.front().cloned() {
                let d = self.next(c, self.ctx.timeout)?.ok_or_else(|| {
                    self.failed(format!(
                        "client {} waited {:.1} s for {:?}; nothing came",
                        c + 1,
                        self.ctx.timeout.as_secs_f64(),
                        String::from_utf8_lossy(&want)
                    ))
                })?;
                if d != want {
                    return Err(self.failed(format!(
                        "client {} got {:?}, expected {:?}",
                        c + 1,
                        String::from_utf8_lossy(&d),
                        String::from_utf8_lossy(&want)
                    )));
                }
                self.clients[c].due.pop_front();
            }
        }
        Ok(())
    }

    /// Checks that nothing new comes to client `c` for a short while.
    pub fn quiet(&mut self, c: usize) -> Result<(), Outcome> {
        match self.next(c, self.ctx.quiet())? {
            None => Ok(()),
            Some(d) => Err(self.failed(format!(
                "client {} got {:?}, which no request explains",
                c + 1,
                String::from_utf8_lossy(&d)
            ))),
        }
    }

    /// The next datagram to client `c` within `wait` that is not a resend
    /// of a notification it already has (acknowledged when `ack`).
    pub fn next(&mut self, c: usize, wait: Duration) -> Result<Option<Vec<u8>>, Outcome> {
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            let Some(d) = udp::recv(&self.clients[c].sock, left).map_err(|e| self.failed(e))?
            else {
                return Ok(None);
            };
            line(&mut self.got, &d);
            let Some(tag) = notice_tag(&d).map(<[u8]>::to_vec) else {
                return Ok(Some(d));
            };
            if self.ack {
                let mut ack = tag.clone();
                ack.extend_from_slice(b" ak");
                self.send(c, &ack)?;
            }
            if self.clients[c].seen.insert(tag) {
                return Ok(Some(d));
            }
        }
    }

    /// Receives on client `c` straight from its socket (no shadow, no ack).
    pub fn raw_recv(&mut self, c: usize, wait: Duration) -> Result<Option<Vec<u8>>, Outcome> {
        let d = udp::recv(&self.clients[c].sock, wait).map_err(|e| self.failed(e))?;
        if let Some(d) = &d {
            line(&mut self.got, d);
        }
        Ok(d)
    }

    /// Sends straight from client `c`'s socket (the shadow does not see it).
    pub fn raw_send(&mut self, c: usize, d: &[u8]) -> Result<(), Outcome> {
        line(&mut self.sent, d);
        self.clients[c]
            .sock
            .send(d)
            .map_err(|e| self.failed(format!("cannot send: {e}")))?;
        Ok(())
    }

    /// A failed outcome with the datagrams so far.
    pub fn failed(&self, why: String) -> Outcome {
        Outcome::new(Verdict::Fail, why).with_bytes(&self.sent, &self.expected, &self.got)
    }

    /// A passing outcome with the datagrams so far.
    pub fn passed(&self, detail: impl Into<String>) -> Outcome {
        Outcome::pass(detail).with_bytes(&self.sent, &self.expected, &self.got)
    }
}

impl<M: DatagramMachine> Drop for World<'_, M> {
    /// Unregisters every client still registered, so that the next case
    /// finds the server as this one did.
    fn drop(&mut self) {
        for c in self.clients.iter().filter(|c| c.registered) {
            let bye = self.bye.replace("{tag}", &c.tag.to_string());
            let _ = c.sock.send(bye.as_bytes());
        }
        if !self.clients.is_empty() {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
