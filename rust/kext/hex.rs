// SPDX-License-Identifier: GPL-2.0
//! Hex literals for known-answer tests, decoded at compile time.

/// Decodes `s` (hex digits, with any ASCII whitespace between them) into `N`
/// bytes. Meant for `const` items: a malformed literal or a wrong length is
/// then a compile-time error rather than a runtime one.
pub const fn hex<const N: usize>(s: &str) -> [u8; N] {
    let b = s.as_bytes();
    let mut out = [0u8; N];
    let mut i = 0;
    let mut n = 0;
    let mut high: i32 = -1;
    while i < b.len() {
        let c = b[i];
        i += 1;
        let v = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            b' ' | b'\n' | b'\t' | b'\r' => continue,
            _ => panic!("hex: not a hex digit"),
        };
        if high < 0 {
            high = v as i32;
        } else {
            assert!(n < N, "hex: literal longer than the array");
            out[n] = ((high as u8) << 4) | v;
            n += 1;
            high = -1;
        }
    }
    assert!(
        high < 0 && n == N,
        "hex: literal shorter than the array, or odd"
    );
    out
}
