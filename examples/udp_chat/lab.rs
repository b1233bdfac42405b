//! `udp_chat --wire lab`: the room chat on the lab's original wire
//! (§8), server and client. All protocol logic lives in
//! `sockwire::room::lab` (the wait for the server's `by` included); this
//! module only moves datagrams and lines.

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use sockwire::room::Name;
use sockwire::room::lab::{
    LabClient, LabClientConfig, LabClientEvent, LabServer, LabServerConfig, LabServerEvent,
};

use super::batch::{self, BatchSocket};
use super::{ServeOpts, common, receive, send, serve_batch, server_wait};

/// The directory server: one log line per datagram (`--quiet`: only the
/// refused ones), malformed ones dropped and logged.
pub fn serve(
    bind: SocketAddr,
    opts: &ServeOpts,
    stop: &AtomicBool,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut socket = BatchSocket::new(UdpSocket::bind(bind)?, !opts.no_batch)?
        .with_buffers(batch::SERVER_BUFFERS)?;
    // the §8 wire; the address last, as the §7 server prints it
    common::say!(
        "lab room server listening on {}",
        socket.socket().local_addr()?
    );
    // a line of its own: the banner ends with the address
    common::say!("datagrams: {}", socket.describe());
    let mut config = LabServerConfig::default();
    config.max_users = opts.max_users.unwrap_or(config.max_users);
    config.max_members = opts.max_members.unwrap_or(config.max_members);
    let mut server = LabServer::new(config);
    let log = |event: LabServerEvent| {
        if !(opts.quiet && matches!(event, LabServerEvent::Handled { .. })) {
            common::say!("{event}");
        }
    };
    while !stop.load(Ordering::SeqCst) {
        serve_batch(&mut socket, server_wait(None), |from, datagram| {
            server.handle_datagram(from, datagram);
            // logged as they come: the event queue is bounded
            while let Some(event) = server.poll_event() {
                log(event);
            }
        })?;
        while let Some(t) = server.poll_transmit() {
            socket.queue(t.destination, &t.payload);
        }
        socket.flush(|to, e| common::note!("send to {to} failed: {e}"));
    }
    common::say!("room server stopped");
    Ok(())
}

/// Reads lines until one is a valid name; `None` at the end of input or
/// on Ctrl-C.
fn ask_name(lines: &Receiver<Option<String>>, stop: &AtomicBool) -> Option<Name> {
    loop {
        common::say!("your name (1 to 32 of A-Z a-z 0-9 _ -):");
        let line = loop {
            if stop.load(Ordering::SeqCst) {
                return None;
            }
            match lines.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => break line?,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return None,
            }
        };
        match Name::new(line.trim()) {
            Ok(name) => return Some(name),
            Err(e) => common::say!("{e}"),
        }
    }
}

/// The interactive client, as the lab's: registers (asking for another
/// name while the server says it is taken), then takes `$` commands and
/// chat lines, and prints what arrives.
pub fn chat(
    user: &str,
    server_addr: SocketAddr,
    stop: &AtomicBool,
) -> Result<(), Box<dyn std::error::Error>> {
    let socket = UdpSocket::bind(common::any_addr_for(server_addr))?;
    let lines = common::stdin_lines();
    common::say!(
        "lab wire to {server_addr}, from {} ($quit to leave)",
        socket.local_addr()?
    );
    let first = match Name::new(user) {
        Ok(name) => Some(name),
        Err(e) => {
            common::say!("{e}");
            ask_name(&lines, stop)
        }
    };
    let Some(first) = first else { return Ok(()) };
    let mut client = LabClient::new(server_addr, first, LabClientConfig::default());
    let mut buf = vec![0; 65_536];
    // lines typed before the name was accepted, sent once it is
    let mut early: Vec<String> = Vec::new();
    let mut quitting = false;
    // one turn: output, input (datagram, typed lines), timer, events, output
    while !client.is_closed() {
        if stop.load(Ordering::SeqCst) && !quitting {
            quitting = true;
            let _ = client.handle_line(Instant::now(), "$quit");
        }
        while let Some(t) = client.poll_transmit() {
            send(&socket, &t);
        }
        if let Some((n, from)) = receive(&socket, &mut buf, client.poll_timeout())? {
            client.handle_datagram(from, &buf[..n]);
        }
        while let Ok(line) = lines.try_recv() {
            match line {
                Some(line) if client.name().is_none() => early.push(line),
                Some(line) => {
                    if let Err(e) = client.handle_line(Instant::now(), &line) {
                        common::say!("error: {e}");
                    }
                }
                // end of input: leave as $quit does (if not already leaving)
                None if !quitting => {
                    quitting = true;
                    let _ = client.handle_line(Instant::now(), "$quit");
                }
                None => {}
            }
        }
        if client.poll_timeout().is_some_and(|t| t <= Instant::now()) {
            client.handle_timeout(Instant::now());
        }
        while let Some(event) = client.poll_event() {
            common::say!("{event}");
            match event {
                LabClientEvent::NameTaken(_) => match ask_name(&lines, stop) {
                    Some(name) => client.hello(name)?,
                    None => return Ok(()),
                },
                LabClientEvent::Registered(_) => {
                    for line in early.drain(..) {
                        if let Err(e) = client.handle_line(Instant::now(), &line) {
                            common::say!("error: {e}");
                        }
                    }
                }
                _ => {}
            }
        }
        while let Some(t) = client.poll_transmit() {
            send(&socket, &t);
        }
    }
    Ok(())
}
