//! Batched UDP for the example servers and the load generator: many
//! datagrams per system call, in both directions.
//!
//! The library's machines hand out one [`Transmit`](sockwire::Transmit) at a
//! time and take one datagram at a time; this socket gathers them:
//!
//! - receive: `recvmmsg` (up to `quinn_udp::BATCH_SIZE` datagrams a call)
//!   with UDP GRO, through `quinn-udp`, which also knows which kernels lack
//!   what. A GRO buffer holds several datagrams of one sender, all of one
//!   size but the last; [`BatchSocket::recv`] hands them out one by one.
//! - send: queued datagrams go out at [`BatchSocket::flush`]. A run of
//!   datagrams to one destination, all of one size (the last may be
//!   shorter), is one `sendmsg` with UDP GSO (`quinn-udp`); everything else
//!   goes out in `sendmmsg` calls (`rustix`), up to [`SEND_BATCH`] a call.
//!   Order is kept: datagrams to one destination leave in the order queued.
//!
//! Without batching (`--no-batch`, or where `sendmmsg` is missing) the
//! same calls do one `recv_from` and one `send_to` per datagram. The socket
//! is non-blocking either way; a wait is a `poll`. A kernel
//! without GSO or GRO still gets `recvmmsg`/`sendmmsg`: `quinn-udp` probes
//! both and reports one segment per datagram when they are missing, and a
//! GSO send the device refuses is sent again datagram by datagram.
//!
//! No `unsafe` here: the system calls are the two crates' safe wrappers.

#![allow(dead_code)] // each example uses part of this

use std::io::{self, IoSlice, IoSliceMut};
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use quinn_udp::{RecvMeta, Transmit, UdpSockRef, UdpSocketState};
use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::net::{MMsgHdr, SendAncillaryBuffer, SendFlags, SocketAddrAny, sendmmsg};

/// The socket buffers a server asks for (see [`BatchSocket::with_buffers`]).
pub const SERVER_BUFFERS: usize = 4 << 20;

/// Most datagrams one `sendmmsg` carries.
pub const SEND_BATCH: usize = 64;

/// Room for one GRO buffer: the largest UDP payload a GSO/GRO super-packet
/// can hold.
const RECV_BUF: usize = 65_536;

/// Most bytes one GSO send carries (the kernel's limit is 64 KiB less the
/// headers).
const MAX_GSO_BYTES: usize = 65_000;

/// A datagram queued for [`BatchSocket::flush`]: `len` bytes at `start` of
/// the staging buffer.
#[derive(Clone, Copy)]
struct Queued {
    to: SocketAddr,
    start: usize,
    len: usize,
}

/// What the last [`BatchSocket::flush`] did, for counting system calls.
#[derive(Debug, Default, Clone, Copy)]
pub struct Flushed {
    /// Datagrams handed to the kernel.
    pub datagrams: usize,
    /// System calls made.
    pub calls: usize,
}

/// A UDP socket that receives and sends in batches (or, turned off, one
/// datagram per call).
pub struct BatchSocket {
    socket: UdpSocket,
    /// `None`: one datagram per call.
    state: Option<UdpSocketState>,
    /// One receive buffer per datagram of a `recvmmsg`.
    bufs: Vec<Vec<u8>>,
    meta: Vec<RecvMeta>,
    /// The queued datagrams' bytes, back to back.
    staged: Vec<u8>,
    queued: Vec<Queued>,
    /// `sendmmsg` failed as unsupported: send one by one from then on.
    no_sendmmsg: bool,
    /// Buffers the last receive filled.
    last: usize,
}

impl BatchSocket {
    /// Wraps `socket`, batched if `batch` and the kernel allows it.
    pub fn new(socket: UdpSocket, batch: bool) -> io::Result<Self> {
        let state = if batch {
            // sets the socket non-blocking, GRO on where the kernel has it
            Some(UdpSocketState::new(UdpSockRef::from(&socket))?)
        } else {
            None
        };
        let (count, size) = match &state {
            Some(_) => (quinn_udp::BATCH_SIZE, RECV_BUF),
            None => (1, RECV_BUF),
        };
        let sock = BatchSocket {
            socket,
            state,
            bufs: vec![vec![0; size]; count],
            meta: vec![RecvMeta::default(); count],
            staged: Vec::with_capacity(SEND_BATCH * 512),
            queued: Vec::with_capacity(SEND_BATCH),
            no_sendmmsg: false,
            last: 0,
        };
        // waits are `poll`s, in both modes
        sock.socket.set_nonblocking(true)?;
        Ok(sock)
    }

