// SPDX-License-Identifier: GPL-2.0
//! SMB2 TREE_CONNECT (MS-SMB2 §2.2.9, §2.2.10) and TREE_DISCONNECT
//! (§2.2.11, §2.2.12).

use super::error::{Error, Result};
use super::header::Command;
use super::message::{check_body, fixed_empty_body, region, start_body, to_u16, Message, BODY};
use super::wire;

/// TREE_CONNECT request Flags (3.1.1, §2.2.9).
pub mod tree_connect_flags {
    /// SMB2_TREE_CONNECT_FLAG_CLUSTER_RECONNECT.
    pub const CLUSTER_RECONNECT: u16 = 0x0001;
    /// SMB2_TREE_CONNECT_FLAG_REDIRECT_TO_OWNER.
    pub const REDIRECT_TO_OWNER: u16 = 0x0002;
    /// SMB2_TREE_CONNECT_FLAG_EXTENSION_PRESENT (not supported here).
    pub const EXTENSION_PRESENT: u16 = 0x0004;
}

/// ShareType values (§2.2.10).
pub mod share_type {
    /// Disk share.
    pub const DISK: u8 = 0x01;
    /// Named pipe share.
    pub const PIPE: u8 = 0x02;
    /// Printer share.
    pub const PRINT: u8 = 0x03;
}

/// ShareFlags and Capabilities bits a client acts on (§2.2.10).
pub mod share_flags {
    /// SMB2_SHAREFLAG_DFS.
    pub const DFS: u32 = 0x0000_0001;
    /// SMB2_SHAREFLAG_ENCRYPT_DATA.
    pub const ENCRYPT_DATA: u32 = 0x0000_8000;
    /// SMB2_SHARE_CAP_CONTINUOUS_AVAILABILITY (Capabilities field).
    pub const CAP_CONTINUOUS_AVAILABILITY: u32 = 0x0000_0010;
}

const REQ_SS: u16 = 9;
const REQ_FIXED: usize = 8;
const REQ_FLAGS: usize = BODY + 2;
const REQ_PATH_OFFSET: usize = BODY + 4;
const REQ_PATH_LENGTH: usize = BODY + 6;
const REQ_BUFFER: usize = BODY + REQ_FIXED;

/// A TREE_CONNECT request (§2.2.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeConnectRequest<'a> {
    /// Flags (3.1.1) / Reserved.
    pub flags: u16,
    /// `\\server\share` as UTF-16LE bytes.
    pub path: &'a [u8],
}

impl<'a> Message<'a> for TreeConnectRequest<'a> {
    const COMMAND: Command = Command::TreeConnect;
    const IS_RESPONSE: bool = false;

    fn parse(pdu: &'a [u8]) -> Result<Self> {
        check_body(pdu, REQ_SS, REQ_FIXED)?;
        let flags = wire::get_u16(pdu, REQ_FLAGS)?;
        if flags & tree_connect_flags::EXTENSION_PRESENT != 0 {
            return Err(Error::Unsupported);
        }
        let off = usize::from(wire::get_u16(pdu, REQ_PATH_OFFSET)?);
        let len = usize::from(wire::get_u16(pdu, REQ_PATH_LENGTH)?);
        Ok(Self {
            flags,
            path: region(pdu, REQ_BUFFER, off, len)?,
        })
    }

    fn emit(&self, pdu: &mut [u8]) -> Result<usize> {
        if self.flags & tree_connect_flags::EXTENSION_PRESENT != 0 {
            return Err(Error::Unsupported);
        }
        let n = self.path.len();
        let end = start_body(
            pdu,
            REQ_SS,
            REQ_FIXED.checked_add(n.max(1)).ok_or(Error::Overflow)?,
        )?;
        wire::put_u16(pdu, REQ_FLAGS, self.flags)?;
        wire::put_u16(pdu, REQ_PATH_OFFSET, to_u16(REQ_BUFFER)?)?;
        wire::put_u16(pdu, REQ_PATH_LENGTH, to_u16(n)?)?;
        wire::put_bytes(pdu, REQ_BUFFER, self.path)?;
        Ok(end)
    }
}

