// SPDX-License-Identifier: GPL-2.0
//! SMB2 QUERY_INFO (MS-SMB2 §2.2.37, §2.2.38) and SET_INFO (§2.2.39,
//! §2.2.40). The information classes themselves are in `info_class`.

use super::error::{Error, Result};
use super::header::Command;
use super::message::{
    check_body, fixed_empty_body, region, start_body, to_u16, to_u32, usize_from, FileId, Message,
    BODY,
};
use super::query_dir::{emit_output_body, parse_output_body};
use super::wire;

/// InfoType values (§2.2.37).
pub mod info_type {
    /// SMB2_0_INFO_FILE.
    pub const FILE: u8 = 0x01;
    /// SMB2_0_INFO_FILESYSTEM.
    pub const FILESYSTEM: u8 = 0x02;
    /// SMB2_0_INFO_SECURITY.
    pub const SECURITY: u8 = 0x03;
    /// SMB2_0_INFO_QUOTA.
    pub const QUOTA: u8 = 0x04;
}

const QREQ_SS: u16 = 41;
const QREQ_FIXED: usize = 40;
const QREQ_TYPE: usize = BODY + 2;
const QREQ_CLASS: usize = BODY + 3;
const QREQ_OUTPUT_LENGTH: usize = BODY + 4;
const QREQ_INPUT_OFFSET: usize = BODY + 8;
const QREQ_INPUT_LENGTH: usize = BODY + 12;
const QREQ_ADDITIONAL: usize = BODY + 16;
const QREQ_FLAGS: usize = BODY + 20;
const QREQ_FILE_ID: usize = BODY + 24;
const QREQ_BUFFER: usize = BODY + QREQ_FIXED;

/// A QUERY_INFO request (§2.2.37).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryInfoRequest<'a> {
    /// InfoType (see [`info_type`]).
    pub info_type: u8,
    /// FileInfoClass.
    pub file_info_class: u8,
    /// OutputBufferLength.
    pub output_buffer_length: u32,
    /// Input buffer (quota and EA queries; normally empty).
    pub input: &'a [u8],
    /// AdditionalInformation (security queries).
    pub additional_information: u32,
    /// Flags.
    pub flags: u32,
    /// FileId.
    pub file_id: FileId,
}

impl<'a> Message<'a> for QueryInfoRequest<'a> {
    const COMMAND: Command = Command::QueryInfo;
    const IS_RESPONSE: bool = false;

    fn parse(pdu: &'a [u8]) -> Result<Self> {
        check_body(pdu, QREQ_SS, QREQ_FIXED)?;
        let off = usize::from(wire::get_u16(pdu, QREQ_INPUT_OFFSET)?);
        let len = usize_from(wire::get_u32(pdu, QREQ_INPUT_LENGTH)?)?;
        Ok(Self {
            info_type: *pdu.get(QREQ_TYPE).ok_or(Error::Truncated)?,
            file_info_class: *pdu.get(QREQ_CLASS).ok_or(Error::Truncated)?,
            output_buffer_length: wire::get_u32(pdu, QREQ_OUTPUT_LENGTH)?,
            input: region(pdu, QREQ_BUFFER, off, len)?,
            additional_information: wire::get_u32(pdu, QREQ_ADDITIONAL)?,
            flags: wire::get_u32(pdu, QREQ_FLAGS)?,
            file_id: FileId::read(pdu, QREQ_FILE_ID)?,
        })
    }

    fn emit(&self, pdu: &mut [u8]) -> Result<usize> {
        let n = self.input.len();
        let end = start_body(
            pdu,
            QREQ_SS,
            QREQ_FIXED.checked_add(n.max(1)).ok_or(Error::Overflow)?,
        )?;
        wire::put_bytes(pdu, QREQ_TYPE, &[self.info_type, self.file_info_class])?;
        wire::put_u32(pdu, QREQ_OUTPUT_LENGTH, self.output_buffer_length)?;
        wire::put_u16(
            pdu,
            QREQ_INPUT_OFFSET,
            if n == 0 { 0 } else { to_u16(QREQ_BUFFER)? },
        )?;
        wire::put_u32(pdu, QREQ_INPUT_LENGTH, to_u32(n)?)?;
        wire::put_u32(pdu, QREQ_ADDITIONAL, self.additional_information)?;
        wire::put_u32(pdu, QREQ_FLAGS, self.flags)?;
        self.file_id.write(pdu, QREQ_FILE_ID)?;
        wire::put_bytes(pdu, QREQ_BUFFER, self.input)?;
        Ok(end)
    }
}

/// A QUERY_INFO response (§2.2.38): the output buffer, to decode with the
/// `info_class` type that was asked for. Also the body of a
/// STATUS_BUFFER_OVERFLOW response (truncated data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryInfoResponse<'a> {
    /// OutputBuffer.
    pub output: &'a [u8],
}

impl<'a> Message<'a> for QueryInfoResponse<'a> {
    const COMMAND: Command = Command::QueryInfo;
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

