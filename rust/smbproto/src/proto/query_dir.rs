// SPDX-License-Identifier: GPL-2.0
//! SMB2 QUERY_DIRECTORY request and response (MS-SMB2 §2.2.33, §2.2.34)
//! and iterators over the directory entries it returns:
//! FileIdBothDirectoryInformation (MS-FSCC §2.4.17) and
//! FileIdFullDirectoryInformation (MS-FSCC §2.4.18).
//!
//! Entry names are returned as raw UTF-16LE bytes.

use core::marker::PhantomData;

use super::error::{Error, Result};
use super::header::Command;
use super::message::{
    align8, check_body, region, start_body, to_u16, to_u32, usize_from, zero, FileId, Message, BODY,
};
use super::wire;

/// FileInformationClass values for directory queries (MS-FSCC §2.4).
pub mod dir_info_class {
    /// FileDirectoryInformation.
    pub const DIRECTORY: u8 = 0x01;
    /// FileFullDirectoryInformation.
    pub const FULL_DIRECTORY: u8 = 0x02;
    /// FileBothDirectoryInformation.
    pub const BOTH_DIRECTORY: u8 = 0x03;
    /// FileNamesInformation.
    pub const NAMES: u8 = 0x0C;
    /// FileIdBothDirectoryInformation.
    pub const ID_BOTH_DIRECTORY: u8 = 0x25;
    /// FileIdFullDirectoryInformation.
    pub const ID_FULL_DIRECTORY: u8 = 0x26;
}

/// QUERY_DIRECTORY Flags (§2.2.33).
pub mod query_dir_flags {
    /// SMB2_RESTART_SCANS.
    pub const RESTART_SCANS: u8 = 0x01;
    /// SMB2_RETURN_SINGLE_ENTRY.
    pub const RETURN_SINGLE_ENTRY: u8 = 0x02;
    /// SMB2_INDEX_SPECIFIED.
    pub const INDEX_SPECIFIED: u8 = 0x04;
    /// SMB2_REOPEN.
    pub const REOPEN: u8 = 0x10;
}

const REQ_SS: u16 = 33;
const REQ_FIXED: usize = 32;
const REQ_CLASS: usize = BODY + 2;
const REQ_FLAGS: usize = BODY + 3;
const REQ_FILE_INDEX: usize = BODY + 4;
const REQ_FILE_ID: usize = BODY + 8;
const REQ_NAME_OFFSET: usize = BODY + 24;
const REQ_NAME_LENGTH: usize = BODY + 26;
const REQ_OUTPUT_LENGTH: usize = BODY + 28;
const REQ_BUFFER: usize = BODY + REQ_FIXED;

/// A QUERY_DIRECTORY request (§2.2.33).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryDirectoryRequest<'a> {
    /// FileInformationClass (see [`dir_info_class`]).
    pub file_information_class: u8,
    /// Flags (see [`query_dir_flags`]).
    pub flags: u8,
    /// FileIndex (with INDEX_SPECIFIED).
    pub file_index: u32,
    /// FileId of the directory.
    pub file_id: FileId,
    /// OutputBufferLength.
    pub output_buffer_length: u32,
    /// Search pattern, UTF-16LE (`*` for all).
    pub pattern: &'a [u8],
}

