//! `dissect`: decodes a packet capture of lab traffic, every message with
//! its fields.
//!
//! ```sh
//! sudo tcpdump -i lo -U -w lab.pcap port 5005     # while the lab programs run
//! cargo run --example dissect -- lab.pcap --port 5005=variable [--json] [--hex] [--flow ADDR:PORT]
//! sudo tcpdump -i lo -U -w - port 5005 | cargo run --example dissect -- - --port 5005=line
//! ```
//!
//! Reads classic pcap and pcapng (Ethernet, Linux cooked v1/v2, raw IP,
//! BSD loopback; IPv4 and IPv6), reassembles each direction of each TCP
//! connection, and decodes the flows on the ports that `--port` names
//! with sockwire's codecs: the same decoders the servers run, fed bytes
//! that never passed through this program's sockets.
//!
//! Modules: [`capture`] reads the file, [`packet`] the headers,
//! [`reassembly`] rebuilds TCP streams, [`decode`] is the one module that
//! uses sockwire's API, [`engine`] ties them together; this file parses
//! the command line and prints. The modules name each other as `super::`,
//! so that the fuzz target (`fuzz/dissect.rs`) can include them as they
//! are, inside a module of its own.

mod capture;
#[path = "../common/mod.rs"]
mod common;
mod decode;
mod engine;
mod events;
mod packet;
mod reassembly;

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use serde_json::Value;

use capture::CaptureReader;
use decode::{AppContent, Fields, Protocol};
use engine::{Config, Engine, Place, Record, Summary};

/// Decodes a packet capture of lab traffic: every message of the
/// sockwire protocols, with its fields.
#[derive(Parser)]
#[command(name = "dissect")]
struct Args {
    /// The capture: a pcap or pcapng file, or `-` for standard input.
    capture: PathBuf,
    /// PORT=PROTOCOL: the server port of a protocol (text, line, fixed,
    /// variable, app, room). Repeatable; either side of a flow may match.
    #[arg(long = "port", value_name = "PORT=PROTOCOL", value_parser = parse_port)]
    ports: Vec<(u16, Protocol)>,
    /// One JSON object per line per message, then a summary object.
    #[arg(long)]
    json: bool,
    /// Show each message's bytes in hex, with its fields named.
    #[arg(long)]
    hex: bool,
    /// Only the flows with this endpoint (ADDR:PORT).
    #[arg(long, value_name = "ADDR:PORT")]
    flow: Option<SocketAddr>,
    /// Out-of-order bytes held per direction of a TCP connection before
    /// the hole in front of them is given up as a gap.
    #[arg(long, value_name = "BYTES", default_value_t = engine::DEFAULT_MAX_BUFFERED)]
    max_out_of_order: usize,
}

/// How to name the protocol of a flow's server port.
fn port_hint(f: &engine::FlowInfo) -> String {
    format!("--port {}=PROTOCOL", f.server.port())
}

fn parse_port(s: &str) -> Result<(u16, Protocol), String> {
    let (port, name) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?} is not PORT=PROTOCOL"))?;
    let port = port
        .parse()
        .map_err(|_| format!("{port:?} is not a port number"))?;
    let protocol = name.parse::<Protocol>().map_err(|_| {
        let names: Vec<_> = Protocol::EVERY.iter().map(|p| p.name()).collect();
        format!("unknown protocol {name:?} (one of {})", names.join(", "))
    })?;
    Ok((port, protocol))
}

