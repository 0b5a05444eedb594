// SPDX-License-Identifier: GPL-2.0
//! Compounded requests and responses (MS-SMB2 §3.2.4.1.4, §3.3.5.2.7).
//!
//! PDUs of a chain follow each other in one message. Every PDU but the last
//! has NextCommand = offset from its own header to the next header, which is
//! 8-byte aligned; the last has NextCommand 0. The padding belongs to the
//! preceding PDU (and is covered by its signature).

use core::ops::Range;

use super::error::{Error, Result};
use super::header::{
    flags, header_flags, next_command, set_header_flags, set_next_command, HEADER_LEN,
};
use super::message::{align8, to_u32, usize_from, zero};

/// Iterator over the byte ranges of the PDUs of a chain in `buf`.
///
/// Yields `Err` once and stops if a NextCommand is misaligned
/// (`Misaligned`), does not advance past the current header or leaves the
/// buffer (`OutOfBounds`), overflows (`Overflow`), or a PDU is shorter than
/// a header (`Truncated`).
#[derive(Debug, Clone)]
pub struct CompoundRanges<'a> {
    buf: &'a [u8],
    pos: usize,
    done: bool,
}

impl<'a> CompoundRanges<'a> {
    /// Walks the chain starting at `buf[0]`.
    pub fn new(buf: &'a [u8]) -> Self {
        Self {
            buf,
            pos: 0,
            done: false,
        }
    }

    fn step(&mut self) -> Result<Range<usize>> {
        let rest = self.buf.get(self.pos..).ok_or(Error::OutOfBounds)?;
        if rest.len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        let next = usize_from(next_command(rest)?)?;
        if next == 0 {
            self.done = true;
            return Ok(self.pos..self.buf.len());
        }
        if next % 8 != 0 {
            return Err(Error::Misaligned);
        }
        if next < HEADER_LEN {
            return Err(Error::OutOfBounds);
        }
        if next >= rest.len() {
            return Err(Error::OutOfBounds);
        }
        let start = self.pos;
        let end = start.checked_add(next).ok_or(Error::Overflow)?;
        self.pos = end;
        Ok(start..end)
    }
}

impl Iterator for CompoundRanges<'_> {
    type Item = Result<Range<usize>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let r = self.step();
        if r.is_err() {
            self.done = true;
        }
        Some(r)
    }
}

/// Iterator over the PDUs of a received chain, each a slice starting at its
/// header and including trailing padding. Errors as [`CompoundRanges`].
#[derive(Debug, Clone)]
pub struct CompoundIter<'a> {
    ranges: CompoundRanges<'a>,
}

impl<'a> CompoundIter<'a> {
    /// Walks the chain starting at `buf[0]`.
    pub fn new(buf: &'a [u8]) -> Self {
        Self {
            ranges: CompoundRanges::new(buf),
        }
    }
}

impl<'a> Iterator for CompoundIter<'a> {
    type Item = Result<&'a [u8]>;

    fn next(&mut self) -> Option<Self::Item> {
        let buf = self.ranges.buf;
        Some(
            self.ranges
                .next()?
                .and_then(|r| buf.get(r).ok_or(Error::OutOfBounds)),
        )
    }
}

/// Lays out PDUs one after the other in a caller buffer as a compound
/// chain: pads each to 8 bytes before the next, links NextCommand and, for
/// a related chain, sets `SMB2_FLAGS_RELATED_OPERATIONS` on every PDU after
/// the first.
#[derive(Debug)]
pub struct CompoundBuilder<'a> {
    out: &'a mut [u8],
    len: usize,
    last: Option<usize>,
    related: bool,
    count: usize,
}

impl<'a> CompoundBuilder<'a> {
    /// Starts an empty chain in `out`. `related` selects related operations
    /// (§3.2.4.1.4: followers reuse the first one's SessionId, TreeId and
    /// FileId).
    pub fn new(out: &'a mut [u8], related: bool) -> Self {
        Self {
            out,
            len: 0,
            last: None,
            related,
            count: 0,
        }
    }

    /// Appends a PDU written by `encode`, which gets the free tail of the
    /// buffer (starting 8-aligned) and returns how many bytes it wrote.
    /// Returns the PDU's byte range in the buffer.
    pub fn push_with<F>(&mut self, encode: F) -> Result<Range<usize>>
    where
        F: FnOnce(&mut [u8]) -> Result<usize>,
    {
        let start = if self.last.is_some() {
            align8(self.len)?
        } else {
            0
        };
        let tail = self.out.get_mut(start..).ok_or(Error::BufferTooSmall)?;
        let written = encode(tail)?;
        if written < HEADER_LEN {
            return Err(Error::Truncated);
        }
        let end = start.checked_add(written).ok_or(Error::Overflow)?;
        let pdu = self.out.get_mut(start..end).ok_or(Error::BufferTooSmall)?;
        set_next_command(pdu, 0)?;
        if self.related && self.count > 0 {
            let f = header_flags(pdu)?;
            set_header_flags(pdu, f | flags::RELATED_OPERATIONS)?;
        }
        if let Some(prev) = self.last {
            zero(self.out, self.len, start)?;
            let link = to_u32(start.checked_sub(prev).ok_or(Error::Overflow)?)?;
            let prev_pdu = self.out.get_mut(prev..).ok_or(Error::OutOfBounds)?;
            set_next_command(prev_pdu, link)?;
        }
        self.last = Some(start);
        self.len = end;
        self.count = self.count.checked_add(1).ok_or(Error::Overflow)?;
        Ok(start..end)
    }

