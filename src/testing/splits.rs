//! [`Splits`]: a stream decoder fed the same wire cut into reads in every
//! way that matters.

use std::fmt::Debug;

use super::feed::{Fed, SplitMix, feed_borrowed, feed_owned};
use super::report::{
    Chunking, Decoded, Dissector, Events, Mismatch, Outcome, dissect_all, hex_rows, list, outcomes,
    sockwire_dissector,
};
use crate::dump;
use crate::{BorrowDecoder, Decoder};

/// Which ways [`check_decoder`] and its kin cut a wire into reads: whole,
/// through `decode_eof` alone, at every single split, at every double split
/// whose cuts are at most [`max_gap`](Self#structfield.max_gap) apart, byte
/// by byte, and [`random`](Self#structfield.random) random chunkings drawn
/// from [`seed`](Self#structfield.seed).
///
/// ```
/// use sockwire::testing::Splits;
/// use sockwire::LineCodec;
///
/// let splits = Splits::default().with_max_gap(4).with_random(100).with_seed(7);
/// let lines = ["one", "two"].map(sockwire::Text::from);
/// splits.check(LineCodec::new, b"one\r\ntwo\n", &lines)?;
/// # Ok::<(), sockwire::testing::Mismatch>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Splits {
    /// See [`with_singles`](Self::with_singles).
    pub singles: bool,
    /// See [`with_max_gap`](Self::with_max_gap).
    pub max_gap: usize,
    /// See [`with_random`](Self::with_random).
    pub random: usize,
    /// See [`with_seed`](Self::with_seed).
    pub seed: u64,
    /// See [`with_eof`](Self::with_eof).
    pub eof: bool,
    /// See [`with_fields`](Self::with_fields).
    pub fields: Option<Dissector>,
}

impl Default for Splits {
    fn default() -> Self {
        Splits {
            singles: true,
            max_gap: 64,
            random: 32,
            seed: 0x736f_636b_7769_7265,
            eof: true,
            fields: None,
        }
    }
}

crate::config::config_setters!(Splits {
    /// Whether every single split is checked. Default: `true`.
    with_singles => singles: bool,
    /// Double splits are checked wherever the two cuts are at most this
    /// many bytes apart, so every double split of a wire of up to
    /// `max_gap + 1` bytes; 0 checks none. Default: 64.
    with_max_gap => max_gap: usize,
    /// How many random chunkings to try. Default: 32.
    with_random => random: usize,
    /// The seed of the random chunkings: the same seed cuts the same way
    /// on every run. Default: a fixed seed.
    with_seed => seed: u64,
    /// Whether the stream ends after the wire (`decode_eof` is called, and
    /// the whole wire is also decoded by `decode_eof` alone). Default:
    /// `true`; `false` for a wire that stops inside a message.
    with_eof => eof: bool,
    /// How to name the fields of a message in a report. Default: `None`:
    /// the crate's own dissector for its own codecs ([`dump`]), plain hex
    /// for any other.
    with_fields => fields: Option<Dissector>,
});

impl Splits {
    /// Whole, through `decode_eof`, byte by byte and 16 random chunkings;
    /// no exhaustive single or double splits: for a property test, which
    /// checks many wires.
    #[must_use]
    pub fn quick() -> Self {
        Splits::default()
            .with_singles(false)
            .with_max_gap(0)
            .with_random(16)
    }

    /// Every chunking this checks on a wire of `len` bytes, in the order it
    /// checks them.
    ///
    /// ```
    /// use sockwire::testing::{Chunking, Splits};
    /// let ways = Splits::default().with_random(0).chunkings(2);
    /// assert_eq!(ways, [
    ///     Chunking::Whole, Chunking::EofOnly,
    ///     Chunking::At(vec![0]), Chunking::At(vec![1]), Chunking::At(vec![2]),
    ///     Chunking::At(vec![0, 1]), Chunking::At(vec![0, 2]), Chunking::At(vec![1, 2]),
    ///     Chunking::ByteByByte,
    /// ]);
    /// ```
    #[must_use]
    pub fn chunkings(&self, len: usize) -> Vec<Chunking> {
        let mut ways = vec![Chunking::Whole];
        if self.eof {
            ways.push(Chunking::EofOnly);
        }
        if self.singles {
            ways.extend((0..=len).map(|at| Chunking::At(vec![at])));
        }
        for first in 0..=len {
            let last = first.saturating_add(self.max_gap).min(len);
            ways.extend((first + 1..=last).map(|second| Chunking::At(vec![first, second])));
        }
        ways.push(Chunking::ByteByByte);
        let mut rng = SplitMix(self.seed);
        for index in 0..self.random {
            let count = rng.below(len.min(12) + 1);
            let mut cuts: Vec<usize> = (0..count).map(|_| rng.below(len + 1)).collect();
            cuts.sort_unstable();
            ways.push(Chunking::Random {
                seed: self.seed,
                index,
                cuts,
            });
        }
        ways
    }

