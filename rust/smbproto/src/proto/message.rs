// SPDX-License-Identifier: GPL-2.0
//! Plumbing shared by the SMB2 command codecs: the [`Message`] trait, the
//! 16-byte [`FileId`], little-endian element lists and header-relative
//! buffer regions.
//!
//! Convention: a message decoder gets one whole PDU (`pdu`, starting at the
//! SMB2 header, limited to this PDU inside a compound), because every
//! buffer offset on the wire is relative to the start of the header
//! (MS-SMB2 §2.2). An encoder writes the body at `pdu[64..]` and returns the
//! total PDU length (header included); the header is written separately
//! with [`super::header::Header::emit`] or all at once with [`encode`].

use super::error::{Error, Result};
use super::header::{flags, Command, Header, HEADER_LEN};
use super::wire;

/// One SMB2 request or response body.
pub trait Message<'a>: Sized {
    /// The command code this body belongs to.
    const COMMAND: Command;
    /// True for server-to-client bodies.
    const IS_RESPONSE: bool;
    /// Decodes the body of `pdu` (header first).
    fn parse(pdu: &'a [u8]) -> Result<Self>;
    /// Writes the body at `pdu[64..]`; returns the PDU length (64 + body).
    fn emit(&self, pdu: &mut [u8]) -> Result<usize>;
}

/// Writes `hdr` (with `command` and `SERVER_TO_REDIR` set from `M`) and
/// `msg` into `out`; returns the PDU length.
pub fn encode<'a, M: Message<'a>>(hdr: &Header, msg: &M, out: &mut [u8]) -> Result<usize> {
    let mut h = *hdr;
    h.command = M::COMMAND;
    if M::IS_RESPONSE {
        h.flags |= flags::SERVER_TO_REDIR;
    } else {
        h.flags &= !flags::SERVER_TO_REDIR;
    }
    h.emit(out)?;
    msg.emit(out)
}

/// An SMB2 FileId (MS-SMB2 §2.2.14.1): persistent and volatile halves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FileId {
    /// Persistent part (survives reconnect for durable handles).
    pub persistent: u64,
    /// Volatile part.
    pub volatile: u64,
}

impl FileId {
    /// Size on the wire.
    pub const LEN: usize = 16;
    /// The all-ones FileId that compounded related requests use to mean
    /// "the handle the previous CREATE opened" (§3.2.4.1.4).
    pub const COMPOUND: FileId = FileId {
        persistent: u64::MAX,
        volatile: u64::MAX,
    };

    /// Reads a FileId at `off`.
    pub fn read(buf: &[u8], off: usize) -> Result<Self> {
        Ok(Self {
            persistent: wire::get_u64(buf, off)?,
            volatile: wire::get_u64(buf, off.checked_add(8).ok_or(Error::Overflow)?)?,
        })
    }

    /// Writes the FileId at `off`.
    pub fn write(&self, buf: &mut [u8], off: usize) -> Result<()> {
        wire::put_u64(buf, off, self.persistent)?;
        wire::put_u64(
            buf,
            off.checked_add(8).ok_or(Error::Overflow)?,
            self.volatile,
        )
    }
}

/// A fixed-size little-endian element of a wire array.
pub trait WireElement: Copy + PartialEq {
    /// Encoded size in bytes.
    const SIZE: usize;
    /// Decodes one element from exactly `SIZE` bytes.
    fn read(b: &[u8]) -> Result<Self>;
    /// Encodes one element into exactly `SIZE` bytes.
    fn write(&self, b: &mut [u8]) -> Result<()>;
}

impl WireElement for u16 {
    const SIZE: usize = 2;
    fn read(b: &[u8]) -> Result<Self> {
        wire::get_u16(b, 0)
    }
    fn write(&self, b: &mut [u8]) -> Result<()> {
        wire::put_u16(b, 0, *self)
    }
}

