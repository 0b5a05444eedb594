// SPDX-License-Identifier: GPL-2.0
//! UTF-8 ⇄ UTF-16LE conversion into caller buffers, and the uppercase
//! mapping NTLMv2 applies to the user name.
//!
//! SMB2 and NTLMSSP (with NTLMSSP_NEGOTIATE_UNICODE) carry every string as
//! UTF-16LE without a terminator (MS-SMB2 §2.2, MS-NLMP §2.2). Encoding from a
//! `&str` cannot fail except for space; decoding rejects odd lengths and
//! unpaired surrogates with [`Error::BadString`].
//!
//! # Uppercase subset
//!
//! NTOWFv2 hashes `UPPERCASE(User)` (MS-NLMP §3.3.2), meaning the Windows
//! uppercase table (simple, one character to one character). Without that
//! table, [`to_upper_ntlm`] maps only characters whose Windows uppercase is
//! certain:
//!
//! * ASCII `a`–`z`;
//! * Latin-1: U+00E0–U+00FE except U+00F7 (minus 0x20), U+00FF → U+0178;
//!   U+00DF (ß) has no one-character uppercase and stays;
//! * Latin Extended-A (U+0100–U+017F) where the Unicode simple uppercase
//!   stays inside the block;
//! * basic Greek U+03B1–U+03C9 except final sigma U+03C2, and basic Cyrillic
//!   U+0430–U+045F;
//! * every character with no case mapping at all (digits, punctuation, CJK,
//!   characters that are already uppercase) is kept as is.
//!
//! Any other lowercase or titlecase character (U+00B5 µ, U+0131 ı, U+017F ſ,
//! U+0149 ŉ, accented Greek, Armenian, Georgian, fullwidth Latin, ...) returns
//! [`Error::Unsupported`] rather than a hash the server would reject.

use super::error::{Error, Result};

/// Bytes needed to encode `s` as UTF-16LE.
pub fn utf16le_len(s: &str) -> Result<usize> {
    s.encode_utf16()
        .try_fold(0usize, |n, _| n.checked_add(2))
        .ok_or(Error::Overflow)
}

/// Encodes `s` as UTF-16LE at the start of `out`; returns the bytes written.
pub fn encode_utf16le(s: &str, out: &mut [u8]) -> Result<usize> {
    let mut slots = out.chunks_exact_mut(2);
    let mut written = 0usize;
    for unit in s.encode_utf16() {
        let slot = slots.next().ok_or(Error::BufferTooSmall)?;
        slot.copy_from_slice(&unit.to_le_bytes());
        written = written.checked_add(2).ok_or(Error::Overflow)?;
    }
    Ok(written)
}

/// Encodes `UPPERCASE(s)` (see the module doc for the subset) as UTF-16LE at
/// the start of `out`; returns the bytes written.
pub fn encode_utf16le_upper(s: &str, out: &mut [u8]) -> Result<usize> {
    let mut slots = out.chunks_exact_mut(2);
    let mut written = 0usize;
    for c in s.chars() {
        let mut units = [0u16; 2];
        for unit in to_upper_ntlm(c)?.encode_utf16(&mut units).iter() {
            let slot = slots.next().ok_or(Error::BufferTooSmall)?;
            slot.copy_from_slice(&unit.to_le_bytes());
            written = written.checked_add(2).ok_or(Error::Overflow)?;
        }
    }
    Ok(written)
}

/// Decodes UTF-16LE `input` into UTF-8 in `out` and returns it as a `str`
/// borrowing `out`.
///
/// Errors: [`Error::BadString`] for an odd length or an unpaired surrogate,
/// [`Error::BufferTooSmall`] if `out` cannot hold the result (at most
/// `3 * input.len() / 2` bytes).
pub fn decode_utf16le<'o>(input: &[u8], out: &'o mut [u8]) -> Result<&'o str> {
    let pairs = input.chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return Err(Error::BadString);
    }
    let units = pairs.map(|p| {
        u16::from_le_bytes([
            p.first().copied().unwrap_or(0),
            p.get(1).copied().unwrap_or(0),
        ])
    });
    let mut len = 0usize;
    for decoded in core::char::decode_utf16(units) {
        let c = decoded.map_err(|_| Error::BadString)?;
        let mut utf8 = [0u8; 4];
        let bytes = c.encode_utf8(&mut utf8).as_bytes();
        let end = len.checked_add(bytes.len()).ok_or(Error::Overflow)?;
        out.get_mut(len..end)
            .ok_or(Error::BufferTooSmall)?
            .copy_from_slice(bytes);
        len = end;
    }
    let text = out.get(..len).ok_or(Error::BufferTooSmall)?;
    core::str::from_utf8(text).map_err(|_| Error::BadString)
}

/// Calls `sink` with successive chunks of the UTF-16LE encoding of `s`
/// (uppercased when `upper`), so a MAC can absorb a string without a buffer
/// the size of the string.
pub(crate) fn utf16le_chunks(s: &str, upper: bool, sink: &mut dyn FnMut(&[u8])) -> Result<()> {
    let mut chunk = [0u8; 64];
    let mut used = 0usize;
    for c in s.chars() {
        let c = if upper { to_upper_ntlm(c)? } else { c };
        let mut units = [0u16; 2];
        for unit in c.encode_utf16(&mut units).iter() {
            if used == chunk.len() {
                sink(&chunk);
                used = 0;
            }
            let end = used.checked_add(2).ok_or(Error::Overflow)?;
            chunk
                .get_mut(used..end)
                .ok_or(Error::Overflow)?
                .copy_from_slice(&unit.to_le_bytes());
            used = end;
        }
    }
    sink(chunk.get(..used).ok_or(Error::Overflow)?);
    Ok(())
}