    /// Feeds `wire` to a fresh decoder from `make` in every chunking, and
    /// checks each gives exactly the messages `expected`, and no error.
    ///
    /// # Errors
    ///
    /// The first chunking that gives anything else, or a decoder that
    /// answers without consuming its input, or that leaves bytes behind
    /// `decode_eof`.
    pub fn check<D, F>(
        &self,
        mut make: F,
        wire: &[u8],
        expected: &[D::Item],
    ) -> Result<(), Mismatch>
    where
        D: Decoder + 'static,
        D::Item: PartialEq + Debug,
        D::Error: Debug,
        F: FnMut() -> D,
    {
        let want: Vec<Outcome<'_, D::Item>> = expected.iter().map(Outcome::Item).collect();
        for way in self.chunkings(wire.len()) {
            let got = feed_owned(&mut make(), &way, wire, self.eof)
                .map_err(|why| self.report::<D>(&way, wire, why))?;
            self.compare::<D, _, _>(&way, wire, "decoder", &want, &got.events)?;
        }
        Ok(())
    }

    /// As [`check`](Self::check), and the borrowed path of a
    /// [`BorrowDecoder`] (`decode_with`, `decode_eof_with`, each view made
    /// an item by `to_owned`) gives the same messages and holds the same
    /// bytes between reads as the owned one, in every chunking.
    ///
    /// # Errors
    ///
    /// As [`check`](Self::check), and the first chunking where the two
    /// paths differ.
    pub fn check_borrowed<D, F, O>(
        &self,
        mut make: F,
        wire: &[u8],
        expected: &[D::Item],
        to_owned: O,
    ) -> Result<(), Mismatch>
    where
        D: BorrowDecoder + 'static,
        D::Item: PartialEq + Debug,
        D::Error: Debug,
        F: FnMut() -> D,
        O: for<'a> Fn(D::View<'a>) -> D::Item,
    {
        self.check(&mut make, wire, expected)?;
        self.events_borrowed(make, wire, to_owned).map(drop)
    }

    /// Feeds `wire` to a fresh decoder in every chunking and returns what
    /// the whole read gave, errors included, once every other chunking
    /// has given the same (errors compared by their `Debug` form), with
    /// the most bytes held and reserved in any chunking: for wires that
    /// hold bad input, whose errors and limits a test then checks.
    ///
    /// ```
    /// use sockwire::testing::Splits;
    /// use sockwire::{DecodeError, LineCodec};
    ///
    /// let decoded = Splits::default().events(|| LineCodec::with_max_len(4), b"ok\ntoo long\n")?;
    /// assert_eq!(decoded.events[1], Err(DecodeError::LineTooLong { max: 4 }));
    /// assert!(decoded.max_held <= 5); // never more than the limit and its CR
    /// # Ok::<(), sockwire::testing::Mismatch>(())
    /// ```
    ///
    /// # Errors
    ///
    /// The first chunking whose events differ from the whole read's.
    pub fn events<D, F>(&self, make: F, wire: &[u8]) -> Result<Decoded<D::Item, D::Error>, Mismatch>
    where
        D: Decoder + 'static,
        D::Item: PartialEq + Debug,
        D::Error: Debug,
        F: FnMut() -> D,
    {
        self.events_by(make, wire, |events| events)
    }

    /// As [`events`](Self::events), comparing what `normalize` makes of
    /// each chunking's events: for a decoder whose message boundaries
    /// follow the reads (the §2 text stream), `normalize` joins the texts.
    ///
    /// # Errors
    ///
    /// The first chunking whose normalized events differ from the whole
    /// read's.
    pub fn events_by<D, F, N, T>(
        &self,
        mut make: F,
        wire: &[u8],
        normalize: N,
    ) -> Result<Decoded<T, D::Error>, Mismatch>
    where
        D: Decoder + 'static,
        D::Error: Debug,
        F: FnMut() -> D,
        N: FnMut(Events<D::Item, D::Error>) -> Vec<Result<T, D::Error>>,
        T: PartialEq + Debug,
    {
        self.agree::<D, _, _>(wire, normalize, |way| {
            feed_owned(&mut make(), way, wire, self.eof)
                .map_err(|why| self.report::<D>(way, wire, why))
        })
    }

    /// As [`events`](Self::events), also through the borrowed path (each
    /// view made an item by `to_owned`), which must give the same events
    /// and hold the same bytes between reads in every chunking.
    ///
    /// # Errors
    ///
    /// The first chunking where the owned path differs from the whole
    /// read, or the borrowed path from the owned one.
    pub fn events_borrowed<D, F, O>(
        &self,
        make: F,
        wire: &[u8],
        to_owned: O,
    ) -> Result<Decoded<D::Item, D::Error>, Mismatch>
    where
        D: BorrowDecoder + 'static,
        D::Item: PartialEq + Debug,
        D::Error: Debug,
        F: FnMut() -> D,
        O: for<'a> Fn(D::View<'a>) -> D::Item,
    {
        self.events_borrowed_by(make, wire, to_owned, |events| events)
    }

    /// [`events_borrowed`](Self::events_borrowed) and
    /// [`events_by`](Self::events_by) together: in each chunking the two
    /// paths must give exactly the same events; across chunkings, what
    /// `normalize` makes of them must agree.
    ///
    /// # Errors
    ///
    /// The first chunking where the paths differ, or whose normalized
    /// events differ from the whole read's.
    pub fn events_borrowed_by<D, F, O, N, T>(
        &self,
        mut make: F,
        wire: &[u8],
        to_owned: O,
        normalize: N,
    ) -> Result<Decoded<T, D::Error>, Mismatch>
    where
        D: BorrowDecoder + 'static,
        D::Item: PartialEq + Debug,
        D::Error: Debug,
        F: FnMut() -> D,
        O: for<'a> Fn(D::View<'a>) -> D::Item,
        N: FnMut(Events<D::Item, D::Error>) -> Vec<Result<T, D::Error>>,
        T: PartialEq + Debug,
    {
        self.agree::<D, _, _>(wire, normalize, |way| {
            let report = |why| self.report::<D>(way, wire, why);
            let own = feed_owned(&mut make(), way, wire, self.eof).map_err(report)?;
            let lent =
                feed_borrowed(&mut make(), way, wire, self.eof, &to_owned).map_err(report)?;
            let what = "borrowed path (compared with the owned path)";
            self.compare::<D, _, _>(way, wire, what, &outcomes(&own.events), &lent.events)?;
            if own.held != lent.held {
                let why = format!(
                    "the borrowed path holds {:?} bytes after each read, the owned path {:?}",
                    lent.held, own.held
                );
                return Err(self.report::<D>(way, wire, why));
            }
            Ok(own)
        })
    }

    /// Feeds every chunking with `feed` and checks that what `normalize`
    /// makes of each agrees with the whole read's.
    fn agree<D: Decoder + 'static, N, T>(
        &self,
        wire: &[u8],
        mut normalize: N,
        mut feed: impl FnMut(&Chunking) -> Result<Fed<D::Item, D::Error>, Mismatch>,
    ) -> Result<Decoded<T, D::Error>, Mismatch>
    where
        D::Error: Debug,
        N: FnMut(Events<D::Item, D::Error>) -> Vec<Result<T, D::Error>>,
        T: PartialEq + Debug,
    {
        let mut first: Option<Vec<Result<T, D::Error>>> = None;
        let (mut max_held, mut max_capacity) = (0, 0);
        for way in self.chunkings(wire.len()) {
            let fed = feed(&way)?;
            max_held = fed.held.iter().copied().fold(max_held, usize::max);
            max_capacity = max_capacity.max(fed.capacity);
            let got = normalize(fed.events);
            match &first {
                None => first = Some(got),
                Some(whole) => {
                    let what = "decoder (compared with the whole read)";
                    self.compare::<D, _, _>(&way, wire, what, &outcomes(whole), &got)?;
                }
            }
        }
        Ok(Decoded {
            events: first.unwrap_or_default(),
            max_held,
            max_capacity,
        })
    }

    fn compare<D: 'static, T: PartialEq + Debug, E: Debug>(
        &self,
        way: &Chunking,
        wire: &[u8],
        what: &str,
        want: &[Outcome<'_, T>],
        got: &[Result<T, E>],
    ) -> Result<(), Mismatch> {
        let got = outcomes(got);
        if want == got.as_slice() {
            return Ok(());
        }
        let at = want.iter().zip(&got).take_while(|(w, g)| w == g).count();
        let why = match (want.get(at), got.get(at)) {
            (Some(w), Some(g)) => format!("{what}: event {at} differs: expected {w:?}, got {g:?}"),
            (Some(w), None) => format!("{what}: event {at} missing: expected {w:?}, got nothing"),
            (None, Some(g)) => format!("{what}: event {at} extra: expected nothing, got {g:?}"),
            (None, None) => format!("{what}: the events differ"),
        };
        let why = format!(
            "{why}\n  expected: {}\n  got:      {}",
            list(want),
            list(&got)
        );
        Err(self.report::<D>(way, wire, why))
    }

    /// The report of a failure in chunking `way` of `wire`.
    fn report<D: 'static>(&self, way: &Chunking, wire: &[u8], why: String) -> Mismatch {
        let reads: Vec<String> = {
            let mut at = 0;
            way.reads(wire)
                .iter()
                .map(|r| {
                    at += r.len();
                    format!("{}..{}", at - r.len(), at)
                })
                .collect()
        };
        let mut reads = reads.join(", ");
        if reads.len() > 200 {
            reads.truncate(200);
            reads.push_str(", …");
        }
        let fields = self.fields.or_else(sockwire_dissector::<D>);
        let shown = match fields {
            Some(dissect) => dump::render(wire, &dissect_all(wire, dissect)),
            None => hex_rows(wire),
        };
        Mismatch::in_chunking(
            way,
            format!(
                "when the wire is {way} (reads {reads}):\n{why}\nwire, {} bytes:\n{shown}",
                wire.len()
            ),
        )
    }
}

