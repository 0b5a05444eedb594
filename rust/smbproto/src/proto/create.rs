// SPDX-License-Identifier: GPL-2.0
//! SMB2 CREATE request and response (MS-SMB2 §2.2.13, §2.2.14), plus the
//! access, share, disposition, option and attribute constants CREATE uses.

use super::create_ctx::{contexts_at, CreateContexts};
use super::error::{Error, Result};
use super::header::Command;
use super::message::{
    align8, check_body, region, start_body, to_u16, to_u32, usize_from, zero, FileId, Message, BODY,
};
use super::wire;

/// RequestedOplockLevel / OplockLevel values (§2.2.13).
pub mod oplock_level {
    /// SMB2_OPLOCK_LEVEL_NONE.
    pub const NONE: u8 = 0x00;
    /// SMB2_OPLOCK_LEVEL_II.
    pub const II: u8 = 0x01;
    /// SMB2_OPLOCK_LEVEL_EXCLUSIVE.
    pub const EXCLUSIVE: u8 = 0x08;
    /// SMB2_OPLOCK_LEVEL_BATCH.
    pub const BATCH: u8 = 0x09;
    /// SMB2_OPLOCK_LEVEL_LEASE.
    pub const LEASE: u8 = 0xFF;
}

/// ImpersonationLevel values (§2.2.13).
pub mod impersonation {
    /// Anonymous.
    pub const ANONYMOUS: u32 = 0;
    /// Identification.
    pub const IDENTIFICATION: u32 = 1;
    /// Impersonation (what clients send).
    pub const IMPERSONATION: u32 = 2;
    /// Delegate.
    pub const DELEGATE: u32 = 3;
}

/// Access mask bits (§2.2.13.1).
pub mod access {
    /// FILE_READ_DATA / FILE_LIST_DIRECTORY.
    pub const FILE_READ_DATA: u32 = 0x0000_0001;
    /// FILE_WRITE_DATA / FILE_ADD_FILE.
    pub const FILE_WRITE_DATA: u32 = 0x0000_0002;
    /// FILE_APPEND_DATA / FILE_ADD_SUBDIRECTORY.
    pub const FILE_APPEND_DATA: u32 = 0x0000_0004;
    /// FILE_READ_EA.
    pub const FILE_READ_EA: u32 = 0x0000_0008;
    /// FILE_WRITE_EA.
    pub const FILE_WRITE_EA: u32 = 0x0000_0010;
    /// FILE_EXECUTE / FILE_TRAVERSE.
    pub const FILE_EXECUTE: u32 = 0x0000_0020;
    /// FILE_DELETE_CHILD.
    pub const FILE_DELETE_CHILD: u32 = 0x0000_0040;
    /// FILE_READ_ATTRIBUTES.
    pub const FILE_READ_ATTRIBUTES: u32 = 0x0000_0080;
    /// FILE_WRITE_ATTRIBUTES.
    pub const FILE_WRITE_ATTRIBUTES: u32 = 0x0000_0100;
    /// DELETE.
    pub const DELETE: u32 = 0x0001_0000;
    /// READ_CONTROL.
    pub const READ_CONTROL: u32 = 0x0002_0000;
    /// WRITE_DAC.
    pub const WRITE_DAC: u32 = 0x0004_0000;
    /// WRITE_OWNER.
    pub const WRITE_OWNER: u32 = 0x0008_0000;
    /// SYNCHRONIZE.
    pub const SYNCHRONIZE: u32 = 0x0010_0000;
    /// MAXIMUM_ALLOWED.
    pub const MAXIMUM_ALLOWED: u32 = 0x0200_0000;
    /// GENERIC_ALL.
    pub const GENERIC_ALL: u32 = 0x1000_0000;
    /// GENERIC_EXECUTE.
    pub const GENERIC_EXECUTE: u32 = 0x2000_0000;
    /// GENERIC_WRITE.
    pub const GENERIC_WRITE: u32 = 0x4000_0000;
    /// GENERIC_READ.
    pub const GENERIC_READ: u32 = 0x8000_0000;
}

/// ShareAccess bits (§2.2.13).
pub mod share_access {
    /// FILE_SHARE_READ.
    pub const READ: u32 = 0x01;
    /// FILE_SHARE_WRITE.
    pub const WRITE: u32 = 0x02;
    /// FILE_SHARE_DELETE.
    pub const DELETE: u32 = 0x04;
}

