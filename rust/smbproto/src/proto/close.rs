// SPDX-License-Identifier: GPL-2.0
//! SMB2 CLOSE (MS-SMB2 §2.2.15, §2.2.16) and FLUSH (§2.2.17, §2.2.18).

use super::error::Result;
use super::header::Command;
use super::message::{check_body, fixed_empty_body, start_body, FileId, Message, BODY};
use super::wire;

/// CLOSE Flags: SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB (§2.2.15) — the response
/// carries the file's attributes.
pub const CLOSE_FLAG_POSTQUERY_ATTRIB: u16 = 0x0001;

const REQ_SS: u16 = 24;
const REQ_FIXED: usize = 24;
const REQ_FLAGS: usize = BODY + 2;
const REQ_FILE_ID: usize = BODY + 8;

/// A CLOSE request (§2.2.15).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseRequest {
    /// Flags ([`CLOSE_FLAG_POSTQUERY_ATTRIB`]).
    pub flags: u16,
    /// FileId to close.
    pub file_id: FileId,
}

impl<'a> Message<'a> for CloseRequest {
    const COMMAND: Command = Command::Close;
    const IS_RESPONSE: bool = false;

    fn parse(pdu: &'a [u8]) -> Result<Self> {
        check_body(pdu, REQ_SS, REQ_FIXED)?;
        Ok(Self {
            flags: wire::get_u16(pdu, REQ_FLAGS)?,
            file_id: FileId::read(pdu, REQ_FILE_ID)?,
        })
    }

    fn emit(&self, pdu: &mut [u8]) -> Result<usize> {
        let end = start_body(pdu, REQ_SS, REQ_FIXED)?;
        wire::put_u16(pdu, REQ_FLAGS, self.flags)?;
        self.file_id.write(pdu, REQ_FILE_ID)?;
        Ok(end)
    }
}

const RSP_SS: u16 = 60;
const RSP_FIXED: usize = 60;
const RSP_FLAGS: usize = BODY + 2;
const RSP_CREATION_TIME: usize = BODY + 8;
const RSP_LAST_ACCESS_TIME: usize = BODY + 16;
const RSP_LAST_WRITE_TIME: usize = BODY + 24;
const RSP_CHANGE_TIME: usize = BODY + 32;
const RSP_ALLOCATION_SIZE: usize = BODY + 40;
const RSP_END_OF_FILE: usize = BODY + 48;
const RSP_FILE_ATTRIBUTES: usize = BODY + 56;

/// A CLOSE response (§2.2.16). The attribute fields are only valid when
/// `flags` has [`CLOSE_FLAG_POSTQUERY_ATTRIB`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CloseResponse {
    /// Flags.
    pub flags: u16,
    /// CreationTime.
    pub creation_time: u64,
    /// LastAccessTime.
    pub last_access_time: u64,
    /// LastWriteTime.
    pub last_write_time: u64,
    /// ChangeTime.
    pub change_time: u64,
    /// AllocationSize.
    pub allocation_size: u64,
    /// EndofFile.
    pub end_of_file: u64,
    /// FileAttributes.
    pub file_attributes: u32,
}

impl<'a> Message<'a> for CloseResponse {
    const COMMAND: Command = Command::Close;
    const IS_RESPONSE: bool = true;

    fn parse(pdu: &'a [u8]) -> Result<Self> {
        check_body(pdu, RSP_SS, RSP_FIXED)?;
        Ok(Self {
            flags: wire::get_u16(pdu, RSP_FLAGS)?,
            creation_time: wire::get_u64(pdu, RSP_CREATION_TIME)?,
            last_access_time: wire::get_u64(pdu, RSP_LAST_ACCESS_TIME)?,
            last_write_time: wire::get_u64(pdu, RSP_LAST_WRITE_TIME)?,
            change_time: wire::get_u64(pdu, RSP_CHANGE_TIME)?,
            allocation_size: wire::get_u64(pdu, RSP_ALLOCATION_SIZE)?,
            end_of_file: wire::get_u64(pdu, RSP_END_OF_FILE)?,
            file_attributes: wire::get_u32(pdu, RSP_FILE_ATTRIBUTES)?,
        })
    }

