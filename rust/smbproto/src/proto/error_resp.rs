// SPDX-License-Identifier: GPL-2.0
//! The SMB2 ERROR response (MS-SMB2 §2.2.2) and its 3.1.1 error contexts
//! (§2.2.2.1).
//!
//! Body: StructureSize (2) = 9, ErrorContextCount (1), Reserved (1),
//! ByteCount (4), ErrorData (ByteCount bytes, at least one byte on the wire
//! even when ByteCount is 0).

use super::error::{Error, Result};
use super::header::Command;
use super::message::{check_body, region, start_body, to_u32, usize_from, Message, BODY};
use super::wire;

const STRUCTURE_SIZE: u16 = 9;
const FIXED: usize = 8;
const OFF_COUNT: usize = BODY + 2;
const OFF_BYTE_COUNT: usize = BODY + 4;
const OFF_DATA: usize = BODY + FIXED;

/// ErrorId of an error context (§2.2.2.1).
pub mod error_id {
    /// Unless a more specific id applies.
    pub const DEFAULT: u32 = 0x0000_0000;
    /// Share redirect (§2.2.2.2.2).
    pub const SHARE_REDIRECT: u32 = 0x7265_6452;
}

/// An ERROR response body. The command code in the header is that of the
/// failed request; [`Message::COMMAND`] is only a placeholder here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorResponse<'a> {
    /// ErrorContextCount: 0 or the number of error contexts in `error_data`.
    pub error_context_count: u8,
    /// ErrorData (ByteCount bytes).
    pub error_data: &'a [u8],
}

impl<'a> ErrorResponse<'a> {
    /// Decodes an ERROR body from any command's PDU.
    ///
    /// `Malformed` unless StructureSize is 9; `Oversized` if ByteCount runs
    /// past the PDU.
    pub fn parse_pdu(pdu: &'a [u8]) -> Result<Self> {
        check_body(pdu, STRUCTURE_SIZE, FIXED)?;
        let count = *pdu.get(OFF_COUNT).ok_or(Error::Truncated)?;
        let byte_count = usize_from(wire::get_u32(pdu, OFF_BYTE_COUNT)?)?;
        let error_data = region(pdu, OFF_DATA, OFF_DATA, byte_count).map_err(|e| match e {
            Error::OutOfBounds => Error::Oversized,
            other => other,
        })?;
        let r = Self {
            error_context_count: count,
            error_data,
        };
        if count > 0 {
            for c in r.contexts() {
                c?;
            }
        }
        Ok(r)
    }

    /// Iterates over the error contexts (only meaningful when
    /// `error_context_count > 0`).
    pub fn contexts(&self) -> ErrorContextIter<'a> {
        ErrorContextIter {
            data: self.error_data,
            pos: 0,
            left: self.error_context_count,
        }
    }

    /// Writes the body; returns the PDU length.
    pub fn emit_pdu(&self, pdu: &mut [u8]) -> Result<usize> {
        let n = self.error_data.len();
        let end = start_body(
            pdu,
            STRUCTURE_SIZE,
            FIXED.checked_add(n.max(1)).ok_or(Error::Overflow)?,
        )?;
        wire::put_bytes(pdu, OFF_COUNT, &[self.error_context_count])?;
        wire::put_u32(pdu, OFF_BYTE_COUNT, to_u32(n)?)?;
        wire::put_bytes(pdu, OFF_DATA, self.error_data)?;
        Ok(end)
    }
}

impl<'a> Message<'a> for ErrorResponse<'a> {
    const COMMAND: Command = Command::Negotiate;
    const IS_RESPONSE: bool = true;
    fn parse(pdu: &'a [u8]) -> Result<Self> {
        Self::parse_pdu(pdu)
    }
    fn emit(&self, pdu: &mut [u8]) -> Result<usize> {
        self.emit_pdu(pdu)
    }
}

/// One error context (§2.2.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorContext<'a> {
    /// ErrorId.
    pub error_id: u32,
    /// ErrorContextData.
    pub data: &'a [u8],
}

/// Writes error contexts into `buf` (8-byte aligned, padded between);
/// returns the bytes used, for use as `ErrorResponse::error_data`.
pub fn emit_error_contexts(contexts: &[ErrorContext<'_>], buf: &mut [u8]) -> Result<usize> {
    let mut pos = 0usize;
    for (i, c) in contexts.iter().enumerate() {
        if i > 0 {
            let aligned = super::message::align8(pos)?;
            super::message::zero(buf, pos, aligned)?;
            pos = aligned;
        }
        wire::put_u32(buf, pos, to_u32(c.data.len())?)?;
        wire::put_u32(buf, pos.checked_add(4).ok_or(Error::Overflow)?, c.error_id)?;
        let d = pos.checked_add(8).ok_or(Error::Overflow)?;
        wire::put_bytes(buf, d, c.data)?;
        pos = d.checked_add(c.data.len()).ok_or(Error::Overflow)?;
    }
    Ok(pos)
}

/// Iterator over error contexts: each is ErrorDataLength (4), ErrorId (4),
/// data, and the next starts 8-byte aligned.
#[derive(Debug, Clone)]
pub struct ErrorContextIter<'a> {
    data: &'a [u8],
    pos: usize,
    left: u8,
}

