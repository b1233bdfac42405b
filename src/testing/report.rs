//! What a check reports: [`Chunking`] (a way of cutting a wire into
//! reads) and [`Mismatch`], and how events and wires are shown.

use std::any::TypeId;
use std::fmt::{self, Debug, Write as _};

use crate::dump::{self, Field};

/// Everything a decoder gave for one stream, in order: messages and errors.
pub type Events<T, E> = Vec<Result<T, E>>;

/// What a decoder gave for a wire, the same in every chunking
/// ([`Splits::events`](super::Splits::events)), and the most it held.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Decoded<T, E> {
    /// The messages and errors, as the whole read gave them.
    pub events: Vec<Result<T, E>>,
    /// The most bytes left in the buffer after a read was decoded, in any
    /// chunking: what the decoder holds of an unfinished message.
    pub max_held: usize,
    /// The largest buffer capacity after any call, in any chunking: what
    /// the decoder reserved.
    pub max_capacity: usize,
}

/// A dissector: the named fields of the message at the start of its input
/// (as [`dump::fixed_fields`] and the other `*_fields` functions).
pub type Dissector = fn(&[u8]) -> Vec<Field>;

/// One way of cutting a wire into reads.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Chunking {
    /// The whole wire in one read.
    Whole,
    /// The whole wire in one read, decoded with `decode_eof` only, as a
    /// connection does when the last read and the peer's close come
    /// together.
    EofOnly,
    /// Cut at these offsets: one for a single split, two for a double one.
    At(Vec<usize>),
    /// One byte per read.
    ByteByByte,
    /// Cut at random offsets drawn from `seed`; `index` counts the
    /// chunkings drawn from it.
    Random {
        /// The seed the offsets were drawn from.
        seed: u64,
        /// Which chunking of that seed, from 0.
        index: usize,
        /// The offsets, in order.
        cuts: Vec<usize>,
    },
}

impl Chunking {
    /// The reads this chunking cuts `wire` into.
    ///
    /// ```
    /// use sockwire::testing::Chunking;
    /// assert_eq!(Chunking::At(vec![1, 3]).reads(b"abcd"), [&b"a"[..], b"bc", b"d"]);
    /// ```
    #[must_use]
    pub fn reads<'a>(&self, wire: &'a [u8]) -> Vec<&'a [u8]> {
        let cuts = match self {
            Chunking::Whole | Chunking::EofOnly => return vec![wire],
            Chunking::ByteByByte => return wire.chunks(1).collect(),
            Chunking::At(cuts) | Chunking::Random { cuts, .. } => cuts,
        };
        let mut reads = Vec::with_capacity(cuts.len() + 1);
        let mut at = 0;
        for &cut in cuts.iter().chain(Some(&wire.len())) {
            let cut = cut.clamp(at, wire.len());
            reads.extend(wire.get(at..cut));
            at = cut;
        }
        reads
    }
}

impl fmt::Display for Chunking {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |cuts: &[usize]| {
            let shown: Vec<String> = cuts.iter().map(|c| format!("{c} (0x{c:04x})")).collect();
            shown.join(" and ")
        };
        match self {
            Chunking::Whole => f.write_str("read whole"),
            Chunking::EofOnly => f.write_str("read whole, decoded with decode_eof only"),
            Chunking::At(cuts) => write!(f, "split at {}", list(cuts)),
            Chunking::ByteByByte => f.write_str("read byte by byte"),
            Chunking::Random { seed, index, cuts } => write!(
                f,
                "cut by random chunking {index} of seed {seed} at {}",
                list(cuts)
            ),
        }
    }
}

/// Why a check failed: which chunking of the wire, what was expected, what
/// came out, and the wire in hex (its fields named for the crate's own
/// codecs). `Debug` prints the same text as `Display`, so `unwrap()` in a
/// test shows it whole.
#[derive(Clone, PartialEq, Eq)]
pub struct Mismatch {
    chunking: Option<Chunking>,
    message: String,
}