/// CreateDisposition values (§2.2.13).
pub mod disposition {
    /// FILE_SUPERSEDE.
    pub const SUPERSEDE: u32 = 0;
    /// FILE_OPEN.
    pub const OPEN: u32 = 1;
    /// FILE_CREATE.
    pub const CREATE: u32 = 2;
    /// FILE_OPEN_IF.
    pub const OPEN_IF: u32 = 3;
    /// FILE_OVERWRITE.
    pub const OVERWRITE: u32 = 4;
    /// FILE_OVERWRITE_IF.
    pub const OVERWRITE_IF: u32 = 5;
}

/// CreateOptions bits (§2.2.13).
pub mod create_options {
    /// FILE_DIRECTORY_FILE.
    pub const DIRECTORY_FILE: u32 = 0x0000_0001;
    /// FILE_WRITE_THROUGH.
    pub const WRITE_THROUGH: u32 = 0x0000_0002;
    /// FILE_SEQUENTIAL_ONLY.
    pub const SEQUENTIAL_ONLY: u32 = 0x0000_0004;
    /// FILE_NON_DIRECTORY_FILE.
    pub const NON_DIRECTORY_FILE: u32 = 0x0000_0040;
    /// FILE_NO_EA_KNOWLEDGE.
    pub const NO_EA_KNOWLEDGE: u32 = 0x0000_0200;
    /// FILE_RANDOM_ACCESS.
    pub const RANDOM_ACCESS: u32 = 0x0000_0800;
    /// FILE_DELETE_ON_CLOSE.
    pub const DELETE_ON_CLOSE: u32 = 0x0000_1000;
    /// FILE_OPEN_REPARSE_POINT.
    pub const OPEN_REPARSE_POINT: u32 = 0x0020_0000;
}

/// File attribute bits (MS-FSCC §2.6).
pub mod file_attributes {
    /// FILE_ATTRIBUTE_READONLY.
    pub const READONLY: u32 = 0x0000_0001;
    /// FILE_ATTRIBUTE_HIDDEN.
    pub const HIDDEN: u32 = 0x0000_0002;
    /// FILE_ATTRIBUTE_SYSTEM.
    pub const SYSTEM: u32 = 0x0000_0004;
    /// FILE_ATTRIBUTE_DIRECTORY.
    pub const DIRECTORY: u32 = 0x0000_0010;
    /// FILE_ATTRIBUTE_ARCHIVE.
    pub const ARCHIVE: u32 = 0x0000_0020;
    /// FILE_ATTRIBUTE_NORMAL.
    pub const NORMAL: u32 = 0x0000_0080;
    /// FILE_ATTRIBUTE_SPARSE_FILE.
    pub const SPARSE_FILE: u32 = 0x0000_0200;
    /// FILE_ATTRIBUTE_REPARSE_POINT.
    pub const REPARSE_POINT: u32 = 0x0000_0400;
}

/// CreateAction values (§2.2.14).
pub mod create_action {
    /// FILE_SUPERSEDED.
    pub const SUPERSEDED: u32 = 0;
    /// FILE_OPENED.
    pub const OPENED: u32 = 1;
    /// FILE_CREATED.
    pub const CREATED: u32 = 2;
    /// FILE_OVERWRITTEN.
    pub const OVERWRITTEN: u32 = 3;
}

/// CREATE response flag SMB2_CREATE_FLAG_REPARSEPOINT (§2.2.14).
pub const CREATE_FLAG_REPARSEPOINT: u8 = 0x01;

const REQ_SS: u16 = 57;
const REQ_FIXED: usize = 56;
const REQ_SECURITY_FLAGS: usize = BODY + 2;
const REQ_OPLOCK: usize = BODY + 3;
const REQ_IMPERSONATION: usize = BODY + 4;
const REQ_SMB_CREATE_FLAGS: usize = BODY + 8;
const REQ_DESIRED_ACCESS: usize = BODY + 24;
const REQ_FILE_ATTRIBUTES: usize = BODY + 28;
const REQ_SHARE_ACCESS: usize = BODY + 32;
const REQ_DISPOSITION: usize = BODY + 36;
const REQ_OPTIONS: usize = BODY + 40;
const REQ_NAME_OFFSET: usize = BODY + 44;
const REQ_NAME_LENGTH: usize = BODY + 46;
const REQ_CTX_OFFSET: usize = BODY + 48;
const REQ_CTX_LENGTH: usize = BODY + 52;
const REQ_BUFFER: usize = BODY + REQ_FIXED;