    /// Asks for socket buffers of `bytes` each way (the kernel caps them at
    /// `net.core.rmem_max` and `wmem_max`), so that a burst (the
    /// acknowledgements of a fan-out to hundreds) is queued, not dropped.
    /// Returns the receive buffer the kernel granted.
    pub fn with_buffers(self, bytes: usize) -> io::Result<Self> {
        use rustix::net::sockopt;
        sockopt::set_socket_recv_buffer_size(&self.socket, bytes)?;
        sockopt::set_socket_send_buffer_size(&self.socket, bytes)?;
        Ok(self)
    }

    /// The receive buffer the kernel holds for this socket, in bytes.
    pub fn recv_buffer(&self) -> io::Result<usize> {
        Ok(rustix::net::sockopt::socket_recv_buffer_size(&self.socket)?)
    }

    /// The socket, for `local_addr` and the like.
    pub fn socket(&self) -> &UdpSocket {
        &self.socket
    }

    /// Whether datagrams are batched.
    pub fn batched(&self) -> bool {
        self.state.is_some()
    }

    /// How this socket moves datagrams, for a server's banner.
    pub fn describe(&self) -> String {
        let how = match &self.state {
            None => "one datagram per system call".to_owned(),
            Some(state) => format!(
                "batched: recvmmsg x{}, GRO x{}, sendmmsg x{SEND_BATCH}, GSO x{}",
                quinn_udp::BATCH_SIZE,
                state.gro_segments(),
                state.max_gso_segments()
            ),
        };
        match self.recv_buffer() {
            Ok(bytes) => format!("{how}; receive buffer {} KiB", bytes / 1024),
            Err(_) => how,
        }
    }

    /// Hands each datagram one receive call brings to `each`, waiting up to
    /// `wait` for the first (`Duration::ZERO`: not at all). Returns how
    /// many there were; 0 when none came in time.
    pub fn recv(
        &mut self,
        wait: Duration,
        mut each: impl FnMut(SocketAddr, &[u8]),
    ) -> io::Result<usize> {
        // One datagram at a time lately (ping-pong): nothing is likely to
        // be waiting, so wait first, then read up to two; two means a
        // backlog, and the next call reads in full without waiting. This
        // saves the read that would only say "nothing yet".
        let got = if self.state.is_some() && self.last == 1 && !wait.is_zero() {
            if !self.wait_for(PollFlags::IN, wait)? {
                return Ok(0);
            }
            match self.recv_batch(2) {
                Err(e) if is_would_block(&e) => return Ok(0),
                other => other?,
            }
        } else {
            match self.recv_batch(quinn_udp::BATCH_SIZE) {
                Err(e) if is_would_block(&e) => {
                    if wait.is_zero() || !self.wait_for(PollFlags::IN, wait)? {
                        return Ok(0);
                    }
                    match self.recv_batch(quinn_udp::BATCH_SIZE) {
                        Err(e) if is_would_block(&e) => return Ok(0),
                        other => other?,
                    }
                }
                other => other?,
            }
        };
        self.last = got;
        let mut count = 0;
        for (meta, buf) in self.meta.iter().zip(&self.bufs).take(got) {
            if meta.len == 0 {
                // an empty datagram is a message too (`chunks` yields none)
                each(meta.addr, &[]);
                count += 1;
                continue;
            }
            for datagram in buf[..meta.len].chunks(meta.stride.max(1)) {
                each(meta.addr, datagram);
                count += 1;
            }
        }
        Ok(count)
    }

