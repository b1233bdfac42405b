//! Output: the table (with hex dumps of what failed), one JSON object per
//! case, and a JUnit XML file.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::{Value, json};
use sockwire::dump;

use super::Target;
use super::case::{Record, Verdict};

/// Bytes of a message shown in a dump or in the JSON.
const SHOWN: usize = 512;

/// Counts by verdict.
#[derive(Debug, Default, Clone, Copy)]
pub struct Summary {
    pub pass: usize,
    pub fail: usize,
    pub non_strict: usize,
    pub info: usize,
}

impl Summary {
    pub fn of(records: &[Record]) -> Self {
        let mut s = Summary::default();
        for r in records {
            match r.outcome.verdict {
                Verdict::Pass => s.pass += 1,
                Verdict::Fail => s.fail += 1,
                Verdict::NonStrict => s.non_strict += 1,
                Verdict::Info => s.info += 1,
            }
        }
        s
    }

    pub fn total(&self) -> usize {
        self.pass + self.fail + self.non_strict + self.info
    }

    /// The summary line.
    pub fn line(&self, target: Target, elapsed: Duration) -> String {
        format!(
            "{target}: {} cases: {} pass, {} fail, {} non-strict, {} info ({:.1} s)",
            self.total(),
            self.pass,
            self.fail,
            self.non_strict,
            self.info,
            elapsed.as_secs_f64()
        )
    }
}

/// The table's header line.
pub fn table_header() -> String {
    format!("{:<6} {:<10} {:>7}  case", "id", "verdict", "time")
}

/// One row of the table, with the dumps when the case did not pass.
pub fn table_row(target: Target, r: &Record) -> String {
    let mut out = format!(
        "{:<6} {:<10} {:>5}ms  {} — {}",
        r.id,
        r.outcome.verdict.name(),
        r.time.as_millis(),
        r.title,
        r.outcome.detail
    );
    if matches!(r.outcome.verdict, Verdict::Fail | Verdict::NonStrict) {
        let o = &r.outcome;
        for (name, bytes) in [
            ("sent", &o.sent),
            ("expected", &o.expected),
            ("got", &o.got),
        ] {
            if name == "expected" && bytes.is_empty() && o.got.is_empty() {
                continue;
            }
            let _ = write!(out, "\n       {name} ({} bytes):", bytes.len());
            if bytes.is_empty() {
                continue;
            }
            if matches!(target, Target::Room | Target::Lab) {
                datagrams(&mut out, target, bytes);
                continue;
            }
            let shown = &bytes[..bytes.len().min(SHOWN)];
            for line in dump::render(shown, &target.fields(shown)).lines() {
                let _ = write!(out, "\n         {line}");
            }
            if bytes.len() > SHOWN {
                let _ = write!(
                    out,
                    "\n         … {} more bytes not shown",
                    bytes.len() - SHOWN
                );
            }
        }
    }
    out
}

/// The datagrams of a §7 or §8 case (one per line in `bytes`), each
/// dumped with its fields: the last [`DATAGRAMS`] of them.
fn datagrams(out: &mut String, target: Target, bytes: &[u8]) {
    let all: Vec<&[u8]> = bytes
        .strip_suffix(b"\n")
        .unwrap_or(bytes)
        .split(|&b| b == b'\n')
        .collect();
    let skip = all.len().saturating_sub(DATAGRAMS);
    if skip > 0 {
        let _ = write!(out, "\n         … {skip} earlier datagrams not shown");
    }
    for d in &all[skip..] {
        let d = &d[..d.len().min(SHOWN)];
        let _ = write!(out, "\n         datagram of {} bytes:", d.len());
        for line in dump::render(d, &target.fields(d)).lines() {
            let _ = write!(out, "\n           {line}");
        }
    }
}

/// Datagrams shown per dump.
const DATAGRAMS: usize = 8;

/// Lower-case hex, no separators, of at most [`SHOWN`] bytes.
fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .take(SHOWN)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One case as a JSON object.
pub fn json_case(r: &Record) -> Value {
    let o = &r.outcome;
    let mut v = json!({
        "id": r.id,
        "title": r.title,
        "verdict": o.verdict.name(),
        "detail": o.detail,
        "time_ms": r.time.as_millis(),
    });
    if matches!(o.verdict, Verdict::Fail | Verdict::NonStrict) {
        for (name, bytes) in [
            ("sent", &o.sent),
            ("expected", &o.expected),
            ("got", &o.got),
        ] {
            v[name] = json!(hex(bytes));
            v[format!("{name}_len")] = json!(bytes.len());
        }
    }
    v
}

/// The summary as a JSON object.
pub fn json_summary(target: Target, s: &Summary, elapsed: Duration, notes: &[String]) -> Value {
    json!({"summary": {
        "protocol": target.to_string(),
        "cases": s.total(),
        "pass": s.pass,
        "fail": s.fail,
        "non-strict": s.non_strict,
        "info": s.info,
        "time_ms": elapsed.as_millis(),
        "notes": notes,
    }})
}

/// Escapes text for XML.
fn xml(s: &str) -> String {
    s.chars()
        .filter(|&c| c == '\t' || c == '\n' || c >= ' ')
        .fold(String::new(), |mut out, c| {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                c => out.push(c),
            }
            out
        })
}

/// A JUnit XML report: one test case per case; `fail` is a failure,
/// `non-strict` and `info` pass with their detail as output.
pub fn junit(target: Target, records: &[Record], elapsed: Duration) -> String {
    let s = Summary::of(records);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"probe\" tests=\"{}\" failures=\"{}\" time=\"{:.3}\">",
        s.total(),
        s.fail,
        elapsed.as_secs_f64()
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"probe {target}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\" time=\"{:.3}\">",
        s.total(),
        s.fail,
        elapsed.as_secs_f64()
    );
    for r in records {
        let _ = write!(
            out,
            "    <testcase classname=\"probe.{target}\" name=\"{} {}\" time=\"{:.3}\">",
            xml(&r.id),
            xml(&r.title),
            r.time.as_secs_f64()
        );
        let o = &r.outcome;
        match o.verdict {
            Verdict::Fail => {
                let body = table_row(target, r);
                let _ = write!(
                    out,
                    "\n      <failure message=\"{}\" type=\"fail\">{}</failure>\n    ",
                    xml(&o.detail),
                    xml(&body)
                );
            }
            v => {
                let _ = write!(
                    out,
                    "<system-out>{}: {}</system-out>",
                    v.name(),
                    xml(&o.detail)
                );
            }
        }
        out.push_str("</testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}
