// SPDX-License-Identifier: GPL-2.0
//! Property tests of the UTF-16LE conversions.
#![allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::panic,
    missing_docs
)]

use proptest::prelude::*;
use smbproto::proto::utf16::{decode_utf16le, encode_utf16le, encode_utf16le_upper, utf16le_len};
use smbproto::proto::Error;

proptest! {
    #[test]
    fn utf16_round_trips(s in any::<String>()) {
        let mut buf = vec![0u8; s.len() * 2];
        let n = encode_utf16le(&s, &mut buf).unwrap();
        prop_assert_eq!(n, utf16le_len(&s).unwrap());
        let expected: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
        prop_assert_eq!(&buf[..n], &expected[..]);
        let mut out = vec![0u8; s.len()];
        prop_assert_eq!(decode_utf16le(&buf[..n], &mut out).unwrap(), s.as_str());
    }

    #[test]
    fn decode_agrees_with_std_on_arbitrary_units(units in proptest::collection::vec(any::<u16>(), 0..64)) {
        let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
        let mut out = vec![0u8; bytes.len() * 2];
        match String::from_utf16(&units) {
            Ok(s) => prop_assert_eq!(decode_utf16le(&bytes, &mut out).unwrap(), s.as_str()),
            Err(_) => prop_assert_eq!(decode_utf16le(&bytes, &mut out), Err(Error::BadString)),
        }
    }

    #[test]
    fn encoders_never_overrun(s in any::<String>(), cap in 0usize..64) {
        let mut buf = vec![0u8; cap];
        let _ = encode_utf16le(&s, &mut buf);
        let _ = encode_utf16le_upper(&s, &mut buf);
        let mut out = vec![0u8; cap];
        let _ = decode_utf16le(s.as_bytes(), &mut out);
    }

    #[test]
    fn ascii_uppercase_matches_std(s in "[ -~]{0,40}") {
        let mut buf = vec![0u8; s.len() * 2];
        let n = encode_utf16le_upper(&s, &mut buf).unwrap();
        let expected: Vec<u8> = s.to_ascii_uppercase().encode_utf16().flat_map(u16::to_le_bytes).collect();
        prop_assert_eq!(&buf[..n], &expected[..]);
    }
}