/// A CREATE request (§2.2.13).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreateRequest<'a> {
    /// SecurityFlags (reserved, 0).
    pub security_flags: u8,
    /// RequestedOplockLevel (see [`oplock_level`]).
    pub requested_oplock_level: u8,
    /// ImpersonationLevel (see [`impersonation`]).
    pub impersonation_level: u32,
    /// SmbCreateFlags (reserved, 0).
    pub smb_create_flags: u64,
    /// DesiredAccess (see [`access`]).
    pub desired_access: u32,
    /// FileAttributes (see [`file_attributes`]).
    pub file_attributes: u32,
    /// ShareAccess (see [`share_access`]).
    pub share_access: u32,
    /// CreateDisposition (see [`disposition`]).
    pub create_disposition: u32,
    /// CreateOptions (see [`create_options`]).
    pub create_options: u32,
    /// Path relative to the share, UTF-16LE, no leading backslash; empty
    /// for the share root.
    pub name: &'a [u8],
    /// Create contexts.
    pub contexts: CreateContexts<'a>,
}

impl<'a> Message<'a> for CreateRequest<'a> {
    const COMMAND: Command = Command::Create;
    const IS_RESPONSE: bool = false;

    fn parse(pdu: &'a [u8]) -> Result<Self> {
        check_body(pdu, REQ_SS, REQ_FIXED)?;
        let name_off = usize::from(wire::get_u16(pdu, REQ_NAME_OFFSET)?);
        let name_len = usize::from(wire::get_u16(pdu, REQ_NAME_LENGTH)?);
        let ctx_off = usize_from(wire::get_u32(pdu, REQ_CTX_OFFSET)?)?;
        let ctx_len = usize_from(wire::get_u32(pdu, REQ_CTX_LENGTH)?)?;
        Ok(Self {
            security_flags: *pdu.get(REQ_SECURITY_FLAGS).ok_or(Error::Truncated)?,
            requested_oplock_level: *pdu.get(REQ_OPLOCK).ok_or(Error::Truncated)?,
            impersonation_level: wire::get_u32(pdu, REQ_IMPERSONATION)?,
            smb_create_flags: wire::get_u64(pdu, REQ_SMB_CREATE_FLAGS)?,
            desired_access: wire::get_u32(pdu, REQ_DESIRED_ACCESS)?,
            file_attributes: wire::get_u32(pdu, REQ_FILE_ATTRIBUTES)?,
            share_access: wire::get_u32(pdu, REQ_SHARE_ACCESS)?,
            create_disposition: wire::get_u32(pdu, REQ_DISPOSITION)?,
            create_options: wire::get_u32(pdu, REQ_OPTIONS)?,
            name: region(pdu, REQ_BUFFER, name_off, name_len)?,
            contexts: contexts_at(pdu, REQ_BUFFER, ctx_off, ctx_len, false)?,
        })
    }

    fn emit(&self, pdu: &mut [u8]) -> Result<usize> {
        start_body(pdu, REQ_SS, REQ_FIXED)?;
        wire::put_bytes(
            pdu,
            REQ_SECURITY_FLAGS,
            &[self.security_flags, self.requested_oplock_level],
        )?;
        wire::put_u32(pdu, REQ_IMPERSONATION, self.impersonation_level)?;
        wire::put_u64(pdu, REQ_SMB_CREATE_FLAGS, self.smb_create_flags)?;
        wire::put_u32(pdu, REQ_DESIRED_ACCESS, self.desired_access)?;
        wire::put_u32(pdu, REQ_FILE_ATTRIBUTES, self.file_attributes)?;
        wire::put_u32(pdu, REQ_SHARE_ACCESS, self.share_access)?;
        wire::put_u32(pdu, REQ_DISPOSITION, self.create_disposition)?;
        wire::put_u32(pdu, REQ_OPTIONS, self.create_options)?;
        wire::put_u16(pdu, REQ_NAME_OFFSET, to_u16(REQ_BUFFER)?)?;
        wire::put_u16(pdu, REQ_NAME_LENGTH, to_u16(self.name.len())?)?;
        wire::put_bytes(pdu, REQ_BUFFER, self.name)?;
        let name_end = REQ_BUFFER
            .checked_add(self.name.len())
            .ok_or(Error::Overflow)?;
        emit_tail(
            pdu,
            REQ_BUFFER,
            name_end,
            &self.contexts,
            REQ_CTX_OFFSET,
            REQ_CTX_LENGTH,
        )
    }
}