/// An array of wire elements: either borrowed raw bytes from a decoded
/// message or native values an encoder was given. Two lists are equal when
/// their elements are.
#[derive(Debug, Clone, Copy)]
pub enum WireList<'a, T> {
    /// Raw little-endian bytes, a whole number of elements.
    Wire(&'a [u8]),
    /// Native values.
    Values(&'a [T]),
}

/// A list of little-endian `u16` values (dialects, ciphers, algorithms).
pub type U16List<'a> = WireList<'a, u16>;

impl<'a, T: WireElement> WireList<'a, T> {
    /// Wraps raw bytes; `Malformed` unless a whole number of elements.
    pub fn from_wire(bytes: &'a [u8]) -> Result<Self> {
        if bytes.len().checked_rem(T::SIZE) != Some(0) {
            return Err(Error::Malformed);
        }
        Ok(Self::Wire(bytes))
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            Self::Wire(b) => b.len().checked_div(T::SIZE).unwrap_or(0),
            Self::Values(v) => v.len(),
        }
    }

    /// True if the list is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Size of the encoded list in bytes.
    pub fn wire_len(&self) -> Result<usize> {
        self.len().checked_mul(T::SIZE).ok_or(Error::Overflow)
    }

    /// The `i`th element.
    pub fn get(&self, i: usize) -> Option<T> {
        match self {
            Self::Wire(b) => {
                let off = i.checked_mul(T::SIZE)?;
                T::read(wire::slice(b, off, T::SIZE).ok()?).ok()
            }
            Self::Values(v) => v.get(i).copied(),
        }
    }

    /// Iterates over the elements.
    pub fn iter(&self) -> WireListIter<'a, T> {
        WireListIter {
            list: *self,
            next: 0,
        }
    }

    /// True if `value` is in the list.
    pub fn contains(&self, value: T) -> bool {
        self.iter().any(|v| v == value)
    }

    /// Writes the elements at `buf[off..]`; returns the bytes written.
    pub fn write_to(&self, buf: &mut [u8], off: usize) -> Result<usize> {
        let total = self.wire_len()?;
        let end = off.checked_add(total).ok_or(Error::Overflow)?;
        let dst = buf.get_mut(off..end).ok_or(Error::BufferTooSmall)?;
        for (chunk, v) in dst.chunks_exact_mut(T::SIZE).zip(self.iter()) {
            v.write(chunk)?;
        }
        Ok(total)
    }
}

impl<T: WireElement> PartialEq for WireList<'_, T> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<T: WireElement> Eq for WireList<'_, T> where T: Eq {}

/// Iterator over a [`WireList`].
#[derive(Debug, Clone)]
pub struct WireListIter<'a, T> {
    list: WireList<'a, T>,
    next: usize,
}

impl<T: WireElement> Iterator for WireListIter<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        let v = self.list.get(self.next)?;
        self.next = self.next.checked_add(1)?;
        Some(v)
    }
}

/// Offset of the body: header-relative offsets of body fields are
/// `BODY + n`, with `n` the offset MS-SMB2 gives inside the body.
pub(super) const BODY: usize = HEADER_LEN;

/// Checks the body's StructureSize and that the fixed part (`fixed` bytes
/// after the header) is present.
///
/// `Truncated` if the PDU is too short, `Malformed` on a wrong
/// StructureSize.
pub(super) fn check_body(pdu: &[u8], structure_size: u16, fixed: usize) -> Result<()> {
    if wire::get_u16(pdu, HEADER_LEN)? != structure_size {
        return Err(Error::Malformed);
    }
    let need = HEADER_LEN.checked_add(fixed).ok_or(Error::Overflow)?;
    if pdu.len() < need {
        return Err(Error::Truncated);
    }
    Ok(())
}

/// Reads the body's StructureSize, if present.
pub(super) fn structure_size(pdu: &[u8]) -> Result<u16> {
    wire::get_u16(pdu, HEADER_LEN)
}

/// Returns the variable buffer `pdu[off..off + len]`, which must lie at or
/// after `min_off` (the end of the fixed body). An empty buffer's offset is
/// not checked (servers send 0 there).
///
/// `OutOfBounds` if the region starts inside the fixed part or ends past the
/// PDU, `Overflow` if `off + len` overflows.
pub(super) fn region(pdu: &[u8], min_off: usize, off: usize, len: usize) -> Result<&[u8]> {
    if len == 0 {
        return Ok(&[]);
    }
    if off < min_off {
        return Err(Error::OutOfBounds);
    }
    wire::slice(pdu, off, len)
}

/// Prepares `pdu` for a body of `body_len` bytes: checks room, zeroes the
/// body and writes StructureSize. Returns the PDU length (64 + `body_len`).
pub(super) fn start_body(pdu: &mut [u8], structure_size: u16, body_len: usize) -> Result<usize> {
    let end = HEADER_LEN.checked_add(body_len).ok_or(Error::Overflow)?;
    pdu.get_mut(HEADER_LEN..end)
        .ok_or(Error::BufferTooSmall)?
        .fill(0);
    wire::put_u16(pdu, HEADER_LEN, structure_size)?;
    Ok(end)
}