impl Mismatch {
    /// A mismatch with this report, for checks of your own built on the kit.
    #[must_use]
    pub fn new(message: impl Into<String>) -> Self {
        Mismatch {
            chunking: None,
            message: message.into(),
        }
    }

    /// A mismatch found in chunking `way`.
    pub(crate) fn in_chunking(way: &Chunking, message: String) -> Self {
        Mismatch {
            chunking: Some(way.clone()),
            message,
        }
    }

    /// The chunking that failed, if the check fed a wire.
    #[must_use]
    pub fn chunking(&self) -> Option<&Chunking> {
        self.chunking.as_ref()
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Debug for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Mismatch {}

/// One event as compared: a message, or an error by its `Debug` form.
#[derive(PartialEq)]
pub(crate) enum Outcome<'a, T> {
    Item(&'a T),
    Error(String),
}

impl<T: Debug> Debug for Outcome<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Item(item) => write!(f, "Ok({item:?})"),
            Outcome::Error(e) => write!(f, "Err({e})"),
        }
    }
}

pub(crate) fn outcomes<T, E: Debug>(events: &[Result<T, E>]) -> Vec<Outcome<'_, T>> {
    events
        .iter()
        .map(|e| match e {
            Ok(item) => Outcome::Item(item),
            Err(e) => Outcome::Error(format!("{e:?}")),
        })
        .collect()
}

/// A list of events, the first 8 shown.
pub(crate) fn list<T: Debug>(events: &[Outcome<'_, T>]) -> String {
    let mut s = String::from("[");
    for (i, e) in events.iter().take(8).enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        let _ = write!(s, "{e:?}");
    }
    if events.len() > 8 {
        let _ = write!(s, ", … {} more", events.len() - 8);
    }
    s.push(']');
    s
}

/// The crate's own dissector for the crate's own stream codecs.
pub(crate) fn sockwire_dissector<D: 'static>() -> Option<Dissector> {
    let id = TypeId::of::<D>();
    let known: [(TypeId, Dissector); 4] = [
        (TypeId::of::<crate::FixedPacketCodec>(), dump::fixed_fields),
        (
            TypeId::of::<crate::VariablePacketCodec>(),
            dump::variable_fields,
        ),
        (TypeId::of::<crate::LineCodec>(), dump::line_fields),
        (TypeId::of::<crate::TextStreamCodec>(), dump::text_fields),
    ];
    #[cfg(feature = "json")]
    if id == TypeId::of::<crate::app::AppCodec>()
        || id == TypeId::of::<crate::app::ServerCodec>()
        || id == TypeId::of::<crate::app::ClientCodec>()
    {
        return Some(dump::app_fields);
    }
    known.iter().find(|(k, _)| *k == id).map(|&(_, d)| d)
}

/// The fields of every message of `wire`, dissected one after the other.
pub(crate) fn dissect_all(wire: &[u8], dissect: Dissector) -> Vec<Field> {
    let mut all = Vec::new();
    let mut at = 0;
    while let Some(rest) = wire.get(at..).filter(|r| !r.is_empty()) {
        let fields = dissect(rest);
        let len = fields.iter().map(|f| f.range.end).max().unwrap_or(0);
        all.extend(fields.into_iter().map(|mut f| {
            f.range = f.range.start + at..f.range.end + at;
            f
        }));
        if len == 0 {
            break;
        }
        at += len;
    }
    all
}

/// Plain hex rows of 16 bytes, each with its offset.
pub(crate) fn hex_rows(wire: &[u8]) -> String {
    let mut out = String::new();
    for (row, bytes) in wire.chunks(dump::BYTES_PER_ROW).enumerate() {
        let text: String = bytes
            .iter()
            .map(|&b| {
                if b.is_ascii_graphic() || b == b' ' {
                    b as char
                } else {
                    '.'
                }
            })
            .collect();
        let _ = writeln!(
            out,
            "{:04x}  {:<47}  {text}",
            row * dump::BYTES_PER_ROW,
            dump::hex(bytes)
        );
    }
    out
}
