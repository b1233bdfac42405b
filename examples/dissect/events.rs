//! What one direction's reassembly events become: messages, notes and the
//! counts of the summary.

use super::decode::{self, Message, Protocol, StreamDecoder};
use super::engine::{Dir, FlowInfo, GapInfo, Place, Record, Summary};
use super::reassembly::Event;

/// Where the handling of one direction's events goes: the records to
/// emit, and the flow's and the capture's counts.
pub struct Sink<'a> {
    protocol: Protocol,
    hex: bool,
    place: &'a Place,
    info: &'a mut FlowInfo,
    summary: &'a mut Summary,
    /// The records, in order.
    pub out: Vec<Record>,
}

impl<'a> Sink<'a> {
    /// A sink for messages of `protocol` at `place`.
    pub fn new(
        protocol: Protocol,
        hex: bool,
        place: &'a Place,
        info: &'a mut FlowInfo,
        summary: &'a mut Summary,
    ) -> Self {
        Sink {
            protocol,
            hex,
            place,
            info,
            summary,
            out: Vec::new(),
        }
    }

    /// Counts one message (or decode error) in the flow and the capture.
    pub fn count(&mut self, message: &Message) {
        if message.result.is_ok() {
            self.info.messages += 1;
            *self.summary.messages.entry(self.protocol).or_default() += 1;
        } else {
            self.info.errors += 1;
            self.summary.errors += 1;
        }
    }

    fn note(&mut self, text: String) {
        self.out.push(Record::Note(*self.place, text));
    }

    /// One reassembly event of `dir`.
    pub fn handle(&mut self, dir: &mut Dir, event: Event) {
        let mut messages = Vec::new();
        match event {
            Event::MidStream => {
                dir.resync = Some(0);
                self.note("the capture starts inside this stream: finding a message start".into());
            }
            Event::Data {
                bytes,
                segment_start,
            } => {
                if !self.data(dir, &bytes, segment_start, &mut messages) {
                    return;
                }
            }
            Event::Gap { len, reason } => self.gap(dir, len, reason.to_string()),
            Event::Fin | Event::Reset => {
                self.end(dir, event == Event::Fin);
                return;
            }
        }
        self.messages_out(messages);
    }

    /// Decodes bytes of the stream, resynchronising first if need be.
    /// `false`: nothing more to report for them.
    fn data(
        &mut self,
        dir: &mut Dir,
        bytes: &[u8],
        segment_start: bool,
        messages: &mut Vec<Message>,
    ) -> bool {
        let mut from = 0;
        if let Some(skipped) = dir.resync {
            let Some(at) = decode::resync_point(self.protocol, bytes, segment_start) else {
                dir.resync = Some(skipped + bytes.len() as u64);
                return false;
            };
            let skipped = skipped + at as u64;
            dir.resync = None;
            dir.decoder = None;
            from = at;
            let how = match self.protocol {
                Protocol::Text => "at the next character",
                Protocol::Line => "after the next LF",
                _ => "at a segment that starts like a message (a guess)",
            };
            self.note(format!("resynchronised {how}, {skipped} bytes skipped"));
        }
        if dir.decoder.is_none() {
            dir.decoder = StreamDecoder::new(self.protocol, dir.to_server, self.hex);
        }
        if let Some(decoder) = dir.decoder.as_mut() {
            decoder.feed(bytes.get(from..).unwrap_or_default(), messages);
            if decoder.is_stopped() {
                dir.decoder = None;
                dir.resync = Some(0);
                self.messages_out(std::mem::take(messages));
                self.note("the error is unrecoverable: finding the next message start".into());
                return false;
            }
        }
        true
    }

    /// A gap of `len` bytes: what was held is dropped, and decoding starts
    /// again where a message can be seen to start.
    fn gap(&mut self, dir: &mut Dir, len: u64, reason: String) {
        self.info.gaps += 1;
        let mut note = format!("gap: {len} bytes {reason}");
        self.summary.gaps.push(GapInfo {
            place: *self.place,
            len,
            reason,
        });
        let pending = dir.decoder.take().map_or(0, |d| d.pending());
        if pending > 0 {
            note.push_str(&format!(
                "; the unfinished message before it ({pending} bytes) is dropped"
            ));
        }
        // The decoder never sees the missing bytes: a new one starts
        // where a message can be seen to start.
        note.push_str("; resynchronising");
        dir.resync = Some(dir.resync.unwrap_or(0));
        self.note(note);
    }

    /// The end of the direction: a FIN (`fin`) or a reset.
    fn end(&mut self, dir: &mut Dir, fin: bool) {
        let mut messages = Vec::new();
        if let Some(skipped) = dir.resync.take().filter(|&s| s > 0) {
            self.note(format!(
                "{skipped} bytes skipped, no place to resynchronise found"
            ));
        }
        if let Some(mut decoder) = dir.decoder.take() {
            if fin {
                decoder.finish(&mut messages);
            } else if decoder.pending() > 0 {
                self.note(format!(
                    "{} bytes of an unfinished message dropped",
                    decoder.pending()
                ));
            }
        }
        self.messages_out(messages);
        let how = if fin { "close (FIN)" } else { "reset (RST)" };
        self.note(how.into());
    }

    fn messages_out(&mut self, messages: Vec<Message>) {
        for message in messages {
            self.count(&message);
            self.out.push(Record::Message(*self.place, message));
        }
    }
}
