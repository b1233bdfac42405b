//! The `probe` example against real servers on loopback: every sockwire
//! server with every reply policy passes every case (its policy inferred),
//! deliberately broken Python servers fail exactly the cases of their
//! fault, and the command line keeps its promises (exit codes, one case,
//! JSON, JUnit, help).

mod common {
    pub mod examples;
    pub mod python;
}

use std::collections::BTreeSet;
use std::process::{Command, Output};
use std::thread;

use common::examples::{Proc, example};
use common::python::{python_script, python3};
use serde_json::Value;

/// One run of the probe: its exit code and its JSON lines.
struct Run {
    code: Option<i32>,
    cases: Vec<Value>,
    summary: Value,
    stderr: String,
}

impl Run {
    /// The ids of the cases with this verdict.
    fn ids(&self, verdict: &str) -> BTreeSet<String> {
        self.cases
            .iter()
            .filter(|c| c["verdict"] == verdict)
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect()
    }

    /// The detail of case `id`.
    fn detail(&self, id: &str) -> String {
        let case = self.cases.iter().find(|c| c["id"] == id);
        case.map(|c| c["detail"].as_str().unwrap().to_owned())
            .unwrap_or_else(|| panic!("no case {id} in {:?}", self.cases))
    }

    /// Everything, for a failed assertion.
    fn dump(&self) -> String {
        let mut out: Vec<String> = self.cases.iter().map(Value::to_string).collect();
        out.push(self.summary.to_string());
        out.push(self.stderr.clone());
        out.join("\n")
    }
}

/// Runs the probe with `args` and `--json`.
fn probe(args: &[&str]) -> Run {
    let out = Command::new(example("probe"))
        .args(args)
        .arg("--json")
        .output()
        .expect("run probe");
    parse(&out)
}