impl<'a> Message<'a> for QueryDirectoryRequest<'a> {
    const COMMAND: Command = Command::QueryDirectory;
    const IS_RESPONSE: bool = false;

    fn parse(pdu: &'a [u8]) -> Result<Self> {
        check_body(pdu, REQ_SS, REQ_FIXED)?;
        let off = usize::from(wire::get_u16(pdu, REQ_NAME_OFFSET)?);
        let len = usize::from(wire::get_u16(pdu, REQ_NAME_LENGTH)?);
        Ok(Self {
            file_information_class: *pdu.get(REQ_CLASS).ok_or(Error::Truncated)?,
            flags: *pdu.get(REQ_FLAGS).ok_or(Error::Truncated)?,
            file_index: wire::get_u32(pdu, REQ_FILE_INDEX)?,
            file_id: FileId::read(pdu, REQ_FILE_ID)?,
            output_buffer_length: wire::get_u32(pdu, REQ_OUTPUT_LENGTH)?,
            pattern: region(pdu, REQ_BUFFER, off, len)?,
        })
    }

    fn emit(&self, pdu: &mut [u8]) -> Result<usize> {
        let n = self.pattern.len();
        let end = start_body(
            pdu,
            REQ_SS,
            REQ_FIXED.checked_add(n.max(1)).ok_or(Error::Overflow)?,
        )?;
        wire::put_bytes(pdu, REQ_CLASS, &[self.file_information_class, self.flags])?;
        wire::put_u32(pdu, REQ_FILE_INDEX, self.file_index)?;
        self.file_id.write(pdu, REQ_FILE_ID)?;
        wire::put_u16(
            pdu,
            REQ_NAME_OFFSET,
            if n == 0 { 0 } else { to_u16(REQ_BUFFER)? },
        )?;
        wire::put_u16(pdu, REQ_NAME_LENGTH, to_u16(n)?)?;
        wire::put_u32(pdu, REQ_OUTPUT_LENGTH, self.output_buffer_length)?;
        wire::put_bytes(pdu, REQ_BUFFER, self.pattern)?;
        Ok(end)
    }
}

const RSP_SS: u16 = 9;
const RSP_FIXED: usize = 8;
const RSP_OUTPUT_OFFSET: usize = BODY + 2;
const RSP_OUTPUT_LENGTH: usize = BODY + 4;
const RSP_BUFFER: usize = BODY + RSP_FIXED;

/// Decodes the common 9-byte "output buffer" response body shared by
/// QUERY_DIRECTORY (§2.2.34) and QUERY_INFO (§2.2.38).
pub(super) fn parse_output_body(pdu: &[u8]) -> Result<&[u8]> {
    check_body(pdu, RSP_SS, RSP_FIXED)?;
    let off = usize::from(wire::get_u16(pdu, RSP_OUTPUT_OFFSET)?);
    let len = usize_from(wire::get_u32(pdu, RSP_OUTPUT_LENGTH)?)?;
    region(pdu, RSP_BUFFER, off, len)
}

/// Encodes the body [`parse_output_body`] reads.
pub(super) fn emit_output_body(output: &[u8], pdu: &mut [u8]) -> Result<usize> {
    let n = output.len();
    let end = start_body(
        pdu,
        RSP_SS,
        RSP_FIXED.checked_add(n.max(1)).ok_or(Error::Overflow)?,
    )?;
    wire::put_u16(pdu, RSP_OUTPUT_OFFSET, to_u16(RSP_BUFFER)?)?;
    wire::put_u32(pdu, RSP_OUTPUT_LENGTH, to_u32(n)?)?;
    wire::put_bytes(pdu, RSP_BUFFER, output)?;
    Ok(end)
}

/// A QUERY_DIRECTORY response (§2.2.34): the entries buffer. Decode it
/// with [`DirEntryIter`] for the class that was requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryDirectoryResponse<'a> {
    /// The output buffer (a chain of directory entries).
    pub output: &'a [u8],
}

impl<'a> QueryDirectoryResponse<'a> {
    /// Iterates over the entries as class `T`.
    pub fn entries<T: DirEntry<'a>>(&self) -> DirEntryIter<'a, T> {
        DirEntryIter::new(self.output)
    }
}

impl<'a> Message<'a> for QueryDirectoryResponse<'a> {
    const COMMAND: Command = Command::QueryDirectory;
    const IS_RESPONSE: bool = true;

    fn parse(pdu: &'a [u8]) -> Result<Self> {
        Ok(Self {
            output: parse_output_body(pdu)?,
        })
    }

    fn emit(&self, pdu: &mut [u8]) -> Result<usize> {
        emit_output_body(self.output, pdu)
    }
}