    /// Appends an already encoded PDU.
    pub fn push(&mut self, pdu: &[u8]) -> Result<Range<usize>> {
        self.push_with(|tail| {
            tail.get_mut(..pdu.len())
                .ok_or(Error::BufferTooSmall)?
                .copy_from_slice(pdu);
            Ok(pdu.len())
        })
    }

    /// Number of PDUs so far.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Bytes used so far (the last PDU is not padded).
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if no PDU was pushed.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Ends the chain; returns its length. `Truncated` if it is empty.
    pub fn finish(self) -> Result<usize> {
        if self.count == 0 {
            return Err(Error::Truncated);
        }
        Ok(self.len)
    }
}

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
    use super::super::header::{Command, Header};
    use super::*;

    fn pdu(cmd: Command, body: usize) -> [u8; 128] {
        let mut b = [0x77u8; 128];
        Header::request(cmd).emit(&mut b).unwrap();
        b[64..64 + body].fill(0xAB);
        b
    }

    #[test]
    fn build_and_walk_related_chain() {
        let mut out = [0xEEu8; 512];
        let mut cb = CompoundBuilder::new(&mut out, true);
        let a = pdu(Command::Create, 57);
        let r1 = cb.push(&a[..121]).unwrap();
        let r2 = cb.push(&a[..100]).unwrap();
        let r3 = cb.push(&a[..70]).unwrap();
        let n = cb.finish().unwrap();
        assert_eq!(r1, 0..121);
        assert_eq!(r2, 128..228);
        assert_eq!(r3, 232..302);
        assert_eq!(n, 302);
        // NextCommand at byte 20 of each header; RELATED (0x4) on followers.
        assert_eq!(&out[20..24], &[128, 0, 0, 0]);
        assert_eq!(&out[128 + 20..128 + 24], &[104, 0, 0, 0]);
        assert_eq!(&out[232 + 20..232 + 24], &[0, 0, 0, 0]);
        assert_eq!(out[16] & 4, 0);
        assert_eq!(out[128 + 16] & 4, 4);
        assert_eq!(out[232 + 16] & 4, 4);
        assert_eq!(&out[121..128], &[0; 7]);
        let pdus: Vec<_> = CompoundIter::new(&out[..n]).collect();
        assert_eq!(pdus.len(), 3);
        assert_eq!(pdus[0].unwrap().len(), 128);
        assert_eq!(pdus[1].unwrap().len(), 104);
        assert_eq!(pdus[2].unwrap().len(), 70);
    }

    extern crate std;
    use std::vec::Vec;

    fn chain_with_next(next: u32, total: usize) -> Vec<u8> {
        let mut b = std::vec![0u8; total];
        Header::request(Command::Echo).emit(&mut b).unwrap();
        b[20..24].copy_from_slice(&next.to_le_bytes());
        if total >= 200 {
            Header::request(Command::Echo).emit(&mut b[128..]).unwrap();
        }
        b
    }

    #[test]
    fn bad_next_command() {
        let first = |b: &[u8]| CompoundIter::new(b).next().unwrap().map(|p| p.len());
        assert_eq!(first(&chain_with_next(124, 256)), Err(Error::Misaligned));
        assert_eq!(first(&chain_with_next(0, 256)[..63]), Err(Error::Truncated));
        // Pointing at itself or into its own header.
        assert_eq!(first(&chain_with_next(8, 256)), Err(Error::OutOfBounds));
        // Past the end, and exactly at the end.
        assert_eq!(first(&chain_with_next(512, 256)), Err(Error::OutOfBounds));
        assert_eq!(first(&chain_with_next(256, 256)), Err(Error::OutOfBounds));
        assert_eq!(
            first(&chain_with_next(0xFFFF_FFF8, 256)),
            Err(Error::OutOfBounds)
        );
        // Next PDU shorter than a header.
        let b = chain_with_next(200, 256);
        let v: Vec<_> = CompoundIter::new(&b).collect();
        assert_eq!(v.len(), 2);
        assert_eq!(v[1], Err(Error::Truncated));
        // The iterator stops after an error.
        let b = chain_with_next(12, 256);
        let mut it = CompoundIter::new(&b);
        assert!(it.next().unwrap().is_err());
        assert!(it.next().is_none());
    }

    #[test]
    fn builder_errors() {
        let mut out = [0u8; 100];
        let mut cb = CompoundBuilder::new(&mut out, false);
        assert_eq!(cb.push(&[0u8; 10]), Err(Error::Truncated));
        cb.push(&pdu(Command::Echo, 4)[..68]).unwrap();
        assert_eq!(
            cb.push(&pdu(Command::Echo, 4)[..68]),
            Err(Error::BufferTooSmall)
        );
        assert_eq!(
            CompoundBuilder::new(&mut [0u8; 8], false).finish(),
            Err(Error::Truncated)
        );
    }
}