fn parse(out: &Output) -> Run {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut cases = Vec::new();
    let mut summary = Value::Null;
    for line in stdout.lines() {
        let v: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        if v.get("summary").is_some() {
            summary = v;
        } else {
            cases.push(v);
        }
    }
    Run {
        code: out.status.code(),
        cases,
        summary,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The TCP servers of the crate.
fn servers() -> Vec<&'static str> {
    let mut all = vec!["tcp_threaded_server", "tcp_selector_server"];
    if cfg!(feature = "tokio-util") {
        all.push("tokio_echo_server");
    }
    all
}

/// Runs the probe, reply policy left out, against `server` started with
/// `server_args`; checks that no case failed or was non-strict, and that
/// the policy inferred is `policy` (when there is one).
fn passes(server: &str, protocol: &str, server_args: &[&str], policy: Option<&str>) {
    let mut args = vec!["--protocol", protocol];
    args.extend_from_slice(server_args);
    let (_proc, addr) = Proc::server(server, &args);
    let addr = addr.to_string();
    let run = probe(&["--protocol", protocol, &addr]);
    let what = format!("{server} {server_args:?}");
    assert_eq!(run.code, Some(0), "{what}:\n{}", run.dump());
    assert!(run.ids("fail").is_empty(), "{what}:\n{}", run.dump());
    assert!(run.ids("non-strict").is_empty(), "{what}:\n{}", run.dump());
    assert!(
        run.cases.len() >= 12,
        "{what}: too few cases:\n{}",
        run.dump()
    );
    if let Some(policy) = policy {
        let section = run.cases[0]["id"].as_str().unwrap();
        assert!(section.ends_with(".0"), "{what}: no inference case");
        let detail = run.detail(section);
        assert!(
            detail.contains(&format!("policy is {policy}")),
            "{what}: {detail}"
        );
    }
    assert_eq!(run.summary["summary"]["fail"], 0);
}

#[test]
fn every_sockwire_server_passes_every_case_with_every_reply_policy() {
    let policies: [(&[&str], &str); 4] = [
        (&["--reply", "none"], "none"),
        (&["--reply", "echo"], "echo"),
        (&["--reply", "upper"], "upper"),
        (
            &["--reply", "prefix", "--prefix", "re: "],
            "prefix \"re: \"",
        ),
    ];
    // one thread per protocol: the cases mostly wait on the network
    thread::scope(|scope| {
        for protocol in ["text", "line", "fixed", "variable"] {
            scope.spawn(move || {
                for server in servers() {
                    for (args, policy) in policies {
                        passes(server, protocol, args, Some(policy));
                    }
                }
            });
        }
        scope.spawn(|| {
            for server in servers() {
                passes(server, "app", &[], None);
            }
        });
    });
}

#[test]
fn an_app_server_that_closes_after_each_reply_passes_with_info() {
    let (_proc, addr) = Proc::server(
        "tcp_threaded_server",
        &["--protocol", "app", "--close-after-reply"],
    );
    let run = probe(&["--protocol", "app", &addr.to_string()]);
    assert_eq!(run.code, Some(0), "{}", run.dump());
    assert!(run.ids("fail").is_empty() && run.ids("non-strict").is_empty());
    assert!(
        run.detail("6.2")
            .contains("closes the connection after each reply")
    );
    assert!(run.ids("info").contains("6.6"), "{}", run.dump());
}

#[test]
fn the_udp_server_passes_every_case_with_every_reply_policy() {
    for (args, policy) in [
        (&["--reply", "none"][..], "none"),
        (&["--reply", "echo"], "echo"),
        (&["--reply", "upper"], "upper"),
        (&["--reply", "prefix"], "prefix \"ECHO: \""),
    ] {
        let (_proc, addr) = Proc::server("udp_server", args);
        let run = probe(&["--protocol", "udp", &addr.to_string()]);
        assert_eq!(run.code, Some(0), "{args:?}:\n{}", run.dump());
        assert!(run.ids("fail").is_empty() && run.ids("non-strict").is_empty());
        assert!(run.detail("1.0").contains(&format!("policy is {policy}")));
    }
}

/// Starts a Python server of tests/python, runs the probe against it, and
/// checks which cases failed.
fn fails_exactly(script: &str, probe_args: &[&str], expected: &[&str]) {
    let mut cmd = Command::new("python3");
    cmd.arg(python_script(script));
    let (_proc, addr) = Proc::listening(Proc::start(cmd));
    let mut args = probe_args.to_vec();
    let addr = addr.to_string();
    args.extend(["--timeout", "1", &addr]);
    let run = probe(&args);
    let want: BTreeSet<String> = expected.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(run.code, Some(1), "{script}:\n{}", run.dump());
    assert_eq!(run.ids("fail"), want, "{script}:\n{}", run.dump());
    assert!(
        run.ids("non-strict").is_empty(),
        "{script}:\n{}",
        run.dump()
    );
    // what failed carries the bytes, in hex
    for case in run.cases.iter().filter(|c| c["verdict"] == "fail") {
        assert!(
            case["sent"].is_string() && case["got"].is_string(),
            "{case}"
        );
    }
}

#[test]
fn broken_python_servers_fail_exactly_the_cases_of_their_fault() {
    if !python3() {
        return;
    }
    let all_replies = |section: u32, n: u32| -> Vec<String> {
        (1..=n).map(|i| format!("{section}.{i}")).collect()
    };
    let no_lf = all_replies(3, 14);
    let header_len = all_replies(6, 20);
    let mut little_endian = all_replies(5, 13);
    little_endian.retain(|id| id != "5.8"); // size 0 and the order read and written alike
    let table: Vec<(&str, Vec<&str>, Vec<String>)> = vec![
        (
            // one recv = one message: every split or coalesced write
            "broken_one_recv.py",
            vec!["--protocol", "variable", "--reply", "echo"],
            ["5.3", "5.4", "5.5", "5.6", "5.7", "5.9", "5.12", "5.14"]
                .map(String::from)
                .to_vec(),
        ),
        (
            // UTF-8 decoded per recv: every read that cuts a character
            "broken_utf8_per_recv.py",
            vec!["--protocol", "text", "--reply", "echo"],
            ["2.3", "2.4", "2.8"].map(String::from).to_vec(),
        ),
        (
            // replies without the LF: every case with a reply
            "broken_no_lf.py",
            vec!["--protocol", "line", "--reply", "echo"],
            no_lf,
        ),
        (
            "broken_little_endian.py",
            vec!["--protocol", "variable", "--reply", "echo"],
            little_endian,
        ),
        (
            // replies' header length off by one: every reply, none of
            // the malformed requests (refused correctly)
            "broken_app_header_len.py",
            vec!["--protocol", "app"],
            header_len,
        ),
        (
            // dies on invalid UTF-8: the last case, only
            "broken_udp_utf8.py",
            vec!["--protocol", "udp", "--reply", "echo"],
            vec!["1.8".to_owned()],
        ),
    ];
    thread::scope(|scope| {
        for (script, args, expected) in &table {
            scope.spawn(move || {
                let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
                fails_exactly(script, args, &expected);
            });
        }
    });
}

#[test]
fn exit_status_two_when_nothing_listens_or_the_arguments_are_bad() {
    // a port nothing listens on: bound, then closed
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let run = probe(&["--protocol", "variable", &port.to_string()]);
    assert_eq!(run.code, Some(2), "{}", run.dump());
    assert!(
        run.stderr.contains("nothing is listening"),
        "{}",
        run.stderr
    );
    let run = probe(&["--protocol", "telnet", "127.0.0.1:5005"]);
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("telnet"), "{}", run.stderr);
    let run = probe(&["--protocol", "line", "--timeout", "-1", "127.0.0.1:5005"]);
    assert_eq!(run.code, Some(2));
    let (_proc, addr) = Proc::server("tcp_threaded_server", &["--protocol", "line"]);
    let run = probe(&["--protocol", "line", "--case", "3.99", &addr.to_string()]);
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("no case"), "{}", run.stderr);
}

