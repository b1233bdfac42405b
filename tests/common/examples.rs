//! Running the example binaries from tests: find (or build) them, spawn
//! them with piped stdio, read their output lines with timeouts, and kill
//! them on every path; connect to the servers they start.

#![allow(dead_code)] // each test file uses part of this

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// How long any single wait in these tests may take before it fails.
pub const LIMIT: Duration = Duration::from_secs(10);

/// The path of an example binary, built (once per test run) so that it is
/// never stale: `cargo test --test NAME` alone does not rebuild examples.
/// They are built with the features this test was built with, so that
/// `cargo test --all-features` runs (and has built) the examples that need
/// the `tokio-util` feature, and `--no-default-features` ones without `json`.
pub fn example(name: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    let profile_dir = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.to_path_buf()))
        .expect("test executable has a target dir");
    BUILT.get_or_init(|| {
        let mut build = Command::new(env!("CARGO"));
        build.args(["build", "--examples", "--quiet"]);
        if !cfg!(feature = "json") {
            build.arg("--no-default-features");
        }
        // the features this test was built with, so the examples share its
        // build of the library instead of building another
        for (on, feature) in [
            (cfg!(feature = "tokio-util"), "tokio-util"),
            (cfg!(feature = "arbitrary"), "arbitrary"),
        ] {
            if on {
                build.args(["--features", feature]);
            }
        }
        match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") | None => {}
            Some("release") => {
                build.arg("--release");
            }
            Some(other) => {
                build.args(["--profile", other]);
            }
        }
        let status = build.status().expect("run cargo build --examples");
        assert!(status.success(), "cargo build --examples failed");
    });
    let path = profile_dir.join("examples").join(name);
    assert!(path.exists(), "no example binary at {}", path.display());
    path
}

/// Every TCP server example: the two std ones, and the tokio one when
/// built (it takes the same flags, `--reply` among them, and gets the same
/// defences from `conn`).
pub fn tcp_servers() -> Vec<&'static str> {
    let mut servers = vec!["tcp_threaded_server", "tcp_selector_server"];
    if cfg!(feature = "tokio-util") {
        servers.push("tokio_echo_server");
    }
    servers
}

/// A TCP connection to `addr` whose reads and writes fail after [`LIMIT`].
pub fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(LIMIT)).unwrap();
    stream.set_write_timeout(Some(LIMIT)).unwrap();
    stream
}

/// Connects to `addr`, sends `wire`, half-closes and reads until the
/// server closes; returns what it read.
pub fn exchange(addr: SocketAddr, wire: &[u8]) -> Vec<u8> {
    let mut stream = connect(addr);
    stream.write_all(wire).unwrap();
    stream.shutdown(Shutdown::Write).unwrap();
    let mut back = Vec::new();
    stream.read_to_end(&mut back).expect("read the reply");
    back
}

/// A running example (or any child started by [`Proc::start`]); killed
/// when dropped.
pub struct Proc {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    /// Everything read from stdout so far.
    pub seen: Vec<String>,
}

impl Proc {
    /// Starts example `name` with `args`, stdin, stdout and stderr piped
    /// (stderr merged into the same line stream).
    pub fn spawn(name: &str, args: &[&str]) -> Proc {
        let mut cmd = Command::new(example(name));
        cmd.args(args);
        Proc::start(cmd)
    }

    /// Starts any command with stdio piped as [`spawn`](Self::spawn) does.
    pub fn start(cmd: Command) -> Proc {
        Proc::start_with(cmd, false)
    }

    /// Starts a server example as [`server`](Self::server) does, then
    /// closes the read end of its stdout once its first line (`listening on
    /// ADDR`) is read, as `server | head -1` does: every later write to its
    /// stdout fails with a broken pipe. The pipe is closed before the
    /// first line is handed over, so everything the test does after this
    /// returns happens with stdout gone. Stderr is read as usual.
    pub fn server_stdout_closed(name: &str, args: &[&str]) -> (Proc, SocketAddr) {
        let mut cmd = Command::new(example(name));
        cmd.args(args).args(["--bind", "127.0.0.1:0"]);
        Proc::listening(Proc::start_with(cmd, true))
    }