/// A directory entry class: fixed part, then the name.
pub trait DirEntry<'a>: Sized {
    /// FileInformationClass.
    const CLASS: u8;
    /// Size of the fixed part (the name starts there).
    const FIXED: usize;
    /// Decodes one entry from its bytes (NextEntryOffset long, or the rest
    /// of the buffer for the last).
    fn parse(entry: &'a [u8]) -> Result<Self>;
    /// Writes the entry with NextEntryOffset 0; returns its length.
    fn emit(&self, out: &mut [u8]) -> Result<usize>;
}

/// Times, sizes and attributes common to the directory classes
/// (MS-FSCC §2.4.17, §2.4.18: bytes 8..60).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DirTimes {
    /// CreationTime.
    pub creation_time: u64,
    /// LastAccessTime.
    pub last_access_time: u64,
    /// LastWriteTime.
    pub last_write_time: u64,
    /// ChangeTime.
    pub change_time: u64,
    /// EndOfFile.
    pub end_of_file: u64,
    /// AllocationSize.
    pub allocation_size: u64,
    /// FileAttributes.
    pub file_attributes: u32,
}

impl DirTimes {
    fn parse(e: &[u8]) -> Result<Self> {
        Ok(Self {
            creation_time: wire::get_u64(e, 8)?,
            last_access_time: wire::get_u64(e, 16)?,
            last_write_time: wire::get_u64(e, 24)?,
            change_time: wire::get_u64(e, 32)?,
            end_of_file: wire::get_u64(e, 40)?,
            allocation_size: wire::get_u64(e, 48)?,
            file_attributes: wire::get_u32(e, 56)?,
        })
    }

    fn emit(&self, e: &mut [u8]) -> Result<()> {
        wire::put_u64(e, 8, self.creation_time)?;
        wire::put_u64(e, 16, self.last_access_time)?;
        wire::put_u64(e, 24, self.last_write_time)?;
        wire::put_u64(e, 32, self.change_time)?;
        wire::put_u64(e, 40, self.end_of_file)?;
        wire::put_u64(e, 48, self.allocation_size)?;
        wire::put_u32(e, 56, self.file_attributes)
    }
}

/// The name of an entry: FileNameLength at 60, name at `fixed`, inside the
/// entry.
fn entry_name(e: &[u8], fixed: usize) -> Result<&[u8]> {
    let len = usize_from(wire::get_u32(e, 60)?)?;
    wire::slice(e, fixed, len)
}

fn start_entry(out: &mut [u8], fixed: usize, name: &[u8]) -> Result<usize> {
    let end = fixed.checked_add(name.len()).ok_or(Error::Overflow)?;
    out.get_mut(..end).ok_or(Error::BufferTooSmall)?.fill(0);
    wire::put_u32(out, 60, to_u32(name.len())?)?;
    wire::put_bytes(out, fixed, name)?;
    Ok(end)
}

/// FileIdBothDirectoryInformation (MS-FSCC §2.4.17), class 0x25.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileIdBothDirectoryInformation<'a> {
    /// FileIndex.
    pub file_index: u32,
    /// Times, sizes and attributes.
    pub times: DirTimes,
    /// EaSize (or reparse tag).
    pub ea_size: u32,
    /// ShortName (ShortNameLength bytes, UTF-16LE, at most 24).
    pub short_name: &'a [u8],
    /// FileId (64-bit file index number).
    pub file_id: u64,
    /// FileName, UTF-16LE.
    pub file_name: &'a [u8],
}