#[test]
fn one_case_table_and_junit() {
    let (_proc, addr) = Proc::server("tcp_threaded_server", &["--protocol", "fixed"]);
    let addr = addr.to_string();
    let run = probe(&[
        "--protocol",
        "fixed",
        "--reply",
        "echo",
        "--case",
        "4.3",
        &addr,
    ]);
    assert_eq!(run.code, Some(0), "{}", run.dump());
    assert_eq!(run.cases.len(), 1);
    assert_eq!(run.cases[0]["id"], "4.3");
    assert_eq!(run.summary["summary"]["cases"], 1);

    let dir = std::env::temp_dir().join(format!("probe-junit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let junit = dir.join("probe.xml");
    let out = Command::new(example("probe"))
        .args(["--protocol", "fixed", "--case", "4", "--junit"])
        .arg(&junit)
        .arg(&addr)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("4.1    pass"), "{table}");
    assert!(
        table.lines().last().unwrap().starts_with("fixed: "),
        "{table}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("<testsuite name=\"probe fixed\""), "{xml}");
    assert_eq!(xml.matches("<testcase ").count(), table.lines().count() - 3);
    assert!(!xml.contains("<failure"), "{xml}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_failure_shows_the_bytes_with_their_fields() {
    if !python3() {
        return;
    }
    let mut cmd = Command::new("python3");
    cmd.arg(python_script("broken_one_recv.py"));
    let (_proc, addr) = Proc::listening(Proc::start(cmd));
    let out = Command::new(example("probe"))
        .args(["--protocol", "variable", "--reply", "echo", "--case", "5.5"])
        .arg(addr.to_string())
        .args(["--timeout", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let table = String::from_utf8(out.stdout).unwrap();
    for want in [
        "5.5    fail",
        "sent (",
        "expected (",
        "got (",
        "version  1",
        "payload  \"coalesced 2\"",
    ] {
        assert!(table.contains(want), "no {want:?} in\n{table}");
    }
}

#[test]
fn help_explains_every_flag() {
    let out = Command::new(example("probe"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--protocol",
        "--reply",
        "--prefix",
        "--json",
        "--junit",
        "--case",
        "--timeout",
        "--serve",
        "--bind",
        "--clients",
        "Exit status",
    ] {
        assert!(
            help.contains(flag),
            "--help does not explain {flag}:\n{help}"
        );
    }
}

/// Starts `udp_chat server` with `args`; its address, from its first line
/// (`room server listening on ADDR`).
fn room_server(args: &[&str]) -> (Proc, String) {
    let mut all = vec!["server", "--bind", "127.0.0.1:0"];
    all.extend_from_slice(args);
    let mut proc = Proc::spawn("udp_chat", &all);
    let first = proc.next_line().expect("the server's first line");
    let addr = first
        .split("listening on ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .to_owned();
    (proc, addr)
}

#[test]
fn the_room_server_passes_every_case_of_both_wires() {
    let (_proc, addr) = room_server(&[]);
    let run = probe(&["--protocol", "room", &addr.to_string()]);
    assert_eq!(run.code, Some(0), "{}", run.dump());
    assert!(run.ids("fail").is_empty(), "{}", run.dump());
    assert!(run.ids("non-strict").is_empty(), "{}", run.dump());
    assert!(run.cases.len() >= 18, "{}", run.dump());
    assert!(run.detail("7.9").contains("relayed once"), "{}", run.dump());

    let (_proc, addr) = room_server(&["--wire", "lab"]);
    let run = probe(&["--protocol", "lab", &addr.to_string()]);
    assert_eq!(run.code, Some(0), "{}", run.dump());
    assert_eq!(run.ids("pass").len(), run.cases.len(), "{}", run.dump());
}

#[test]
fn the_lab_python_server_passes_the_lab_cases_and_answers_strangers() {
    if !python3() {
        return;
    }
    let mut cmd = Command::new("python3");
    cmd.arg(python_script("lab_room_server.py"));
    let (_proc, addr) = Proc::listening(Proc::start(cmd));
    let run = probe(&["--protocol", "lab", &addr.to_string()]);
    assert_eq!(run.code, Some(0), "{}", run.dump());
    assert!(run.ids("fail").is_empty() && run.ids("non-strict").is_empty());
    // looser than sockwire's: it answers lists to any address
    assert_eq!(
        run.ids("info"),
        BTreeSet::from(["8.8".to_owned()]),
        "{}",
        run.dump()
    );
}

/// Starts the probe in client mode for `protocol`, serving `clients`
/// clients; the process and the address it listens on.
fn serve(protocol: &str, clients: usize) -> (Proc, String) {
    serve_with(protocol, clients, &[])
}

/// As [`serve`], with more arguments.
fn serve_with(protocol: &str, clients: usize, more: &[&str]) -> (Proc, String) {
    let n = clients.to_string();
    let mut args = vec![
        "--serve",
        "--protocol",
        protocol,
        "--bind",
        "127.0.0.1:0",
        "--clients",
        &n,
        "--json",
    ];
    args.extend_from_slice(more);
    let mut proc = Proc::spawn("probe", &args);
    let line = proc.wait_for("listening on ");
    let addr = line
        .split("listening on ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .to_owned();
    (proc, addr)
}

/// Waits for the probe to end; its exit status and JSON lines.
fn served(proc: Proc) -> (bool, Run) {
    let (ok, lines) = proc.finish();
    let mut cases = Vec::new();
    let mut summary = Value::Null;
    for line in lines.iter().filter(|l| l.starts_with('{')) {
        let v: Value = serde_json::from_str(line).unwrap();
        if v.get("summary").is_some() {
            summary = v;
        } else {
            cases.push(v);
        }
    }
    let stderr = lines
        .iter()
        .filter(|l| !l.starts_with('{'))
        .cloned()
        .collect::<Vec<_>>()
        .join("\n");
    (
        ok,
        Run {
            code: None,
            cases,
            summary,
            stderr,
        },
    )
}

#[test]
fn client_mode_passes_the_tcp_clients() {
    for protocol in ["text", "fixed", "variable"] {
        let (probe_proc, addr) = serve(protocol, 1);
        let mut client = Proc::spawn("tcp_client", &["--server", &addr, "--protocol", protocol]);
        client.write_stdin("hello\nação 🐰 €\na text of more than twenty bytes\nfour\n");
        let (ok, out) = client.finish();
        assert!(ok, "{out:?}");
        let bad = |l: &String| l.contains("no (more) reply") || l.contains("bad reply");
        assert!(!out.iter().any(bad), "{protocol}: {out:?}");
        let replies = out.iter().filter(|l| l.starts_with("reply: ")).count();
        if protocol == "text" {
            // a text reply comes in pieces, each printed as it comes
            assert!(replies >= 4, "{out:?}");
        } else {
            assert_eq!(replies, 4, "{protocol}: {out:?}");
        }
        let (ok, run) = served(probe_proc);
        assert!(ok, "{protocol}:\n{}", run.dump());
        assert!(
            run.ids("fail").is_empty() && run.ids("non-strict").is_empty(),
            "{}",
            run.dump()
        );
        // text has no messages of its own: one case per read at least
        assert!(run.cases.len() >= 2, "{}", run.dump());
        assert!(
            run.cases.last().unwrap()["title"]
                .as_str()
                .unwrap()
                .ends_with("its end")
        );
    }
}

#[test]
fn client_mode_passes_the_app_client() {
    let (probe_proc, addr) = serve("app", 2);
    let (host, port) = addr.rsplit_once(':').unwrap();
    for (action, value) in [("search", "ring"), ("double", "🐶 value")] {
        let client = Proc::spawn("app_client", &[host, port, action, value]);
        let (ok, out) = client.finish();
        assert!(ok, "{out:?}");
    }
    let (ok, run) = served(probe_proc);
    assert!(ok, "{}", run.dump());
    assert_eq!(run.ids("pass").len(), 4, "{}", run.dump());
    assert!(
        run.dump().contains("byte for byte as the Python client"),
        "{}",
        run.dump()
    );
}

#[test]
fn client_mode_catches_a_malformed_header() {
    use std::io::Write;
    for (protocol, bad) in [
        ("variable", &b"\x02\x00\x00\x00\x02\x00\x00\x00\x01hi"[..]),
        ("variable", b"\x01\xff\xff\xff\xff\x00\x00\x00\x01"),
        (
            "fixed",
            b"\x01\x00\x00\x00\x07\x00\x00\x00\x02hi------------------",
        ),
        ("app", b"\x00\x09{not json"),
    ] {
        let (probe_proc, addr) = serve(protocol, 1);
        let mut stream = std::net::TcpStream::connect(&addr).unwrap();
        stream.write_all(bad).unwrap();
        stream.shutdown(std::net::Shutdown::Write).unwrap();
        let mut back = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stream, &mut back);
        drop(stream);
        let (ok, run) = served(probe_proc);
        assert!(!ok, "{protocol} {bad:?}: {}", run.dump());
        let failed = run.ids("fail");
        assert_eq!(failed.len(), 1, "{}", run.dump());
        let case = run.cases.iter().find(|c| c["verdict"] == "fail").unwrap();
        assert!(
            case["sent"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{:02x}", bad[0])),
            "{case}"
        );
    }
}

/// The client-mode case that checks how a client answers a `pm` (tagged,
/// answered `er not-poked`).
const PM_CASE: &str = "pm from an address no pa gave";

#[test]
fn client_mode_passes_the_room_client() {
    let (probe_proc, addr) = serve("room", 1);
    let mut client = Proc::spawn("udp_chat", &["client", "alice", "--server", &addr]);
    client.write_stdin("$roomcreate lobby\nhello all\n$userlist\n");
    client.wait_for("users: alice probe");
    client.wait_for("hello from the probe");
    client.write_stdin("$quit\n");
    let (ok, out) = client.finish();
    assert!(ok, "{out:?}");
    let (_, run) = served(probe_proc);
    assert!(run.ids("fail").is_empty(), "{}", run.dump());
    assert!(run.ids("non-strict").is_empty(), "{}", run.dump());
    let titles: Vec<&str> = run
        .cases
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    // requests with even tags were dropped once and sent again; each
    // notification was sent twice and acknowledged twice
    assert!(
        titles
            .iter()
            .any(|t| t.contains("retransmitted when unanswered")),
        "{titles:?}"
    );
    assert!(
        titles
            .iter()
            .filter(|t| t.starts_with("notification n"))
            .count()
            >= 3,
        "{titles:?}"
    );
    assert!(titles.iter().any(|t| t.starts_with(PM_CASE)), "{titles:?}");
}

#[test]
fn client_mode_passes_the_udp_client_and_catches_invalid_utf8() {
    let n = "1";
    let mut probe_proc = Proc::spawn(
        "probe",
        &[
            "--serve",
            "--protocol",
            "udp",
            "--bind",
            "127.0.0.1:0",
            "--clients",
            n,
            "--timeout",
            "1",
            "--json",
        ],
    );
    let line = probe_proc.wait_for("listening on ");
    let addr = line
        .split("listening on ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let mut client = Proc::spawn("udp_client", &["--server", &addr]);
    client.write_stdin("hello\n\nação 🐰\nthird\n");
    let (ok, out) = client.finish();
    assert!(ok, "{out:?}");
    assert_eq!(
        out.iter().filter(|l| l.starts_with("Reply from")).count(),
        3,
        "{out:?}"
    );
    let (ok, run) = served(probe_proc);
    assert!(ok, "{}", run.dump());
    assert_eq!(run.ids("pass").len(), 3, "{}", run.dump());

    let (probe_proc, addr) = serve("udp", 1);
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.send_to(b"caf\xc3", &addr).unwrap();
    let (ok, run) = served(probe_proc);
    assert!(!ok, "{}", run.dump());
    assert_eq!(run.ids("fail").len(), 1, "{}", run.dump());
}

#[test]
fn a_lab_server_that_dies_on_malformed_datagrams_fails_those_cases() {
    if !python3() {
        return;
    }
    // the whole run: it dies at `by` from a stranger, so the two cases
    // after it fail too (the port is closed)
    fails_exactly(
        "broken_lab_server.py",
        &["--protocol", "lab"],
        &["8.11", "8.12", "8.13"],
    );
    // each of the others on a fresh server: it dies on each
    thread::scope(|scope| {
        for case in ["8.12", "8.13"] {
            scope.spawn(move || {
                fails_exactly(
                    "broken_lab_server.py",
                    &["--protocol", "lab", "--case", case],
                    &[case],
                );
            });
        }
    });
}

#[test]
fn client_mode_passes_the_lab_client() {
    let (probe_proc, addr) = serve("lab", 1);
    let mut client = Proc::spawn(
        "udp_chat",
        &["client", "alice", "--server", &addr, "--wire", "lab"],
    );
    client.write_stdin("$roomcreate lobby\n$roomjoin lobby\n");
    // the probe's user joined the room and spoke; the stranger's line
    // was dropped
    client.wait_for("probe> hello from the probe");
    client.wait_for("a chat line from no peer");
    client.write_stdin("hello all\n$userlist\n");
    client.wait_for("user probe");
    client.write_stdin("$quit\n");
    let (ok, out) = client.finish();
    assert!(ok, "{out:?}");
    // the empty datagram and the three malformed ones, each dropped
    let dropped = out.iter().filter(|l| l.contains(": malformed: ")).count();
    assert_eq!(dropped, 4, "{out:?}");
    let (ok, run) = served(probe_proc);
    assert!(ok, "{}", run.dump());
    assert_eq!(run.ids("pass").len(), run.cases.len(), "{}", run.dump());
    let titles: Vec<&str> = run
        .cases
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    for title in [
        "request hi alice",
        "request rj lobby",
        "request by",
        "alice: an empty datagram and malformed ones from the server's address, dropped",
        "alice: a datagram to the probe's user, a peer",
        "alice: a chat line from a stranger, dropped and not answered",
    ] {
        assert!(titles.contains(&title), "{title}: {titles:?}");
    }
    // numbered in section 8, in order
    let ids: Vec<String> = (1..=run.cases.len()).map(|n| format!("8.{n}")).collect();
    let got: Vec<&str> = run
        .cases
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, ids);
}

/// A raw §8 client: registers as `rawcli`, sends each of `then`, says
/// `by` unless `bye` is false, and reads the answers (the probe's
/// malformed datagrams among them).
fn raw_lab_client(addr: &str, then: &[&[u8]], bye: bool) {
    use std::time::{Duration, Instant};
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let until = |want: &[u8]| {
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut buf = [0; 2048];
        while Instant::now() < deadline {
            if let Ok((n, _)) = sock.recv_from(&mut buf) {
                if &buf[..n] == want {
                    return;
                }
            }
        }
        panic!("no {want:?} from the probe");
    };
    sock.send_to(b"hi rawcli", addr).unwrap();
    until(b"hi rawcli");
    for d in then {
        sock.send_to(d, addr).unwrap();
    }
    if bye {
        sock.send_to(b"by", addr).unwrap();
        until(b"by");
    }
}

#[test]
fn client_mode_catches_a_malformed_lab_datagram() {
    let hex = |d: &[u8]| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
    thread::scope(|scope| {
        for (bad, verdict) in [
            (&b"rc two words"[..], "fail"),
            (b"hello there", "fail"),
            (b"ul \xff", "fail"),
            (b"", "fail"),
            (b"msg rawcli> a chat line to the server", "fail"),
            (b"rc  spaced", "non-strict"),
        ] {
            scope.spawn(move || {
                let (probe_proc, addr) = serve("lab", 1);
                raw_lab_client(&addr, &[bad], true);
                let (ok, run) = served(probe_proc);
                assert_eq!(ok, verdict != "fail", "{bad:?}: {}", run.dump());
                let (fail, non_strict) = (run.ids("fail"), run.ids("non-strict"));
                assert_eq!(fail.len() + non_strict.len(), 1, "{bad:?}: {}", run.dump());
                let case = run.cases.iter().find(|c| c["verdict"] == verdict).unwrap();
                assert_eq!(case["sent"], hex(bad), "{case}");
            });
        }
        // a client that leaves without by: only that case fails
        scope.spawn(|| {
            let (probe_proc, addr) = serve_with("lab", 1, &["--timeout", "0.1"]);
            raw_lab_client(&addr, &[b"rl"], false);
            let (ok, run) = served(probe_proc);
            assert!(!ok, "{}", run.dump());
            let fail = run.ids("fail");
            assert_eq!(fail.len(), 1, "{}", run.dump());
            let id = fail.iter().next().unwrap();
            assert!(run.detail(id).contains("never said by"), "{}", run.dump());
        });
    });
}