/// Rounds `v` up to a multiple of 8.
pub(super) fn align8(v: usize) -> Result<usize> {
    Ok(v.checked_add(7).ok_or(Error::Overflow)? & !7)
}

/// Converts a buffer length or offset to the `u16` a wire field holds.
pub(super) fn to_u16(v: usize) -> Result<u16> {
    u16::try_from(v).map_err(|_| Error::Oversized)
}

/// Converts a buffer length or offset to the `u32` a wire field holds.
pub(super) fn to_u32(v: usize) -> Result<u32> {
    u32::try_from(v).map_err(|_| Error::Oversized)
}

/// Converts a wire `u32` to `usize`.
pub(super) fn usize_from(v: u32) -> Result<usize> {
    usize::try_from(v).map_err(|_| Error::Overflow)
}

/// Zero-fills `buf[from..to]`.
pub(super) fn zero(buf: &mut [u8], from: usize, to: usize) -> Result<()> {
    if to < from {
        return Err(Error::Overflow);
    }
    buf.get_mut(from..to).ok_or(Error::BufferTooSmall)?.fill(0);
    Ok(())
}

/// Reads a 16-byte GUID (or lease key) at `off`.
pub(super) fn get_guid(buf: &[u8], off: usize) -> Result<[u8; 16]> {
    let mut g = [0u8; 16];
    g.copy_from_slice(wire::slice(buf, off, 16).map_err(|_| Error::Truncated)?);
    Ok(g)
}

/// Declares a body that holds only StructureSize and reserved bytes
/// (LOGOFF, TREE_DISCONNECT, ECHO, CANCEL, FLUSH/LOCK responses, ...).
macro_rules! fixed_empty_body {
    ($(#[$doc:meta])* $name:ident, $cmd:ident, $resp:expr, $ss:expr, $len:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        pub struct $name;

        impl<'a> super::message::Message<'a> for $name {
            const COMMAND: super::header::Command = super::header::Command::$cmd;
            const IS_RESPONSE: bool = $resp;
            fn parse(pdu: &'a [u8]) -> super::error::Result<Self> {
                super::message::check_body(pdu, $ss, $len)?;
                Ok($name)
            }
            fn emit(&self, pdu: &mut [u8]) -> super::error::Result<usize> {
                super::message::start_body(pdu, $ss, $len)
            }
        }
    };
}
pub(super) use fixed_empty_body;

#[cfg(test)]
#[cfg_attr(
    test,
    allow(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::arithmetic_side_effects
    )
)]
mod tests {
    use super::*;

    #[test]
    fn wire_list_equality_across_representations() {
        let raw = [0x02, 0x02, 0x11, 0x03];
        let w = U16List::from_wire(&raw).unwrap();
        assert_eq!(w, U16List::Values(&[0x0202, 0x0311]));
        assert_ne!(w, U16List::Values(&[0x0202]));
        assert!(w.contains(0x0311));
        assert_eq!(U16List::from_wire(&raw[..3]), Err(Error::Malformed));
        let mut out = [0u8; 4];
        assert_eq!(w.write_to(&mut out, 0).unwrap(), 4);
        assert_eq!(out, raw);
        assert_eq!(w.write_to(&mut out, 1), Err(Error::BufferTooSmall));
    }

    #[test]
    fn region_checks() {
        let b = [0u8; 100];
        assert_eq!(region(&b, 72, 72, 28).unwrap().len(), 28);
        assert_eq!(region(&b, 72, 0, 0).unwrap().len(), 0);
        assert_eq!(region(&b, 72, 70, 4), Err(Error::OutOfBounds));
        assert_eq!(region(&b, 72, 72, 29), Err(Error::OutOfBounds));
        assert_eq!(region(&b, 72, usize::MAX, 2), Err(Error::Overflow));
    }

    #[test]
    fn file_id_layout() {
        // MS-SMB2 §2.2.14.1: Persistent (8) then Volatile (8), little endian.
        let mut b = [0u8; 16];
        FileId {
            persistent: 1,
            volatile: 0x0200,
        }
        .write(&mut b, 0)
        .unwrap();
        assert_eq!(b, [1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            FileId::read(&b, 0).unwrap(),
            FileId {
                persistent: 1,
                volatile: 0x200
            }
        );
        assert_eq!(FileId::read(&b, 1), Err(Error::Truncated));
    }
}