impl<'a> DirEntry<'a> for FileIdBothDirectoryInformation<'a> {
    const CLASS: u8 = dir_info_class::ID_BOTH_DIRECTORY;
    const FIXED: usize = 104;

    /// `Malformed` if ShortNameLength exceeds 24; `OutOfBounds` if the name
    /// runs past the entry.
    fn parse(e: &'a [u8]) -> Result<Self> {
        if e.len() < Self::FIXED {
            return Err(Error::Truncated);
        }
        let short_len = usize::from(*e.get(68).ok_or(Error::Truncated)?);
        if short_len > 24 {
            return Err(Error::Malformed);
        }
        Ok(Self {
            file_index: wire::get_u32(e, 4)?,
            times: DirTimes::parse(e)?,
            ea_size: wire::get_u32(e, 64)?,
            short_name: wire::slice(e, 70, short_len)?,
            file_id: wire::get_u64(e, 96)?,
            file_name: entry_name(e, Self::FIXED)?,
        })
    }

    fn emit(&self, out: &mut [u8]) -> Result<usize> {
        if self.short_name.len() > 24 {
            return Err(Error::Oversized);
        }
        let end = start_entry(out, Self::FIXED, self.file_name)?;
        wire::put_u32(out, 4, self.file_index)?;
        self.times.emit(out)?;
        wire::put_u32(out, 64, self.ea_size)?;
        wire::put_bytes(
            out,
            68,
            &[u8::try_from(self.short_name.len()).map_err(|_| Error::Oversized)?],
        )?;
        wire::put_bytes(out, 70, self.short_name)?;
        wire::put_u64(out, 96, self.file_id)?;
        Ok(end)
    }
}

/// FileIdFullDirectoryInformation (MS-FSCC §2.4.18), class 0x26.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileIdFullDirectoryInformation<'a> {
    /// FileIndex.
    pub file_index: u32,
    /// Times, sizes and attributes.
    pub times: DirTimes,
    /// EaSize (or reparse tag).
    pub ea_size: u32,
    /// FileId (64-bit file index number).
    pub file_id: u64,
    /// FileName, UTF-16LE.
    pub file_name: &'a [u8],
}

impl<'a> DirEntry<'a> for FileIdFullDirectoryInformation<'a> {
    const CLASS: u8 = dir_info_class::ID_FULL_DIRECTORY;
    const FIXED: usize = 80;

    fn parse(e: &'a [u8]) -> Result<Self> {
        if e.len() < Self::FIXED {
            return Err(Error::Truncated);
        }
        Ok(Self {
            file_index: wire::get_u32(e, 4)?,
            times: DirTimes::parse(e)?,
            ea_size: wire::get_u32(e, 64)?,
            file_id: wire::get_u64(e, 72)?,
            file_name: entry_name(e, Self::FIXED)?,
        })
    }

    fn emit(&self, out: &mut [u8]) -> Result<usize> {
        let end = start_entry(out, Self::FIXED, self.file_name)?;
        wire::put_u32(out, 4, self.file_index)?;
        self.times.emit(out)?;
        wire::put_u32(out, 64, self.ea_size)?;
        wire::put_u64(out, 72, self.file_id)?;
        Ok(end)
    }
}

/// Iterator over a NextEntryOffset chain of directory entries (MS-FSCC
/// §2.4: entries are 8-byte aligned; 0 ends the chain).
///
/// Errors (then stops): `Truncated` for an entry shorter than its fixed
/// part; `Misaligned` for a NextEntryOffset not a multiple of 8;
/// `OutOfBounds` for one that does not advance past the fixed part or
/// leaves the buffer, or a name that runs past its entry.
#[derive(Debug, Clone)]
pub struct DirEntryIter<'a, T> {
    buf: &'a [u8],
    pos: usize,
    done: bool,
    _class: PhantomData<T>,
}

