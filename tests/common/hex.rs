//! Bytes to and from hex strings.

#![allow(dead_code)] // each test file uses part of this

/// Bytes from a hex string; spaces are ignored.
pub fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    assert!(digits.len() % 2 == 0, "odd number of hex digits in {s:?}");
    digits
        .chunks(2)
        .map(|pair| {
            let text = std::str::from_utf8(pair).expect("hex digits are ASCII");
            u8::from_str_radix(text, 16).expect("valid hex digit")
        })
        .collect()
}

/// A hex string for `bytes`, lower case, no separators.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
