//! One TCP connection of a case: writes on a schedule (split, byte at a
//! time, all at once) on a thread of its own, and reads the reply against
//! a [`Matcher`] with the case's timeout, recording every byte both ways.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use super::case::{Ctx, Outcome, Verdict};
use super::model::{Expect, Progress};

/// How a read for a reply ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// The whole reply came, and it is right.
    Matched,
    /// What came is wrong.
    Wrong(String),
    /// Nothing more came within the timeout.
    TimedOut,
    /// The server closed the connection.
    Closed,
    /// The connection failed (reset, ...).
    Broken(String),
}

impl End {
    /// The sentence for a failure.
    pub fn why(&self, timeout: Duration) -> String {
        match self {
            End::Matched => "the reply is right".into(),
            End::Wrong(w) => format!("wrong reply: {w}"),
            End::TimedOut => format!("no (further) reply within {:.1} s", timeout.as_secs_f64()),
            End::Closed => "the server closed the connection before the whole reply".into(),
            End::Broken(e) => format!("the connection failed: {e}"),
        }
    }
}

/// How to write: pieces, and a pause before each but the first.
pub struct Writes {
    pub pieces: Vec<Vec<u8>>,
    pub gap: Duration,
}

impl Writes {
    /// All in one write.
    pub fn once(bytes: Vec<u8>) -> Self {
        Writes {
            pieces: vec![bytes],
            gap: Duration::ZERO,
        }
    }

    /// In these pieces, `gap` apart (long enough for the server to read
    /// each alone).
    pub fn pieces(pieces: Vec<Vec<u8>>, gap: Duration) -> Self {
        Writes { pieces, gap }
    }

    /// Cut at `at`: two writes.
    pub fn split(bytes: &[u8], at: usize) -> Self {
        let (a, b) = bytes.split_at(at);
        Writes::pieces(vec![a.to_vec(), b.to_vec()], SPLIT_GAP)
    }
}

/// How a reply is read: after a wait, so many bytes a read, a pause
/// between reads.
#[derive(Debug, Clone, Copy)]
pub struct Reading {
    first: Duration,
    chunk: usize,
    pause: Duration,
}

impl Reading {
    /// At once, 64 KiB a read, no pause.
    const PROMPT: Reading = Reading {
        first: Duration::ZERO,
        chunk: 64 * 1024,
        pause: Duration::ZERO,
    };
}

/// The pause between two writes meant to reach the server apart.
pub const SPLIT_GAP: Duration = Duration::from_millis(8);

/// Connects with the case's timeouts, Nagle off (so that every write goes
/// out as it is).
pub fn connect(addr: SocketAddr, timeout: Duration) -> Result<TcpStream, String> {
    let stream = TcpStream::connect_timeout(&addr, timeout)
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(timeout));
    Ok(stream)
}

/// One connection of a case, and what went over it.
pub struct Session<'a> {
    ctx: &'a Ctx,
    stream: TcpStream,
    /// Replies received on this connection so far.
    replies: usize,
    pub sent: Vec<u8>,
    pub expected: Vec<u8>,
    pub got: Vec<u8>,
    writer: Option<JoinHandle<Result<(), String>>>,
}

impl<'a> Session<'a> {
    /// Connects to the server.
    pub fn open(ctx: &'a Ctx) -> Result<Self, Outcome> {
        let stream = connect(ctx.addr, ctx.timeout).map_err(Outcome::fail)?;
        Ok(Session {
            ctx,
            stream,
            replies: 0,
            sent: Vec::new(),
            expected: Vec::new(),
            got: Vec::new(),
            writer: None,
        })
    }

    /// Starts writing `writes` on a thread (so that a large reply is read
    /// while the request is still being written).
    pub fn send(&mut self, writes: Writes) -> Result<(), Outcome> {
        self.reopen_if_closing()?;
        self.sent.extend(writes.pieces.iter().flatten());
        let mut stream = self
            .stream
            .try_clone()
            .map_err(|e| Outcome::fail(format!("cannot clone the socket: {e}")))?;
        self.writer = Some(thread::spawn(move || {
            for (i, piece) in writes.pieces.iter().enumerate() {
                if i > 0 && !writes.gap.is_zero() {
                    thread::sleep(writes.gap);
                }
                stream
                    .write_all(piece)
                    .map_err(|e| format!("writing failed: {e}"))?;
            }
            Ok(())
        }));
        Ok(())
    }

    /// Against a server that closes after each reply, a connection that
    /// has had its reply is replaced by a new one.
    fn reopen_if_closing(&mut self) -> Result<(), Outcome> {
        if self.replies > 0 && self.ctx.closes_after_reply() {
            self.finish_writer();
            self.stream = connect(self.ctx.addr, self.ctx.timeout).map_err(Outcome::fail)?;
            self.replies = 0;
        }
        Ok(())
    }

    /// Waits for the writer thread; its error, if any.
    fn finish_writer(&mut self) -> Option<String> {
        self.writer.take().and_then(|w| w.join().ok()?.err())
    }

    /// Sends `writes` and reads the reply `expect`; on a wrong or missing
    /// reply, the failed outcome.
    pub fn exchange(&mut self, writes: Writes, expect: &Expect) -> Result<(), Outcome> {
        self.send(writes)?;
        self.expect(expect)
    }

    /// Reads the reply `expect` (nothing to read when it is empty: see
    /// [`close`](Self::close)).
    pub fn expect(&mut self, expect: &Expect) -> Result<(), Outcome> {
        self.expect_with(expect, Reading::PROMPT)
    }