/// Writes the context list after the name or fixed part ending at `end`
/// (contexts start 8-aligned) and fills in the offset/length fields. Without
/// contexts, keeps the Buffer at least one byte long (the StructureSize
/// counts one byte of it). Returns the PDU length.
fn emit_tail(
    pdu: &mut [u8],
    buffer: usize,
    end: usize,
    contexts: &CreateContexts<'_>,
    off_field: usize,
    len_field: usize,
) -> Result<usize> {
    if contexts.is_empty() {
        let last = if end == buffer {
            end.checked_add(1).ok_or(Error::Overflow)?
        } else {
            end
        };
        zero(pdu, end, last)?;
        return Ok(last);
    }
    let off = align8(end)?;
    zero(pdu, end, off)?;
    let len = contexts.emit(pdu, off)?;
    wire::put_u32(pdu, off_field, to_u32(off)?)?;
    wire::put_u32(pdu, len_field, to_u32(len)?)?;
    off.checked_add(len).ok_or(Error::Overflow)
}

const RSP_SS: u16 = 89;
const RSP_FIXED: usize = 88;
const RSP_OPLOCK: usize = BODY + 2;
const RSP_FLAGS: usize = BODY + 3;
const RSP_ACTION: usize = BODY + 4;
const RSP_CREATION_TIME: usize = BODY + 8;
const RSP_LAST_ACCESS_TIME: usize = BODY + 16;
const RSP_LAST_WRITE_TIME: usize = BODY + 24;
const RSP_CHANGE_TIME: usize = BODY + 32;
const RSP_ALLOCATION_SIZE: usize = BODY + 40;
const RSP_END_OF_FILE: usize = BODY + 48;
const RSP_FILE_ATTRIBUTES: usize = BODY + 56;
const RSP_FILE_ID: usize = BODY + 64;
const RSP_CTX_OFFSET: usize = BODY + 80;
const RSP_CTX_LENGTH: usize = BODY + 84;
const RSP_BUFFER: usize = BODY + RSP_FIXED;

/// A CREATE response (§2.2.14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreateResponse<'a> {
    /// OplockLevel granted.
    pub oplock_level: u8,
    /// Flags ([`CREATE_FLAG_REPARSEPOINT`]).
    pub flags: u8,
    /// CreateAction (see [`create_action`]).
    pub create_action: u32,
    /// CreationTime (FILETIME).
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
    /// FileId of the new open.
    pub file_id: FileId,
    /// Create contexts returned.
    pub contexts: CreateContexts<'a>,
}

