// SPDX-License-Identifier: GPL-2.0
//! SMB2 READ (MS-SMB2 §2.2.19, §2.2.20) and WRITE (§2.2.21, §2.2.22).
//!
//! Payloads are not part of the parsed values: the transport receives READ
//! data into the caller's pages and sends WRITE data from a bvec. Encoders
//! write everything up to the payload and return where it starts; decoders
//! check the payload lies inside the PDU and hand it out with `payload()`.
//! [`read_response_data_span`] splits a READ response from its data using
//! only the first 80 bytes.

use super::error::{Error, Result};
use super::header::{Command, HEADER_LEN};
use super::message::{check_body, start_body, usize_from, zero, FileId, Message, BODY};
use super::wire;

/// READ request Flags (§2.2.19).
pub mod read_flags {
    /// SMB2_READFLAG_READ_UNBUFFERED.
    pub const UNBUFFERED: u8 = 0x01;
    /// SMB2_READFLAG_REQUEST_COMPRESSED.
    pub const REQUEST_COMPRESSED: u8 = 0x02;
}

/// WRITE request Flags (§2.2.21).
pub mod write_flags {
    /// SMB2_WRITEFLAG_WRITE_THROUGH.
    pub const WRITE_THROUGH: u32 = 0x0000_0001;
    /// SMB2_WRITEFLAG_WRITE_UNBUFFERED.
    pub const UNBUFFERED: u32 = 0x0000_0002;
}

const READ_REQ_SS: u16 = 49;
const READ_REQ_FIXED: usize = 48;
const READ_REQ_PADDING: usize = BODY + 2;
const READ_REQ_FLAGS: usize = BODY + 3;
const READ_REQ_LENGTH: usize = BODY + 4;
const READ_REQ_OFFSET: usize = BODY + 8;
const READ_REQ_FILE_ID: usize = BODY + 16;
const READ_REQ_MINIMUM: usize = BODY + 32;
const READ_REQ_CHANNEL: usize = BODY + 36;
const READ_REQ_REMAINING: usize = BODY + 40;
const READ_REQ_CHANNEL_INFO_LEN: usize = BODY + 46;

/// A READ request (§2.2.19). Read channel info (RDMA) is not supported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadRequest {
    /// Padding: where the server should place the data in its response
    /// (0 or 0x50).
    pub padding: u8,
    /// Flags (see [`read_flags`]).
    pub flags: u8,
    /// Length to read.
    pub length: u32,
    /// File offset.
    pub offset: u64,
    /// FileId.
    pub file_id: FileId,
    /// MinimumCount.
    pub minimum_count: u32,
    /// Channel (0: none).
    pub channel: u32,
    /// RemainingBytes.
    pub remaining_bytes: u32,
}

impl<'a> Message<'a> for ReadRequest {
    const COMMAND: Command = Command::Read;
    const IS_RESPONSE: bool = false;

    fn parse(pdu: &'a [u8]) -> Result<Self> {
        check_body(pdu, READ_REQ_SS, READ_REQ_FIXED)?;
        if wire::get_u16(pdu, READ_REQ_CHANNEL_INFO_LEN)? != 0 {
            return Err(Error::Unsupported);
        }
        Ok(Self {
            padding: *pdu.get(READ_REQ_PADDING).ok_or(Error::Truncated)?,
            flags: *pdu.get(READ_REQ_FLAGS).ok_or(Error::Truncated)?,
            length: wire::get_u32(pdu, READ_REQ_LENGTH)?,
            offset: wire::get_u64(pdu, READ_REQ_OFFSET)?,
            file_id: FileId::read(pdu, READ_REQ_FILE_ID)?,
            minimum_count: wire::get_u32(pdu, READ_REQ_MINIMUM)?,
            channel: wire::get_u32(pdu, READ_REQ_CHANNEL)?,
            remaining_bytes: wire::get_u32(pdu, READ_REQ_REMAINING)?,
        })
    }

    fn emit(&self, pdu: &mut [u8]) -> Result<usize> {
        // Fixed part plus the one-byte Buffer the StructureSize counts.
        let end = start_body(
            pdu,
            READ_REQ_SS,
            READ_REQ_FIXED.checked_add(1).ok_or(Error::Overflow)?,
        )?;
        wire::put_bytes(pdu, READ_REQ_PADDING, &[self.padding, self.flags])?;
        wire::put_u32(pdu, READ_REQ_LENGTH, self.length)?;
        wire::put_u64(pdu, READ_REQ_OFFSET, self.offset)?;
        self.file_id.write(pdu, READ_REQ_FILE_ID)?;
        wire::put_u32(pdu, READ_REQ_MINIMUM, self.minimum_count)?;
        wire::put_u32(pdu, READ_REQ_CHANNEL, self.channel)?;
        wire::put_u32(pdu, READ_REQ_REMAINING, self.remaining_bytes)?;
        Ok(end)
    }
}