    /// Reads slowly: waits `first`, then takes at most `chunk` bytes per
    /// read, `pause` apart, until `expect` is matched.
    pub fn expect_slowly(
        &mut self,
        expect: &Expect,
        first: Duration,
        chunk: usize,
        pause: Duration,
    ) -> Result<(), Outcome> {
        self.expect_with(
            expect,
            Reading {
                first,
                chunk,
                pause,
            },
        )
    }

    /// Reads the reply `expect` the way `how` says.
    fn expect_with(&mut self, expect: &Expect, how: Reading) -> Result<(), Outcome> {
        self.expected.extend(expect.bytes());
        if expect.is_empty() {
            let _ = self.finish_writer();
            return Ok(());
        }
        if !how.first.is_zero() {
            thread::sleep(how.first);
        }
        let start = self.got.len();
        let end = match self.read_reply(expect, how) {
            End::Wrong(w) => End::Wrong(self.where_wrong(w, expect, start)),
            end => end,
        };
        let written = self.finish_writer();
        match end {
            End::Matched => {
                self.replies += 1;
                Ok(())
            }
            end => {
                let mut why = end.why(self.ctx.timeout);
                if let Some(w) = written {
                    why = format!("{why} ({w})");
                }
                Err(self.failed(why))
            }
        }
    }

    /// `why`, with the field of the expected reply where what came (from
    /// `start`) first differs.
    fn where_wrong(&self, why: String, expect: &Expect, start: usize) -> String {
        let want = expect.bytes();
        let got = &self.got[start..];
        let at = want
            .iter()
            .zip(got)
            .position(|(a, b)| a != b)
            .unwrap_or(want.len().min(got.len()));
        let fields = self.ctx.target.fields(&want);
        match fields.iter().find(|f| f.range.contains(&at)) {
            Some(f) if !matches!(expect, Expect::App(_)) => {
                format!("{why} (in the {} field)", f.name)
            }
            _ => why,
        }
    }

    /// Reads until `expect` is matched, wrong, or the timeout passes with
    /// nothing new.
    fn read_reply(&mut self, expect: &Expect, how: Reading) -> End {
        let mut matcher = expect.matcher();
        let mut buf = vec![0; how.chunk];
        loop {
            let _ = self.stream.set_read_timeout(Some(self.ctx.timeout));
            match self.stream.read(&mut buf) {
                Ok(0) => return End::Closed,
                Ok(n) => {
                    self.got.extend_from_slice(&buf[..n]);
                    match matcher.feed(&buf[..n]) {
                        Progress::More if !how.pause.is_zero() => thread::sleep(how.pause),
                        Progress::More => {}
                        Progress::Done => return End::Matched,
                        Progress::Wrong(w) => return End::Wrong(w),
                    }
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return End::TimedOut;
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return End::Broken(e.to_string()),
            }
        }
    }

    /// Half-closes, and reads what else comes until the server closes (or
    /// the timeout passes): the last step of a case whose server answers
    /// nothing, to see that it indeed sends nothing.
    pub fn close(mut self) -> Result<Self, Outcome> {
        let _ = self.finish_writer();
        let _ = self.stream.shutdown(Shutdown::Write);
        let (extra, _) = self.read_to_end(self.ctx.timeout);
        if extra.is_empty() {
            Ok(self)
        } else {
            let n = extra.len();
            self.got.extend(extra);
            Err(self.failed(format!("{n} bytes came that no reply explains")))
        }
    }

    /// Reads until the server closes, `wait` passes with nothing (or, once
    /// something came, a short quiet period with nothing new), or the
    /// connection fails; what came and how it ended.
    pub fn read_to_end(&mut self, wait: Duration) -> (Vec<u8>, End) {
        let mut out = Vec::new();
        let mut buf = vec![0; 64 * 1024];
        let _ = self.stream.set_read_timeout(Some(wait));
        loop {
            match self.stream.read(&mut buf) {
                Ok(0) => return (out, End::Closed),
                Ok(n) => {
                    out.extend_from_slice(&buf[..n]);
                    // once something came, the rest comes at once
                    let _ = self.stream.set_read_timeout(Some(self.ctx.quiet()));
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return (out, End::TimedOut);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return (out, End::Broken(e.to_string())),
            }
        }
    }

    /// Half-closes the connection (no more writes).
    pub fn shutdown_write(&mut self) {
        let _ = self.finish_writer();
        let _ = self.stream.shutdown(Shutdown::Write);
    }

    /// A failed outcome with this session's bytes.
    pub fn failed(&self, why: String) -> Outcome {
        Outcome::new(Verdict::Fail, why).with_bytes(&self.sent, &self.expected, &self.got)
    }

    /// A passing outcome with this session's bytes.
    pub fn passed(&self, detail: impl Into<String>) -> Outcome {
        Outcome::pass(detail).with_bytes(&self.sent, &self.expected, &self.got)
    }

    /// Ends a case whose replies all came: closes (checking that nothing
    /// more comes when no reply was expected) and passes.
    pub fn done(self, detail: impl Into<String>) -> Outcome {
        let detail = detail.into();
        if self.expected.is_empty() {
            match self.close() {
                Ok(s) => s.passed("nothing came back, as reply policy none answers"),
                Err(o) => o,
            }
        } else {
            self.passed(detail)
        }
    }
}