impl<'a> Message<'a> for CreateResponse<'a> {
    const COMMAND: Command = Command::Create;
    const IS_RESPONSE: bool = true;

    fn parse(pdu: &'a [u8]) -> Result<Self> {
        check_body(pdu, RSP_SS, RSP_FIXED)?;
        let ctx_off = usize_from(wire::get_u32(pdu, RSP_CTX_OFFSET)?)?;
        let ctx_len = usize_from(wire::get_u32(pdu, RSP_CTX_LENGTH)?)?;
        Ok(Self {
            oplock_level: *pdu.get(RSP_OPLOCK).ok_or(Error::Truncated)?,
            flags: *pdu.get(RSP_FLAGS).ok_or(Error::Truncated)?,
            create_action: wire::get_u32(pdu, RSP_ACTION)?,
            creation_time: wire::get_u64(pdu, RSP_CREATION_TIME)?,
            last_access_time: wire::get_u64(pdu, RSP_LAST_ACCESS_TIME)?,
            last_write_time: wire::get_u64(pdu, RSP_LAST_WRITE_TIME)?,
            change_time: wire::get_u64(pdu, RSP_CHANGE_TIME)?,
            allocation_size: wire::get_u64(pdu, RSP_ALLOCATION_SIZE)?,
            end_of_file: wire::get_u64(pdu, RSP_END_OF_FILE)?,
            file_attributes: wire::get_u32(pdu, RSP_FILE_ATTRIBUTES)?,
            file_id: FileId::read(pdu, RSP_FILE_ID)?,
            contexts: contexts_at(pdu, RSP_BUFFER, ctx_off, ctx_len, true)?,
        })
    }

    fn emit(&self, pdu: &mut [u8]) -> Result<usize> {
        start_body(pdu, RSP_SS, RSP_FIXED)?;
        wire::put_bytes(pdu, RSP_OPLOCK, &[self.oplock_level, self.flags])?;
        wire::put_u32(pdu, RSP_ACTION, self.create_action)?;
        wire::put_u64(pdu, RSP_CREATION_TIME, self.creation_time)?;
        wire::put_u64(pdu, RSP_LAST_ACCESS_TIME, self.last_access_time)?;
        wire::put_u64(pdu, RSP_LAST_WRITE_TIME, self.last_write_time)?;
        wire::put_u64(pdu, RSP_CHANGE_TIME, self.change_time)?;
        wire::put_u64(pdu, RSP_ALLOCATION_SIZE, self.allocation_size)?;
        wire::put_u64(pdu, RSP_END_OF_FILE, self.end_of_file)?;
        wire::put_u32(pdu, RSP_FILE_ATTRIBUTES, self.file_attributes)?;
        self.file_id.write(pdu, RSP_FILE_ID)?;
        emit_tail(
            pdu,
            RSP_BUFFER,
            RSP_BUFFER,
            &self.contexts,
            RSP_CTX_OFFSET,
            RSP_CTX_LENGTH,
        )
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
    use super::super::create_ctx::{
        context_name, lease_state, CreateContext, DurableV2Request, DurableV2Response, LeaseV2,
        MaximalAccessResponse, OnDiskId,
    };
    use super::super::header::Header;
    use super::super::message::encode;
    use super::*;

    const REQ_CTXS: [CreateContext<'static>; 4] = [
        CreateContext::LeaseV2(LeaseV2 {
            lease_key: [1; 16],
            lease_state: lease_state::READ_CACHING | lease_state::HANDLE_CACHING,
            lease_flags: 0,
            lease_duration: 0,
            parent_lease_key: [0; 16],
            epoch: 0,
        }),
        CreateContext::DurableV2Request(DurableV2Request {
            timeout: 0,
            flags: 0,
            create_guid: [7; 16],
        }),
        CreateContext::QueryOnDiskId,
        CreateContext::MaximalAccessRequest { timestamp: None },
    ];

    fn request() -> CreateRequest<'static> {
        CreateRequest {
            security_flags: 0,
            requested_oplock_level: oplock_level::LEASE,
            impersonation_level: impersonation::IMPERSONATION,
            smb_create_flags: 0,
            desired_access: access::GENERIC_READ,
            file_attributes: 0,
            share_access: share_access::READ | share_access::WRITE | share_access::DELETE,
            create_disposition: disposition::OPEN,
            create_options: create_options::NON_DIRECTORY_FILE,
            name: &[b'a', 0, b'b', 0, b'c', 0],
            contexts: CreateContexts::List(&REQ_CTXS),
        }
    }

    #[test]
    fn request_layout() {
        let mut b = [0xEEu8; 512];
        let n = encode(&Header::request(Command::Create), &request(), &mut b).unwrap();
        // §2.2.13: SS 57, oplock 0xFF at body 3, NameOffset 0x78, NameLength 6.
        assert_eq!(&b[64..68], &[57, 0, 0, 0xFF]);
        assert_eq!(&b[68..72], &[2, 0, 0, 0]);
        assert_eq!(&b[88..92], &[0, 0, 0, 0x80]);
        assert_eq!(&b[108..112], &[0x78, 0, 6, 0]);
        // Contexts at align8(120 + 6) = 128.
        assert_eq!(&b[112..116], &[128, 0, 0, 0]);
        // First context: lease v2. Next = 16+8+52 = 76 -> 80; name at 16, data at 24.
        assert_eq!(&b[128..132], &[80, 0, 0, 0]);
        assert_eq!(&b[132..144], &[16, 0, 4, 0, 0, 0, 24, 0, 52, 0, 0, 0]);
        assert_eq!(&b[144..148], b"RqLs");
        assert_eq!(&b[152..168], &[1; 16]);
        assert_eq!(&b[168..172], &[3, 0, 0, 0]);
        // DH2Q at 208: data at 24, 32 bytes -> next 56.
        assert_eq!(&b[208..212], &[56, 0, 0, 0]);
        assert_eq!(&b[224..228], b"DH2Q");
        // QFid at 264: no data, DataOffset 0, next 24 (20 -> 24).
        assert_eq!(&b[264..268], &[24, 0, 0, 0]);
        assert_eq!(&b[274..280], &[0, 0, 0, 0, 0, 0]);
        // MxAc at 288, last: Next 0, 20 bytes.
        assert_eq!(&b[288..292], &[0, 0, 0, 0]);
        assert_eq!(&b[304..308], b"MxAc");
        assert_eq!(n, 308);
        assert_eq!(&b[116..120], &[180, 0, 0, 0]);
        let p = CreateRequest::parse(&b[..n]).unwrap();
        assert_eq!(p, request());
        assert!(p.contexts.find(context_name::QUERY_ON_DISK_ID).is_some());
    }

    #[test]
    fn request_without_contexts_keeps_one_byte_buffer() {
        let r = CreateRequest {
            name: &[],
            contexts: CreateContexts::NONE,
            ..request()
        };
        let mut b = [0xEEu8; 256];
        let n = r.emit(&mut b).unwrap();
        assert_eq!(n, 64 + 57);
        assert_eq!(b[120], 0);
        assert_eq!(CreateRequest::parse(&b[..n]).unwrap(), r);
    }

    const RSP_CTXS: [CreateContext<'static>; 3] = [
        CreateContext::MaximalAccessResponse(MaximalAccessResponse {
            query_status: 0,
            maximal_access: 0x001F_01FF,
        }),
        CreateContext::OnDiskId(OnDiskId {
            disk_file_id: [9; 16],
            volume_id: 0x1234,
        }),
        CreateContext::DurableV2Response(DurableV2Response {
            timeout: 60_000,
            flags: 0,
        }),
    ];

    fn response() -> CreateResponse<'static> {
        CreateResponse {
            oplock_level: 0,
            flags: 0,
            create_action: create_action::OPENED,
            creation_time: 1,
            last_access_time: 2,
            last_write_time: 3,
            change_time: 4,
            allocation_size: 4096,
            end_of_file: 100,
            file_attributes: file_attributes::ARCHIVE,
            file_id: FileId {
                persistent: 0x11,
                volatile: 0x22,
            },
            contexts: CreateContexts::List(&RSP_CTXS),
        }
    }

    #[test]
    fn response_layout() {
        let mut b = [0u8; 512];
        let n = encode(&Header::request(Command::Create), &response(), &mut b).unwrap();
        // §2.2.14: SS 89, CreateAction at body 4, EndofFile at 48, FileId at 64,
        // CreateContextsOffset 0x98 at body 80.
        assert_eq!(&b[64..66], &[89, 0]);
        assert_eq!(&b[68..72], &[1, 0, 0, 0]);
        assert_eq!(&b[112..120], &[100, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&b[128..136], &[0x11, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&b[144..148], &[0x98, 0, 0, 0]);
        assert_eq!(CreateResponse::parse(&b[..n]).unwrap(), response());
    }

    #[test]
    fn response_bad_contexts() {
        let mut b = [0u8; 512];
        let n = encode(&Header::request(Command::Create), &response(), &mut b).unwrap();
        let ctx = 0x98;
        let p = |m: &[u8]| CreateResponse::parse(m).map(|_| ());
        // Misaligned CreateContextsOffset.
        let mut m = b;
        m[144] = 0x9C;
        assert_eq!(p(&m[..n]), Err(Error::Misaligned));
        // Offset inside the fixed part.
        let mut m = b;
        m[144] = 0x40;
        assert_eq!(p(&m[..n]), Err(Error::OutOfBounds));
        // Length past the PDU, and overflowing.
        let mut m = b;
        m[148..152].copy_from_slice(&0xFFFF_FFFFu32.to_le_bytes());
        assert_eq!(p(&m[..n]), Err(Error::OutOfBounds));
        // Next pointing to itself, backwards (wraps past the end), misaligned.
        let mut m = b;
        m[ctx..ctx + 4].copy_from_slice(&8u32.to_le_bytes());
        assert_eq!(p(&m[..n]), Err(Error::OutOfBounds));
        let mut m = b;
        m[ctx..ctx + 4].copy_from_slice(&0xFFFF_FFF8u32.to_le_bytes());
        assert_eq!(p(&m[..n]), Err(Error::OutOfBounds));
        let mut m = b;
        m[ctx..ctx + 4].copy_from_slice(&33u32.to_le_bytes());
        assert_eq!(p(&m[..n]), Err(Error::Misaligned));
        // DataOffset misaligned, name inside the context header, data past the context.
        let mut m = b;
        m[ctx + 10] = 20;
        assert_eq!(p(&m[..n]), Err(Error::Misaligned));
        let mut m = b;
        m[ctx + 4] = 8;
        assert_eq!(p(&m[..n]), Err(Error::OutOfBounds));
        let mut m = b;
        m[ctx + 12] = 200;
        assert_eq!(p(&m[..n]), Err(Error::OutOfBounds));
        // Known context with the wrong size.
        let mut m = b;
        m[ctx + 12] = 4;
        assert_eq!(p(&m[..n]), Err(Error::Malformed));
    }
}