const SREQ_SS: u16 = 33;
const SREQ_FIXED: usize = 32;
const SREQ_TYPE: usize = BODY + 2;
const SREQ_CLASS: usize = BODY + 3;
const SREQ_LENGTH: usize = BODY + 4;
const SREQ_OFFSET: usize = BODY + 8;
const SREQ_ADDITIONAL: usize = BODY + 12;
const SREQ_FILE_ID: usize = BODY + 16;
const SREQ_BUFFER: usize = BODY + SREQ_FIXED;

/// A SET_INFO request (§2.2.39).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetInfoRequest<'a> {
    /// InfoType (see [`info_type`]).
    pub info_type: u8,
    /// FileInfoClass.
    pub file_info_class: u8,
    /// The encoded information (see `info_class`).
    pub buffer: &'a [u8],
    /// AdditionalInformation (security).
    pub additional_information: u32,
    /// FileId.
    pub file_id: FileId,
}

impl<'a> Message<'a> for SetInfoRequest<'a> {
    const COMMAND: Command = Command::SetInfo;
    const IS_RESPONSE: bool = false;

    fn parse(pdu: &'a [u8]) -> Result<Self> {
        check_body(pdu, SREQ_SS, SREQ_FIXED)?;
        let len = usize_from(wire::get_u32(pdu, SREQ_LENGTH)?)?;
        let off = usize::from(wire::get_u16(pdu, SREQ_OFFSET)?);
        Ok(Self {
            info_type: *pdu.get(SREQ_TYPE).ok_or(Error::Truncated)?,
            file_info_class: *pdu.get(SREQ_CLASS).ok_or(Error::Truncated)?,
            buffer: region(pdu, SREQ_BUFFER, off, len)?,
            additional_information: wire::get_u32(pdu, SREQ_ADDITIONAL)?,
            file_id: FileId::read(pdu, SREQ_FILE_ID)?,
        })
    }

    fn emit(&self, pdu: &mut [u8]) -> Result<usize> {
        let n = self.buffer.len();
        let end = start_body(
            pdu,
            SREQ_SS,
            SREQ_FIXED.checked_add(n.max(1)).ok_or(Error::Overflow)?,
        )?;
        wire::put_bytes(pdu, SREQ_TYPE, &[self.info_type, self.file_info_class])?;
        wire::put_u32(pdu, SREQ_LENGTH, to_u32(n)?)?;
        wire::put_u16(pdu, SREQ_OFFSET, to_u16(SREQ_BUFFER)?)?;
        wire::put_u32(pdu, SREQ_ADDITIONAL, self.additional_information)?;
        self.file_id.write(pdu, SREQ_FILE_ID)?;
        wire::put_bytes(pdu, SREQ_BUFFER, self.buffer)?;
        Ok(end)
    }
}

fixed_empty_body!(
    /// A SET_INFO response (§2.2.40): StructureSize 2 only.
    SetInfoResponse, SetInfo, true, 2, 2
);

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
    fn query_info_layouts() {
        let r = QueryInfoRequest {
            info_type: info_type::FILE,
            file_info_class: 18,
            output_buffer_length: 4096,
            input: &[],
            additional_information: 0,
            flags: 0,
            file_id: FileId {
                persistent: 1,
                volatile: 2,
            },
        };
        let mut b = [0xEEu8; 128];
        let n = r.emit(&mut b).unwrap();
        assert_eq!(n, 105);
        // §2.2.37: SS 41, InfoType, FileInfoClass, OutputBufferLength, InputBufferOffset at 8, FileId at 24.
        assert_eq!(&b[64..72], &[41, 0, 1, 18, 0, 0x10, 0, 0]);
        assert_eq!(&b[72..80], &[0; 8]);
        assert_eq!(b[88], 1);
        assert_eq!(QueryInfoRequest::parse(&b[..n]).unwrap(), r);

        let rsp = QueryInfoResponse {
            output: &[1, 2, 3, 4],
        };
        let n = rsp.emit(&mut b).unwrap();
        // §2.2.38: SS 9, OutputBufferOffset 0x48, OutputBufferLength 4.
        assert_eq!(&b[64..72], &[9, 0, 0x48, 0, 4, 0, 0, 0]);
        assert_eq!(QueryInfoResponse::parse(&b[..n]).unwrap(), rsp);
        b[68] = 5;
        assert_eq!(QueryInfoResponse::parse(&b[..n]), Err(Error::OutOfBounds));
    }

    #[test]
    fn set_info_layouts() {
        let r = SetInfoRequest {
            info_type: info_type::FILE,
            file_info_class: 13,
            buffer: &[1],
            additional_information: 0,
            file_id: FileId {
                persistent: 3,
                volatile: 4,
            },
        };
        let mut b = [0xEEu8; 128];
        let n = r.emit(&mut b).unwrap();
        // §2.2.39: SS 33, BufferLength at 4, BufferOffset 0x60 at 8, FileId at 16.
        assert_eq!(&b[64..76], &[33, 0, 1, 13, 1, 0, 0, 0, 0x60, 0, 0, 0]);
        assert_eq!(b[80], 3);
        assert_eq!(b[96], 1);
        assert_eq!(SetInfoRequest::parse(&b[..n]).unwrap(), r);
        assert_eq!(SetInfoResponse.emit(&mut b).unwrap(), 66);
        assert_eq!(SetInfoResponse::parse(&b[..66]), Ok(SetInfoResponse));
    }
}