impl<'a> ErrorContextIter<'a> {
    fn step(&mut self) -> Result<ErrorContext<'a>> {
        let len = usize_from(wire::get_u32(self.data, self.pos)?)?;
        let error_id = wire::get_u32(self.data, self.pos.checked_add(4).ok_or(Error::Overflow)?)?;
        let start = self.pos.checked_add(8).ok_or(Error::Overflow)?;
        let data = wire::slice(self.data, start, len).map_err(|e| match e {
            Error::OutOfBounds => Error::Oversized,
            other => other,
        })?;
        let end = start.checked_add(len).ok_or(Error::Overflow)?;
        self.pos = super::message::align8(end)?;
        Ok(ErrorContext { error_id, data })
    }
}

impl<'a> Iterator for ErrorContextIter<'a> {
    type Item = Result<ErrorContext<'a>>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        let r = self.step();
        self.left = if r.is_ok() {
            self.left.saturating_sub(1)
        } else {
            0
        };
        Some(r)
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
    use super::super::header::{Header, HEADER_LEN};
    use super::*;

    #[test]
    fn layout_with_empty_data() {
        // §2.2.2: SS 9 at body 0, count at 2, ByteCount at 4, one pad byte.
        let mut b = [0xFFu8; 80];
        Header::request(Command::Create).emit(&mut b).unwrap();
        let r = ErrorResponse {
            error_context_count: 0,
            error_data: &[],
        };
        assert_eq!(r.emit_pdu(&mut b).unwrap(), HEADER_LEN + 9);
        assert_eq!(&b[64..73], &[9, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(ErrorResponse::parse_pdu(&b[..73]).unwrap(), r);
        // The pad byte is optional on receive.
        assert_eq!(ErrorResponse::parse_pdu(&b[..72]).unwrap(), r);
    }

    #[test]
    fn contexts_round_trip() {
        let ctxs = [
            ErrorContext {
                error_id: error_id::DEFAULT,
                data: &[1, 2, 3],
            },
            ErrorContext {
                error_id: error_id::SHARE_REDIRECT,
                data: &[4; 9],
            },
        ];
        let mut data = [0u8; 64];
        let n = emit_error_contexts(&ctxs, &mut data).unwrap();
        assert_eq!(n, 16 + 8 + 9);
        let mut b = [0u8; 160];
        Header::request(Command::TreeConnect).emit(&mut b).unwrap();
        let r = ErrorResponse {
            error_context_count: 2,
            error_data: &data[..n],
        };
        let len = r.emit_pdu(&mut b).unwrap();
        let p = ErrorResponse::parse_pdu(&b[..len]).unwrap();
        let got: Vec<_> = p.contexts().map(|c| c.unwrap()).collect();
        assert_eq!(got, ctxs);
    }

    extern crate std;
    use std::vec::Vec;

    #[test]
    fn bad_lengths() {
        let mut b = [0u8; 96];
        Header::request(Command::Read).emit(&mut b).unwrap();
        ErrorResponse {
            error_context_count: 0,
            error_data: &[0; 8],
        }
        .emit_pdu(&mut b)
        .unwrap();
        // ByteCount past the PDU.
        b[68..72].copy_from_slice(&100u32.to_le_bytes());
        assert_eq!(ErrorResponse::parse_pdu(&b[..80]), Err(Error::Oversized));
        b[68..72].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(ErrorResponse::parse_pdu(&b[..80]), Err(Error::Oversized));
        // A context whose length runs past ErrorData.
        b[68..72].copy_from_slice(&8u32.to_le_bytes());
        b[66] = 1;
        b[72..76].copy_from_slice(&1u32.to_le_bytes());
        assert_eq!(ErrorResponse::parse_pdu(&b[..80]), Err(Error::Oversized));
        // Count says two contexts, data holds one.
        b[72..76].copy_from_slice(&0u32.to_le_bytes());
        b[66] = 2;
        assert_eq!(ErrorResponse::parse_pdu(&b[..80]), Err(Error::Truncated));
        b[64] = 8;
        assert_eq!(ErrorResponse::parse_pdu(&b[..80]), Err(Error::Malformed));
        assert_eq!(ErrorResponse::parse_pdu(&b[..70]), Err(Error::Malformed));
    }
}