/// The uppercase of `c` as Windows computes it for NTLMv2, for the subset
/// listed in the module doc; [`Error::Unsupported`] outside it.
pub fn to_upper_ntlm(c: char) -> Result<char> {
    let cp = u32::from(c);
    let shifted = |delta: u32| {
        cp.checked_sub(delta)
            .and_then(char::from_u32)
            .ok_or(Error::Unsupported)
    };
    match cp {
        0x61..=0x7A => shifted(0x20),
        0xB5 => Err(Error::Unsupported),
        // ß: no one-character uppercase, so the simple mapping keeps it.
        0xDF => Ok(c),
        0xE0..=0xF6 | 0xF8..=0xFE => shifted(0x20),
        0xFF => Ok('\u{0178}'),
        0x0100..=0x017F => {
            let mut upper = c.to_uppercase();
            match (upper.next(), upper.next()) {
                (Some(u), None) if (0x0100..=0x017F).contains(&u32::from(u)) => Ok(u),
                _ => Err(Error::Unsupported),
            }
        }
        0x03C2 => Err(Error::Unsupported),
        0x03B1..=0x03C9 => shifted(0x20),
        0x0430..=0x044F => shifted(0x20),
        0x0450..=0x045F => shifted(0x50),
        _ => {
            let mut upper = c.to_uppercase();
            match (upper.next(), upper.next()) {
                (Some(u), None) if u == c => Ok(c),
                _ => Err(Error::Unsupported),
            }
        }
    }
}

#[cfg(test)]
#[allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used
)]
mod tests {
    use super::*;

    #[test]
    fn encodes_and_decodes_bmp_and_astral() {
        let mut buf = [0u8; 32];
        let n = encode_utf16le("Aé€😀", &mut buf).unwrap();
        assert_eq!(
            &buf[..n],
            &[0x41, 0x00, 0xE9, 0x00, 0xAC, 0x20, 0x3D, 0xD8, 0x00, 0xDE]
        );
        assert_eq!(utf16le_len("Aé€😀").unwrap(), n);
        let mut out = [0u8; 32];
        assert_eq!(decode_utf16le(&buf[..n], &mut out).unwrap(), "Aé€😀");
    }

    #[test]
    fn reports_small_buffers() {
        let mut buf = [0u8; 3];
        assert_eq!(encode_utf16le("ab", &mut buf), Err(Error::BufferTooSmall));
        let mut out = [0u8; 1];
        assert_eq!(
            decode_utf16le(&[0x41, 0, 0x42, 0], &mut out),
            Err(Error::BufferTooSmall)
        );
    }

    #[test]
    fn rejects_bad_utf16() {
        let mut out = [0u8; 16];
        assert_eq!(decode_utf16le(&[0x41], &mut out), Err(Error::BadString));
        // Lone high surrogate, lone low surrogate, reversed pair.
        assert_eq!(
            decode_utf16le(&[0x3D, 0xD8], &mut out),
            Err(Error::BadString)
        );
        assert_eq!(
            decode_utf16le(&[0x00, 0xDE, 0x41, 0x00], &mut out),
            Err(Error::BadString)
        );
        assert_eq!(
            decode_utf16le(&[0x00, 0xDE, 0x3D, 0xD8], &mut out),
            Err(Error::BadString)
        );
    }

    #[test]
    fn uppercases_the_supported_subset() {
        let mut buf = [0u8; 64];
        let n = encode_utf16le_upper("user_1-ÿàéžαωяё日本", &mut buf).unwrap();
        let mut out = [0u8; 64];
        assert_eq!(
            decode_utf16le(&buf[..n], &mut out).unwrap(),
            "USER_1-ŸÀÉŽΑΩЯЁ日本"
        );
        assert_eq!(to_upper_ntlm('ß'), Ok('ß'));
        assert_eq!(to_upper_ntlm('÷'), Ok('÷'));
        assert_eq!(to_upper_ntlm('Ω'), Ok('Ω'));
    }

    #[test]
    fn refuses_uncertain_uppercase() {
        for c in ['µ', 'ı', 'ſ', 'ŉ', 'ς', 'ά', 'ա', 'ａ', 'ǅ'] {
            assert_eq!(to_upper_ntlm(c), Err(Error::Unsupported), "{c}");
        }
    }

    #[test]
    fn chunks_match_the_whole_encoding() {
        let s = "a long user name with some accents: àéîõü and more text to pass 64 bytes";
        let mut whole = [0u8; 256];
        let n = encode_utf16le_upper(s, &mut whole).unwrap();
        let mut joined = [0u8; 256];
        let mut len = 0;
        utf16le_chunks(s, true, &mut |c| {
            joined[len..len + c.len()].copy_from_slice(c);
            len += c.len();
        })
        .unwrap();
        assert_eq!(&joined[..len], &whole[..n]);
    }
}