const RSP_SS: u16 = 16;
const RSP_FIXED: usize = 16;
const RSP_SHARE_TYPE: usize = BODY + 2;
const RSP_SHARE_FLAGS: usize = BODY + 4;
const RSP_CAPABILITIES: usize = BODY + 8;
const RSP_MAXIMAL_ACCESS: usize = BODY + 12;

/// A TREE_CONNECT response (§2.2.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeConnectResponse {
    /// ShareType (see [`share_type`]).
    pub share_type: u8,
    /// ShareFlags.
    pub share_flags: u32,
    /// Capabilities.
    pub capabilities: u32,
    /// MaximalAccess.
    pub maximal_access: u32,
}

impl<'a> Message<'a> for TreeConnectResponse {
    const COMMAND: Command = Command::TreeConnect;
    const IS_RESPONSE: bool = true;

    fn parse(pdu: &'a [u8]) -> Result<Self> {
        check_body(pdu, RSP_SS, RSP_FIXED)?;
        Ok(Self {
            share_type: *pdu.get(RSP_SHARE_TYPE).ok_or(Error::Truncated)?,
            share_flags: wire::get_u32(pdu, RSP_SHARE_FLAGS)?,
            capabilities: wire::get_u32(pdu, RSP_CAPABILITIES)?,
            maximal_access: wire::get_u32(pdu, RSP_MAXIMAL_ACCESS)?,
        })
    }

    fn emit(&self, pdu: &mut [u8]) -> Result<usize> {
        let end = start_body(pdu, RSP_SS, RSP_FIXED)?;
        wire::put_bytes(pdu, RSP_SHARE_TYPE, &[self.share_type])?;
        wire::put_u32(pdu, RSP_SHARE_FLAGS, self.share_flags)?;
        wire::put_u32(pdu, RSP_CAPABILITIES, self.capabilities)?;
        wire::put_u32(pdu, RSP_MAXIMAL_ACCESS, self.maximal_access)?;
        Ok(end)
    }
}

fixed_empty_body!(
    /// A TREE_DISCONNECT request (§2.2.11): StructureSize 4, Reserved (2).
    TreeDisconnectRequest, TreeDisconnect, false, 4, 4
);
fixed_empty_body!(
    /// A TREE_DISCONNECT response (§2.2.12): StructureSize 4, Reserved (2).
    TreeDisconnectResponse, TreeDisconnect, true, 4, 4
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
    use super::super::header::Header;
    use super::super::message::encode;
    use super::*;

    #[test]
    fn request_layout() {
        let path = [b'\\', 0, b'\\', 0, b's', 0];
        let r = TreeConnectRequest {
            flags: 0,
            path: &path,
        };
        let mut b = [0u8; 128];
        let n = encode(&Header::request(Command::TreeConnect), &r, &mut b).unwrap();
        // §2.2.9: SS 9, PathOffset 0x48, PathLength 6.
        assert_eq!(&b[64..72], &[9, 0, 0, 0, 0x48, 0, 6, 0]);
        assert_eq!(&b[72..78], &path);
        assert_eq!(TreeConnectRequest::parse(&b[..n]).unwrap(), r);
        b[66] = 4;
        assert_eq!(TreeConnectRequest::parse(&b[..n]), Err(Error::Unsupported));
    }

    #[test]
    fn response_layout() {
        let r = TreeConnectResponse {
            share_type: share_type::DISK,
            share_flags: 0x800,
            capabilities: 0,
            maximal_access: 0x001F_01FF,
        };
        let mut b = [0u8; 80];
        let n = r.emit(&mut b).unwrap();
        // §2.2.10: SS 16, ShareType 1 at body 2, ShareFlags at 4, MaximalAccess at 12.
        assert_eq!(&b[64..72], &[16, 0, 1, 0, 0, 8, 0, 0]);
        assert_eq!(&b[76..80], &[0xFF, 0x01, 0x1F, 0x00]);
        assert_eq!(TreeConnectResponse::parse(&b[..n]).unwrap(), r);
        assert_eq!(TreeConnectResponse::parse(&b[..79]), Err(Error::Truncated));
    }
}