const READ_RSP_SS: u16 = 17;
const READ_RSP_FIXED: usize = 16;
const READ_RSP_DATA_OFFSET: usize = BODY + 2;
const READ_RSP_DATA_LENGTH: usize = BODY + 4;
const READ_RSP_DATA_REMAINING: usize = BODY + 8;
const READ_RSP_FLAGS: usize = BODY + 12;
/// Header plus the fixed READ response body: what
/// [`read_response_data_span`] needs.
pub const READ_RESPONSE_PREFIX_LEN: usize = BODY + READ_RSP_FIXED;

/// A READ response (§2.2.20), without its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadResponse {
    /// DataOffset (header-relative; 0x50 when the data follows directly).
    pub data_offset: u8,
    /// DataLength.
    pub data_length: u32,
    /// DataRemaining.
    pub data_remaining: u32,
    /// Flags (3.1.1) / Reserved2.
    pub flags: u32,
}

impl ReadResponse {
    /// The data of a parsed response inside `pdu`.
    pub fn payload<'a>(&self, pdu: &'a [u8]) -> Result<&'a [u8]> {
        let (off, len) = data_span(usize::from(self.data_offset), self.data_length, pdu.len())?;
        wire::slice(pdu, off, len)
    }

    /// Writes the body and `payload` (which must be `data_length` long) at
    /// `data_offset`; returns the PDU length.
    pub fn emit_with_payload(&self, payload: &[u8], pdu: &mut [u8]) -> Result<usize> {
        if usize_from(self.data_length)? != payload.len() {
            return Err(Error::Malformed);
        }
        let start = self.emit(pdu)?;
        if payload.is_empty() {
            return Ok(start);
        }
        wire::put_bytes(pdu, start, payload)?;
        start.checked_add(payload.len()).ok_or(Error::Overflow)
    }
}

/// Checks a READ data span (DataOffset, DataLength) against a PDU of
/// `pdu_len` bytes; an empty span is placed right after the fixed body.
fn data_span(offset: usize, length: u32, pdu_len: usize) -> Result<(usize, usize)> {
    let len = usize_from(length)?;
    if len == 0 {
        return Ok((READ_RESPONSE_PREFIX_LEN, 0));
    }
    if offset < READ_RESPONSE_PREFIX_LEN {
        return Err(Error::OutOfBounds);
    }
    let end = offset.checked_add(len).ok_or(Error::Overflow)?;
    if end > pdu_len {
        return Err(Error::OutOfBounds);
    }
    Ok((offset, len))
}

/// From the first 80 bytes of a READ response PDU (header + fixed body)
/// and the PDU's total length, returns `(data_offset, data_length)`:
/// where the data starts, counted from the start of the SMB2 header, and
/// how long it is. The receive path uses it to read the header part into a
/// small buffer and the data straight into the destination pages.
///
/// Check the header Status first: an error response carries an ERROR body
/// instead (`Malformed` here, StructureSize 9). `Truncated` if `prefix` has
/// fewer than 80 bytes or `pdu_len < 80`; `OutOfBounds` if the data starts
/// inside the fixed part or ends past `pdu_len`.
pub fn read_response_data_span(prefix: &[u8], pdu_len: usize) -> Result<(usize, usize)> {
    let p = prefix
        .get(..READ_RESPONSE_PREFIX_LEN)
        .ok_or(Error::Truncated)?;
    if pdu_len < READ_RESPONSE_PREFIX_LEN {
        return Err(Error::Truncated);
    }
    if wire::get_u16(p, HEADER_LEN)? != READ_RSP_SS {
        return Err(Error::Malformed);
    }
    let off = usize::from(*p.get(READ_RSP_DATA_OFFSET).ok_or(Error::Truncated)?);
    let len = wire::get_u32(p, READ_RSP_DATA_LENGTH)?;
    data_span(off, len, pdu_len)
}

impl<'a> Message<'a> for ReadResponse {
    const COMMAND: Command = Command::Read;
    const IS_RESPONSE: bool = true;