    /// As [`start`](Self::start); `first_line_only`: stdout's read end is
    /// closed after its first line.
    fn start_with(mut cmd: Command, first_line_only: bool) -> Proc {
        let mut child = spawn_piped(&mut cmd);
        let (tx, lines) = channel();
        let out = child.stdout.take().expect("stdout");
        let err = child.stderr.take().expect("stderr");
        let tx2 = tx.clone();
        std::thread::spawn(move || {
            let mut out = BufReader::new(out);
            if first_line_only {
                let mut first = String::new();
                let read = out.read_line(&mut first);
                drop(out); // the read end: closed before the line is sent
                if read.is_ok_and(|n| n > 0) {
                    let first = first.strip_suffix('\n').unwrap_or(&first);
                    let _ = tx.send(first.strip_suffix('\r').unwrap_or(first).to_owned());
                }
                return;
            }
            for line in out.lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx2.send(format!("stderr: {line}"));
            }
        });
        let stdin = child.stdin.take();
        Proc {
            child,
            stdin,
            lines,
            seen: Vec::new(),
        }
    }

    /// Starts a server example and reads the address from its first line,
    /// `listening on ADDR ...`.
    pub fn server(name: &str, args: &[&str]) -> (Proc, SocketAddr) {
        let mut args = args.to_vec();
        args.extend(["--bind", "127.0.0.1:0"]);
        Proc::listening(Proc::spawn(name, &args))
    }

    /// Reads the `listening on ADDR` first line of a started server.
    pub fn listening(mut proc: Proc) -> (Proc, SocketAddr) {
        let first = proc.next_line().expect("the server's first line");
        let addr = first
            .strip_prefix("listening on ")
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("first line is not `listening on ADDR`: {first:?}"));
        (proc, addr)
    }

    /// Whether the child is still running (it has not exited, by itself
    /// or by a panic).
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The child's process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The next output line, or `None` after [`LIMIT`] or at the end.
    pub fn next_line(&mut self) -> Option<String> {
        let line = self.lines.recv_timeout(LIMIT).ok()?;
        self.seen.push(line.clone());
        Some(line)
    }

    /// Reads lines until one contains `needle`; panics with the output
    /// after [`LIMIT`].
    pub fn wait_for(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + LIMIT;
        if let Some(line) = self.seen.iter().find(|l| l.contains(needle)) {
            return line.clone();
        }
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                    panic!("no line with {needle:?} in:\n{}", self.seen.join("\n"))
                }
            }
        }
    }

    /// Writes to the child's stdin.
    pub fn write_stdin(&mut self, data: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(data.as_bytes()).expect("write stdin");
        stdin.flush().expect("flush stdin");
    }

    /// Closes the child's stdin.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Waits for the child to exit by itself (after [`LIMIT`] it is killed
    /// and the test fails); returns whether it succeeded and all its output.
    pub fn finish(mut self) -> (bool, Vec<String>) {
        self.stdin = None;
        let deadline = Instant::now() + LIMIT;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "example did not exit; output:\n{}",
                self.seen.join("\n")
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        // the reader threads end at EOF
        while let Ok(line) = self.lines.recv_timeout(LIMIT) {
            self.seen.push(line);
        }
        (status.success(), std::mem::take(&mut self.seen))
    }

    /// Sends SIGTERM (Unix) and waits for a clean exit.
    pub fn terminate(self) -> (bool, Vec<String>) {
        self.signal("-TERM")
    }

    /// Sends SIGINT, as Ctrl-C does, and waits for a clean exit.
    pub fn interrupt(self) -> (bool, Vec<String>) {
        self.signal("-INT")
    }

    fn signal(self, signal: &str) -> (bool, Vec<String>) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args([signal, &pid]).status();
        assert!(sent.is_ok_and(|s| s.success()), "kill {signal} failed");
        self.finish()
    }

    /// Reads on until a line *not read before* contains `needle`, so that a
    /// series of calls checks the order of the lines too (unlike
    /// [`wait_for`](Self::wait_for), which also searches the lines already
    /// seen); panics with the output when no such line comes within
    /// [`LIMIT`] of the previous one.
    pub fn next_with(&mut self, needle: &str) -> String {
        while let Some(line) = self.next_line() {
            if line.contains(needle) {
                return line;
            }
        }
        panic!("no new line with {needle:?} in:\n{}", self.seen.join("\n"))
    }

    /// Writes `line` and a newline to the child's stdin.
    pub fn write_line(&mut self, line: &str) {
        self.write_stdin(&format!("{line}\n"));
    }

    /// As [`finish`](Self::finish), but with stdin left open until the child
    /// has exited: for a child that must exit by itself, not at the end of
    /// its input.
    pub fn exit_by_itself(mut self) -> (bool, Vec<String>) {
        let _stdin = self.stdin.take();
        self.finish()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `cmd` with stdin, stdout and stderr piped.
fn spawn_piped(cmd: &mut Command) -> Child {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn child process")
}

/// Runs `cmd` with its stdout a pipe whose read end is closed before the
/// child can write to it (as `| head -0` would), and `input` on its stdin,
/// which stays open until the child exits, as a live capture's or a
/// terminal's does: a child that waits for the end of its input does not
/// exit. Returns the exit status (`None`: still running after [`LIMIT`],
/// then killed) and everything the child wrote to stderr.
pub fn run_stdout_closed(mut cmd: Command, input: &[u8]) -> (Option<ExitStatus>, String) {
    let mut child = spawn_piped(&mut cmd);
    drop(child.stdout.take());
    let mut stdin = child.stdin.take().expect("stdin");
    // small inputs: they fit the pipe; a child gone already is no error
    let _ = stdin.write_all(input);
    let _ = stdin.flush();
    let mut err = child.stderr.take().expect("stderr");
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut err, &mut text);
        text
    });
    let deadline = Instant::now() + LIMIT;
    let status = loop {
        match child.try_wait().expect("try_wait") {
            Some(status) => break Some(status),
            None if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            None => std::thread::sleep(Duration::from_millis(10)),
        }
    };
    drop(stdin);
    (status, stderr.join().expect("stderr reader"))
}