    /// One `recvmmsg` into at most `slots` buffers (or one `recv_from`):
    /// the number of buffers filled.
    fn recv_batch(&mut self, slots: usize) -> io::Result<usize> {
        let Some(state) = &self.state else {
            let (n, from) = self.socket.recv_from(&mut self.bufs[0])?;
            self.meta[0].addr = from;
            self.meta[0].len = n;
            self.meta[0].stride = n;
            return Ok(1);
        };
        // on the stack: no allocation per call
        let mut bufs = self.bufs.iter_mut();
        let mut slices: [IoSliceMut<'_>; quinn_udp::BATCH_SIZE] = std::array::from_fn(|_| {
            IoSliceMut::new(bufs.next().expect("one buffer per batch slot"))
        });
        let slots = slots.clamp(1, slices.len());
        state.recv(
            UdpSockRef::from(&self.socket),
            &mut slices[..slots],
            &mut self.meta[..slots],
        )
    }

    /// Waits until the socket is ready for `flags` or `wait` has passed.
    fn wait_for(&self, flags: PollFlags, wait: Duration) -> io::Result<bool> {
        let timeout = Timespec {
            tv_sec: wait.as_secs().try_into().unwrap_or(i64::MAX),
            tv_nsec: wait.subsec_nanos().into(),
        };
        let mut fds = [PollFd::new(&self.socket, flags)];
        match poll(&mut fds, Some(&timeout)) {
            Ok(n) => Ok(n > 0),
            Err(rustix::io::Errno::INTR) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Queues a datagram for the next [`flush`](Self::flush).
    pub fn queue(&mut self, to: SocketAddr, payload: &[u8]) {
        let start = self.staged.len();
        self.staged.extend_from_slice(payload);
        self.queued.push(Queued {
            to,
            start,
            len: payload.len(),
        });
    }

    /// How many datagrams wait for [`flush`](Self::flush).
    pub fn queued(&self) -> usize {
        self.queued.len()
    }

    /// Sends every queued datagram; each one the kernel refuses goes to
    /// `failed` with its destination (and is not sent again).
    pub fn flush(&mut self, mut failed: impl FnMut(SocketAddr, io::Error)) -> Flushed {
        let mut done = Flushed::default();
        let queued = std::mem::take(&mut self.queued);
        let mut i = 0;
        while i < queued.len() {
            let run = self.gso_run(&queued[i..]);
            if run > 1 {
                self.send_gso(&queued[i..i + run], &mut done, &mut failed);
                i += run;
                continue;
            }
            // single datagrams up to the next GSO run
            let mut j = i + 1;
            while j < queued.len() && j - i < SEND_BATCH && self.gso_run(&queued[j..]) <= 1 {
                j += 1;
            }
            self.send_many(&queued[i..j], &mut done, &mut failed);
            i = j;
        }
        self.queued = queued;
        self.queued.clear();
        self.staged.clear();
        done
    }

    /// How many of `queued`, from the first, can go out as one GSO send.
    fn gso_run(&self, queued: &[Queued]) -> usize {
        let Some(state) = &self.state else { return 1 };
        let Some(first) = queued.first() else {
            return 0;
        };
        let max = state.max_gso_segments();
        let mut bytes = 0;
        let mut n = 0;
        for q in queued.iter().take(max) {
            if q.to != first.to || q.len > first.len || q.len == 0 || bytes + q.len > MAX_GSO_BYTES
            {
                break;
            }
            bytes += q.len;
            n += 1;
            if q.len < first.len {
                break; // a shorter one ends the run
            }
        }
        n
    }

    /// One GSO send of `run` (same destination, same size but the last);
    /// sent one by one if the kernel refuses it.
    fn send_gso(
        &mut self,
        run: &[Queued],
        done: &mut Flushed,
        failed: &mut impl FnMut(SocketAddr, io::Error),
    ) {
        let (Some(state), Some(first), Some(last)) = (&self.state, run.first(), run.last()) else {
            return;
        };
        let transmit = Transmit {
            destination: first.to,
            ecn: None,
            contents: &self.staged[first.start..last.start + last.len],
            segment_size: Some(first.len),
            src_ip: None,
        };
        loop {
            done.calls += 1;
            match state.try_send(UdpSockRef::from(&self.socket), &transmit) {
                Ok(()) => {
                    done.datagrams += run.len();
                    return;
                }
                Err(e) if is_would_block(&e) => {
                    if let Err(e) = self.wait_for(PollFlags::OUT, Duration::from_millis(100)) {
                        failed(first.to, e);
                        return;
                    }
                }
                // GSO refused (quinn-udp has turned it off): one by one
                Err(_) if state.max_gso_segments() <= 1 => {
                    self.send_many(run, done, failed);
                    return;
                }
                Err(e) => {
                    failed(first.to, e);
                    return;
                }
            }
        }
    }

    /// Sends `batch` in `sendmmsg` calls (or one `send_to` each).
    fn send_many(
        &mut self,
        batch: &[Queued],
        done: &mut Flushed,
        failed: &mut impl FnMut(SocketAddr, io::Error),
    ) {
        let mut rest = batch;
        while !rest.is_empty() {
            if self.state.is_none() || self.no_sendmmsg || rest.len() == 1 {
                let Some((q, tail)) = rest.split_first() else {
                    break;
                };
                self.send_one(q, done, failed);
                rest = tail;
                continue;
            }
            done.calls += 1;
            match self.sendmmsg(rest) {
                // nothing went and no error: report the first, not loop
                Ok(0) => {
                    failed(rest[0].to, io::ErrorKind::WriteZero.into());
                    rest = &rest[1..];
                }
                Ok(n) => {
                    done.datagrams += n;
                    rest = &rest[n.min(rest.len())..];
                }
                Err(e) if is_would_block(&e) => {
                    if let Err(e) = self.wait_for(PollFlags::OUT, Duration::from_millis(100)) {
                        failed(rest[0].to, e);
                        return;
                    }
                }
                Err(e)
                    if matches!(
                        e.raw_os_error(),
                        Some(code) if code == rustix::io::Errno::NOSYS.raw_os_error()
                    ) =>
                {
                    self.no_sendmmsg = true;
                }
                // the first datagram was refused: report it, go on
                Err(e) => {
                    failed(rest[0].to, e);
                    rest = &rest[1..];
                }
            }
        }
    }

    /// One `sendmmsg` of up to [`SEND_BATCH`] of `batch`: how many went.
    fn sendmmsg(&self, batch: &[Queued]) -> io::Result<usize> {
        let batch = &batch[..batch.len().min(SEND_BATCH)];
        let addrs: Vec<SocketAddrAny> = batch.iter().map(|q| SocketAddrAny::from(q.to)).collect();
        let iovs: Vec<[IoSlice<'_>; 1]> = batch
            .iter()
            .map(|q| [IoSlice::new(&self.staged[q.start..q.start + q.len])])
            .collect();
        let mut controls: Vec<SendAncillaryBuffer<'_, '_, '_>> = batch
            .iter()
            .map(|_| SendAncillaryBuffer::default())
            .collect();
        let mut msgs: Vec<MMsgHdr<'_>> = addrs
            .iter()
            .zip(&iovs)
            .zip(controls.iter_mut())
            .map(|((addr, iov), control)| MMsgHdr::new_with_addr(addr, iov, control))
            .collect();
        Ok(sendmmsg(&self.socket, &mut msgs, SendFlags::empty())?)
    }

    /// One datagram, one `send_to` (waiting while the socket is full).
    fn send_one(
        &self,
        q: &Queued,
        done: &mut Flushed,
        failed: &mut impl FnMut(SocketAddr, io::Error),
    ) {
        let payload = &self.staged[q.start..q.start + q.len];
        loop {
            done.calls += 1;
            match self.socket.send_to(payload, q.to) {
                Ok(_) => {
                    done.datagrams += 1;
                    return;
                }
                Err(e) if is_would_block(&e) => {
                    if let Err(e) = self.wait_for(PollFlags::OUT, Duration::from_millis(100)) {
                        failed(q.to, e);
                        return;
                    }
                }
                Err(e) => {
                    failed(q.to, e);
                    return;
                }
            }
        }
    }
}

/// Nothing to read or no room to write right now (or a signal came).
fn is_would_block(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}