impl<'a, T: DirEntry<'a>> DirEntryIter<'a, T> {
    /// Iterates over the entries in `buf` (empty: none).
    pub fn new(buf: &'a [u8]) -> Self {
        Self {
            buf,
            pos: 0,
            done: buf.is_empty(),
            _class: PhantomData,
        }
    }

    fn step(&mut self) -> Result<T> {
        let rest = self.buf.get(self.pos..).ok_or(Error::OutOfBounds)?;
        if rest.len() < T::FIXED {
            return Err(Error::Truncated);
        }
        let next = usize_from(wire::get_u32(rest, 0)?)?;
        let entry = if next == 0 {
            self.done = true;
            rest
        } else {
            if next % 8 != 0 {
                return Err(Error::Misaligned);
            }
            if next < T::FIXED || next >= rest.len() {
                return Err(Error::OutOfBounds);
            }
            self.pos = self.pos.checked_add(next).ok_or(Error::Overflow)?;
            rest.get(..next).ok_or(Error::OutOfBounds)?
        };
        T::parse(entry)
    }
}

impl<'a, T: DirEntry<'a>> Iterator for DirEntryIter<'a, T> {
    type Item = Result<T>;
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

/// Writes directory entries into a buffer, linking NextEntryOffset and
/// padding each to 8 bytes (for tests and a fake server).
#[derive(Debug)]
pub struct DirEntryWriter<'b> {
    buf: &'b mut [u8],
    len: usize,
    last: Option<usize>,
}

impl<'b> DirEntryWriter<'b> {
    /// Starts an empty chain.
    pub fn new(buf: &'b mut [u8]) -> Self {
        Self {
            buf,
            len: 0,
            last: None,
        }
    }

    /// Appends one entry.
    pub fn push<'a, T: DirEntry<'a>>(&mut self, entry: &T) -> Result<()> {
        let start = if self.last.is_some() {
            align8(self.len)?
        } else {
            0
        };
        let n = entry.emit(self.buf.get_mut(start..).ok_or(Error::BufferTooSmall)?)?;
        if let Some(prev) = self.last {
            zero(self.buf, self.len, start)?;
            wire::put_u32(
                self.buf,
                prev,
                to_u32(start.checked_sub(prev).ok_or(Error::Overflow)?)?,
            )?;
        }
        self.last = Some(start);
        self.len = start.checked_add(n).ok_or(Error::Overflow)?;
        Ok(())
    }