fn main() -> ExitCode {
    let args = Args::parse();
    let input: Box<dyn Read> = if args.capture.as_os_str() == "-" {
        Box::new(io::stdin().lock())
    } else {
        match File::open(&args.capture) {
            Ok(f) => Box::new(BufReader::new(f)),
            Err(e) => {
                common::note!("dissect: {}: {e}", args.capture.display());
                return ExitCode::FAILURE;
            }
        }
    };
    let config = Config {
        ports: args.ports.iter().copied().collect::<HashMap<_, _>>(),
        max_buffered: args.max_out_of_order,
        hex: args.hex,
        flow: args.flow,
    };
    let mut out = Output {
        w: io::stdout().lock(),
        json: args.json,
    };
    let (summary, error, warnings) = run(input, config, &mut |r| out.record(&r));
    if !warnings.is_empty() {
        for w in &warnings {
            common::note!(
                "dissect: {}: warning at byte offset {}: {}",
                args.capture.display(),
                w.offset,
                w.what
            );
        }
    }
    if let Some(e) = &error {
        common::note!(
            "dissect: {}: {e}; decoded the {} packets before it",
            args.capture.display(),
            summary.frames
        );
    }
    out.summary(
        &summary,
        &args.ports,
        error.as_ref().map(ToString::to_string),
    );
    if error.is_some() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Reads a whole capture through the engine.
fn run(
    input: impl Read,
    config: Config,
    emit: &mut dyn FnMut(Record),
) -> (
    Summary,
    Option<capture::CaptureError>,
    Vec<capture::Warning>,
) {
    let mut reader = CaptureReader::new(input);
    let mut engine = Engine::new(config);
    let error = loop {
        match reader.next_frame() {
            Ok(Some(frame)) => engine.frame(&frame, emit),
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    let summary = engine.finish(emit);
    (summary, error, reader.warnings)
}

struct Output<W> {
    w: W,
    json: bool,
}

/// `HH:MM:SS.micro`, UTC.
fn clock(ts: Duration) -> String {
    let s = ts.as_secs();
    format!(
        "{:02}:{:02}:{:02}.{:06}",
        s / 3600 % 24,
        s / 60 % 60,
        s % 60,
        ts.subsec_micros()
    )
}

/// Seconds since the epoch as a JSON number, to the microsecond.
fn json_ts(ts: Duration) -> Value {
    let micros = ts.as_secs_f64();
    serde_json::Number::from_f64((micros * 1e6).round() / 1e6).map_or(Value::Null, Value::Number)
}

/// A JSON object whose keys stay in the order they were put in (ts, src,
/// dst, ... first), whatever serde_json's map does.
#[derive(Default)]
struct Obj(Vec<(String, String)>);

impl Obj {
    fn insert(&mut self, key: &str, value: impl Into<Value>) {
        self.0.push((key.to_owned(), value.into().to_string()));
    }

    fn insert_obj(&mut self, key: &str, value: &Obj) {
        self.0.push((key.to_owned(), value.text()));
    }

    fn insert_list(&mut self, key: &str, values: &[Obj]) {
        let items: Vec<String> = values.iter().map(Obj::text).collect();
        self.0
            .push((key.to_owned(), format!("[{}]", items.join(","))));
    }

    fn text(&self) -> String {
        let fields: Vec<String> = self
            .0
            .iter()
            .map(|(k, v)| format!("{}:{v}", Value::from(k.as_str())))
            .collect();
        format!("{{{}}}", fields.join(","))
    }
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn quoted(text: &str) -> String {
    format!("{text:?}")
}

/// The fields of a message on one line.
fn human_fields(fields: &Fields) -> String {
    match fields {
        Fields::Text { text } => quoted(text),
        Fields::Packet {
            version,
            order,
            size,
            text,
            truncated,
        } => {
            let cut = if *truncated { " (truncated)" } else { "" };
            format!("#{order} v{version} size={size} {}{cut}", quoted(text))
        }
        Fields::App { header, content } => {
            let get = |k: &str| {
                header
                    .iter()
                    .find(|(key, _)| key == k)
                    .map(|(_, v)| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                    .unwrap_or_default()
            };
            let extra: Vec<String> = header
                .iter()
                .skip(4)
                .map(|(k, v)| format!(" {k}={v}"))
                .collect();
            let body = match content {
                AppContent::Json(v) => v.to_string(),
                AppContent::Binary(b, repr) => format!("{} bytes: {repr}", b.len()),
            };
            format!(
                "{} {} ({}{}) {body}",
                get("content-type"),
                get("content-encoding"),
                get("byteorder"),
                extra.concat()
            )
        }
        Fields::Room { tag, op, args } => {
            let args: Vec<String> = args.iter().map(|a| quoted(a)).collect();
            format!("tag {tag} {op} {}", args.join(" "))
                .trim_end()
                .to_owned()
        }
    }
}

fn json_fields(fields: &Fields, obj: &mut Obj) {
    match fields {
        Fields::Text { text } => {
            obj.insert("text", text.as_str());
        }
        Fields::Packet {
            version,
            order,
            size,
            text,
            ..
        } => {
            obj.insert("version", *version);
            obj.insert("order", *order);
            obj.insert("size", *size);
            obj.insert("text", text.as_str());
        }
        Fields::App { header, content } => {
            let mut h = Obj::default();
            for (k, v) in header {
                h.insert(k, v.clone());
            }
            obj.insert_obj("header", &h);
            match content {
                AppContent::Json(v) => obj.insert("content", v.clone()),
                AppContent::Binary(b, _) => obj.insert("content_hex", hex_string(b)),
            }
        }
        Fields::Room { tag, op, args } => {
            obj.insert("tag", tag.as_str());
            obj.insert("op", op.as_str());
            obj.insert("args", args.clone());
        }
    }
}

fn place_json(place: &Place) -> Obj {
    let mut obj = Obj::default();
    obj.insert("ts", json_ts(place.ts));
    obj.insert("src", place.src.to_string());
    obj.insert("dst", place.dst.to_string());
    obj.insert("transport", place.transport.name());
    obj.insert(
        "protocol",
        place.protocol.map_or(Value::Null, |p| p.name().into()),
    );
    obj
}

fn plural(n: u64, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

impl<W: Write> Output<W> {
    /// Writes one line; stdout gone (`| head`) ends the program there,
    /// with success (`common::stdout_failed`).
    fn line(&mut self, line: &str) {
        if let Err(e) = writeln!(self.w, "{line}") {
            common::stdout_failed(&e);
        }
    }

    fn record(&mut self, record: &Record) {
        match record {
            Record::Message(place, message) => {
                if self.json {
                    let mut obj = place_json(place);
                    match &message.result {
                        Ok(fields) => json_fields(fields, &mut obj),
                        Err(e) => {
                            obj.insert("error", e.as_str());
                        }
                    }
                    if let Some(dump) = &message.hex {
                        obj.insert("dump", dump.as_str());
                    }
                    self.line(&obj.text());
                    return;
                }
                let what = match &message.result {
                    Ok(fields) => human_fields(fields),
                    Err(e) => format!("error: {e}"),
                };
                let line = format!(
                    "{}  {} → {}  {} {}, {}: {what}",
                    clock(place.ts),
                    place.src,
                    place.dst,
                    place.transport,
                    place.protocol.map_or("-", Protocol::name),
                    plural(message.wire_len as u64, "byte"),
                );
                self.line(&line);
                if let Some(dump) = &message.hex {
                    for row in dump.lines() {
                        self.line(&format!("      {row}"));
                    }
                }
            }
            Record::Note(place, note) => {
                if !self.json {
                    let line = format!(
                        "{}  {} → {}  {} {}: -- {note}",
                        clock(place.ts),
                        place.src,
                        place.dst,
                        place.transport,
                        place.protocol.map_or("-", Protocol::name),
                    );
                    self.line(&line);
                }
            }
        }
    }

    fn summary(&mut self, s: &Summary, ports: &[(u16, Protocol)], error: Option<String>) {
        let undecoded: Vec<_> = s.flows.iter().filter(|f| f.protocol.is_none()).collect();
        if self.json {
            self.summary_json(s, &undecoded, error);
        } else {
            self.summary_packets_and_flows(s);
            self.summary_messages_and_gaps(s, ports, &undecoded, error);
        }
    }

    /// The summary as one JSON object.
    fn summary_json(
        &mut self,
        s: &Summary,
        undecoded: &[&engine::FlowInfo],
        error: Option<String>,
    ) {
        let mut obj = Obj::default();
        obj.insert("summary", true);
        obj.insert("packets", s.frames);
        obj.insert("packets_cut", s.cut);
        let flows: Vec<Obj> = s
            .flows
            .iter()
            .map(|f| {
                let mut o = Obj::default();
                o.insert("transport", f.transport.name());
                o.insert("client", f.client.to_string());
                o.insert("server", f.server.to_string());
                o.insert("protocol", f.protocol.map(Protocol::name));
                o.insert("packets", f.packets);
                o.insert("bytes_to_server", f.bytes[0]);
                o.insert("bytes_to_client", f.bytes[1]);
                o.insert("messages", f.messages);
                o.insert("errors", f.errors);
                o.insert("gaps", f.gaps);
                o
            })
            .collect();
        obj.insert_list("flows", &flows);
        let mut messages = Obj::default();
        for (p, n) in &s.messages {
            messages.insert(p.name(), *n);
        }
        obj.insert_obj("messages", &messages);
        obj.insert("errors", s.errors);
        let gaps: Vec<Obj> = s
            .gaps
            .iter()
            .map(|g| {
                let mut o = place_json(&g.place);
                o.insert("bytes", g.len);
                o.insert("reason", g.reason.as_str());
                o
            })
            .collect();
        obj.insert_list("gaps", &gaps);
        let undecoded: Vec<Obj> = undecoded
            .iter()
            .map(|f| {
                let mut o = Obj::default();
                o.insert("transport", f.transport.name());
                o.insert("client", f.client.to_string());
                o.insert("server", f.server.to_string());
                o.insert("packets", f.packets);
                o.insert("bytes", f.bytes[0] + f.bytes[1]);
                o.insert("hint", f.mismatch.clone().unwrap_or_else(|| port_hint(f)));
                o
            })
            .collect();
        obj.insert_list("undecoded", &undecoded);
        if !s.other.is_empty() {
            let other: serde_json::Map<_, _> = s
                .other
                .iter()
                .map(|(k, v)| (k.clone(), Value::from(*v)))
                .collect();
            obj.insert("other_packets", other);
        }
        if let Some(e) = error {
            obj.insert("capture_error", e);
        }
        self.line(&obj.text());
    }

    /// The summary's first part: packets and flows.
    fn summary_packets_and_flows(&mut self, s: &Summary) {
        self.line("");
        self.line("summary");
        self.line("=======");
        self.line(&format!(
            "packets: {}{}",
            s.frames,
            if s.filtered > 0 {
                format!(" ({} left out by --flow)", s.filtered)
            } else {
                String::new()
            }
        ));
        if s.cut > 0 {
            self.line(&format!("  cut short by the snap length: {}", s.cut));
        }
        for (why, n) in &s.other {
            self.line(&format!("  not TCP/UDP: {n} × {why}"));
        }
        self.line(&format!("flows: {}", s.flows.len()));
        for f in &s.flows {
            let what = match f.protocol {
                Some(p) => format!(
                    "{}: {}, {}, {}",
                    p.name(),
                    plural(f.messages, "message"),
                    plural(f.errors, "error"),
                    plural(f.gaps, "gap")
                ),
                None => "not decoded".to_owned(),
            };
            self.line(&format!(
                "  {} {} → {}  {what}; {} to the server, {} back",
                f.transport,
                f.client,
                f.server,
                plural(f.bytes[0], "byte"),
                plural(f.bytes[1], "byte"),
            ));
        }
    }

    /// The summary's second part: messages, gaps, what was not decoded.
    fn summary_messages_and_gaps(
        &mut self,
        s: &Summary,
        ports: &[(u16, Protocol)],
        undecoded: &[&engine::FlowInfo],
        error: Option<String>,
    ) {
        let per: Vec<String> = Protocol::EVERY
            .iter()
            .map(|p| format!("{} {}", p.name(), s.messages.get(p).copied().unwrap_or(0)))
            .collect();
        let total: u64 = s.messages.values().sum();
        self.line(&format!("messages: {total} ({})", per.join(", ")));
        self.line(&format!("decode errors: {}", s.errors));
        let gap_bytes: u64 = s.gaps.iter().map(|g| g.len).sum();
        self.line(&format!(
            "gaps: {}{}",
            s.gaps.len(),
            if s.gaps.is_empty() {
                String::new()
            } else {
                format!(" ({})", plural(gap_bytes, "byte"))
            }
        ));
        for g in &s.gaps {
            self.line(&format!(
                "  {}  {} → {}  {}: {} {}",
                clock(g.place.ts),
                g.place.src,
                g.place.dst,
                g.place.transport,
                plural(g.len, "byte"),
                g.reason
            ));
        }
        self.line(&format!("undecoded flows: {}", undecoded.len()));
        for f in undecoded {
            let why = f
                .mismatch
                .clone()
                .unwrap_or_else(|| format!("add {}", port_hint(f)));
            self.line(&format!(
                "  {} {} → {}  {}, {}: {why}",
                f.transport,
                f.client,
                f.server,
                plural(f.packets, "packet"),
                plural(f.bytes[0] + f.bytes[1], "byte"),
            ));
        }
        if ports.is_empty() && !s.flows.is_empty() {
            self.line("(no --port given: name the protocol of a server port to decode its flows)");
        }
        if let Some(e) = error {
            self.line(&format!(
                "capture error: {e} (what came before it is decoded above)"
            ));
        }
    }
}