    fn emit(&self, pdu: &mut [u8]) -> Result<usize> {
        let end = start_body(pdu, RSP_SS, RSP_FIXED)?;
        wire::put_u16(pdu, RSP_FLAGS, self.flags)?;
        wire::put_u64(pdu, RSP_CREATION_TIME, self.creation_time)?;
        wire::put_u64(pdu, RSP_LAST_ACCESS_TIME, self.last_access_time)?;
        wire::put_u64(pdu, RSP_LAST_WRITE_TIME, self.last_write_time)?;
        wire::put_u64(pdu, RSP_CHANGE_TIME, self.change_time)?;
        wire::put_u64(pdu, RSP_ALLOCATION_SIZE, self.allocation_size)?;
        wire::put_u64(pdu, RSP_END_OF_FILE, self.end_of_file)?;
        wire::put_u32(pdu, RSP_FILE_ATTRIBUTES, self.file_attributes)?;
        Ok(end)
    }
}

/// A FLUSH request (§2.2.17): StructureSize 24, Reserved1 (2), Reserved2
/// (4), FileId (16).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlushRequest {
    /// FileId to flush.
    pub file_id: FileId,
}

impl<'a> Message<'a> for FlushRequest {
    const COMMAND: Command = Command::Flush;
    const IS_RESPONSE: bool = false;

    fn parse(pdu: &'a [u8]) -> Result<Self> {
        check_body(pdu, REQ_SS, REQ_FIXED)?;
        Ok(Self {
            file_id: FileId::read(pdu, REQ_FILE_ID)?,
        })
    }

    fn emit(&self, pdu: &mut [u8]) -> Result<usize> {
        let end = start_body(pdu, REQ_SS, REQ_FIXED)?;
        self.file_id.write(pdu, REQ_FILE_ID)?;
        Ok(end)
    }
}

fixed_empty_body!(
    /// A FLUSH response (§2.2.18): StructureSize 4, Reserved (2).
    FlushResponse, Flush, true, 4, 4
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
    use super::super::error::Error;
    use super::*;

    #[test]
    fn close_layouts() {
        let mut b = [0xEEu8; 124];
        let r = CloseRequest {
            flags: CLOSE_FLAG_POSTQUERY_ATTRIB,
            file_id: FileId {
                persistent: 1,
                volatile: 2,
            },
        };
        assert_eq!(r.emit(&mut b).unwrap(), 88);
        // §2.2.15: SS 24, Flags, Reserved (4), FileId at body 8.
        assert_eq!(&b[64..72], &[24, 0, 1, 0, 0, 0, 0, 0]);
        assert_eq!(&b[72..74], &[1, 0]);
        assert_eq!(&b[80..82], &[2, 0]);
        assert_eq!(CloseRequest::parse(&b[..88]).unwrap(), r);

        let r = CloseResponse {
            flags: 1,
            end_of_file: 0x1234,
            file_attributes: 0x20,
            ..Default::default()
        };
        assert_eq!(r.emit(&mut b).unwrap(), 124);
        // §2.2.16: SS 60, EndofFile at body 48, FileAttributes at 56.
        assert_eq!(&b[64..66], &[60, 0]);
        assert_eq!(&b[112..114], &[0x34, 0x12]);
        assert_eq!(&b[120..124], &[0x20, 0, 0, 0]);
        assert_eq!(CloseResponse::parse(&b).unwrap(), r);
        assert_eq!(CloseResponse::parse(&b[..123]), Err(Error::Truncated));
    }

    #[test]
    fn flush_layouts() {
        let mut b = [0xEEu8; 88];
        let r = FlushRequest {
            file_id: FileId {
                persistent: 5,
                volatile: 6,
            },
        };
        assert_eq!(r.emit(&mut b).unwrap(), 88);
        assert_eq!(&b[64..72], &[24, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(b[72], 5);
        assert_eq!(FlushRequest::parse(&b).unwrap(), r);
        assert_eq!(FlushResponse.emit(&mut b).unwrap(), 68);
        assert_eq!(FlushResponse::parse(&b[..68]), Ok(FlushResponse));
    }
}
