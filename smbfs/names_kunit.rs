// SPDX-License-Identifier: GPL-2.0
//! KUnit suite `smbfs_names`: names to and from the wire, `mapposix`, and
//! the names from a server that never reach the dcache.
#![forbid(unsafe_code)]

#[kernel::macros::kunit_tests(smbfs_names)]
mod tests {
    use crate::names::{from_wire, to_wire, Dropped, NAME_MAX};
    use kernel::alloc::{flags::GFP_KERNEL, KVec};
    use kernel::error::code::*;

    fn utf16(units: &[u16]) -> KVec<u8> {
        let mut v = KVec::new();
        for u in units {
            v.extend_from_slice(&u.to_le_bytes(), GFP_KERNEL).unwrap();
        }
        v
    }

    #[test]
    fn utf8_names_go_out_as_utf16le() {
        assert_eq!(
            &to_wire(b"a.txt", false).unwrap()[..],
            &utf16(&[0x61, 0x2e, 0x74, 0x78, 0x74])[..]
        );
        // U+00E9 and U+1F600 (a surrogate pair).
        let w = to_wire("\u{e9}\u{1f600}".as_bytes(), false).unwrap();
        assert_eq!(&w[..], &utf16(&[0xe9, 0xd83d, 0xde00])[..]);
        assert_eq!(
            &from_wire(&w, false).unwrap()[..],
            "\u{e9}\u{1f600}".as_bytes()
        );
    }

    #[test]
    fn reserved_characters_are_refused_or_mapped() {
        for n in [
            &b"a:b"[..],
            b"a*",
            b"a?b",
            b"a\"b",
            b"a<b",
            b"a>b",
            b"a|b",
            b"dot.",
            b"space ",
            b"ctl\x01",
        ] {
            assert_eq!(to_wire(n, false).err(), Some(EINVAL));
            let w = to_wire(n, true).unwrap();
            // Mapped into the private range, and back.
            assert!(w.chunks_exact(2).any(|b| b[1] == 0xf0));
            assert_eq!(&from_wire(&w, true).unwrap()[..], n);
        }
        // Inside a name a dot or a space is plain.
        assert_eq!(
            &to_wire(b"a.b c", false).unwrap()[..],
            &utf16(&[0x61, 0x2e, 0x62, 0x20, 0x63])[..]
        );
        // A backslash is refused even with mapposix: it is the separator.
        assert_eq!(to_wire(b"a\\b", true).err(), Some(EINVAL));
        assert_eq!(to_wire(b"a/b", true).err(), Some(EINVAL));
        assert_eq!(to_wire(b"", true).err(), Some(EINVAL));
        assert_eq!(to_wire(b"\xff", false).err(), Some(EINVAL));
        // Without mapposix the private range comes back as it is.
        let w = utf16(&[0xF022]);
        assert_eq!(&from_wire(&w, false).unwrap()[..], "\u{f022}".as_bytes());
    }

    #[test]
    fn names_are_at_most_255_bytes() {
        let long = [b'x'; NAME_MAX + 1];
        assert!(to_wire(&long[..NAME_MAX], false).is_ok());
        assert_eq!(to_wire(&long, false).err(), Some(ENAMETOOLONG));
        // 128 two-byte characters are 256 bytes of UTF-8: too long here.
        let mut units = KVec::new();
        for _ in 0..128 {
            units.push(0xe9u16, GFP_KERNEL).unwrap();
        }
        assert_eq!(
            from_wire(&utf16(&units), false).err(),
            Some(Dropped::TooLong)
        );
    }

    #[test]
    fn hostile_server_names_are_dropped() {
        assert_eq!(from_wire(&[], false).err(), Some(Dropped::Reserved));
        assert_eq!(
            from_wire(&utf16(&[0x2e]), false).err(),
            Some(Dropped::Reserved)
        );
        assert_eq!(
            from_wire(&utf16(&[0x2e, 0x2e]), false).err(),
            Some(Dropped::Reserved)
        );
        assert_eq!(
            from_wire(&utf16(&[0x61, 0x2f, 0x62]), false).err(),
            Some(Dropped::BadChar)
        );
        assert_eq!(
            from_wire(&utf16(&[0x61, 0x00]), false).err(),
            Some(Dropped::BadChar)
        );
        assert_eq!(
            from_wire(&utf16(&[0xd800]), false).err(),
            Some(Dropped::NotUnicode)
        );
        assert_eq!(from_wire(&[0x61], false).err(), Some(Dropped::Reserved));
        assert_eq!(&from_wire(&utf16(&[0x2e, 0x61]), false).unwrap()[..], b".a");
    }
}