    /// Decodes the fixed part and checks that the data lies in `pdu`.
    fn parse(pdu: &'a [u8]) -> Result<Self> {
        check_body(pdu, READ_RSP_SS, READ_RSP_FIXED)?;
        let r = Self {
            data_offset: *pdu.get(READ_RSP_DATA_OFFSET).ok_or(Error::Truncated)?,
            data_length: wire::get_u32(pdu, READ_RSP_DATA_LENGTH)?,
            data_remaining: wire::get_u32(pdu, READ_RSP_DATA_REMAINING)?,
            flags: wire::get_u32(pdu, READ_RSP_FLAGS)?,
        };
        data_span(usize::from(r.data_offset), r.data_length, pdu.len())?;
        Ok(r)
    }

    /// Writes header-relative bytes 64..80, zero-fills up to `data_offset`
    /// and returns where the data goes (or 81 for an empty read: one pad
    /// byte).
    fn emit(&self, pdu: &mut [u8]) -> Result<usize> {
        let off = usize::from(self.data_offset);
        if self.data_length != 0 && off < READ_RESPONSE_PREFIX_LEN {
            return Err(Error::Malformed);
        }
        let end = start_body(pdu, READ_RSP_SS, READ_RSP_FIXED)?;
        wire::put_bytes(pdu, READ_RSP_DATA_OFFSET, &[self.data_offset])?;
        wire::put_u32(pdu, READ_RSP_DATA_LENGTH, self.data_length)?;
        wire::put_u32(pdu, READ_RSP_DATA_REMAINING, self.data_remaining)?;
        wire::put_u32(pdu, READ_RSP_FLAGS, self.flags)?;
        let start = if self.data_length == 0 {
            end.checked_add(1).ok_or(Error::Overflow)?
        } else {
            off
        };
        zero(pdu, end, start)?;
        Ok(start)
    }
}

const WRITE_REQ_SS: u16 = 49;
const WRITE_REQ_FIXED: usize = 48;
const WRITE_REQ_DATA_OFFSET: usize = BODY + 2;
const WRITE_REQ_LENGTH: usize = BODY + 4;
const WRITE_REQ_OFFSET: usize = BODY + 8;
const WRITE_REQ_FILE_ID: usize = BODY + 16;
const WRITE_REQ_CHANNEL: usize = BODY + 32;
const WRITE_REQ_REMAINING: usize = BODY + 36;
const WRITE_REQ_CHANNEL_INFO_LEN: usize = BODY + 42;
const WRITE_REQ_FLAGS: usize = BODY + 44;
/// Where WRITE data normally starts: right after the fixed body (0x70).
pub const WRITE_DATA_OFFSET: u16 = 0x70;

/// A WRITE request (§2.2.21), without its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteRequest {
    /// DataOffset (header-relative, at least 0x70).
    pub data_offset: u16,
    /// Length of the data.
    pub length: u32,
    /// File offset.
    pub offset: u64,
    /// FileId.
    pub file_id: FileId,
    /// Channel (0: none).
    pub channel: u32,
    /// RemainingBytes.
    pub remaining_bytes: u32,
    /// Flags (see [`write_flags`]).
    pub flags: u32,
}

impl WriteRequest {
    /// The data of a parsed request inside `pdu`.
    pub fn payload<'a>(&self, pdu: &'a [u8]) -> Result<&'a [u8]> {
        if self.length == 0 {
            return Ok(&[]);
        }
        wire::slice(pdu, usize::from(self.data_offset), usize_from(self.length)?)
    }

    /// Writes the body and `payload` (which must be `length` long); returns
    /// the PDU length.
    pub fn emit_with_payload(&self, payload: &[u8], pdu: &mut [u8]) -> Result<usize> {
        if usize_from(self.length)? != payload.len() {
            return Err(Error::Malformed);
        }
        let start = self.emit(pdu)?;
        if payload.is_empty() {
            return Ok(start);
        }
        wire::put_bytes(pdu, start, payload)?;
        start.checked_add(payload.len()).ok_or(Error::Overflow)
    }
}

impl<'a> Message<'a> for WriteRequest {
    const COMMAND: Command = Command::Write;
    const IS_RESPONSE: bool = false;

