// SPDX-License-Identifier: GPL-2.0
//! Names: UTF-8 on our side, UTF-16LE on the wire (MS-SMB2 2.2.13), a
//! path component at most 255 bytes of UTF-8 (NAME_MAX).
//!
//! Characters SMB servers cannot store in a name (MS-FSCC 2.1.5.2: `:`,
//! which would open a stream, `\`, the separator, `*`, `?`, `"`, `<`,
//! `>`, `|`, control characters, and a trailing dot or space, which
//! Windows strips) are never sent raw: with `mapposix` they are mapped
//! into the Unicode private range as cifs.ko's `mapposix` (Services for
//! Macintosh) maps them, so that names round-trip; without it, or for `\`,
//! the name is refused with `EINVAL`. A name from the server that cannot
//! be a Linux name (empty, `.`, `..`, a `/` or NUL inside, not valid
//! UTF-16, or too long) is dropped: it never reaches the dcache.
#![forbid(unsafe_code)]

use kernel::alloc::{flags::GFP_KERNEL, KVec};
use kernel::error::{code::*, Result};

/// The longest name, bytes of UTF-8.
pub(crate) const NAME_MAX: usize = 255;

/// The longest path from the VFS, bytes with the NUL (`PATH_MAX`).
pub(crate) const PATH_MAX: usize = 4096;

/// The private-range code point `mapposix` maps a character to (cifs.ko's
/// `SFM_*`); `at_end`: the character ends the name.
fn sfm_of(c: char, at_end: bool) -> Option<u16> {
    Some(match c {
        '\u{1}'..='\u{1f}' => 0xF000 + c as u16,
        '"' => 0xF020,
        '*' => 0xF021,
        ':' => 0xF022,
        '<' => 0xF023,
        '>' => 0xF024,
        '?' => 0xF025,
        '|' => 0xF027,
        ' ' if at_end => 0xF028,
        '.' if at_end => 0xF029,
        _ => return None,
    })
}

/// The character a private-range code point stands for under `mapposix`.
fn char_of_sfm(u: u16) -> Option<char> {
    Some(match u {
        0xF001..=0xF01F => char::from_u32(u32::from(u - 0xF000))?,
        0xF020 => '"',
        0xF021 => '*',
        0xF022 => ':',
        0xF023 => '<',
        0xF024 => '>',
        0xF025 => '?',
        0xF027 => '|',
        0xF028 => ' ',
        0xF029 => '.',
        _ => return None,
    })
}

/// Whether the server cannot store `c` (at the end of a name if
/// `at_end`).
fn reserved(c: char, at_end: bool) -> bool {
    matches!(
        c,
        ':' | '\\' | '*' | '?' | '"' | '<' | '>' | '|' | '\u{1}'..='\u{1f}'
    ) || (at_end && matches!(c, ' ' | '.'))
}

/// Appends a path from the VFS (`/`-separated components, leading and
/// doubled separators ignored) to `out` as smbclient takes it: UTF-8,
/// `/`-separated, each character the server cannot store mapped as
/// [`to_wire`] maps it (the private-range code point, in UTF-8), or
/// refused. `out` gets a separator before each component if it is not
/// empty.
pub(crate) fn push_path(out: &mut KVec<u8>, path: &[u8], mapposix: bool) -> Result {
    for comp in path.split(|c| *c == b'/').filter(|c| !c.is_empty()) {
        if comp.len() > NAME_MAX {
            return Err(ENAMETOOLONG);
        }
        let s = core::str::from_utf8(comp).map_err(|_| EINVAL)?;
        if !out.is_empty() {
            out.push(b'/', GFP_KERNEL)?;
        }
        let n = s.chars().count();
        let mut tmp = [0u8; 4];
        for (i, c) in s.chars().enumerate() {
            let at_end = i + 1 == n;
            let c = if c == '\0' {
                return Err(EINVAL);
            } else if reserved(c, at_end) {
                match sfm_of(c, at_end).and_then(|u| char::from_u32(u32::from(u))) {
                    Some(m) if mapposix => m,
                    _ => return Err(EINVAL),
                }
            } else {
                c
            };
            out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes(), GFP_KERNEL)?;
        }
    }
    Ok(())
}

/// One path component from the VFS as the server names it: UTF-16LE.
/// `EINVAL` for a name that is not UTF-8, holds a `/` or NUL, or a
/// character the server cannot store (unless `mapposix` maps it);
/// `ENAMETOOLONG` past [`NAME_MAX`].
pub(crate) fn to_wire(name: &[u8], mapposix: bool) -> Result<KVec<u8>> {
    if name.len() > NAME_MAX {
        return Err(ENAMETOOLONG);
    }
    let s = core::str::from_utf8(name).map_err(|_| EINVAL)?;
    if s.is_empty() || s.contains(['/', '\0']) {
        return Err(EINVAL);
    }
    let mut out = KVec::with_capacity(name.len() * 2, GFP_KERNEL)?;
    let n = s.chars().count();
    let mut buf = [0u16; 2];
    for (i, c) in s.chars().enumerate() {
        let at_end = i + 1 == n;
        if reserved(c, at_end) {
            match sfm_of(c, at_end) {
                Some(u) if mapposix => {
                    out.extend_from_slice(&u.to_le_bytes(), GFP_KERNEL)?;
                    continue;
                }
                _ => return Err(EINVAL),
            }
        }
        for u in c.encode_utf16(&mut buf) {
            out.extend_from_slice(&u.to_le_bytes(), GFP_KERNEL)?;
        }
    }
    Ok(out)
}

/// Why a server's name was dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dropped {
    /// Empty, `.` or `..` (the VFS makes those), or odd-length UTF-16.
    Reserved,
    /// Holds a `/` or a NUL.
    BadChar,
    /// Not valid UTF-16 (an unpaired surrogate).
    NotUnicode,
    /// Longer than [`NAME_MAX`] bytes of UTF-8.
    TooLong,
    /// No memory to hold it.
    NoMemory,
}

/// A directory entry's name from the server (UTF-16LE) as a Linux name,
/// `mapposix` undoing the mapping; or why it cannot be one.
pub(crate) fn from_wire(utf16: &[u8], mapposix: bool) -> core::result::Result<KVec<u8>, Dropped> {
    if utf16.is_empty() || utf16.len() % 2 != 0 {
        return Err(Dropped::Reserved);
    }
    let units = utf16
        .chunks_exact(2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]));
    let mut out = KVec::new();
    let mut tmp = [0u8; 4];
    for c in char::decode_utf16(units) {
        let c = c.map_err(|_| Dropped::NotUnicode)?;
        let c = match (mapposix, u16::try_from(u32::from(c))) {
            (true, Ok(u)) => char_of_sfm(u).unwrap_or(c),
            _ => c,
        };
        if c == '/' || c == '\0' {
            return Err(Dropped::BadChar);
        }
        let e = c.encode_utf8(&mut tmp);
        if out.len() + e.len() > NAME_MAX {
            return Err(Dropped::TooLong);
        }
        out.extend_from_slice(e.as_bytes(), GFP_KERNEL)
            .map_err(|_| Dropped::NoMemory)?;
    }
    if out[..] == b"."[..] || out[..] == b".."[..] {
        return Err(Dropped::Reserved);
    }
    Ok(out)
}