    /// Bytes used.
    pub fn finish(self) -> usize {
        self.len
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
    use super::*;
    extern crate std;
    use std::vec::Vec;

    fn full(name: &'static [u8], id: u64) -> FileIdFullDirectoryInformation<'static> {
        FileIdFullDirectoryInformation {
            file_index: 0,
            times: DirTimes {
                end_of_file: 10,
                file_attributes: 0x10,
                ..Default::default()
            },
            ea_size: 0,
            file_id: id,
            file_name: name,
        }
    }

    #[test]
    fn request_layout() {
        let r = QueryDirectoryRequest {
            file_information_class: dir_info_class::ID_FULL_DIRECTORY,
            flags: query_dir_flags::RESTART_SCANS,
            file_index: 0,
            file_id: FileId {
                persistent: 1,
                volatile: 2,
            },
            output_buffer_length: 65536,
            pattern: &[b'*', 0],
        };
        let mut b = [0xEEu8; 128];
        let n = r.emit(&mut b).unwrap();
        assert_eq!(n, 98);
        // §2.2.33: SS 33, class 0x26, flags, FileNameOffset 0x60 at body 24, length 2, OutputBufferLength.
        assert_eq!(&b[64..68], &[33, 0, 0x26, 1]);
        assert_eq!(&b[88..96], &[0x60, 0, 2, 0, 0, 0, 1, 0]);
        assert_eq!(&b[96..98], &[b'*', 0]);
        assert_eq!(QueryDirectoryRequest::parse(&b[..n]).unwrap(), r);
    }

    #[test]
    fn full_entries_round_trip() {
        let mut out = [0u8; 512];
        let mut w = DirEntryWriter::new(&mut out);
        let a = full(&[b'.', 0], 1);
        let c = full(&[b'a', 0, b'b', 0, b'c', 0], 3);
        w.push(&a).unwrap();
        w.push(&c).unwrap();
        let n = w.finish();
        // First entry: 80 + 2 = 82 -> NextEntryOffset 88; FileNameLength at 60, FileId at 72.
        assert_eq!(&out[0..4], &[88, 0, 0, 0]);
        assert_eq!(&out[60..64], &[2, 0, 0, 0]);
        assert_eq!(&out[72..80], &[1, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(n, 88 + 86);
        let mut b = [0u8; 512];
        let len = QueryDirectoryResponse { output: &out[..n] }
            .emit(&mut b)
            .unwrap();
        let p = QueryDirectoryResponse::parse(&b[..len]).unwrap();
        let got: Vec<_> = p
            .entries::<FileIdFullDirectoryInformation<'_>>()
            .map(|e| e.unwrap())
            .collect();
        assert_eq!(got, [a, c]);
    }

    #[test]
    fn both_entries_round_trip() {
        let e = FileIdBothDirectoryInformation {
            file_index: 4,
            times: DirTimes::default(),
            ea_size: 0,
            short_name: &[b'A', 0],
            file_id: 99,
            file_name: &[b'x', 0],
        };
        let mut out = [0u8; 256];
        let mut w = DirEntryWriter::new(&mut out);
        w.push(&e).unwrap();
        w.push(&e).unwrap();
        let n = w.finish();
        // ShortNameLength at 68, ShortName at 70, FileId at 96, FileName at 104.
        assert_eq!(out[68], 2);
        assert_eq!(&out[70..72], &[b'A', 0]);
        assert_eq!(out[96], 99);
        assert_eq!(&out[104..106], &[b'x', 0]);
        let got: Vec<_> = DirEntryIter::<FileIdBothDirectoryInformation<'_>>::new(&out[..n])
            .map(|e| e.unwrap())
            .collect();
        assert_eq!(got, [e, e]);
        let mut bad = out;
        bad[68] = 25;
        assert_eq!(
            DirEntryIter::<FileIdBothDirectoryInformation<'_>>::new(&bad[..n]).next(),
            Some(Err(Error::Malformed))
        );
    }

    #[test]
    fn bad_entry_chains() {
        let mut out = [0u8; 512];
        let mut w = DirEntryWriter::new(&mut out);
        w.push(&full(&[b'a', 0], 1)).unwrap();
        w.push(&full(&[b'b', 0], 2)).unwrap();
        let n = w.finish();
        let first = |b: &[u8]| {
            DirEntryIter::<FileIdFullDirectoryInformation<'_>>::new(b)
                .next()
                .unwrap()
                .map(|_| ())
        };
        let with_next = |v: u32| {
            let mut m = out;
            m[0..4].copy_from_slice(&v.to_le_bytes());
            m
        };
        assert_eq!(first(&with_next(0)[..n]), Ok(()));
        assert_eq!(first(&with_next(4)[..n]), Err(Error::Misaligned));
        assert_eq!(first(&with_next(8)[..n]), Err(Error::OutOfBounds));
        assert_eq!(first(&with_next(176)[..n]), Err(Error::OutOfBounds));
        assert_eq!(first(&with_next(0xFFFF_FFF8)[..n]), Err(Error::OutOfBounds));
        // Name length past the entry.
        let mut m = out;
        m[60] = 9;
        assert_eq!(first(&m[..n]), Err(Error::OutOfBounds));
        let mut m = out;
        m[60..64].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(first(&m[..n]).is_err());
        // Second entry cut short.
        let v: Vec<_> =
            DirEntryIter::<FileIdFullDirectoryInformation<'_>>::new(&out[..100]).collect();
        assert_eq!(v.len(), 2);
        assert_eq!(v[1], Err(Error::Truncated));
        assert_eq!(first(&out[..79]), Err(Error::Truncated));
    }
}