    /// Decodes the fixed part and checks that the data lies in `pdu`.
    fn parse(pdu: &'a [u8]) -> Result<Self> {
        check_body(pdu, WRITE_REQ_SS, WRITE_REQ_FIXED)?;
        if wire::get_u16(pdu, WRITE_REQ_CHANNEL_INFO_LEN)? != 0 {
            return Err(Error::Unsupported);
        }
        let r = Self {
            data_offset: wire::get_u16(pdu, WRITE_REQ_DATA_OFFSET)?,
            length: wire::get_u32(pdu, WRITE_REQ_LENGTH)?,
            offset: wire::get_u64(pdu, WRITE_REQ_OFFSET)?,
            file_id: FileId::read(pdu, WRITE_REQ_FILE_ID)?,
            channel: wire::get_u32(pdu, WRITE_REQ_CHANNEL)?,
            remaining_bytes: wire::get_u32(pdu, WRITE_REQ_REMAINING)?,
            flags: wire::get_u32(pdu, WRITE_REQ_FLAGS)?,
        };
        if r.length != 0 && r.data_offset < WRITE_DATA_OFFSET {
            return Err(Error::OutOfBounds);
        }
        r.payload(pdu)?;
        Ok(r)
    }

    /// Writes the fixed body, zero-fills up to `data_offset` and returns
    /// where the payload goes; the caller sends `length` payload bytes from
    /// there (an empty write gets one pad byte instead).
    fn emit(&self, pdu: &mut [u8]) -> Result<usize> {
        if self.data_offset < WRITE_DATA_OFFSET {
            return Err(Error::Malformed);
        }
        let end = start_body(pdu, WRITE_REQ_SS, WRITE_REQ_FIXED)?;
        wire::put_u16(pdu, WRITE_REQ_DATA_OFFSET, self.data_offset)?;
        wire::put_u32(pdu, WRITE_REQ_LENGTH, self.length)?;
        wire::put_u64(pdu, WRITE_REQ_OFFSET, self.offset)?;
        self.file_id.write(pdu, WRITE_REQ_FILE_ID)?;
        wire::put_u32(pdu, WRITE_REQ_CHANNEL, self.channel)?;
        wire::put_u32(pdu, WRITE_REQ_REMAINING, self.remaining_bytes)?;
        wire::put_u32(pdu, WRITE_REQ_FLAGS, self.flags)?;
        let mut start = usize::from(self.data_offset);
        if self.length == 0 {
            start = start.checked_add(1).ok_or(Error::Overflow)?;
        }
        zero(pdu, end, start)?;
        Ok(start)
    }
}

const WRITE_RSP_SS: u16 = 17;
const WRITE_RSP_FIXED: usize = 16;
const WRITE_RSP_COUNT: usize = BODY + 4;
const WRITE_RSP_REMAINING: usize = BODY + 8;

/// A WRITE response (§2.2.22).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteResponse {
    /// Count of bytes written.
    pub count: u32,
    /// Remaining (reserved).
    pub remaining: u32,
}

impl<'a> Message<'a> for WriteResponse {
    const COMMAND: Command = Command::Write;
    const IS_RESPONSE: bool = true;

    fn parse(pdu: &'a [u8]) -> Result<Self> {
        check_body(pdu, WRITE_RSP_SS, WRITE_RSP_FIXED)?;
        Ok(Self {
            count: wire::get_u32(pdu, WRITE_RSP_COUNT)?,
            remaining: wire::get_u32(pdu, WRITE_RSP_REMAINING)?,
        })
    }