/// Checks that a fresh decoder from `make` gives exactly the messages
/// `expected` from `wire`, however it is cut into reads, and that
/// `decode_eof` agrees: [`Splits::check`] with the default splits. (The
/// decoder type is `'static`, which lets a report recognise the crate's
/// own codecs and name their fields.)
///
/// ```
/// use sockwire::testing::check_decoder;
/// use sockwire::{FixedPacket, FixedPacketCodec};
///
/// let packets = [FixedPacket::new(1, "hi"), FixedPacket::new(2, "ação")];
/// let wire: Vec<u8> = packets.iter().flat_map(|p| p.to_bytes()).collect();
/// check_decoder(FixedPacketCodec::new, &wire, &packets)?;
/// # Ok::<(), sockwire::testing::Mismatch>(())
/// ```
///
/// # Errors
///
/// [`Mismatch`] naming the first chunking that gives anything else, with
/// both lists of events and the wire in hex.
pub fn check_decoder<D, F>(make: F, wire: &[u8], expected: &[D::Item]) -> Result<(), Mismatch>
where
    D: Decoder + 'static,
    D::Item: PartialEq + Debug,
    D::Error: Debug,
    F: FnMut() -> D,
{
    Splits::default().check(make, wire, expected)
}

/// [`check_decoder`], and the borrowed path of a [`BorrowDecoder`] (each
/// view made an item by `to_owned`) agrees with the owned one in every
/// chunking: [`Splits::check_borrowed`] with the default splits.
///
/// ```
/// use sockwire::testing::check_borrow_decoder;
/// use sockwire::{Text, LineCodec};
///
/// let lines = [Text::from("hello"), Text::from("wörld")];
/// check_borrow_decoder(LineCodec::new, "hello\r\nwörld\n".as_bytes(), &lines, |s: &str| Text::from(s))?;
/// # Ok::<(), sockwire::testing::Mismatch>(())
/// ```
///
/// # Errors
///
/// As [`check_decoder`], and the first chunking where the paths differ.
pub fn check_borrow_decoder<D, F, O>(
    make: F,
    wire: &[u8],
    expected: &[D::Item],
    to_owned: O,
) -> Result<(), Mismatch>
where
    D: BorrowDecoder + 'static,
    D::Item: PartialEq + Debug,
    D::Error: Debug,
    F: FnMut() -> D,
    O: for<'a> Fn(D::View<'a>) -> D::Item,
{
    Splits::default().check_borrowed(make, wire, expected, to_owned)
}
