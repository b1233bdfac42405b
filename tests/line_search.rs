//! The line decoder's LF search (`memchr`, which changes strategy at its
//! vector widths), the hand-over from inline texts (up to
//! `Text::INLINE_CAPACITY` bytes) to shared ones, and the ASCII fast path of
//! UTF-8 validation, against a naive model, at every length and LF position
//! up to 200 bytes.

use bytes::BytesMut;
use sockwire::{DecodeError, Decoder, EncodeError, Encoder, LineCodec, Text};

fn naive_lines(wire: &[u8], max: usize) -> Vec<Result<Vec<u8>, DecodeError>> {
    let mut out = Vec::new();
    let mut pos = 0;
    for seg in wire.split_inclusive(|&b| b == b'\n') {
        let line = match seg.strip_suffix(b"\n") {
            Some(l) => l.strip_suffix(b"\r").unwrap_or(l),
            None => seg,
        };
        out.push(if line.len() > max {
            Err(DecodeError::LineTooLong { max })
        } else {
            match std::str::from_utf8(line) {
                Ok(_) => Ok(line.to_vec()),
                Err(e) => Err(DecodeError::InvalidUtf8 {
                    offset: (pos + e.valid_up_to()) as u64,
                }),
            }
        });
        pos += seg.len();
    }
    out
}

fn decode(wire: &[u8], max: usize) -> Vec<Result<Vec<u8>, DecodeError>> {
    let mut codec = LineCodec::with_max_len(max);
    let mut buf = BytesMut::from(wire);
    let mut out = Vec::new();
    loop {
        match codec.decode_eof(&mut buf) {
            Ok(Some(line)) => out.push(Ok(line.as_bytes().to_vec())),
            Ok(None) => break,
            Err(e) => out.push(Err(e)),
        }
    }
    out
}

#[test]
fn lf_found_at_every_position_up_to_200() {
    for len in 0..200 {
        // Bytes near LF in value, so that a search that is off by a bit
        // shows; 0x8a is never valid UTF-8 here, so error offsets are
        // checked on both sides of the inline capacity.
        let filler: Vec<u8> = (0..len)
            .map(|i| [b'a', 0x0b, 0x09, 0x8a, 0x0d][i % 5])
            .collect();
        for lf in 0..=len {
            let mut wire = filler.clone();
            if lf < len {
                wire[lf] = b'\n';
            }
            wire.extend_from_slice(b"tail\n");
            assert_eq!(
                decode(&wire, 1000),
                naive_lines(&wire, 1000),
                "len {len}, lf {lf}"
            );
        }
    }
}

#[test]
fn lines_of_every_length_around_the_limit() {
    for max in [0, 1, 7, 8, 9, 63, 64, 65, 100] {
        for len in 0..(max + 80) {
            let mut wire = vec![b'x'; len];
            wire.extend_from_slice(b"\r\nok\n");
            wire.extend(std::iter::repeat_n(b'y', len));
            assert_eq!(
                decode(&wire, max),
                naive_lines(&wire, max),
                "max {max}, len {len}"
            );
        }
    }
}

#[test]
fn lines_fed_one_byte_at_a_time_find_the_same_lf() {
    let wire: Vec<u8> = (0..300u32)
        .flat_map(|i| {
            let mut l = vec![b'z'; (i * 7 % 150) as usize];
            l.push(b'\n');
            l
        })
        .collect();
    let mut codec = LineCodec::new();
    let mut buf = BytesMut::new();
    let mut got = Vec::new();
    for &b in &wire {
        buf.extend_from_slice(&[b]);
        while let Some(line) = codec.decode(&mut buf).unwrap() {
            got.push(Ok(line.as_bytes().to_vec()));
        }
    }
    assert_eq!(got, naive_lines(&wire, usize::MAX));
}

#[test]
fn encoder_finds_an_lf_anywhere() {
    for len in 0..150 {
        for lf in 0..len {
            let mut line = "é".repeat(len / 2) + &"a".repeat(len % 2);
            let at = line.char_indices().nth(lf).map_or(line.len(), |(i, _)| i);
            line.insert(at, '\n');
            let mut buf = BytesMut::new();
            let err = LineCodec::new().encode(line.as_str(), &mut buf);
            assert_eq!(err, Err(EncodeError::NewlineInLine { offset: at }));
            assert!(buf.is_empty());
        }
    }
}

#[test]
fn ascii_fast_path_accepts_only_utf8() {
    for s in [
        &b""[..],
        b"plain ascii",
        b"\x7f",
        b"a\x80",
        b"\xc3\xa3",
        b"ok\xff",
        b"\xe2\x82",
    ] {
        let got = Text::from_utf8(bytes::Bytes::copy_from_slice(s)).map(|t| t.as_bytes().to_vec());
        let want = std::str::from_utf8(s)
            .map(|t| t.as_bytes().to_vec())
            .map_err(|e| DecodeError::InvalidUtf8 {
                offset: e.valid_up_to() as u64,
            });
        assert_eq!(got, want, "{s:?}");
    }
}

#[test]
fn long_lines_find_their_lf() {
    for len in [1_000, 4_095, 4_096, 4_097, 65_535, 65_536, 70_001] {
        let mut wire = vec![b'q'; len];
        wire.extend_from_slice(b"\r\n\n");
        wire.extend(std::iter::repeat_n(b'r', len));
        wire.push(b'\n');
        let max = 100_000;
        assert_eq!(decode(&wire, max), naive_lines(&wire, max), "len {len}");
    }
}