    fn emit(&self, pdu: &mut [u8]) -> Result<usize> {
        let end = start_body(pdu, WRITE_RSP_SS, WRITE_RSP_FIXED)?;
        wire::put_u32(pdu, WRITE_RSP_COUNT, self.count)?;
        wire::put_u32(pdu, WRITE_RSP_REMAINING, self.remaining)?;
        Ok(end)
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

    const FID: FileId = FileId {
        persistent: 0x0102,
        volatile: 0x0304,
    };

    #[test]
    fn read_request_layout() {
        let r = ReadRequest {
            padding: 0x50,
            flags: 0,
            length: 0x10000,
            offset: 0x2000,
            file_id: FID,
            minimum_count: 0,
            channel: 0,
            remaining_bytes: 0,
        };
        let mut b = [0xEEu8; 128];
        assert_eq!(r.emit(&mut b).unwrap(), 113);
        // §2.2.19: SS 49, Padding 0x50, Length at body 4, Offset at 8, FileId at 16.
        assert_eq!(&b[64..72], &[49, 0, 0x50, 0, 0, 0, 1, 0]);
        assert_eq!(&b[72..80], &[0, 0x20, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&b[80..82], &[2, 1]);
        assert_eq!(b[112], 0);
        assert_eq!(ReadRequest::parse(&b[..113]).unwrap(), r);
        b[110] = 1;
        assert_eq!(ReadRequest::parse(&b[..113]), Err(Error::Unsupported));
    }

    #[test]
    fn read_response_split() {
        let r = ReadResponse {
            data_offset: 0x50,
            data_length: 5,
            data_remaining: 0,
            flags: 0,
        };
        let mut b = [0xEEu8; 96];
        let n = r.emit_with_payload(b"hello", &mut b).unwrap();
        assert_eq!(n, 85);
        // §2.2.20: SS 17, DataOffset 0x50 (1 byte), DataLength at body 4.
        assert_eq!(&b[64..72], &[17, 0, 0x50, 0, 5, 0, 0, 0]);
        assert_eq!(read_response_data_span(&b[..80], n), Ok((0x50, 5)));
        assert_eq!(read_response_data_span(&b[..79], n), Err(Error::Truncated));
        assert_eq!(
            read_response_data_span(&b[..80], 84),
            Err(Error::OutOfBounds)
        );
        let p = ReadResponse::parse(&b[..n]).unwrap();
        assert_eq!(p, r);
        assert_eq!(p.payload(&b[..n]).unwrap(), b"hello");
        assert_eq!(ReadResponse::parse(&b[..84]), Err(Error::OutOfBounds));
        // DataOffset inside the fixed part.
        b[66] = 0x48;
        assert_eq!(
            read_response_data_span(&b[..80], n),
            Err(Error::OutOfBounds)
        );
        assert_eq!(ReadResponse::parse(&b[..n]), Err(Error::OutOfBounds));
        // Huge DataLength.
        b[66] = 0x50;
        b[68..72].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            read_response_data_span(&b[..80], n),
            Err(Error::OutOfBounds)
        );
        // An ERROR body instead.
        b[64] = 9;
        assert_eq!(read_response_data_span(&b[..80], n), Err(Error::Malformed));
    }

    #[test]
    fn empty_read_response() {
        let r = ReadResponse {
            data_offset: 0,
            data_length: 0,
            data_remaining: 0,
            flags: 0,
        };
        let mut b = [0xEEu8; 96];
        assert_eq!(r.emit(&mut b).unwrap(), 81);
        assert_eq!(ReadResponse::parse(&b[..81]).unwrap(), r);
        assert_eq!(read_response_data_span(&b[..80], 81), Ok((80, 0)));
    }

    #[test]
    fn write_request_layout() {
        let r = WriteRequest {
            data_offset: WRITE_DATA_OFFSET,
            length: 3,
            offset: 7,
            file_id: FID,
            channel: 0,
            remaining_bytes: 0,
            flags: write_flags::WRITE_THROUGH,
        };
        let mut b = [0xEEu8; 128];
        assert_eq!(r.emit(&mut b).unwrap(), 112);
        // §2.2.21: SS 49, DataOffset 0x70, Length at body 4, FileId at 16, Flags at 44.
        assert_eq!(&b[64..72], &[49, 0, 0x70, 0, 3, 0, 0, 0]);
        assert_eq!(&b[108..112], &[1, 0, 0, 0]);
        let n = r.emit_with_payload(b"abc", &mut b).unwrap();
        assert_eq!(n, 115);
        let p = WriteRequest::parse(&b[..n]).unwrap();
        assert_eq!(p, r);
        assert_eq!(p.payload(&b[..n]).unwrap(), b"abc");
        assert_eq!(WriteRequest::parse(&b[..114]), Err(Error::OutOfBounds));
        assert_eq!(r.emit_with_payload(b"ab", &mut b), Err(Error::Malformed));
        b[66] = 0x40;
        assert_eq!(WriteRequest::parse(&b[..n]), Err(Error::OutOfBounds));
    }

    #[test]
    fn write_response_layout() {
        let r = WriteResponse {
            count: 0x1000,
            remaining: 0,
        };
        let mut b = [0u8; 80];
        assert_eq!(r.emit(&mut b).unwrap(), 80);
        assert_eq!(&b[64..72], &[17, 0, 0, 0, 0, 0x10, 0, 0]);
        assert_eq!(WriteResponse::parse(&b).unwrap(), r);
    }
}
